#include "commands.h"
#include "input.h"
#include "output.h"
#include "terminal_progress.h"

#include "aggregate/label_quality.h"
#include "project/aggregation_runs.h"
#include "project/final_labels.h"
#include "project/review.h"
#include "project/store.h"
#include "util/error.h"
#include "util/json.h"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace crowdsift::cli {

namespace {
struct ExportArgs {
    std::string project;
    std::string output;
    std::string peerannot;
    std::int64_t run = 0;
    std::string qualityMethod = "self_confidence";
    std::string curatorId = "curator";
    bool json = false;
    bool force = false;
};
}  // namespace

void addExportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<ExportArgs>();
    CLI::App* command = app.add_subcommand(
        "export", "Export the final labels: the curator's decision, else the consensus of an aggregation run");
    command->footer("Files (-o, by extension):\n"
                    "  .csv   task,label,source,posterior,quality,note (source: decision|consensus|none)\n"
                    "  .json  the same per item with status, reviewer and time, plus run and counts\n"
                    "  .npy   labels (int32, -1 = none) + <stem>.source/.posterior/.quality.npy\n"
                    "--peerannot writes answers.json and metadata.json with the curator as one more annotator.");
    command->add_option("project", args->project, "Project file (.csift)")->required();
    command->add_option("-o,--output", args->output, "Final labels file (.csv, .json or .npy)");
    command->add_option("--peerannot", args->peerannot, "Write a peerannot folder with the curator as an annotator");
    command->add_option("--run", args->run, "Aggregation run giving the consensus (default: the project's active run)");
    command->add_option("--quality-method", args->qualityMethod,
                        "Label-quality score: self_confidence|normalized_margin|confidence_weighted_entropy")
        ->capture_default_str();
    command->add_option("--curator-id", args->curatorId,
                        "Annotator id of the curator in --peerannot (made unique when taken)")
        ->capture_default_str();
    command->add_flag("--json", args->json, "Print a summary as JSON");
    command->add_flag("-f,--force", args->force,
                      "Replace an existing file in the dataset's folder, or the answers.json and metadata.json of a "
                      "--peerannot folder that holds a dataset (never the dataset the project was imported from)");

    command->callback([args, &global, &exitCode] {
        if (args->output.empty() && args->peerannot.empty())
            throw InputError("export", "", "nothing to write: pass -o FILE (.csv, .json, .npy) and/or --peerannot DIR");
        const LabelQualityMethod method = parseLabelQualityMethod(args->qualityMethod);
        TerminalProgress bar(!global.quiet && !args->json);
        const Project project = openProject(args->project);
        const Dataset dataset = project.loadDataset(bar.token());
        requireWritableOutput("-o", args->output, {args->project, dataset.source});
        requireOutsideDataset("-o", args->output, dataset, args->force);
        requireWritableFolder("--peerannot", args->peerannot, dataset, args->force);
        const std::int64_t run = chosenAggregationRun(project, args->run);
        const AggregationResult result = loadAggregationRun(project, dataset, run);
        const ReviewState review = loadReviewState(project);
        const FinalLabels labels = finalLabels(dataset, result, review, method, run);
        bar.finish();

        std::vector<std::string> written;
        if (!args->output.empty())
            written = writeFinalLabels(dataset, labels, args->output, project.path());
        std::string curator;
        if (!args->peerannot.empty()) {
            curator = writeCuratedPeerannot(dataset, labels, args->peerannot, args->curatorId);
            written.push_back(args->peerannot);
        }

        const int decided = labels.count(LabelSource::Decision);
        const int consensus = labels.count(LabelSource::Consensus);
        const int none = labels.count(LabelSource::None);
        if (args->json) {
            nlohmann::json summary = {{"run", run},
                                      {"strategy", result.strategy},
                                      {"items", dataset.itemCount()},
                                      {"decision", decided},
                                      {"consensus", consensus},
                                      {"none", none},
                                      {"relabelled", review.relabelledCount()},
                                      {"accepted", review.acceptedCount()},
                                      {"outputs", written}};
            if (!curator.empty())
                summary["curator"] = curator;
            std::printf("%s\n", jsonText(summary, 2, "--json").c_str());
        } else if (!global.quiet) {
            std::printf("final labels of %d items from run %lld (%s): %d decided by the curator (%d relabelled, %d "
                        "accepted), %d consensus, %d without a label\n",
                        dataset.itemCount(), static_cast<long long>(run), result.strategy.c_str(), decided,
                        review.relabelledCount(), review.acceptedCount(), consensus, none);
            for (const std::string& file : written)
                std::printf("wrote %s\n", file.c_str());
            if (!curator.empty())
                std::printf("curator's annotator id: %s\n", curator.c_str());
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
