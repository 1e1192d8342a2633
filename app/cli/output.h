#pragma once

// Plain-text output shared by the verbs.

#include "project/aggregation_runs.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crowdsift::cli {

// `value` printed with the printf `format` ("%.4f"), or "-" when it is not finite (NaN = not known).
std::string numberCell(double value, const char* format = "%.4f");

// A stored aggregation run beside the project's active run, for summary["active"]: active_run,
// is_active, activated (it became active because the project had none), accuracy,
// active_strategy, active_accuracy (null without truth) and differing_items.
nlohmann::json activeRunJson(const RunComparison& comparison, bool activated);

// The closing lines of a verb that stores a run and writes files: "stored as run N in <path>"
// when `summary` has a "run"; with summary["active"] whether it is the active run or, when not,
// the active run, how many items they label differently and how to make it active; then
// "wrote <file>" per file.
void printStoredAndWritten(const nlohmann::json& summary, const std::string& path, const std::vector<std::string>& written);

// Refuses, before any work is done or stored, an output file (`option` names it: "-o") that is
// one of the command's `inputs` (the dataset file, the project) or whose folder does not exist:
// `aggregate data.csv -o data.csv` once replaced the answers with the results. Paths that do not
// exist are fine; links are resolved.
void requireWritableOutput(const std::string& option, const std::string& output, const std::vector<std::string>& inputs);

}  // namespace crowdsift::cli
