#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "data/summary.h"

#include <cstdio>
#include <ctime>
#include <memory>

namespace crowdsift::cli {

namespace {
struct InfoArgs {
    std::string path;
    bool json = false;
    bool annotators = false;
    ReadArgs read;
};
// A project's runs, oldest first: id, kind, name, status, created (UTC), and from the summary
// the accuracy against truth where there is one and, for a failed run, why.
nlohmann::json runsJson(const Project& project)
{
    nlohmann::json runs = nlohmann::json::array();
    for (const RunInfo& run : project.runs()) {
        nlohmann::json entry = {{"id", run.id}, {"kind", run.kind},     {"name", run.name},
                                {"status", run.status}, {"created", run.created}, {"finished", run.finished}};
        if (run.summary.is_object()) {
            if (run.summary.contains("accuracy") && run.summary["accuracy"].is_number())
                entry["accuracy"] = run.summary["accuracy"];
            if (run.summary.contains("error") && run.summary["error"].is_string())
                entry["error"] = run.summary["error"];
        }
        runs.push_back(std::move(entry));
    }
    return runs;
}

void printRuns(const nlohmann::json& runs)
{
    std::printf("\nRuns\n");
    if (runs.empty()) {
        std::printf("  none yet (aggregate, train or crowdlab-loop store one)\n");
        return;
    }
    std::printf("  %4s  %-9s  %-16s  %-9s  %-16s  %8s\n", "id", "kind", "name", "status", "created (UTC)", "accuracy");
    for (const nlohmann::json& run : runs) {
        const auto created = static_cast<std::time_t>(run["created"].get<double>());
        char when[32] = "-";
        if (std::tm utc{}; gmtime_r(&created, &utc))
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &utc);
        std::printf("  %4lld  %-9s  %-16s  %-9s  %-16s  %8s\n", static_cast<long long>(run["id"].get<std::int64_t>()),
                    run["kind"].get<std::string>().c_str(), run["name"].get<std::string>().c_str(),
                    run["status"].get<std::string>().c_str(), when,
                    numberCell(run.value("accuracy", std::nan("")), "%.4f").c_str());
        if (run.contains("error"))
            std::printf("        %s\n", run["error"].get<std::string>().c_str());
    }
}

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
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::printf("%s", toText(summary).c_str());
            if (args->annotators) {
                std::printf("\n  annotator              labels  classes used\n");
                for (const auto& a : summary.annotatorTable)
                    std::printf("  %-20s %8lld  %12d\n", a.id.c_str(), static_cast<long long>(a.labels), a.classesUsed);
            }
            if (input.project)
                printRuns(runs);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
