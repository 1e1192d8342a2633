#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "aggregate/annotator_stats.h"
#include "aggregate/common.h"
#include "aggregate/crowdlab.h"
#include "aggregate/export.h"
#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "project/store.h"
#include "util/error.h"
#include "util/json.h"
#include "util/npy.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <map>
#include <optional>

namespace crowdsift::cli {

namespace {
#ifdef CROWDSIFT_HAVE_LEARN
constexpr const char* probabilitiesHint =
    ", e.g. from `crowdsift-cli train --folds 5 -o probs.npy`, or let `crowdsift-cli crowdlab-loop` train the model";
#else
constexpr const char* probabilitiesHint =
    ". This build cannot train models, so export them from your own cross-validated classifier";
#endif

struct AggregateArgs {
    std::string path;
    std::string strategy = "ds";
    std::string predProbs;
    std::string output;
    std::vector<std::string> params;
    std::string qualityMethod = "crowdlab";
    bool json = false;
    bool noStore = false;
    bool force = false;
    ReadArgs read;
};

nlohmann::json parseParams(const std::vector<std::string>& pairs)
{
    nlohmann::json params = nlohmann::json::object();
    for (const std::string& pair : pairs) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw InputError("--param", pair, "expected key=value");
        const std::string key = pair.substr(0, eq);
        const std::string value = pair.substr(eq + 1);
        constexpr std::size_t maxValue = 64 * 1024;
        if (value.size() > maxValue)
            throw InputError("--param", key, "the value has " + std::to_string(value.size()) + " bytes; at most "
                                                 + std::to_string(maxValue) + " are read");
        requireJsonDepth(value, "--param " + key);
        // Numbers and booleans as JSON, anything else as a string; the registry checks types.
        nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
        params[key] = parsed.is_discarded() ? nlohmann::json(value) : parsed;
    }
    return params;
}

RowMatrixXd readProbabilities(const std::string& path, const Dataset& dataset)
{
    const NpyArray array = readNpy(path);
    if (array.shape.size() != 2 || array.shape[0] != static_cast<std::size_t>(dataset.itemCount())
        || array.shape[1] != static_cast<std::size_t>(dataset.classCount()))
        throw InputError(path, "", "expected model probabilities of shape " + std::to_string(dataset.itemCount()) + " x "
                                       + std::to_string(dataset.classCount()) + " (items x classes)");
    const std::vector<double> values = array.as<double>();
    RowMatrixXd p(dataset.itemCount(), dataset.classCount());
    std::copy(values.begin(), values.end(), p.data());
    return p;
}

}  // namespace

void addAggregateCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<AggregateArgs>();
    std::string strategies;
    for (const StrategyInfo& s : crowdsift::strategies())
        strategies += "\n  " + s.name + std::string(12 - std::min<std::size_t>(11, s.name.size()), ' ') + s.description;
    strategies += "\n  crowdlab    CROWDLAB consensus from answers and model probabilities (--pred-probs)";
    CLI::App* command = app.add_subcommand("aggregate", "Aggregate the answers into labels and posteriors");
    command->footer("Strategies:" + strategies);
    command->add_option("path", args->path, "Project file (.csift) or dataset folder/file")->required();
    command->add_option("-s,--strategy", args->strategy, "Strategy name (see below)")->capture_default_str();
    command->add_option("--pred-probs", args->predProbs, "crowdlab: out-of-sample model probabilities, N x K .npy");
    command->add_option("--quality-method", args->qualityMethod, "crowdlab: crowdlab|agreement")->capture_default_str();
    command->add_option("-p,--param", args->params, "Strategy parameter key=value (repeatable), e.g. max_iterations=50");
    command->add_option("-o,--output", args->output, "Write labels, posteriors and annotator statistics (.csv, .json or .npy)");
    command->add_flag("--json", args->json, "Print the run summary as JSON");
    command->add_flag("--no-store", args->noStore, "Do not record the run in the project");
    command->add_flag("-f,--force", args->force, "Write -o even over an existing file in the dataset's folder");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        std::optional<Project>& project = input.project;
        const Dataset& dataset = input.dataset;
        requireWritableOutput("-o", args->output, {args->path, dataset.source, args->predProbs});
        requireOutsideDataset("-o", args->output, dataset, args->force);

        const nlohmann::json params = parseParams(args->params);
        AggregationResult result;
        std::optional<CrowdlabResult> crowdlabResult;
        nlohmann::json runParams;
        double seconds = 0;
        const auto compute = [&] {
            const auto start = std::chrono::steady_clock::now();
            if (args->strategy == "crowdlab") {
                if (args->predProbs.empty())
                    throw InputError(std::string("crowdlab needs out-of-sample model probabilities: pass --pred-probs "
                                                 "FILE.npy (N x K)")
                                     + probabilitiesHint + ".");
                if (!params.empty())
                    throw InputError("--param", "", "crowdlab takes no strategy parameters");
                CrowdlabOptions options;
                if (args->qualityMethod == "agreement")
                    options.quality = ConsensusQuality::Agreement;
                else if (args->qualityMethod != "crowdlab")
                    throw InputError("--quality-method", args->qualityMethod, "expected crowdlab or agreement");
                const RowMatrixXd probabilities = readProbabilities(args->predProbs, dataset);
                crowdlabResult = crowdlab(dataset, probabilities, options, bar.token());
                runParams = {{"strategy", "crowdlab"}, {"pred_probs", args->predProbs}, {"quality_method", args->qualityMethod}};
                result = crowdlabAsAggregation(dataset, *crowdlabResult, runParams);
                result.modelProbabilities = probabilities;
                warnComplementarySkipped(result, dataset);
            } else {
                if (!args->predProbs.empty())
                    throw InputError("--pred-probs", "", "only the crowdlab strategy uses model probabilities");
                result = aggregate(args->strategy, dataset, params, bar.token());
                runParams = {{"strategy", result.strategy}, {"params", result.params}};
            }
            seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return aggregationSummary(dataset, result, seconds);
        };

        nlohmann::json summary;
        if (project && !args->noStore) {
            // The run is recorded before the work starts: a kill or a failure leaves it listed as
            // failed (with the reason), never as nothing.
            const std::int64_t run = recordRun(*project, "aggregate", {{"strategy", args->strategy}, {"params", params}},
                                               args->strategy, [&](std::int64_t id) {
                                                   summary = compute();
                                                   project->setRunParams(id, runParams);
                                                   writeAggregationOutputs(*project, id, dataset, result,
                                                                           crowdlabResult ? crowdlabRunOutputs(*crowdlabResult)
                                                                                          : std::map<std::string, Eigen::VectorXd>{});
                                                   return summary;
                                               });
            summary["run"] = run;
            const bool activated = project->activateIfNone(run);
            summary["active"] = activeRunJson(compareWithActiveRun(*project, dataset, run, result.labels), activated);
        } else {
            summary = compute();
        }
        bar.finish();
        if (summary.contains("warnings"))
            for (const auto& warning : summary["warnings"])
                std::fprintf(stderr, "warning: %s\n", warning.get<std::string>().c_str());
        const double acc = accuracy(result.labels, dataset.truth);
        const auto perClass = summary["labels_per_class"].get<std::vector<std::int64_t>>();

        std::vector<std::string> written;
        if (!args->output.empty())
            written = writeAggregation(dataset, result, args->output);
        summary["outputs"] = written;

        if (args->json) {
            std::printf("%s\n", jsonText(summary, 2, "--json").c_str());
        } else if (!global.quiet) {
            std::printf("%s on %d items, %zu answers: %d iteration(s)%s in %.3f s\n", result.strategy.c_str(),
                        dataset.itemCount(), dataset.answers.size(), result.iterations,
                        result.converged ? "" : " (not converged)", seconds);
            if (summary.contains("chooser")) {
                const nlohmann::json& c = summary["chooser"];
                const bool kept = c["default"].is_string();
                std::printf("auto: held-out log-likelihood per answer (%d folds, seed %llu)", c["folds"].get<int>(),
                            static_cast<unsigned long long>(c["seed"].get<std::uint64_t>()));
                if (kept)
                    std::printf("; %s is kept unless a candidate beats it by more than %g standard errors:\n",
                                c["default"].get<std::string>().c_str(), c["margin"].get<double>());
                else
                    std::printf(", the highest wins:\n");
                for (const auto& candidate : c["candidates"]) {
                    const std::string name = candidate.get<std::string>();
                    const nlohmann::json& score = c["held_out_log_likelihood"][name];
                    const bool excluded = c["excluded"].contains(name);
                    std::string versus;
                    if (kept && name == c["default"].get<std::string>())
                        versus = "  (default)";
                    else if (kept && c["z_over_default"][name].is_number())
                        versus = "  " + numberCell(c["z_over_default"][name].get<double>(), "%+.2f") + " SE";
                    std::printf("  %-12s %9.4f%s%s%s\n", name.c_str(), score.get<double>(), versus.c_str(),
                                name == c["chosen"].get<std::string>() ? "  <- chosen" : "",
                                excluded ? ("  (excluded: " + c["excluded"][name].get<std::string>() + ")").c_str() : "");
                }
                std::printf("auto chose %s\n", c["chosen"].get<std::string>().c_str());
            }
            if (std::isfinite(acc))
                std::printf("accuracy against truth: %.4f\n", acc);
            std::printf("labels per class:");
            for (int c = 0; c < dataset.classCount(); ++c)
                std::printf(" %s=%lld", dataset.classNames[static_cast<std::size_t>(c)].c_str(),
                            static_cast<long long>(perClass[static_cast<std::size_t>(c)]));
            std::printf("\n");
            printStoredAndWritten(summary, args->path, written);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
