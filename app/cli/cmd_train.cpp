#ifdef CROWDSIFT_HAVE_LEARN

#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"
#include "train_options.h"

#include "learn_project/complementary_runs.h"
#include "learn_project/data_params_runs.h"
#include "learn_project/learn_runs.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace crowdsift::cli {

namespace {
struct TrainCommandArgs {
    std::string path;
    std::string labels;
    std::string output;
    bool json = false;
    bool noStore = false;
    std::int64_t ranking = 0;  // a data-parameters run; 0 = none
    double subsetFrac = 0;  // the highest-ranked fraction left out
    int rankingEpoch = 0;
    bool complementary = false;
    std::string strategy = "scl-nl";
    std::string transition = "uniform";
    TrainArgs train;
    ReadArgs read;
};

void printEpochHeader()
{
    std::printf("%4s %5s %8s %7s %8s %7s %9s %9s\n", "fold", "epoch", "loss", "acc", "val", "val_acc", "lr", "img/s");
}

void printEpoch(int fold, const EpochRecord& e)
{
    std::printf("%4d %5d %8.4f %7.4f %8s %7s %9.2e %9.0f\n", fold + 1, e.epoch, e.trainLoss, e.trainAccuracy,
                numberCell(e.validationLoss, "%.4f").c_str(), numberCell(e.validationAccuracy, "%.4f").c_str(),
                e.learningRate, e.samplesPerSecond);
    std::fflush(stdout);
}

// `train --complementary`: learn from the dataset's complementary and ordinary answers.
void runComplementary(const TrainCommandArgs& args, const GlobalOptions& global)
{
    const ComplementaryLoss loss = parseComplementaryLoss(args.strategy, "--strategy");
    if (args.train.isGiven("folds"))
        throw InputError("--folds", "", "--complementary trains one model on every answered item (no cross-validation)");
    TrainArgs::Resolved settings = args.train.resolve();
    settings.folds = 1;
    TerminalProgress bar(!global.quiet && !args.json);
    Input input = openInput(args.path, args.read, bar, global);
    const Dataset& dataset = input.dataset;
    const LearnInput learnInput = loadLearnInputFor(input, settings, bar.token());
    const bool table = !global.quiet && !args.json;
    if (table) {
        bar.finish();
        printRunHeader(settings, learnInput, dataset.classCount(), 0);
        std::printf("loss %s, transition %s; train_acc = share of complementary answers off the top class\n",
                    complementaryLossName(loss), args.transition.c_str());
        printEpochHeader();
    }
    TransitionChoice transition;
    transition.source = args.transition;
    const ComplementaryOutcome outcome =
        trainComplementary(learnInput, dataset, loss, transition, settings.spec, settings.config, bar.token(),
                           [&](const EpochRecord& e) {
                               if (!table)
                                   return;
                               bar.finish();
                               printEpoch(0, e);
                           });
    bar.finish();
    nlohmann::json params = trainParams(settings);
    params["complementary"] = true;
    params["strategy"] = complementaryLossName(loss);
    params["transition"] = args.transition;
    if (args.transition == "anchors") {
        params["anchor_quantile"] = transition.anchorQuantile;
        params["anchor_folds"] = transition.anchorFolds;
    }
    params["soft"] = false;
    params["folds"] = 1;
    nlohmann::json summary = complementarySummary(dataset, params, outcome);
    if (input.project && !args.noStore)
        summary["run"] = storeComplementaryRun(*input.project, dataset, params, outcome);
    std::vector<std::string> written;
    if (!args.output.empty()) {
        const RowMatrixXf& p = outcome.result.probabilities;
        writeNpy(args.output, p.data(), {static_cast<std::size_t>(p.rows()), static_cast<std::size_t>(p.cols())});
        written.push_back(args.output);
    }
    summary["outputs"] = written;
    if (args.json) {
        std::printf("%s\n", summary.dump(2).c_str());
        return;
    }
    if (global.quiet)
        return;
    std::printf("%.0f complementary and %.0f ordinary answer(s); trained in %.1f s\n", outcome.complementaryAnswers,
                outcome.ordinaryAnswers, outcome.result.seconds);
    if (!summary["accuracy"].is_null())
        std::printf("accuracy against truth: %.4f (in-sample, trained on these items)\n", summary["accuracy"].get<double>());
    if (!summary["transition_data_error"].is_null())
        std::printf("transition estimated from the data: mean |T - T_truth| = %.4f\n",
                    summary["transition_data_error"].get<double>());
    printStoredAndWritten(summary, args.path, written);
}

}  // namespace

void addTrainCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<TrainCommandArgs>();
    CLI::App* command = app.add_subcommand(
        "train", handedOverDescription("train"));
    command->footer("Labels: an aggregation run id of the project (its labels, or with --soft its posteriors), a CSV "
                    "written by `aggregate -o`, an int .npy of N labels or a float .npy of N x K soft labels. "
                    "Ground truth, when the dataset has it, is only used to report accuracy.\n"
                    "Input (--input): an mlp learns from the dataset's feature vectors when it has them, the "
                    "image networks from its images (decoded once into an image cache); --input gist gives an "
                    "mlp GIST scene features of the images (computed once, cached).");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    CLI::Option* labels =
        command->add_option("-l,--labels", args->labels, "Aggregation run id, or labels file (.csv, .npy); not with --complementary");
    command->add_option("-o,--output", args->output, "Write the probabilities (N x K float32 .npy)");
    command->add_flag("--json", args->json, "Print the run summary as JSON");
    command->add_flag("--no-store", args->noStore, "Do not record the run in the project");
    CLI::Option* ranking =
        command->add_option("--ranking", args->ranking, "A data-parameters run (`identify`) whose instance sigmas rank the items");
    // One option, two names: --subset-frac is issue 12's, --exclude-top the first release's.
    CLI::Option* subsetFrac = command->add_option("--subset-frac,--exclude-top", args->subsetFrac,
                        "With --ranking: leave the highest-ranked fraction of the labelled items out of training "
                        "(the Data Parameters paper's subset retrain); the run is stored with the ranking run as "
                        "its parent and the items left out as its output `excluded`")
        ->check(CLI::Range(0.0, 0.99))
        ->needs(ranking);
    ranking->needs(subsetFrac);
    command->add_option("--ranking-epoch", args->rankingEpoch, "With --ranking: rank by this epoch's sigma (0 = the last)")
        ->check(CLI::NonNegativeNumber)
        ->needs(ranking);
    CLI::Option* complementary = command->add_flag(
        "--complementary", args->complementary,
        "Learn from the dataset's own answers, complementary (\"not class k\") and ordinary alike, with the loss of -s; "
        "one model on every answered item (no cross-validation)");
    complementary->excludes(labels);
    complementary->excludes(ranking);
    std::string losses;
    for (const std::string& name : complementaryLossNames())
        losses += (losses.empty() ? "" : "|") + name;
    command->add_option("-s,--strategy", args->strategy, "With --complementary: the loss: " + losses)
        ->capture_default_str()
        ->needs(complementary);
    command->add_option("--transition", args->transition,
                        "With --complementary: the transition matrix of ure-tnn, ure-tga, fwd and cpe-*: uniform, anchors "
                        "(estimated by a first cpe-i training, Yu et al. 2018), truth (counted against the dataset's "
                        "truth) or a K x K .npy")
        ->capture_default_str()
        ->needs(complementary);
    args->train.addTo(command, UseTrain);
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        if (!args->output.empty() && std::filesystem::path(args->output).extension() != ".npy")
            throw InputError("-o", args->output, "the probabilities are written as .npy (N x K float32)");
        if (args->complementary) {
            runComplementary(*args, global);
            exitCode = 0;
            return;
        }
        if (args->labels.empty())
            throw InputError("--labels", "", "train needs the labels to learn from (or --complementary)");
        const TrainArgs::Resolved settings = args->train.resolve();
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        const Dataset& dataset = input.dataset;
        Targets targets = loadTargets(args->labels, input, settings.soft);
        std::vector<int> excluded;
        if (args->ranking != 0) {
            if (!input.project)
                throw InputError("--ranking", std::to_string(args->ranking), "a ranking run needs a project");
            excluded = topSigmaItems(*input.project, args->ranking, args->subsetFrac, args->rankingEpoch);
            targets = withoutItems(std::move(targets), excluded);
        }
        const LearnInput learnInput = loadLearnInputFor(input, settings, bar.token());

        const bool table = !global.quiet && !args->json;
        if (table) {
            bar.finish();
            printRunHeader(settings, learnInput, dataset.classCount(), settings.folds);
            printEpochHeader();
        }
        TrainOutcome outcome = trainModel(learnInput, targets, dataset.classCount(), settings.spec, settings.config,
                                          settings.folds, bar.token(), [&](int fold, const EpochRecord& e) {
                                              if (!table)
                                                  return;
                                              bar.finish();
                                              std::printf("%4d %5d %8.4f %7.4f %8s %7s %9.2e %9.0f\n", fold + 1, e.epoch,
                                                          e.trainLoss, e.trainAccuracy,
                                                          numberCell(e.validationLoss, "%.4f").c_str(),
                                                          numberCell(e.validationAccuracy, "%.4f").c_str(), e.learningRate,
                                                          e.samplesPerSecond);
                                              std::fflush(stdout);
                                          });
        bar.finish();

        nlohmann::json params = trainParams(settings);
        params["labels"] = args->labels;
        params["soft"] = targets.isSoft();
        params["folds"] = settings.folds;
        if (args->ranking != 0) {
            params["ranking"] = args->ranking;
            params["subset_frac"] = args->subsetFrac;
            params["ranking_epoch"] = args->rankingEpoch;
        }
        nlohmann::json summary = trainSummary(dataset, params, outcome.result);
        if (args->ranking != 0)
            summary["excluded"] = excluded.size();
        if (input.project && !args->noStore) {
            if (args->ranking != 0) {
                summary["run"] = storeSubsetTrainRun(*input.project, params, outcome.result, outcome.model.get(),
                                                     args->ranking, excluded);
                summary["parent"] = args->ranking;
            } else {
                summary["run"] = storeTrainRun(*input.project, params, outcome.result, outcome.model.get());
            }
        }
        std::vector<std::string> written;
        if (!args->output.empty()) {
            const RowMatrixXf& p = outcome.result.probabilities;
            writeNpy(args->output, p.data(), {static_cast<std::size_t>(p.rows()), static_cast<std::size_t>(p.cols())});
            written.push_back(args->output);
        }
        summary["outputs"] = written;

        if (args->json) {
            std::printf("%s\n", jsonText(summary, 2, "--json").c_str());
        } else if (!global.quiet) {
            if (args->ranking != 0)
                std::printf("left out %zu item(s) ranked highest by run %lld\n", excluded.size(),
                            static_cast<long long>(args->ranking));
            std::printf("trained in %.1f s, %.0f samples/s\n", outcome.result.seconds, outcome.result.trainSamplesPerSecond);
            if (!summary["accuracy"].is_null())
                std::printf("accuracy against truth: %.4f (%s)\n", summary["accuracy"].get<double>(),
                            settings.folds >= 2 ? "out-of-sample" : "in-sample, trained on these items");
            printStoredAndWritten(summary, args->path, written);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli

#endif
