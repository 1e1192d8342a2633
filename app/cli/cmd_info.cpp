#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "runs_table.h"
#include "terminal_progress.h"

#include "data/summary.h"
#include "util/json.h"

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

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
    CLI::App* command = app.add_subcommand(
        "info", "Summarise a project or a dataset: items, annotators, answers, classes, and a project's runs");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_flag("--json", args->json, "Print a JSON object instead of text");
    command->add_flag("--annotators", args->annotators, "Include the per-annotator table");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        TerminalProgress bar(!global.quiet && !args->json);
        const Input input = openInput(args->path, args->read, bar, global);
        bar.finish();
        const DatasetSummary summary = summarize(input.dataset);
        const nlohmann::json runs = input.project ? runsJson(*input.project) : nlohmann::json();
        if (args->json) {
            nlohmann::json j = toJson(summary, args->annotators);
            if (input.project)
                j["runs"] = runs;
            std::printf("%s\n", jsonText(j, 2, "--json").c_str());
        } else {
            std::printf("%s", toText(summary).c_str());
            if (args->annotators) {
                // The same marks as `annotators`: a machine annotator's id ends in [machine]; the
                // complementary answers among its labels get a column when the data has any.
                const bool complementary = summary.complementaryAnswers > 0;
                std::printf("\n  annotator              labels%s  classes used\n", complementary ? "     not k" : "");
                bool anyMachine = false;
                for (const auto& a : summary.annotatorTable) {
                    const std::string id = a.id + (a.machine ? " [machine]" : "");
                    anyMachine = anyMachine || a.machine;
                    std::printf("  %-20s %8lld", id.c_str(), static_cast<long long>(a.labels));
                    if (complementary)
                        std::printf("  %8lld", static_cast<long long>(a.complementary));
                    std::printf("  %12d\n", a.classesUsed);
                }
                if (anyMachine)
                    std::printf("  [machine]: a model's answers (crowdsift-cli annotate)\n");
            }
            if (input.project)
                printRuns(runs);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
