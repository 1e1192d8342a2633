#pragma once

// Complementary-label training (learn/complementary.h) as a project run, shared by the CLI's
// `train --complementary` and the GUI. No torch headers.
//
// Run kind "train", named after the loss, with the trainParams() settings plus complementary:
// true, strategy (the loss), transition (where the loss's T came from: uniform, anchors, truth
// or the file), folds 1. Outputs: probabilities (N x K float32, in-sample; class probabilities,
// see complementaryClassProbabilities), fold (N int32: 0 trained on, -1 not), history (as a
// train run's; train_acc = share of complementary answers off the model's top class), model.pt,
// and the K x K float64 transition matrices T[y][k] = P("not k" | y):
//   transition        the one the loss used (uniform for the losses that assume it)
//   transition_data   estimated from the data alone: the complementary answers counted against
//                     the trained model's class probabilities (transitionFromProbabilities)
//   transition_truth  counted against the ground truth (only when the dataset has truth)
//   transition_learned  cpe-t's learned Q
//   transition_anchors  with --transition anchors: Yu et al.'s anchor estimate
// Summary: trainSummary()'s plus strategy, ordinary_answers, complementary_answers, and the mean
// absolute difference of transition_data (transition_data_error) and of the used transition
// (transition_error) from transition_truth (null without truth).

#include "learn/complementary.h"
#include "learn_project/learn_runs.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace crowdsift {

// Where the loss's transition matrix comes from: "uniform", "anchors" (a first cpe-i training
// estimates P(not k | x); Yu et al.'s anchors), "truth" (counted against the dataset's truth: an
// oracle for benchmarks) or a K x K .npy file.
struct TransitionChoice {
    std::string source = "uniform";
    // "anchors": the first stage (estimateAnchorTransition).
    double anchorQuantile = 0.03;  // the anchor's quantile of q(., y) (anchorTransition)
    int anchorFolds = 2;           // cross-fitting folds (1 = q in-sample, from a model trained on every item)
    int anchorEpochs = 0;          // the first stage's epochs; 0 = the run's
};

struct ComplementaryOutcome {
    CrossValidationResult result;  // one model: fold 0 for trained items, -1 for the others
    std::unique_ptr<Classifier> model;
    RowMatrixXd transition, dataTransition, truthTransition, learnedTransition, anchorTransition;
    double ordinaryAnswers = 0;
    double complementaryAnswers = 0;
};

// Reads a K x K transition matrix from a .npy file; InputError naming the file otherwise.
RowMatrixXd readTransitionNpy(const std::string& path, int classes);

// Yu et al. 2018's anchor estimate of T from the data alone: cpe-i networks estimate q(x) =
// P(complementary label | x), and anchorTransition() reads T from the rows of q at the
// choice's quantile. With anchorFolds >= 2 the answered items are split (with the config's
// seed) into that many folds and each fold's q comes from a network trained on the other folds:
// a network's q on the items it trained on drifts towards their own few answers (three labels
// at about 1/3 each, the rest near 0), which puts the anchors on memorised items and the
// estimate far off. Costs about one training per fold of (folds - 1) / folds of the items.
RowMatrixXd estimateAnchorTransition(const LearnInput& input, const ComplementaryTargets& targets, const ModelSpec& spec,
                                     const TrainConfig& config, const TransitionChoice& choice,
                                     Progress& progress = Progress::none());

// Trains one model on every item with an answer (complementary or ordinary) and predicts every
// item. InputError when the dataset has no complementary answer, for "truth" without truth, or a
// bad transition file.
ComplementaryOutcome trainComplementary(const LearnInput& input, const Dataset& dataset, ComplementaryLoss loss,
                                        const TransitionChoice& transition, const ModelSpec& spec,
                                        const TrainConfig& config, Progress& progress = Progress::none(),
                                        const EpochCallback& onEpoch = {});

nlohmann::json complementarySummary(const Dataset& dataset, const nlohmann::json& params, const ComplementaryOutcome& outcome);

// Writes the outputs above into an existing run (a GUI job records its run when it starts);
// returns the summary.
nlohmann::json writeComplementaryOutputs(Project& project, std::int64_t run, const Dataset& dataset,
                                         const nlohmann::json& params, const ComplementaryOutcome& outcome);

// Stores the run (see above); returns its id. A failed write marks the run failed and rethrows.
std::int64_t storeComplementaryRun(Project& project, const Dataset& dataset, const nlohmann::json& params,
                                   const ComplementaryOutcome& outcome);

}  // namespace crowdsift
