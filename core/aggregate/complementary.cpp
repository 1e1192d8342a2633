#include "aggregate/complementary.h"

#include "aggregate/common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crowdsift {

namespace {

// answered[i] = 1 when item i has any answer, vote or complementary.
std::vector<char> anyAnswer(const Dataset& dataset)
{
    std::vector<char> answered(static_cast<std::size_t>(dataset.itemCount()), 0);
    for (int i = 0; i < dataset.itemCount(); ++i)
        answered[static_cast<std::size_t>(i)] = dataset.answers.countOfItem(i) > 0 ? 1 : 0;
    return answered;
}

RowMatrixXd complementaryScores(const Dataset& dataset)
{
    const int k = dataset.classCount();
    RowMatrixXd scores = RowMatrixXd::Zero(dataset.itemCount(), k);
    const double spread = k > 1 ? 1.0 / (k - 1) : 0.0;
    for (int i = 0; i < dataset.itemCount(); ++i)
        for (const auto& e : dataset.answers.ofItem(i)) {
            if (!e.complementary()) {
                scores(i, e.label) += 1.0;
                continue;
            }
            for (int c = 0; c < k; ++c)
                if (c != e.label)
                    scores(i, c) += spread;
        }
    return scores;
}

void normaliseRows(RowMatrixXd& m, const Eigen::VectorXd& fallback)
{
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        const double sum = m.row(i).sum();
        if (sum > 0)
            m.row(i) /= sum;
        else
            m.row(i) = fallback.transpose();
    }
}

void finishHardLabels(AggregationResult& r, const AggregationParams& params, const std::vector<char>& answered)
{
    HardLabels hard = hardLabels(r.posteriors, answered, params.randomTies, params.seed);
    r.labels = std::move(hard.labels);
    r.tiedItems = std::move(hard.tied);
}

nlohmann::json matricesJson(const std::vector<Eigen::MatrixXd>& matrices)
{
    nlohmann::json all = nlohmann::json::array();
    for (const Eigen::MatrixXd& q : matrices) {
        nlohmann::json rows = nlohmann::json::array();
        for (Eigen::Index y = 0; y < q.rows(); ++y) {
            std::vector<double> row(static_cast<std::size_t>(q.cols()));
            for (Eigen::Index c = 0; c < q.cols(); ++c)
                row[static_cast<std::size_t>(c)] = q(y, c);
            rows.push_back(row);
        }
        all.push_back(std::move(rows));
    }
    return all;
}

// comp-ds takes annotators' "not k" answers as independent given the class. Where one labeller's
// distinct "not"s fill several annotator columns (an ACL-style cl_labels matrix, a machine
// annotator's k least likely classes), they never coincide on an item, which independent
// answers would (a pair of uniform "not"s of one class coincides with probability 1/(K - 1)); the
// likelihood then prefers a labelling that explains the columns' distinctness over the true one
// (on 300 three-class items with two distinct "not"s each, comp-ds labels 55 % right, comp-vote
// all). Warn when no pair coincides although about 10 coincidences would be expected.
void warnDistinctNots(AggregationResult& r, const Dataset& dataset)
{
    const int k = dataset.classCount();
    if (k < 3)
        return;
    double expected = 0;
    std::int64_t items = 0;
    std::vector<int> nots;
    for (int i = 0; i < dataset.itemCount(); ++i) {
        nots.clear();
        for (const auto& e : dataset.answers.ofItem(i))
            if (e.complementary())
                nots.push_back(e.label);
        if (nots.size() < 2)
            continue;
        std::sort(nots.begin(), nots.end());
        if (std::adjacent_find(nots.begin(), nots.end()) != nots.end())
            return;  // two annotators' "not"s coincide: nothing says they are one labeller's set
        ++items;
        const double pairs = static_cast<double>(nots.size()) * static_cast<double>(nots.size() - 1) / 2.0;
        expected += pairs / (k - 1);
    }
    if (expected < 10)
        return;
    char text[512];
    std::snprintf(text, sizeof text,
                  "comp-ds: on none of the %lld items with two or more 'not k' answers do two of them coincide (about "
                  "%.0f would if the annotators answered independently): they look like one labeller's distinct "
                  "'not's spread over annotator columns (an ACL-style matrix, a machine's k least likely classes), "
                  "which comp-ds's independent annotators misread; compare with comp-vote, which reads them as a set",
                  static_cast<long long>(items), expected);
    if (!r.extra.is_object())
        r.extra = nlohmann::json::object();
    r.extra["warnings"].push_back(text);
}

}  // namespace

std::int64_t complementaryAnswerCount(const Dataset& dataset)
{
    std::int64_t n = 0;
    for (const auto& e : dataset.answers.byItem())
        n += e.complementary() ? 1 : 0;
    return n;
}

AggregationResult complementaryVote(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    checkAggregationInput(dataset, "comp-vote", 2);
    progress.stage("counting votes and complementary answers");
    const int k = dataset.classCount();
    const std::vector<char> answered = anyAnswer(dataset);
    AggregationResult r;
    r.strategy = "comp-vote";
    r.params = params.toJson();
    r.posteriors = complementaryScores(dataset);
    normaliseRows(r.posteriors, Eigen::VectorXd::Constant(k, 1.0 / k));
    r.classPriors = meanPosterior(r.posteriors, answered);
    for (int i = 0; i < dataset.itemCount(); ++i)
        if (!answered[static_cast<std::size_t>(i)])
            r.posteriors.row(i) = r.classPriors.transpose();
    finishHardLabels(r, params, answered);
    r.confusions = confusionsFromPosteriors(dataset, r.posteriors);
    r.annotatorSkill = Eigen::VectorXd::Constant(dataset.annotatorCount(), std::nan(""));
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        int agree = 0;
        int total = 0;
        for (const auto& e : dataset.answers.ofAnnotator(w)) {
            const int label = r.labels[static_cast<std::size_t>(e.other)];
            if (label < 0)
                continue;
            ++total;
            agree += e.complementary() ? (e.label != label) : (e.label == label);
        }
        if (total > 0)
            r.annotatorSkill(w) = static_cast<double>(agree) / total;
    }
    r.extra["complementary_answers"] = complementaryAnswerCount(dataset);
    return r;
}

AggregationResult complementaryDawidSkene(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    checkAggregationInput(dataset, "comp-ds", 2);
    const int n = dataset.itemCount();
    const int m = dataset.annotatorCount();
    const int k = dataset.classCount();
    const double alpha = std::max(0.0, params.priorStrength) / k;
    const std::vector<char> answered = anyAnswer(dataset);
    const auto answerCount = static_cast<double>(std::max<std::size_t>(dataset.answers.size(), 1));

    AggregationResult init = complementaryVote(dataset, params, progress);
    RowMatrixXd posteriors = init.posteriors;
    Eigen::VectorXd rho = init.classPriors;
    std::vector<Eigen::MatrixXd> pi(static_cast<std::size_t>(m));
    std::vector<Eigen::MatrixXd> q(static_cast<std::size_t>(m));

    const auto mStep = [&]() {
        for (int w = 0; w < m; ++w) {
            Eigen::MatrixXd votes = Eigen::MatrixXd::Constant(k, k, alpha);
            Eigen::MatrixXd nots = Eigen::MatrixXd::Constant(k, k, alpha);
            for (const auto& e : dataset.answers.ofAnnotator(w)) {
                if (!answered[static_cast<std::size_t>(e.other)])
                    continue;
                Eigen::MatrixXd& target = e.complementary() ? nots : votes;
                target.col(e.label) += posteriors.row(e.other).transpose();
            }
            for (Eigen::MatrixXd* mat : {&votes, &nots})
                for (int y = 0; y < k; ++y) {
                    const double sum = mat->row(y).sum();
                    if (sum > 0)
                        mat->row(y) /= sum;
                    else
                        mat->row(y).setConstant(1.0 / k);
                }
            pi[static_cast<std::size_t>(w)] = std::move(votes);
            q[static_cast<std::size_t>(w)] = std::move(nots);
        }
    };
    // Entries are clipped only inside the log: with alpha = 0 a never-seen (class, answer) pair
    // stays impossible, as in Dawid-Skene.
    const auto safeLog = [](double x) { return std::log(std::max(x, 1e-300)); };

    AggregationResult r;
    r.strategy = "comp-ds";
    r.params = params.toJson();
    mStep();
    progress.stage("EM with complementary transition matrices");
    double previous = -std::numeric_limits<double>::infinity();
    for (int iteration = 0; iteration < params.maxIterations; ++iteration) {
        progress.check();
        Eigen::VectorXd logRho(k);
        for (int y = 0; y < k; ++y)
            logRho(y) = safeLog(std::max(rho(y), 1e-10));
        double objective = 0;
        for (int i = 0; i < n; ++i) {
            if (!answered[static_cast<std::size_t>(i)])
                continue;
            Eigen::VectorXd logT = logRho;
            for (const auto& e : dataset.answers.ofItem(i)) {
                const Eigen::MatrixXd& mat = e.complementary() ? q[static_cast<std::size_t>(e.other)]
                                                               : pi[static_cast<std::size_t>(e.other)];
                for (int y = 0; y < k; ++y)
                    logT(y) += safeLog(mat(y, e.label));
            }
            const double top = logT.maxCoeff();
            const Eigen::VectorXd t = (logT.array() - top).exp();
            const double sum = t.sum();
            objective += top + std::log(sum);
            posteriors.row(i) = (t / sum).transpose();
        }
        if (alpha > 0)
            for (int w = 0; w < m; ++w)
                for (const Eigen::MatrixXd* mat : {&pi[static_cast<std::size_t>(w)], &q[static_cast<std::size_t>(w)]})
                    objective += alpha * mat->unaryExpr(safeLog).sum();
        r.logLikelihood.push_back(objective);
        r.iterations = iteration + 1;
        rho = meanPosterior(posteriors, answered);
        mStep();
        progress.step(iteration + 1, params.maxIterations, "EM with complementary transition matrices");
        if (params.tolerance >= 0 && iteration > 0 && objective - previous < params.tolerance * answerCount) {
            r.converged = true;
            break;
        }
        r.converged = params.tolerance < 0;
        previous = objective;
    }

    r.classPriors = rho;
    for (int i = 0; i < n; ++i)
        if (!answered[static_cast<std::size_t>(i)])
            posteriors.row(i) = rho.transpose();
    r.posteriors = std::move(posteriors);
    finishHardLabels(r, params, answered);
    r.confusions = pi;
    r.annotatorSkill = Eigen::VectorXd::Zero(m);
    for (int w = 0; w < m; ++w) {
        bool votes = false;
        for (const auto& e : dataset.answers.ofAnnotator(w))
            votes = votes || !e.complementary();
        const Eigen::MatrixXd& mat = votes ? pi[static_cast<std::size_t>(w)] : q[static_cast<std::size_t>(w)];
        const double diagonal = rho.dot(mat.diagonal());
        r.annotatorSkill(w) = votes ? diagonal : 1.0 - diagonal;
    }
    r.extra["complementary_answers"] = complementaryAnswerCount(dataset);
    r.extra["complementary_transitions"] = matricesJson(q);
    warnDistinctNots(r, dataset);
    return r;
}

Eigen::MatrixXd complementaryTransition(const Dataset& dataset, const RowMatrixXd& posteriors,
                                        const std::vector<std::int32_t>& truth, int annotator)
{
    const int k = dataset.classCount();
    Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(k, k);
    const bool byTruth = !truth.empty();
    for (int i = 0; i < dataset.itemCount(); ++i) {
        const int t = byTruth ? truth[static_cast<std::size_t>(i)] : 0;
        if (byTruth && (t < 0 || t >= k))
            continue;
        for (const auto& e : dataset.answers.ofItem(i)) {
            if (!e.complementary() || (annotator >= 0 && e.other != annotator))
                continue;
            if (byTruth)
                counts(t, e.label) += 1.0;
            else
                counts.col(e.label) += posteriors.row(i).transpose();
        }
    }
    for (int y = 0; y < k; ++y) {
        const double sum = counts.row(y).sum();
        if (sum > 0)
            counts.row(y) /= sum;
    }
    return counts;
}

}  // namespace crowdsift
