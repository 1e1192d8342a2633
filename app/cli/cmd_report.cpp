#include "commands.h"
#include "input.h"
#include "terminal_progress.h"

#include "project/review_actions.h"
#include "project/store.h"
#include "report/project_report.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

namespace crowdsift::cli {

namespace {
struct ReportArgs {
    std::string project;
    std::string output;
    std::int64_t run = 0;
    std::string classText;
    std::string rule = "auto";
    int perRow = 8;
    int tileSize = 112;
    std::optional<double> window;
    std::optional<double> easySpread;
    std::optional<double> hardSpread;
    bool noMaps = false;
};

std::string estimated(double share)
{
    return std::isfinite(share) ? " (est. " + estimateText(share) + " wrong)" : std::string();
}
}  // namespace

void addReportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<ReportArgs>();
    CLI::App* command = app.add_subcommand(
        "report", handedOverDescription("report"));
    command->footer(
        "Triage: the trajectory rule on the newest data-parameters run (or --run), else the crowd-posterior\n"
        "rule on the active aggregation run; --rule crowd always uses the crowd rule (--run then names the\n"
        "aggregation run). Each PNG has a row per band: easy shows its most typical images, need review\n"
        "images spread through the band, hard its most extreme ones. With a t-SNE run (`tsne`) the class's map\n"
        "stands beside the rows: the class's own map, else the whole dataset's with the other classes grey.\n"
        "Files: <index>_<class>.png per class; with every class also report.json (counts, estimates, files).");
    command->add_option("project", args->project, "Project file (.csift)")->required();
    command->add_option("-o,--output", args->output, "Folder to write the figures into (created when missing)")
        ->required();
    command->add_option("--class", args->classText, "One class (index or name); default: every class");
    command->add_option("--run", args->run,
                        "Data-parameters run (default: the newest); with --rule crowd the aggregation run "
                        "(default: the active run)");
    command->add_option("--rule", args->rule, "Triage rule: auto|trajectory|crowd")
        ->check(CLI::IsMember({"auto", "trajectory", "crowd"}))
        ->capture_default_str();
    command->add_option("--per-row", args->perRow, "Images shown per band")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    command->add_option("--tile-size", args->tileSize, "Pixels of an image tile")
        ->check(CLI::Range(16, 512))
        ->capture_default_str();
    command->add_option("--window", args->window, "Trajectory rule: fraction of the epochs read (default 0.5)");
    command->add_option("--easy-spread", args->easySpread, "Trajectory rule: easy at most this spread (default 1)");
    command->add_option("--hard-spread", args->hardSpread, "Trajectory rule: hard at least this spread (default 3)");
    command->add_flag("--no-maps", args->noMaps, "Leave the t-SNE map out of the figures");

    command->callback([args, &global, &exitCode] {
        ProjectReportOptions options;
        options.triage.kind = args->rule == "crowd"        ? TriageSourceKind::Crowd
                              : args->rule == "trajectory" ? TriageSourceKind::Trajectory
                                                           : TriageSourceKind::Auto;
        options.triage.run = args->run;
        options.figure.perRow = args->perRow;
        options.figure.tileSize = args->tileSize;
        options.maps = !args->noMaps;
        if ((args->window || args->easySpread || args->hardSpread) && options.triage.kind == TriageSourceKind::Crowd)
            throw InputError("report", "--window/--easy-spread/--hard-spread",
                             "set the trajectory rule, not the crowd rule (--rule crowd)");

        TerminalProgress bar(!global.quiet);
        const Project project = openProject(args->project);
        const Dataset dataset = project.loadDataset(bar.token());
        if (!args->classText.empty())
            options.classIndex = parseClass(dataset, args->classText, project.path(), "--class");
        if (args->window)
            options.triage.trajectoryRuleChanges["window"] = *args->window;
        if (args->easySpread)
            options.triage.trajectoryRuleChanges["easy_spread"] = *args->easySpread;
        if (args->hardSpread)
            options.triage.trajectoryRuleChanges["hard_spread"] = *args->hardSpread;
        const ProjectReport report = writeProjectReport(project, dataset, args->output, options, bar.token());
        bar.finish();
        if (global.quiet) {
            exitCode = 0;
            return;
        }
        const ProjectTriage& triage = report.triage;
        std::printf("triage: %s%s\n", triage.source.c_str(),
                    triage.fallback.empty() ? "" : (" (" + triage.fallback + ")").c_str());
        std::printf("rule: %s\n", triage.rule.c_str());
        for (int k = 0; k < dataset.classCount(); ++k) {
            if (options.classIndex >= 0 && k != options.classIndex)
                continue;
            const auto& bands = triage.bands[static_cast<std::size_t>(k)];
            const auto& estimates = triage.estimatedWrong[static_cast<std::size_t>(k)];
            std::printf("class %d %s: %zu easy%s, %zu need review%s, %zu hard%s\n", k,
                        dataset.classNames[static_cast<std::size_t>(k)].c_str(), bands[0].size(),
                        estimated(estimates[0]).c_str(), bands[1].size(), estimated(estimates[1]).c_str(),
                        bands[2].size(), estimated(estimates[2]).c_str());
        }
        if (const int unassigned = triage.unassignedCount())
            std::printf("%d item(s) without a label are hard and in no class's figure\n", unassigned);
        for (const std::string& file : report.files)
            std::printf("wrote %s\n", file.c_str());
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
