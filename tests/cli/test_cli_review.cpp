// End-to-end tests of `crowdsift-cli decide`, `undo` and `runs`: the real executable on a small
// project whose runs are known, checked through the core store and through `export`.

#include "clirun.h"
#include "testdata.h"

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/review.h"
#include "project/store.h"
#include "util/progress.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace fs = std::filesystem;

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

// 6 items t0..t5, 3 annotators, classes cat, dog, bird; every item answered.
crowdsift::Dataset sixItems()
{
    crowdsift::Dataset d;
    d.name = "six";
    d.source = "/nowhere/six.csv";
    d.format = "csv";
    d.classNames = {"cat", "dog", "bird"};
    for (int i = 0; i < 6; ++i) {
        d.itemKeys.push_back("t" + std::to_string(i));
        d.splits.push_back(crowdsift::Split::Train);
        d.imagePaths.push_back({});
    }
    d.annotatorIds = {"w0", "w1", "w2"};
    std::vector<crowdsift::Answer> answers;
    for (int i = 0; i < 6; ++i)
        for (int w = 0; w < 3; ++w)
            answers.push_back({i, w, (i + (w == 2 ? 1 : 0)) % 3, false});
    d.answers = crowdsift::Answers::fromTriplets(6, 3, answers);
    return d;
}

// The final labels file of `export`: task -> its fields (task,label,source,posterior,quality,note).
QMap<QString, QStringList> exported(const QString& project, const QString& csv)
{
    const Run run = runCli({"export", project, "-o", csv});
    if (run.exitCode != 0) {
        qWarning() << "export failed:" << run.err;
        return {};
    }
    QFile file(csv);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QMap<QString, QStringList> rows;
    const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList fields = lines[i].split(',');
        rows.insert(fields.front(), fields);
    }
    return rows;
}

std::vector<crowdsift::Decision> decisionsOf(const QString& project)
{
    return crowdsift::Project::open(project.toStdString()).decisions();
}

void writeText(const QString& path, const std::string& text)
{
    std::ofstream(path.toStdString()) << text;
}

}  // namespace

class TestCliReview : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString base_;
    std::vector<int> mv_;       // labels of run 1 (mv, the active run)
    std::vector<int> rotated_;  // labels of run 2: run 1's, each moved to the next class
    int copies_ = 0;

    // A fresh copy of the base project (file and cache folder), for one test to change.
    QString freshProject()
    {
        const QString path = dir_.filePath(QStringLiteral("p%1.csift").arg(++copies_));
        fs::copy_file(base_.toStdString(), path.toStdString());
        fs::copy(base_.toStdString() + ".cache", path.toStdString() + ".cache", fs::copy_options::recursive);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        base_ = dir_.filePath("base.csift");
        const crowdsift::Dataset dataset = sixItems();
        crowdsift::Project::create(base_.toStdString(), dataset, crowdsift::Progress::none());
        // Run 1: a real aggregation, which becomes the active run.
        const Run aggregate = runCli({"aggregate", base_, "-s", "mv"});
        QVERIFY2(aggregate.exitCode == 0, qPrintable(aggregate.err));

        crowdsift::Project project = crowdsift::Project::open(base_.toStdString());
        QCOMPARE(project.activeRun(), std::int64_t{1});
        mv_ = project.runOutput(1, "labels").as<int>();
        QCOMPARE(mv_.size(), std::size_t{6});
        // Run 2: a done aggregation that disagrees with run 1 on every item.
        crowdsift::AggregationResult other = crowdsift::aggregate("mv", dataset);
        other.strategy = "rotated";
        for (int& label : other.labels)
            label = (label + 1) % 3;
        rotated_ = other.labels;
        QCOMPARE(crowdsift::storeAggregationRun(project, dataset, other, {{"strategy", "rotated"}},
                                                nlohmann::json::object()),
                 std::int64_t{2});
        // Run 3 failed, run 4 is a finished training run, run 5 was running when its process
        // died (its lock is released when `project` closes without finishing it).
        QCOMPARE(project.beginRun("aggregate", {{"strategy", "glad"}}, "glad"), std::int64_t{3});
        project.finishRun(3, "failed", {{"error", "diverged"}});
        QCOMPARE(project.beginRun("train", {{"model", "mlp"}}), std::int64_t{4});
        project.finishRun(4, "done", {{"epochs", 1}});
        QCOMPARE(project.beginRun("aggregate", {{"strategy", "ds"}}, "ds"), std::int64_t{5});
        QCOMPARE(project.activeRun(), std::int64_t{1});
    }

    void decideLabelWritesOneRelabel()
    {
        const QString project = freshProject();
        const int label = (mv_[3] + 1) % 3;
        const Run run = runCli({"decide", project, "--item", "t3", "--label", QString::number(label), "--note",
                                "wrong ears", "--reviewer", "ann"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("item t3: relabelled as"), qPrintable(run.out));

        const std::vector<crowdsift::Decision> rows = decisionsOf(project);
        QCOMPARE(rows.size(), std::size_t{1});
        QCOMPARE(q(rows[0].status), QStringLiteral("relabel"));
        QCOMPARE(rows[0].item, 3);
        QCOMPARE(rows[0].label, label);
        QCOMPARE(q(rows[0].reviewer), QStringLiteral("ann"));
        QCOMPARE(q(rows[0].note), QStringLiteral("wrong ears"));
        QCOMPARE(rows[0].run, std::int64_t{0});
        QVERIFY(rows[0].time > 0);

        const QMap<QString, QStringList> labels = exported(project, dir_.filePath("relabel.csv"));
        QCOMPARE(labels.size(), 6);
        QCOMPARE(labels["t3"][1].toInt(), label);
        QCOMPARE(labels["t3"][2], QStringLiteral("decision"));
        QCOMPARE(labels["t3"][5], QStringLiteral("wrong ears"));
        QCOMPARE(labels["t0"][1].toInt(), mv_[0]);
        QCOMPARE(labels["t0"][2], QStringLiteral("consensus"));
    }

    void decideLabelByClassName()
    {
        const QString project = freshProject();
        const Run run = runCli({"decide", project, "--item", "t1", "--label", "bird", "--reviewer", "ann"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("relabelled as bird"), qPrintable(run.out));
        const std::vector<crowdsift::Decision> rows = decisionsOf(project);
        QCOMPARE(rows.size(), std::size_t{1});
        QCOMPARE(rows[0].label, 2);

        const Run unknown = runCli({"decide", project, "--item", "t1", "--label", "horse"});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("'horse' is neither a class index nor a class name"), qPrintable(unknown.err));
        const Run outside = runCli({"decide", project, "--item", "t1", "--label", "3"});
        QCOMPARE(outside.exitCode, 1);
        QVERIFY2(outside.err.contains("outside the 3 classes"), qPrintable(outside.err));
        const Run noItem = runCli({"decide", project, "--item", "t9", "--label", "cat"});
        QCOMPARE(noItem.exitCode, 1);
        QVERIFY2(noItem.err.contains("there is no task 't9'"), qPrintable(noItem.err));
        QCOMPARE(decisionsOf(project).size(), std::size_t{1});
    }

    void acceptStoresTheActiveRunsLabelAndKeepsIt()
    {
        const QString project = freshProject();
        const Run run = runCli({"decide", project, "--item", "t2", "--accept", "--reviewer", "ann"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("(run 1, mv)"), qPrintable(run.out));
        {
            crowdsift::Project opened = crowdsift::Project::open(project.toStdString());
            const crowdsift::ReviewState state = crowdsift::loadReviewState(opened);
            const crowdsift::Decision* row = state.decisionRow(2);
            QVERIFY(row);
            QCOMPARE(q(row->status), QStringLiteral("accept"));
            QCOMPARE(row->label, mv_[2]);
            QCOMPARE(row->run, std::int64_t{1});
            QCOMPARE(q(row->reviewer), QStringLiteral("ann"));
        }
        QVERIFY(rotated_[2] != mv_[2]);

        const Run activate = runCli({"runs", project, "--activate", "2"});
        QVERIFY2(activate.exitCode == 0, qPrintable(activate.err));
        QCOMPARE(crowdsift::Project::open(project.toStdString()).activeRun(), std::int64_t{2});
        const QMap<QString, QStringList> labels = exported(project, dir_.filePath("accept.csv"));
        QCOMPARE(labels.size(), 6);
        QCOMPARE(labels["t2"][1].toInt(), mv_[2]);
        QCOMPARE(labels["t2"][2], QStringLiteral("decision"));
        // The other items follow the newly active run.
        QCOMPARE(labels["t0"][1].toInt(), rotated_[0]);
        QCOMPARE(labels["t0"][2], QStringLiteral("consensus"));

        // A new accept takes the label of the run active now.
        const Run again = runCli({"decide", project, "--item", "t4", "--accept", "--reviewer", "ann"});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        const std::vector<crowdsift::Decision> rows = decisionsOf(project);
        QCOMPARE(rows.size(), std::size_t{2});
        QCOMPARE(rows[1].label, rotated_[4]);
        QCOMPARE(rows[1].run, std::int64_t{2});
    }

    void undoTakesBackTheNewestStep()
    {
        const QString project = freshProject();
        QCOMPARE(runCli({"decide", project, "--item", "t0", "--label", "dog", "--reviewer", "ann"}).exitCode, 0);
        const QString csv = dir_.filePath("batch.csv");
        writeText(csv, "task,label,note\nt1,cat,first\nt2,bird,\nt3,1,third\n");
        const Run batch = runCli({"decide", project, "--from", csv, "--reviewer", "ann"});
        QVERIFY2(batch.exitCode == 0, qPrintable(batch.err));
        QVERIFY2(batch.out.contains("3 item(s) relabelled from"), qPrintable(batch.out));
        {
            const std::vector<crowdsift::Decision> rows = decisionsOf(project);
            QCOMPARE(rows.size(), std::size_t{4});
            QCOMPARE(rows[1].item, 1);
            QCOMPARE(rows[1].label, 0);
            QCOMPARE(q(rows[1].note), QStringLiteral("first"));
            QCOMPARE(rows[2].label, 2);
            QCOMPARE(rows[3].label, 1);
            QCOMPARE(q(rows[3].note), QStringLiteral("third"));
        }

        // The batch is one step: one undo takes back its three rows, and only them.
        const Run undo = runCli({"undo", project, "--reviewer", "bob"});
        QVERIFY2(undo.exitCode == 0, qPrintable(undo.err));
        QVERIFY2(undo.out.contains("undid 3 decision(s)"), qPrintable(undo.out));
        {
            crowdsift::Project opened = crowdsift::Project::open(project.toStdString());
            const std::vector<crowdsift::Decision> rows = opened.decisions();
            QCOMPARE(rows.size(), std::size_t{7});
            for (std::size_t r = 4; r < 7; ++r) {
                QCOMPARE(q(rows[r].status), QStringLiteral("undo"));
                QCOMPARE(q(rows[r].reviewer), QStringLiteral("bob"));
            }
            QCOMPARE(rows[4].undoes + rows[5].undoes + rows[6].undoes, std::int64_t{2 + 3 + 4});
            const crowdsift::ReviewState state = crowdsift::loadReviewState(opened);
            QCOMPARE(state.decidedCount(), 1);
            QCOMPARE(state.decisionOf(0), 1);
            QVERIFY(!state.isDecided(1));
        }
        const QMap<QString, QStringList> labels = exported(project, dir_.filePath("undo.csv"));
        QCOMPARE(labels["t0"][1].toInt(), 1);
        QCOMPARE(labels["t1"][1].toInt(), mv_[1]);
        QCOMPARE(labels["t1"][2], QStringLiteral("consensus"));

        const Run second = runCli({"undo", project});
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.out.contains("undid 1 decision(s): relabel of item t0"), qPrintable(second.out));
        const Run nothing = runCli({"undo", project});
        QCOMPARE(nothing.exitCode, 1);
        QVERIFY2(nothing.err.contains("nothing to undo"), qPrintable(nothing.err));
        QCOMPARE(decisionsOf(project).size(), std::size_t{8});
    }

    void badCsvNamesFileAndLineAndWritesNothing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown task") << "task,label\nt1,cat\nt7,dog\n" << "line 3: there is no task 't7'";
        QTest::newRow("unknown class") << "task,label\nt1,cat\nt2,horse\n" << "line 3: label 'horse'";
        QTest::newRow("class out of range") << "task,label\nt1,5\n" << "line 2: label 5 is outside the 3 classes";
        QTest::newRow("bad header") << "item,label\nt1,cat\n" << "line 1: unknown column 'item'";
        QTest::newRow("no label column") << "task,note\nt1,x\n" << "line 1: the header needs the columns task and label";
        QTest::newRow("duplicate task") << "task,label\nt1,cat\nt2,dog\nt1,bird\n"
                                        << "line 4: task 't1' is given twice (first on line 2)";
        QTest::newRow("short record") << "task,label,note\nt1,cat,x\nt2,dog\n" << "line 3: 2 fields, the header has 3";
        QTest::newRow("header only") << "task,label\n" << "no decisions";
    }

    void badCsvNamesFileAndLineAndWritesNothing()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const QString project = freshProject();
        QCOMPARE(runCli({"decide", project, "--item", "t0", "--label", "dog"}).exitCode, 0);
        const QString csv = dir_.filePath(QStringLiteral("bad%1.csv").arg(copies_));
        writeText(csv, text.toStdString());
        const Run run = runCli({"decide", project, "--from", csv});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(csv) && run.err.contains(expected), qPrintable(run.err));
        QCOMPARE(decisionsOf(project).size(), std::size_t{1});
    }

    void runsJsonListsStatusAndTheActiveRun()
    {
        const QString project = freshProject();
        const Run run = runCli({"runs", project, "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonArray runs = QJsonDocument::fromJson(run.out.toUtf8()).array();
        QCOMPARE(runs.size(), 5);
        const QStringList kinds{"aggregate", "aggregate", "aggregate", "train", "aggregate"};
        const QStringList statuses{"done", "done", "failed", "done", "failed"};
        for (int r = 0; r < runs.size(); ++r) {
            const QJsonObject entry = runs[r].toObject();
            QCOMPARE(entry["id"].toInt(), r + 1);
            QCOMPARE(entry["kind"].toString(), kinds[r]);
            QCOMPARE(entry["status"].toString(), statuses[r]);
            QCOMPARE(entry["active"].toBool(), r == 0);
        }
        QCOMPARE(runs[0].toObject()["name"].toString(), QStringLiteral("mv"));
        QCOMPARE(runs[1].toObject()["name"].toString(), QStringLiteral("rotated"));
        QCOMPARE(runs[2].toObject()["error"].toString(), QStringLiteral("diverged"));
        // Run 5's process died while it ran: the next open found it failed.
        QVERIFY2(runs[4].toObject()["error"].toString().contains("interrupted"), qPrintable(run.out));
        QVERIFY(runs[4].toObject()["finished"].toDouble() >= runs[4].toObject()["created"].toDouble());

        QCOMPARE(runCli({"runs", project, "--activate", "2"}).exitCode, 0);
        const QJsonArray after = QJsonDocument::fromJson(runCli({"runs", project, "--json"}).out.toUtf8()).array();
        QCOMPARE(after.size(), 5);
        QVERIFY(!after[0].toObject()["active"].toBool());
        QVERIFY(after[1].toObject()["active"].toBool());

        const Run table = runCli({"runs", project});
        QVERIFY2(table.exitCode == 0, qPrintable(table.err));
        QVERIFY2(table.out.contains("rotated") && table.out.contains("failed") && table.out.contains("interrupted"),
                 qPrintable(table.out));
    }

    void activateRefusesWhatCannotBeActive_data()
    {
        QTest::addColumn<QString>("run");
        QTest::addColumn<QString>("expected");
        QTest::newRow("failed") << "3" << "run 3 is failed; only a finished run can be the active run";
        QTest::newRow("interrupted") << "5" << "run 5 is failed; only a finished run can be the active run";
        QTest::newRow("training") << "4" << "run 4 is a train run; only an aggregation run can be the active run";
        QTest::newRow("unknown") << "42" << "there is no run 42";
    }

    void activateRefusesWhatCannotBeActive()
    {
        QFETCH(QString, run);
        QFETCH(QString, expected);
        const QString project = freshProject();
        const Run activate = runCli({"runs", project, "--activate", run});
        QCOMPARE(activate.exitCode, 1);
        QVERIFY2(activate.err.contains("--activate " + run) && activate.err.contains(expected), qPrintable(activate.err));
        QCOMPARE(crowdsift::Project::open(project.toStdString()).activeRun(), std::int64_t{1});
    }

    void acceptWithoutAnActiveRunSaysWhatToDo()
    {
        const QString project = dir_.filePath("norun.csift");
        crowdsift::Project::create(project.toStdString(), sixItems(), crowdsift::Progress::none());
        const Run run = runCli({"decide", project, "--item", "t0", "--accept"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("no active run") && run.err.contains("crowdsift-cli aggregate"), qPrintable(run.err));
        QCOMPARE(decisionsOf(project).size(), std::size_t{0});
    }
};

QTEST_GUILESS_MAIN(TestCliReview)
#include "test_cli_review.moc"
