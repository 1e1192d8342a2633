#include "project/store.h"

#include "project/store_internal.h"
#include "util/error.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

namespace fs = std::filesystem;

using store::bindText;
using store::columnText;
using store::guarded;
using store::nowSeconds;
using store::readArray;
using store::tryLockFile;
using store::writeArray;

namespace {

nlohmann::json columnJson(const SQLite::Column& column, const std::string& path)
{
    if (column.isNull())
        return nullptr;
    return store::storedJson(column.getString(), path, "a run record");
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

std::int64_t Project::beginRun(const std::string& kind, const nlohmann::json& params, const std::string& name,
                               std::int64_t parent)
{
    if (kind.empty())
        throw std::invalid_argument("beginRun: a run needs a kind");
    if (parent < 0)
        throw std::invalid_argument("beginRun: no run " + std::to_string(parent) + " to derive from");
    return guarded(path_, "cannot record the run", [&] {
        // The lock is taken before the run is committed, so that no other process ever sees it
        // running without its lock and takes it for interrupted.
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        if (parent != 0) {
            SQLite::Statement find(*db_, "SELECT 1 FROM runs WHERE id = ?");
            find.bind(1, static_cast<std::int64_t>(parent));
            if (!find.executeStep())
                throw std::invalid_argument(path_ + ": there is no run " + std::to_string(parent) + " to derive a run from");
        }
        SQLite::Statement insert(*db_,
                                 "INSERT INTO runs (kind, name, params, status, created, parent) VALUES (?, ?, ?, 'running', ?, ?)");
        insert.bind(1, kind);
        bindText(insert, 2, name);
        insert.bind(3, params.dump());
        insert.bind(4, nowSeconds());
        if (parent != 0)
            insert.bind(5, static_cast<std::int64_t>(parent));
        else
            insert.bind(5);
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
        SQLite::Statement select(*db_, "SELECT id, kind, name, params, status, created, finished, summary, parent FROM runs ORDER BY id");
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
            info.parent = select.getColumn(8).isNull() ? 0 : select.getColumn(8).getInt64();
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

}  // namespace crowdsift
