#include "aggregate/mace.h"

#include "aggregate/common.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace crowdsift {

namespace {

constexpr std::int64_t kItemBlock = 2048;
constexpr std::int64_t kAnnotatorBlock = 64;
// Running products are rescaled when their largest entry falls below 1e-100, checked every 4
// answers: factors below 1e-50 would be needed to underflow in between.
constexpr double kRescaleBelow = 1e-100;
constexpr int kRescaleEvery = 4;

// numpy's RandomState.random_sample: 53 random bits from two 32-bit MT19937 outputs.
double randomSample(std::mt19937& generator)
{
    const auto a = static_cast<std::uint32_t>(generator()) >> 5;
    const auto b = static_cast<std::uint32_t>(generator()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

// Rows of `rows` x `cols` values 1 + (1 + noise) u, u from numpy's RandomState(seed), normalised.
RowMatrixXd initialRows(int rows, int cols, std::uint32_t seed, double noise)
{
    std::mt19937 generator(seed);
    RowMatrixXd m(rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            m(r, c) = 1.0 + (1.0 + noise) * randomSample(generator);
    for (int r = 0; r < rows; ++r)
        m.row(r) /= m.row(r).sum();
    return m;
}

struct MaceState {
    RowMatrixXd spamming;  // M x 2: [P(spamming), P(knowing)]
    RowMatrixXd strategy;  // M x K: P(label | spamming)
    Eigen::VectorXd priors;  // K: P(true class); uniform unless learn_priors
};

class Mace {
public:
    Mace(const Dataset& dataset, const AggregationParams& params, ThreadPool& pool)
        : answers_(dataset.answers), params_(params), pool_(pool), n_(dataset.itemCount()),
          m_(dataset.annotatorCount()), k_(dataset.classCount()), items_(n_, kItemBlock),
          annotators_(m_, kAnnotatorBlock)
    {
        answered_ = answeredItems(dataset);
        // The M-step sums each annotator's expected counts over its answers, which the item-major
        // E-step meets in any order: per-block partial sums (blocks x M x (K + 2)) keep that
        // deterministic; when they would outnumber the answers, per-answer values are stored and
        // summed annotator by annotator instead.
        stride_ = k_ + 2;
        if (static_cast<double>(items_.blocks()) * m_ * stride_ <= static_cast<double>(answers_.size())) {
            partial_.assign(static_cast<std::size_t>(items_.blocks()) * m_ * stride_, 0.0);
        } else {
            positions_ = annotatorMajorPositions(answers_);
            spam_.assign(answers_.size(), 0.0);
            know_.assign(answers_.size(), 0.0);
        }
        post_ = RowMatrixXd::Constant(n_, k_, 1.0 / k_);
        smoothing_ = params.smoothing >= 0 ? params.smoothing : 0.01 / k_;
    }

    MaceState initial(int restart) const
    {
        const auto seed = static_cast<std::uint32_t>((params_.seed + static_cast<std::uint64_t>(restart)) & 0xffffffffu);
        return {initialRows(m_, 2, seed, params_.defaultNoise), initialRows(m_, k_, seed, params_.defaultNoise),
                Eigen::VectorXd::Constant(k_, 1.0 / k_)};
    }

    // One restart: returns its log-likelihood history; `state` ends at the final parameters.
    std::vector<double> run(MaceState& state, std::int64_t answerCount, Progress& progress, int restart,
                            int& iterations, bool& converged)
    {
        std::vector<double> history;
        double ll = eStep(state);
        iterations = 0;
        converged = params_.maxIterations == 0 || params_.tolerance < 0;
        const int total = params_.maxIterations * params_.restarts;
        for (int t = 1; t <= params_.maxIterations; ++t) {
            progress.step(restart * params_.maxIterations + t - 1, total, "MACE EM");
            mStep(state);
            const double next = eStep(state);
            history.push_back(next);
            iterations = t;
            const double gain = next - ll;
            ll = next;
            if (params_.tolerance >= 0 && gain < params_.tolerance * static_cast<double>(answerCount)) {
                converged = true;
                break;
            }
        }
        if (history.empty())
            history.push_back(ll);
        return history;
    }

    // Posteriors, and each answer's probabilities of spamming and of knowing; returns the marginal
    // log-likelihood.
    double eStep(const MaceState& s)
    {
        std::vector<double> blockLl(static_cast<std::size_t>(items_.blocks()), 0.0);
        const double logClasses = std::log(static_cast<double>(k_));
        const bool partials = !partial_.empty();
        const bool learned = params_.learnPriors;
        pool_.run(items_.blocks(), [&](std::int64_t b) {
            std::vector<double> acc(static_cast<std::size_t>(k_));
            double ll = 0;
            // Per annotator: K spam counts by label, then the spam and the knowing totals.
            double* partial = partials ? partial_.data() + b * m_ * stride_ : nullptr;
            if (partials)
                std::fill(partial, partial + m_ * stride_, 0.0);
            for (std::int64_t i = items_.begin(b); i < items_.end(b); ++i) {
                double* row = post_.row(i).data();
                if (!answered_[static_cast<std::size_t>(i)]) {
                    std::fill(row, row + k_, 1.0 / k_);
                    continue;
                }
                // With uniform priors the 1 / K factor is taken out as log K (crowd-kit's order).
                if (learned)
                    for (int c = 0; c < k_; ++c)
                        acc[static_cast<std::size_t>(c)] = s.priors[c];
                else
                    std::fill(acc.begin(), acc.end(), 1.0);
                double logScale = 0;
                int sinceCheck = 0;
                for (const Answers::Entry& e : answers_.ofItem(static_cast<int>(i))) {
                    if (e.complementary())
                        continue;
                    const double spamLabel = s.spamming(e.other, 0) * s.strategy(e.other, e.label);
                    const double knowing = s.spamming(e.other, 1);
                    const double keep = acc[static_cast<std::size_t>(e.label)];
                    for (double& v : acc)
                        v *= spamLabel;
                    acc[static_cast<std::size_t>(e.label)] = keep * (spamLabel + knowing);
                    if (++sinceCheck < kRescaleEvery)
                        continue;
                    sinceCheck = 0;
                    const double top = *std::max_element(acc.begin(), acc.end());
                    if (top < kRescaleBelow && top > 0) {
                        for (double& v : acc)
                            v /= top;
                        logScale += std::log(top);
                    }
                }
                double sum = 0;
                for (double v : acc)
                    sum += v;
                if (!(sum > 0)) {
                    std::fill(row, row + k_, 1.0 / k_);
                    ll = -std::numeric_limits<double>::infinity();
                } else {
                    for (int c = 0; c < k_; ++c)
                        row[c] = acc[static_cast<std::size_t>(c)] / sum;
                    ll += std::log(sum) + logScale - (learned ? 0.0 : logClasses);
                }
                for (std::int64_t p = answers_.itemOffsets()[static_cast<std::size_t>(i)];
                     p < answers_.itemOffsets()[static_cast<std::size_t>(i) + 1]; ++p) {
                    const Answers::Entry& e = answers_.byItem()[static_cast<std::size_t>(p)];
                    if (e.complementary())
                        continue;
                    const double spamLabel = s.spamming(e.other, 0) * s.strategy(e.other, e.label);
                    const double knowing = s.spamming(e.other, 1);
                    const double right = row[e.label];
                    const double both = spamLabel + knowing;
                    const double spam = both > 0 ? (1 - right) + right * spamLabel / both : 0.0;
                    const double know = both > 0 ? right * knowing / both : 0.0;
                    if (partials) {
                        double* mine = partial + static_cast<std::size_t>(e.other) * stride_;
                        mine[e.label] += spam;
                        mine[k_] += spam;
                        mine[k_ + 1] += know;
                    } else {
                        spam_[static_cast<std::size_t>(p)] = spam;
                        know_[static_cast<std::size_t>(p)] = know;
                    }
                }
            }
            blockLl[static_cast<std::size_t>(b)] = ll;
        });
        double ll = 0;
        for (double v : blockLl)
            ll += v;
        return ll;
    }

    void mStep(MaceState& s) const
    {
        if (params_.learnPriors) {
            s.priors = meanPosterior(post_, answered_);
            for (int c = 0; c < k_; ++c)
                s.priors[c] = std::max(s.priors[c], 1e-10);
            s.priors /= s.priors.sum();
        }
        pool_.run(annotators_.blocks(), [&](std::int64_t b) {
            std::vector<double> counts(static_cast<std::size_t>(k_));
            for (std::int64_t w = annotators_.begin(b); w < annotators_.end(b); ++w) {
                double spamming = 0;
                double knowing = 0;
                std::fill(counts.begin(), counts.end(), 0.0);
                if (!partial_.empty()) {
                    for (std::int64_t block = 0; block < items_.blocks(); ++block) {
                        const double* mine = partial_.data() + (block * m_ + w) * stride_;
                        for (int l = 0; l < k_; ++l)
                            counts[static_cast<std::size_t>(l)] += mine[l];
                        spamming += mine[k_];
                        knowing += mine[k_ + 1];
                    }
                } else {
                    for (std::int64_t j = answers_.annotatorOffsets()[static_cast<std::size_t>(w)];
                         j < answers_.annotatorOffsets()[static_cast<std::size_t>(w) + 1]; ++j) {
                        const std::size_t p = positions_[static_cast<std::size_t>(j)];
                        const Answers::Entry& e = answers_.byItem()[p];
                        if (e.complementary())
                            continue;
                        spamming += spam_[p];
                        knowing += know_[p];
                        counts[static_cast<std::size_t>(e.label)] += spam_[p];
                    }
                }
                if (params_.variational) {
                    const double a = spamming + params_.spamAlpha;
                    const double c = knowing + params_.spamBeta;
                    const double norm = std::exp(digamma(a + c));
                    s.spamming(w, 0) = std::exp(digamma(a)) / norm;
                    s.spamming(w, 1) = std::exp(digamma(c)) / norm;
                    double total = 0;
                    for (double v : counts)
                        total += v + params_.strategyPrior;
                    const double strategyNorm = std::exp(digamma(total));
                    for (int l = 0; l < k_; ++l)
                        s.strategy(w, l) = std::exp(digamma(counts[static_cast<std::size_t>(l)] + params_.strategyPrior))
                                           / strategyNorm;
                } else {
                    smoothedNormalise(spamming, knowing, s, static_cast<int>(w));
                    double total = 0;
                    for (double v : counts)
                        total += v + smoothing_;
                    for (int l = 0; l < k_; ++l)
                        s.strategy(w, l) = nearZero(total) ? 0.0 : (counts[static_cast<std::size_t>(l)] + smoothing_) / total;
                }
            }
        });
    }

    const RowMatrixXd& posteriors() const { return post_; }
    const std::vector<char>& answered() const { return answered_; }

private:
    // numpy.isclose(x, 0) with its default absolute tolerance, as crowd-kit's normalize() guards.
    static bool nearZero(double x) { return std::abs(x) <= 1e-8; }

    void smoothedNormalise(double spamming, double knowing, MaceState& s, int w) const
    {
        const double total = spamming + knowing + 2 * smoothing_;
        s.spamming(w, 0) = nearZero(total) ? 0.0 : (spamming + smoothing_) / total;
        s.spamming(w, 1) = nearZero(total) ? 0.0 : (knowing + smoothing_) / total;
    }

    const Answers& answers_;
    AggregationParams params_;
    ThreadPool& pool_;
    int n_;
    int m_;
    int k_;
    BlockPartition items_;
    BlockPartition annotators_;
    double smoothing_ = 0;
    std::vector<char> answered_;
    int stride_ = 0;
    std::vector<double> partial_;  // blocks x M x (K + 2) expected counts, or empty
    std::vector<std::size_t> positions_;
    std::vector<double> spam_;  // else per by-item answer: P(the annotator spammed | answers)
    std::vector<double> know_;  // and P(the annotator knew | answers)
    RowMatrixXd post_;
};

nlohmann::json rowsJson(const RowMatrixXd& m)
{
    nlohmann::json rows = nlohmann::json::array();
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        rows.push_back(std::vector<double>(m.row(r).data(), m.row(r).data() + m.cols()));
    return rows;
}

}  // namespace

double digamma(double x)
{
    double result = 0;
    while (x < 10) {
        result -= 1 / x;
        x += 1;
    }
    // Asymptotic series with the Bernoulli numbers B2 .. B14.
    const double f = 1 / (x * x);
    const double series =
        f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))));
    return result + std::log(x) - 0.5 / x - series;
}

AggregationResult mace(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    checkAggregationInput(dataset, "mace", 2);
    ThreadPool pool(params.threads);
    Mace model(dataset, params, pool);
    const std::int64_t answerCount = usableAnswerCount(dataset);
    const int restarts = std::max(params.restarts, 1);

    MaceState best;
    std::vector<double> bestHistory;
    int bestRestart = -1;
    int bestIterations = 0;
    bool bestConverged = false;
    std::vector<double> finals;
    for (int r = 0; r < restarts; ++r) {
        MaceState state = model.initial(r);
        int iterations = 0;
        bool converged = false;
        std::vector<double> history = model.run(state, answerCount, progress, r, iterations, converged);
        finals.push_back(history.back());
        if (bestRestart < 0 || history.back() > bestHistory.back()) {
            best = std::move(state);
            bestHistory = std::move(history);
            bestRestart = r;
            bestIterations = iterations;
            bestConverged = converged;
        }
    }
    model.eStep(best);

    const int m = dataset.annotatorCount();
    const int k = dataset.classCount();
    AggregationResult r;
    r.strategy = "mace";
    r.params = params.toJson();
    r.posteriors = model.posteriors();
    HardLabels hard = hardLabels(r.posteriors, model.answered());
    r.labels = std::move(hard.labels);
    r.tiedItems = std::move(hard.tied);
    r.classPriors = best.priors;
    r.annotatorSkill.resize(m);
    r.confusions.resize(static_cast<std::size_t>(m));
    for (int w = 0; w < m; ++w) {
        const double competence = best.spamming(w, 1) / (best.spamming(w, 0) + best.spamming(w, 1));
        r.annotatorSkill[w] = competence;
        const Eigen::RowVectorXd strategy = best.strategy.row(w) / best.strategy.row(w).sum();
        Eigen::MatrixXd c(k, k);
        for (int t = 0; t < k; ++t)
            for (int o = 0; o < k; ++o)
                c(t, o) = (1 - competence) * strategy[o] + (t == o ? competence : 0.0);
        r.confusions[static_cast<std::size_t>(w)] = std::move(c);
    }
    r.iterations = bestIterations;
    r.converged = bestConverged;
    r.logLikelihood = bestHistory;
    r.extra["spamming"] = rowsJson(best.spamming);
    r.extra["strategy"] = rowsJson(best.strategy);
    r.extra["restart"] = bestRestart;
    r.extra["restart_log_likelihoods"] = finals;
    r.extra["skipped_complementary_answers"] = static_cast<std::int64_t>(dataset.answers.size()) - answerCount;
    return r;
}

}  // namespace crowdsift
