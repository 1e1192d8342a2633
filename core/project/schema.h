#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace SQLite {
class Database;
}

namespace crowdsift::schema {

// Written into the SQLite header (`PRAGMA application_id`, bytes 68-71, big-endian) so that a
// project can be told from any other SQLite file without running a query: ASCII "CSFT".
constexpr std::int32_t applicationId = 0x43534654;

// The schema this build writes and reads; also `PRAGMA user_version` of every project.
//   1  the first schema.
//   2  decisions.run (the aggregation run an accepted label came from); an accept row stores the
//      label accepted; the active run in metadata ('active_run'); migration_log.
//   3  runs.parent: the run a run was derived from (a retrain on a subset points to the
//      data-parameters run whose ranking chose the subset); NULL for the others.
//   4  annotators.kind ('human' | 'machine') and annotators.source (JSON: how a machine annotator
//      answered: model file or run, top-1 or k complementary labels, confidence threshold).
constexpr int currentVersion = 4;

// steps[v] upgrades a database from schema v to v + 1; steps[0] creates the schema from nothing.
using MigrationStep = std::function<void(SQLite::Database& db)>;

// This build's migration steps, currentVersion of them.
const std::vector<MigrationStep>& migrations();

// Runs steps[from] .. steps[to - 1] in one transaction, then sets `PRAGMA user_version` to `to`
// (and the metadata row `schema_version`, when the table exists). Either every step is applied
// or none: a step that throws rolls the whole upgrade back and the exception propagates.
// Throws StoreError when `from` > `to` or a step is missing.
void migrate(SQLite::Database& db, int from, int to, const std::vector<MigrationStep>& steps);

}  // namespace crowdsift::schema
