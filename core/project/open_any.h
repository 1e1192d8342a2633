#pragma once

#include "data/dataset.h"
#include "data/formats.h"
#include "util/progress.h"

#include <string>

namespace crowdsift {

// Loads the dataset behind `path`: a Crowdsift project file when it looks like one, otherwise a
// dataset folder or file read with `options`. The CLI's `info` and the GUI's File > Open share it.
Dataset loadProjectOrDataset(const std::string& path, const ReadOptions& options, Progress& progress);

}  // namespace crowdsift
