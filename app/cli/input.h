#pragma once

#include "commands.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "data/dataset.h"
#include "data/formats.h"
#include "project/store.h"
#include "util/progress.h"

#include <optional>
#include <string>
#include <vector>

namespace crowdsift::cli {

// What a verb that takes "<project|dataset>" works on: the dataset, and the open project when
// the path is one (runs are stored there).
struct Input {
    std::optional<Project> project;
    Dataset dataset;
};

// Reads the project or dataset at `path` with `bar` as progress; prints what a dataset reader
// dropped or changed as warnings on stderr (not under --quiet).
Input openInput(const std::string& path, const ReadArgs& read, TerminalProgress& bar, const GlobalOptions& global);

// Each of `warnings` as "crowdsift-cli: warning: <file>: <problem>", unless --quiet.
void printReadWarnings(const std::vector<ReadWarning>& warnings, TerminalProgress& bar, const GlobalOptions& global);

// Opens the project at `path` (InputError when there is no file or it is no project, pointing
// to `import`), and tells on stderr what a migration of its schema changed.
Project openProject(const std::string& path);

}  // namespace crowdsift::cli
