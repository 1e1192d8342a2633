#pragma once

// Data Parameters trainings (DataParamsConfig, learn/trainer.h) as project runs, for the CLI and
// the GUI (no torch headers).
//
// Run kind "data-parameters", named after params "model". Outputs:
//   sigma_instance  N x E float32: each item's instance sigma at the end of each epoch (NaN for
//                   items not trained on); only with the instance level;
//   sigma_class     K x E float32: each class's sigma per epoch; only with the class level;
//   history         E x 9 float64, the columns of a train run's history (fold 0);
//   labels          N int32: the class each item was trained on (the argmax of soft targets),
//                   -1 = not trained on; trajectory triage compares sigmas within these classes.
// Summary: dataParamsSummary().

#include "learn/trainer.h"
#include "learn_project/learn_runs.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace crowdsift {

struct DataParamsOutcome {
    TrainResult fit;
    std::unique_ptr<Classifier> model;
};

// Trains one model with config.dataParams on every item with a target. InputError when neither
// level is on or no item has a target.
DataParamsOutcome trainDataParams(const LearnInput& input, const Targets& targets, int classes, const ModelSpec& spec,
                                  const TrainConfig& config, Progress& progress = Progress::none(),
                                  const EpochCallback& onEpoch = {});

// trainParams() plus the Data Parameters settings of trainSettings() (SettingInfo::dataParams)
// from config.dataParams: instance, class (bools), init_instance, init_class, lr_instance,
// lr_class, wd_instance, wd_class, dp_momentum. decodeTrainSettings() reads them back into
// TrainSettings::dataParams.
nlohmann::json dataParamsParams(const ModelSpec& spec, const TrainConfig& config, const LearnInputOptions& input);

// model, epochs (run), seconds, samples_per_s, instance and class (the levels), and per_epoch:
// one object per epoch with epoch, train_loss, train_acc, val_acc (null without validation),
// instance_sigma and class_sigma, each {min, q25, median, q75, max} (linear interpolation, over
// the trained items or the classes; null without the level).
nlohmann::json dataParamsSummary(const nlohmann::json& params, const TrainResult& fit, int classes);

// Writes the outputs above into the running run `run` (recordRun) and returns its summary.
// `targets` are those the fit trained on. InputError when the trajectories do not have one row per
// item (or class) or the targets one per item.
nlohmann::json writeDataParamsOutputs(Project& project, std::int64_t run, const nlohmann::json& params,
                                      const TrainResult& fit, int classes, const Targets& targets);

// A whole run as the CLI does it: records a "data-parameters" run with `params` (recordRun), trains
// in it (trainDataParams, the project's classes) and writes its outputs; returns its id. A cancel
// ends the run "cancelled" without outputs and rethrows Cancelled; an error ends it "failed".
std::int64_t runDataParams(Project& project, const nlohmann::json& params, const LearnInput& input,
                           const Targets& targets, const ModelSpec& spec, const TrainConfig& config,
                           Progress& progress = Progress::none(), const EpochCallback& onEpoch = {});

// The paper's subset retrain: the items whose instance sigma ranks highest at `epoch` (from 1;
// 0 = the last) of a `epochs`-column trajectory (N x E, row-major, NaN = not trained on):
// round(fraction x trained items) of them, highest sigma first, ties by item index.
// InputError for a fraction outside [0, 1) or an epoch beyond E.
std::vector<int> topSigmaItems(const std::vector<float>& sigma, std::size_t epochs, double fraction, int epoch = 0);
// The same from the sigma_instance output of the project's data-parameters run `run`; InputError
// naming the run when it is not one or has no instance level.
std::vector<int> topSigmaItems(const Project& project, std::int64_t run, double fraction, int epoch = 0);
// `targets` without `items`: their labels -1, or their soft rows zero, so that training skips them.
Targets withoutItems(Targets targets, const std::vector<int>& items);

// Stores the retrain on a subset (`train --subset-frac`) as a "train" run, with storeTrainRun's
// outputs and summary, whose parent (RunInfo::parent) is the data-parameters run `ranking` and
// which keeps the items left out as the output `excluded` (int32, in the order given: highest
// sigma first for topSigmaItems). Returns its id; a failed write marks the run failed and rethrows.
std::int64_t storeSubsetTrainRun(Project& project, const nlohmann::json& params, const CrossValidationResult& result,
                                 const Classifier* lastModel, std::int64_t ranking, const std::vector<int>& excluded);

}  // namespace crowdsift
