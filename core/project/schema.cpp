#include "project/schema.h"

#include "util/error.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>

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

const std::vector<MigrationStep>& migrations()
{
    static const std::vector<MigrationStep> steps{createVersion1};
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
