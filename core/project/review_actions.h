#pragma once

// The curator's actions on a project's review, built once for every front end: the GUI's undo
// commands (ui/reviewcommands.cpp) and the CLI's `decide` and `undo` verbs build their rows here
// and record them with recordDecisions (project/review.h), one transaction per action.

#include "data/dataset.h"
#include "project/review.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// One relabel row per item (class `label` in [0, K)).
std::vector<Decision> relabelRows(const std::vector<int>& items, int label, const std::string& reviewer,
                                  const std::string& note = {});

// One accept row per item: the label `consensus[item]` of the active run `run`, which is what
// the curator saw and confirms; later runs never change it. Throws InputError naming the item
// when it has no consensus (nobody answered it) or `run` is 0 (no active run); `where` names the
// source in that error (the CLI passes the project file).
std::vector<Decision> acceptRows(const Dataset& dataset, const std::vector<int>& items, const std::vector<int>& consensus,
                                 std::int64_t run, const std::string& reviewer, const std::string& note = {},
                                 const std::string& where = "accept");

// The rows that take back the newest undo step of `state` (ReviewState::undoSteps(): one user
// action); empty when nothing is left to undo.
std::vector<Decision> undoNewestStepRows(const ReviewState& state, const std::string& reviewer);

// A class given by a person or a file: its index ("3", in [0, K)) or its exact name
// ("4_coat"). Throws InputError(file, record, ...) when it is neither.
int parseClass(const Dataset& dataset, const std::string& text, const std::string& file, const std::string& record);

// The item whose id (key) is `key`; InputError(file, record, ...) when there is none.
int itemByKey(const Dataset& dataset, const std::string& key, const std::string& file, const std::string& record);

// Relabel rows read from a CSV of corrections made elsewhere: a header `task,label` with an
// optional third column `note`, one row per item, label an index or a class name. Checked like
// the dataset readers: a missing or unknown column, an unknown task, a label out of range, a
// task given twice or an empty file is an InputError naming the file and the line, and no row
// is returned.
std::vector<Decision> decisionsFromCsv(const std::string& path, const Dataset& dataset, const std::string& reviewer);

}  // namespace crowdsift
