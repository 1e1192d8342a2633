#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "aggregate/annotator_stats.h"
#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/error.h"
#include "util/json.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

namespace crowdsift::cli {

namespace {
struct AnnotatorsArgs {
    std::string path;
    std::int64_t run = 0;
    std::string strategy;
    bool json = false;
    bool confusions = false;
    ReadArgs read;
};

}  // namespace

void addAnnotatorsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<AnnotatorsArgs>();
    CLI::App* command = app.add_subcommand(
        "annotators", "Annotator table: labels given, agreement, estimated accuracy, non-spam score, confusion matrices");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_option("--run", args->run, "Aggregation run of the project to use (default: the project's active run)");
    command->add_option("-s,--strategy", args->strategy,
                        "Aggregate with this strategy now instead of reading a stored run (default for datasets: ds)");
    command->add_flag("--json", args->json, "Print JSON (with every confusion matrix)");
    command->add_flag("--confusions", args->confusions, "Also print each annotator's confusion matrix");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        std::optional<Project>& project = input.project;
        const Dataset& dataset = input.dataset;

        AggregationResult result;
        std::string origin;
        if (project && args->strategy.empty()) {
            const std::int64_t run = chosenAggregationRun(*project, args->run);
            result = loadAggregationRun(*project, dataset, run);
            origin = "run " + std::to_string(run) + " (" + result.strategy + ")";
        } else {
            if (args->run != 0)
                throw InputError("--run", std::to_string(args->run), "runs exist only in project files");
            result = aggregate(args->strategy.empty() ? "ds" : args->strategy, dataset, nlohmann::json::object(),
                               bar.token());
            origin = result.strategy + ", computed now";
        }
        bar.finish();
        const auto stats = annotatorStats(dataset, result);

        if (args->json) {
            const nlohmann::json j = {{"source", origin},
                                      {"classes", dataset.classNames},
                                      {"annotators", annotatorStatsJson(dataset, result, stats, true)}};
            std::printf("%s\n", jsonText(j, 2, "--json").c_str());
            exitCode = 0;
            return;
        }
        std::printf("Annotators of %s, from %s\n\n", dataset.name.c_str(), origin.c_str());
        // Complementary answers get their own column when the data has any.
        bool complementary = false;
        for (const AnnotatorStats& s : stats)
            complementary = complementary || s.complementary > 0;
        std::printf("%-20s %8s", "annotator", "labels");
        if (complementary)
            std::printf(" %8s", "not k");
        std::printf(" %8s %10s %9s %8s %8s\n", "classes", "agreement", "accuracy", "non-spam", "skill");
        for (int w = 0; w < dataset.annotatorCount(); ++w) {
            const AnnotatorStats& s = stats[static_cast<std::size_t>(w)];
            const std::string id = dataset.annotatorIds[static_cast<std::size_t>(w)]
                                   + (dataset.isMachine(w) ? " [machine]" : "");
            std::printf("%-20s %8d", id.c_str(), s.labels);
            if (complementary)
                std::printf(" %8d", s.complementary);
            std::printf(" %8d %10s %9s %8s %8s\n", s.classesUsed, numberCell(s.agreement, "%.3f").c_str(),
                        numberCell(s.estimatedAccuracy, "%.3f").c_str(), numberCell(s.spammerScore, "%.3f").c_str(),
                        numberCell(s.skill, "%.3f").c_str());
            if (args->confusions && static_cast<std::size_t>(w) < result.confusions.size()) {
                const Eigen::MatrixXd& c = result.confusions[static_cast<std::size_t>(w)];
                for (int t = 0; t < c.rows(); ++t) {
                    std::printf("    %-14.14s", dataset.classNames[static_cast<std::size_t>(t)].c_str());
                    for (int o = 0; o < c.cols(); ++o)
                        std::printf(" %6.3f", c(t, o));
                    std::printf("\n");
                }
            }
        }
        std::printf("\nagreement: share of the annotator's labels equal to the consensus; accuracy: P(right answer) "
                    "under the confusion matrix;\nnon-spam: Raykar & Yu's spammer score, higher is better: 0 = a spammer "
                    "(answers independent of the true class), 1 = perfect (spammer_score in --json).\n");
        if (complementary)
            std::printf("labels: votes ('class k'); not k: complementary answers. An annotator with only 'not k' answers "
                        "is judged by them:\naccuracy = P(its 'not k' is right), non-spam from its P('not k' | true "
                        "class) matrix.\n");
        if (!dataset.machineAnnotators.empty())
            std::printf("[machine]: a model's answers (crowdsift-cli annotate), weighed like anyone's.\n");
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
