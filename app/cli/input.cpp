#include "input.h"

#include "data/formats.h"
#include "util/error.h"

#include <cstdio>
#include <filesystem>

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

Input openInput(const std::string& path, const ReadArgs& read, Progress& progress)
{
    Input input;
    if (Project::looksLikeProject(path)) {
        input.project.emplace(openProject(path));
        input.dataset = input.project->loadDataset(progress);
    } else {
        ReadOptions options = read.toOptions();
        options.progress = &progress;
        input.dataset = readDataset(path, options);
    }
    return input;
}

}  // namespace crowdsift::cli
