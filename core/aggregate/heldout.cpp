#include "aggregate/heldout.h"

#include "aggregate/common.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace crowdsift {

namespace {

constexpr double kFloor = 1e-6;

}  // namespace

std::vector<int> answerFolds(const Answers& answers, int folds, std::uint64_t seed)
{
    std::vector<int> fold(answers.size(), -1);
    for (int i = 0; i < answers.itemCount(); ++i) {
        int next = static_cast<int>(mixSeed(seed, static_cast<std::uint64_t>(i)) % static_cast<std::uint64_t>(folds));
        for (std::int64_t p = answers.itemOffsets()[static_cast<std::size_t>(i)];
             p < answers.itemOffsets()[static_cast<std::size_t>(i) + 1]; ++p) {
            if (answers.byItem()[static_cast<std::size_t>(p)].complementary())
                continue;
            fold[static_cast<std::size_t>(p)] = next;
            next = (next + 1) % folds;
        }
    }
    return fold;
}

Dataset withAnswers(const Dataset& d, Answers answers)
{
    Dataset t;
    t.name = d.name;
    t.classNames = d.classNames;
    t.itemKeys = d.itemKeys;
    t.splits = d.splits;
    t.imagePaths = d.imagePaths;
    t.annotatorIds = d.annotatorIds;
    t.answers = std::move(answers);
    return t;
}

Dataset withoutFold(const Dataset& d, const std::vector<int>& fold, int f)
{
    const std::vector<Answer> all = d.answers.triplets();  // by-item order, as `fold`
    std::vector<Answer> kept;
    kept.reserve(all.size());
    for (std::size_t p = 0; p < all.size(); ++p)
        if (fold[p] != f)
            kept.push_back(all[p]);
    return withAnswers(d, Answers::fromTriplets(d.itemCount(), d.annotatorCount(), kept));
}

RowMatrixXd oneHotLabels(const std::vector<int>& labels, int classes)
{
    RowMatrixXd q = RowMatrixXd::Constant(static_cast<Eigen::Index>(labels.size()), classes, 1.0 / classes);
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= 0 && labels[i] < classes) {
            q.row(static_cast<Eigen::Index>(i)).setZero();
            q(static_cast<Eigen::Index>(i), labels[i]) = 1;
        }
    return q;
}

HeldOutScore heldOutAnswerScore(const Dataset& dataset, const PosteriorFit& fit, int folds, std::uint64_t seed,
                                double priorStrength)
{
    if (folds < 2)
        throw InputError("held-out answer score", "folds " + std::to_string(folds), "expected at least 2");
    const int n = dataset.itemCount();
    const int k = dataset.classCount();
    const int m = dataset.annotatorCount();
    const std::vector<int> fold = answerFolds(dataset.answers, folds, seed);
    const std::vector<Answers::Entry>& entries = dataset.answers.byItem();
    const std::vector<std::int64_t>& offsets = dataset.answers.itemOffsets();

    // Each held-out answer's consensus row, from the fit that did not see it.
    RowMatrixXd honest = RowMatrixXd::Zero(static_cast<Eigen::Index>(entries.size()), k);
    for (int f = 0; f < folds; ++f) {
        const RowMatrixXd q = fit(withoutFold(dataset, fold, f));
        if (q.rows() != n || q.cols() != k)
            throw InputError("held-out answer score", "fold " + std::to_string(f),
                             "the consensus gave " + std::to_string(q.rows()) + " x " + std::to_string(q.cols())
                                 + " posteriors for " + std::to_string(n) + " items of " + std::to_string(k)
                                 + " classes");
        for (int i = 0; i < n; ++i)
            for (std::int64_t p = offsets[static_cast<std::size_t>(i)]; p < offsets[static_cast<std::size_t>(i) + 1]; ++p)
                if (fold[static_cast<std::size_t>(p)] == f)
                    honest.row(static_cast<Eigen::Index>(p)) = q.row(i);
    }
    // Soft confusion counts per annotator, [true][given], and their pool, from those pairs only.
    std::vector<Eigen::MatrixXd> counts(static_cast<std::size_t>(m), Eigen::MatrixXd::Zero(k, k));
    Eigen::MatrixXd pooled = Eigen::MatrixXd::Ones(k, k);
    for (std::size_t p = 0; p < entries.size(); ++p) {
        if (fold[p] < 0)
            continue;
        const auto row = honest.row(static_cast<Eigen::Index>(p)).transpose();
        counts[static_cast<std::size_t>(entries[p].other)].col(entries[p].label) += row;
        pooled.col(entries[p].label) += row;
    }
    for (int t = 0; t < k; ++t)
        pooled.row(t) /= pooled.row(t).sum();
    std::vector<Eigen::VectorXd> totals(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j)
        totals[static_cast<std::size_t>(j)] = counts[static_cast<std::size_t>(j)].rowwise().sum();

    HeldOutScore score;
    double sum = 0;
    for (std::size_t p = 0; p < entries.size(); ++p) {
        if (fold[p] < 0)
            continue;
        const Answers::Entry& e = entries[p];
        const Eigen::MatrixXd& c = counts[static_cast<std::size_t>(e.other)];
        const Eigen::VectorXd& total = totals[static_cast<std::size_t>(e.other)];
        double prob = 0;
        for (int t = 0; t < k; ++t) {
            const double q = honest(static_cast<Eigen::Index>(p), t);
            if (q == 0)
                continue;
            // The annotator's other answers only (this one's own pair taken out).
            prob += q * (c(t, e.label) - q + priorStrength * pooled(t, e.label)) / (total(t) - q + priorStrength);
        }
        sum += std::log(std::max(prob, kFloor));
        ++score.answers;
    }
    score.meanLogLikelihood = score.answers > 0 ? sum / static_cast<double>(score.answers) : 0.0;
    return score;
}

}  // namespace crowdsift
