// End-to-end tests of `crowdsift-cli train`, `crowdlab-loop` and `identify` on a tiny
// feature-vector dataset (Rodrigues layout) and a few demo images.

#include "clirun.h"
#include "synthetic_crowd.h"
#include "testdata.h"

#include "project/store.h"
#include "util/npy.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <fstream>
#include <numeric>

using crowdsift::testing::kClasses;
using crowdsift::testing::kDims;
using crowdsift::testing::kItems;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

// The synthetic crowd as a Rodrigues folder: answers.txt (N x M, -1 = no answer), features.npy
// and labels_train.txt (truth, read only through --truth).
QString writeRodrigues(const QString& folder)
{
    const crowdsift::Dataset d = crowdsift::testing::syntheticCrowd();
    std::vector<std::vector<int>> matrix(static_cast<std::size_t>(d.itemCount()),
                                         std::vector<int>(static_cast<std::size_t>(d.annotatorCount()), -1));
    for (const crowdsift::Answer& a : d.answers.triplets())
        matrix[static_cast<std::size_t>(a.item)][static_cast<std::size_t>(a.annotator)] = a.label;
    std::ofstream answers((folder + "/answers.txt").toStdString());
    for (const auto& row : matrix) {
        for (std::size_t w = 0; w < row.size(); ++w)
            answers << (w ? " " : "") << row[w];
        answers << "\n";
    }
    std::ofstream truth((folder + "/labels_train.txt").toStdString());
    for (int t : d.truth)
        truth << t << "\n";
    crowdsift::writeNpy((folder + "/features.npy").toStdString(), d.features.data(),
                        {static_cast<std::size_t>(d.itemCount()), static_cast<std::size_t>(d.features.cols())});
    return folder + "/answers.txt";
}

QString firstLine(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readLine()).trimmed();
}

int lineCount(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return static_cast<int>(file.readAll().count('\n'));
}

const QStringList quick{"--model", "mlp", "--hidden", "32", "--epochs", "8", "--lr", "0.01", "--threads", "1"};

}  // namespace

class TestCliLearn : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString answers_;
    QString truth_;
    QString project_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("XDG_CACHE_HOME", dir_.filePath("xdg-cache").toUtf8());
        answers_ = writeRodrigues(dir_.path());
        truth_ = dir_.filePath("labels_train.txt");
        project_ = dir_.filePath("tiny.csift");
        const Run import = runCli({"import", answers_, "--truth", truth_, "-o", project_});
        QVERIFY2(import.exitCode == 0, qPrintable(import.err));
        const Run mv = runCli({"aggregate", project_, "-s", "mv"});
        QVERIFY2(mv.exitCode == 0 && mv.out.contains("stored as run 1"), qPrintable(mv.out + mv.err));
    }

    void trainPrintsEpochsStoresRunAndWritesProbabilities()
    {
        const QString probs = dir_.filePath("probs.npy");
        const Run run = runCli(QStringList{"train", project_, "--labels", "1", "--folds", "3", "-o", probs} + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QString("mlp on %1 feature vectors of %2, %3 classes, 3 fold(s), cpu")
                                      .arg(kItems)
                                      .arg(kDims)
                                      .arg(kClasses)),
                 qPrintable(run.out));
        QVERIFY(run.out.contains(QRegularExpression("fold\\s+epoch\\s+loss\\s+acc\\s+val\\s+val_acc\\s+lr\\s+img/s")));
        QVERIFY(run.out.contains(QRegularExpression("\\n\\s+3\\s+8\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+-\\s+-")));
        QVERIFY(run.out.contains(QRegularExpression("accuracy against truth: 0\\.9\\d+ \\(out-of-sample\\)")));
        QVERIFY(run.out.contains(QRegularExpression("stored as run \\d+ in")));
        const crowdsift::NpyArray p = crowdsift::readNpy(probs.toStdString());
        QCOMPARE(p.type, crowdsift::NpyType::Float32);
        QCOMPARE(p.shape, (std::vector<std::size_t>{kItems, kClasses}));
    }

    void trainJsonOnADatasetStoresNothing()
    {
        const QString labels = dir_.filePath("mv.csv");
        QCOMPARE(runCli({"aggregate", answers_, "-s", "mv", "-o", labels}).exitCode, 0);
        const Run run = runCli(QStringList{"train", answers_, "--truth", truth_, "--labels", labels, "--folds", "1",
                                           "--json"}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject j = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(j["model"].toString(), QString("mlp"));
        QCOMPARE(j["folds"].toInt(), 1);
        QCOMPARE(j["epochs"].toInt(), 8);
        QVERIFY(j["accuracy"].toDouble() > 0.9);
        QVERIFY(!j.contains("run"));
    }

    void loopPrintsTheIterationTableAndStoresTheConsensus()
    {
        const QString labels = dir_.filePath("loop.csv");
        const Run run = runCli(QStringList{"crowdlab-loop", project_, "--folds", "3", "--max-iter", "2", "-o", labels}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains(QRegularExpression(
            "iteration\\s+changed\\s+newly changed\\s+consensus acc\\s+model acc\\s+model weight\\s+seconds\\s+held-out")));
        const QRegularExpressionMatch mv = QRegularExpression("majority vote\\s+(0\\.\\d{4})").match(run.out);
        QVERIFY2(mv.hasMatch(), qPrintable(run.out));
        QVERIFY(run.out.contains(QRegularExpression("dawid-skene\\s+0\\.\\d{4}")));
        const QRegularExpressionMatch first =
            QRegularExpression("\\n1\\s+(\\d+)\\s+(\\d+)\\s+(0\\.\\d{4}|1\\.0000)\\s+0\\.\\d{4}\\s+\\d+\\.\\d{3}\\s+\\d+\\.\\d\\s+-\\d+\\.\\d{4}")
                .match(run.out);
        QVERIFY2(first.hasMatch(), qPrintable(run.out));
        QCOMPARE(first.captured(1), first.captured(2));
        QVERIFY(first.captured(3).toDouble() > mv.captured(1).toDouble());
        QVERIFY(run.out.contains(QRegularExpression("stored as run \\d+ in")));
        // The kept iteration and the start's score (majority vote, one-hot) are printed.
        QVERIFY2(run.out.contains(QRegularExpression("kept iteration [12]: its consensus best predicts held-out answers "
                                                     "\\(mean log-likelihood -\\d+\\.\\d{4}; the start's -\\d+\\.\\d{4}\\)")),
                 qPrintable(run.out));

        // Same layout as `aggregate -o`.
        const QString aggregated = dir_.filePath("ds.csv");
        QCOMPARE(runCli({"aggregate", project_, "-s", "ds", "--no-store", "-o", aggregated}).exitCode, 0);
        QCOMPARE(firstLine(labels), firstLine(aggregated));
        QCOMPARE(firstLine(labels), QString("task,label,p_0,p_1,p_2"));
        QCOMPARE(lineCount(labels), kItems + 1);
        QVERIFY(QFile::exists(dir_.filePath("loop.annotators.csv")));

        // The majority-vote run stays active: the loop is announced, not made active, and `export`
        // keeps the active run's consensus until the curator activates the loop.
        const QRegularExpressionMatch stored = QRegularExpression("stored as run (\\d+) in").match(run.out);
        const QString loopRun = stored.captured(1);
        QVERIFY2(run.out.contains(QRegularExpression("run " + loopRun + " \\(accuracy 0\\.\\d{4}\\) is not active: the active run stays 1 "
                                                     "\\(mv, accuracy 0\\.\\d{4}\\); [1-9]\\d* item\\(s\\) are labelled differently")),
                 qPrintable(run.out));
        const Run exported = runCli({"export", project_, "-o", dir_.filePath("final.json"), "--json"});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY2(!exported.out.contains("crowdlab-loop"), qPrintable(exported.out));
        const Run activate = runCli({"runs", project_, "--activate", loopRun});
        QVERIFY2(activate.exitCode == 0, qPrintable(activate.err));
        const Run exportedLoop = runCli({"export", project_, "-o", dir_.filePath("final.json"), "--json"});
        QVERIFY2(exportedLoop.out.contains("crowdlab-loop"), qPrintable(exportedLoop.out));
        QCOMPARE(runCli({"runs", project_, "--activate", "1"}).exitCode, 0);
    }

    void loopJsonOnADataset()
    {
        const Run run = runCli(QStringList{"crowdlab-loop", answers_, "--truth", truth_, "--folds", "2", "--max-iter", "1",
                                           "--json"}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject j = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(j["iterations"].toInt(), 1);
        QCOMPARE(j["loop"].toArray().size(), 1);
        const QJsonObject first = j["loop"].toArray()[0].toObject();
        QVERIFY(first["consensus_accuracy"].toDouble() > j["majority_vote_accuracy"].toDouble());
        QVERIFY(j["ds_accuracy"].toDouble() > 0.5);
        QCOMPARE(j["model"].toString(), QString("mlp"));
        QVERIFY(!j.contains("run"));
    }

    void loopOnImages()
    {
        const QString demo = dir_.filePath("demo");
        const Run built = runCli({"demo", "-o", demo, "--items", "60"});
        QVERIFY2(built.exitCode == 0, qPrintable(built.err));
        const Run run = runCli({"crowdlab-loop", demo, "--truth", demo + "/truth.csv", "--model", "small-cnn", "--width",
                                "4", "--epochs", "1", "--batch-size", "32", "--folds", "2", "--max-iter", "1",
                                "--threads", "1"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("small-cnn on 60 images of 28 x 28 x 1, 10 classes, 2 fold(s)"), qPrintable(run.out));
        QVERIFY(run.out.contains(QRegularExpression("\\n1\\s+\\d+\\s+\\d+\\s+")));
        QVERIFY(QDir(dir_.filePath("xdg-cache/crowdsift/images")).entryList({"images-*.npy"}).size() == 1);

        // The same images as GIST scene features for an mlp: computed once into the cache.
        const Run gist = runCli({"crowdlab-loop", demo, "--truth", demo + "/truth.csv", "--model", "mlp", "--input",
                                 "gist", "--epochs", "2", "--folds", "2", "--max-iter", "1", "--threads", "1", "--json"});
        QVERIFY2(gist.exitCode == 0, qPrintable(gist.err));
        QCOMPARE(QJsonDocument::fromJson(gist.out.toUtf8()).object()["iterations"].toInt(), 1);
        QVERIFY(QDir(dir_.filePath("xdg-cache/crowdsift/images")).entryList({"gist-*.npy"}).size() == 1);
        const Run table = runCli({"train", demo, "--labels", demo + "/truth.csv", "--model", "mlp", "--input", "gist",
                                  "--epochs", "1", "--folds", "2", "--threads", "1", "--no-store"});
        QVERIFY2(table.exitCode == 0, qPrintable(table.err));
        QVERIFY2(table.out.contains("mlp on 60 feature vectors of 560, 10 classes"), qPrintable(table.out));
    }

    void badInputIsNamed_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown model") << QStringList{"train", "PROJECT", "--labels", "1", "--model", "bogus"}
                                       << "bogus";
        QTest::newRow("unknown input") << QStringList{"train", "PROJECT", "--labels", "1", "--model", "mlp", "--input", "pixels"}
                                       << "expected auto, features, images or gist";
        QTest::newRow("gist without images") << QStringList{"crowdlab-loop", "PROJECT", "--model", "mlp", "--input", "gist"}
                                             << "no images to describe";
        QTest::newRow("loop needs two folds") << QStringList{"crowdlab-loop", "PROJECT", "--model", "mlp", "--folds", "1"}
                                              << "at least 2 folds";
        QTest::newRow("image network on features") << QStringList{"crowdlab-loop", "PROJECT", "--model", "small-cnn"}
                                                   << "needs images";
        QTest::newRow("not an aggregation run") << QStringList{"train", "PROJECT", "--labels", "TRAINRUN", "--model", "mlp"}
                                                << "not a finished aggregation run";
        QTest::newRow("unknown run") << QStringList{"train", "PROJECT", "--labels", "999", "--model", "mlp"}
                                     << "no such run";
        QTest::newRow("labels of wrong length") << QStringList{"train", "PROJECT", "--labels", "SHORT", "--model", "mlp"}
                                                << QString("has labels for 2 of the dataset's %1 items").arg(kItems);
        QTest::newRow("soft from hard file") << QStringList{"train", "PROJECT", "--labels", "MV", "--model", "mlp", "--soft"}
                                             << "--soft needs soft labels";
        QTest::newRow("probabilities not npy") << QStringList{"train", "PROJECT", "--labels", "1", "--model", "mlp", "-o",
                                                              "p.csv"}
                                               << ".npy";
    }

    void badInputIsNamed()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const QString shortLabels = dir_.filePath("short.csv");
        {
            std::ofstream out(shortLabels.toStdString());
            out << "task,label\n0,1\n1,2\n";
        }
        const QString mvLabels = dir_.filePath("mv-hard.csv");
        if (!QFile::exists(mvLabels))
            QCOMPARE(runCli({"aggregate", project_, "-s", "mv", "--no-store", "-o", mvLabels}).exitCode, 0);
        QString trainRun = "0";
        if (arguments.contains("TRAINRUN")) {
            const Run train = runCli(QStringList{"train", project_, "--labels", "1", "--folds", "2", "--json"} + quick);
            QVERIFY2(train.exitCode == 0, qPrintable(train.err));
            trainRun = QString::number(QJsonDocument::fromJson(train.out.toUtf8()).object()["run"].toInt());
        }
        arguments.replaceInStrings("PROJECT", project_);
        arguments.replaceInStrings("TRAINRUN", trainRun);
        arguments.replaceInStrings("SHORT", shortLabels);
        arguments.replaceInStrings("MV", mvLabels);
        const Run run = runCli(arguments);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(expected), qPrintable(run.err));
    }

    // Without CUDA the request is refused by name; on a CUDA build and machine it trains there.
    // Which of the two this machine is comes from --device auto, asked first; the cuda request
    // must then give that one outcome (a CUDA machine refusing, or a CPU one claiming CUDA, fails).
    void cudaIsUsedOrRefused()
    {
        const QStringList train{"train", project_, "--labels", "1", "--folds", "2", "--no-store"};
        const Run probe = runCli(train + QStringList{"--device", "auto"} + quick);
        QVERIFY2(probe.exitCode == 0, qPrintable(probe.err));
        const bool onCpu = probe.out.contains(QRegularExpression(" fold\\(s\\), cpu\\b"));
        const bool onCuda = probe.out.contains(QRegularExpression(" fold\\(s\\), cuda\\b"));
        QVERIFY2(onCpu != onCuda, qPrintable(probe.out));
        const Run run = runCli(train + QStringList{"--device", "cuda"} + quick);
        if (onCuda) {
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
            QVERIFY2(run.out.contains(QRegularExpression(" fold\\(s\\), cuda\\b")), qPrintable(run.out));
        } else {
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains("CUDA is not available"), qPrintable(run.err));
        }
    }

    void identifyStoresSigmaTrajectories()
    {
        const Run run = runCli(QStringList{"identify", project_, "--labels", "1", "--instance", "--class", "--lr-inst",
                                           "0.2"}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        // One training on every item: no folds to name.
        QVERIFY2(run.out.contains(QString("mlp on %1 feature vectors of %2, %3 classes, cpu").arg(kItems).arg(kDims).arg(kClasses)),
                 qPrintable(run.out));
        QVERIFY2(run.out.contains(QRegularExpression("epoch\\s+loss\\s+acc\\s+val_acc\\s+inst_q25\\s+inst_med\\s+inst_q75\\s+"
                                                     "inst_max\\s+cls_med")),
                 qPrintable(run.out));
        // Epoch 8: loss, accuracy, no validation, then four instance quantiles and the class median.
        QVERIFY2(run.out.contains(QRegularExpression("\\n\\s+8\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}\\s+-(\\s+\\d+\\.\\d{3}){5}\\n")),
                 qPrintable(run.out));
        const QRegularExpressionMatch stored = QRegularExpression("stored as run (\\d+) in").match(run.out);
        QVERIFY2(stored.hasMatch(), qPrintable(run.out));
        const QString runFolder = project_ + ".cache/runs/" + stored.captured(1);
        const crowdsift::NpyArray instance = crowdsift::readNpy((runFolder + "/sigma_instance.npy").toStdString());
        QCOMPARE(instance.type, crowdsift::NpyType::Float32);
        QCOMPARE(instance.shape, (std::vector<std::size_t>{kItems, 8}));
        const crowdsift::NpyArray classes = crowdsift::readNpy((runFolder + "/sigma_class.npy").toStdString());
        QCOMPARE(classes.shape, (std::vector<std::size_t>{kClasses, 8}));

        const Run listed = runCli({"runs", project_});
        QVERIFY2(listed.exitCode == 0 && listed.out.contains("data-parameters"), qPrintable(listed.out + listed.err));

        // The subset retrain: the 10 % of the 300 items with the highest last-epoch sigma left out,
        // stored as a train run whose parent is the ranking run.
        const Run subset = runCli(QStringList{"train", project_, "--labels", "1", "--folds", "1", "--ranking",
                                              stored.captured(1), "--subset-frac", "0.1", "--json"}
                                  + quick);
        QVERIFY2(subset.exitCode == 0, qPrintable(subset.err));
        const QJsonObject j = QJsonDocument::fromJson(subset.out.toUtf8()).object();
        QCOMPARE(j["excluded"].toInt(), 30);
        QVERIFY(j.contains("run"));
        const qint64 ranking = stored.captured(1).toLongLong();
        const qint64 retrain = j["run"].toInteger();
        QCOMPARE(j["parent"].toInteger(), ranking);
        {
            const crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
            const crowdsift::RunInfo info = project.run(retrain);
            QCOMPARE(info.parent, static_cast<std::int64_t>(ranking));
            QCOMPARE(info.kind, std::string("train"));
            QCOMPARE(info.params["subset_frac"].get<double>(), 0.1);
            QCOMPARE(info.params["ranking"].get<qint64>(), ranking);
            QCOMPARE(project.run(ranking).parent, std::int64_t{0});
            // The items left out are exactly the 30 with the highest last-epoch instance sigma.
            const std::vector<float> sigma = instance.as<float>();
            std::vector<int> order(kItems);
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sigma[a * 8 + 7] > sigma[b * 8 + 7]; });
            const std::vector<int> top(order.begin(), order.begin() + 30);
            const crowdsift::NpyArray excluded = project.runOutput(retrain, "excluded");
            QCOMPARE(excluded.shape, (std::vector<std::size_t>{30}));
            QVERIFY(excluded.as<int>() == top);
            // Every item left out ranks above every item kept.
            float lowestOut = 1e30f;
            for (int item : top)
                lowestOut = std::min(lowestOut, sigma[item * 8 + 7]);
            for (std::size_t r = 30; r < order.size(); ++r)
                QVERIFY(sigma[order[r] * 8 + 7] <= lowestOut);
        }
        const QJsonArray runs = QJsonDocument::fromJson(runCli({"runs", project_, "--json"}).out.toUtf8()).array();
        bool retrainListed = false;
        for (const QJsonValue& entry : runs) {
            const QJsonObject run = entry.toObject();
            if (run["id"].toInteger() == retrain) {
                QCOMPARE(run["parent"].toInteger(), ranking);
                retrainListed = true;
            } else if (run["id"].toInteger() == ranking) {
                QVERIFY(run["parent"].isNull());
            }
        }
        QVERIFY(retrainListed);
        const Run table = runCli({"runs", project_});
        QVERIFY2(table.out.contains(QRegularExpression(QString("\\n\\s+%1 <- %2\\s+train\\s").arg(retrain).arg(ranking))),
                 qPrintable(table.out));
        // --exclude-top is the same option under its first name.
        const Run notDataParams = runCli(QStringList{"train", project_, "--labels", "1", "--folds", "1", "--ranking", "1",
                                                     "--exclude-top", "0.1"}
                                         + quick);
        QCOMPARE(notDataParams.exitCode, 1);
        QVERIFY2(notDataParams.err.contains("data-parameters run"), qPrintable(notDataParams.err));
    }

    void identifyJsonWithoutStoring()
    {
        const Run run = runCli(QStringList{"identify", project_, "--labels", "1", "--no-store", "--json"} + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject j = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(j["model"].toString(), QString("mlp"));
        QCOMPARE(j["epochs"].toInt(), 8);
        QVERIFY(j["instance"].toBool());  // the level learned when neither is asked for
        QVERIFY(!j["class"].toBool());
        const QJsonArray epochs = j["per_epoch"].toArray();
        QCOMPARE(epochs.size(), 8);
        QVERIFY(epochs[7].toObject()["instance_sigma"].toObject()["median"].toDouble() > 0);
        QVERIFY(epochs[7].toObject()["class_sigma"].isNull());
        QVERIFY(!j.contains("run"));

        // --class alone: the class level only.
        const Run classOnly = runCli(QStringList{"identify", project_, "--labels", "1", "--class", "--no-store", "--json"} + quick);
        QVERIFY2(classOnly.exitCode == 0, qPrintable(classOnly.err));
        const QJsonObject c = QJsonDocument::fromJson(classOnly.out.toUtf8()).object();
        QVERIFY(!c["instance"].toBool());
        QVERIFY(c["class"].toBool());
        QVERIFY(c["per_epoch"].toArray()[0].toObject()["instance_sigma"].isNull());

        const Run bad = runCli(QStringList{"identify", project_, "--labels", "1", "--init-inst", "30"} + quick);
        QVERIFY(bad.exitCode != 0);  // CLI11's range check
        QVERIFY2(bad.err.contains("--init-inst: Value 30 not in range"), qPrintable(bad.err));
        const Run noFolds = runCli(QStringList{"identify", project_, "--labels", "1", "--folds", "3"} + quick);
        QVERIFY(noFolds.exitCode != 0);
    }
};

QTEST_GUILESS_MAIN(TestCliLearn)
#include "test_cli_learn.moc"
