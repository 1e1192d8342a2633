#include "project/store.h"

#include "project/store_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace crowdsift {

namespace fs = std::filesystem;

namespace store {

namespace {

// `<path>.swap-<pid>`: present from before the first rename of a replacement until after the
// last; its pid tells a replacement in progress from one whose process died.
std::string swapMarkerOf(const std::string& path, long pid)
{
    return path + ".swap-" + std::to_string(pid);
}
std::string oldCacheOf(const std::string& path, long pid)
{
    return cacheDirOf(path) + ".old-" + std::to_string(pid);
}
std::string oldWalOf(const std::string& path, long pid)
{
    return path + ".wal.old-" + std::to_string(pid);
}
std::string buildOf(const std::string& path, long pid)
{
    return path + ".tmp-" + std::to_string(pid);
}
std::string buildCacheOf(const std::string& path, long pid)
{
    return cacheDirOf(path) + ".tmp-" + std::to_string(pid);
}

bool present(const fs::path& path)
{
    std::error_code ec;
    return fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec;
}

void removeAll(const fs::path& path)
{
    std::error_code ec;
    fs::remove_all(path, ec);
}

void renameOrThrow(const fs::path& from, const fs::path& to, const std::string& project)
{
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec)
        throw StoreError(project + ": cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
}

bool processIsGone(long pid)
{
    return pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// The pids of the replacements of `path` whose markers are in its folder.
std::vector<long> swapMarkers(const std::string& path)
{
    const fs::path target(path);
    const fs::path folder = fs::absolute(target).parent_path();
    const std::string prefix = target.filename().string() + ".swap-";
    std::vector<long> pids;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        if (entry.compare(0, prefix.size(), prefix) != 0)
            continue;
        const std::string digits = entry.substr(prefix.size());
        if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos)
            continue;
        pids.push_back(std::stol(digits));
    }
    return pids;
}

// Puts the old project's cache and log back where they were before replaceProject() moved
// them (an old cache that is not where it goes was never moved: the cache at the project's
// path is still the old one then).
void undoReplace(const std::string& path, long pid)
{
    const std::string oldCache = oldCacheOf(path, pid);
    const std::string oldWal = oldWalOf(path, pid);
    if (present(oldWal))
        renameOrThrow(oldWal, path + "-wal", path);
    if (present(oldCache)) {
        removeAll(cacheDirOf(path));
        renameOrThrow(oldCache, cacheDirOf(path), path);
    }
}

}  // namespace

int lockProjectFile(const std::string& path, int operation, int waitMs, bool& busy)
{
    busy = false;
    const std::string lock = path + ".lock";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
    while (::flock(fd, operation | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) {
            ::close(fd);
            busy = true;
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return fd;
}

bool recoverInterruptedReplace(const std::string& path, bool locked)
{
    std::vector<long> dead;
    for (const long pid : swapMarkers(path))
        if (processIsGone(pid))
            dead.push_back(pid);
    if (dead.empty())
        return false;
    int lock = -1;
    if (!locked) {
        // One process recovers; another that opens meanwhile waits for it, then finds nothing.
        bool busy = false;
        lock = lockProjectFile(path, LOCK_EX, 5000, busy);
        if (busy)
            return false;
    }
    struct Unlock {
        int fd;
        ~Unlock()
        {
            if (fd >= 0)
                ::close(fd);
        }
    } unlock{lock};
    bool recovered = false;
    for (const long pid : swapMarkers(path)) {
        if (!processIsGone(pid))
            continue;
        const std::string marker = swapMarkerOf(path, pid);
        const std::string oldCache = oldCacheOf(path, pid);
        const std::string oldWal = oldWalOf(path, pid);
        std::error_code ec;
        if (present(buildOf(path, pid))) {
            // Killed before the new database took the old one's name: the old project stays.
            undoReplace(path, pid);
            removeAll(buildOf(path, pid));
            removeAll(buildCacheOf(path, pid));
        } else {
            // Killed after: the new project is in place; what is left of the old one goes.
            removeAll(oldCache);
            removeAll(oldWal);
        }
        syncToDisk(fs::absolute(fs::path(path)).parent_path(), true);
        fs::remove(marker, ec);
        recovered = true;
    }
    return recovered;
}

void replaceProject(const std::string& path, const fs::path& building, const fs::path& buildingCache)
{
    const long pid = ::getpid();
    const fs::path folder = fs::absolute(fs::path(path)).parent_path();
    const std::string marker = swapMarkerOf(path, pid);
    const std::string oldCache = oldCacheOf(path, pid);
    const std::string oldWal = oldWalOf(path, pid);
    {
        std::ofstream out(marker, std::ios::trunc);
        out << "replacing " << path << " with " << building.string() << "\n";
        if (!out)
            throw StoreError(path + ": cannot write " + marker);
    }
    syncToDisk(folder, true);

    // Each step below is one rename; recoverInterruptedReplace() undoes them all while the new
    // database is not yet at `path`, and completes them once it is.
    const std::string cache = cacheDirOf(path);
    try {
        if (present(cache)) {
            renameOrThrow(cache, oldCache, path);
        } else {
            std::error_code ec;
            fs::create_directory(oldCache, ec);
            if (ec)
                throw StoreError(path + ": cannot create " + oldCache + ": " + ec.message());
        }
        if (present(path + "-wal"))
            renameOrThrow(path + "-wal", oldWal, path);
        removeAll(path + "-shm");
        if (present(buildingCache))
            renameOrThrow(buildingCache, cache, path);
        syncToDisk(folder, true);
        renameOrThrow(building, path, path);
    } catch (...) {
        try {
            undoReplace(path, pid);
            std::error_code ec;
            fs::remove(marker, ec);
        } catch (...) {
            // The marker stays: the next open of the project finishes putting it back.
        }
        throw;
    }
    syncToDisk(folder, true);

    removeAll(oldCache);
    removeAll(oldWal);
    std::error_code ec;
    fs::remove(marker, ec);
}

}  // namespace store

}  // namespace crowdsift
