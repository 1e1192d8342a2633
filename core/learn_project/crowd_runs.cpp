#include "learn_project/crowd_runs.h"

#include "aggregate/registry.h"

#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace crowdsift {

namespace {

CrossValidationResult asTrainResult(const CrowdCrossValidation& result)
{
    CrossValidationResult train;
    train.probabilities = result.probabilities;
    train.fold = result.fold;
    train.history = result.history;
    train.seconds = result.seconds;
    train.trainSamplesPerSecond = result.trainSamplesPerSecond;
    return train;
}

std::string runName(const nlohmann::json& params)
{
    auto text = [&](const char* key) {
        return params.contains(key) && params[key].is_string() ? params[key].get<std::string>() : std::string();
    };
    return text("strategy") + " " + text("model");
}

}  // namespace

nlohmann::json crowdParams(const ModelSpec& spec, const TrainConfig& config, const CrowdConfig& crowd,
                           const LearnInputOptions& input, int folds, const CrowdVotes& votes)
{
    nlohmann::json params = trainParams(spec, config, input);
    params["strategy"] = crowdStrategyName(crowd);
    params["folds"] = folds;
    params["votes"] = votes.label.size();
    return params;
}

nlohmann::json crowdSummary(const Dataset& dataset, const nlohmann::json& params, const CrowdCrossValidation& result)
{
    nlohmann::json summary = trainSummary(dataset, params, asTrainResult(result));
    summary["strategy"] = params.value("strategy", std::string());
    std::int64_t votes = 0;
    for (const std::int64_t v : result.votes)
        votes += v;
    summary["votes"] = votes;
    summary["annotators"] = result.votes.size();
    return summary;
}

nlohmann::json writeCrowdOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                 const CrowdCrossValidation& result)
{
    const auto m = static_cast<std::size_t>(dataset.annotatorCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    if (result.confusions.size() != m * k * k || static_cast<std::size_t>(result.probabilities.cols()) != k)
        throw InputError(project.path(), "learn-from-crowds run",
                         "the learned confusions do not match the dataset's " + std::to_string(m) + " annotators and "
                             + std::to_string(k) + " classes");
    writeTrainOutputs(project, run, dataset, params, asTrainResult(result), nullptr);
    project.addRunOutput(run, "annotator_confusions", result.confusions.data(), {m, k, k});
    if (!result.common.empty())
        project.addRunOutput(run, "common_confusion", result.common.data(), {k, k});
    if (!result.gate.empty())
        project.addRunOutput(run, "gate", result.gate.data(), {m});
    return crowdSummary(dataset, params, result);
}

std::int64_t runLearnFromCrowds(Project& project, const Dataset& dataset, const nlohmann::json& params,
                                const LearnInput& input, const ModelSpec& spec, const TrainConfig& config,
                                const CrowdConfig& crowd, int folds, Progress& progress,
                                const CrowdFoldEpochCallback& onEpoch)
{
    const CrowdVotes votes = crowdVotes(dataset);
    return recordRun(project, "train", params, runName(params), [&](std::int64_t run) {
        const CrowdCrossValidation result =
            crossValidateCrowd(input, votes, dataset.classCount(), spec, config, crowd, folds, progress, onEpoch);
        return writeCrowdOutputs(project, run, dataset, params, result);
    });
}

LoopStart loopStartFromRun(const Project& project, const Dataset& dataset, std::int64_t run)
{
    LoopStart start;
    const std::string what = "run " + std::to_string(run);
    RunInfo info;
    try {
        info = project.run(run);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), what, "no such run in the project");
    }
    if (info.status != "done")
        throw InputError(project.path(), what, "the run is " + info.status + ", not done");
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    if (info.kind == "aggregate") {
        const AggregationResult aggregation = loadAggregationRun(project, dataset, run);
        if (aggregation.labels.size() != n)
            throw InputError(project.path(), what, "its labels are not one per item");
        start.labels = aggregation.labels;
        start.posteriors = aggregation.posteriors.cast<float>();
        // The same strategy with the run's parameters, on part of the answers: the loop compares
        // itself with its start on held-out answers. An "auto" run refits the strategy it chose;
        // a run of a strategy outside the registry (an earlier loop) is not scored.
        const nlohmann::json runParams = info.params.is_object() ? info.params : nlohmann::json::object();
        std::string strategy = runParams.value("strategy", info.name);
        nlohmann::json stored = runParams.value("params", nlohmann::json::object());
        if (strategy == "auto" && stored.contains("chosen")) {
            strategy = stored["chosen"].get<std::string>();
            stored = stored.value("chosen_params", nlohmann::json::object());
        }
        const auto names = strategyNames();
        if (std::find(names.begin(), names.end(), strategy) != names.end() && strategy != "auto") {
            const AggregationParams params = AggregationParams::fromJson(stored, defaultParams(strategy));
            const StrategyInfo& how = strategyInfo(strategy);
            start.refit = [&how, params](const Dataset& train) { return how.run(train, params, Progress::none()).posteriors; };
        }
        return start;
    }
    if (info.kind == "train" && std::find(info.outputs.begin(), info.outputs.end(), "probabilities") != info.outputs.end()) {
        const NpyArray stored = project.runOutput(run, "probabilities");
        if (stored.rank() != 2 || stored.shape[0] != n || stored.shape[1] != k)
            throw InputError(project.path(), what, "its probabilities are not one row of " + std::to_string(k)
                                                       + " classes per item");
        const std::vector<float> values = stored.as<float>();
        start.probabilities = Eigen::Map<const RowMatrixXf>(values.data(), static_cast<Eigen::Index>(n),
                                                                  static_cast<Eigen::Index>(k));
        return start;
    }
    throw InputError(project.path(), what,
                     "the loop starts from an aggregation run (its labels) or a training run (its probabilities), not a "
                         + info.kind + " run");
}

}  // namespace crowdsift
