// End-to-end tests of `crowdsift-cli train --complementary` on the synthetic crowd's items with
// simulated complementary answers (the project is built through the store, which keeps the flag).

#include "clirun.h"
#include "synthetic_crowd.h"

#include "project/store.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <random>

using crowdsift::testing::kClasses;
using crowdsift::testing::kDims;
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

    // Only complementary answers, end to end: an ACL-style cl_labels.npy (two "not" labels per
    // item, N x 2) with a features.npy beside it, imported with the README's command; info counts
    // them; comp-ds labels the items; ds, which reads only votes, says to use comp-ds instead of
    // labelling nothing; scl-nl trains on them.
    void complementaryOnlyDataset()
    {
        const crowdsift::Dataset crowd = crowdsift::testing::syntheticCrowd();
        std::mt19937_64 rng(5);
        std::vector<std::int64_t> cl;
        std::vector<std::int64_t> notPerClass(kClasses, 0);
        for (int i = 0; i < kItems; ++i) {
            std::vector<int> wrong;
            for (int c = 0; c < kClasses; ++c)
                if (c != crowd.truth[static_cast<std::size_t>(i)])
                    wrong.push_back(c);
            std::shuffle(wrong.begin(), wrong.end(), rng);
            for (int j = 0; j < 2; ++j) {
                cl.push_back(wrong[static_cast<std::size_t>(j)]);
                ++notPerClass[static_cast<std::size_t>(wrong[static_cast<std::size_t>(j)])];
            }
        }
        QVERIFY(QDir().mkpath(dir_.filePath("acl")));
        const QString labels = dir_.filePath("acl/cl_labels.npy");
        crowdsift::writeNpy(labels.toStdString(), cl.data(), {kItems, 2});
        crowdsift::writeNpy(dir_.filePath("acl/features.npy").toStdString(), crowd.features.data(), {kItems, kDims});
        const QString project = dir_.filePath("acl/cl.csift");
        const Run import = runCli({"import", labels, "--format", "matrix", "--complementary-matrix", "--classes",
                                   QString::number(kClasses), "-o", project});
        QVERIFY2(import.exitCode == 0, qPrintable(import.err));

        const Run info = runCli({"info", project});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.out.contains(QStringLiteral("Answers        %1 (0 votes, %1 complementary 'not k')").arg(2 * kItems)),
                 qPrintable(info.out));
        QVERIFY2(info.out.contains(QStringLiteral("Features       %1 per item").arg(kDims)), qPrintable(info.out));
        QVERIFY2(info.out.contains("  #  class                      votes     not k\n"), qPrintable(info.out));
        QVERIFY2(info.out.contains(QStringLiteral("  0  0                               0  %1\n").arg(notPerClass[0], 8)),
                 qPrintable(info.out));
        const QJsonObject j = QJsonDocument::fromJson(runCli({"info", project, "--json"}).out.toUtf8()).object();
        QCOMPARE(j["votes"].toInt(), 0);
        QCOMPARE(j["complementary_answers"].toInt(), 2 * kItems);
        const QJsonArray classes = j["class_table"].toArray();
        QCOMPARE(classes.size(), kClasses);
        for (int c = 0; c < kClasses; ++c) {
            QCOMPARE(classes[c].toObject()["votes"].toInt(), 0);
            QCOMPARE(classes[c].toObject()["complementary"].toInt(), static_cast<int>(notPerClass[static_cast<std::size_t>(c)]));
        }

        // Two distinct "not" answers of three classes leave the true one: comp-vote finds it
        // everywhere. comp-ds labels every item too, but its columns-as-independent-annotators
        // model does not fit one labeller's distinct "not"s (no column ever repeats the other), so
        // its accuracy here is not asserted (about half: see the report of issue 15).
        for (const QString& strategy : {QStringLiteral("comp-vote"), QStringLiteral("comp-ds")}) {
            const QString consensus = dir_.filePath("acl-" + strategy + ".npy");
            const Run run = runCli({"aggregate", project, "-s", strategy, "-o", consensus});
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
            // comp-ds says its model does not fit such columns (none of the 300 items' two "not"s
            // coincide; independent annotators' would on about 150).
            QCOMPARE(run.err.contains("do two of them coincide (about 150 would"), strategy == "comp-ds");
            const std::vector<int> labelled =
                crowdsift::readNpy(dir_.filePath("acl-" + strategy + ".labels.npy").toStdString()).as<int>();
            QCOMPARE(static_cast<int>(labelled.size()), kItems);
            QCOMPARE(static_cast<int>(std::count(labelled.begin(), labelled.end(), -1)), 0);
            if (strategy == "comp-vote") {
                int right = 0;
                for (int i = 0; i < kItems; ++i)
                    right += labelled[static_cast<std::size_t>(i)] == crowd.truth[static_cast<std::size_t>(i)];
                QCOMPARE(right, kItems);
            }
        }

        for (const QStringList& arguments : {QStringList{"aggregate", project}, QStringList{"aggregate", project, "-s", "ds"}}) {
            const Run ds = runCli(arguments);
            QVERIFY(ds.exitCode != 0);
            QVERIFY2(ds.err.contains(QStringLiteral("ds reads only votes ('class k'), and all %1 answers are "
                                                    "complementary ('not class k'): aggregate with comp-ds or comp-vote")
                                         .arg(2 * kItems)),
                     qPrintable(ds.err));
        }

        const QString probs = dir_.filePath("acl-probs.npy");
        const Run train = runCli(QStringList{"train", project, "--complementary", "-s", "scl-nl", "-o", probs, "--json"} + quick);
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));
        const QJsonObject t = QJsonDocument::fromJson(train.out.toUtf8()).object();
        QCOMPARE(t["strategy"].toString(), QStringLiteral("scl-nl"));
        QCOMPARE(t["complementary_answers"].toInt(), 2 * kItems);
        QCOMPARE(t["ordinary_answers"].toInt(), 0);
        const std::vector<float> p = crowdsift::readNpy(probs.toStdString()).as<float>();
        QCOMPARE(static_cast<int>(p.size()), kItems * kClasses);
        int right = 0;
        for (int i = 0; i < kItems; ++i) {
            const auto row = p.begin() + static_cast<std::ptrdiff_t>(i) * kClasses;
            right += std::max_element(row, row + kClasses) - row == crowd.truth[static_cast<std::size_t>(i)];
        }
        QVERIFY2(right >= kItems * 85 / 100, qPrintable(QString::number(right)));
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
