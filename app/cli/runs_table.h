#pragma once

#include "project/store.h"

#include <nlohmann/json.hpp>

namespace crowdsift::cli {

// A project's runs, oldest first: id, kind, name, status, created and finished (seconds since
// the Unix epoch, UTC), active (the project's active run), and from the summary the accuracy
// against truth where there is one and, for a failed or cancelled run, why; parent: the run it
// was derived from (RunInfo::parent), null for none.
nlohmann::json runsJson(const Project& project);

// The runs as a table on stdout, the active one starred.
void printRuns(const nlohmann::json& runs);

}  // namespace crowdsift::cli
