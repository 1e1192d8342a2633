// The real upgrades of older projects (core/project/schema.cpp) through Project::open. Schema 1
// (upgradeToVersion2): a project built with the core API is taken back to schema 1 by hand, as
// the first release wrote it (accepts without a label, no decisions.run, no active run, no
// migration_log, no runs.parent), with run finish times and decision times chosen so that the
// label each old accept must get is known. Schema 2 (upgradeToVersion3): taken back to a runs
// table without `parent`, with retrain runs that named their ranking run only in their params.
// Schema 3 (upgradeToVersion4): taken back to annotators without `kind` and `source`.

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/review.h"
#include "project/schema.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <string>
#include <vector>

using namespace crowdsift;
namespace fs = std::filesystem;

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// 6 items, 3 annotators, 3 classes; every item answered.
Dataset sixItems()
{
    Dataset d;
    d.name = "six";
    d.source = "/nowhere/six.csv";
    d.format = "csv";
    d.classNames = {"cat", "dog", "bird"};
    for (int i = 0; i < 6; ++i) {
        d.itemKeys.push_back("t" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.push_back({});
    }
    d.annotatorIds = {"w0", "w1", "w2"};
    std::vector<Answer> answers;
    for (int i = 0; i < 6; ++i)
        for (int w = 0; w < 3; ++w)
            answers.push_back({i, w, (i + (w == 2 ? 1 : 0)) % 3, false});
    d.answers = Answers::fromTriplets(6, 3, answers);
    return d;
}

// The labels of the two aggregation runs: they differ on every item, so a migrated accept
// tells which run it took its label from.
const std::vector<int> run1Labels{0, 1, 2, 0, 1, 2};
const std::vector<int> run2Labels{1, 2, 0, 1, 2, 0};

// Finish times of the runs, seconds since the epoch: 1 and 2 are done aggregations, 3 a done
// training run finished later, 4 an aggregation that failed later still.
constexpr double finished1 = 1000;
constexpr double finished2 = 2000;
constexpr double finished3 = 3000;
constexpr double finished4 = 3500;

struct OldRow {
    int item;
    int label;  // -1: NULL
    const char* status;
    double time;
};

// Decisions 1-6 as schema 1 stored them: accepts carry no label.
const std::vector<OldRow> oldRows{
    {1, -1, "accept", 1500},   // 1: after run 1, before run 2: run 1's label
    {2, -1, "accept", 2500},   // 2: after run 2: run 2's label
    {0, -1, "accept", 500},    // 3: before any run finished: cannot be resolved
    {3, 2, "relabel", 1600},   // 4: a relabel is left as it is
    {4, -1, "accept", 4000},   // 5: after the training run and the failed one: still run 2
    {5, -1, "accept", 2000}};  // 6: exactly when run 2 finished: run 2

void storeRun(Project& project, const Dataset& dataset, const std::string& strategy, const std::vector<int>& labels)
{
    AggregationResult result = aggregate("mv", dataset);
    result.strategy = strategy;
    result.labels = labels;
    storeAggregationRun(project, dataset, result, {{"strategy", strategy}}, nlohmann::json::object());
}

// The runs table as schemas 1 and 2 created it, without `parent` (a column with REFERENCES
// cannot be dropped, so the table is rebuilt; foreign keys are off on this bare connection).
void dropRunsParent(SQLite::Database& db)
{
    db.exec(R"sql(
CREATE TABLE runs_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT,
    params TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
    created REAL,
    finished REAL,
    summary TEXT);
INSERT INTO runs_old SELECT id, kind, name, params, status, created, finished, summary FROM runs;
DROP TABLE runs;
ALTER TABLE runs_old RENAME TO runs;
)sql");
}

// The annotators table as schemas 1 to 3 created it, without kind and source.
void dropAnnotatorKind(SQLite::Database& db)
{
    db.exec("ALTER TABLE annotators DROP COLUMN source; ALTER TABLE annotators DROP COLUMN kind;");
}

// A schema-1 project at `path` with the runs and decisions above; `extraSql` runs last, while
// the file is at schema 1 (e.g. to plant a fault in it).
void buildVersion1(const std::string& path, const std::string& extraSql = {})
{
    const Dataset dataset = sixItems();
    {
        Project project = Project::create(path, dataset, Progress::none());
        storeRun(project, dataset, "mv", run1Labels);
        storeRun(project, dataset, "ds", run2Labels);
        project.finishRun(project.beginRun("train", {{"model", "mlp"}}), "done", {{"epochs", 1}});
        project.finishRun(project.beginRun("aggregate", {{"strategy", "glad"}}, "glad"), "failed",
                          {{"error", "diverged"}});
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    SQLite::Statement finish(db, "UPDATE runs SET finished = ? WHERE id = ?");
    for (const auto& [run, time] : std::vector<std::pair<int, double>>{
             {1, finished1}, {2, finished2}, {3, finished3}, {4, finished4}}) {
        finish.bind(1, time);
        finish.bind(2, run);
        finish.exec();
        finish.reset();
    }
    dropRunsParent(db);
    dropAnnotatorKind(db);
    db.exec(R"sql(
DELETE FROM metadata WHERE key = 'active_run';
UPDATE metadata SET value = '1' WHERE key = 'schema_version';
DROP TABLE migration_log;
DROP INDEX decisions_by_item;
DROP TABLE decisions;
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item INTEGER NOT NULL REFERENCES items(idx),
    label INTEGER,
    status TEXT NOT NULL,
    reviewer TEXT,
    time REAL NOT NULL,
    note TEXT,
    undoes INTEGER REFERENCES decisions(id));
CREATE INDEX decisions_by_item ON decisions(item);
)sql");
    SQLite::Statement insert(db, "INSERT INTO decisions (item, label, status, reviewer, time) VALUES (?, ?, ?, 'old', ?)");
    for (const OldRow& row : oldRows) {
        insert.bind(1, row.item);
        if (row.label >= 0)
            insert.bind(2, row.label);
        else
            insert.bind(2);
        insert.bind(3, row.status);
        insert.bind(4, row.time);
        insert.exec();
        insert.reset();
    }
    if (!extraSql.empty())
        db.exec(extraSql);
    db.exec("PRAGMA user_version = 1");
}

bool hasColumn(SQLite::Database& db, const std::string& table, const std::string& column)
{
    SQLite::Statement info(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
    info.bind(1, table);
    info.bind(2, column);
    return info.executeStep();
}

int count(SQLite::Database& db, const std::string& sql)
{
    return db.execAndGet(sql).getInt();
}

QString joined(const std::vector<std::string>& lines)
{
    QStringList list;
    for (const std::string& line : lines)
        list << qs(line);
    return list.join('\n');
}

// A schema-2 project at `path`: run 1 an aggregation, run 2 a data-parameters run, then four
// train runs as `train --ranking` stored them before schema 3 (the ranking in params only):
// run 3 ranked by run 2 (gets it as parent), run 4 "ranked" by the aggregation run 1 and run 5 by
// a run that does not exist (neither gets a parent), run 6 a plain training. `extraSql` runs last.
void buildVersion2(const std::string& path, const std::string& extraSql = {})
{
    const Dataset dataset = sixItems();
    {
        Project project = Project::create(path, dataset, Progress::none());
        storeRun(project, dataset, "mv", run1Labels);
        project.finishRun(project.beginRun("data-parameters", {{"model", "mlp"}, {"instance", true}}, "mlp"), "done",
                          {{"epochs", 2}});
        for (const nlohmann::json& params : {nlohmann::json{{"model", "mlp"}, {"ranking", 2}, {"exclude_top", 0.2}},
                                             nlohmann::json{{"model", "mlp"}, {"ranking", 1}, {"exclude_top", 0.2}},
                                             nlohmann::json{{"model", "mlp"}, {"ranking", 9}, {"exclude_top", 0.2}},
                                             nlohmann::json{{"model", "mlp"}}})
            project.finishRun(project.beginRun("train", params, "mlp"), "done", {{"epochs", 2}});
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    dropRunsParent(db);
    dropAnnotatorKind(db);
    db.exec("UPDATE metadata SET value = '2' WHERE key = 'schema_version'");
    if (!extraSql.empty())
        db.exec(extraSql);
    db.exec("PRAGMA user_version = 2");
}

// A schema-3 project at `path`: the six items with one aggregation run, annotators without kind
// and source. `extraSql` runs last.
void buildVersion3(const std::string& path, const std::string& extraSql = {})
{
    const Dataset dataset = sixItems();
    {
        Project project = Project::create(path, dataset, Progress::none());
        storeRun(project, dataset, "mv", run1Labels);
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    dropAnnotatorKind(db);
    db.exec("UPDATE metadata SET value = '3' WHERE key = 'schema_version'");
    if (!extraSql.empty())
        db.exec(extraSql);
    db.exec("PRAGMA user_version = 3");
}

std::vector<std::int64_t> parentsOf(const Project& project)
{
    std::vector<std::int64_t> parents;
    for (const RunInfo& run : project.runs())
        parents.push_back(run.parent);
    return parents;
}

}  // namespace

class TestMigration : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixtureIsSchemaOne();
    void acceptsGetTheLabelOfTheRunNewestWhenMade();
    void migrationNotesSayWhatChanged();
    void secondOpenChangesNothing();
    void unreadableRunLabelsLeaveAcceptsUnresolved();
    void projectWithoutRunsGetsNoActiveRun();
    void failingUpgradeRollsBackEveryChange();
    void fixtureIsSchemaTwo();
    void retrainRunsGetTheirRankingRunAsParent();
    void failingUpgradeToThreeRollsBack();
    void annotatorsBecomeHumanThenMachinesCanJoin();
    void failingUpgradeToFourRollsBack();
};

void TestMigration::fixtureIsSchemaOne()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 1);
    QVERIFY(!hasColumn(db, "decisions", "run"));
    QVERIFY(!hasColumn(db, "runs", "parent"));
    QVERIFY(!db.tableExists("migration_log"));
    QCOMPARE(count(db, "SELECT count(*) FROM metadata WHERE key = 'active_run'"), 0);
    QCOMPARE(count(db, "SELECT count(*) FROM decisions WHERE status = 'accept' AND label IS NULL"), 5);
    QCOMPARE(count(db, "SELECT count(*) FROM runs"), 4);
    QVERIFY(Project::looksLikeProject(path));
}

void TestMigration::acceptsGetTheLabelOfTheRunNewestWhenMade()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path);

    Project project = Project::open(path);
    QCOMPARE(project.schemaVersion(), schema::currentVersion);
    const std::vector<Decision> rows = project.decisions();
    QCOMPARE(rows.size(), oldRows.size());
    struct Want {
        int label;
        std::int64_t run;
    };
    const std::vector<Want> want{
        {run1Labels[1], 1}, {run2Labels[2], 2}, {-1, 0}, {2, 0}, {run2Labels[4], 2}, {run2Labels[5], 2}};
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const QByteArray what = "decision " + QByteArray::number(rows[r].id);
        QCOMPARE(rows[r].id, static_cast<std::int64_t>(r + 1));
        QCOMPARE(rows[r].item, oldRows[r].item);
        QCOMPARE(qs(rows[r].status), QString::fromLatin1(oldRows[r].status));
        QCOMPARE(rows[r].time, oldRows[r].time);
        QVERIFY2(rows[r].label == want[r].label, what + ": label " + QByteArray::number(rows[r].label));
        QVERIFY2(rows[r].run == want[r].run, what + ": run " + QByteArray::number(static_cast<qint64>(rows[r].run)));
    }
    // The newest finished aggregation run, not the later training run nor the failed one.
    QCOMPARE(project.activeRun(), std::int64_t{2});

    // The review reads the accepted labels back; the unresolved accept still follows the
    // active run's consensus.
    const ReviewState state = loadReviewState(project);
    QCOMPARE(state.acceptedCount(), 5);
    QCOMPARE(state.relabelledCount(), 1);
    QCOMPARE(state.decidedLabelOf(1), run1Labels[1]);
    QCOMPARE(state.decisionRow(1)->run, std::int64_t{1});
    QCOMPARE(state.decidedLabelOf(2), run2Labels[2]);
    QCOMPARE(state.decidedLabelOf(0), -1);
    QCOMPARE(state.labelOf(0, run2Labels[0]), run2Labels[0]);

    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QVERIFY(hasColumn(db, "decisions", "run"));
    QVERIFY(hasColumn(db, "runs", "parent"));
    QCOMPARE(qs(db.execAndGet("SELECT value FROM metadata WHERE key = 'schema_version'").getString()),
             QString::number(schema::currentVersion));
    for (const RunInfo& run : project.runs())
        QCOMPARE(run.parent, std::int64_t{0});
}

void TestMigration::migrationNotesSayWhatChanged()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path);

    const Project project = Project::open(path);
    const std::vector<std::string>& notes = project.migrationNotes();
    const QString all = joined(notes);
    QCOMPARE(notes.size(), std::size_t{4});
    for (const std::string& note : notes)
        QVERIFY2(note.rfind("migrated from schema 1 to " + std::to_string(schema::currentVersion) + ": ", 0) == 0,
                 note.c_str());
    QVERIFY2(qs(notes[0]).contains("the active run is run 2, the newest finished aggregation run"), qPrintable(all));
    QVERIFY2(qs(notes[1]).contains("1 accepted item(s) now keep the label of run 1 (mv)"), qPrintable(all));
    QVERIFY2(qs(notes[2]).contains("3 accepted item(s) now keep the label of run 2 (ds)"), qPrintable(all));
    QVERIFY2(qs(notes[3]).contains("decision 3 (task t0): no aggregation run had finished when it was made")
                 && qs(notes[3]).contains("it still follows the active run's consensus"),
             qPrintable(all));
}

void TestMigration::secondOpenChangesNothing()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path);
    std::vector<Decision> first;
    {
        const Project project = Project::open(path);
        QVERIFY(!project.migrationNotes().empty());
        first = project.decisions();
    }
    const Project again = Project::open(path);
    QVERIFY2(again.migrationNotes().empty(), qPrintable(joined(again.migrationNotes())));
    QCOMPARE(again.schemaVersion(), schema::currentVersion);
    QCOMPARE(again.activeRun(), std::int64_t{2});
    const std::vector<Decision> second = again.decisions();
    QCOMPARE(second.size(), first.size());
    for (std::size_t r = 0; r < first.size(); ++r) {
        QCOMPARE(second[r].id, first[r].id);
        QCOMPARE(second[r].label, first[r].label);
        QCOMPARE(second[r].run, first[r].run);
        QCOMPARE(second[r].time, first[r].time);
    }
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(count(db, "SELECT count(*) FROM migration_log"), 4);
}

void TestMigration::unreadableRunLabelsLeaveAcceptsUnresolved()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path);
    const fs::path labels = fs::path(path + ".cache") / "runs" / "1" / "labels.npy";
    QVERIFY(fs::remove(labels));

    const Project project = Project::open(path);
    const std::vector<Decision> rows = project.decisions();
    QCOMPARE(rows[0].label, -1);
    QCOMPARE(rows[0].run, std::int64_t{0});
    QCOMPARE(rows[1].label, run2Labels[2]);
    const QString all = joined(project.migrationNotes());
    QVERIFY2(all.contains("decision 1 (task t1): run 1 gives it no label: ") && all.contains("labels.npy"),
             qPrintable(all));
    QVERIFY2(!all.contains("label of run 1"), qPrintable(all));
    QVERIFY2(all.contains("3 accepted item(s) now keep the label of run 2"), qPrintable(all));
}

void TestMigration::projectWithoutRunsGetsNoActiveRun()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path, "DELETE FROM decisions; DELETE FROM run_outputs; DELETE FROM runs;");

    const Project project = Project::open(path);
    QCOMPARE(project.schemaVersion(), schema::currentVersion);
    QCOMPARE(project.activeRun(), std::int64_t{0});
    QVERIFY2(project.migrationNotes().empty(), qPrintable(joined(project.migrationNotes())));
}

// A fault in the middle of the real upgrade (after the new column, the new table, the active
// run and the first accept were written) leaves the file exactly at schema 1, and it migrates
// once the fault is gone.
void TestMigration::failingUpgradeRollsBackEveryChange()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v1.csift").toStdString();
    buildVersion1(path, "CREATE TRIGGER fault BEFORE UPDATE ON decisions WHEN NEW.id = 2 "
                        "BEGIN SELECT RAISE(ABORT, 'planted fault'); END;");

    try {
        Project::open(path);
        QFAIL("the upgrade should have failed");
    } catch (const StoreError& e) {
        QVERIFY2(qs(e.what()).contains(qs(path)) && qs(e.what()).contains("planted fault"), e.what());
    }
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 1);
        QVERIFY(!hasColumn(db, "decisions", "run"));
        QVERIFY(!db.tableExists("migration_log"));
        QCOMPARE(count(db, "SELECT count(*) FROM metadata WHERE key = 'active_run'"), 0);
        QCOMPARE(qs(db.execAndGet("SELECT value FROM metadata WHERE key = 'schema_version'").getString()),
                 QStringLiteral("1"));
        QCOMPARE(count(db, "SELECT count(*) FROM decisions WHERE status = 'accept' AND label IS NULL"), 5);
        db.exec("DROP TRIGGER fault");
    }

    const Project project = Project::open(path);
    QCOMPARE(project.schemaVersion(), schema::currentVersion);
    QCOMPARE(project.activeRun(), std::int64_t{2});
    QCOMPARE(project.decisions()[0].label, run1Labels[1]);
    QCOMPARE(project.migrationNotes().size(), std::size_t{4});
}

void TestMigration::fixtureIsSchemaTwo()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v2.csift").toStdString();
    buildVersion2(path);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 2);
    QVERIFY(hasColumn(db, "decisions", "run"));
    QVERIFY(db.tableExists("migration_log"));
    QVERIFY(!hasColumn(db, "runs", "parent"));
    QCOMPARE(count(db, "SELECT count(*) FROM runs"), 6);
}

void TestMigration::retrainRunsGetTheirRankingRunAsParent()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v2.csift").toStdString();
    buildVersion2(path);
    {
        const Project project = Project::open(path);
        QCOMPARE(project.schemaVersion(), schema::currentVersion);
        QVERIFY((parentsOf(project) == std::vector<std::int64_t>{0, 0, 2, 0, 0, 0}));
        const std::vector<std::string>& notes = project.migrationNotes();
        QCOMPARE(notes.size(), std::size_t{1});
        QVERIFY2(qs(notes[0]).startsWith(QStringLiteral("migrated from schema 2 to %1: 1 retrain run(s) on a subset now "
                                                        "point to the data-parameters run that ranked their items")
                                             .arg(schema::currentVersion)),
                 qPrintable(joined(notes)));
        // Nothing else changed: the runs keep their params, and the active run stays.
        QCOMPARE(project.run(3).params["ranking"].get<int>(), 2);
        QCOMPARE(project.activeRun(), std::int64_t{1});
    }
    const Project again = Project::open(path);
    QVERIFY2(again.migrationNotes().empty(), qPrintable(joined(again.migrationNotes())));
    QVERIFY((parentsOf(again) == std::vector<std::int64_t>{0, 0, 2, 0, 0, 0}));
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), schema::currentVersion);
    QCOMPARE(qs(db.execAndGet("SELECT value FROM metadata WHERE key = 'schema_version'").getString()),
             QString::number(schema::currentVersion));
    QCOMPARE(count(db, "SELECT count(*) FROM migration_log WHERE to_version = 3"), 1);
    // The column is a real reference: SQLite's foreign key check finds nothing wrong.
    QCOMPARE(count(db, "SELECT count(*) FROM pragma_foreign_key_check('runs')"), 0);
}

// A fault while the parents are written leaves the file at schema 2 without the column; it
// migrates once the fault is gone.
void TestMigration::failingUpgradeToThreeRollsBack()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v2.csift").toStdString();
    buildVersion2(path, "CREATE TRIGGER fault BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'planted fault'); END;");
    try {
        Project::open(path);
        QFAIL("the upgrade should have failed");
    } catch (const StoreError& e) {
        QVERIFY2(qs(e.what()).contains(qs(path)) && qs(e.what()).contains("planted fault"), e.what());
    }
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 2);
        QVERIFY(!hasColumn(db, "runs", "parent"));
        QCOMPARE(count(db, "SELECT count(*) FROM migration_log WHERE to_version = 3"), 0);
        QCOMPARE(qs(db.execAndGet("SELECT value FROM metadata WHERE key = 'schema_version'").getString()),
                 QStringLiteral("2"));
        db.exec("DROP TRIGGER fault");
    }
    const Project project = Project::open(path);
    QCOMPARE(project.schemaVersion(), schema::currentVersion);
    QVERIFY((parentsOf(project) == std::vector<std::int64_t>{0, 0, 2, 0, 0, 0}));
}

// Schema 3 -> 4: every existing annotator is a person, nothing else changes, no note; then a
// machine annotator joins and reads back as one, with its source.
void TestMigration::annotatorsBecomeHumanThenMachinesCanJoin()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v3.csift").toStdString();
    buildVersion3(path);
    const Dataset before = sixItems();
    {
        Project project = Project::open(path);
        QCOMPARE(project.schemaVersion(), schema::currentVersion);
        QVERIFY2(project.migrationNotes().empty(), qPrintable(joined(project.migrationNotes())));
        const Dataset d = project.loadDataset(Progress::none());
        QVERIFY(d.machineAnnotators.empty());
        QCOMPARE(d.annotatorIds, before.annotatorIds);
        QCOMPARE(d.answers.size(), before.answers.size());
        QCOMPARE(project.activeRun(), std::int64_t{1});
        const int index = project.addMachineAnnotator("model", {{"run", 1}}, {Answer{0, 0, 1, false}, Answer{2, 0, 0, true}});
        QCOMPARE(index, before.annotatorCount());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.addMachineAnnotator("model", {}, {}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.addMachineAnnotator("other", {}, {Answer{99, 0, 0, false}}));
    }
    const Project again = Project::open(path);
    const Dataset d = again.loadDataset(Progress::none());
    QCOMPARE(d.annotatorCount(), before.annotatorCount() + 1);
    QVERIFY(d.isMachine(before.annotatorCount()));
    QVERIFY(!d.isMachine(0));
    QCOMPARE(d.answers.countOfAnnotator(before.annotatorCount()), 2);
    QVERIFY(d.answers.ofAnnotator(before.annotatorCount()).begin()[1].complementary());
    QCOMPARE(again.annotatorSources().back()["run"].get<int>(), 1);
    QVERIFY(again.annotatorSources().front().is_null());
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(count(db, "SELECT count(*) FROM annotators WHERE kind = 'human'"), before.annotatorCount());
}

// A fault after the first new column (a planted `source` column makes the second ALTER fail)
// rolls back the first one too: the file stays at schema 3 without `kind`.
void TestMigration::failingUpgradeToFourRollsBack()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("v3.csift").toStdString();
    buildVersion3(path, "ALTER TABLE annotators ADD COLUMN source INTEGER;");
    try {
        Project::open(path);
        QFAIL("the upgrade should have failed");
    } catch (const StoreError& e) {
        QVERIFY2(qs(e.what()).contains(qs(path)) && qs(e.what()).contains("source"), e.what());
    }
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 3);
        QVERIFY(!hasColumn(db, "annotators", "kind"));
        db.exec("ALTER TABLE annotators DROP COLUMN source");
    }
    const Project project = Project::open(path);
    QCOMPARE(project.schemaVersion(), schema::currentVersion);
}

QTEST_GUILESS_MAIN(TestMigration)
#include "test_migration.moc"
