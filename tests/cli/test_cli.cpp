// End-to-end tests of crowdsift-cli: the real executable on the real shared datasets.

#include "clirun.h"
#include "testdata.h"

#include "project/store.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using crowdsift::testing::referenceCsvRows;
using crowdsift::testing::referenceObject;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;
using crowdsift::testing::sharedPath;

namespace {
QJsonObject infoJson(const QStringList& extra)
{
    const Run run = runCli(QStringList{"info", "--json"} + extra);
    if (run.exitCode != 0)
        qWarning() << "info failed:" << run.err;
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}
}  // namespace

class TestCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The counts of the dataset every peer was fed (the reference was made from the same file).
    void infoOnDogCsv()
    {
        CROWDSIFT_REQUIRE_SHARED("datasets/dog-zhou/datasets/s4_Dog data/answer.csv");
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_MajorityVote.json");
        CROWDSIFT_REQUIRE_SHARED("reference/dog/answers.csv");
        const QJsonObject ref = referenceObject("dog", "crowdkit_MajorityVote.json");
        const QJsonObject j = infoJson({q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data/answer.csv"))});
        QCOMPARE(j["items"].toInt(), ref["n_tasks"].toInt());
        QCOMPARE(j["annotators"].toInt(), ref["n_workers"].toInt());
        QCOMPARE(j["answers"].toInt(), referenceCsvRows("dog", "answers.csv"));
        QCOMPARE(j["classes"].toInt(), ref["n_classes"].toInt());
        QCOMPARE(j["truth_present"].toBool(), false);
    }

    void truthIsReadOnlyFromAnExplicitSource()
    {
        CROWDSIFT_REQUIRE_SHARED("datasets/dog-zhou/datasets/s4_Dog data/truth.csv");
        CROWDSIFT_REQUIRE_SHARED("reference/dog/truth.csv");
        const QString dog = q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data"));
        const QJsonObject j = infoJson({dog + "/answer.csv", "--truth", dog + "/truth.csv"});
        QCOMPARE(j["truth_present"].toBool(), true);
        QCOMPARE(j["items_with_truth"].toInt(), referenceCsvRows("dog", "truth.csv"));
    }

    void importLabelMeThenInfoOnProject()
    {
        CROWDSIFT_REQUIRE_SHARED("datasets/labelme/datasets/labelme/answers.json");
        CROWDSIFT_REQUIRE_SHARED("reference/labelme/crowdkit_MajorityVote.json");
        CROWDSIFT_REQUIRE_SHARED("reference/labelme/answers.csv");
        const QJsonObject ref = referenceObject("labelme", "crowdkit_MajorityVote.json");
        const int items = ref["n_tasks"].toInt();
        QVERIFY(items > 0);
        QTemporaryDir dir;
        const QString project = dir.filePath("labelme.csift");
        const Run run = runCli({"import", q(sharedPath("datasets/labelme/datasets/labelme")), "-o", project});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QString("%1 items").arg(items)), qPrintable(run.out));

        const QJsonObject j = infoJson({project});
        QCOMPARE(j["items"].toInt(), items);
        QCOMPARE(j["annotators"].toInt(), ref["n_workers"].toInt());
        QCOMPARE(j["answers"].toInt(), referenceCsvRows("labelme", "answers.csv"));
        QCOMPARE(j["classes"].toInt(), ref["n_classes"].toInt());
        // Every LabelMe task has its image (README: 1000 JPEG for the 1000 items).
        QCOMPARE(j["items_with_images"].toInt(), items);

        const Run text = runCli({"info", project});
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("tallbuilding"));
        QVERIFY(text.out.contains(QRegularExpression(QString("Items\\s+%1\\n").arg(items))));
    }

    void importRefusesToOverwriteWithoutForce()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("dog.csift");
        const QString dog = q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data/answer.csv"));
        QCOMPARE(runCli({"import", dog, "-o", project}).exitCode, 0);
        const Run again = runCli({"import", dog, "-o", project});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(project), qPrintable(again.err));
        QCOMPARE(runCli({"import", dog, "-o", project, "--force"}).exitCode, 0);
    }

    void badInputNamesFileAndLine()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath("bad.csv");
        {
            std::ofstream out(csv.toStdString());
            out << "task,worker,label\n1,1,0\n1,2,1\n2,1,cat\n";
        }
        const Run run = runCli({"import", csv, "-o", dir.filePath("bad.csift")});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("bad.csv"), qPrintable(run.err));
        QVERIFY2(run.err.contains("line 4"), qPrintable(run.err));
        QVERIFY(!QFileInfo::exists(dir.filePath("bad.csift")));
    }

    // What a reader dropped (here a repeated answer) is a warning on stderr naming the file,
    // for import and for the verbs that read a dataset directly; --quiet leaves it out.
    void readWarningsGoToStderr()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath("repeats.csv");
        {
            std::ofstream out(csv.toStdString());
            out << "task,worker,label\n1,a,0\n1,b,1\n1,a,0\n2,a,1\n";
        }
        const QString warning =
            "crowdsift-cli: warning: " + csv + ": 1 repeated answer(s) (same item, annotator and label) kept once\n";
        const Run import = runCli({"import", csv, "-o", dir.filePath("repeats.csift")});
        QVERIFY2(import.exitCode == 0, qPrintable(import.err));
        QVERIFY2(import.err.contains(warning), qPrintable(import.err));
        QVERIFY(!import.out.contains("warning"));

        const Run info = runCli({"info", "--json", csv});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.err.contains(warning), qPrintable(info.err));
        QCOMPARE(QJsonDocument::fromJson(info.out.toUtf8()).object()["answers"].toInt(), 3);

        const Run quiet = runCli({"-q", "import", csv, "-o", dir.filePath("quiet.csift")});
        QCOMPARE(quiet.exitCode, 0);
        QVERIFY2(!quiet.err.contains("warning"), qPrintable(quiet.err));

        // A project stores what was read; opening it reads no dataset file and warns of nothing.
        const Run project = runCli({"info", dir.filePath("repeats.csift")});
        QCOMPARE(project.exitCode, 0);
        QVERIFY2(!project.err.contains("warning"), qPrintable(project.err));
    }

    void unknownFormatIsAnError()
    {
        const Run run = runCli({"info", "--format", "xml", q(sharedPath("reference/dog/answers.csv"))});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("xml"), qPrintable(run.err));
    }

    void missingPathIsAnError()
    {
        const Run run = runCli({"info", "/nonexistent/crowd.csv"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("/nonexistent/crowd.csv"), qPrintable(run.err));
    }

    void demoBuildsAReadableDataset()
    {
        QTemporaryDir dir;
        const QString demo = dir.filePath("demo");
        const Run build = runCli({"demo", "-o", demo, "--items", "120"});
        QVERIFY2(build.exitCode == 0, qPrintable(build.err));
        const QString project = dir.filePath("demo.csift");
        const Run import = runCli({"import", demo, "--truth", demo + "/truth.csv", "-o", project});
        QVERIFY2(import.exitCode == 0, qPrintable(import.err));
        const QJsonObject j = infoJson({project});
        QCOMPARE(j["items"].toInt(), 120);
        QCOMPARE(j["classes"].toInt(), 10);
        QCOMPARE(j["items_with_images"].toInt(), 120);
        QCOMPARE(j["items_with_truth"].toInt(), 120);
        QVERIFY(j["annotators"].toInt() > 20);
    }

    void demoDescribesItsCrowd()
    {
        const Run run = runCli({"demo", "--describe"});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("spammer", Qt::CaseInsensitive));
    }

    void aggregateDogBeatsMajorityVote()
    {
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_MajorityVote.json");
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_DawidSkene.json");
        const QJsonObject refMv = referenceObject("dog", "crowdkit_MajorityVote.json");
        const QJsonObject refDs = referenceObject("dog", "crowdkit_DawidSkene.json");
        const QString dog = q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data"));
        const Run mv = runCli({"aggregate", dog + "/answer.csv", "--truth", dog + "/truth.csv", "-s", "mv", "--json"});
        QVERIFY2(mv.exitCode == 0, qPrintable(mv.err));
        const Run ds = runCli({"aggregate", dog + "/answer.csv", "--truth", dog + "/truth.csv", "-s", "ds", "--json"});
        QVERIFY2(ds.exitCode == 0, qPrintable(ds.err));
        const double mvAccuracy = QJsonDocument::fromJson(mv.out.toUtf8()).object()["accuracy"].toDouble();
        const double dsAccuracy = QJsonDocument::fromJson(ds.out.toUtf8()).object()["accuracy"].toDouble();
        // crowd-kit's MajorityVote (ties -> smallest class) and DawidSkene on the same answers.
        QVERIFY(refMv["n_correct"].toInt() > 0);
        QCOMPARE(qRound(mvAccuracy * refMv["n_tasks"].toInt()), refMv["n_correct"].toInt());
        QVERIFY(refDs["accuracy"].toDouble() > 0);
        QVERIFY2(dsAccuracy >= refDs["accuracy"].toDouble() - 1e-9,
                 qPrintable(QString("%1 against crowd-kit's %2").arg(dsAccuracy).arg(refDs["accuracy"].toDouble())));
    }

    // -s auto prints every candidate's held-out score and the choice, and stores both with the run.
    void aggregateAutoPrintsScoresAndChoice()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("dog.csift");
        const QString dog = q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data"));
        QCOMPARE(runCli({"import", dog + "/answer.csv", "--truth", dog + "/truth.csv", "-o", project}).exitCode, 0);
        const Run run = runCli({"aggregate", project, "-s", "auto"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("auto: held-out log-likelihood per answer (5 folds, seed 0); ds-prior is kept unless a "
                                  "candidate beats it by more than 2 standard errors:"),
                 qPrintable(run.out));
        // Every candidate with its score and how many standard errors it is above ds-prior's.
        for (const char* name : {"mv", "ds", "cc-ds", "one-coin-ds", "wds", "glad", "mace"})
            QVERIFY2(run.out.contains(QRegularExpression(QString("\\n  %1\\s+-?\\d+\\.\\d{4}  [+-]\\d+\\.\\d\\d SE").arg(name))), name);
        QVERIFY2(run.out.contains(QRegularExpression("\\n  ds-prior\\s+-?\\d+\\.\\d{4}  \\(default\\)")), qPrintable(run.out));
        const QRegularExpressionMatch chose = QRegularExpression("auto chose (\\S+)").match(run.out);
        QVERIFY(chose.hasMatch());
        QVERIFY(run.out.contains("<- chosen"));
        const QJsonArray runs = infoJson({project})["runs"].toArray();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0].toObject()["name"].toString(), QStringLiteral("auto"));
        QCOMPARE(runs[0].toObject()["chosen"].toString(), chose.captured(1));
        const Run listed = runCli({"runs", project});
        QVERIFY2(listed.out.contains("auto -> " + chose.captured(1)), qPrintable(listed.out));
        const Run json = runCli({"aggregate", project, "-s", "auto", "--json", "--no-store"});
        const QJsonObject summary = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QCOMPARE(summary["chooser"].toObject()["chosen"].toString(), chose.captured(1));
        QCOMPARE(summary["chooser"].toObject()["held_out_log_likelihood"].toObject().size(), 8);
        QCOMPARE(summary["chooser"].toObject()["default"].toString(), QStringLiteral("ds-prior"));
        QCOMPARE(summary["chooser"].toObject()["margin"].toDouble(), 2.0);
        QCOMPARE(summary["chooser"].toObject()["z_over_default"].toObject()["ds-prior"].toDouble(), 0.0);
        // Margin 0: the highest score wins, with no default.
        const Run plain = runCli({"aggregate", project, "-s", "auto", "--param", "margin=0", "--no-store"});
        QVERIFY2(plain.out.contains("(5 folds, seed 0), the highest wins:"), qPrintable(plain.out));
        QVERIFY(!plain.out.contains(" SE"));
    }

    void aggregateNeverWritesOverItsInput()
    {
        // `aggregate data.csv -o data.csv` once replaced the answers with the results; an output
        // into a missing folder failed only after the run was stored.
        QTemporaryDir dir;
        const QString data = dir.filePath("answers.csv");
        const QByteArray answers = "task,worker,label\nt0,w0,0\nt0,w1,0\nt1,w0,1\nt1,w1,1\n";
        {
            QFile file(data);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(answers);
        }
        const Run same = runCli({"aggregate", data, "-s", "mv", "-o", data});
        QCOMPARE(same.exitCode, 1);
        QVERIFY2(same.err.contains("is an input of this command"), qPrintable(same.err));
        QFile kept(data);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), answers);

        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", data, "-o", project}).exitCode, 0);
        const Run missing = runCli({"aggregate", project, "-s", "mv", "-o", dir.filePath("no/such/out.csv")});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("does not exist"), qPrintable(missing.err));
        QVERIFY(crowdsift::Project::open(project.toStdString()).runs().empty());  // nothing stored
        const Run overProject = runCli({"aggregate", project, "-s", "mv", "-o", project});
        QCOMPARE(overProject.exitCode, 1);
        QVERIFY2(overProject.err.contains("is an input of this command"), qPrintable(overProject.err));
        QCOMPARE(runCli({"aggregate", project, "-s", "mv"}).exitCode, 0);
        const Run exportOverProject = runCli({"export", project, "-o", project});
        QCOMPARE(exportOverProject.exitCode, 1);
        QVERIFY2(exportOverProject.err.contains("is an input of this command"), qPrintable(exportOverProject.err));
        QVERIFY(crowdsift::Project::looksLikeProject(project.toStdString()));
    }

    void aggregateStoresARunAndWritesCsv()
    {
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_MajorityVote.json");
        const QJsonObject ref = referenceObject("dog", "crowdkit_MajorityVote.json");
        const int classes = ref["n_classes"].toInt();
        QVERIFY(classes > 0);
        QTemporaryDir dir;
        const QString project = dir.filePath("dog.csift");
        const QString dog = q(sharedPath("datasets/dog-zhou/datasets/s4_Dog data"));
        QCOMPARE(runCli({"import", dog + "/answer.csv", "--truth", dog + "/truth.csv", "-o", project}).exitCode, 0);
        const QString csv = dir.filePath("ds.csv");
        const Run run = runCli({"aggregate", project, "-s", "ds", "-o", csv});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains("stored as run 1"));

        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), ref["n_tasks"].toInt() + 1);
        QString header = QStringLiteral("task,label");
        for (int c = 0; c < classes; ++c)
            header += QString(",p_%1").arg(c);
        QCOMPARE(lines[0], header);
        // Rows follow the natural order of the dataset's own question ids, labels are its label values.
        QVERIFY(lines[1].startsWith("1,"));
        const QStringList fields = lines[1].split(',');
        QCOMPARE(fields.size(), classes + 2);
        double sum = 0;
        for (int c = 2; c < classes + 2; ++c)
            sum += fields[c].toDouble();
        QVERIFY(qAbs(sum - 1.0) < 1e-6);
        QVERIFY(QFileInfo::exists(dir.filePath("ds.annotators.csv")));

        const Run annotators = runCli({"annotators", project, "--json"});
        QVERIFY2(annotators.exitCode == 0, qPrintable(annotators.err));
        const QJsonObject j = QJsonDocument::fromJson(annotators.out.toUtf8()).object();
        QVERIFY(j["source"].toString().contains("run 1"));
        const QJsonArray table = j["annotators"].toArray();
        QCOMPARE(table.size(), ref["n_workers"].toInt());
        const QJsonObject first = table[0].toObject();
        QCOMPARE(first["confusion"].toArray().size(), classes);
        const double spam = first["spammer_score"].toDouble();
        QVERIFY(spam >= 0.0 && spam <= 1.0);

        // info lists the project's runs, with the accuracy the run's summary holds.
        const QJsonArray runs = infoJson({project})["runs"].toArray();
        QCOMPARE(runs.size(), 1);
        const QJsonObject stored = runs[0].toObject();
        QCOMPARE(stored["id"].toInt(), 1);
        QCOMPARE(stored["kind"].toString(), QStringLiteral("aggregate"));
        QCOMPARE(stored["name"].toString(), QStringLiteral("ds"));
        QCOMPARE(stored["status"].toString(), QStringLiteral("done"));
        // Dawid-Skene with our defaults is at least as accurate as crowd-kit's on dog.
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdkit_DawidSkene.json");
        const double crowdkitDs = referenceObject("dog", "crowdkit_DawidSkene.json")["accuracy"].toDouble();
        QVERIFY(crowdkitDs > 0);
        QVERIFY2(stored["accuracy"].toDouble() >= crowdkitDs - 1e-9, qPrintable(QString::number(stored["accuracy"].toDouble())));
        const Run text = runCli({"info", project});
        QVERIFY2(text.out.contains(QRegularExpression("\\n\\*\\s+1\\s+aggregate\\s+ds\\s+done\\s")), qPrintable(text.out));
        // A dataset read directly has no runs to list.
        QVERIFY(!infoJson({dog + "/answer.csv"}).contains("runs"));
    }

    void annotatorsWithoutRunsSaysWhatToDo()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("dog.csift");
        QCOMPARE(runCli({"import", q(sharedPath("reference/dog/answers.csv")), "-o", project}).exitCode, 0);
        const Run run = runCli({"annotators", project});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("crowdsift-cli aggregate"), qPrintable(run.err));
    }

    void crowdlabMatchesCleanlabThroughTheCli()
    {
        CROWDSIFT_REQUIRE_SHARED("reference/dog/crowdlab_informative_crowdlab.json");
        QTemporaryDir dir;
        const QString out = dir.filePath("crowdlab.json");
        const Run run = runCli({"aggregate", q(sharedPath("reference/dog/answers.csv")), "-s", "crowdlab", "--pred-probs",
                                q(sharedPath("reference/dog/pred_probs_informative.npy")), "-o", out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QFile ours(out);
        QVERIFY(ours.open(QIODevice::ReadOnly));
        const QJsonArray items = QJsonDocument::fromJson(ours.readAll()).object()["items"].toArray();
        QFile reference(q(sharedPath("reference/dog/crowdlab_informative_crowdlab.json")));
        QVERIFY(reference.open(QIODevice::ReadOnly));
        const QJsonArray expected =
            QJsonDocument::fromJson(reference.readAll()).object()["label_quality"].toObject()["consensus_label"].toArray();
        QCOMPARE(items.size(), expected.size());
        for (int i = 0; i < items.size(); ++i)
            QCOMPARE(items[i].toObject()["label"].toInt(), expected[i].toInt());
    }

    void crowdlabWithoutProbabilitiesSaysSo()
    {
        const Run run = runCli({"aggregate", q(sharedPath("reference/dog/answers.csv")), "-s", "crowdlab"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("--pred-probs"), qPrintable(run.err));
    }

    void unknownStrategyListsTheKnownOnes()
    {
        const Run run = runCli({"aggregate", q(sharedPath("reference/dog/answers.csv")), "-s", "bogus"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("bogus") && run.err.contains("glad"), qPrintable(run.err));
    }

    void badParameterIsRejected()
    {
        const Run run = runCli({"aggregate", q(sharedPath("reference/dog/answers.csv")), "-s", "ds", "-p", "max_iteratons=5"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("max_iteratons"), qPrintable(run.err));
    }

    void helpListsTheVerbs()
    {
        const Run run = runCli({"--help"});
        QCOMPARE(run.exitCode, 0);
        for (const char* verb : {"import", "info", "aggregate", "annotators", "export", "demo"})
            QVERIFY(run.out.contains(verb));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
