#include "aggregate/glad.h"

#include "aggregate/common.h"
#include "aggregate/lbfgs.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace crowdsift {

namespace {

constexpr std::int64_t kItemBlock = 2048;
constexpr std::int64_t kAnnotatorBlock = 64;

// log(sigmoid(x)), stable for any x. log(1 + e) rather than log1p(e), here and in the M-step:
// the same to 1e-16 in absolute terms, all a sum of log-likelihood terms needs, and faster.
inline double logSigmoid(double x)
{
    const double softplus = std::log(1.0 + std::exp(-std::abs(x)));
    return x >= 0 ? -softplus : x - softplus;
}

class Glad {
public:
    Glad(const Dataset& dataset, ThreadPool& pool)
        : answers_(dataset.answers), pool_(pool), n_(dataset.itemCount()), m_(dataset.annotatorCount()),
          k_(dataset.classCount()), logWrong_(std::log(static_cast<double>(k_ - 1))),
          items_(n_, kItemBlock), annotators_(m_, kAnnotatorBlock)
    {
        answered_ = answeredItems(dataset);
        // dQ/dalpha_j sums over annotator j's answers, which the item-major pass meets in any
        // order. Per-block partial sums (blocks x M) keep it deterministic; when they would take
        // more room than one value per answer, per-answer terms are stored and summed annotator by
        // annotator instead.
        if (static_cast<double>(items_.blocks()) * m_ <= static_cast<double>(answers_.size())) {
            alphaPartial_.assign(static_cast<std::size_t>(items_.blocks()) * m_, 0.0);
        } else {
            positions_ = annotatorMajorPositions(answers_);
            slope_.assign(answers_.size(), 0.0);
        }
        params_ = Eigen::VectorXd::Ones(m_ + n_);
        post_ = RowMatrixXd::Constant(n_, k_, 1.0 / k_);
    }

    void run(const AggregationParams& params, std::int64_t answerCount, Progress& progress)
    {
        const double logPrior = logPriorOf(params_);
        double objective = eStep() + logPrior;
        initialObjective_ = objective;
        LbfgsOptions options;
        // Six correction pairs: 12 vectors of M + N values, a fraction of the answers' size.
        options.memory = 6;
        options.maxIterations = params.mStepIterations;
        options.gradientTolerance = params.mStepTolerance;
        converged_ = params.maxIterations == 0 || params.tolerance < 0;
        for (int t = 1; t <= params.maxIterations; ++t) {
            progress.step(t - 1, params.maxIterations, "GLAD EM");
            const LbfgsResult m = minimizeLbfgs(
                [this](const Eigen::VectorXd& x, Eigen::VectorXd& g) { return negativeQ(x, g); }, params_, options,
                [&progress] { progress.check(); });
            mStepIterations_ += m.iterations;
            mStepEvaluations_ += m.evaluations;
            const double next = eStep() + logPriorOf(params_);
            logLikelihood_.push_back(next);
            iterations_ = t;
            const double gain = next - objective;
            objective = next;
            if (params.tolerance >= 0 && gain < params.tolerance * static_cast<double>(answerCount)) {
                converged_ = true;
                break;
            }
        }
        progress.step(params.maxIterations, params.maxIterations, "GLAD EM");
    }

    void fill(const Dataset& dataset, AggregationResult& r)
    {
        r.classPriors = Eigen::VectorXd::Constant(k_, 1.0 / k_);
        r.posteriors = std::move(post_);
        HardLabels hard = hardLabels(r.posteriors, answered_);
        r.labels = std::move(hard.labels);
        r.tiedItems = std::move(hard.tied);
        r.annotatorSkill = params_.head(m_);
        r.itemDifficulty = params_.tail(n_);
        r.confusions = confusionsFromPosteriors(dataset, r.posteriors);
        r.iterations = iterations_;
        r.converged = converged_;
        r.logLikelihood = logLikelihood_;
        r.extra["initial_log_posterior"] = initialObjective_;
        r.extra["m_step_iterations_total"] = mStepIterations_;
        r.extra["m_step_evaluations_total"] = mStepEvaluations_;
    }

private:
    // log P(alpha) + log P(beta) without the normalising constant, which would only shift the
    // objective (and, through the rounding of larger sums, the optimiser's path).
    double logPriorOf(const Eigen::VectorXd& x) const
    {
        return -0.5 * (x.array() - 1.0).square().sum();
    }

    // Posteriors from the current alpha, beta; returns the marginal log-likelihood.
    double eStep()
    {
        const double* alpha = params_.data();
        const double* beta = params_.data() + m_;
        const double logUniform = -std::log(static_cast<double>(k_));
        std::vector<double> blockLl(static_cast<std::size_t>(items_.blocks()), 0.0);
        pool_.run(items_.blocks(), [&](std::int64_t b) {
            std::vector<double> logp(static_cast<std::size_t>(k_));
            double ll = 0;
            for (std::int64_t i = items_.begin(b); i < items_.end(b); ++i) {
                double* row = post_.row(i).data();
                if (!answered_[static_cast<std::size_t>(i)]) {
                    std::fill(row, row + k_, 1.0 / k_);
                    continue;
                }
                const double scale = std::exp(beta[i]);
                double base = logUniform;
                std::fill(logp.begin(), logp.end(), 0.0);
                for (const Answers::Entry& e : answers_.ofItem(static_cast<int>(i))) {
                    if (e.complementary())
                        continue;
                    const double x = alpha[e.other] * scale;
                    const double logSig = logSigmoid(x);
                    const double logWrong = logSig - x - logWrong_;
                    base += logWrong;
                    logp[static_cast<std::size_t>(e.label)] += logSig - logWrong;
                }
                const double top = *std::max_element(logp.begin(), logp.end());
                double sum = 0;
                for (int c = 0; c < k_; ++c) {
                    row[c] = std::exp(logp[static_cast<std::size_t>(c)] - top);
                    sum += row[c];
                }
                for (int c = 0; c < k_; ++c)
                    row[c] /= sum;
                ll += base + top + std::log(sum);
            }
            blockLl[static_cast<std::size_t>(b)] = ll;
        });
        double ll = 0;
        for (double v : blockLl)
            ll += v;
        return ll;
    }

    // Minus the expected complete-data log-posterior at x = (alpha, beta) under the current
    // posteriors, and its gradient. Each item block walks its answers in chunks: the exp and log
    // of a whole chunk go through Eigen's vectorised functions, the rest is per answer.
    double negativeQ(const Eigen::VectorXd& x, Eigen::VectorXd& gradient)
    {
        const double* alpha = x.data();
        const double* beta = x.data() + m_;
        double* gradBeta = gradient.data() + m_;
        std::vector<double> blockQ(static_cast<std::size_t>(items_.blocks()), 0.0);
        const bool partials = !alphaPartial_.empty();
        const std::vector<std::int64_t>& offsets = answers_.itemOffsets();
        const std::vector<Answers::Entry>& entries = answers_.byItem();
        pool_.run(items_.blocks(), [&](std::int64_t b) {
            constexpr int kChunk = 256;
            Eigen::Array<double, kChunk, 1> z;
            Eigen::Array<double, kChunk, 1> decay;
            Eigen::Array<double, kChunk, 1> softplus;
            double scaleOf[kChunk];
            std::int64_t itemOf[kChunk];
            double q = 0;
            double* alphaPartial = partials ? alphaPartial_.data() + b * m_ : nullptr;
            if (partials)
                std::fill(alphaPartial, alphaPartial + m_, 0.0);
            const std::int64_t firstItem = items_.begin(b);
            const std::int64_t lastItem = items_.end(b);
            // The prior's part of each item's gradient; the answers' parts are added below.
            for (std::int64_t i = firstItem; i < lastItem; ++i)
                gradBeta[i] = beta[i] - 1;
            std::int64_t item = firstItem;
            double scale = item < lastItem ? std::exp(beta[item]) : 1.0;
            const std::int64_t end = offsets[static_cast<std::size_t>(lastItem)];
            for (std::int64_t chunk = offsets[static_cast<std::size_t>(firstItem)]; chunk < end; chunk += kChunk) {
                const int size = static_cast<int>(std::min<std::int64_t>(kChunk, end - chunk));
                for (int j = 0; j < size; ++j) {
                    const std::int64_t p = chunk + j;
                    while (p >= offsets[static_cast<std::size_t>(item) + 1])
                        scale = std::exp(beta[++item]);
                    itemOf[j] = item;
                    scaleOf[j] = scale;
                    z[j] = alpha[entries[static_cast<std::size_t>(p)].other] * scale;
                }
                const auto used = Eigen::seqN(0, size);
                decay(used) = (-z(used).abs()).exp();
                softplus(used) = (1.0 + decay(used)).log();
                for (int j = 0; j < size; ++j) {
                    const std::int64_t p = chunk + j;
                    const Answers::Entry& e = entries[static_cast<std::size_t>(p)];
                    if (e.complementary()) {
                        if (!partials)
                            slope_[static_cast<std::size_t>(p)] = 0;
                        continue;
                    }
                    const double zj = z[j];
                    const double logSig = zj >= 0 ? -softplus[j] : zj - softplus[j];
                    const double sig = zj >= 0 ? 1.0 / (1.0 + decay[j]) : decay[j] / (1.0 + decay[j]);
                    const double right = post_(itemOf[j], e.label);
                    q += logSig - (1 - right) * (zj + logWrong_);
                    const double dz = right - sig;
                    gradBeta[itemOf[j]] -= dz * zj;
                    if (partials)
                        alphaPartial[e.other] += dz * scaleOf[j];
                    else
                        slope_[static_cast<std::size_t>(p)] = dz * scaleOf[j];
                }
            }
            blockQ[static_cast<std::size_t>(b)] = q;
        });
        double* gradAlpha = gradient.data();
        pool_.run(annotators_.blocks(), [&](std::int64_t b) {
            for (std::int64_t w = annotators_.begin(b); w < annotators_.end(b); ++w) {
                double s = 0;
                if (partials) {
                    for (std::int64_t block = 0; block < items_.blocks(); ++block)
                        s += alphaPartial_[static_cast<std::size_t>(block * m_ + w)];
                } else {
                    for (std::int64_t j = answers_.annotatorOffsets()[static_cast<std::size_t>(w)];
                         j < answers_.annotatorOffsets()[static_cast<std::size_t>(w) + 1]; ++j)
                        s += slope_[positions_[static_cast<std::size_t>(j)]];
                }
                gradAlpha[w] = -(s - (alpha[w] - 1));
            }
        });
        double q = 0;
        for (double v : blockQ)
            q += v;
        const double value = -(q + logPriorOf(x));
        return std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
    }

    const Answers& answers_;
    ThreadPool& pool_;
    int n_;
    int m_;
    int k_;
    double logWrong_;  // log(K - 1): a wrong answer is one of K - 1 classes
    BlockPartition items_;
    BlockPartition annotators_;
    std::vector<char> answered_;
    std::vector<double> alphaPartial_;    // blocks x M partial sums of dQ/dalpha, or empty
    std::vector<std::size_t> positions_;  // else: annotator-major entry -> item-major entry
    std::vector<double> slope_;           // and per item-major answer: its term of dQ/dalpha
    Eigen::VectorXd params_;              // alpha (M) then beta (N)
    RowMatrixXd post_;                    // N x K
    std::vector<double> logLikelihood_;
    double initialObjective_ = 0;
    int iterations_ = 0;
    bool converged_ = false;
    long long mStepIterations_ = 0;
    long long mStepEvaluations_ = 0;
};

}  // namespace

AggregationResult glad(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    checkAggregationInput(dataset, "glad", 2);
    ThreadPool pool(params.threads);
    Glad model(dataset, pool);
    model.run(params, usableAnswerCount(dataset), progress);
    AggregationResult r;
    r.strategy = "glad";
    r.params = params.toJson();
    model.fill(dataset, r);
    r.extra["skipped_complementary_answers"] =
        static_cast<std::int64_t>(dataset.answers.size()) - usableAnswerCount(dataset);
    return r;
}

}  // namespace crowdsift
