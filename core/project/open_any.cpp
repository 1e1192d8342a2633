#include "project/open_any.h"

#include "project/store.h"

namespace crowdsift {

Dataset loadProjectOrDataset(const std::string& path, const ReadOptions& options, Progress& progress)
{
    if (Project::looksLikeProject(path))
        return Project::open(path).loadDataset(progress);
    ReadOptions withProgress = options;
    withProgress.progress = &progress;
    return readDataset(path, withProgress);
}

}  // namespace crowdsift
