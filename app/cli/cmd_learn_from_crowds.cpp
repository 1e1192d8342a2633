#ifdef CROWDSIFT_HAVE_LEARN

#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"
#include "train_options.h"

#include "learn_project/crowd_runs.h"
#include "util/error.h"
#include "util/npy.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace crowdsift::cli {

namespace {

struct LearnFromCrowdsArgs {
    std::string path;
    std::string strategy = "conal";
    std::string output;
    bool json = false;
    bool noStore = false;
    TrainArgs train;
    ReadArgs read;
};

}  // namespace

void addLearnFromCrowdsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<LearnFromCrowdsArgs>();
    CLI::App* command = app.add_subcommand("learn-from-crowds", handedOverDescription("learn-from-crowds"));
    command->footer(
        "Trains one classifier end to end on every annotator's raw votes (no aggregation first) through a layer "
        "per annotator, and reads each annotator's confusion back out of it:\n"
        "  crowdlayer[mw|vw|vb]  CrowdLayer (Rodrigues & Pereira, AAAI 2018): a matrix, a vector of weights or "
        "a bias per annotator on the classifier's probabilities;\n"
        "  conal[scale=1e-5]     CoNAL (Chu, Ma & Wang, AAAI 2021): per-annotator matrices plus one common "
        "confusion, mixed per (item, annotator) by a gate; `scale` weighs the regulariser that pulls the "
        "annotator matrices away from the common one.\n"
        "The crowd parameters learn with Adam at their own constant rate, without weight decay: lr=0.01 unless "
        "the brackets say otherwise (crowdlayer[mw,lr=0.05], conal[scale=1e-5,lr=0.02]); the classifier uses the "
        "model's optimizer and schedule. With --folds k the folds train side by side on the CPU, one torch thread "
        "each (as `train` does).\n"
        "With --folds k >= 2 every item's probabilities come from a model that did not see its votes "
        "(--folds 1: one model on every vote, in-sample). The run is stored as a training run (so `crowdlab-loop "
        "--start`, the Review tab and `export` can use it) with the outputs annotator_confusions (M x K x K), "
        "common_confusion (K x K) and gate (M). Model and training options as for `train`.");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_option("-s,--strategy", args->strategy, "crowdlayer, crowdlayer[mw|vw|vb], conal or conal[scale=<x>]; add lr=<x> for the crowd layers' own learning rate")
        ->default_str("conal");
    command->add_option("-o,--output", args->output, "Write the probabilities (N x K float32 .npy)");
    command->add_flag("--json", args->json, "Print the run summary as JSON");
    command->add_flag("--no-store", args->noStore, "Do not record the run in the project");
    args->train.addTo(command, UseTrain, {"soft", "val_fraction", "patience"});
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        if (!args->output.empty() && std::filesystem::path(args->output).extension() != ".npy")
            throw InputError("-o", args->output, "the probabilities are written as .npy (N x K float32)");
        const CrowdConfig crowd = parseCrowdStrategy(args->strategy, "--strategy");
        const TrainArgs::Resolved settings = args->train.resolve();
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        const Dataset& dataset = input.dataset;
        const CrowdVotes votes = crowdVotes(dataset);
        if (votes.label.empty())
            throw InputError(args->path, "", "the dataset has no votes to learn from");
        const LearnInput learnInput = loadLearnInputFor(input, settings, bar.token());

        const bool table = !global.quiet && !args->json;
        if (table) {
            bar.finish();
            std::printf("%s: ", crowdStrategyName(crowd).c_str());
            printRunHeader(settings, learnInput, dataset.classCount(), settings.folds);
            std::printf("%4s %5s %8s %7s %9s %9s\n", "fold", "epoch", "loss", "mv_acc", "lr", "img/s");
        }
        auto onEpoch = [&](int fold, const EpochRecord& e) {
            if (!table)
                return;
            bar.finish();
            std::printf("%4d %5d %8.4f %7.4f %9.2e %9.0f\n", fold + 1, e.epoch, e.trainLoss, e.trainAccuracy,
                        e.learningRate, e.samplesPerSecond);
            std::fflush(stdout);
        };
        const nlohmann::json params = crowdParams(settings.spec, settings.config, crowd, settings.input, settings.folds, votes);
        nlohmann::json summary;
        RowMatrixXf probabilities;
        if (input.project && !args->noStore) {
            const std::int64_t run = runLearnFromCrowds(*input.project, dataset, params, learnInput, settings.spec,
                                                        settings.config, crowd, settings.folds, bar.token(), onEpoch);
            summary = input.project->run(run).summary;
            summary["run"] = run;
            if (!args->output.empty()) {
                const NpyArray stored = input.project->runOutput(run, "probabilities");
                const std::vector<float> values = stored.as<float>();
                probabilities = Eigen::Map<const RowMatrixXf>(values.data(), static_cast<Eigen::Index>(stored.shape[0]),
                                                              static_cast<Eigen::Index>(stored.shape[1]));
            }
        } else {
            const CrowdCrossValidation result = crossValidateCrowd(learnInput, votes, dataset.classCount(), settings.spec,
                                                                   settings.config, crowd, settings.folds, bar.token(), onEpoch);
            summary = crowdSummary(dataset, params, result);
            probabilities = result.probabilities;
        }
        bar.finish();
        std::vector<std::string> written;
        if (!args->output.empty()) {
            writeNpy(args->output, probabilities.data(),
                     {static_cast<std::size_t>(probabilities.rows()), static_cast<std::size_t>(probabilities.cols())});
            written.push_back(args->output);
        }
        summary["outputs"] = written;

        if (args->json) {
            std::printf("%s\n", summary.dump(2).c_str());
        } else if (!global.quiet) {
            std::printf("trained on %lld votes of %zu annotators in %.1f s, %.0f samples/s\n",
                        static_cast<long long>(summary["votes"].get<std::int64_t>()), summary["annotators"].get<std::size_t>(),
                        summary["seconds"].get<double>(), summary["samples_per_s"].get<double>());
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
