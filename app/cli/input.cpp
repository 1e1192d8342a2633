#include "input.h"

#include "util/error.h"

#include <cstdio>
#include <filesystem>
#include <utility>

namespace crowdsift::cli {

Project openProject(const std::string& path)
{
    if (!std::filesystem::exists(path))
        throw InputError(path, "", "no such project file");
    if (!Project::looksLikeProject(path))
        throw InputError(path, "",
                         "not a Crowdsift project: import the dataset first with `crowdsift-cli import " + path
                             + " -o PROJECT.csift`");
    Project project = Project::open(path);
    for (const std::string& note : project.migrationNotes())
        std::fprintf(stderr, "crowdsift-cli: note: %s: %s\n", path.c_str(), note.c_str());
    return project;
}

Input openInput(const std::string& path, const ReadArgs& read, TerminalProgress& bar, const GlobalOptions& global)
{
    Input input;
    if (Project::looksLikeProject(path)) {
        input.project.emplace(openProject(path));
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
