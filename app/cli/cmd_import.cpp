#include "commands.h"
#include "input.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "data/formats.h"
#include "data/summary.h"
#include "project/store.h"

#include <chrono>
#include <cstdio>
#include <memory>

namespace crowdsift::cli {

namespace {
struct ImportArgs {
    std::string input;
    std::string output;
    bool force = false;
    ReadArgs read;
};
}  // namespace

void addImportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<ImportArgs>();
    CLI::App* command = app.add_subcommand("import", "Read a dataset and store it as a project file (.csift)");
    command->add_option("path", args->input, "Dataset folder or file")->required();
    command->add_option("-o,--output", args->output, "Project file to create")->required();
    command->add_flag("-f,--force", args->force, "Replace an existing project file");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        const auto start = std::chrono::steady_clock::now();
        TerminalProgress bar(!global.quiet);
        ReadOptions options = args->read.toOptions();
        options.progress = &bar.token();
        const DatasetRead read = readDatasetWithWarnings(args->input, options);
        printReadWarnings(read.warnings, bar, global);
        const Dataset& dataset = read.dataset;
        Project::create(args->output, dataset, bar.token(), args->force);
        bar.finish();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!global.quiet)
            std::printf("Imported %s (%s): %d items, %d annotators, %zu answers, %d classes -> %s in %.2f s\n",
                        args->input.c_str(), dataset.format.c_str(), dataset.itemCount(), dataset.annotatorCount(),
                        dataset.answers.size(), dataset.classCount(), args->output.c_str(), seconds);
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
