#include "learn/crossval.h"

#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace crowdsift {

std::vector<int> stratifiedFolds(const std::vector<int>& labels, int folds, std::uint64_t seed)
{
    int classes = 0;
    int labelled = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < -1)
            throw InputError("labels", "item " + std::to_string(i),
                             "label " + std::to_string(labels[i]) + " is neither a class index nor -1");
        if (labels[i] >= 0) {
            ++labelled;
            classes = std::max(classes, labels[i] + 1);
        }
    }
    if (folds < 2)
        throw InputError("folds", std::to_string(folds), "cross-validation needs at least 2 folds");
    if (folds > labelled)
        throw InputError("folds", std::to_string(folds),
                         "more folds than the " + std::to_string(labelled) + " labelled items");

    std::vector<std::vector<int>> byClass(static_cast<std::size_t>(classes));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= 0)
            byClass[static_cast<std::size_t>(labels[i])].push_back(static_cast<int>(i));
    }
    // mt19937_64 and a plain Fisher-Yates (not std::shuffle, whose algorithm the standard leaves
    // open) give the same folds with every standard library.
    std::mt19937_64 random(seed);
    std::vector<int> fold(labels.size(), -1);
    std::size_t deal = 0;
    for (std::vector<int>& members : byClass) {
        for (std::size_t i = members.size(); i > 1; --i)
            std::swap(members[i - 1], members[static_cast<std::size_t>(random() % i)]);
        for (const int item : members)
            fold[static_cast<std::size_t>(item)] = static_cast<int>(deal++ % static_cast<std::size_t>(folds));
    }
    return fold;
}

CrossValidationResult crossValidate(const LearnInput& input, const Targets& targets, int classes,
                                    const ModelSpec& spec, const TrainConfig& config, int folds,
                                    Progress& progress, const FoldEpochCallback& onEpoch)
{
    const auto start = std::chrono::steady_clock::now();
    if (targets.count() != input.count())
        throw InputError("targets", "", std::to_string(targets.count()) + " targets for " + std::to_string(input.count())
                                            + " input rows");
    CrossValidationResult result;
    result.fold = stratifiedFolds(targets.hardLabels(), folds, config.seed);
    result.probabilities = RowMatrixXf::Zero(input.count(), classes);

    std::int64_t trainSamples = 0;
    double trainSeconds = 0;
    for (int f = 0; f < folds; ++f) {
        progress.check();
        std::vector<int> trainRows, predictRows;
        for (std::size_t i = 0; i < result.fold.size(); ++i) {
            const int itemFold = result.fold[i];
            if (itemFold >= 0 && itemFold != f)
                trainRows.push_back(static_cast<int>(i));
            else if (itemFold == f || (itemFold < 0 && f == 0))
                predictRows.push_back(static_cast<int>(i));
        }
        TrainConfig foldConfig = config;
        foldConfig.seed = config.seed + static_cast<std::uint64_t>(f);
        // The fold models are throw-away: a checkpoint would only keep the last one.
        foldConfig.checkpointPath.clear();

        const std::string prefix = "fold " + std::to_string(f + 1) + "/" + std::to_string(folds) + ", ";
        Progress foldProgress(
            [&](double fraction, const std::string& stage) { progress.step(f + fraction, folds, prefix + stage); }, 0);
        Classifier model(spec, input, classes, foldConfig);
        const TrainResult trained = model.fit(input, trainRows, targets, foldProgress, [&](const EpochRecord& record) {
            if (onEpoch)
                onEpoch(f, record);
        });
        const RowMatrixXf predicted = model.predict(input, predictRows, progress);
        for (std::size_t i = 0; i < predictRows.size(); ++i)
            result.probabilities.row(predictRows[i]) = predicted.row(static_cast<Eigen::Index>(i));
        result.history.push_back(trained.history);
        trainSamples += trained.trainSamples;
        trainSeconds += trained.trainSeconds;
    }
    result.trainSamplesPerSecond = trainSeconds > 0 ? static_cast<double>(trainSamples) / trainSeconds : 0.0;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace crowdsift
