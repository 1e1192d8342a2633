// Machine annotators (project/machine_annotators.h): the answers a model gives from its
// probabilities, which items a train run may answer for, storing them as annotators marked
// machine, and aggregation runs made before and after one joined.

#include "aggregate/annotator_stats.h"
#include "aggregate/registry.h"
#include "data/summary.h"
#include "project/aggregation_runs.h"
#include "project/machine_annotators.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace crowdsift;

namespace {

using Probabilities = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Dataset fourItems()
{
    Dataset d;
    d.name = "four";
    d.classNames = {"a", "b", "c"};
    for (int i = 0; i < 4; ++i) {
        d.itemKeys.push_back("t" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.push_back({});
        d.truth.push_back(i % 3);
    }
    d.annotatorIds = {"w0", "w1"};
    std::vector<Answer> answers;
    for (int i = 0; i < 4; ++i) {
        answers.push_back({i, 0, i % 3, false});
        answers.push_back({i, 1, (i + (i == 3 ? 1 : 0)) % 3, false});
    }
    d.answers = Answers::fromTriplets(4, 2, answers);
    return d;
}

Probabilities probabilities()
{
    Probabilities p(4, 3);
    p << 0.7f, 0.2f, 0.1f,  //
        0.1f, 0.5f, 0.4f,   //
        0.05f, 0.05f, 0.9f, //
        0.3f, 0.3f, 0.4f;
    return p;
}

// A finished train run with these probabilities and folds.
std::int64_t storeTrainRun(Project& project, const Probabilities& p, const std::vector<std::int32_t>& fold, int folds)
{
    const std::int64_t run = project.beginRun("train", {{"model", "mlp"}, {"folds", folds}}, "mlp");
    project.addRunOutput(run, "probabilities", p.data(), {4, 3});
    project.addRunOutput(run, "fold", fold.data(), {4});
    project.finishRun(run, "done", {{"epochs", 1}});
    return run;
}

}  // namespace

class TestMachineAnnotators : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void topOneAndThreshold()
    {
        const std::vector<char> all(4, 1);
        auto answers = machineAnswers(probabilities(), all, {});
        QCOMPARE(answers.size(), std::size_t{1});
        QCOMPARE(answers[0].size(), std::size_t{4});
        QCOMPARE(answers[0][1].label, 1);
        QCOMPARE(answers[0][3].label, 2);
        QVERIFY(!answers[0][0].complementary);
        MachineAnswerOptions confident;
        confident.minConfidence = 0.6;
        answers = machineAnswers(probabilities(), {1, 1, 0, 1}, confident);
        QCOMPARE(answers[0].size(), std::size_t{1});  // item 0 (0.7); item 2 not eligible
        QCOMPARE(answers[0][0].item, 0);
    }

    // --complementary 2: annotator #1 says "not" the least likely class, #2 the second least
    // likely; with a threshold, "not c" only when 1 - p(c) >= it.
    void leastLikelyClassesAsComplementary()
    {
        MachineAnswerOptions options;
        options.complementary = 2;
        auto answers = machineAnswers(probabilities(), std::vector<char>(4, 1), options);
        QCOMPARE(answers.size(), std::size_t{2});
        QCOMPARE(answers[0][0].label, 2);  // 0.1
        QCOMPARE(answers[1][0].label, 1);  // 0.2
        QCOMPARE(answers[0][1].label, 0);
        QCOMPARE(answers[1][1].label, 2);
        QCOMPARE(answers[0][2].label, 0);  // tie 0.05 / 0.05: the smaller class first
        QCOMPARE(answers[1][2].label, 1);
        for (const auto& list : answers)
            for (const Answer& a : list)
                QVERIFY(a.complementary);
        options.minConfidence = 0.75;
        answers = machineAnswers(probabilities(), std::vector<char>(4, 1), options);
        QCOMPARE(answers[0].size(), std::size_t{3});  // item 3: 1 - 0.3 = 0.7 < 0.75
        QCOMPARE(answers[1].size(), std::size_t{2});  // item 1's 0.4 and item 3's 0.3 fail
        options.complementary = 3;
        QVERIFY_THROWS_EXCEPTION(InputError, machineAnswers(probabilities(), std::vector<char>(4, 1), options));
    }

    // A k-fold run's probabilities are out-of-fold for every item; a one-fold run saw its
    // labelled items (fold 0), so only the others (fold -1) may be answered.
    void runAnswersOnlyForItemsItDidNotSee()
    {
        QTemporaryDir dir;
        Project project = Project::create(dir.filePath("p.csift").toStdString(), fourItems(), Progress::none());
        const std::int64_t kfold = storeTrainRun(project, probabilities(), {0, 1, 0, 1}, 2);
        const std::int64_t plain = storeTrainRun(project, probabilities(), {0, 0, -1, 0}, 1);
        QCOMPARE(trainRunPredictions(project, kfold).outOfSample, (std::vector<char>{1, 1, 1, 1}));
        QCOMPARE(trainRunPredictions(project, plain).outOfSample, (std::vector<char>{0, 0, 1, 0}));
        QVERIFY(std::abs(trainRunPredictions(project, kfold).probabilities(2, 2) - 0.9f) < 1e-6f);
        const std::int64_t aggregation = project.beginRun("aggregate", {}, "mv");
        project.finishRun(aggregation, "done", {});
        QVERIFY_THROWS_EXCEPTION(InputError, trainRunPredictions(project, aggregation));
        QVERIFY_THROWS_EXCEPTION(InputError, trainRunPredictions(project, 99));
    }

    // Stored as annotators marked machine; a name already taken stores nothing; an aggregation run
    // made before the machine joined still loads (the machine without figures), a new one weighs it.
    void storedMarkedAndWeighed()
    {
        QTemporaryDir dir;
        Project project = Project::create(dir.filePath("p.csift").toStdString(), fourItems(), Progress::none());
        const Dataset before = project.loadDataset(Progress::none());
        const AggregationResult old = aggregate("ds", before);
        const std::int64_t oldRun = storeAggregationRun(project, before, old, {{"strategy", "ds"}}, nlohmann::json::object());
        MachineAnswerOptions options;
        options.complementary = 2;
        const auto answers = machineAnswers(probabilities(), std::vector<char>(4, 1), options);
        const std::vector<int> indices = storeMachineAnnotators(project, "vlm", {{"model", "x.pt"}}, options, answers);
        QCOMPARE(indices, (std::vector<int>{2, 3}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, storeMachineAnnotators(project, "vlm", {}, options, answers));
        const Dataset d = project.loadDataset(Progress::none());
        QCOMPARE(d.annotatorCount(), 4);
        QCOMPARE(d.annotatorIds[2], std::string("vlm#1"));
        QVERIFY(d.isMachine(3) && !d.isMachine(1));
        QCOMPARE(project.annotatorSources()[3]["complementary"].get<int>(), 2);
        const DatasetSummary summary = summarize(d);
        QVERIFY(summary.annotatorTable[2].machine);
        QCOMPARE(summary.complementaryAnswers, std::int64_t{8});
        QCOMPARE(toJson(summary, true)["annotator_table"][3]["kind"].get<std::string>(), std::string("machine"));

        const AggregationResult loaded = loadAggregationRun(project, d, oldRun);
        QCOMPARE(loaded.confusions.size(), std::size_t{4});
        QVERIFY(loaded.confusions[3].isZero());
        QVERIFY(std::isnan(loaded.annotatorSkill(3)));
        const auto oldStats = annotatorStats(d, loaded);
        QCOMPARE(oldStats[2].complementary, 4);
        QVERIFY(std::isnan(oldStats[3].estimatedAccuracy) && std::isnan(oldStats[3].spammerScore));

        const AggregationResult fresh = aggregate("comp-ds", d);
        QCOMPARE(fresh.confusions.size(), std::size_t{4});
        // Judged by their "not k" answers against the consensus. Against the truth vlm#1 is right on 3
        // of the 4 items (item 3: "not a", its truth), vlm#2 on all 4; but the consensus cannot
        // tell item 3's class (w0 says a, w1 b, vlm#1 "not a", vlm#2 "not b"), so both get the same
        // figures, between those two: better than a "not k" uniform over the wrong classes
        // (spammer score 1 / (K - 1)^2 = 0.25), far from a spammer (0).
        const auto freshStats = annotatorStats(d, fresh);
        const auto figures = [&](int w) {
            const AnnotatorStats& s = freshStats[static_cast<std::size_t>(w)];
            return QStringLiteral("annotator %1: accuracy %2, spammer score %3, skill %4")
                .arg(w).arg(s.estimatedAccuracy).arg(s.spammerScore).arg(s.skill);
        };
        const QString both = figures(2) + "; " + figures(3);
        QVERIFY2(std::abs(freshStats[2].estimatedAccuracy - freshStats[3].estimatedAccuracy) < 1e-9, qPrintable(both));
        QVERIFY2(std::abs(freshStats[2].spammerScore - freshStats[3].spammerScore) < 1e-9, qPrintable(both));
        QVERIFY2(freshStats[2].estimatedAccuracy > 0.8 && freshStats[2].estimatedAccuracy < 0.95, qPrintable(both));
        QVERIFY2(freshStats[2].spammerScore > 0.25 && freshStats[2].spammerScore < 0.5, qPrintable(both));
        QVERIFY2(fresh.annotatorSkill(2) > 0.75 && fresh.annotatorSkill(2) < 0.95, qPrintable(both));
        const nlohmann::json table = annotatorStatsJson(d, fresh, freshStats, false);
        QCOMPARE(table[2]["kind"].get<std::string>(), std::string("machine"));
        QCOMPARE(table[0]["kind"].get<std::string>(), std::string("human"));
    }
};

QTEST_GUILESS_MAIN(TestMachineAnnotators)
#include "test_machine_annotators.moc"
