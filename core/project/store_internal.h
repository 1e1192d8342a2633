#pragma once

// Shared by the parts of Project (project/store.h), one file per responsibility: store.cpp
// (opening, migrating, the header; the helpers below), store_create.cpp (creating a project and
// importing a dataset), store_replace.cpp (putting a built project in place of another, the
// project lock), store_dataset.cpp (reading the dataset back), store_runs.cpp (runs, run
// outputs, the active run), store_locks.cpp (the run lock files that tell a live run from an
// interrupted one) and store_decisions.cpp (decisions). SQLite types; included by nothing outside
// core/project.

#include "project/store.h"
#include "util/error.h"
#include "util/npy.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace crowdsift {

// The lock files of this Project's running runs: open descriptors holding flock(LOCK_EX); and
// `<path>.lock` held with flock(LOCK_SH) while the project is open, which keeps create() from
// replacing it (-1 when the folder allows no lock file).
struct Project::RunLocks {
    std::map<std::int64_t, int> fds;
    int project = -1;

    ~RunLocks();  // closes them, which releases the locks
};

namespace store {

namespace fs = std::filesystem;

constexpr const char* marker = "crowdsift";  // metadata "application" of every project
constexpr int progressEvery = 1 << 14;

// Seconds since the Unix epoch (UTC), the unit of every time a project stores.
double nowSeconds();

// `<path>.cache`, the folder of a project's arrays and lock files.
std::string cacheDirOf(const std::string& path);

// Turns an SQLite failure into a message that says what to do about it.
StoreError storeError(const std::string& path, const std::string& doing, const SQLite::Exception& e);

// Runs `body`, turning an SQLite failure into storeError(path, doing, ...).
template <typename F>
auto guarded(const std::string& path, const std::string& doing, F&& body)
{
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        throw storeError(path, doing, e);
    }
}

// JSON stored in the project (run params and summaries, annotator sources): refused as a damaged
// project (StoreError naming `what`) when nested deeper than kMaxJsonDepth (util/json.h), since
// nlohmann/json copies and dumps recursively and a hand-made record of 70,000 levels would
// overflow the stack, or when it does not parse.
nlohmann::json storedJson(const std::string& text, const std::string& path, const std::string& what);

// Flushes a file or folder to the disk so that a rename that follows is not reordered before
// the data it publishes.
void syncToDisk(const fs::path& path, bool folder);

// writeNpy itself writes a temporary file and renames it; the folder is flushed too, so that
// the row recorded next never names a file the disk may still lose.
template <typename T>
void writeArray(const fs::path& file, const T* data, const std::vector<std::size_t>& shape)
{
    try {
        fs::create_directories(file.parent_path());
        writeNpy(file.string(), data, shape);
    } catch (const fs::filesystem_error& e) {
        throw StoreError(file.parent_path().string() + ": cannot create the cache folder: " + e.code().message());
    } catch (const InputError& e) {
        throw StoreError(e.what());
    }
    syncToDisk(file.parent_path(), true);
}

// The array in `file`; StoreError naming `what` when the file is missing or unreadable.
NpyArray readArray(const fs::path& file, const std::string& what);

// Binds `text`, or NULL when it is empty.
void bindText(SQLite::Statement& statement, int index, const std::string& text);

// The column's text; empty for NULL.
std::string columnText(const SQLite::Column& column);

// A raw prepared statement, for the loops over every answer.
class Prepared {
public:
    Prepared(SQLite::Database& db, const char* sql)
    {
        const int rc = sqlite3_prepare_v2(db.getHandle(), sql, -1, &statement_, nullptr);
        if (rc != SQLITE_OK)
            throw SQLite::Exception(db.getHandle(), rc);
    }
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    ~Prepared() { sqlite3_finalize(statement_); }
    sqlite3_stmt* get() const { return statement_; }

private:
    sqlite3_stmt* statement_ = nullptr;
};

using FloatMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Opens (creating) `path` and takes an exclusive flock without waiting; -1 when another open
// file holds it or the file cannot be made.
int tryLockFile(const fs::path& path);

// flock `operation` (LOCK_SH to use a project, LOCK_EX to replace it) on `<path>.lock`, retried
// for up to `waitMs`. Returns the descriptor holding it; -1 with `busy` set when another open
// file holds a conflicting lock, -1 with `busy` clear when the lock file can be neither created
// nor opened (a read-only folder, where nobody can replace the project either).
int lockProjectFile(const std::string& path, int operation, int waitMs, bool& busy);

// Puts the database `building` and its cache folder `buildingCache` (which may not exist) in
// place of the project at `path` (which may not exist), its cache and its write-ahead log, so
// that a kill at any moment leaves the old project or the new one whole: the old cache and log
// are moved aside under names with this process's pid, a marker `<path>.swap-<pid>` says a
// replacement is under way, and the rename of the database is the moment the new project
// takes over. The caller holds the project's exclusive lock. Throws StoreError (the old project
// back in place) when a step fails.
void replaceProject(const std::string& path, const fs::path& building, const fs::path& buildingCache);

// Finishes or undoes the replacements of `path` whose process died (see replaceProject);
// true when there was one. Takes the project's lock exclusively for it unless the caller holds
// it (`locked`); does nothing while another process holds it. Throws StoreError when a rename
// fails.
bool recoverInterruptedReplace(const std::string& path, bool locked = false);

}  // namespace store

}  // namespace crowdsift
