// Complementary answers ("not class k") in aggregation: the counting baseline and Dawid-Skene with
// complementary transition matrices on hand-computed cases and simulated crowds, the transition
// matrix of the data, and, for every strategy, that a "not k" never counts as a vote for k.

#include "test_aggregate_common.h"

#include "aggregate/complementary.h"
#include "aggregate/registry.h"
#include "aggregate/simulate.h"
#include "util/error.h"

#include <QTest>

#include <algorithm>
#include <random>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

Dataset tinyDataset(int items, int annotators, int classes, const std::vector<Answer>& answers)
{
    Dataset d;
    d.name = "tiny";
    for (int i = 0; i < items; ++i)
        d.itemKeys.push_back("i" + std::to_string(i));
    for (int w = 0; w < annotators; ++w)
        d.annotatorIds.push_back("w" + std::to_string(w));
    for (int c = 0; c < classes; ++c)
        d.classNames.push_back("c" + std::to_string(c));
    d.splits.assign(static_cast<std::size_t>(items), Split::Train);
    d.imagePaths.assign(static_cast<std::size_t>(items), std::string());
    d.answers = Answers::fromTriplets(items, annotators, answers);
    return d;
}

// `base` plus `extra` complementary annotators "cl0".."cl<extra-1>"; `label(i, j)` is the class
// annotator j says item i is not, -1 for no answer.
template <typename Label>
Dataset withComplementary(const Dataset& base, int extra, Label label)
{
    Dataset d = base;
    std::vector<Answer> triplets = base.answers.triplets();
    const int m = base.annotatorCount();
    for (int j = 0; j < extra; ++j)
        d.annotatorIds.push_back("cl" + std::to_string(j));
    for (int i = 0; i < base.itemCount(); ++i)
        for (int j = 0; j < extra; ++j) {
            const int k = label(i, j);
            if (k >= 0)
                triplets.push_back(Answer{i, m + j, k, true});
        }
    d.answers = Answers::fromTriplets(base.itemCount(), m + extra, triplets);
    d.validate();
    return d;
}

// Three complementary labels per item drawn from a known transition: uniform over the other
// classes, or biased towards the classes far from the true one (as a VLM's are).
Eigen::MatrixXd biasedTransition(int k)
{
    Eigen::MatrixXd q = Eigen::MatrixXd::Zero(k, k);
    for (int y = 0; y < k; ++y) {
        for (int c = 0; c < k; ++c) {
            const int distance = std::min(std::abs(c - y), k - std::abs(c - y));
            q(y, c) = c == y ? 0.0 : static_cast<double>(distance * distance);
        }
        q.row(y) /= q.row(y).sum();
    }
    return q;
}

int draw(const Eigen::MatrixXd& q, int y, std::mt19937_64& random)
{
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double r = u(random);
    for (int c = 0; c < q.cols(); ++c) {
        r -= q(y, c);
        if (r < 0)
            return c;
    }
    return static_cast<int>(q.cols()) - 1;
}

}  // namespace

class TestAggregateComplementary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // K = 3. Item 0: a vote for 1 and "not 1" -> scores (0.5, 1, 0.5) -> (0.25, 0.5, 0.25).
    // Item 1: only "not 0" -> (0, 0.5, 0.5), a tie between 1 and 2. Item 2: nothing -> priors.
    void countingBaselineHandComputed()
    {
        const Dataset d = tinyDataset(3, 2, 3, {Answer{0, 0, 1, false}, Answer{0, 1, 1, true}, Answer{1, 1, 0, true}});
        const AggregationResult r = aggregate("comp-vote", d);
        QCOMPARE(r.labels, (std::vector<int>{1, 1, -1}));
        QCOMPARE(r.tiedItems, std::vector<int>{1});
        QVERIFY(std::abs(r.posteriors(0, 0) - 0.25) < 1e-12);
        QVERIFY(std::abs(r.posteriors(0, 1) - 0.5) < 1e-12);
        QVERIFY(std::abs(r.posteriors(1, 0)) < 1e-12);
        QVERIFY(std::abs(r.posteriors(1, 2) - 0.5) < 1e-12);
        // priors = mean of the answered rows: (0.125, 0.5, 0.375)
        QVERIFY(std::abs(r.classPriors(2) - 0.375) < 1e-12);
        QVERIFY(std::abs(r.posteriors(2, 2) - 0.375) < 1e-12);
        // w1: "not 1" on item 0 (label 1, wrong), "not 0" on item 1 (label 1, right).
        QVERIFY(std::abs(r.annotatorSkill(1) - 0.5) < 1e-12);
        QCOMPARE(r.extra["complementary_answers"].get<int>(), 2);
        QVERIFY(!r.extra.contains("warnings"));
    }

    // With two classes "not k" says the same as a vote for the other class, so comp-ds on
    // complementary answers must give Dawid-Skene's result on the equivalent votes.
    void twoClassesReduceToDawidSkene()
    {
        CrowdSpec spec;
        spec.items = 300;
        spec.classes = 2;
        spec.annotators = 12;
        spec.answersPerItem = 4;
        spec.model = CrowdModel::Confusion;
        spec.seed = 5;
        const Dataset votes = simulateCrowd(spec);
        Dataset flipped = votes;
        std::vector<Answer> triplets = votes.answers.triplets();
        for (Answer& a : triplets) {
            a.label = 1 - a.label;
            a.complementary = true;
        }
        flipped.answers = Answers::fromTriplets(votes.itemCount(), votes.annotatorCount(), triplets);
        const nlohmann::json params = {{"prior_strength", 0.0}, {"max_iterations", 30}, {"tolerance", -1.0}};
        const AggregationResult comp = aggregate("comp-ds", flipped, params);
        const AggregationResult ds = aggregate("ds", votes, {{"max_iterations", 30}, {"tolerance", -1.0}});
        QCOMPARE(comp.labels, ds.labels);
        QVERIFY2(maxAbsDiff(comp.posteriors, ds.posteriors) < 1e-6, std::to_string(maxAbsDiff(comp.posteriors, ds.posteriors)).c_str());
        // Q_w(y, 1 - l) = pi_w(y, l) of the votes.
        const nlohmann::json& q = comp.extra["complementary_transitions"];
        for (int w = 0; w < votes.annotatorCount(); ++w)
            for (int y = 0; y < 2; ++y)
                QVERIFY(std::abs(q[w][y][1].get<double>() - ds.confusions[w](y, 0)) < 1e-6);
    }

    // A simulated crowd of votes plus three complementary labellers drawing from a known
    // transition (one uniform, two biased): EM's objective never decreases, it recovers the
    // transitions, beats the counting baseline, and the data's transition against truth matches.
    void recoversTransitionsOnSimulatedData()
    {
        CrowdSpec spec;
        spec.items = 3000;
        spec.classes = 5;
        spec.annotators = 30;
        spec.answersPerItem = 2;
        spec.accuracyLow = 0.4;
        spec.accuracyHigh = 0.7;
        spec.seed = 11;
        const Dataset votes = simulateCrowd(spec);
        const int k = spec.classes;
        Eigen::MatrixXd uniform = Eigen::MatrixXd::Constant(k, k, 1.0 / (k - 1));
        uniform.diagonal().setZero();
        const Eigen::MatrixXd biased = biasedTransition(k);
        std::mt19937_64 random(3);
        std::vector<std::vector<int>> labels(static_cast<std::size_t>(votes.itemCount()), std::vector<int>(3));
        for (int i = 0; i < votes.itemCount(); ++i)
            for (int j = 0; j < 3; ++j)
                labels[i][j] = draw(j == 0 ? uniform : biased, votes.truth[i], random);
        const Dataset d = withComplementary(votes, 3, [&](int i, int j) { return labels[i][j]; });

        const AggregationResult counting = aggregate("comp-vote", d);
        const AggregationResult em = aggregate("comp-ds", d);
        const AggregationResult votesOnly = aggregate("ds", votes);
        for (std::size_t t = 1; t < em.logLikelihood.size(); ++t)
            QVERIFY(em.logLikelihood[t] >= em.logLikelihood[t - 1] - 1e-9 * std::abs(em.logLikelihood[t - 1]));
        for (Eigen::Index i = 0; i < em.posteriors.rows(); ++i)
            QVERIFY(std::abs(em.posteriors.row(i).sum() - 1.0) < 1e-9);
        const double accCounting = accuracy(counting.labels, d.truth);
        const double accEm = accuracy(em.labels, d.truth);
        const double accVotes = accuracy(votesOnly.labels, votes.truth);
        qInfo("accuracy: comp-ds %.4f, comp-vote %.4f, ds on the votes only %.4f", accEm, accCounting, accVotes);
        QVERIFY2(accEm > accCounting && accEm > accVotes + 0.05,
                 (std::to_string(accEm) + " vs " + std::to_string(accCounting) + ", votes only " + std::to_string(accVotes)).c_str());
        // Independent labellers' "not"s coincide on some items: no warning that they look like one
        // labeller's set.
        QVERIFY(!em.extra.contains("warnings"));
        const int m = votes.annotatorCount();
        const nlohmann::json& q = em.extra["complementary_transitions"];
        // About 600 answers per class and labeller: a share's sampling error is about 0.02.
        for (int j = 0; j < 3; ++j) {
            const double error = maxAbsDiff(jsonMatrix(q[m + j]), j == 0 ? uniform : biased);
            QVERIFY2(error < 0.08, (std::to_string(j) + ": " + std::to_string(error)).c_str());
        }
        const double truthError = maxAbsDiff(complementaryTransition(d, em.posteriors, d.truth, m + 1), biased);
        QVERIFY2(truthError < 0.07, std::to_string(truthError).c_str());
        const double posteriorError = maxAbsDiff(complementaryTransition(d, em.posteriors, {}, m + 1), biased);
        QVERIFY2(posteriorError < 0.08, std::to_string(posteriorError).c_str());
        // A dataset of complementary answers only is valid and aggregated.
        const Dataset only = withComplementary(tinyDataset(votes.itemCount(), 0, k, {}), 3,
                                               [&](int i, int j) { return labels[i][j]; });
        Dataset onlyWithTruth = only;
        onlyWithTruth.truth = votes.truth;
        const AggregationResult onlyEm = aggregate("comp-ds", onlyWithTruth);
        QVERIFY(accuracy(onlyEm.labels, onlyWithTruth.truth) > 0.5);
    }

    // For every strategy: "not k" answers added to items never raise the posterior of k. The
    // strategies that read them get a careful complementary labeller ("not" one of the wrong
    // classes, alternately) on items 10..599, then on items 0..9 too, "not" the label the votes
    // gave: those items' posterior of that label must fall. (On a few dozen items comp-ds's
    // 2 K x K matrices per annotator are not identified: EM may relabel items whatever one answer
    // says, so the crowd is of a size where the model is.) Strategies that cannot read complementary answers give exactly
    // their votes-only result and say that they ignored them.
    void complementaryIsNeverAVote()
    {
        CrowdSpec spec;
        spec.items = 600;
        spec.classes = 3;
        spec.annotators = 8;
        spec.answersPerItem = 3;
        spec.seed = 2;
        const Dataset votes = simulateCrowd(spec);
        for (const StrategyInfo& info : strategies()) {
            const AggregationResult votesOnly = aggregate(info.name, votes);
            const auto careful = [&](int i) { return (votes.truth[i] + 1 + i % 2) % spec.classes; };
            const Dataset before = withComplementary(votes, 1, [&](int i, int) { return i < 10 ? -1 : careful(i); });
            const Dataset after = withComplementary(votes, 1, [&](int i, int) {
                return i < 10 ? votesOnly.labels[i] : careful(i);
            });
            const AggregationResult a = aggregate(info.name, before);
            const AggregationResult b = aggregate(info.name, after);
            if (!info.readsComplementary) {
                QVERIFY2(b.extra.contains("warnings"), info.name.c_str());
                QCOMPARE(b.extra["warnings"].size(), std::size_t{1});
                QCOMPARE(b.extra["skipped_complementary_answers"].get<int>(), spec.items);
                QCOMPARE(b.labels, votesOnly.labels);
                QVERIFY2(maxAbsDiff(b.posteriors, votesOnly.posteriors) < 1e-9, info.name.c_str());
                continue;
            }
            QVERIFY2(!b.extra.contains("warnings"), info.name.c_str());
            for (int i = 0; i < 10; ++i) {
                const int k = votesOnly.labels[i];
                QVERIFY2(b.posteriors(i, k) < a.posteriors(i, k) || a.posteriors(i, k) == 1.0,
                         (info.name + " item " + std::to_string(i) + ": " + std::to_string(a.posteriors(i, k)) + " -> "
                          + std::to_string(b.posteriors(i, k))).c_str());
            }
        }
    }

    // Only complementary answers: a strategy that reads votes has nothing to read and says so,
    // naming the two that do, instead of a run that labels nothing; those two label every item.
    void onlyComplementaryNeedsAComplementaryStrategy()
    {
        std::vector<Answer> answers;
        for (int i = 0; i < 6; ++i)
            for (int w = 0; w < 2; ++w)
                answers.push_back({i, w, (i + 1 + w) % 3, true});
        const Dataset d = tinyDataset(6, 2, 3, answers);
        for (const StrategyInfo& info : strategies()) {
            if (info.readsComplementary) {
                const AggregationResult r = aggregate(info.name, d);
                QVERIFY2(std::count(r.labels.begin(), r.labels.end(), -1) == 0, info.name.c_str());
                continue;
            }
            try {
                aggregate(info.name, d);
                QFAIL(("no error from " + info.name).c_str());
            } catch (const InputError& e) {
                const std::string what = e.what();
                QVERIFY2(what.find(info.name + " reads only votes") != std::string::npos
                             && what.find("all 12 answers are complementary") != std::string::npos
                             && what.find("comp-ds or comp-vote") != std::string::npos,
                         what.c_str());
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestAggregateComplementary)
#include "test_aggregate_complementary.moc"
