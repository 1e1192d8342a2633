// decide, undo, runs: what the GUI does to a project's review, for scripts. The rows are built
// and checked by the same core functions as the GUI's undo commands (project/review_actions.h).

#include "commands.h"
#include "input.h"
#include "runs_table.h"

#include "project/aggregation_runs.h"
#include "project/review.h"
#include "project/review_actions.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/json.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace crowdsift::cli {

namespace {

std::string defaultReviewer()
{
    const char* user = std::getenv("USER");
    return user && *user ? std::string(user) : std::string("curator");
}

std::string className(const Dataset& dataset, int label)
{
    return label >= 0 && label < dataset.classCount() ? dataset.classNames[static_cast<std::size_t>(label)]
                                                      : std::to_string(label);
}

struct DecideArgs {
    std::string project;
    std::string item;
    std::string label;
    bool accept = false;
    std::string note;
    std::string from;
    std::string reviewer;
};

struct UndoArgs {
    std::string project;
    std::string reviewer;
};

struct RunsArgs {
    std::string project;
    std::int64_t activate = 0;
    bool json = false;
};

}  // namespace

void addDecideCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<DecideArgs>();
    CLI::App* command = app.add_subcommand(
        "decide", "Record a curator's decision: relabel or accept one item, or apply a CSV of corrections in one step");
    command->add_option("project", args->project, "Project file (.csift)")->required();
    CLI::Option* item = command->add_option("--item", args->item, "The item's id (task)");
    CLI::Option* label = command->add_option("--label", args->label, "New class: index or class name");
    CLI::Option* accept = command->add_flag("--accept", args->accept, "Accept the active run's consensus for the item");
    CLI::Option* note = command->add_option("--note", args->note, "A note kept with the decision");
    CLI::Option* from = command->add_option("--from", args->from,
                                            "CSV of corrections: header task,label[,note]; applied in one transaction");
    command->add_option("--reviewer", args->reviewer, "Who decided (default: $USER)");
    label->needs(item);
    accept->needs(item);
    label->excludes(accept);
    from->excludes(item)->excludes(note);

    command->callback([args, &global, &exitCode] {
        if (args->from.empty() && args->item.empty())
            throw InputError("decide", "", "pass --item ID with --label L or --accept, or --from decisions.csv");
        if (!args->item.empty() && args->label.empty() && !args->accept)
            throw InputError("decide", "--item " + args->item, "say what to decide: --label L or --accept");
        Project project = openProject(args->project);
        const Dataset dataset = project.loadDataset(Progress::none());
        ReviewState state = loadReviewState(project);
        const std::string reviewer = args->reviewer.empty() ? defaultReviewer() : args->reviewer;

        std::vector<Decision> rows;
        std::string what;
        if (!args->from.empty()) {
            rows = decisionsFromCsv(args->from, dataset, reviewer);
            what = std::to_string(rows.size()) + " item(s) relabelled from " + args->from;
        } else {
            const int item = itemByKey(dataset, args->item, args->project, "--item " + args->item);
            if (args->accept) {
                const std::int64_t run = project.activeRun();
                if (run == 0)
                    throw InputError(args->project, "--accept",
                                     "the project has no active run whose consensus could be accepted: run "
                                     "`crowdsift-cli aggregate` first");
                const AggregationResult result = loadAggregationRun(project, dataset, run);
                rows = acceptRows(dataset, {item}, result.labels, run, reviewer, args->note, args->project);
                what = "item " + args->item + ": accepted " + className(dataset, rows.front().label) + " (run "
                       + std::to_string(run) + ", " + result.strategy + ")";
            } else {
                const int cls = parseClass(dataset, args->label, args->project, "--label " + args->label);
                rows = relabelRows({item}, cls, reviewer, args->note);
                what = "item " + args->item + ": relabelled as " + className(dataset, cls);
            }
        }
        const std::vector<std::int64_t> ids = recordDecisions(project, state, rows);
        if (!global.quiet)
            std::printf("%s (decision %lld%s)\n", what.c_str(), static_cast<long long>(ids.front()),
                        ids.size() > 1 ? (" to " + std::to_string(ids.back())).c_str() : "");
        exitCode = 0;
    });
}

void addUndoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<UndoArgs>();
    CLI::App* command = app.add_subcommand(
        "undo", "Take back the newest review action (one decide, or one GUI action), as the GUI's Undo does");
    command->add_option("project", args->project, "Project file (.csift)")->required();
    command->add_option("--reviewer", args->reviewer, "Who undoes (default: $USER)");
    command->callback([args, &global, &exitCode] {
        Project project = openProject(args->project);
        ReviewState state = loadReviewState(project);
        const std::string reviewer = args->reviewer.empty() ? defaultReviewer() : args->reviewer;
        const std::vector<Decision> rows = undoNewestStepRows(state, reviewer);
        if (rows.empty())
            throw InputError(args->project, "", "nothing to undo: the project has no decision in force");
        const std::vector<std::string> keys = project.loadDataset(Progress::none()).itemKeys;
        recordDecisions(project, state, rows);
        if (!global.quiet) {
            const Decision& first = *std::find_if(state.log().begin(), state.log().end(),
                                                  [&](const Decision& d) { return d.id == rows.front().undoes; });
            std::printf("undid %zu decision(s): %s of item %s%s\n", rows.size(), first.status.c_str(),
                        keys[static_cast<std::size_t>(first.item)].c_str(), rows.size() > 1 ? " and others" : "");
        }
        exitCode = 0;
    });
}

void addRunsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<RunsArgs>();
    CLI::App* command = app.add_subcommand(
        "runs", "List a project's runs with their status (running, done, failed, cancelled) and make one active");
    command->add_option("project", args->project, "Project file (.csift)")->required();
    command->add_option("--activate", args->activate,
                        "Make this finished aggregation run the active one (the review and export use it)");
    command->add_flag("--json", args->json, "Print the runs as JSON");
    command->callback([args, &global, &exitCode] {
        Project project = openProject(args->project);
        if (args->activate != 0) {
            try {
                project.setActiveRun(args->activate);
            } catch (const std::invalid_argument& e) {
                throw InputError(args->project, "--activate " + std::to_string(args->activate), e.what());
            }
        }
        const nlohmann::json runs = runsJson(project);
        if (args->json)
            std::printf("%s\n", jsonText(runs, 2, "--json").c_str());
        else if (!global.quiet)
            printRuns(runs);
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
