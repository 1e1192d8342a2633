#pragma once

// core/learn results as project runs, shared by the CLI and the GUI (links crowdsift_core and
// crowdsift_learn; no torch headers).
//
// Run kinds and outputs:
//   "train"     a cross-validated (folds >= 2) or plain (folds = 1) training run:
//               probabilities (N x K float32, out-of-sample when folds >= 2), fold (N int32),
//               history (rows = fold x epoch: fold, epoch, train_loss, train_acc, val_loss,
//               val_acc, lr, seconds, samples_per_s; float64), and model.pt (the model's
//               weights) in the run folder when the caller passes the model (folds = 1;
//               crossValidate keeps none of its fold models). Summary: see trainSummary().
//   "aggregate" with strategy "crowdlab-loop": the loop's final consensus as an aggregation run
//               (labels, posteriors, confusions, ... plus consensus_quality, annotator_agreement,
//               answer_quality, model_probabilities N x K float32, and history as above for the
//               last iteration's folds) so that the Review tab and `export` use it. Its summary
//               is aggregationSummary()'s ("iterations" = the number of loop iterations, an
//               integer as for every aggregation run) plus loopSummary()'s "loop" table,
//               "majority_vote_accuracy" and "model".

#include "images/scene_features.h"
#include "learn/crowdlab_loop.h"
#include "project/store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace crowdsift {

// What a model learns from:
//   Auto      the dataset's feature vectors when preferFeatures and it has them, else its images;
//   Features  the dataset's feature vectors;
//   Images    the dataset's images through the image cache;
//   Scene     GIST scene features of the images (images/scene_features.h), for an mlp: what works on
//             a few thousand photos where a CNN from scratch cannot learn enough.
enum class LearnInputKind { Auto, Features, Images, Scene };
// "auto", "features", "images", "gist": the names of the CLI's --input and of stored runs.
const char* learnInputKindName(LearnInputKind kind);
// InputError(option, name, the accepted names) for an unknown name.
LearnInputKind parseLearnInputKind(const std::string& name, const std::string& option = "input");

struct LearnInputOptions {
    LearnInputKind kind = LearnInputKind::Auto;
    bool preferFeatures = true;  // Auto: use dataset.features when the dataset has them
    int imageSize = 0;           // image cache side; 0 = 28 for images up to 28 px, else 32
    int channels = 0;            // 0 = from the images (see ImageCacheOptions)
    SceneFeatureOptions scene;   // Scene
};

// What the project's dataset trains from (see LearnInputKind): features as they are, images
// through the image cache and scene features through their cache, both in the project's cache
// folder (built once, then reused). InputError when the dataset has not what the kind needs.
LearnInput loadLearnInput(const Project& project, const Dataset& dataset, const LearnInputOptions& options,
                          Progress& progress = Progress::none());
// The same with the image cache in `cacheDir`, for a dataset read without a project.
LearnInput loadLearnInput(const std::string& cacheDir, const Dataset& dataset, const LearnInputOptions& options,
                          Progress& progress = Progress::none());

// The effective settings of a train or loop run, as stored in its parameters (the CLI's and the
// GUI's runs use the same keys): the stored settings of trainSettings() (train_settings.h) that
// apply to the model, but folds, soft and max_iterations, which the verbs add; device is where
// it trains (config.device). Today: model, device, epochs, batch_size, optimizer, lr, momentum,
// weight_decay, schedule, warmup_epochs, label_smoothing, augment, flip, val_fraction, patience,
// seed, input, image_size, and per model width, hidden, dropout or backbone.
nlohmann::json trainParams(const ModelSpec& spec, const TrainConfig& config, const LearnInputOptions& input);

// A training run as the `train` verb and the GUI do it: folds >= 2 cross-validates
// (crossValidate); folds = 1 trains one model on every item with a target and predicts every
// item (in-sample probabilities, fold 0 for trained items, -1 for the others; that model is
// returned). InputError for folds < 1.
struct TrainOutcome {
    CrossValidationResult result;
    std::unique_ptr<Classifier> model;  // folds = 1 only
};
TrainOutcome trainModel(const LearnInput& input, const Targets& targets, int classes, const ModelSpec& spec,
                        const TrainConfig& config, int folds, Progress& progress = Progress::none(),
                        const FoldEpochCallback& onEpoch = {});

// The summary of a train run (stored, and printed by `train --json`): model (params "model"),
// folds, epochs (the most any fold ran), seconds, samples_per_s, accuracy of the probabilities'
// argmax against the dataset's truth (null without truth), final_train_loss and final_val_loss
// (means over folds of the last epoch; null when not finite).
nlohmann::json trainSummary(const Dataset& dataset, const nlohmann::json& params, const CrossValidationResult& result);

// Training targets from a finished aggregation run: its hard labels, or with `soft` its
// posteriors (items without answers are excluded from training).
Targets targetsFromRun(const Project& project, const Dataset& dataset, std::int64_t run, bool soft);
// Training targets from a file: an `aggregate` CSV (task,label,...; labels in the dataset's own
// values), an int .npy of N labels or a float .npy of N x K soft labels. InputError naming the
// file and record otherwise.
Targets targetsFromFile(const std::string& path, const Dataset& dataset);

// Writes a finished training's outputs (probabilities, fold, history, the last model) into the
// running run `run` and returns its summary (trainSummary). For a job that recorded its run when
// it started (recordRun); InputError when the probabilities do not have one row per item.
nlohmann::json writeTrainOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                 const CrossValidationResult& result, const Classifier* lastModel);

// Stores a finished training run (kind "train", named after params "model"); returns its id.
// Reads the project's dataset for the truth of the summary. InputError when the probabilities
// do not have one row per item; a failed write marks the run failed and rethrows.
std::int64_t storeTrainRun(Project& project, const nlohmann::json& params, const CrossValidationResult& result,
                           const Classifier* lastModel);

// The loop's final consensus as an aggregation result (strategy "crowdlab-loop", iterations and
// converged of the loop), for the store and for writeAggregation().
AggregationResult loopAsAggregation(const Dataset& dataset, const LoopResult& result, const nlohmann::json& params);

// Writes the loop's final consensus (the aggregation outputs, CROWDLAB's per-item scores and the
// last iteration's training curves) into the running run `run`; returns its summary.
nlohmann::json writeLoopOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                const LoopResult& result);

// Stores the loop's final consensus (kind "aggregate", strategy "crowdlab-loop") and makes it the
// active run when the project has none; returns its id.
std::int64_t storeLoopRun(Project& project, const Dataset& dataset, const nlohmann::json& params, const LoopResult& result);

// The loop's results as JSON (also part of what `crowdlab-loop --json` prints): iterations (the
// count), converged, majority_vote_accuracy, ds_accuracy and "loop", one object per iteration with iteration,
// changed, newly_changed, consensus_accuracy, model_accuracy, model_weight,
// mean_consensus_quality, seconds, train_samples_per_s (NaN as null).
nlohmann::json loopSummary(const LoopResult& result);

}  // namespace crowdsift
