#pragma once

// k-fold cross-validation: out-of-sample class probabilities for every item.

#include "learn/trainer.h"
#include "util/error.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace crowdsift {

// Stratified folds: for each class, its items (labels[i] == class) are shuffled with `seed` and
// dealt to the folds in turn, the deal continuing across classes, so fold sizes differ by at most
// one and every class is spread evenly. Items with label -1 get fold -1. Throws InputError for
// folds < 2 or more folds than labelled items.
std::vector<int> stratifiedFolds(const std::vector<int>& labels, int folds, std::uint64_t seed);

struct CrossValidationResult {
    RowMatrixXf probabilities;  // N x K; row i from the model that did not train on item i
    // N x D', the penultimate layer (Classifier::predict's embeddings); row i from the model that
    // did not train on item i, carried into fold 0's model's space: every fold model also embeds a
    // shared anchor set (min(N, kEmbeddingAnchors) items drawn with the seed), and fold f's rows
    // go through the affine least-squares map (ridge 1e-3) that takes its anchors' embeddings to
    // fold 0's. Without it the folds' rows would sit in unrelated coordinate systems.
    RowMatrixXf embeddings;
    std::vector<int> fold;      // N, fold of each item (-1 = not in any fold: predicted by fold 0's model)
    std::vector<std::vector<EpochRecord>> history;  // per fold
    double seconds = 0;
    double trainSamplesPerSecond = 0;  // over all folds and epochs
};

constexpr int kEmbeddingAnchors = 2000;

using FoldEpochCallback = std::function<void(int fold, const EpochRecord&)>;

// Progress of folds trained side by side, as one report: the sum of the folds' fractions, under
// the stage of the lowest fold still training (the others report no stage, so the parent token
// rate-limits them instead of announcing a new stage on every batch). Once one fold failed, the
// others stop at their next report. Shared by crossValidate and crossValidateCrowd.
class FoldProgress {
public:
    FoldProgress(Progress& parent, int folds) : parent_(parent), folds_(folds), done_(static_cast<std::size_t>(folds), 0.0) {}

    void report(int fold, double fraction, const std::string& stage)
    {
        if (failed_.load())
            throw Cancelled();
        std::lock_guard<std::mutex> lock(mutex_);
        done_[static_cast<std::size_t>(fold)] = std::min(fraction, 1.0);
        double sum = 0;
        int lead = -1;
        for (int f = 0; f < folds_; ++f) {
            sum += done_[static_cast<std::size_t>(f)];
            if (lead < 0 && done_[static_cast<std::size_t>(f)] < 1.0)
                lead = f;
        }
        const bool leading = fold == lead || lead < 0;
        parent_.step(sum, folds_,
                     leading ? "fold " + std::to_string(fold + 1) + "/" + std::to_string(folds_) + ", " + stage : std::string());
    }
    // A fold that stopped early reports less than 1 from its training; its end counts as whole.
    void finished(int fold) { report(fold, 1.0, "trained"); }
    void fail() { failed_.store(true); }

private:
    Progress& parent_;
    int folds_;
    std::vector<double> done_;
    std::mutex mutex_;
    std::atomic<bool> failed_{false};
};


// How many folds crossValidate trains side by side: on the CPU min(threads, folds) (threads 0 =
// every core), each fold with threads / workers torch threads; 1 on CUDA and for a TorchScript
// backbone. Small models use one core per fold far better than two cores per model.
int crossValidationWorkers(const ModelSpec& spec, const TrainConfig& config, int folds);

// Fold f's rows of `fold` (each item's fold, -1 = not trained on): it trains on the other folds'
// items and predicts its own and, in fold 0, the items not trained on. With `single` (one model,
// no cross-validation) it trains on every item with a fold and predicts every item.
struct FoldRows {
    std::vector<int> train;
    std::vector<int> predict;
};
FoldRows rowsOfFold(const std::vector<int>& fold, int f, bool single = false);

// `config` for fold f of folds run `workers` at a time: seed + f, threads / workers torch threads
// (at least one, so results do not depend on how many run at once), no checkpoint (the fold
// models are throw-away: a checkpoint would only keep the last one).
TrainConfig configOfFold(const TrainConfig& config, int f, int threads, int workers);

// Trains `folds` models, each on the other folds' items, and predicts its own fold, several at
// once on the CPU (crossValidationWorkers). The result does not depend on how many run at once,
// only on the threads each gets. Progress runs over all folds; onEpoch calls come one at a time
// (from the training threads, folds interleaved); cancel stops within one batch.
CrossValidationResult crossValidate(const LearnInput& input, const Targets& targets, int classes,
                                    const ModelSpec& spec, const TrainConfig& config, int folds,
                                    Progress& progress = Progress::none(), const FoldEpochCallback& onEpoch = {});

}  // namespace crowdsift
