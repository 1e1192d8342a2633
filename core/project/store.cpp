#include "project/store.h"

#include "project/schema.h"
#include "util/error.h"
#include "util/progress.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

constexpr const char* marker = "crowdsift";
constexpr int busyTimeoutMs = 5000;
constexpr int progressEvery = 1 << 14;

double nowSeconds()
{
    using namespace std::chrono;
    return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

std::string isoTimeUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string cacheDirOf(const std::string& path)
{
    return path + ".cache";
}

// Turns an SQLite failure into a message that says what to do about it.
StoreError storeError(const std::string& path, const std::string& doing, const SQLite::Exception& e)
{
    const int code = e.getErrorCode();
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        return StoreError(path + ": the project file is damaged (" + e.what()
                          + "); restore it from a backup or create the project again");
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return StoreError(path + ": " + doing + ": the project is busy in another program ("
                          + e.what() + ")");
    if (code == SQLITE_FULL)
        return StoreError(path + ": " + doing + ": the disk is full");
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
        return StoreError(path + ": " + doing + ": cannot write here (" + e.what() + ")");
    return StoreError(path + ": " + doing + ": " + e.what());
}

template <typename F>
auto guarded(const std::string& path, const std::string& doing, F&& body)
{
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        throw storeError(path, doing, e);
    }
}

enum class FileKind { Missing, Directory, Empty, NotSqlite, Foreign, Project };

// Classifies a file from the first 100 bytes (the SQLite header) without opening a connection.
FileKind classify(const std::string& path)
{
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return FileKind::Missing;
    if (fs::is_directory(status))
        return FileKind::Directory;
    std::ifstream in(path, std::ios::binary);
    std::array<unsigned char, 100> header{};
    in.read(reinterpret_cast<char*>(header.data()), header.size());
    const std::streamsize got = in.gcount();
    if (got == 0)
        return FileKind::Empty;
    static const char magic[] = "SQLite format 3";  // 16 bytes with its terminating zero
    if (got < static_cast<std::streamsize>(header.size()) || std::memcmp(header.data(), magic, sizeof magic) != 0)
        return FileKind::NotSqlite;
    const std::uint32_t id = (std::uint32_t(header[68]) << 24) | (std::uint32_t(header[69]) << 16)
                             | (std::uint32_t(header[70]) << 8) | std::uint32_t(header[71]);
    return id == static_cast<std::uint32_t>(schema::applicationId) ? FileKind::Project : FileKind::Foreign;
}

void requireProjectFile(const std::string& path)
{
    switch (classify(path)) {
    case FileKind::Missing: throw StoreError(path + ": no such project file");
    case FileKind::Directory: throw StoreError(path + ": is a folder, not a Crowdsift project file");
    case FileKind::Empty: throw StoreError(path + ": the file is empty, not a Crowdsift project");
    case FileKind::NotSqlite:
        throw StoreError(path + ": not a Crowdsift project (not an SQLite database, or cut short)");
    case FileKind::Foreign:
        throw StoreError(path + ": an SQLite database of another program, not a Crowdsift project");
    case FileKind::Project: return;
    }
}

// Flushes a file or folder to the disk so that a rename that follows is not reordered before
// the data it publishes.
void syncToDisk(const fs::path& path, bool folder)
{
    const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        throw StoreError(path.string() + ": cannot open to flush it to disk: " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        throw StoreError(path.string() + ": cannot flush it to disk: " + std::strerror(err));
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

NpyArray readArray(const fs::path& file, const std::string& what)
{
    if (!fs::exists(file))
        throw StoreError(file.string() + ": " + what + " is missing from the project's cache folder");
    try {
        return readNpy(file.string());
    } catch (const InputError& e) {
        throw StoreError(std::string(e.what()) + " (" + what + ")");
    }
}

void bindText(SQLite::Statement& statement, int index, const std::string& text)
{
    if (text.empty())
        statement.bind(index);
    else
        statement.bindNoCopy(index, text);
}

std::string columnText(const SQLite::Column& column)
{
    return column.isNull() ? std::string() : column.getString();
}

nlohmann::json columnJson(const SQLite::Column& column, const std::string& path)
{
    if (column.isNull())
        return nullptr;
    try {
        return nlohmann::json::parse(column.getString());
    } catch (const nlohmann::json::parse_error& e) {
        throw StoreError(path + ": the project file is damaged (bad JSON in a run record: " + e.what() + ")");
    }
}

bool validStem(const std::string& name)
{
    if (name.empty() || name.front() == '.' || name.size() > 200)
        return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
            return false;
    return true;
}

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

    SQLite::Statement annotators(db, "INSERT INTO annotators (idx, external_id) VALUES (?, ?)");
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        annotators.bind(1, w);
        annotators.bindNoCopy(2, dataset.annotatorIds[static_cast<std::size_t>(w)]);
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

Project::Project(std::string path) : path_(std::move(path)) {}

// The lock files of this Project's running runs: open descriptors holding flock(LOCK_EX).
struct Project::RunLocks {
    std::map<std::int64_t, int> fds;

    ~RunLocks()
    {
        for (const auto& [run, fd] : fds)
            ::close(fd);
    }
};

namespace {

// Opens (creating) `path` and takes an exclusive flock without waiting; -1 when another open
// file holds it or the file cannot be made.
int tryLockFile(const fs::path& path)
{
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;
Project::~Project() = default;

bool Project::looksLikeProject(const std::string& path)
{
    try {
        return classify(path) == FileKind::Project;
    } catch (...) {
        return false;
    }
}

std::string Project::cacheDir() const
{
    return cacheDirOf(path_);
}

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

    std::string root = dataset.root;
    if (!root.empty() && fs::path(root).is_relative())
        root = fs::absolute(root).lexically_normal().string();

    const std::string suffix = ".tmp-" + std::to_string(::getpid());
    const fs::path building(path + suffix);
    const fs::path buildingCache(cacheDirOf(path) + suffix);
    BuildGuard guard(building, buildingCache);
    removeQuietly(building);
    removeQuietly(buildingCache);
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

    try {
        syncToDisk(building, false);
        if (fs::exists(target)) {
            fs::remove(target);
            removeQuietly(path + "-wal");
            removeQuietly(path + "-shm");
        }
        removeQuietly(cacheDirOf(path));
        if (fs::exists(buildingCache))
            fs::rename(buildingCache, cacheDirOf(path));
        fs::rename(building, target);
        syncToDisk(folder, true);
    } catch (const fs::filesystem_error& e) {
        throw StoreError(path + ": cannot put the new project in place: " + e.code().message());
    }
    guard.dismiss();
    return open(path);
}

Project Project::open(const std::string& path)
{
    requireProjectFile(path);
    Project project(path);
    guarded(path, "cannot open the project", [&] {
        project.db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, busyTimeoutMs);
        SQLite::Database& db = *project.db_;
        db.exec("PRAGMA foreign_keys = ON");
        db.exec("PRAGMA synchronous = FULL");
        const int version = db.execAndGet("PRAGMA user_version").getInt();
        if (version > schema::currentVersion)
            throw StoreError(path + ": the project was written by a newer Crowdsift (schema "
                             + std::to_string(version) + ", this build reads up to "
                             + std::to_string(schema::currentVersion) + "); update Crowdsift to open it");
        if (version < 1)
            throw StoreError(path + ": the project file is damaged (it has no schema version)");
        if (!db.tableExists("metadata"))
            throw StoreError(path + ": the project file is damaged (its metadata table is missing)");
        if (version < schema::currentVersion) {
            schema::migrate(db, version, schema::currentVersion, schema::migrations());
            SQLite::Statement notes(db, "SELECT note FROM migration_log WHERE to_version > ? ORDER BY id");
            notes.bind(1, version);
            while (notes.executeStep())
                project.migrationNotes_.push_back("migrated from schema " + std::to_string(version) + " to "
                                                  + std::to_string(schema::currentVersion) + ": "
                                                  + notes.getColumn(0).getString());
        }
        SQLite::Statement application(db, "SELECT value FROM metadata WHERE key = 'application'");
        if (!application.executeStep() || application.getColumn(0).getString() != marker)
            throw StoreError(path + ": the project file is damaged (its metadata names no Crowdsift project)");
        project.readHeader();
    });
    project.failInterruptedRuns();
    return project;
}

std::string Project::runLockPath(std::int64_t run) const
{
    return (fs::path(cacheDir()) / "locks" / ("run-" + std::to_string(run))).string();
}

void Project::failInterruptedRuns()
{
    const std::vector<std::int64_t> running = guarded(path_, "cannot read the runs", [&] {
        std::vector<std::int64_t> ids;
        SQLite::Statement select(*db_, "SELECT id FROM runs WHERE status = 'running'");
        while (select.executeStep())
            ids.push_back(select.getColumn(0).getInt64());
        return ids;
    });
    for (const std::int64_t run : running) {
        const std::string lock = runLockPath(run);
        const int fd = tryLockFile(lock);
        if (fd < 0)
            continue;  // its process is alive (or the cache cannot be written: nothing to tell)
        const nlohmann::json summary = {
            {"error", "interrupted: the process running it ended (crash or kill) before it finished"}};
        try {
            guarded(path_, "cannot record the interrupted run", [&] {
                // Only while still running: its owner may have finished it since the SELECT.
                SQLite::Statement update(*db_, "UPDATE runs SET status = 'failed', finished = ?, summary = ? "
                                               "WHERE id = ? AND status = 'running'");
                update.bind(1, nowSeconds());
                update.bind(2, summary.dump());
                update.bind(3, static_cast<std::int64_t>(run));
                update.exec();
            });
        } catch (...) {
            ::close(fd);
            throw;
        }
        std::error_code ec;
        fs::remove(lock, ec);
        ::close(fd);
    }
}

void Project::readHeader()
{
    itemCount_ = db_->execAndGet("SELECT coalesce(max(idx) + 1, 0) FROM items").getInt();
    classCount_ = db_->execAndGet("SELECT coalesce(max(idx) + 1, 0) FROM classes").getInt();
}

int Project::schemaVersion() const
{
    return guarded(path_, "cannot read the schema version",
                   [&] { return db_->execAndGet("PRAGMA user_version").getInt(); });
}

Dataset Project::loadDataset(Progress& progress) const
{
    const auto damaged = [&](const std::string& problem) {
        return StoreError(path_ + ": the project file is damaged (" + problem + ")");
    };
    Dataset d;
    guarded(path_, "cannot read the dataset", [&] {
        SQLite::Database& db = *db_;
        SQLite::Statement meta(db, "SELECT key, value FROM metadata");
        while (meta.executeStep()) {
            const std::string key = meta.getColumn(0).getString();
            const std::string value = columnText(meta.getColumn(1));
            if (key == "name")
                d.name = value;
            else if (key == "source")
                d.source = value;
            else if (key == "format")
                d.format = value;
            else if (key == "root")
                d.root = value;
        }

        SQLite::Statement classes(db, "SELECT idx, name FROM classes ORDER BY idx");
        while (classes.executeStep()) {
            if (classes.getColumn(0).getInt64() != static_cast<std::int64_t>(d.classNames.size()))
                throw damaged("class indices are not contiguous");
            d.classNames.push_back(classes.getColumn(1).getString());
        }

        progress.stage("reading items");
        const int n = itemCount_;
        d.itemKeys.reserve(static_cast<std::size_t>(n));
        d.splits.reserve(static_cast<std::size_t>(n));
        d.imagePaths.reserve(static_cast<std::size_t>(n));
        d.truth.assign(static_cast<std::size_t>(n), -1);
        bool anyTruth = false;
        SQLite::Statement items(db, "SELECT idx, key, split, image, truth FROM items ORDER BY idx");
        while (items.executeStep()) {
            const std::int64_t i = items.getColumn(0).getInt64();
            if (i != static_cast<std::int64_t>(d.itemKeys.size()) || i >= n)
                throw damaged("item indices are not contiguous");
            const int split = items.getColumn(2).getInt();
            if (split < 0 || split > 2)
                throw damaged("item " + std::to_string(i) + " has split " + std::to_string(split));
            d.itemKeys.push_back(items.getColumn(1).getString());
            d.splits.push_back(static_cast<Split>(split));
            d.imagePaths.push_back(columnText(items.getColumn(3)));
            const SQLite::Column truth = items.getColumn(4);
            if (!truth.isNull()) {
                d.truth[static_cast<std::size_t>(i)] = truth.getInt();
                anyTruth = true;
            }
            if (i % progressEvery == 0)
                progress.step(static_cast<double>(i), n, "reading items");
        }
        if (!anyTruth)
            d.truth.clear();

        SQLite::Statement annotators(db, "SELECT idx, external_id FROM annotators ORDER BY idx");
        while (annotators.executeStep()) {
            if (annotators.getColumn(0).getInt64() != static_cast<std::int64_t>(d.annotatorIds.size()))
                throw damaged("annotator indices are not contiguous");
            d.annotatorIds.push_back(annotators.getColumn(1).getString());
        }

        progress.stage("reading answers");
        const auto total = static_cast<std::size_t>(db.execAndGet("SELECT count(*) FROM answers").getInt64());
        std::vector<Answer> triplets;
        triplets.reserve(total);
        Prepared answers(db, "SELECT item, annotator, label, complementary FROM answers ORDER BY item, annotator");
        sqlite3_stmt* row = answers.get();
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(row)) == SQLITE_ROW) {
            triplets.push_back(Answer{sqlite3_column_int(row, 0), sqlite3_column_int(row, 1),
                                      sqlite3_column_int(row, 2), sqlite3_column_int(row, 3) != 0});
            if (triplets.size() % progressEvery == 0)
                progress.step(static_cast<double>(triplets.size()), static_cast<double>(total), "reading answers");
        }
        if (rc != SQLITE_DONE)
            throw SQLite::Exception(db.getHandle(), rc);
        try {
            d.answers = Answers::fromTriplets(n, d.annotatorCount(), triplets);
        } catch (const std::logic_error& e) {
            throw damaged(std::string("an answer is out of range: ") + e.what());
        }
    });

    const std::vector<std::pair<std::string, FloatMatrix*>> matrices{
        {"features", &d.features}, {"voteCounts", &d.voteCounts}};
    std::map<std::string, std::string> files;
    guarded(path_, "cannot read the dataset arrays", [&] {
        SQLite::Statement arrays(*db_, "SELECT name, file FROM dataset_arrays");
        while (arrays.executeStep())
            files[arrays.getColumn(0).getString()] = arrays.getColumn(1).getString();
    });
    for (const auto& [name, matrix] : matrices) {
        const auto it = files.find(name);
        if (it == files.end())
            continue;
        progress.stage("reading " + name);
        const fs::path file = fs::path(cacheDir()) / it->second;
        const NpyArray array = readArray(file, "the dataset's " + name);
        if (array.shape.size() != 2 || array.shape[0] != static_cast<std::size_t>(d.itemCount()))
            throw StoreError(file.string() + ": expected " + std::to_string(d.itemCount()) + " rows of " + name);
        const std::vector<float> values = array.as<float>();
        *matrix = Eigen::Map<const FloatMatrix>(values.data(), static_cast<Eigen::Index>(array.shape[0]),
                                                static_cast<Eigen::Index>(array.shape[1]));
    }

    try {
        d.validate();
    } catch (const std::logic_error& e) {
        throw damaged(std::string("the stored dataset is inconsistent: ") + e.what());
    }
    return d;
}

std::int64_t Project::activeRun() const
{
    return guarded(path_, "cannot read the active run", [&] {
        SQLite::Statement select(*db_, "SELECT value FROM metadata WHERE key = 'active_run'");
        if (!select.executeStep() || select.getColumn(0).isNull())
            return std::int64_t{0};
        try {
            return static_cast<std::int64_t>(std::stoll(select.getColumn(0).getString()));
        } catch (const std::exception&) {
            throw StoreError(path_ + ": the project file is damaged (its active run '"
                             + select.getColumn(0).getString() + "' is no run id)");
        }
    });
}

namespace {

void requireAggregationRun(SQLite::Database& db, const std::string& path, std::int64_t run)
{
    SQLite::Statement select(db, "SELECT kind, status FROM runs WHERE id = ?");
    select.bind(1, static_cast<std::int64_t>(run));
    if (!select.executeStep())
        throw std::invalid_argument(path + ": there is no run " + std::to_string(run));
    const std::string kind = select.getColumn(0).getString();
    const std::string status = select.getColumn(1).getString();
    if (kind != "aggregate")
        throw std::invalid_argument(path + ": run " + std::to_string(run) + " is a " + kind
                                    + " run; only an aggregation run can be the active run");
    if (status != "done")
        throw std::invalid_argument(path + ": run " + std::to_string(run) + " is " + status
                                    + "; only a finished run can be the active run");
}

}  // namespace

void Project::setActiveRun(std::int64_t run)
{
    guarded(path_, "cannot record the active run", [&] {
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        requireAggregationRun(*db_, path_, run);
        SQLite::Statement update(*db_, "INSERT OR REPLACE INTO metadata (key, value) VALUES ('active_run', ?)");
        update.bind(1, std::to_string(run));
        update.exec();
        transaction.commit();
    });
}

bool Project::activateIfNone(std::int64_t run)
{
    return guarded(path_, "cannot record the active run", [&] {
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        requireAggregationRun(*db_, path_, run);
        SQLite::Statement insert(*db_, "INSERT OR IGNORE INTO metadata (key, value) VALUES ('active_run', ?)");
        insert.bind(1, std::to_string(run));
        const bool inserted = insert.exec() > 0;
        transaction.commit();
        return inserted;
    });
}

std::int64_t Project::beginRun(const std::string& kind, const nlohmann::json& params, const std::string& name)
{
    if (kind.empty())
        throw std::invalid_argument("beginRun: a run needs a kind");
    return guarded(path_, "cannot record the run", [&] {
        // The lock is taken before the run is committed, so that no other process ever sees it
        // running without its lock and takes it for interrupted.
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement insert(*db_, "INSERT INTO runs (kind, name, params, status, created) VALUES (?, ?, ?, 'running', ?)");
        insert.bind(1, kind);
        bindText(insert, 2, name);
        insert.bind(3, params.dump());
        insert.bind(4, nowSeconds());
        insert.exec();
        const auto run = static_cast<std::int64_t>(db_->getLastInsertRowid());
        const int fd = tryLockFile(runLockPath(run));
        if (fd < 0)
            throw StoreError(path_ + ": cannot record the run: cannot lock " + runLockPath(run) + ": "
                             + std::strerror(errno));
        if (!runLocks_)
            runLocks_ = std::make_unique<RunLocks>();
        runLocks_->fds[run] = fd;
        try {
            transaction.commit();
        } catch (...) {
            releaseRunLock(run);
            throw;
        }
        return run;
    });
}

void Project::releaseRunLock(std::int64_t run)
{
    if (!runLocks_)
        return;
    const auto it = runLocks_->fds.find(run);
    if (it == runLocks_->fds.end())
        return;
    std::error_code ec;
    fs::remove(runLockPath(run), ec);
    ::close(it->second);
    runLocks_->fds.erase(it);
}

template <typename T>
void Project::addRunOutputTyped(std::int64_t run, const std::string& name, const T* data,
                                const std::vector<std::size_t>& shape)
{
    if (!validStem(name))
        throw std::invalid_argument("addRunOutput: '" + name + "' is not a valid output name");
    const bool exists = guarded(path_, "cannot read the runs", [&] {
        SQLite::Statement find(*db_, "SELECT 1 FROM runs WHERE id = ?");
        find.bind(1, static_cast<std::int64_t>(run));
        return find.executeStep();
    });
    if (!exists)
        throw std::invalid_argument("addRunOutput: no run " + std::to_string(run));
    const std::string file = "runs/" + std::to_string(run) + "/" + name + ".npy";
    writeArray(fs::path(cacheDir()) / file, data, shape);
    guarded(path_, "cannot record the run output", [&] {
        SQLite::Statement insert(*db_, "INSERT OR REPLACE INTO run_outputs (run, name, file) VALUES (?, ?, ?)");
        insert.bind(1, static_cast<std::int64_t>(run));
        insert.bind(2, name);
        insert.bind(3, file);
        insert.exec();
    });
}

void Project::addRunOutput(std::int64_t run, const std::string& name, const float* data,
                           const std::vector<std::size_t>& shape)
{
    addRunOutputTyped(run, name, data, shape);
}

void Project::addRunOutput(std::int64_t run, const std::string& name, const double* data,
                           const std::vector<std::size_t>& shape)
{
    addRunOutputTyped(run, name, data, shape);
}

void Project::addRunOutput(std::int64_t run, const std::string& name, const std::int32_t* data,
                           const std::vector<std::size_t>& shape)
{
    addRunOutputTyped(run, name, data, shape);
}

void Project::finishRun(std::int64_t run, const std::string& status, const nlohmann::json& summary)
{
    if (status != "done" && status != "failed" && status != "cancelled")
        throw std::invalid_argument("finishRun: status must be done, failed or cancelled, not '" + status + "'");
    const int changed = guarded(path_, "cannot record the end of the run", [&] {
        SQLite::Statement update(*db_, "UPDATE runs SET status = ?, finished = ?, summary = ? WHERE id = ?");
        update.bind(1, status);
        update.bind(2, nowSeconds());
        update.bind(3, summary.dump());
        update.bind(4, static_cast<std::int64_t>(run));
        return update.exec();
    });
    if (changed == 0)
        throw std::invalid_argument("finishRun: no run " + std::to_string(run));
    releaseRunLock(run);
}

void Project::setRunParams(std::int64_t run, const nlohmann::json& params)
{
    const int changed = guarded(path_, "cannot record the run's parameters", [&] {
        SQLite::Statement update(*db_, "UPDATE runs SET params = ? WHERE id = ? AND status = 'running'");
        update.bind(1, params.dump());
        update.bind(2, static_cast<std::int64_t>(run));
        return update.exec();
    });
    if (changed == 0)
        throw std::invalid_argument("setRunParams: no running run " + std::to_string(run));
}

std::vector<RunInfo> Project::runs() const
{
    return guarded(path_, "cannot read the runs", [&] {
        std::vector<RunInfo> result;
        std::map<std::int64_t, std::size_t> position;
        SQLite::Statement select(*db_, "SELECT id, kind, name, params, status, created, finished, summary FROM runs ORDER BY id");
        while (select.executeStep()) {
            RunInfo info;
            info.id = select.getColumn(0).getInt64();
            info.kind = select.getColumn(1).getString();
            info.name = columnText(select.getColumn(2));
            info.params = columnJson(select.getColumn(3), path_);
            info.status = select.getColumn(4).getString();
            info.created = select.getColumn(5).getDouble();
            info.finished = select.getColumn(6).getDouble();
            info.summary = columnJson(select.getColumn(7), path_);
            position[info.id] = result.size();
            result.push_back(std::move(info));
        }
        SQLite::Statement outputs(*db_, "SELECT run, name FROM run_outputs ORDER BY run, name");
        while (outputs.executeStep()) {
            const auto it = position.find(outputs.getColumn(0).getInt64());
            if (it != position.end())
                result[it->second].outputs.push_back(outputs.getColumn(1).getString());
        }
        return result;
    });
}

RunInfo Project::run(std::int64_t id) const
{
    for (RunInfo& info : runs())
        if (info.id == id)
            return std::move(info);
    throw std::invalid_argument("no run " + std::to_string(id));
}

NpyArray Project::runOutput(std::int64_t run, const std::string& name) const
{
    const std::string file = guarded(path_, "cannot read the run outputs", [&] {
        SQLite::Statement select(*db_, "SELECT file FROM run_outputs WHERE run = ? AND name = ?");
        select.bind(1, static_cast<std::int64_t>(run));
        select.bind(2, name);
        return select.executeStep() ? select.getColumn(0).getString() : std::string();
    });
    if (file.empty())
        throw std::invalid_argument("run " + std::to_string(run) + " has no output '" + name + "'");
    return readArray(fs::path(cacheDir()) / file, "output '" + name + "' of run " + std::to_string(run));
}

std::int64_t Project::appendDecision(const Decision& decision)
{
    return appendDecisions({decision}).front();
}

std::vector<std::int64_t> Project::appendDecisions(const std::vector<Decision>& decisions)
{
    for (const Decision& decision : decisions) {
        if (decision.item < 0 || decision.item >= itemCount_)
            throw std::invalid_argument("appendDecision: item " + std::to_string(decision.item) + " is out of range");
        if (decision.label < -1 || decision.label >= classCount_)
            throw std::invalid_argument("appendDecision: label " + std::to_string(decision.label) + " is out of range");
        if (decision.status.empty())
            throw std::invalid_argument("appendDecision: a decision needs a status");
        if (decision.run < 0)
            throw std::invalid_argument("appendDecision: run " + std::to_string(decision.run) + " is no run id");
    }
    return guarded(path_, "cannot record the decision", [&] {
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement find(*db_, "SELECT 1 FROM decisions WHERE id = ?");
        SQLite::Statement insert(*db_, "INSERT INTO decisions (item, label, status, reviewer, time, note, undoes, run) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement findRun(*db_, "SELECT 1 FROM runs WHERE id = ?");
        std::vector<std::int64_t> ids;
        ids.reserve(decisions.size());
        for (const Decision& decision : decisions) {
            if (decision.undoes != 0) {
                find.reset();
                find.bind(1, static_cast<std::int64_t>(decision.undoes));
                if (!find.executeStep())
                    throw std::invalid_argument("appendDecision: there is no decision "
                                                + std::to_string(decision.undoes) + " to undo");
            }
            if (decision.run != 0) {
                findRun.reset();
                findRun.bind(1, static_cast<std::int64_t>(decision.run));
                if (!findRun.executeStep())
                    throw std::invalid_argument("appendDecision: there is no run " + std::to_string(decision.run));
            }
            insert.reset();
            insert.clearBindings();
            insert.bind(1, decision.item);
            if (decision.label >= 0)
                insert.bind(2, decision.label);
            insert.bind(3, decision.status);
            bindText(insert, 4, decision.reviewer);
            insert.bind(5, decision.time > 0 ? decision.time : nowSeconds());
            bindText(insert, 6, decision.note);
            if (decision.undoes != 0)
                insert.bind(7, static_cast<std::int64_t>(decision.undoes));
            if (decision.run != 0)
                insert.bind(8, static_cast<std::int64_t>(decision.run));
            insert.exec();
            ids.push_back(static_cast<std::int64_t>(db_->getLastInsertRowid()));
        }
        transaction.commit();
        return ids;
    });
}

std::vector<Decision> Project::decisions() const
{
    return guarded(path_, "cannot read the decisions", [&] {
        std::vector<Decision> result;
        SQLite::Statement select(*db_, "SELECT id, item, label, status, reviewer, time, note, undoes, run FROM decisions ORDER BY id");
        while (select.executeStep()) {
            Decision d;
            d.id = select.getColumn(0).getInt64();
            d.item = select.getColumn(1).getInt();
            d.label = select.getColumn(2).isNull() ? -1 : select.getColumn(2).getInt();
            d.status = select.getColumn(3).getString();
            d.reviewer = columnText(select.getColumn(4));
            d.time = select.getColumn(5).getDouble();
            d.note = columnText(select.getColumn(6));
            d.undoes = select.getColumn(7).isNull() ? 0 : select.getColumn(7).getInt64();
            d.run = select.getColumn(8).isNull() ? 0 : select.getColumn(8).getInt64();
            result.push_back(std::move(d));
        }
        return result;
    });
}

}  // namespace crowdsift
