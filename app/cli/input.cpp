#include "input.h"

#include <utility>

namespace crowdsift::cli {

Input openInput(const std::string& path, const ReadArgs& read, TerminalProgress& bar, const GlobalOptions& global)
{
    Input input;
    if (Project::looksLikeProject(path)) {
        input.project.emplace(Project::open(path));
        input.dataset = input.project->loadDataset(bar.token());
    } else {
        ReadOptions options = read.toOptions();
        options.progress = &bar.token();
        DatasetRead dataset = readDatasetWithWarnings(path, options);
        printReadWarnings(dataset.warnings, bar, global);
        input.dataset = std::move(dataset.dataset);
    }
    return input;
}

void printReadWarnings(const std::vector<ReadWarning>& warnings, TerminalProgress& bar, const GlobalOptions& global)
{
    if (global.quiet)
        return;
    for (const ReadWarning& warning : warnings)
        bar.warn(warning.text());
}

}  // namespace crowdsift::cli
