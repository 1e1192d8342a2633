// End-to-end tests of `crowdsift-cli learn-from-crowds` on the synthetic crowd (Rodrigues layout,
// feature vectors).

#include "clirun.h"
#include "synthetic_crowd.h"

#include "util/npy.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <fstream>

using crowdsift::testing::kClasses;
using crowdsift::testing::kItems;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

// answers.txt (N x M, -1 = no answer), features.npy and labels_train.txt (the truth).
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

const QStringList quick{"--model", "mlp", "--hidden", "32", "--epochs", "8", "--lr", "0.01", "--threads", "1"};

}  // namespace

class TestCliCrowds : public QObject {
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
    }

    void conalStoresTheLearnedConfusions()
    {
        const QString probs = dir_.filePath("probs.npy");
        const Run run = runCli(QStringList{"learn-from-crowds", project_, "-s", "conal[scale=1e-4]", "--folds", "3", "-o",
                                           probs}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("conal[scale=0.0001]: mlp on 300 feature vectors of 8, 3 classes, 3 fold(s), cpu"),
                 qPrintable(run.out));
        QVERIFY(run.out.contains(QRegularExpression("fold\\s+epoch\\s+loss\\s+mv_acc\\s+lr\\s+img/s")));
        QVERIFY(run.out.contains(QRegularExpression("\\n\\s+3\\s+8\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{4}")));
        QVERIFY2(run.out.contains("trained on 900 votes of 12 annotators"), qPrintable(run.out));
        QVERIFY2(run.out.contains(QRegularExpression("accuracy against truth: 0\\.9\\d+ \\(out-of-sample\\)")),
                 qPrintable(run.out));
        const QRegularExpressionMatch stored = QRegularExpression("stored as run (\\d+) in").match(run.out);
        QVERIFY2(stored.hasMatch(), qPrintable(run.out));
        const QString runFolder = project_ + ".cache/runs/" + stored.captured(1);
        const crowdsift::NpyArray confusions = crowdsift::readNpy((runFolder + "/annotator_confusions.npy").toStdString());
        QCOMPARE(confusions.shape, (std::vector<std::size_t>{12, kClasses, kClasses}));
        QCOMPARE(crowdsift::readNpy((runFolder + "/common_confusion.npy").toStdString()).shape,
                 (std::vector<std::size_t>{kClasses, kClasses}));
        QCOMPARE(crowdsift::readNpy((runFolder + "/gate.npy").toStdString()).shape, (std::vector<std::size_t>{12}));
        QCOMPARE(crowdsift::readNpy(probs.toStdString()).shape, (std::vector<std::size_t>{kItems, kClasses}));

        const Run listed = runCli({"runs", project_});
        QVERIFY2(listed.exitCode == 0 && listed.out.contains("conal[scale=0.0001] mlp"), qPrintable(listed.out + listed.err));
        // The name column fits the long name: the status lines up under its header.
        const QStringList lines = listed.out.split('\n');
        const auto header = std::find_if(lines.begin(), lines.end(), [](const QString& l) { return l.contains("status"); });
        const auto row = std::find_if(lines.begin(), lines.end(), [](const QString& l) { return l.contains("conal[scale"); });
        QVERIFY(header != lines.end() && row != lines.end());
        QCOMPARE(row->indexOf(" done ") + 1, header->indexOf("status"));
    }

    void crowdLayerJsonOnADatasetStoresNothing()
    {
        const Run run = runCli(QStringList{"learn-from-crowds", answers_, "--truth", truth_, "-s", "crowdlayer[vb]",
                                           "--folds", "1", "--json"}
                               + quick);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject j = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(j["strategy"].toString(), QString("crowdlayer[vb]"));
        QCOMPARE(j["folds"].toInt(), 1);
        QCOMPARE(j["votes"].toInt(), 900);
        QVERIFY(j["accuracy"].toDouble() > 0.9);
        QVERIFY(!j.contains("run"));
    }

    // crowdlab-loop --start: from a Dawid-Skene run (its labels are the start, whose accuracy the
    // JSON gives), from a learn-from-crowds run (its out-of-sample probabilities, shown as the
    // start row of the table), and refusals for a run that is not there or a dataset path.
    void loopStartsFromAnyRun()
    {
        const Run ds = runCli({"aggregate", project_, "-s", "ds", "--json"});
        QVERIFY2(ds.exitCode == 0, qPrintable(ds.err));
        const QJsonObject dsJson = QJsonDocument::fromJson(ds.out.toUtf8()).object();
        const int dsRun = dsJson["run"].toInt();
        QVERIFY(dsRun > 0);
        const Run fromDs = runCli(QStringList{"crowdlab-loop", project_, "--start", QString::number(dsRun), "--folds", "2",
                                              "--max-iter", "2", "--json", "--no-store"}
                                  + quick);
        QVERIFY2(fromDs.exitCode == 0, qPrintable(fromDs.err));
        const QJsonObject loop = QJsonDocument::fromJson(fromDs.out.toUtf8()).object();
        QCOMPARE(loop["start_accuracy"].toDouble(), dsJson["accuracy"].toDouble());
        const int iterations = loop["iterations"].toInt();
        QVERIFY(iterations >= 1 && iterations <= 2);
        QVERIFY(loop["kept_iteration"].toInt() >= 1 && loop["kept_iteration"].toInt() <= iterations);
        QVERIFY(!loop.contains("run"));

        const Run crowd = runCli(QStringList{"learn-from-crowds", project_, "-s", "crowdlayer[mw]", "--folds", "2", "--json"}
                                 + quick);
        QVERIFY2(crowd.exitCode == 0, qPrintable(crowd.err));
        const QJsonObject crowdJson = QJsonDocument::fromJson(crowd.out.toUtf8()).object();
        const QString crowdRun = QString::number(crowdJson["run"].toInt());
        const Run fromCrowd = runCli(QStringList{"crowdlab-loop", project_, "--start", crowdRun, "--folds", "2",
                                                 "--max-iter", "1", "--no-store"}
                                     + quick);
        QVERIFY2(fromCrowd.exitCode == 0, qPrintable(fromCrowd.err));
        const QRegularExpressionMatch startRow =
            QRegularExpression("start: run " + crowdRun + "\\s+(\\d\\.\\d{4})").match(fromCrowd.out);
        QVERIFY2(startRow.hasMatch(), qPrintable(fromCrowd.out));
        QVERIFY(std::abs(startRow.captured(1).toDouble() - crowdJson["accuracy"].toDouble()) < 1e-4);

        const Run missing = runCli(QStringList{"crowdlab-loop", project_, "--start", "999"} + quick);
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("999"), qPrintable(missing.err));
        const Run dataset = runCli(QStringList{"crowdlab-loop", answers_, "--truth", truth_, "--start", "1"} + quick);
        QCOMPARE(dataset.exitCode, 1);
        QVERIFY2(dataset.err.contains("a start run needs a project"), qPrintable(dataset.err));
    }

    void badStrategyIsNamed()
    {
        const Run run = runCli(QStringList{"learn-from-crowds", project_, "-s", "crowdlayer[xx]"} + quick);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("--strategy") && run.err.contains("unknown CrowdLayer variant"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCliCrowds)
#include "test_cli_crowds.moc"
