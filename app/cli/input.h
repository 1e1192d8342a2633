#pragma once

#include "read_options.h"

#include "data/dataset.h"
#include "project/store.h"
#include "util/progress.h"

#include <optional>
#include <string>

namespace crowdsift::cli {

// What a verb that takes "<project|dataset>" works on: the dataset, and the open project when
// the path is one (runs are stored there).
struct Input {
    std::optional<Project> project;
    Dataset dataset;
};

Input openInput(const std::string& path, const ReadArgs& read, Progress& progress);

// Opens the project at `path` (InputError when there is no file or it is no project, pointing
// to `import`), and tells on stderr what a migration of its schema changed.
Project openProject(const std::string& path);

}  // namespace crowdsift::cli
