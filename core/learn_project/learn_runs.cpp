#include "learn_project/learn_runs.h"

#include "learn_project/train_settings.h"

#include "aggregate/common.h"
#include "aggregate/crowdlab.h"
#include "data/formats.h"
#include "images/image_cache.h"
#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "util/error.h"
#include "util/json.h"
#include "util/npy.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

std::string datasetName(const Dataset& dataset)
{
    return dataset.source.empty() ? dataset.name : dataset.source;
}

std::string lowerExtension(const std::string& path)
{
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

std::string shapeText(const std::vector<std::size_t>& shape)
{
    std::string text;
    for (std::size_t d : shape)
        text += (text.empty() ? "" : " x ") + std::to_string(d);
    return text.empty() ? "a scalar" : text;
}

// An `aggregate -o` CSV: task,label,p_<class>...; one row per item, label empty for an item
// without answers (not trained on).
Targets targetsFromCsv(const std::string& path, const Dataset& dataset)
{
    ItemLabels read = readItemLabelCsv(dataset, path, "label", true);
    if (read.itemsWithRow != static_cast<std::size_t>(dataset.itemCount()))
        throw InputError(path, "", "has labels for " + std::to_string(read.itemsWithRow) + " of the dataset's "
                                       + std::to_string(dataset.itemCount())
                                       + " items; expected one row per item, as `aggregate -o labels.csv` writes");
    Targets targets;
    targets.labels.assign(read.labels.begin(), read.labels.end());
    return targets;
}

Targets targetsFromNpy(const std::string& path, const Dataset& dataset)
{
    const NpyArray array = readNpy(path);
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    if (array.rank() == 1 && array.type != NpyType::Bool) {
        if (array.shape[0] != n)
            throw InputError(path, "shape " + shapeText(array.shape),
                             "expected " + std::to_string(n) + " labels, one per item of the dataset");
        const std::vector<double> values = array.as<double>();
        Targets targets;
        targets.labels.assign(n, -1);
        for (std::size_t i = 0; i < n; ++i) {
            const double v = values[i];
            if (std::isnan(v) || v < 0)
                continue;
            if (v != std::floor(v) || v >= static_cast<double>(k))
                throw InputError(path, "entry " + std::to_string(i),
                                 "label " + std::to_string(v) + " is not a class index in 0.." + std::to_string(k - 1));
            targets.labels[i] = static_cast<int>(v);
        }
        return targets;
    }
    if (array.rank() == 2 && array.type != NpyType::Bool) {
        if (array.shape[0] != n || array.shape[1] != k)
            throw InputError(path, "shape " + shapeText(array.shape),
                             "expected soft labels of shape " + std::to_string(n) + " x " + std::to_string(k)
                                 + " (items x classes)");
        const std::vector<double> values = array.as<double>();
        Targets targets;
        targets.soft.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(k));
        for (std::size_t i = 0; i < n; ++i) {
            double sum = 0;
            for (std::size_t c = 0; c < k; ++c) {
                const double v = values[i * k + c];
                if (!(v >= 0) || !std::isfinite(v))
                    throw InputError(path, "row " + std::to_string(i) + ", column " + std::to_string(c),
                                     "soft labels must be finite and non-negative, found " + std::to_string(v));
                sum += v;
            }
            // Vote counts are accepted too: every row is normalised; a zero row stays excluded.
            for (std::size_t c = 0; c < k; ++c)
                targets.soft(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c))
                    = sum > 0 ? static_cast<float>(values[i * k + c] / sum) : 0.0f;
        }
        return targets;
    }
    throw InputError(path, std::string("dtype ") + npyDescr(array.type) + ", shape " + shapeText(array.shape),
                     "expected " + std::to_string(n) + " labels (N) or soft labels (N x K)");
}

std::vector<double> historyRows(const CrossValidationResult& result)
{
    std::vector<double> rows;
    for (std::size_t fold = 0; fold < result.history.size(); ++fold)
        for (const EpochRecord& e : result.history[fold])
            rows.insert(rows.end(), {static_cast<double>(fold), static_cast<double>(e.epoch), e.trainLoss,
                                     e.trainAccuracy, e.validationLoss, e.validationAccuracy, e.learningRate,
                                     e.seconds, e.samplesPerSecond});
    return rows;
}

std::string modelNameOf(const nlohmann::json& params)
{
    return params.is_object() && params.contains("model") && params["model"].is_string() ? params["model"].get<std::string>()
                                                                                        : std::string();
}

}  // namespace

const char* learnInputKindName(LearnInputKind kind)
{
    switch (kind) {
    case LearnInputKind::Features: return "features";
    case LearnInputKind::Images: return "images";
    case LearnInputKind::Scene: return "gist";
    case LearnInputKind::Auto: break;
    }
    return "auto";
}

LearnInputKind parseLearnInputKind(const std::string& name, const std::string& option)
{
    for (LearnInputKind kind : {LearnInputKind::Auto, LearnInputKind::Features, LearnInputKind::Images, LearnInputKind::Scene})
        if (name == learnInputKindName(kind))
            return kind;
    throw InputError(option, name, "expected auto, features, images or gist");
}

LearnInput loadLearnInput(const std::string& cacheDir, const Dataset& dataset, const LearnInputOptions& options,
                          Progress& progress)
{
    const bool hasFeatures = dataset.features.rows() > 0;
    const bool hasImages = dataset.imageCount() > 0;
    LearnInputKind kind = options.kind;
    if (kind == LearnInputKind::Auto) {
        if (!hasFeatures && !hasImages)
            throw InputError(datasetName(dataset), "learning input",
                             "the dataset has neither feature vectors nor images to train on");
        kind = hasFeatures && (options.preferFeatures || !hasImages) ? LearnInputKind::Features : LearnInputKind::Images;
    }
    if (kind == LearnInputKind::Features) {
        if (!hasFeatures)
            throw InputError(datasetName(dataset), "learning input", "the dataset has no feature vectors");
        return learnInputFromFeatures(dataset);
    }
    if (!hasImages)
        throw InputError(datasetName(dataset), "learning input",
                         std::string("the dataset has no images to ") + (kind == LearnInputKind::Scene ? "describe" : "train on"));
    LearnInput input;
    if (kind == LearnInputKind::Scene) {
        input.features = std::move(buildSceneFeatures(dataset, cacheDir, options.scene, progress).features);
        return input;
    }
    ImageCacheOptions cacheOptions;
    cacheOptions.size = options.imageSize > 0 ? options.imageSize : defaultImageCacheSize(dataset);
    cacheOptions.channels = options.channels;
    const ImageCache cache = buildImageCache(dataset, cacheDir, cacheOptions, progress);
    return learnInputFromNpy(cache.path);
}

LearnInput loadLearnInput(const Project& project, const Dataset& dataset, const LearnInputOptions& options,
                          Progress& progress)
{
    return loadLearnInput(project.cacheDir(), dataset, options, progress);
}

nlohmann::json trainParams(const ModelSpec& spec, const TrainConfig& config, const LearnInputOptions& input)
{
    TrainSettings settings;
    settings.spec = spec;
    settings.config = config;
    settings.input = input;
    // Stored is where it trained, not what was asked for.
    settings.device = config.device;
    nlohmann::json params = nlohmann::json::object();
    for (const SettingInfo& setting : trainSettings())
        if (setting.usedBy(UseStored) && !setting.perRun && !setting.dataParams && setting.appliesTo(spec.name))
            params[setting.key] = setting.get(settings);
    return params;
}

TrainOutcome trainModel(const LearnInput& input, const Targets& targets, int classes, const ModelSpec& spec,
                        const TrainConfig& config, int folds, Progress& progress, const FoldEpochCallback& onEpoch)
{
    if (folds < 1)
        throw InputError("training", "folds " + std::to_string(folds), "expected 1 (train on every item) or more");
    TrainOutcome outcome;
    if (folds >= 2) {
        outcome.result = crossValidate(input, targets, classes, spec, config, folds, progress, onEpoch);
        return outcome;
    }
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int> hard = targets.hardLabels();
    std::vector<int> trained;
    std::vector<int> all(static_cast<std::size_t>(input.count()));
    CrossValidationResult& r = outcome.result;
    r.fold.assign(all.size(), -1);
    for (int i = 0; i < input.count(); ++i) {
        all[static_cast<std::size_t>(i)] = i;
        if (i < static_cast<int>(hard.size()) && hard[static_cast<std::size_t>(i)] >= 0) {
            trained.push_back(i);
            r.fold[static_cast<std::size_t>(i)] = 0;
        }
    }
    if (trained.empty())
        throw InputError("training", "targets", "no item has a training label");
    outcome.model = std::make_unique<Classifier>(spec, input, classes, config);
    const TrainResult fit = outcome.model->fit(input, trained, targets, progress, [&](const EpochRecord& e) {
        if (onEpoch)
            onEpoch(0, e);
    });
    r.probabilities = outcome.model->predict(input, all, progress, &r.embeddings);
    r.history = {fit.history};
    r.trainSamplesPerSecond = fit.trainSeconds > 0 ? static_cast<double>(fit.trainSamples) / fit.trainSeconds : 0.0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
}

nlohmann::json trainSummary(const Dataset& dataset, const nlohmann::json& params, const CrossValidationResult& result)
{
    std::size_t epochs = 0;
    double trainLoss = 0;
    double validationLoss = 0;
    int folds = 0;
    for (const auto& history : result.history) {
        epochs = std::max(epochs, history.size());
        if (history.empty())
            continue;
        trainLoss += history.back().trainLoss;
        validationLoss += history.back().validationLoss;
        ++folds;
    }
    return {{"model", modelNameOf(params)},
            {"folds", result.history.size()},
            {"epochs", epochs},
            {"seconds", result.seconds},
            {"samples_per_s", result.trainSamplesPerSecond},
            {"accuracy", finiteOrNull(accuracy(rowArgmax(result.probabilities), dataset.truth))},
            {"final_train_loss", finiteOrNull(folds > 0 ? trainLoss / folds : std::nan(""))},
            {"final_val_loss", finiteOrNull(folds > 0 ? validationLoss / folds : std::nan(""))}};
}

Targets targetsFromRun(const Project& project, const Dataset& dataset, std::int64_t run, bool soft)
{
    try {
        project.run(run);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), "run " + std::to_string(run), "no such run in the project");
    }
    AggregationResult aggregation;
    try {
        aggregation = loadAggregationRun(project, dataset, run);
    } catch (const StoreError& e) {
        throw InputError(project.path(), "run " + std::to_string(run),
                         std::string(e.what()) + "; training labels come from an aggregation run");
    }
    Targets targets;
    if (!soft) {
        targets.labels = aggregation.labels;
        return targets;
    }
    targets.soft = aggregation.posteriors.cast<float>();
    for (Eigen::Index i = 0; i < targets.soft.rows(); ++i)
        if (aggregation.labels[static_cast<std::size_t>(i)] < 0)
            targets.soft.row(i).setZero();
    return targets;
}

Targets targetsFromFile(const std::string& path, const Dataset& dataset)
{
    const std::string ext = lowerExtension(path);
    if (ext == ".csv")
        return targetsFromCsv(path, dataset);
    if (ext == ".npy")
        return targetsFromNpy(path, dataset);
    throw InputError(path, "", "expected an aggregate CSV (task,label,...) or a .npy of labels (N) or soft labels (N x K)");
}

namespace {

// The run's `embeddings` output (N x D' float32, CrossValidationResult::embeddings), what a map of
// the model's view is drawn from (`crowdsift-cli tsne --input embeddings`); nothing when empty.
void writeEmbeddings(Project& project, std::int64_t run, const RowMatrixXf& embeddings)
{
    if (embeddings.size() == 0)
        return;
    project.addRunOutput(run, "embeddings", embeddings.data(),
                         {static_cast<std::size_t>(embeddings.rows()), static_cast<std::size_t>(embeddings.cols())});
}

}  // namespace

nlohmann::json writeTrainOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                 const CrossValidationResult& result, const Classifier* lastModel)
{
    const auto n = static_cast<std::size_t>(project.itemCount());
    if (static_cast<std::size_t>(result.probabilities.rows()) != n || result.fold.size() != n)
        throw InputError(project.path(), "train run",
                         "the probabilities have " + std::to_string(result.probabilities.rows()) + " rows for "
                             + std::to_string(n) + " items");
    const auto k = static_cast<std::size_t>(result.probabilities.cols());
    project.addRunOutput(run, "probabilities", result.probabilities.data(), {n, k});
    const std::vector<std::int32_t> fold(result.fold.begin(), result.fold.end());
    project.addRunOutput(run, "fold", fold.data(), {n});
    const std::vector<double> history = historyRows(result);
    project.addRunOutput(run, "history", history.data(), {history.size() / 9, 9});
    writeEmbeddings(project, run, result.embeddings);
    if (lastModel)
        lastModel->save((fs::path(project.cacheDir()) / "runs" / std::to_string(run) / "model.pt").string());
    return trainSummary(dataset, params, result);
}

std::int64_t storeTrainRun(Project& project, const nlohmann::json& params, const CrossValidationResult& result,
                           const Classifier* lastModel)
{
    const Dataset dataset = project.loadDataset(Progress::none());
    return recordRun(project, "train", params, modelNameOf(params), [&](std::int64_t run) {
        return writeTrainOutputs(project, run, dataset, params, result, lastModel);
    });
}

nlohmann::json loopSummary(const LoopResult& result)
{
    nlohmann::json loop = nlohmann::json::array();
    for (const LoopIteration& it : result.iterations)
        loop.push_back({{"iteration", it.iteration},
                        {"changed", it.changed},
                        {"newly_changed", it.newlyChanged},
                        {"consensus_accuracy", finiteOrNull(it.consensusAccuracy)},
                        {"model_accuracy", finiteOrNull(it.modelAccuracy)},
                        {"model_weight", finiteOrNull(it.modelWeight)},
                        {"mean_consensus_quality", finiteOrNull(it.meanConsensusQuality)},
                        {"held_out_score", finiteOrNull(it.heldOutScore)},
                        {"seconds", it.seconds},
                        {"train_samples_per_s", it.trainSamplesPerSecond}});
    return {{"iterations", result.iterations.size()},
            {"converged", result.converged},
            {"majority_vote_accuracy", finiteOrNull(result.majorityVoteAccuracy)},
            {"ds_accuracy", finiteOrNull(result.dawidSkeneAccuracy)},
            {"kept_iteration", result.keptIteration},
            {"start_held_out_score", finiteOrNull(result.startHeldOutScore)},
            {"start_scores_better", result.startScoresBetter},
            {"loop", loop}};
}

AggregationResult loopAsAggregation(const Dataset& dataset, const LoopResult& result, const nlohmann::json& params)
{
    AggregationResult aggregation = crowdlabAsAggregation(dataset, result.consensus, params);
    aggregation.strategy = "crowdlab-loop";
    aggregation.modelProbabilities = result.probabilities.cast<double>();
    aggregation.iterations = static_cast<int>(result.iterations.size());
    aggregation.converged = result.converged;
    return aggregation;
}

nlohmann::json writeLoopOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                const LoopResult& result)
{
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    if (static_cast<std::size_t>(result.probabilities.rows()) != n || static_cast<std::size_t>(result.probabilities.cols()) != k)
        throw InputError(project.path(), "loop run", "the model probabilities do not match the dataset's items and classes");
    const AggregationResult aggregation = loopAsAggregation(dataset, result, params);
    double seconds = 0;
    for (const LoopIteration& it : result.iterations)
        seconds += it.seconds;
    nlohmann::json summary = aggregationSummary(dataset, aggregation, seconds);
    summary.update(loopSummary(result));
    summary["model"] = modelNameOf(params);
    writeAggregationOutputs(project, run, dataset, aggregation, crowdlabRunOutputs(result.consensus));
    // The last iteration's training curves, so that the GUI shows them again after a reopen.
    CrossValidationResult last;
    last.history = result.lastHistory;
    const std::vector<double> history = historyRows(last);
    if (!history.empty())
        project.addRunOutput(run, "history", history.data(), {history.size() / 9, 9});
    writeEmbeddings(project, run, result.embeddings);
    return summary;
}

std::int64_t storeLoopRun(Project& project, const Dataset& dataset, const nlohmann::json& params, const LoopResult& result)
{
    const std::int64_t run = recordRun(project, "aggregate", params, "crowdlab-loop", [&](std::int64_t id) {
        return writeLoopOutputs(project, id, dataset, params, result);
    });
    project.activateIfNone(run);
    return run;
}

}  // namespace crowdsift
