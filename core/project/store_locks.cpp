#include "project/store.h"

#include "project/store_internal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace crowdsift {

namespace fs = std::filesystem;

namespace store {

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

}  // namespace store

using store::guarded;
using store::nowSeconds;
using store::tryLockFile;

Project::RunLocks::~RunLocks()
{
    for (const auto& [run, fd] : fds)
        ::close(fd);
    if (project >= 0)
        ::close(project);
}

std::string Project::runLockPath(std::int64_t run) const
{
    return (fs::path(cacheDir()) / "locks" / ("run-" + std::to_string(run))).string();
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

}  // namespace crowdsift
