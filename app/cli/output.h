#pragma once

// Plain-text output shared by the verbs.

#include "data/dataset.h"
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

// The folders that hold `dataset`'s files: its root and the folder of its source file, made
// absolute; ones that do not exist are left out.
std::vector<std::string> datasetFolders(const Dataset& dataset);

// Refuses, before any work is done or stored, an output file (`option`: "-o") that already
// exists in one of `dataset`'s folders laid out as a dataset (holding answers.json or
// metadata.json: its truth, its metadata), unless `force`. A new file there is fine, and so is
// any file beside a plain CSV.
void requireOutsideDataset(const std::string& option, const std::string& output, const Dataset& dataset, bool force);

// Refuses, before any work is done or stored, an output folder (`option`: "--peerannot") that
// is one of `dataset`'s folders, even with `force` (`export --peerannot` once rewrote the source
// dataset's metadata.json and dropped its fields), or that already holds a dataset (an
// answers.json or metadata.json), unless `force`.
void requireWritableFolder(const std::string& option, const std::string& folder, const Dataset& dataset, bool force);

}  // namespace crowdsift::cli
