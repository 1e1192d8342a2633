#ifdef CROWDSIFT_HAVE_LEARN

#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"
#include "train_options.h"

#include "aggregate/export.h"
#include "aggregate/registry.h"
#include "learn_project/crowd_runs.h"
#include "learn_project/learn_runs.h"
#include "project/aggregation_runs.h"
#include "util/error.h"
#include "util/json.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <memory>

namespace crowdsift::cli {

namespace {
struct LoopArgs {
    std::string path;
    std::string output;
    bool json = false;
    bool noStore = false;
    bool keepLast = false;
    std::int64_t start = 0;  // a run to start from; 0 = majority vote
    TrainArgs train;
    ReadArgs read;
};

void printRow(const std::string& first, const std::string& changed, const std::string& newlyChanged,
              const std::string& consensus, const std::string& model, const std::string& weight,
              const std::string& seconds, const std::string& heldOut = "")
{
    std::printf("%-16s %8s %13s %13s %9s %12s %8s %9s\n", first.c_str(), changed.c_str(), newlyChanged.c_str(),
                consensus.c_str(), model.c_str(), weight.c_str(), seconds.c_str(), heldOut.c_str());
    std::fflush(stdout);
}

}  // namespace

void addCrowdlabLoopCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<LoopArgs>();
    CLI::App* command = app.add_subcommand(
        "crowdlab-loop",
        handedOverDescription("crowdlab-loop"));
    command->footer("Each iteration trains --folds models on the current consensus, gets out-of-sample "
                    "probabilities for every item and recomputes the CROWDLAB consensus. The loop stops when no "
                    "item changes label for the first time, or after --max-iter iterations. Ground truth, when "
                    "the dataset has it, is only used for the accuracy columns.");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_option("-o,--output", args->output,
                        "Write the final consensus like `aggregate -o` (.csv, .json or .npy)");
    command->add_flag("--json", args->json, "Print the loop summary as JSON");
    command->add_flag("--no-store", args->noStore, "Do not record the run in the project");
    command->add_option("--start", args->start,
                        "Start from this run of the project instead of majority vote: an aggregation run (e.g. "
                        "Dawid-Skene: its labels, or posteriors with --soft) or a training run such as "
                        "`learn-from-crowds` (its out-of-sample probabilities give iteration 1's consensus)");
    command->add_flag("--keep-last", args->keepLast,
                      "Keep the last iteration's consensus; by default the loop keeps the iteration whose consensus "
                      "best predicts held-out answers (and says when its start predicts them better)");
    args->train.addTo(command, UseLoop);
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        const TrainArgs::Resolved settings = args->train.resolve();
        if (settings.folds < 2)
            throw InputError("--folds", std::to_string(settings.folds),
                             "the loop needs out-of-sample probabilities: use at least 2 folds");
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        const Dataset& dataset = input.dataset;
        const LearnInput learnInput = loadLearnInputFor(input, settings, bar.token());

        const LoopConfig config{settings.spec, settings.config, settings.folds, settings.maxIterations, settings.soft,
                                !args->keepLast};
        LoopStart start;
        if (args->start != 0) {
            if (!input.project)
                throw InputError("--start", std::to_string(args->start), "a start run needs a project");
            start = loopStartFromRun(*input.project, dataset, args->start);
        }

        // The start's accuracy against the truth: the start run's labels (or most probable classes),
        // else cleanlab's majority vote, the loop's own start.
        double startAccuracy = std::nan("");
        if (dataset.hasTruth())
            startAccuracy = args->start == 0 ? accuracy(cleanlabMajorityVote(dataset), dataset.truth)
                            : start.probabilities.size() > 0 ? accuracy(rowArgmax(start.probabilities), dataset.truth)
                                                             : accuracy(start.labels, dataset.truth);

        double dsAccuracy = std::nan("");
        if (dataset.hasTruth())
            dsAccuracy = accuracy(aggregate("ds", dataset, nlohmann::json::object(), bar.token()).labels, dataset.truth);

        const bool table = !global.quiet && !args->json;
        if (table) {
            bar.finish();
            printRunHeader(settings, learnInput, dataset.classCount(), settings.folds);
            printRow("iteration", "changed", "newly changed", "consensus acc", "model acc", "model weight", "seconds",
                     config.keepBest ? "held-out" : "");
            double majorityAccuracy = accuracy(cleanlabMajorityVote(dataset), dataset.truth);
            printRow("majority vote", "", "", numberCell(majorityAccuracy), "", "", "");
            if (std::isfinite(dsAccuracy))
                printRow("dawid-skene", "", "", numberCell(dsAccuracy), "", "", "");
            if (args->start != 0)
                printRow("start: run " + std::to_string(args->start), "", "", numberCell(startAccuracy), "", "", "");
        }
        const LoopResult result = runCrowdlabLoop(
            dataset, learnInput, config, start, bar.token(),
            [&](const LoopIteration& it) {
                if (!table)
                    return;
                bar.finish();
                printRow(std::to_string(it.iteration), std::to_string(it.changed), std::to_string(it.newlyChanged),
                         numberCell(it.consensusAccuracy), numberCell(it.modelAccuracy), numberCell(it.modelWeight, "%.3f"),
                         numberCell(it.seconds, "%.1f"), numberCell(it.heldOutScore, "%.4f"));
            },
            [&](int fold, const EpochRecord& e) {
                spdlog::debug("fold {} epoch {}: loss {:.4f}, acc {:.4f}, lr {:.2e}, {:.0f} samples/s", fold + 1, e.epoch,
                              e.trainLoss, e.trainAccuracy, e.learningRate, e.samplesPerSecond);
            });
        bar.finish();

        nlohmann::json params = trainParams(settings);
        params["strategy"] = "crowdlab-loop";
        params["folds"] = settings.folds;
        params["max_iterations"] = settings.maxIterations;
        params["soft"] = settings.soft;
        if (args->start != 0)
            params["start"] = args->start;
        nlohmann::json summary = loopSummary(result);
        summary["model"] = settings.spec.name;
        summary["start_accuracy"] = finiteOrNull(startAccuracy);
        if (input.project && !args->noStore) {
            const bool hadActive = input.project->activeRun() != 0;
            const std::int64_t run = storeLoopRun(*input.project, dataset, params, result);
            summary["run"] = run;
            summary["active"] = activeRunJson(
                compareWithActiveRun(*input.project, dataset, run, result.consensus.consensusLabel), !hadActive);
        }
        std::vector<std::string> written;
        if (!args->output.empty())
            written = writeAggregation(dataset, loopAsAggregation(dataset, result, params), args->output);
        summary["outputs"] = written;

        if (args->json) {
            std::printf("%s\n", jsonText(summary, 2, "--json").c_str());
        } else if (!global.quiet) {
            if (result.converged)
                std::printf("converged after %zu iteration(s): no item changed for the first time\n",
                            result.iterations.size());
            else
                std::printf("stopped after --max-iter %d iteration(s) without converging\n", settings.maxIterations);
            if (config.keepBest) {
                std::printf("kept iteration %d: its consensus best predicts held-out answers (mean log-likelihood %.4f",
                            result.keptIteration,
                            result.iterations[static_cast<std::size_t>(result.keptIteration - 1)].heldOutScore);
                if (std::isfinite(result.startHeldOutScore))
                    std::printf("; the start's %.4f", result.startHeldOutScore);
                std::printf(")\n");
                if (result.startScoresBetter)
                    std::printf("warning: the start predicts held-out answers better than every iteration: the loop "
                                "did not improve on it; keep using the start's labels\n");
            }
            printStoredAndWritten(summary, args->path, written);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli

#endif
