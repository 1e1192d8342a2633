#include "project/schema.h"

#include "util/error.h"
#include "util/npy.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crowdsift::schema {

// Version 1. Indices (idx) are the 0-based positions used everywhere in core; answers are keyed
// (item, annotator) and stored WITHOUT ROWID so that a table scan yields them in by-item order.
// Times are seconds since the Unix epoch (UTC). Array files are relative to the cache folder.
static void createVersion1(SQLite::Database& db)
{
    db.exec("PRAGMA application_id = " + std::to_string(applicationId));
    db.exec(R"sql(
CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE classes (idx INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE items (
    idx INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    split INTEGER NOT NULL,
    image TEXT,
    truth INTEGER);
CREATE TABLE annotators (idx INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE);
CREATE TABLE answers (
    item INTEGER NOT NULL,
    annotator INTEGER NOT NULL,
    label INTEGER NOT NULL,
    complementary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item, annotator)) WITHOUT ROWID;
CREATE TABLE dataset_arrays (name TEXT PRIMARY KEY, file TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT,
    params TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
    created REAL,
    finished REAL,
    summary TEXT);
CREATE TABLE run_outputs (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    PRIMARY KEY (run, name));
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
}

namespace {

void logMigration(SQLite::Database& db, int toVersion, const std::string& note)
{
    SQLite::Statement insert(db, "INSERT INTO migration_log (time, to_version, note) VALUES (strftime('%s', 'now'), ?, ?)");
    insert.bind(1, toVersion);
    insert.bind(2, note);
    insert.exec();
}

struct FinishedRun {
    std::int64_t id = 0;
    double finished = 0;
    std::string strategy;
};

// The labels output (N int32) of an aggregation run, read from the project's cache folder;
// nullopt when the file is gone or unreadable (the caller reports it).
std::optional<std::vector<int>> runLabels(SQLite::Database& db, std::int64_t run, std::string& why)
{
    SQLite::Statement select(db, "SELECT file FROM run_outputs WHERE run = ? AND name = 'labels'");
    select.bind(1, static_cast<std::int64_t>(run));
    if (!select.executeStep()) {
        why = "run " + std::to_string(run) + " has no labels output";
        return std::nullopt;
    }
    const std::string file = db.getFilename() + ".cache/" + select.getColumn(0).getString();
    try {
        return readNpy(file).as<int>();
    } catch (const std::exception& e) {
        why = e.what();
        return std::nullopt;
    }
}

}  // namespace

// Version 2: a decision means what the curator decided, forever. Version 1 stored an accept
// without its label, so the final label of an accepted item followed whichever run was newest
// or active later. An accept now stores the label accepted and the run it came from; old accept
// rows get the label of the aggregation run that was the newest finished one when the decision
// was made (what the GUI of that version showed), and migration_log says so. The active run is
// stored too; it starts as the newest finished aggregation run, again what that version showed.
static void upgradeToVersion2(SQLite::Database& db)
{
    db.exec(R"sql(
ALTER TABLE decisions ADD COLUMN run INTEGER REFERENCES runs(id);
CREATE TABLE migration_log (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL, to_version INTEGER, note TEXT);
)sql");

    std::vector<FinishedRun> runs;  // in id order
    {
        SQLite::Statement select(db, "SELECT id, finished, name FROM runs WHERE kind = 'aggregate' AND status = 'done' ORDER BY id");
        while (select.executeStep()) {
            FinishedRun run{select.getColumn(0).getInt64(), select.getColumn(1).getDouble(),
                            select.getColumn(2).isNull() ? std::string() : select.getColumn(2).getString()};
            runs.push_back(run);
        }
    }
    if (!runs.empty()) {
        SQLite::Statement active(db, "INSERT OR REPLACE INTO metadata (key, value) VALUES ('active_run', ?)");
        active.bind(1, std::to_string(runs.back().id));
        active.exec();
        logMigration(db, 2, "the active run is run " + std::to_string(runs.back().id)
                                + ", the newest finished aggregation run, which the review showed until now");
    }

    struct Accept {
        std::int64_t id;
        int item;
        double time;
        std::string task;  // the item's id in the dataset, what a curator knows it by
    };
    std::vector<Accept> accepts;
    {
        SQLite::Statement select(db, "SELECT d.id, d.item, d.time, i.key FROM decisions d LEFT JOIN items i ON i.idx = d.item "
                                     "WHERE d.status = 'accept' AND d.label IS NULL ORDER BY d.id");
        while (select.executeStep())
            accepts.push_back({select.getColumn(0).getInt64(), select.getColumn(1).getInt(), select.getColumn(2).getDouble(),
                               select.getColumn(3).isNull() ? std::to_string(select.getColumn(1).getInt())
                                                            : select.getColumn(3).getString()});
    }
    if (accepts.empty())
        return;

    std::map<std::int64_t, std::optional<std::vector<int>>> labelsOf;
    std::map<std::int64_t, std::string> whyNot;
    std::map<std::int64_t, int> fixedFrom;  // run -> accept rows given its label
    std::vector<std::string> unresolved;
    SQLite::Statement update(db, "UPDATE decisions SET label = ?, run = ? WHERE id = ?");
    for (const Accept& accept : accepts) {
        const FinishedRun* newest = nullptr;
        for (const FinishedRun& run : runs)
            if (run.finished <= accept.time)
                newest = &run;
        if (!newest) {
            unresolved.push_back("decision " + std::to_string(accept.id) + " (task " + accept.task
                                 + "): no aggregation run had finished when it was made");
            continue;
        }
        auto it = labelsOf.find(newest->id);
        if (it == labelsOf.end())
            it = labelsOf.emplace(newest->id, runLabels(db, newest->id, whyNot[newest->id])).first;
        const std::optional<std::vector<int>>& labels = it->second;
        const int label = labels && accept.item >= 0 && accept.item < static_cast<int>(labels->size())
                              ? (*labels)[static_cast<std::size_t>(accept.item)]
                              : -1;
        if (label < 0) {
            unresolved.push_back("decision " + std::to_string(accept.id) + " (task " + accept.task
                                 + "): run " + std::to_string(newest->id) + " gives it no label"
                                 + (labels ? std::string() : ": " + whyNot[newest->id]));
            continue;
        }
        update.reset();
        update.bind(1, label);
        update.bind(2, static_cast<std::int64_t>(newest->id));
        update.bind(3, static_cast<std::int64_t>(accept.id));
        update.exec();
        ++fixedFrom[newest->id];
    }
    for (const auto& [run, count] : fixedFrom) {
        std::string strategy;
        for (const FinishedRun& r : runs)
            if (r.id == run)
                strategy = r.strategy;
        logMigration(db, 2, std::to_string(count) + " accepted item(s) now keep the label of run " + std::to_string(run)
                                + (strategy.empty() ? std::string() : " (" + strategy + ")")
                                + ", the newest aggregation run when they were accepted; later runs no longer change them");
    }
    for (const std::string& line : unresolved)
        logMigration(db, 2, line + "; it still follows the active run's consensus");
}

// Version 3: a run can name the run it was derived from (runs.parent). Before, a retrain on a
// subset (`train --ranking RUN --exclude-top F`) named its ranking run only in its params; such
// train runs get that run as their parent when it is a data-parameters run of the project, and
// migration_log says how many did.
static void upgradeToVersion3(SQLite::Database& db)
{
    db.exec("ALTER TABLE runs ADD COLUMN parent INTEGER REFERENCES runs(id)");
    struct Link {
        std::int64_t run;
        std::int64_t parent;
    };
    std::vector<Link> links;
    {
        SQLite::Statement select(db, "SELECT r.id, r.params FROM runs r WHERE r.kind = 'train' AND r.params IS NOT NULL");
        while (select.executeStep()) {
            const nlohmann::json params = nlohmann::json::parse(select.getColumn(1).getString(), nullptr, false);
            if (params.is_object() && params.contains("ranking") && params["ranking"].is_number_integer())
                links.push_back({select.getColumn(0).getInt64(), params["ranking"].get<std::int64_t>()});
        }
    }
    SQLite::Statement update(db, "UPDATE runs SET parent = ?1 WHERE id = ?2 AND EXISTS "
                                 "(SELECT 1 FROM runs p WHERE p.id = ?1 AND p.kind = 'data-parameters' AND p.id < ?2)");
    int linked = 0;
    for (const Link& link : links) {
        update.reset();
        update.bind(1, static_cast<std::int64_t>(link.parent));
        update.bind(2, static_cast<std::int64_t>(link.run));
        linked += update.exec();
    }
    if (linked > 0)
        logMigration(db, 3, std::to_string(linked) + " retrain run(s) on a subset now point to the data-parameters run "
                                "that ranked their items (their parent)");
}

// Version 4: an annotator can be a machine (a model run over the dataset, `crowdsift-cli
// annotate`): annotators.kind ('human' or 'machine') and annotators.source (JSON: the model file or
// run it came from and the options it answered with). Every earlier annotator was a person, so
// nothing changes meaning and migration_log gets no line.
static void upgradeToVersion4(SQLite::Database& db)
{
    db.exec(R"sql(
ALTER TABLE annotators ADD COLUMN kind TEXT NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'machine'));
ALTER TABLE annotators ADD COLUMN source TEXT;
)sql");
}

const std::vector<MigrationStep>& migrations()
{
    static const std::vector<MigrationStep> steps{createVersion1, upgradeToVersion2, upgradeToVersion3, upgradeToVersion4};
    return steps;
}

void migrate(SQLite::Database& db, int from, int to, const std::vector<MigrationStep>& steps)
{
    if (from < 0 || from > to)
        throw StoreError("cannot migrate a project from schema " + std::to_string(from) + " to "
                         + std::to_string(to));
    if (static_cast<std::size_t>(to) > steps.size())
        throw StoreError("no migration step from schema " + std::to_string(steps.size()) + " to "
                         + std::to_string(to));
    if (from == to)
        return;
    // A savepoint, not BEGIN, so that the upgrade nests inside a caller's transaction (create
    // builds the schema inside its import transaction).
    db.exec("SAVEPOINT migrate");
    try {
        for (int version = from; version < to; ++version)
            steps[static_cast<std::size_t>(version)](db);
        db.exec("PRAGMA user_version = " + std::to_string(to));
        if (db.tableExists("metadata")) {
            SQLite::Statement update(db, "INSERT OR REPLACE INTO metadata (key, value) VALUES ('schema_version', ?)");
            update.bind(1, std::to_string(to));
            update.exec();
        }
    } catch (...) {
        db.tryExec("ROLLBACK TO migrate");
        db.tryExec("RELEASE migrate");
        throw;
    }
    db.exec("RELEASE migrate");
}

}  // namespace crowdsift::schema
