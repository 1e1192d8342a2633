#include "learn_project/complementary_runs.h"

#include "aggregate/common.h"
#include "project/run_service.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

namespace crowdsift {

namespace {

nlohmann::json finiteOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

double meanAbsoluteDifference(const RowMatrixXd& a, const RowMatrixXd& b)
{
    if (a.size() == 0 || b.size() == 0 || a.rows() != b.rows() || a.cols() != b.cols())
        return std::nan("");
    return (a - b).cwiseAbs().mean();
}

void addMatrix(Project& project, std::int64_t run, const std::string& name, const RowMatrixXd& matrix)
{
    if (matrix.size() > 0)
        project.addRunOutput(run, name, matrix.data(),
                             {static_cast<std::size_t>(matrix.rows()), static_cast<std::size_t>(matrix.cols())});
}

}  // namespace

RowMatrixXd readTransitionNpy(const std::string& path, int classes)
{
    const NpyArray array = readNpy(path);
    const auto k = static_cast<std::size_t>(classes);
    if (array.rank() != 2 || array.shape[0] != k || array.shape[1] != k || array.type == NpyType::Bool)
        throw InputError(path, "", "expected a " + std::to_string(k) + " x " + std::to_string(k)
                                       + " float transition matrix (T[y][k] = P(\"not k\" | class y))");
    const std::vector<double> values = array.as<double>();
    RowMatrixXd t(classes, classes);
    for (std::size_t i = 0; i < values.size(); ++i)
        t.data()[i] = values[i];
    validateTransition(t, classes, path);
    return t;
}

RowMatrixXd estimateAnchorTransition(const LearnInput& input, const ComplementaryTargets& targets, const ModelSpec& spec,
                                     const TrainConfig& config, const TransitionChoice& choice, Progress& progress)
{
    const int classes = static_cast<int>(targets.complementary.cols());
    if (choice.anchorFolds < 1)
        throw InputError("anchor folds", std::to_string(choice.anchorFolds), "must be at least 1");
    if (choice.anchorEpochs < 0)
        throw InputError("anchor epochs", std::to_string(choice.anchorEpochs), "must be 0 (the run's) or more");
    std::vector<int> answered;
    for (int i = 0; i < targets.count(); ++i)
        if (targets.complementary.row(i).sum() > 0)
            answered.push_back(i);
    const int folds = std::min<int>(choice.anchorFolds, static_cast<int>(answered.size()));
    TrainConfig first = config;
    if (choice.anchorEpochs > 0)
        first.epochs = choice.anchorEpochs;
    ComplementaryConfig cpeI;
    cpeI.loss = ComplementaryLoss::CpeI;

    RowMatrixXf q = RowMatrixXf::Zero(targets.count(), classes);
    if (folds <= 1) {
        std::vector<int> all(static_cast<std::size_t>(targets.count()));
        for (int i = 0; i < targets.count(); ++i)
            all[static_cast<std::size_t>(i)] = i;
        Classifier estimator(spec, input, classes, first);
        estimator.fitComplementary(input, all, targets, cpeI, progress);
        q = estimator.predict(input, all, progress);
    } else {
        std::vector<int> shuffled = answered;
        std::mt19937_64 random(config.seed ^ 0x616e63686f7273ULL);  // "anchors"
        std::shuffle(shuffled.begin(), shuffled.end(), random);
        for (int f = 0; f < folds; ++f) {
            std::vector<int> trainRows, heldOut;
            for (std::size_t i = 0; i < shuffled.size(); ++i)
                (static_cast<int>(i % static_cast<std::size_t>(folds)) == f ? heldOut : trainRows).push_back(shuffled[i]);
            std::sort(trainRows.begin(), trainRows.end());
            std::sort(heldOut.begin(), heldOut.end());
            Classifier estimator(spec, input, classes, first);
            estimator.fitComplementary(input, trainRows, targets, cpeI, progress);
            const RowMatrixXf part = estimator.predict(input, heldOut, progress);
            for (std::size_t i = 0; i < heldOut.size(); ++i)
                q.row(heldOut[i]) = part.row(static_cast<Eigen::Index>(i));
        }
    }
    return anchorTransition(q, answered, choice.anchorQuantile);
}

ComplementaryOutcome trainComplementary(const LearnInput& input, const Dataset& dataset, ComplementaryLoss loss,
                                        const TransitionChoice& transition, const ModelSpec& spec,
                                        const TrainConfig& config, Progress& progress, const EpochCallback& onEpoch)
{
    const auto start = std::chrono::steady_clock::now();
    const int classes = dataset.classCount();
    if (input.count() != dataset.itemCount())
        throw InputError("training", "input", "the learning input does not have one row per item");
    const ComplementaryTargets targets = complementaryTargets(dataset);
    ComplementaryOutcome outcome;
    outcome.ordinaryAnswers = targets.ordinaryAnswers();
    outcome.complementaryAnswers = targets.complementaryAnswers();
    if (outcome.complementaryAnswers == 0)
        throw InputError(dataset.source.empty() ? dataset.name : dataset.source, "answers",
                         "the dataset has no complementary (\"not class k\") answer to learn from");
    if (dataset.hasTruth())
        outcome.truthTransition = transitionFromLabels(dataset, dataset.truth);

    std::vector<int> all(static_cast<std::size_t>(input.count()));
    for (int i = 0; i < input.count(); ++i)
        all[static_cast<std::size_t>(i)] = i;

    if (transition.source == "uniform") {
        outcome.transition = uniformTransition(classes);
    } else if (transition.source == "truth") {
        if (!dataset.hasTruth())
            throw InputError("--transition", "truth", "the dataset has no ground truth to count the transition against");
        outcome.transition = outcome.truthTransition;
    } else if (transition.source == "anchors") {
        outcome.anchorTransition = estimateAnchorTransition(input, targets, spec, config, transition, progress);
        outcome.transition = outcome.anchorTransition;
    } else {
        outcome.transition = readTransitionNpy(transition.source, classes);
    }

    ComplementaryConfig lossConfig;
    lossConfig.loss = loss;
    lossConfig.transition = usesTransition(loss) ? outcome.transition : uniformTransition(classes);
    if (!usesTransition(loss))
        outcome.transition = lossConfig.transition;
    outcome.model = std::make_unique<Classifier>(spec, input, classes, config);
    ComplementaryFit fit;
    const TrainResult trained = outcome.model->fitComplementary(input, all, targets, lossConfig, progress, onEpoch, &fit);
    outcome.learnedTransition = fit.learnedTransition;

    CrossValidationResult& r = outcome.result;
    r.probabilities = complementaryClassProbabilities(loss, outcome.model->predict(input, all, progress), lossConfig.transition);
    r.fold.assign(all.size(), -1);
    for (int i = 0; i < input.count(); ++i)
        if (targets.complementary.row(i).sum() + targets.ordinary.row(i).sum() > 0)
            r.fold[static_cast<std::size_t>(i)] = 0;
    r.history = {trained.history};
    r.trainSamplesPerSecond = trained.trainSeconds > 0 ? static_cast<double>(trained.trainSamples) / trained.trainSeconds : 0.0;
    outcome.dataTransition = transitionFromProbabilities(dataset, r.probabilities);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
}

nlohmann::json complementarySummary(const Dataset& dataset, const nlohmann::json& params, const ComplementaryOutcome& outcome)
{
    nlohmann::json summary = trainSummary(dataset, params, outcome.result);
    summary["strategy"] = params.value("strategy", "");
    summary["ordinary_answers"] = outcome.ordinaryAnswers;
    summary["complementary_answers"] = outcome.complementaryAnswers;
    summary["transition"] = params.value("transition", "uniform");
    summary["transition_error"] = finiteOrNull(meanAbsoluteDifference(outcome.transition, outcome.truthTransition));
    summary["transition_data_error"] = finiteOrNull(meanAbsoluteDifference(outcome.dataTransition, outcome.truthTransition));
    return summary;
}

nlohmann::json writeComplementaryOutputs(Project& project, std::int64_t run, const Dataset& dataset,
                                         const nlohmann::json& params, const ComplementaryOutcome& outcome)
{
    writeTrainOutputs(project, run, dataset, params, outcome.result, outcome.model.get());
    addMatrix(project, run, "transition", outcome.transition);
    addMatrix(project, run, "transition_data", outcome.dataTransition);
    addMatrix(project, run, "transition_truth", outcome.truthTransition);
    addMatrix(project, run, "transition_learned", outcome.learnedTransition);
    addMatrix(project, run, "transition_anchors", outcome.anchorTransition);
    return complementarySummary(dataset, params, outcome);
}

std::int64_t storeComplementaryRun(Project& project, const Dataset& dataset, const nlohmann::json& params,
                                   const ComplementaryOutcome& outcome)
{
    return recordRun(project, "train", params, params.value("strategy", "complementary"), [&](std::int64_t run) {
        return writeComplementaryOutputs(project, run, dataset, params, outcome);
    });
}

}  // namespace crowdsift
