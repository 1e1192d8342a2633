// End-to-end tests of `crowdsift-cli train --complementary` on the synthetic crowd's items with
// simulated complementary answers (the project is built through the store, which keeps the flag).

#include "clirun.h"
#include "synthetic_crowd.h"

#include "project/store.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using crowdsift::testing::kClasses;
using crowdsift::testing::kItems;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

// Each item: two distinct complementary answers drawn uniformly from its wrong classes; every
// third item also keeps its first ordinary answer (mixed data).
crowdsift::Dataset complementaryCrowd(bool withComplementary)
{
    crowdsift::Dataset d = crowdsift::testing::syntheticCrowd();
    if (!withComplementary)
        return d;
    std::mt19937_64 rng(3);
    std::vector<crowdsift::Answer> answers;
    for (int i = 0; i < d.itemCount(); ++i) {
        const int y = d.truth[static_cast<std::size_t>(i)];
        std::vector<int> wrong;
        for (int c = 0; c < kClasses; ++c)
            if (c != y)
                wrong.push_back(c);
        std::shuffle(wrong.begin(), wrong.end(), rng);
        answers.push_back({i, 0, wrong[0], true});
        answers.push_back({i, 1, wrong[1], true});
        if (i % 3 == 0) {
            const crowdsift::Answers::Range first = d.answers.ofItem(i);
            if (!first.empty())
                answers.push_back({i, 2, first.begin()->label, false});
        }
    }
    d.answers = crowdsift::Answers::fromTriplets(d.itemCount(), d.annotatorCount(), answers);
    return d;
}

QString makeProject(const QString& path, bool withComplementary)
{
    crowdsift::Project::create(path.toStdString(), complementaryCrowd(withComplementary), crowdsift::Progress::none());
    return path;
}

const QStringList quick{"--model", "mlp", "--hidden", "32", "--epochs", "15", "--lr", "0.01", "--threads", "1"};

}  // namespace

class TestCliComplementaryLearning : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString project_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("XDG_CACHE_HOME", dir_.filePath("xdg-cache").toUtf8());
        project_ = makeProject(dir_.filePath("comp.csift"), true);
    }

    void trainsStoresTheRunAndItsTransitions()
    {
        const QString probs = dir_.filePath("probs.npy");
        const Run run = runCli(QStringList{"train", project_, "--complementary", "-s", "fwd", "--transition", "truth",
                                           "-o", probs, "--json"}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject j = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(j["strategy"].toString(), QString("fwd"));
        QCOMPARE(j["complementary_answers"].toInt(), 2 * kItems);
        QVERIFY(j["ordinary_answers"].toInt() > 0);
        QVERIFY2(j["accuracy"].toDouble() > 0.85, qPrintable(run.out));
        // With T counted against the truth, the used T is the truth's.
        QCOMPARE(j["transition_error"].toDouble(), 0.0);
        QVERIFY(j["transition_data_error"].toDouble() < 0.1);
        const auto id = static_cast<std::int64_t>(j["run"].toInt());
        const crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
        QCOMPARE(project.run(id).kind, std::string("train"));
        for (const char* name : {"transition", "transition_data", "transition_truth"}) {
            const crowdsift::NpyArray t = project.runOutput(id, name);
            QCOMPARE(t.shape, (std::vector<std::size_t>{kClasses, kClasses}));
        }
        // Uniform complementary answers: each off-diagonal entry of the truth's T is near 1/2.
        const std::vector<double> truth = project.runOutput(id, "transition_truth").as<double>();
        QCOMPARE(truth[0], 0.0);
        QVERIFY(std::abs(truth[1] - 0.5) < 0.1);
        QCOMPARE(crowdsift::readNpy(probs.toStdString()).shape, (std::vector<std::size_t>{kItems, kClasses}));
    }

    void tableAndLearnedTransition()
    {
        const Run run = runCli(QStringList{"train", project_, "--complementary", "-s", "cpe-t"} + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("loss cpe-t, transition uniform"), qPrintable(run.out));
        QVERIFY(run.out.contains(QString("%1 complementary and").arg(2 * kItems)));
        QVERIFY(run.out.contains("accuracy against truth: 0.9") || run.out.contains("accuracy against truth: 1.0"));
        const crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
        const std::int64_t id = project.runs().back().id;
        QCOMPARE(project.runOutput(id, "transition_learned").shape, (std::vector<std::size_t>{kClasses, kClasses}));
    }

    void badUsesAreRefused()
    {
        Run run = runCli(QStringList{"train", project_, "--complementary", "-s", "nope"} + quick);
        QVERIFY(run.exitCode != 0 && run.err.contains("--strategy") && run.err.contains("mcl-log"));
        run = runCli(QStringList{"train", project_, "--complementary", "--folds", "3"} + quick);
        QVERIFY(run.exitCode != 0 && run.err.contains("--folds"));
        run = runCli(QStringList{"train", project_} + quick);
        QVERIFY(run.exitCode != 0 && run.err.contains("--labels"));
        const QString bad = dir_.filePath("bad.npy");
        const std::vector<double> wrongShape(4, 0.5);
        crowdsift::writeNpy(bad.toStdString(), wrongShape.data(), {2, 2});
        run = runCli(QStringList{"train", project_, "--complementary", "-s", "fwd", "--transition", bad} + quick);
        QVERIFY2(run.exitCode != 0 && run.err.contains("bad.npy") && run.err.contains("3 x 3"), qPrintable(run.err));
        const QString plain = makeProject(dir_.filePath("plain.csift"), false);
        run = runCli(QStringList{"train", plain, "--complementary"} + quick);
        QVERIFY2(run.exitCode != 0 && run.err.contains("no complementary"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCliComplementaryLearning)
#include "test_cli_complementary_learning.moc"
