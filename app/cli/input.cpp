#include "input.h"

#include "data/formats.h"

namespace crowdsift::cli {

Input openInput(const std::string& path, const ReadArgs& read, Progress& progress)
{
    Input input;
    if (Project::looksLikeProject(path)) {
        input.project.emplace(Project::open(path));
        input.dataset = input.project->loadDataset(progress);
    } else {
        ReadOptions options = read.toOptions();
        options.progress = &progress;
        input.dataset = readDataset(path, options);
    }
    return input;
}

}  // namespace crowdsift::cli
