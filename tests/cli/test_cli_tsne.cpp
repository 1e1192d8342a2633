// End-to-end tests of `crowdsift-cli tsne`: the real (light) executable maps a small project's
// feature vectors, stores the map as a run, writes it as .csv / .npy, maps one class of the active
// aggregation run, names missing inputs, and stores a map cancelled by Ctrl-C as cancelled.

#include "clirun.h"
#include "synthetic_crowd.h"

#include "project/store.h"
#include "project/tsne_runs.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <thread>

using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

class TestCliTsne : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString project_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("p.csift");
        crowdsift::Project::create(project_.toStdString(), crowdsift::testing::syntheticCrowd(),
                                   crowdsift::Progress::none());
    }

    void mapsFeaturesAndWritesCsv()
    {
        const QString csv = dir_.filePath("map.csv");
        const Run run = runCli({"tsne", project_, "--input", "features", "--iterations", "80", "-o", csv, "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject summary = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(summary["points"].toInt(), crowdsift::testing::kItems);
        QVERIFY(summary["kl"].toDouble() > 0);
        const std::int64_t id = summary["run"].toInteger();

        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), crowdsift::testing::kItems + 1);
        QCOMPARE(lines[0], QStringLiteral("item,x,y"));
        QVERIFY(lines[1].startsWith("0,"));

        crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
        const crowdsift::TsneRun stored = crowdsift::loadTsneRun(project, id, crowdsift::testing::kItems);
        QCOMPARE(stored.input, std::string("features"));
        QVERIFY(std::abs(lines[1].split(',')[1].toDouble() - static_cast<double>(stored.coords[0])) < 1e-6);

        // The same map again as .npy: same seed, same coordinates.
        const QString npy = dir_.filePath("map.npy");
        const Run again = runCli({"-q", "tsne", project_, "--input", "features", "--iterations", "80", "-o", npy});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        const crowdsift::NpyArray coords = crowdsift::readNpy(npy.toStdString());
        QCOMPARE(coords.shape, (std::vector<std::size_t>{std::size_t(crowdsift::testing::kItems), 2}));
        QCOMPARE(coords.as<float>(), stored.coords);
    }

    void mapsOneClassOfTheActiveRun()
    {
        const Run before = runCli({"tsne", project_, "--input", "features", "--class", "b"});
        QCOMPARE(before.exitCode, 1);
        QVERIFY2(before.err.contains("aggregate"), qPrintable(before.err));
        const Run aggregate = runCli({"-q", "aggregate", project_, "-s", "mv"});
        QVERIFY2(aggregate.exitCode == 0, qPrintable(aggregate.err));
        const Run run = runCli({"tsne", project_, "--input", "features", "--class", "b", "--iterations", "50"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("stored as run"), qPrintable(run.out));
        crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
        QCOMPARE(crowdsift::tsneRuns(project, 1).size(), std::size_t(1));
        const Run unknown = runCli({"tsne", project_, "--input", "features", "--class", "zebra"});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("--class") && unknown.err.contains("zebra"), qPrintable(unknown.err));
    }

    void missingInputsAndBadOutputsAreRefused()
    {
        const Run gist = runCli({"tsne", project_, "--input", "gist"});
        QCOMPARE(gist.exitCode, 1);
        QVERIFY2(gist.err.contains("--input gist"), qPrintable(gist.err));
        const Run trajectories = runCli({"tsne", project_});
        QCOMPARE(trajectories.exitCode, 1);
        QVERIFY2(trajectories.err.contains("identify"), qPrintable(trajectories.err));
        const Run extension = runCli({"tsne", project_, "--input", "features", "-o", dir_.filePath("map.txt")});
        QCOMPARE(extension.exitCode, 1);
        QVERIFY2(extension.err.contains(".npy or .csv"), qPrintable(extension.err));
        const Run self = runCli({"tsne", project_, "--input", "features", "-o", project_});
        QCOMPARE(self.exitCode, 1);
    }

    void interruptStoresTheRunCancelled()
    {
        QProcess process;
        process.start(crowdsift::testing::cliPath(),
                      {"tsne", project_, "--input", "features", "--iterations", "100000", "--method", "exact"});
        QVERIFY(process.waitForStarted());
        // Wait until the map's run is recorded (the handler is installed before), then Ctrl-C.
        std::int64_t running = 0;
        for (int attempt = 0; attempt < 600 && running == 0; ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
            for (const crowdsift::RunInfo& info : project.runs())
                if (info.kind == "tsne" && info.status == "running")
                    running = info.id;
        }
        QVERIFY(running > 0);
        ::kill(static_cast<pid_t>(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 130);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains("cancelled"));
        crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
        QCOMPARE(project.run(running).status, std::string("cancelled"));
    }
};

QTEST_APPLESS_MAIN(TestCliTsne)
#include "test_cli_tsne.moc"
