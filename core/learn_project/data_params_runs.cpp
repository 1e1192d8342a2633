#include "learn_project/data_params_runs.h"

#include "learn_project/train_settings.h"
#include "project/run_service.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

namespace {

nlohmann::json finiteOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

// The quantiles of column `epoch` of a rows x epochs trajectory, NaN entries left out.
nlohmann::json columnQuantiles(const std::vector<float>& trajectory, std::size_t epochs, std::size_t epoch)
{
    std::vector<float> values;
    for (std::size_t i = epoch; i < trajectory.size(); i += epochs)
        values.push_back(trajectory[i]);
    const std::vector<double> q = sigmaQuantiles(std::move(values));
    if (q.empty())
        return nullptr;
    return {{"min", q[0]}, {"q25", q[1]}, {"median", q[2]}, {"q75", q[3]}, {"max", q[4]}};
}

std::string nameOf(const nlohmann::json& params)
{
    return params.is_object() && params.contains("model") && params["model"].is_string() ? params["model"].get<std::string>()
                                                                                        : std::string();
}

}  // namespace

DataParamsOutcome trainDataParams(const LearnInput& input, const Targets& targets, int classes, const ModelSpec& spec,
                                  const TrainConfig& config, Progress& progress, const EpochCallback& onEpoch)
{
    if (!config.dataParams.enabled())
        throw InputError("data parameters", "", "switch on the instance level, the class level or both");
    const std::vector<int> hard = targets.hardLabels();
    std::vector<int> trained;
    for (int i = 0; i < input.count() && i < static_cast<int>(hard.size()); ++i)
        if (hard[static_cast<std::size_t>(i)] >= 0)
            trained.push_back(i);
    if (trained.empty())
        throw InputError("training", "targets", "no item has a training label");
    DataParamsOutcome outcome;
    outcome.model = std::make_unique<Classifier>(spec, input, classes, config);
    outcome.fit = outcome.model->fit(input, trained, targets, progress, onEpoch);
    return outcome;
}

nlohmann::json dataParamsParams(const ModelSpec& spec, const TrainConfig& config, const LearnInputOptions& input)
{
    nlohmann::json params = trainParams(spec, config, input);
    TrainSettings settings;
    settings.dataParams = config.dataParams;
    for (const SettingInfo& setting : trainSettings())
        if (setting.dataParams && setting.usedBy(UseStored))
            params[setting.key] = setting.get(settings);
    return params;
}

nlohmann::json dataParamsSummary(const nlohmann::json& params, const TrainResult& fit, int classes)
{
    const std::size_t epochs = fit.history.size();
    nlohmann::json perEpoch = nlohmann::json::array();
    for (std::size_t e = 0; e < epochs; ++e) {
        const EpochRecord& record = fit.history[e];
        perEpoch.push_back({{"epoch", record.epoch},
                            {"train_loss", finiteOrNull(record.trainLoss)},
                            {"train_acc", finiteOrNull(record.trainAccuracy)},
                            {"val_acc", finiteOrNull(record.validationAccuracy)},
                            {"instance_sigma", columnQuantiles(fit.instanceSigma, epochs, e)},
                            {"class_sigma", columnQuantiles(fit.classSigma, epochs, e)}});
    }
    const double samplesPerSecond = fit.trainSeconds > 0 ? static_cast<double>(fit.trainSamples) / fit.trainSeconds : 0.0;
    return {{"model", nameOf(params)},
            {"epochs", epochs},
            {"seconds", fit.seconds},
            {"samples_per_s", samplesPerSecond},
            {"instance", !fit.instanceSigma.empty()},
            {"class", !fit.classSigma.empty()},
            {"classes", classes},
            {"per_epoch", perEpoch}};
}

nlohmann::json writeDataParamsOutputs(Project& project, std::int64_t run, const nlohmann::json& params,
                                      const TrainResult& fit, int classes, const Targets& targets)
{
    const std::size_t epochs = fit.history.size();
    const auto n = static_cast<std::size_t>(project.itemCount());
    const auto k = static_cast<std::size_t>(classes);
    const std::vector<int> trainedOn = targets.hardLabels();
    if (trainedOn.size() != n)
        throw InputError(project.path(), "data-parameters run",
                         std::to_string(trainedOn.size()) + " targets for " + std::to_string(n) + " items");
    const std::vector<std::int32_t> labels(trainedOn.begin(), trainedOn.end());
    project.addRunOutput(run, "labels", labels.data(), {n});
    if (!fit.instanceSigma.empty()) {
        if (fit.instanceSigma.size() != n * epochs)
            throw InputError(project.path(), "data-parameters run",
                             "the instance trajectories have " + std::to_string(fit.instanceSigma.size() / std::max<std::size_t>(1, epochs))
                                 + " rows for " + std::to_string(n) + " items");
        project.addRunOutput(run, "sigma_instance", fit.instanceSigma.data(), {n, epochs});
    }
    if (!fit.classSigma.empty()) {
        if (fit.classSigma.size() != k * epochs)
            throw InputError(project.path(), "data-parameters run", "the class trajectories do not have one row per class");
        project.addRunOutput(run, "sigma_class", fit.classSigma.data(), {k, epochs});
    }
    std::vector<double> history;
    for (const EpochRecord& e : fit.history)
        history.insert(history.end(), {0.0, static_cast<double>(e.epoch), e.trainLoss, e.trainAccuracy, e.validationLoss,
                                       e.validationAccuracy, e.learningRate, e.seconds, e.samplesPerSecond});
    project.addRunOutput(run, "history", history.data(), {epochs, 9});
    return dataParamsSummary(params, fit, classes);
}

std::int64_t runDataParams(Project& project, const nlohmann::json& params, const LearnInput& input,
                           const Targets& targets, const ModelSpec& spec, const TrainConfig& config,
                           Progress& progress, const EpochCallback& onEpoch)
{
    const int classes = project.classCount();
    return recordRun(project, "data-parameters", params, nameOf(params), [&](std::int64_t run) {
        const DataParamsOutcome outcome = trainDataParams(input, targets, classes, spec, config, progress, onEpoch);
        return writeDataParamsOutputs(project, run, params, outcome.fit, classes, targets);
    });
}

std::vector<int> topSigmaItems(const std::vector<float>& sigma, std::size_t epochs, double fraction, int epoch)
{
    if (!(fraction >= 0 && fraction < 1))
        throw InputError("fraction", std::to_string(fraction), "expected a fraction in [0, 1) of the items to leave out");
    if (epoch < 0 || static_cast<std::size_t>(epoch) > epochs || epochs == 0)
        throw InputError("epoch", std::to_string(epoch), "the ranking run has " + std::to_string(epochs) + " epoch(s)");
    const std::size_t column = epoch == 0 ? epochs - 1 : static_cast<std::size_t>(epoch - 1);
    std::vector<int> trained;
    for (std::size_t i = 0; i < sigma.size() / epochs; ++i)
        if (!std::isnan(sigma[i * epochs + column]))
            trained.push_back(static_cast<int>(i));
    const auto count = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(trained.size())));
    std::stable_sort(trained.begin(), trained.end(), [&](int a, int b) {
        return sigma[static_cast<std::size_t>(a) * epochs + column] > sigma[static_cast<std::size_t>(b) * epochs + column];
    });
    trained.resize(count);
    return trained;
}

std::vector<int> topSigmaItems(const Project& project, std::int64_t run, double fraction, int epoch)
{
    const std::string what = "run " + std::to_string(run);
    RunInfo info;
    try {
        info = project.run(run);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), what, "no such run in the project");
    }
    if (info.kind != "data-parameters"
        || std::find(info.outputs.begin(), info.outputs.end(), "sigma_instance") == info.outputs.end())
        throw InputError(project.path(), what,
                         "a ranking comes from a data-parameters run with the instance level (`identify --instance`)");
    const NpyArray array = project.runOutput(run, "sigma_instance");
    if (array.rank() != 2 || array.shape[0] != static_cast<std::size_t>(project.itemCount()))
        throw InputError(project.path(), what, "sigma_instance is not one row per item");
    return topSigmaItems(array.as<float>(), array.shape[1], fraction, epoch);
}

Targets withoutItems(Targets targets, const std::vector<int>& items)
{
    for (const int item : items) {
        if (targets.isSoft())
            targets.soft.row(item).setZero();
        else
            targets.labels[static_cast<std::size_t>(item)] = -1;
    }
    return targets;
}

std::int64_t storeSubsetTrainRun(Project& project, const nlohmann::json& params, const CrossValidationResult& result,
                                 const Classifier* lastModel, std::int64_t ranking, const std::vector<int>& excluded)
{
    const Dataset dataset = project.loadDataset(Progress::none());
    const std::vector<std::int32_t> items(excluded.begin(), excluded.end());
    return recordRun(
        project, "train", params, nameOf(params),
        [&](std::int64_t run) {
            project.addRunOutput(run, "excluded", items.data(), {items.size()});
            return writeTrainOutputs(project, run, dataset, params, result, lastModel);
        },
        {}, ranking);
}

}  // namespace crowdsift
