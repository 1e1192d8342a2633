#pragma once

// The iterative CROWDLAB loop: majority vote -> cross-validated model -> CROWDLAB consensus ->
// retrain on the new consensus, until no item changes label for the first time (or maxIterations).

#include "aggregate/crowdlab.h"
#include "aggregate/heldout.h"
#include "learn/crossval.h"

#include <functional>
#include <limits>
#include <vector>

namespace crowdsift {

// Built as {model, train, folds, maxIterations, softTargets} by the CLI, the GUI and the benches:
// keep the members in this order.
struct LoopConfig {
    ModelSpec model;
    TrainConfig train;
    int folds = 5;
    int maxIterations = 5;
    // Train on the consensus posteriors instead of the hard consensus labels.
    bool softTargets = false;
    // Keep the iteration whose consensus best predicts held-out answers (heldOutAnswerScore, 5
    // folds) instead of the last one; the loop still runs until it converges or maxIterations.
    bool keepBest = true;
};

// Where the loop starts instead of cleanlab's majority vote (all empty = majority vote).
struct LoopStart {
    // N labels (-1 = not trained on), e.g. a Dawid-Skene run's, and for soft targets its N x K
    // posteriors (one-hot rows of the labels when empty).
    std::vector<int> labels;
    RowMatrixXf posteriors;
    // N x K out-of-sample model probabilities, e.g. a CoNAL or CrowdLayer run's: iteration 1
    // takes CROWDLAB's consensus from them instead of training a model first.
    RowMatrixXf probabilities;
    // How the start's posteriors are computed from part of the answers (e.g. Dawid-Skene run
    // again), for the held-out score that compares the loop with its start. Without it a start
    // from `labels` is not scored; the default start (majority vote) is scored as cleanlab's
    // majority vote, one-hot.
    PosteriorFit refit;
};

struct LoopIteration {
    int iteration = 0;       // from 1
    int changed = 0;         // items whose consensus differs from the previous iteration's
    int newlyChanged = 0;    // of those, items that had never changed before
    double consensusAccuracy = std::numeric_limits<double>::quiet_NaN();  // vs truth, NaN without
    double modelAccuracy = std::numeric_limits<double>::quiet_NaN();      // argmax of the CV probabilities vs truth
    double modelWeight = std::numeric_limits<double>::quiet_NaN();        // CROWDLAB's weight of the model
    double meanConsensusQuality = 0;
    // heldOutAnswerScore of this iteration's CROWDLAB consensus (the model's probabilities fixed,
    // the annotators' answers partly held out); NaN when not computed (keepBest off).
    double heldOutScore = std::numeric_limits<double>::quiet_NaN();
    double seconds = 0;      // training + CROWDLAB
    double trainSamplesPerSecond = 0;
};

struct LoopResult {
    std::vector<int> majorityVote;            // cleanlab's majority vote (the default start)
    double majorityVoteAccuracy = std::numeric_limits<double>::quiet_NaN();
    // Dawid-Skene (the registry's defaults) against the truth: the reference a curator compares
    // the loop with. NaN without truth.
    double dawidSkeneAccuracy = std::numeric_limits<double>::quiet_NaN();
    std::vector<LoopIteration> iterations;
    CrowdlabResult consensus;                 // of the last iteration
    RowMatrixXf probabilities;                // N x K, the last iteration's out-of-sample model probabilities
    RowMatrixXf embeddings;                   // N x D', the last iteration's out-of-sample embeddings (CrossValidationResult)
    std::vector<std::vector<EpochRecord>> lastHistory;  // per fold, last iteration
    bool converged = false;                   // stopped because no item changed for the first time
    // The iteration whose consensus, probabilities, embeddings and history the result holds
    // (from 1): the last one, or with keepBest the one with the highest held-out score.
    int keptIteration = 0;
    // The start's held-out score (NaN when it has none) and whether it beats every iteration's:
    // then the loop did not improve on its start, and the start should stay the labels in use.
    double startHeldOutScore = std::numeric_limits<double>::quiet_NaN();
    bool startScoresBetter = false;
};

using IterationCallback = std::function<void(const LoopIteration&)>;

// Truth (dataset.truth) is used only for the accuracy columns, never as a training label.
// Throws InputError when input.count() differs from the dataset's item count.
LoopResult runCrowdlabLoop(const Dataset& dataset, const LearnInput& input, const LoopConfig& config,
                           Progress& progress = Progress::none(), const IterationCallback& onIteration = {},
                           const FoldEpochCallback& onEpoch = {});
// The same from `start`. InputError when its labels, posteriors or probabilities do not have one
// row per item (of K classes).
LoopResult runCrowdlabLoop(const Dataset& dataset, const LearnInput& input, const LoopConfig& config,
                           const LoopStart& start, Progress& progress = Progress::none(),
                           const IterationCallback& onIteration = {}, const FoldEpochCallback& onEpoch = {});

}  // namespace crowdsift
