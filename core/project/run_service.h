#pragma once

// The life of one run in a project, shared by every job that produces one (aggregation,
// training, the CROWDLAB loop, and the run kinds to come): the run is recorded as "running"
// before the work starts, on the job's own connection, so that the lock-file liveness check of
// Project::open covers the whole run; the job writes its outputs itself, off any GUI thread;
// the run ends "done" with its summary, "cancelled", or "failed" with the reason.

#include "project/store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace crowdsift {

// What a job's body returns: the summary stored with the run.
using RunBody = std::function<nlohmann::json(std::int64_t run)>;

// Records a run of `kind` (params, name as for Project::beginRun), calls `started(run)` when
// given (e.g. to tell a GUI which run is going), then `body(run)`, which computes and writes the
// run's outputs. Ends the run "done" with the summary body returned and returns its id. When body
// throws Cancelled the run ends "cancelled"; any other exception ends it "failed" with summary
// {"error": what()}; either way the exception is rethrown (a failure to record the end does not
// hide the original error: the lock file's release then tells Project::open it was interrupted).
// `parent`: the run this one derives from (Project::beginRun), 0 = none.
std::int64_t recordRun(Project& project, const std::string& kind, const nlohmann::json& params, const std::string& name,
                       const RunBody& body, const std::function<void(std::int64_t run)>& started = {},
                       std::int64_t parent = 0);

// The summary's "error" of a failed run, else "".
std::string runError(const RunInfo& run);

}  // namespace crowdsift
