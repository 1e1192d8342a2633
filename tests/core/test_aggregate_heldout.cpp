// The held-out answer score (aggregate/heldout.h): a hand-derived case, its ordering of consensus
// posteriors on a simulated crowd, determinism, folds and bad input.

#include "aggregate/heldout.h"

#include "aggregate/common.h"

#include "aggregate/registry.h"
#include "aggregate/simulate.h"
#include "util/error.h"

#include <QTest>

#include <cmath>

using namespace crowdsift;

namespace {

// One annotator who is always right on 6 items (classes 0, 0, 0, 1, 1, 2 of K = 3).
Dataset perfectSingleAnnotator()
{
    Dataset d;
    d.name = "single";
    d.classNames = {"a", "b", "c"};
    d.truth = {0, 0, 0, 1, 1, 2};
    for (std::size_t i = 0; i < d.truth.size(); ++i)
        d.itemKeys.push_back(std::to_string(i));
    d.annotatorIds = {"w"};
    std::vector<Answer> answers;
    for (std::size_t i = 0; i < d.truth.size(); ++i)
        answers.push_back({static_cast<std::int32_t>(i), 0, d.truth[i], false});
    d.answers = Answers::fromTriplets(6, 1, answers);
    return d;
}

}  // namespace

class TestAggregateHeldout : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Hand-derived: with the truth as posteriors and one always-right annotator (classes 0, 0, 0,
    // 1, 1, 2 of K = 3), the folds do not matter. Class t has n_t answers; the pooled row t is
    // n_t + 1 on t and 1 on each other class, over n_t + 3; an answer of class t scores, from the
    // annotator's n_t - 1 other answers and s = 2 pseudo-answers spread as the pooled row,
    // P(t | t) = (n_t - 1 + 2 (n_t + 1) / (n_t + 3)) / (n_t - 1 + 2):
    // n = 3: (2 + 4/3) / 4 = 5/6; n = 2: (1 + 6/5) / 3 = 11/15; n = 1: (0 + 1) / 2 = 1/2.
    void handDerivedSingleAnnotator()
    {
        const Dataset d = perfectSingleAnnotator();
        const double expected = (3 * std::log(5.0 / 6) + 2 * std::log(11.0 / 15) + std::log(0.5)) / 6;
        for (const int folds : {2, 3, 6}) {
            const HeldOutScore s =
                heldOutAnswerScore(d, [&](const Dataset&) { return oneHotLabels(d.truth, 3); }, folds, 7);
            QCOMPARE(s.answers, std::int64_t(6));
            QVERIFY2(std::abs(s.meanLogLikelihood - expected) < 1e-12,
                     qPrintable(QString("%1 vs %2").arg(s.meanLogLikelihood, 0, 'g', 17).arg(expected, 0, 'g', 17)));
        }
    }

    // Every usable answer is held out exactly once, and an item loses at most ceil(n / folds).
    void foldsHoldOutEachAnswerOnce()
    {
        CrowdSpec spec;
        spec.items = 300;
        spec.classes = 4;
        spec.annotators = 20;
        spec.answersPerItem = 7;
        const Dataset d = simulateCrowd(spec);
        const std::vector<int> fold = answerFolds(d.answers, 5, 3);
        QCOMPARE(fold.size(), d.answers.size());
        for (int i = 0; i < d.itemCount(); ++i) {
            int perFold[5] = {0, 0, 0, 0, 0};
            for (std::int64_t p = d.answers.itemOffsets()[static_cast<std::size_t>(i)];
                 p < d.answers.itemOffsets()[static_cast<std::size_t>(i) + 1]; ++p)
                ++perFold[fold[static_cast<std::size_t>(p)]];
            for (const int c : perFold)
                QVERIFY(c == 1 || c == 2);  // 7 answers over 5 folds
        }
        std::size_t total = 0;
        for (int f = 0; f < 5; ++f)
            total += withoutFold(d, fold, f).answers.size();
        QCOMPARE(total, 4 * d.answers.size());
    }

    // On a simulated crowd, labels closer to the truth predict held-out answers better: the truth,
    // then the truth with 10 % and 40 % of its labels moved to another class, then labels drawn
    // at random; refitted on the answers it may see, Dawid-Skene (84.7 % accurate on all answers)
    // scores between the truth and majority vote (82.8 %), and both above random labels.
    void ordersConsensusesByQuality()
    {
        CrowdSpec spec;
        spec.items = 600;
        spec.classes = 3;
        spec.annotators = 30;
        spec.answersPerItem = 5;
        spec.model = CrowdModel::Confusion;
        spec.accuracyLow = 0.45;
        spec.accuracyHigh = 0.85;
        spec.seed = 5;
        const Dataset d = simulateCrowd(spec);
        const int k = d.classCount();
        const auto fixedLabels = [&](const std::vector<int>& labels) {
            return heldOutAnswerScore(d, [&](const Dataset&) { return oneHotLabels(labels, k); }).meanLogLikelihood;
        };
        const auto corrupted = [&](int percent) {
            std::vector<int> labels(d.truth.begin(), d.truth.end());
            for (std::size_t i = 0; i < labels.size(); ++i)
                if (static_cast<int>((i * 7919 + 13) % 100) < percent)
                    labels[i] = (labels[i] + 1 + static_cast<int>(i % 2)) % k;
            return labels;
        };
        const double truth = fixedLabels(corrupted(0));
        const double ten = fixedLabels(corrupted(10));
        const double forty = fixedLabels(corrupted(40));
        std::vector<int> random(d.truth.size());
        for (std::size_t i = 0; i < random.size(); ++i)
            random[i] = static_cast<int>((i * 7919 + 13) % static_cast<std::size_t>(k));
        const double noise = fixedLabels(random);
        QVERIFY2(truth > ten && ten > forty && forty > noise,
                 qPrintable(QString("truth %1, 10 % wrong %2, 40 % wrong %3, random %4").arg(truth).arg(ten).arg(forty).arg(noise)));
        const auto refitted = [k](const char* strategy) {
            return [k, strategy](const Dataset& t) { return oneHotLabels(aggregate(strategy, t).labels, k); };
        };
        const double ds = heldOutAnswerScore(d, refitted("ds")).meanLogLikelihood;
        const double mv = heldOutAnswerScore(d, refitted("mv")).meanLogLikelihood;
        const double dsAccuracy = accuracy(aggregate("ds", d).labels, d.truth);
        const double mvAccuracy = accuracy(aggregate("mv", d).labels, d.truth);
        QVERIFY2(truth > ds && ds > mv && mv > noise && dsAccuracy > mvAccuracy,
                 qPrintable(QString("truth %1, ds %2 (accuracy %5), mv %3 (accuracy %6), random %4")
                                .arg(truth).arg(ds).arg(mv).arg(noise).arg(dsAccuracy).arg(mvAccuracy)));
        QCOMPARE(heldOutAnswerScore(d, refitted("ds")).meanLogLikelihood, ds);
    }

    void oneHotRows()
    {
        const RowMatrixXd q = oneHotLabels({2, -1, 0}, 3);
        RowMatrixXd expected(3, 3);
        expected << 0, 0, 1, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 0, 0;
        QVERIFY(q == expected);
    }

    void badInputIsRejected()
    {
        const Dataset d = perfectSingleAnnotator();
        QVERIFY_THROWS_EXCEPTION(InputError, heldOutAnswerScore(d, [&](const Dataset&) { return oneHotLabels(d.truth, 3); }, 1));
        QVERIFY_THROWS_EXCEPTION(InputError, heldOutAnswerScore(d, [&](const Dataset&) { return oneHotLabels(d.truth, 2); }));
    }
};

QTEST_APPLESS_MAIN(TestAggregateHeldout)
#include "test_aggregate_heldout.moc"
