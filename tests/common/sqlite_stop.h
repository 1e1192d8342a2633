#pragma once

// For kill tests: stops a child process at a chosen point inside SQLite's commit, so that the
// parent's SIGKILL lands there every time instead of wherever the machine's load puts it.
//
// installSqliteStop() makes a forwarding VFS SQLite's default (before the child opens its
// project); every call goes to the real default VFS. Once armSqliteStop() was called, the first
// write to a write-ahead log (SqliteStop::WalWrite: no page of the transaction is in the WAL yet,
// so a kill loses it) or the first flush of one (SqliteStop::WalSync: SQLite flushes the WAL once
// every frame of the transaction, commit record included, is written, so a killed process keeps
// it) prints "stopped" on stdout and waits for the kill. Test code only; nothing in core.

#include <sqlite3.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace crowdsift::testing {

enum class SqliteStop { WalWrite, WalSync };

// "wal-write" or "wal-sync".
inline SqliteStop parseSqliteStop(const std::string& name)
{
    if (name == "wal-write")
        return SqliteStop::WalWrite;
    if (name == "wal-sync")
        return SqliteStop::WalSync;
    throw std::invalid_argument("unknown stop point " + name);
}

namespace sqlite_stop_detail {

struct State {
    SqliteStop stop = SqliteStop::WalWrite;
    bool armed = false;
    sqlite3_vfs* real = nullptr;
    sqlite3_vfs vfs{};
    sqlite3_io_methods methods{};
};

inline State& state()
{
    static State s;
    return s;
}

struct File {
    sqlite3_file base;
    sqlite3_file* real;
    bool wal;
};

inline sqlite3_file* realOf(sqlite3_file* f)
{
    return reinterpret_cast<File*>(f)->real;
}

[[noreturn]] inline void stopForTheKill()
{
    std::printf("stopped\n");
    std::fflush(stdout);
    for (;;)
        ::pause();
}

inline void maybeStop(sqlite3_file* f, SqliteStop at)
{
    if (state().armed && state().stop == at && reinterpret_cast<File*>(f)->wal)
        stopForTheKill();
}

inline int close(sqlite3_file* f)
{
    return realOf(f)->pMethods->xClose(realOf(f));
}
inline int read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset)
{
    return realOf(f)->pMethods->xRead(realOf(f), buffer, amount, offset);
}
inline int write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset)
{
    maybeStop(f, SqliteStop::WalWrite);
    return realOf(f)->pMethods->xWrite(realOf(f), buffer, amount, offset);
}
inline int truncate(sqlite3_file* f, sqlite3_int64 size)
{
    return realOf(f)->pMethods->xTruncate(realOf(f), size);
}
inline int sync(sqlite3_file* f, int flags)
{
    maybeStop(f, SqliteStop::WalSync);
    return realOf(f)->pMethods->xSync(realOf(f), flags);
}
inline int fileSize(sqlite3_file* f, sqlite3_int64* size)
{
    return realOf(f)->pMethods->xFileSize(realOf(f), size);
}
inline int lock(sqlite3_file* f, int level)
{
    return realOf(f)->pMethods->xLock(realOf(f), level);
}
inline int unlock(sqlite3_file* f, int level)
{
    return realOf(f)->pMethods->xUnlock(realOf(f), level);
}
inline int checkReservedLock(sqlite3_file* f, int* out)
{
    return realOf(f)->pMethods->xCheckReservedLock(realOf(f), out);
}
inline int fileControl(sqlite3_file* f, int op, void* arg)
{
    return realOf(f)->pMethods->xFileControl(realOf(f), op, arg);
}
inline int sectorSize(sqlite3_file* f)
{
    return realOf(f)->pMethods->xSectorSize(realOf(f));
}
inline int deviceCharacteristics(sqlite3_file* f)
{
    return realOf(f)->pMethods->xDeviceCharacteristics(realOf(f));
}
inline int shmMap(sqlite3_file* f, int page, int pageSize, int extend, void volatile** out)
{
    return realOf(f)->pMethods->xShmMap(realOf(f), page, pageSize, extend, out);
}
inline int shmLock(sqlite3_file* f, int offset, int n, int flags)
{
    return realOf(f)->pMethods->xShmLock(realOf(f), offset, n, flags);
}
inline void shmBarrier(sqlite3_file* f)
{
    realOf(f)->pMethods->xShmBarrier(realOf(f));
}
inline int shmUnmap(sqlite3_file* f, int deleteFlag)
{
    return realOf(f)->pMethods->xShmUnmap(realOf(f), deleteFlag);
}

inline int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* outFlags)
{
    auto* shim = reinterpret_cast<File*>(file);
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    shim->wal = (flags & SQLITE_OPEN_WAL) != 0;
    sqlite3_vfs* real = state().real;
    const int rc = real->xOpen(real, name, shim->real, flags, outFlags);
    shim->base.pMethods = shim->real->pMethods ? &state().methods : nullptr;
    return rc;
}

}  // namespace sqlite_stop_detail

// Call once, before the first connection opens. The shim offers io_methods version 2 (no
// memory-mapped I/O), so every write goes through xWrite.
inline void installSqliteStop(SqliteStop stop)
{
    namespace d = sqlite_stop_detail;
    d::State& s = d::state();
    s.stop = stop;
    s.real = sqlite3_vfs_find(nullptr);
    s.vfs = *s.real;
    s.vfs.zName = "crowdsift-test-stop";
    s.vfs.szOsFile = static_cast<int>(sizeof(d::File)) + s.real->szOsFile;
    s.vfs.xOpen = d::open;
    s.vfs.pNext = nullptr;
    std::memset(&s.methods, 0, sizeof s.methods);
    s.methods.iVersion = 2;
    s.methods.xClose = d::close;
    s.methods.xRead = d::read;
    s.methods.xWrite = d::write;
    s.methods.xTruncate = d::truncate;
    s.methods.xSync = d::sync;
    s.methods.xFileSize = d::fileSize;
    s.methods.xLock = d::lock;
    s.methods.xUnlock = d::unlock;
    s.methods.xCheckReservedLock = d::checkReservedLock;
    s.methods.xFileControl = d::fileControl;
    s.methods.xSectorSize = d::sectorSize;
    s.methods.xDeviceCharacteristics = d::deviceCharacteristics;
    s.methods.xShmMap = d::shmMap;
    s.methods.xShmLock = d::shmLock;
    s.methods.xShmBarrier = d::shmBarrier;
    s.methods.xShmUnmap = d::shmUnmap;
    sqlite3_vfs_register(&s.vfs, 1);
}

// From now on the next WAL write or flush (as installed) stops the process.
inline void armSqliteStop()
{
    sqlite_stop_detail::state().armed = true;
}

}  // namespace crowdsift::testing
