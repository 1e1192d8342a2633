#include "learn/crowdlab_loop.h"

#include "learn_testdata.h"

#include "aggregate/common.h"
#include "aggregate/registry.h"
#include "util/error.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

int differences(const std::vector<int>& a, const std::vector<int>& b)
{
    int count = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        count += a[i] != b[i] ? 1 : 0;
    return count;
}

// Seeded, one thread, CPU: on the synthetic crowd with smallConfig the loop newly changes 79
// items, then 1, then none (one item changes back), so it converges at iteration 3. Measured; a
// change here means the training or the consensus computes something else.
constexpr int kConvergedAt = 3;
constexpr int kFirstChanges = 79;

}  // namespace

class TestLoop : public QObject {
    Q_OBJECT

private:
    Dataset dataset_ = syntheticCrowd();
    LearnInput input_ = learnInputFromFeatures(dataset_);

private Q_SLOTS:
    void consensusBeatsMajorityVote()
    {
        std::vector<int> reported;
        const LoopResult r = runCrowdlabLoop(dataset_, input_, smallConfig(3), Progress::none(),
                                             [&](const LoopIteration& it) { reported.push_back(it.iteration); });
        QVERIFY(r.majorityVoteAccuracy > 0.6 && r.majorityVoteAccuracy < 0.9);
        QCOMPARE(r.dawidSkeneAccuracy, accuracy(aggregate("ds", dataset_).labels, dataset_.truth));
        QVERIFY(!r.iterations.empty());
        const LoopIteration& last = r.iterations.back();
        QVERIFY2(last.consensusAccuracy > r.majorityVoteAccuracy + 0.03,
                 qPrintable(QString("consensus %1 vs majority vote %2").arg(last.consensusAccuracy).arg(r.majorityVoteAccuracy)));
        QVERIFY(last.modelAccuracy > 0.85);
        QVERIFY(last.modelWeight > 0);
        QVERIFY(last.meanConsensusQuality > 0 && last.meanConsensusQuality <= 1);
        QVERIFY(last.trainSamplesPerSecond > 0);
        QCOMPARE(accuracy(r.consensus.consensusLabel, dataset_.truth), last.consensusAccuracy);
        QCOMPARE(r.majorityVote, cleanlabMajorityVote(dataset_));
        QCOMPARE(r.probabilities.rows(), Eigen::Index(kItems));
        QCOMPARE(r.probabilities.cols(), Eigen::Index(kClasses));
        QCOMPARE(r.lastHistory.size(), std::size_t(3));
        for (std::size_t i = 0; i < reported.size(); ++i)
            QCOMPARE(reported[i], static_cast<int>(i) + 1);
        QCOMPARE(reported.size(), r.iterations.size());
    }

    // Iteration i's seed does not depend on maxIterations, so shorter runs replay the first
    // iterations of longer ones and give each iteration's consensus to recount the changes.
    // Runs of 1 .. kConvergedAt iterations: each runs all its iterations, only the last converges.
    void changeCountsMatchTheConsensusOfEachIteration()
    {
        std::vector<std::vector<int>> consensus{cleanlabMajorityVote(dataset_)};
        LoopResult longest;
        for (int max = 1; max <= kConvergedAt; ++max) {
            LoopResult r = runCrowdlabLoop(dataset_, input_, smallConfig(max));
            QCOMPARE(static_cast<int>(r.iterations.size()), max);
            QCOMPARE(r.converged, max == kConvergedAt);
            consensus.push_back(r.consensus.consensusLabel);
            longest = std::move(r);
        }
        QCOMPARE(static_cast<int>(longest.iterations.size()), kConvergedAt);
        std::vector<char> everChanged(kItems, 0);
        for (std::size_t it = 0; it < longest.iterations.size(); ++it) {
            const LoopIteration& record = longest.iterations[it];
            QCOMPARE(record.iteration, static_cast<int>(it) + 1);
            QCOMPARE(record.changed, differences(consensus[it], consensus[it + 1]));
            int newly = 0;
            for (int i = 0; i < kItems; ++i) {
                if (consensus[it][static_cast<std::size_t>(i)] != consensus[it + 1][static_cast<std::size_t>(i)]
                    && !everChanged[static_cast<std::size_t>(i)]) {
                    everChanged[static_cast<std::size_t>(i)] = 1;
                    ++newly;
                }
            }
            QCOMPARE(record.newlyChanged, newly);
            QVERIFY(record.newlyChanged <= record.changed);
        }
        QCOMPARE(longest.iterations.front().changed, kFirstChanges);
        // The last iteration changed an item back: changes, but none for the first time.
        QVERIFY(longest.iterations.back().changed > 0);
    }

    // Up to 8 iterations: converged at kConvergedAt, where no item changed for the first time,
    // after iterations that each changed some. Up to 1: stopped there, unconverged.
    void stopsWhenNoItemChangesForTheFirstTime()
    {
        const LoopResult r = runCrowdlabLoop(dataset_, input_, smallConfig(8));
        QVERIFY(r.converged);
        QCOMPARE(static_cast<int>(r.iterations.size()), kConvergedAt);
        QCOMPARE(r.iterations.back().newlyChanged, 0);
        for (std::size_t i = 0; i + 1 < r.iterations.size(); ++i)
            QVERIFY(r.iterations[i].newlyChanged > 0);

        const LoopResult once = runCrowdlabLoop(dataset_, input_, smallConfig(1));
        QCOMPARE(once.iterations.size(), std::size_t(1));
        QVERIFY(!once.converged);
        QCOMPARE(once.iterations.front().newlyChanged, kFirstChanges);
    }

    // A crowd that is unanimous and right, on features the model separates without error: the
    // consensus is the majority vote from the start, so the loop converges at iteration 1 with
    // nothing changed (by construction, not by measurement).
    void agreeingCrowdConvergesAtOnce()
    {
        Dataset agreeing = dataset_;
        std::vector<Answer> answers = agreeing.answers.triplets();
        for (Answer& a : answers)
            a.label = agreeing.truth[static_cast<std::size_t>(a.item)];
        agreeing.answers = Answers::fromTriplets(kItems, agreeing.annotatorCount(), answers);
        for (int i = 0; i < kItems; ++i)
            for (int j = 0; j < kDims; ++j)
                agreeing.features(i, j) = j % kClasses == agreeing.truth[static_cast<std::size_t>(i)] ? 5.0f : 0.0f;
        agreeing.validate();
        const LoopResult r = runCrowdlabLoop(agreeing, learnInputFromFeatures(agreeing), smallConfig(8));
        QVERIFY(r.converged);
        QCOMPARE(r.iterations.size(), std::size_t(1));
        QCOMPARE(r.iterations.front().changed, 0);
        QCOMPARE(r.iterations.front().consensusAccuracy, 1.0);
        QCOMPARE(r.consensus.consensusLabel, std::vector<int>(agreeing.truth.begin(), agreeing.truth.end()));
    }

    void truthIsNeverUsedForTraining()
    {
        Dataset scrambled = dataset_;
        std::mt19937_64 rng(3);
        std::shuffle(scrambled.truth.begin(), scrambled.truth.end(), rng);
        const LoopResult a = runCrowdlabLoop(dataset_, input_, smallConfig(2));
        const LoopResult b = runCrowdlabLoop(scrambled, input_, smallConfig(2));
        QCOMPARE(a.consensus.consensusLabel, b.consensus.consensusLabel);
        QVERIFY(a.probabilities == b.probabilities);
        QCOMPARE(a.iterations.size(), b.iterations.size());
        QVERIFY(a.iterations.back().consensusAccuracy != b.iterations.back().consensusAccuracy);

        Dataset noTruth = dataset_;
        noTruth.truth.clear();
        const LoopResult c = runCrowdlabLoop(noTruth, input_, smallConfig(2));
        QCOMPARE(c.consensus.consensusLabel, a.consensus.consensusLabel);
        QVERIFY(std::isnan(c.majorityVoteAccuracy));
        QVERIFY(std::isnan(c.dawidSkeneAccuracy));
        QVERIFY(std::isnan(c.iterations.front().consensusAccuracy));
        QVERIFY(std::isnan(c.iterations.front().modelAccuracy));
    }

    void sameSeedSameResult()
    {
        const LoopResult a = runCrowdlabLoop(dataset_, input_, smallConfig(2));
        const LoopResult b = runCrowdlabLoop(dataset_, input_, smallConfig(2));
        QVERIFY(a.probabilities == b.probabilities);
        QCOMPARE(a.consensus.consensusLabel, b.consensus.consensusLabel);
        LoopConfig other = smallConfig(2);
        other.train.seed = 12345;
        const LoopResult c = runCrowdlabLoop(dataset_, input_, other);
        QVERIFY(!(a.probabilities == c.probabilities));
    }

    void softTargetsAlsoBeatMajorityVote()
    {
        LoopConfig config = smallConfig(2);
        config.softTargets = true;
        const LoopResult r = runCrowdlabLoop(dataset_, input_, config);
        QVERIFY(r.iterations.back().consensusAccuracy > r.majorityVoteAccuracy);
        const LoopResult hard = runCrowdlabLoop(dataset_, input_, smallConfig(2));
        QVERIFY(!(r.probabilities == hard.probabilities));
    }

    void progressCoversEveryIterationAndCancelStops()
    {
        double last = -1;
        bool monotone = true;
        bool sawIteration = false;
        Progress progress(
            [&](double fraction, const std::string& stage) {
                monotone = monotone && fraction >= last - 1e-9 && fraction <= 1.0 + 1e-9;
                last = fraction;
                sawIteration = sawIteration || stage.rfind("iteration 2/2", 0) == 0;
            },
            0);
        runCrowdlabLoop(dataset_, input_, smallConfig(2), progress);
        QVERIFY(monotone);
        QCOMPARE(last, 1.0);
        QVERIFY(sawIteration);

        Progress cancelling;
        int epochsAfterCancel = 0;
        bool cancelled = false;
        try {
            runCrowdlabLoop(dataset_, input_, smallConfig(3), cancelling, {}, [&](int, const EpochRecord& e) {
                if (cancelling.isCancelled())
                    ++epochsAfterCancel;
                if (e.epoch == 2)
                    cancelling.cancel();
            });
        } catch (const Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QCOMPARE(epochsAfterCancel, 0);
    }

    // keepBest: every iteration is scored on held-out answers, the kept one scores highest, and
    // the result is that iteration's (the loop replayed up to it gives the same consensus and
    // probabilities: an iteration's seed does not depend on maxIterations). Majority vote, the
    // default start, is scored too, and on this crowd the loop beats it. Off: the last iteration.
    void keepsTheIterationThatBestPredictsHeldOutAnswers()
    {
        LoopConfig config = smallConfig(kConvergedAt);
        config.keepBest = true;
        const LoopResult r = runCrowdlabLoop(dataset_, input_, config);
        QCOMPARE(static_cast<int>(r.iterations.size()), kConvergedAt);
        int best = 0;
        double bestScore = -std::numeric_limits<double>::infinity();
        for (const LoopIteration& it : r.iterations) {
            QVERIFY(std::isfinite(it.heldOutScore) && it.heldOutScore < 0);
            if (it.heldOutScore > bestScore) {
                bestScore = it.heldOutScore;
                best = it.iteration;
            }
        }
        QCOMPARE(r.keptIteration, best);
        const LoopResult replay = runCrowdlabLoop(dataset_, input_, smallConfig(best));
        QCOMPARE(r.consensus.consensusLabel, replay.consensus.consensusLabel);
        QVERIFY(r.probabilities == replay.probabilities);
        QVERIFY(std::isfinite(r.startHeldOutScore));
        QVERIFY2(bestScore > r.startHeldOutScore,
                 qPrintable(QString("best %1, majority vote %2").arg(bestScore).arg(r.startHeldOutScore)));
        QVERIFY(!r.startScoresBetter);

        const LoopResult last = runCrowdlabLoop(dataset_, input_, smallConfig(kConvergedAt));
        QCOMPARE(last.keptIteration, kConvergedAt);
        QVERIFY(std::isnan(last.iterations.front().heldOutScore));
        QVERIFY(std::isnan(last.startHeldOutScore));
        QVERIFY(!last.startScoresBetter);
    }

    // A start that is the truth itself predicts the crowd's held-out answers better than any
    // consensus the loop reaches (measured on this crowd): the loop says it did not improve on it.
    void saysWhenItsStartPredictsBetter()
    {
        LoopStart start;
        start.labels = dataset_.truth;
        start.refit = [this](const Dataset&) { return oneHotLabels(dataset_.truth, kClasses); };
        LoopConfig config = smallConfig(2);
        config.keepBest = true;
        const LoopResult r = runCrowdlabLoop(dataset_, input_, config, start);
        QVERIFY(std::isfinite(r.startHeldOutScore));
        for (const LoopIteration& it : r.iterations)
            QVERIFY2(it.heldOutScore < r.startHeldOutScore,
                     qPrintable(QString("iteration %1: %2, truth %3").arg(it.iteration).arg(it.heldOutScore).arg(r.startHeldOutScore)));
        QVERIFY(r.startScoresBetter);
        // Without a refit, a start from labels is not scored.
        start.refit = {};
        const LoopResult unscored = runCrowdlabLoop(dataset_, input_, config, start);
        QVERIFY(std::isnan(unscored.startHeldOutScore));
        QVERIFY(!unscored.startScoresBetter);
    }

    void badInputIsRejected()
    {
        LearnInput shorter;
        shorter.features = input_.features.topRows(kItems - 1);
        QVERIFY_THROWS_EXCEPTION(InputError, runCrowdlabLoop(dataset_, shorter, smallConfig(1)));
        LoopConfig oneFold = smallConfig(1);
        oneFold.folds = 1;
        QVERIFY_THROWS_EXCEPTION(InputError, runCrowdlabLoop(dataset_, input_, oneFold));
        LoopConfig imageNet = smallConfig(1);
        imageNet.model.name = "small-cnn";
        QVERIFY_THROWS_EXCEPTION(InputError, runCrowdlabLoop(dataset_, input_, imageNet));
    }
};

QTEST_APPLESS_MAIN(TestLoop)
#include "test_loop.moc"
