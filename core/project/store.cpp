#include "project/store.h"

#include "project/schema.h"
#include "project/store_internal.h"
#include "util/error.h"
#include "util/json.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace crowdsift {

namespace fs = std::filesystem;

namespace store {

double nowSeconds()
{
    using namespace std::chrono;
    return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

std::string cacheDirOf(const std::string& path)
{
    return path + ".cache";
}

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
    if (code == SQLITE_READONLY)
        return StoreError(path + ": " + doing + ": the project is open read-only (its file or folder cannot be "
                                                "written; " + e.what() + ")");
    if (code == SQLITE_CANTOPEN || code == SQLITE_PERM)
        return StoreError(path + ": " + doing + ": cannot write here (" + e.what() + ")");
    return StoreError(path + ": " + doing + ": " + e.what());
}

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

nlohmann::json storedJson(const std::string& text, const std::string& path, const std::string& what)
{
    try {
        requireJsonDepth(text, path);
        return nlohmann::json::parse(text);
    } catch (const InputError&) {
        throw StoreError(path + ": the project file is damaged (JSON in " + what + " nested deeper than "
                         + std::to_string(kMaxJsonDepth) + " levels)");
    } catch (const nlohmann::json::exception& e) {
        // parse_error and also out_of_range (a number such as 1e400 that overflows a double).
        throw StoreError(path + ": the project file is damaged (bad JSON in " + what + ": " + e.what() + ")");
    }
}

}  // namespace store

using store::cacheDirOf;
using store::guarded;
using store::marker;

namespace {

constexpr int busyTimeoutMs = 5000;

std::string folderOf(const std::string& path)
{
    const fs::path folder = fs::absolute(fs::path(path)).parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

// Whether this process may write the project: its file, and its folder (SQLite makes the
// write-ahead log and its index there).
bool canWrite(const std::string& path)
{
    return ::access(path.c_str(), W_OK) == 0 && ::access(folderOf(path).c_str(), W_OK) == 0;
}

// `path` for an SQLite URI: the characters URIs reserve, percent-encoded.
std::string uriPath(const std::string& path)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '%' || c == '?' || c == '#' || u < 0x20 || u >= 0x7f) {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

enum class FileKind { Missing, Directory, NotRegular, Empty, NotSqlite, Foreign, Project };

// Classifies a file from the first 100 bytes (the SQLite header) without opening a connection.
FileKind classify(const std::string& path)
{
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return FileKind::Missing;
    if (fs::is_directory(status))
        return FileKind::Directory;
    if (!fs::is_regular_file(status))
        return FileKind::NotRegular;  // opening a FIFO would wait for a writer
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
    case FileKind::NotRegular:
        throw StoreError(path + ": is not a regular file (a pipe, a device or a socket), not a Crowdsift project");
    case FileKind::Empty: throw StoreError(path + ": the file is empty, not a Crowdsift project");
    case FileKind::NotSqlite:
        throw StoreError(path + ": not a Crowdsift project (not an SQLite database, or cut short)");
    case FileKind::Foreign:
        throw StoreError(path + ": an SQLite database of another program, not a Crowdsift project");
    case FileKind::Project: return;
    }
}

}  // namespace

Project::Project(std::string path) : path_(std::move(path)) {}

Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;
// The connection closes before the locks go: once the project lock is free, create() may move
// the write-ahead log this connection's close would still checkpoint and delete.
Project::~Project()
{
    db_.reset();
    runLocks_.reset();
}

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

Project Project::open(const std::string& path)
{
    store::recoverInterruptedReplace(path);
    requireProjectFile(path);
    Project project(path);
    project.runLocks_ = std::make_unique<RunLocks>();
    bool busy = false;
    project.runLocks_->project = store::lockProjectFile(path, LOCK_SH, busyTimeoutMs, busy);
    if (busy)
        throw StoreError(path + ": the project is being replaced (import --force) by another process; try again "
                                "when it has finished");
    // What a replacement that finished while this open waited for the lock put in place.
    requireProjectFile(path);
    project.readOnly_ = !canWrite(path);
    guarded(path, "cannot open the project", [&] {
        if (project.readOnly_) {
            // A folder that cannot be written cannot hold the write-ahead log's index either:
            // without a log there, the file is opened as immutable (nothing can change it).
            const bool logThere = fs::exists(path + "-wal");
            const bool folderWritable = ::access(folderOf(path).c_str(), W_OK) == 0;
            const std::string uri = "file:" + uriPath(fs::absolute(path).string())
                                    + (!folderWritable && !logThere ? "?immutable=1" : "?mode=ro");
            project.db_ = std::make_unique<SQLite::Database>(
                uri, SQLite::OPEN_READONLY | SQLite::OPEN_URI | SQLite::OPEN_NOMUTEX, busyTimeoutMs);
        } else {
            project.db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX,
                                                             busyTimeoutMs);
        }
        SQLite::Database& db = *project.db_;
        db.exec("PRAGMA foreign_keys = ON");
        if (!project.readOnly_)
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
        if (version < schema::currentVersion && project.readOnly_)
            throw StoreError(path + ": the project was written by an older Crowdsift (schema " + std::to_string(version)
                             + ") and must be updated to schema " + std::to_string(schema::currentVersion)
                             + ", which needs write access to the file and its folder");
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
    if (!project.readOnly_)
        project.failInterruptedRuns();
    return project;
}

void Project::readHeader()
{
    // The counts size what loadDataset() and the runs allocate: a damaged index (item 2000000000
    // of three, or one beyond 32 bits) is refused here, not believed.
    const auto count = [&](const char* table, const char* what) {
        const std::string from = std::string(" FROM ") + table;
        const std::int64_t end = db_->execAndGet("SELECT coalesce(max(idx) + 1, 0)" + from).getInt64();
        const std::int64_t rows = db_->execAndGet("SELECT count(*)" + from).getInt64();
        const std::int64_t first = db_->execAndGet("SELECT coalesce(min(idx), 0)" + from).getInt64();
        if (end != rows || first != 0)
            throw StoreError(path_ + ": the project file is damaged (" + what + " indices are not contiguous: "
                             + std::to_string(rows) + " rows, indices " + std::to_string(first) + " to "
                             + std::to_string(end - 1) + ")");
        return static_cast<int>(end);
    };
    itemCount_ = count("items", "item");
    classCount_ = count("classes", "class");
}

int Project::schemaVersion() const
{
    return guarded(path_, "cannot read the schema version",
                   [&] { return db_->execAndGet("PRAGMA user_version").getInt(); });
}

}  // namespace crowdsift
