// End-to-end: complementary answers through crowdsift-cli (import, info, aggregate's warning and
// the strategies that read them), a machine annotator's mark in every table, and `annotate`'s
// refusals that need no model.

#include "clirun.h"

#include "data/formats.h"
#include "project/store.h"
#include "util/progress.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

// Six items, three classes: two voters and one labeller saying "not" a class it is right about.
QString writeCsv(const QTemporaryDir& dir)
{
    const QString path = dir.filePath("answers.csv");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write("task,worker,label,complementary\n");
    for (int i = 0; i < 6; ++i) {
        const int truth = i % 3;
        f.write(QStringLiteral("%1,a,%2,0\n%1,b,%3,0\n%1,c,%4,1\n").arg(i).arg(truth).arg((truth + (i == 4 ? 1 : 0)) % 3).arg((truth + 1) % 3).toUtf8());
    }
    return path;
}

}  // namespace

class TestCliComplementary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void importInfoAndAggregate()
    {
        QTemporaryDir dir;
        const QString csv = writeCsv(dir);
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", csv, "-o", project}).exitCode, 0);

        const Run info = runCli({"info", project, "--json"});
        QCOMPARE(info.exitCode, 0);
        const QJsonObject j = QJsonDocument::fromJson(info.out.toUtf8()).object();
        QCOMPARE(j["answers"].toInt(), 18);
        QCOMPARE(j["votes"].toInt(), 12);
        QCOMPARE(j["complementary_answers"].toInt(), 6);
        const Run text = runCli({"info", project});
        QVERIFY2(text.out.contains("18 (12 votes, 6 complementary 'not k')"), qPrintable(text.out));

        const Run ds = runCli({"aggregate", project, "-s", "ds", "--json"});
        QCOMPARE(ds.exitCode, 0);
        QVERIFY2(ds.err.contains("warning: ds cannot use complementary ('not class k') answers: 6 ignored"), qPrintable(ds.err));
        const QJsonObject dsSummary = QJsonDocument::fromJson(ds.out.toUtf8()).object();
        QCOMPARE(dsSummary["warnings"].toArray().size(), 1);
        QCOMPARE(dsSummary["complementary_answers"].toInt(), 6);

        const Run comp = runCli({"aggregate", project, "-s", "comp-ds", "--json"});
        QCOMPARE(comp.exitCode, 0);
        QVERIFY2(!comp.err.contains("warning"), qPrintable(comp.err));
        const QJsonObject compSummary = QJsonDocument::fromJson(comp.out.toUtf8()).object();
        QVERIFY(!compSummary.contains("warnings"));
        // Both runs store the data's complementary transition matrix, comp-ds each annotator's too.
        const QString runs = project + ".cache/runs/";
        QVERIFY(QFile::exists(runs + "1/complementary_transition.npy"));
        QVERIFY(!QFile::exists(runs + "1/annotator_complementary_transitions.npy"));
        QVERIFY(QFile::exists(runs + "2/complementary_transition.npy"));
        QVERIFY(QFile::exists(runs + "2/annotator_complementary_transitions.npy"));

        const Run annotators = runCli({"annotators", project, "--json"});
        QCOMPARE(annotators.exitCode, 0);
        const QJsonArray table = QJsonDocument::fromJson(annotators.out.toUtf8()).object()["annotators"].toArray();
        QCOMPARE(table.size(), 3);
        QCOMPARE(table[2].toObject()["complementary"].toInt(), 6);
        QCOMPARE(table[2].toObject()["kind"].toString(), QStringLiteral("human"));
    }

    // An ACL-style N x C cl_labels matrix: every label complementary.
    void complementaryMatrixImport()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath("cl.csv");
        QFile f(csv);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("task,0,1\nx,1,2\ny,0,2\n");
        f.close();
        const Run info = runCli({"info", csv, "--format", "matrix", "--complementary-matrix", "--classes", "3", "--json"});
        QCOMPARE(info.exitCode, 0);
        const QJsonObject j = QJsonDocument::fromJson(info.out.toUtf8()).object();
        QCOMPARE(j["complementary_answers"].toInt(), 4);
        QCOMPARE(j["votes"].toInt(), 0);
    }

    // A machine annotator (stored as `annotate` stores one) is marked in every table: info
    // --annotators (text and JSON), annotators (text), and the .annotators.csv beside an
    // aggregation export (kind column). A peerannot export has no place for the mark: read back,
    // the machine is one more annotator.
    void machineMarkInEveryTable()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", writeCsv(dir), "-o", project}).exitCode, 0);
        {
            crowdsift::Project p = crowdsift::Project::open(project.toStdString());
            std::vector<crowdsift::Answer> answers;
            for (int i = 0; i < 6; ++i)
                answers.push_back({i, 0, (i + 2) % 3, true});
            QCOMPARE(p.addMachineAnnotator("vlm", {{"model", "test"}}, answers), 3);
        }

        const Run info = runCli({"info", project, "--annotators"});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.out.contains("annotator              labels     not k  classes used"), qPrintable(info.out));
        QVERIFY2(info.out.contains("  vlm [machine]               6         6             3\n"), qPrintable(info.out));
        QVERIFY2(info.out.contains("  c                           6         6             3\n"), qPrintable(info.out));
        QVERIFY2(info.out.contains("  a                           6         0             3\n"), qPrintable(info.out));
        QVERIFY(info.out.contains("[machine]: a model's answers (crowdsift-cli annotate)"));
        const Run infoJson = runCli({"info", project, "--annotators", "--json"});
        const QJsonArray infoTable = QJsonDocument::fromJson(infoJson.out.toUtf8()).object()["annotator_table"].toArray();
        QCOMPARE(infoTable.size(), 4);
        QCOMPARE(infoTable[3].toObject()["kind"].toString(), QStringLiteral("machine"));
        QCOMPARE(infoTable[0].toObject()["kind"].toString(), QStringLiteral("human"));

        const QString csv = dir.filePath("out.csv");
        const Run aggregate = runCli({"aggregate", project, "-s", "comp-ds", "-o", csv});
        QVERIFY2(aggregate.exitCode == 0, qPrintable(aggregate.err));
        QFile table(dir.filePath("out.annotators.csv"));
        QVERIFY(table.open(QIODevice::ReadOnly));
        const QStringList rows = QString::fromUtf8(table.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows[0], QStringLiteral("annotator,kind,labels,complementary,classes_used,agreement,estimated_accuracy,"
                                         "spammer_score,skill"));
        QVERIFY2(rows[1].startsWith("a,human,6,0,3,"), qPrintable(rows[1]));
        // Its "not k" answers are all right: judged by them, it is near 1 on both figures.
        const QStringList vlm = rows[4].split(',');
        QCOMPARE(vlm.mid(0, 6), (QStringList{"vlm", "machine", "0", "6", "0", ""}));
        QVERIFY2(vlm[6].toDouble() > 0.95 && vlm[7].toDouble() > 0.9, qPrintable(rows[4]));

        const Run annotators = runCli({"annotators", project});
        QCOMPARE(annotators.exitCode, 0);
        QVERIFY2(annotators.out.contains("vlm [machine]") && !annotators.out.contains("c [machine]"),
                 qPrintable(annotators.out));
        // labels (votes) 0, not k 6, classes 0, agreement -, accuracy and non-spam from its "not k".
        QVERIFY2(annotators.out.contains(QRegularExpression("\\nvlm \\[machine\\] +0 +6 +0 +- +0\\.9\\d\\d +0\\.9\\d\\d ")),
                 qPrintable(annotators.out));
        QVERIFY(annotators.out.contains("[machine]: a model's answers (crowdsift-cli annotate), weighed like anyone's."));

        const QString folder = dir.filePath("curated");
        const Run exported = runCli({"export", project, "-o", dir.filePath("final.csv"), "--peerannot", folder});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        crowdsift::ReadOptions options;
        options.format = crowdsift::Format::Peerannot;
        const crowdsift::Dataset back = crowdsift::readDataset(folder.toStdString(), options);
        QVERIFY(std::find(back.annotatorIds.begin(), back.annotatorIds.end(), "vlm") != back.annotatorIds.end());
        QVERIFY(back.machineAnnotators.empty());
    }

    void annotateNeedsAModelAndTrust()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", writeCsv(dir), "-o", project}).exitCode, 0);
        const Run none = runCli({"annotate", project});
        QVERIFY(none.exitCode != 0);
        QVERIFY2(none.err.contains("--run ID"), qPrintable(none.err));
        const Run untrusted = runCli({"annotate", project, "--model", dir.filePath("m.pt")});
        QVERIFY(untrusted.exitCode != 0);
        QVERIFY2(untrusted.err.contains("--trust-model"), qPrintable(untrusted.err));
        const Run notTrain = runCli({"annotate", project, "--run", "7"});
        QVERIFY(notTrain.exitCode != 0);
        QVERIFY2(notTrain.err.contains("run 7") && notTrain.err.contains("no such run"), qPrintable(notTrain.err));
    }
};

QTEST_GUILESS_MAIN(TestCliComplementary)
#include "test_cli_complementary.moc"
