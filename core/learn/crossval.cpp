#include "learn/crossval.h"

#include "util/error.h"
#include "util/parallel.h"

#include <atomic>
#include <mutex>
#include <string>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include <Eigen/Dense>

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


FoldRows rowsOfFold(const std::vector<int>& fold, int f, bool single)
{
    FoldRows rows;
    for (std::size_t i = 0; i < fold.size(); ++i) {
        const int itemFold = fold[i];
        if (single) {
            if (itemFold >= 0)
                rows.train.push_back(static_cast<int>(i));
            rows.predict.push_back(static_cast<int>(i));
        } else if (itemFold >= 0 && itemFold != f) {
            rows.train.push_back(static_cast<int>(i));
        } else if (itemFold == f || (itemFold < 0 && f == 0)) {
            rows.predict.push_back(static_cast<int>(i));
        }
    }
    return rows;
}

TrainConfig configOfFold(const TrainConfig& config, int f, int threads, int workers)
{
    TrainConfig fold = config;
    fold.seed = config.seed + static_cast<std::uint64_t>(f);
    fold.threads = std::max(1, threads / workers);
    fold.checkpointPath.clear();
    return fold;
}

int crossValidationWorkers(const ModelSpec& spec, const TrainConfig& config, int folds)
{
    // One GPU trains one model at a time; a TorchScript backbone is not shared between threads.
    if (resolveDevice(config.device) != "cpu" || spec.name == "torchscript")
        return 1;
    const int threads = config.threads > 0 ? config.threads : hardwareThreads();
    return std::max(1, std::min(threads, folds));
}

namespace {

// The anchor rows every fold model embeds: min(count, kEmbeddingAnchors) rows drawn with `seed`,
// ascending.
std::vector<int> embeddingAnchors(int count, std::uint64_t seed)
{
    std::vector<int> rows(static_cast<std::size_t>(count));
    std::iota(rows.begin(), rows.end(), 0);
    if (count > kEmbeddingAnchors) {
        std::mt19937_64 random(seed ^ 0x5bd1e995ULL);
        std::shuffle(rows.begin(), rows.end(), random);
        rows.resize(static_cast<std::size_t>(kEmbeddingAnchors));
        std::sort(rows.begin(), rows.end());
    }
    return rows;
}

// Maps `rows` of `embeddings` (fold f's space) into the target space by the affine map that best
// takes `from` (fold f's anchors) to `to` (fold 0's anchors) in least squares, with a small ridge
// on the linear part so that collinear features (dead ReLUs) stay harmless.
void alignRows(RowMatrixXf& embeddings, const std::vector<int>& rows, const RowMatrixXf& from, const RowMatrixXf& to)
{
    const Eigen::Index d = from.cols();
    Eigen::MatrixXd a(from.rows(), d + 1);
    a.leftCols(d) = from.cast<double>();
    a.col(d).setOnes();
    Eigen::MatrixXd normal = a.transpose() * a;
    const double ridge = 1e-3 * std::max(1e-12, normal.diagonal().head(d).mean());
    normal.diagonal().head(d).array() += ridge;
    const Eigen::MatrixXd map = normal.ldlt().solve(a.transpose() * to.cast<double>());
    for (const int row : rows) {
        const Eigen::RowVectorXd x = embeddings.row(row).cast<double>();
        embeddings.row(row) = (x * map.topRows(d) + map.row(d)).cast<float>();
    }
}

}  // namespace

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
    result.history.resize(static_cast<std::size_t>(folds));
    const std::vector<int> anchors = embeddingAnchors(input.count(), config.seed);
    std::vector<RowMatrixXf> anchorEmbeddings(static_cast<std::size_t>(folds));
    std::vector<std::vector<int>> foldRows(static_cast<std::size_t>(folds));
    std::mutex embeddingMutex;

    const int workers = crossValidationWorkers(spec, config, folds);
    const int threads = config.threads > 0 ? config.threads : hardwareThreads();
    FoldProgress foldProgress(progress, folds);
    std::mutex epochMutex;
    std::vector<std::int64_t> trainSamples(static_cast<std::size_t>(folds), 0);
    std::vector<double> trainSeconds(static_cast<std::size_t>(folds), 0.0);
    ThreadPool pool(workers);
    pool.run(folds, [&](std::int64_t block) {
        const int f = static_cast<int>(block);
        try {
            progress.check();
            const FoldRows rows = rowsOfFold(result.fold, f);
            const std::vector<int>& trainRows = rows.train;
            const std::vector<int>& predictRows = rows.predict;

            Progress foldToken([&](double fraction, const std::string& stage) { foldProgress.report(f, fraction, stage); }, 0);
            Classifier model(spec, input, classes, configOfFold(config, f, threads, workers));
            const TrainResult trained = model.fit(input, trainRows, targets, foldToken, [&](const EpochRecord& record) {
                if (!onEpoch)
                    return;
                std::lock_guard<std::mutex> lock(epochMutex);
                onEpoch(f, record);
            });
            RowMatrixXf embedded;
            const RowMatrixXf predicted = model.predict(input, predictRows, progress, &embedded);
            model.predict(input, anchors, progress, &anchorEmbeddings[static_cast<std::size_t>(f)]);
            {
                std::lock_guard<std::mutex> lock(embeddingMutex);
                if (result.embeddings.size() == 0)
                    result.embeddings = RowMatrixXf::Zero(input.count(), embedded.cols());
            }
            // Each fold writes only its own rows and its own slots.
            for (std::size_t i = 0; i < predictRows.size(); ++i) {
                result.probabilities.row(predictRows[i]) = predicted.row(static_cast<Eigen::Index>(i));
                result.embeddings.row(predictRows[i]) = embedded.row(static_cast<Eigen::Index>(i));
            }
            foldRows[static_cast<std::size_t>(f)] = predictRows;
            result.history[static_cast<std::size_t>(f)] = trained.history;
            trainSamples[static_cast<std::size_t>(f)] = trained.trainSamples;
            trainSeconds[static_cast<std::size_t>(f)] = trained.trainSeconds;
            foldProgress.finished(f);
        } catch (...) {
            foldProgress.fail();
            throw;
        }
    });
    for (int f = 1; f < folds; ++f)
        alignRows(result.embeddings, foldRows[static_cast<std::size_t>(f)], anchorEmbeddings[static_cast<std::size_t>(f)],
                  anchorEmbeddings[0]);
    std::int64_t samples = 0;
    double seconds = 0;
    for (int f = 0; f < folds; ++f) {
        samples += trainSamples[static_cast<std::size_t>(f)];
        seconds += trainSeconds[static_cast<std::size_t>(f)];
    }
    // Folds side by side overlap in time: the rate is per unit of wall time spent training.
    if (workers > 1)
        seconds /= workers;
    result.trainSamplesPerSecond = seconds > 0 ? static_cast<double>(samples) / seconds : 0.0;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace crowdsift
