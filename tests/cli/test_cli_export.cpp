// End-to-end tests of `crowdsift-cli export`: the real executable on a project of the dog
// reference answers, with decisions written through the core store as the GUI writes them.

#include "clirun.h"
#include "testdata.h"

#include "project/review.h"
#include "project/store.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using crowdsift::testing::referenceCsvRows;
using crowdsift::testing::referenceObject;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;
using crowdsift::testing::sharedPath;

namespace {
QStringList csvLines(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}
}  // namespace

class TestCliExport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString project_;
    // Of the dog reference: tasks, workers, classes, answers.
    int items_ = 0;
    int annotators_ = 0;
    int classes_ = 0;
    int answers_ = 0;

private Q_SLOTS:
    void initTestCase()
    {
        CROWDSIFT_REQUIRE_SHARED("reference/dog/answers.csv");
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_MajorityVote.json");
        const QJsonObject ref = referenceObject("dog", "crowdkit_MajorityVote.json");
        items_ = ref["n_tasks"].toInt();
        annotators_ = ref["n_workers"].toInt();
        classes_ = ref["n_classes"].toInt();
        answers_ = referenceCsvRows("dog", "answers.csv");
        QVERIFY(items_ > 2 && annotators_ > 0 && classes_ > 1 && answers_ > 0);
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("dog.csift");
        const Run run = runCli({"import", q(sharedPath("reference/dog/answers.csv")), "-o", project_});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    }

    void withoutARunSaysWhatToDo()
    {
        const Run run = runCli({"export", project_, "-o", dir_.filePath("none.csv")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("crowdsift-cli aggregate"), qPrintable(run.err));
        QVERIFY(!QFileInfo::exists(dir_.filePath("none.csv")));
    }

    void withoutAnOutputSaysWhatToPass()
    {
        const Run run = runCli({"export", project_});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("-o FILE") && run.err.contains("--peerannot"), qPrintable(run.err));
    }

    void aDatasetFileIsNotAProject()
    {
        const Run run = runCli({"export", q(sharedPath("reference/dog/answers.csv")), "-o", dir_.filePath("x.csv")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("crowdsift-cli import"), qPrintable(run.err));
    }

    void exportsDecisionsOverTheConsensus()
    {
        const Run aggregate = runCli({"aggregate", project_, "-s", "mv"});
        QVERIFY2(aggregate.exitCode == 0, qPrintable(aggregate.err));

        const QString consensusCsv = dir_.filePath("consensus.csv");
        QCOMPARE(runCli({"export", project_, "-o", consensusCsv}).exitCode, 0);
        const QStringList before = csvLines(consensusCsv);
        QCOMPARE(before.size(), items_ + 1);
        QCOMPARE(before[0], QStringLiteral("task,label,source,posterior,quality,note"));
        QVERIFY2(before[1].startsWith("0,") && before[1].contains(",consensus,"), qPrintable(before[1]));
        const int consensus0 = before[1].split(',')[1].toInt();
        const int consensus1 = before[2].split(',')[1].toInt();

        {
            crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
            crowdsift::ReviewState state = crowdsift::loadReviewState(project);
            crowdsift::recordDecision(project, state,
                                      crowdsift::relabelDecision(0, (consensus0 + 1) % classes_, "cli-test", "ears"));
            crowdsift::recordDecision(project, state,
                                      crowdsift::acceptDecision(1, consensus1, project.activeRun(), "cli-test"));
        }

        const QString csv = dir_.filePath("final.csv");
        const Run run = runCli({"export", project_, "-o", csv});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("2 decided by the curator (1 relabelled, 1 accepted)"), qPrintable(run.out));
        const QStringList lines = csvLines(csv);
        QCOMPARE(lines.size(), items_ + 1);
        const QStringList first = lines[1].split(',');
        QCOMPARE(first[0], QStringLiteral("0"));
        QCOMPARE(first[1].toInt(), (consensus0 + 1) % classes_);
        QCOMPARE(first[2], QStringLiteral("decision"));
        QCOMPARE(first[5], QStringLiteral("ears"));
        const QStringList second = lines[2].split(',');
        QCOMPARE(second[1].toInt(), consensus1);
        QCOMPARE(second[2], QStringLiteral("decision"));
        for (int i = 3; i < lines.size(); ++i)
            QCOMPARE(lines[i], before[i]);

        const QString folder = dir_.filePath("curated");
        const Run peer = runCli({"export", project_, "--peerannot", folder, "--run", "1", "--json"});
        QVERIFY2(peer.exitCode == 0, qPrintable(peer.err));
        const QJsonObject summary = QJsonDocument::fromJson(peer.out.toUtf8()).object();
        QCOMPARE(summary["curator"].toString(), QStringLiteral("curator"));
        QCOMPARE(summary["decision"].toInt(), 2);
        QCOMPARE(summary["consensus"].toInt(), items_ - 2);
        QCOMPARE(summary["run"].toInt(), 1);

        const Run info = runCli({"info", "--json", folder});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        const QJsonObject j = QJsonDocument::fromJson(info.out.toUtf8()).object();
        // The curator is one more annotator, with one answer per decision.
        QCOMPARE(j["items"].toInt(), items_);
        QCOMPARE(j["annotators"].toInt(), annotators_ + 1);
        QCOMPARE(j["answers"].toInt(), answers_ + 2);
    }

    void unknownRunIsAnError()
    {
        const Run run = runCli({"export", project_, "-o", dir_.filePath("x.csv"), "--run", "99"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("--run 99") && run.err.contains("the project has 1 (mv)"), qPrintable(run.err));
    }

    void unknownQualityMethodIsAnError()
    {
        const Run run = runCli({"export", project_, "-o", dir_.filePath("x.csv"), "--quality-method", "margin"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("self_confidence"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCliExport)
#include "test_cli_export.moc"
