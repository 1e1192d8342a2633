#include "input.h"

#include "util/error.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace crowdsift::cli {

namespace {

// A file that says it is a project (by its name, or as an SQLite database) but may not be one:
// Project::open tells what is wrong with it (damaged, another program's database, empty), where
// the dataset readers could only say that they cannot tell its format.
bool claimsToBeProject(const std::string& path)
{
    if (std::filesystem::path(path).extension() == ".csift")
        return true;
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return false;
    char head[16] = {};
    const std::size_t got = std::fread(head, 1, sizeof head, file);
    std::fclose(file);
    return got == sizeof head && std::memcmp(head, "SQLite format 3", sizeof head) == 0;
}

}  // namespace

Project openProject(const std::string& path)
{
    if (!std::filesystem::exists(path))
        throw InputError(path, "", "no such project file");
    if (!Project::looksLikeProject(path) && std::filesystem::is_regular_file(path) && claimsToBeProject(path))
        Project::open(path);  // throws what is wrong with it
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
    std::error_code error;
    if (Project::looksLikeProject(path) || (std::filesystem::is_regular_file(path, error) && claimsToBeProject(path))) {
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
