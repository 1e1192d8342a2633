#ifdef CROWDSIFT_HAVE_LEARN

#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"
#include "train_options.h"

#include "learn_project/data_params_runs.h"
#include "util/error.h"
#include "util/json.h"

#include <cstdio>
#include <memory>

namespace crowdsift::cli {

namespace {

struct IdentifyCommandArgs {
    std::string path;
    std::string labels;
    bool json = false;
    bool noStore = false;
    TrainArgs train;
    ReadArgs read;
};

std::string quantileCell(const nlohmann::json& quantiles, const char* key)
{
    return quantiles.is_object() ? numberCell(quantiles[key].get<double>(), "%.3f") : std::string("-");
}

void printEpochs(const nlohmann::json& summary)
{
    std::printf("%5s %8s %7s %7s %8s %8s %8s %8s %8s\n", "epoch", "loss", "acc", "val_acc", "inst_q25", "inst_med",
                "inst_q75", "inst_max", "cls_med");
    for (const nlohmann::json& e : summary["per_epoch"]) {
        const nlohmann::json& instance = e["instance_sigma"];
        std::printf("%5d %8s %7s %7s %8s %8s %8s %8s %8s\n", e["epoch"].get<int>(),
                    e["train_loss"].is_number() ? numberCell(e["train_loss"].get<double>()).c_str() : "-",
                    e["train_acc"].is_number() ? numberCell(e["train_acc"].get<double>()).c_str() : "-",
                    e["val_acc"].is_number() ? numberCell(e["val_acc"].get<double>()).c_str() : "-",
                    quantileCell(instance, "q25").c_str(), quantileCell(instance, "median").c_str(),
                    quantileCell(instance, "q75").c_str(), quantileCell(instance, "max").c_str(),
                    quantileCell(e["class_sigma"], "median").c_str());
    }
}

}  // namespace

void addIdentifyCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<IdentifyCommandArgs>();
    CLI::App* command = app.add_subcommand(
        "identify", handedOverDescription("identify"));
    command->footer("Data Parameters (Saxena, Tuzel & DeCoste, NeurIPS 2019): the logits of item i of class y are "
                    "divided by sigma_class[y] + sigma_inst[i] while training; each sigma's trajectory over the "
                    "epochs is stored in the run (sigma_instance N x E, sigma_class K x E). Without --instance "
                    "and --class the instance level is learned. Labels and model options as for `train`, "
                    "without --folds.");
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_option("-l,--labels", args->labels, "Aggregation run id, or labels file (.csv, .npy)")->required();
    command->add_flag("--json", args->json, "Print the run summary as JSON");
    command->add_flag("--no-store", args->noStore, "Do not record the run in the project");
    args->train.addTo(command, UseIdentify);
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        TrainArgs::Resolved settings = args->train.resolve();
        // The instance level is on unless --class alone asks for the class level only.
        if (args->train.isGiven("class") && !args->train.isGiven("instance"))
            settings.dataParams.instanceLevel = false;
        settings.config.dataParams = settings.dataParams;
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        const Dataset& dataset = input.dataset;
        const Targets targets = loadTargets(args->labels, input, settings.soft);
        const LearnInput learnInput = loadLearnInputFor(input, settings, bar.token());
        const bool table = !global.quiet && !args->json;
        if (table) {
            bar.finish();
            printRunHeader(settings, learnInput, dataset.classCount(), 0);
        }
        nlohmann::json params = dataParamsParams(settings.spec, settings.config, settings.input);
        params["labels"] = args->labels;
        params["soft"] = targets.isSoft();
        nlohmann::json summary;
        if (input.project && !args->noStore) {
            const std::int64_t run = runDataParams(*input.project, params, learnInput, targets, settings.spec,
                                                   settings.config, bar.token());
            summary = input.project->run(run).summary;
            summary["run"] = run;
        } else {
            const DataParamsOutcome outcome = trainDataParams(learnInput, targets, dataset.classCount(), settings.spec,
                                                              settings.config, bar.token());
            summary = dataParamsSummary(params, outcome.fit, dataset.classCount());
        }
        bar.finish();

        if (args->json) {
            std::printf("%s\n", jsonText(summary, 2, "--json").c_str());
        } else if (!global.quiet) {
            printEpochs(summary);
            std::printf("trained in %.1f s, %.0f samples/s\n", summary["seconds"].get<double>(),
                        summary["samples_per_s"].get<double>());
            printStoredAndWritten(summary, args->path, {});
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli

#endif
