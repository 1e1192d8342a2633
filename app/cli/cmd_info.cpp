#include "commands.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "data/summary.h"
#include "project/open_any.h"

#include <cstdio>
#include <memory>

namespace crowdsift::cli {

namespace {
struct InfoArgs {
    std::string path;
    bool json = false;
    bool annotators = false;
    ReadArgs read;
};
}  // namespace

void addInfoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<InfoArgs>();
    CLI::App* command = app.add_subcommand("info", "Summarise a project or a dataset: items, annotators, answers, classes");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_flag("--json", args->json, "Print a JSON object instead of text");
    command->add_flag("--annotators", args->annotators, "Include the per-annotator table");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        TerminalProgress bar(!global.quiet && !args->json);
        const Dataset dataset = loadProjectOrDataset(args->path, args->read.toOptions(), bar.token());
        bar.finish();
        const DatasetSummary summary = summarize(dataset);
        if (args->json) {
            std::printf("%s\n", toJson(summary, args->annotators).dump(2).c_str());
        } else {
            std::printf("%s", toText(summary).c_str());
            if (args->annotators) {
                std::printf("\n  annotator              labels  classes used\n");
                for (const auto& a : summary.annotatorTable)
                    std::printf("  %-20s %8lld  %12d\n", a.id.c_str(), static_cast<long long>(a.labels), a.classesUsed);
            }
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
