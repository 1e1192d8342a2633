#include "aggregate/common.h"

#include "util/error.h"

#include <cmath>
#include <limits>

namespace crowdsift {

double accuracy(const std::vector<int>& labels, const std::vector<std::int32_t>& truth)
{
    std::int64_t known = 0;
    std::int64_t correct = 0;
    const std::size_t n = std::min(labels.size(), truth.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (truth[i] < 0)
            continue;
        ++known;
        correct += labels[i] == truth[i] ? 1 : 0;
    }
    return known == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : static_cast<double>(correct) / static_cast<double>(known);
}

void checkAggregationInput(const Dataset& dataset, const std::string& strategy, int minClasses)
{
    const std::string source = dataset.source.empty() ? dataset.name : dataset.source;
    const int k = dataset.classCount();
    if (k < minClasses)
        throw InputError(source, "classes",
                         strategy + " needs at least " + std::to_string(minClasses) + " classes, the dataset has "
                             + std::to_string(k));
    if (dataset.answers.itemCount() != dataset.itemCount()
        || dataset.answers.annotatorCount() != dataset.annotatorCount())
        throw InputError(source, "answers",
                         "the answers are sized for " + std::to_string(dataset.answers.itemCount()) + " items and "
                             + std::to_string(dataset.answers.annotatorCount()) + " annotators, the dataset has "
                             + std::to_string(dataset.itemCount()) + " and "
                             + std::to_string(dataset.annotatorCount()));
    for (int i = 0; i < dataset.answers.itemCount(); ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (e.label < 0 || e.label >= k)
                throw InputError(source, "item " + (i < dataset.itemCount() ? dataset.itemKeys[i] : std::to_string(i)),
                                 "label " + std::to_string(e.label) + " is outside the " + std::to_string(k)
                                     + " classes");
}

std::int64_t usableAnswerCount(const Dataset& dataset)
{
    std::int64_t n = 0;
    for (const Answers::Entry& e : dataset.answers.byItem())
        n += e.complementary() ? 0 : 1;
    return n;
}

RowMatrixXd voteCounts(const Dataset& dataset)
{
    const int n = dataset.itemCount();
    RowMatrixXd counts = RowMatrixXd::Zero(n, dataset.classCount());
    for (int i = 0; i < n; ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (!e.complementary())
                counts(i, e.label) += 1.0;
    return counts;
}

RowMatrixXd voteFractions(const Dataset& dataset)
{
    RowMatrixXd fractions = voteCounts(dataset);
    const double uniform = dataset.classCount() > 0 ? 1.0 / dataset.classCount() : 0.0;
    for (Eigen::Index i = 0; i < fractions.rows(); ++i) {
        const double sum = fractions.row(i).sum();
        if (sum > 0)
            fractions.row(i) /= sum;
        else
            fractions.row(i).setConstant(uniform);
    }
    return fractions;
}

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

HardLabels hardLabels(const RowMatrixXd& scores, const std::vector<char>& answered, bool randomTies,
                      std::uint64_t seed)
{
    const Eigen::Index n = scores.rows();
    const Eigen::Index k = scores.cols();
    HardLabels out;
    out.labels.assign(static_cast<std::size_t>(n), -1);
    std::vector<int> tiedClasses;
    for (Eigen::Index i = 0; i < n; ++i) {
        if (!answered[static_cast<std::size_t>(i)] || k == 0)
            continue;
        int best = 0;
        for (Eigen::Index c = 1; c < k; ++c)
            if (scores(i, c) > scores(i, best))
                best = static_cast<int>(c);
        tiedClasses.clear();
        for (Eigen::Index c = 0; c < k; ++c)
            if (scores(i, c) == scores(i, best))
                tiedClasses.push_back(static_cast<int>(c));
        if (tiedClasses.size() > 1) {
            out.tied.push_back(static_cast<int>(i));
            if (randomTies)
                best = tiedClasses[mixSeed(seed, static_cast<std::uint64_t>(i)) % tiedClasses.size()];
        }
        out.labels[static_cast<std::size_t>(i)] = best;
    }
    return out;
}

std::vector<std::size_t> annotatorMajorPositions(const Answers& answers)
{
    std::vector<std::size_t> positions(answers.size());
    std::vector<std::int64_t> cursor(answers.annotatorOffsets().begin(), answers.annotatorOffsets().end() - 1);
    for (std::size_t p = 0; p < answers.size(); ++p)
        positions[static_cast<std::size_t>(cursor[static_cast<std::size_t>(answers.byItem()[p].other)]++)] = p;
    return positions;
}

std::vector<char> answeredItems(const Dataset& dataset)
{
    std::vector<char> answered(static_cast<std::size_t>(dataset.itemCount()), 0);
    for (int i = 0; i < dataset.itemCount(); ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (!e.complementary()) {
                answered[static_cast<std::size_t>(i)] = 1;
                break;
            }
    return answered;
}

std::vector<Eigen::MatrixXd> confusionsFromPosteriors(const Dataset& dataset, const RowMatrixXd& posteriors)
{
    const int k = dataset.classCount();
    std::vector<Eigen::MatrixXd> confusions(static_cast<std::size_t>(dataset.annotatorCount()));
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(k, k);
        for (const Answers::Entry& e : dataset.answers.ofAnnotator(w))
            if (!e.complementary())
                counts.col(e.label) += posteriors.row(e.other).transpose();
        for (int t = 0; t < k; ++t) {
            const double sum = counts.row(t).sum();
            if (sum > 0)
                counts.row(t) /= sum;
        }
        confusions[static_cast<std::size_t>(w)] = std::move(counts);
    }
    return confusions;
}

Eigen::VectorXd agreementWithLabels(const Dataset& dataset, const std::vector<int>& labels)
{
    Eigen::VectorXd agreement(dataset.annotatorCount());
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        std::int64_t total = 0;
        std::int64_t agree = 0;
        for (const Answers::Entry& e : dataset.answers.ofAnnotator(w)) {
            if (e.complementary())
                continue;
            ++total;
            agree += labels[static_cast<std::size_t>(e.other)] == e.label ? 1 : 0;
        }
        agreement[w] = total == 0 ? std::numeric_limits<double>::quiet_NaN()
                                  : static_cast<double>(agree) / static_cast<double>(total);
    }
    return agreement;
}

Eigen::VectorXd meanPosterior(const RowMatrixXd& posteriors, const std::vector<char>& answered)
{
    const Eigen::Index k = posteriors.cols();
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(k);
    std::int64_t count = 0;
    for (Eigen::Index i = 0; i < posteriors.rows(); ++i) {
        if (!answered[static_cast<std::size_t>(i)])
            continue;
        sum += posteriors.row(i).transpose();
        ++count;
    }
    if (count == 0)
        return Eigen::VectorXd::Constant(k, k > 0 ? 1.0 / static_cast<double>(k) : 0.0);
    return sum / static_cast<double>(count);
}

}  // namespace crowdsift
