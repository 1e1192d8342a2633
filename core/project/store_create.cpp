#include "project/store.h"

#include "project/schema.h"
#include "project/store_internal.h"
#include "util/error.h"
#include "util/progress.h"

#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

namespace fs = std::filesystem;

using store::FloatMatrix;
using store::Prepared;
using store::bindText;
using store::cacheDirOf;
using store::guarded;
using store::marker;
using store::progressEvery;
using store::syncToDisk;
using store::writeArray;

namespace {

std::string isoTimeUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

void removeQuietly(const fs::path& path)
{
    std::error_code ec;
    fs::remove_all(path, ec);
}

// Removes what builds of `path` by processes that no longer exist left behind: `<path>.tmp-<pid>`
// and `<path>.cache.tmp-<pid>` (a kill during create() gives the guard below no chance). A pid
// that is alive, or that kill() may not signal, is another process's build in progress.
void removeDeadBuilds(const std::string& path)
{
    const fs::path target(path);
    const fs::path folder = fs::absolute(target).parent_path();
    const std::string name = target.filename().string();
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        for (const std::string& prefix : {name + ".tmp-", name + ".cache.tmp-"}) {
            if (entry.compare(0, prefix.size(), prefix) != 0)
                continue;
            // The pid, then nothing or the suffix of one of SQLite's journal files.
            const std::string rest = entry.substr(prefix.size());
            const std::size_t digits = std::min(rest.find_first_not_of("0123456789"), rest.size());
            const std::string suffix = rest.substr(digits);
            if (digits == 0 || digits > 9 || !(suffix.empty() || suffix == "-wal" || suffix == "-shm" || suffix == "-journal"))
                continue;
            const std::string pidText = rest.substr(0, digits);
            const auto pid = static_cast<pid_t>(std::stol(pidText));
            if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
                removeQuietly(it->path());
        }
    }
}

std::string openElsewhere(const std::string& path)
{
    return path + ": the project is open in a program (crowdsift or crowdsift-cli, in this or another "
                  "process); close it there before replacing it";
}

// Removes a half-built project (database, its journal files, its cache) unless dismissed.
class BuildGuard {
public:
    BuildGuard(fs::path database, fs::path cache) : database_(std::move(database)), cache_(std::move(cache)) {}
    BuildGuard(const BuildGuard&) = delete;
    BuildGuard& operator=(const BuildGuard&) = delete;
    ~BuildGuard()
    {
        if (!armed_)
            return;
        removeQuietly(database_);
        removeQuietly(database_.string() + "-wal");
        removeQuietly(database_.string() + "-shm");
        removeQuietly(cache_);
    }
    void dismiss() { armed_ = false; }

private:
    fs::path database_;
    fs::path cache_;
    bool armed_ = true;
};

void writeImport(SQLite::Database& db, const Dataset& dataset, const std::string& root,
                 const fs::path& cache, Progress& progress)
{
    schema::migrate(db, 0, schema::currentVersion, schema::migrations());

    SQLite::Statement meta(db, "INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)");
    const std::vector<std::pair<std::string, std::string>> entries{
        {"application", marker}, {"name", dataset.name},     {"source", dataset.source},
        {"format", dataset.format}, {"root", root},          {"created", isoTimeUtc()}};
    for (const auto& [key, value] : entries) {
        meta.bind(1, key);
        meta.bind(2, value);
        meta.exec();
        meta.reset();
    }

    SQLite::Statement classes(db, "INSERT INTO classes (idx, name) VALUES (?, ?)");
    for (int k = 0; k < dataset.classCount(); ++k) {
        classes.bind(1, k);
        classes.bindNoCopy(2, dataset.classNames[static_cast<std::size_t>(k)]);
        classes.exec();
        classes.reset();
    }

    const int n = dataset.itemCount();
    SQLite::Statement items(db, "INSERT INTO items (idx, key, split, image, truth) VALUES (?, ?, ?, ?, ?)");
    for (int i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        if (i % progressEvery == 0)
            progress.step(i, n, "writing items");
        items.bind(1, i);
        items.bindNoCopy(2, dataset.itemKeys[u]);
        items.bind(3, static_cast<int>(dataset.splits[u]));
        bindText(items, 4, dataset.imagePaths[u]);
        if (dataset.truth.empty() || dataset.truth[u] < 0)
            items.bind(5);
        else
            items.bind(5, dataset.truth[u]);
        try {
            items.exec();
        } catch (const SQLite::Exception& e) {
            if (e.getErrorCode() == SQLITE_CONSTRAINT)
                throw std::logic_error("Dataset: item key '" + dataset.itemKeys[u] + "' is not unique");
            throw;
        }
        items.reset();
    }

    SQLite::Statement annotators(db, "INSERT INTO annotators (idx, external_id, kind) VALUES (?, ?, ?)");
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        annotators.bind(1, w);
        annotators.bindNoCopy(2, dataset.annotatorIds[static_cast<std::size_t>(w)]);
        annotators.bind(3, dataset.isMachine(w) ? "machine" : "human");
        try {
            annotators.exec();
        } catch (const SQLite::Exception& e) {
            if (e.getErrorCode() == SQLITE_CONSTRAINT)
                throw std::logic_error("Dataset: annotator id '" + dataset.annotatorIds[static_cast<std::size_t>(w)]
                                       + "' is not unique");
            throw;
        }
        annotators.reset();
    }

    // By-item order is the table's key order, so every insert appends to the B-tree.
    const Answers& answers = dataset.answers;
    const auto total = static_cast<double>(answers.size());
    // The hot loop talks to SQLite directly: SQLiteCpp's per-call checks cost a third of it.
    Prepared insert(db, "INSERT INTO answers (item, annotator, label, complementary) VALUES (?, ?, ?, ?)");
    std::size_t done = 0;
    for (int i = 0; i < n; ++i) {
        for (const Answers::Entry& e : answers.ofItem(i)) {
            if (done++ % progressEvery == 0)
                progress.step(static_cast<double>(done), total, "writing answers");
            sqlite3_bind_int(insert.get(), 1, i);
            sqlite3_bind_int(insert.get(), 2, e.other);
            sqlite3_bind_int(insert.get(), 3, e.label);
            sqlite3_bind_int(insert.get(), 4, e.complementary() ? 1 : 0);
            const int rc = sqlite3_step(insert.get());
            sqlite3_reset(insert.get());
            if (rc == SQLITE_CONSTRAINT)
                throw std::logic_error("Dataset: annotator '" + dataset.annotatorIds[static_cast<std::size_t>(e.other)]
                                       + "' answered item '" + dataset.itemKeys[static_cast<std::size_t>(i)]
                                       + "' more than once; a project keeps one answer per pair");
            if (rc != SQLITE_DONE)
                throw SQLite::Exception(db.getHandle(), rc);
        }
    }
    progress.step(total, total, "writing answers");

    SQLite::Statement arrays(db, "INSERT INTO dataset_arrays (name, file) VALUES (?, ?)");
    const std::vector<std::pair<std::string, const FloatMatrix*>> matrices{
        {"features", &dataset.features}, {"voteCounts", &dataset.voteCounts}};
    for (const auto& [name, matrix] : matrices) {
        if (matrix->size() == 0)
            continue;
        progress.stage("writing " + name);
        const std::string file = "dataset/" + name + ".npy";
        writeArray(cache / file, matrix->data(),
                   {static_cast<std::size_t>(matrix->rows()), static_cast<std::size_t>(matrix->cols())});
        arrays.bind(1, name);
        arrays.bind(2, file);
        arrays.exec();
        arrays.reset();
    }
}

}  // namespace

Project Project::create(const std::string& path, const Dataset& dataset, Progress& progress, bool overwrite)
{
    dataset.validate();
    const fs::path target(path);
    std::error_code ec;
    if (fs::is_directory(target, ec))
        throw StoreError(path + ": is a folder; choose a file name for the project");
    if (fs::exists(target, ec) && !overwrite)
        throw StoreError(path + ": already exists; choose another name or allow overwriting it");
    const fs::path folder = fs::absolute(target).parent_path();
    if (!fs::is_directory(folder, ec))
        throw StoreError(path + ": the folder " + folder.string() + " does not exist");
    if (overwrite && fs::exists(target, ec)) {
        // Told before the import is done, and again before the project is replaced.
        bool busy = false;
        const int lock = store::lockProjectFile(path, LOCK_EX, 0, busy);
        if (busy)
            throw StoreError(openElsewhere(path));
        if (lock >= 0)
            ::close(lock);
    }

    std::string root = dataset.root;
    if (!root.empty() && fs::path(root).is_relative())
        root = fs::absolute(root).lexically_normal().string();

    const std::string suffix = ".tmp-" + std::to_string(::getpid());
    const fs::path building(path + suffix);
    const fs::path buildingCache(cacheDirOf(path) + suffix);
    BuildGuard guard(building, buildingCache);
    removeQuietly(building);
    removeQuietly(buildingCache);
    store::recoverInterruptedReplace(path);
    removeDeadBuilds(path);

    guarded(path, "cannot create the project", [&] {
        // The build file is private and thrown away on any failure, and the rename below is what
        // makes the project appear atomically: a rollback journal or a WAL would only write every
        // page twice. The file is flushed to disk once, before the rename.
        SQLite::Database db(building.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
        db.exec("PRAGMA journal_mode = OFF");
        db.exec("PRAGMA synchronous = OFF");
        db.exec("PRAGMA cache_size = -131072");
        db.exec("PRAGMA foreign_keys = ON");
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        writeImport(db, dataset, root, buildingCache, progress);
        transaction.commit();
        // Persistent in the file header: every later connection uses the WAL.
        db.exec("PRAGMA journal_mode = WAL");
    });

    syncToDisk(building, false);
    bool busy = false;
    const int lock = store::lockProjectFile(path, LOCK_EX, 0, busy);
    if (busy)
        throw StoreError(openElsewhere(path));
    struct Unlock {
        int fd;
        ~Unlock()
        {
            if (fd >= 0)
                ::close(fd);
        }
    } unlock{lock};
    store::recoverInterruptedReplace(path, true);
    // Again under the lock: another create may have put a project there since.
    if (fs::exists(target, ec) && !overwrite)
        throw StoreError(path + ": already exists; choose another name or allow overwriting it");
    store::replaceProject(path, building, buildingCache);
    guard.dismiss();
    ::close(unlock.fd);
    unlock.fd = -1;
    return open(path);
}

}  // namespace crowdsift
