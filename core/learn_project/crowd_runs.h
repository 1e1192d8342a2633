#pragma once

// Learning from crowds (learn/crowd_layers.h) as project runs, for the CLI and the GUI (no torch
// headers).
//
// Stored as a run of kind "train" (so that the Learning and Review tabs, `export` and the
// CROWDLAB loop read its probabilities as they read any training run), named "<strategy> <model>"
// ("conal[scale=1e-05] mlp"), with params "strategy" beside trainParams()' settings, "folds" and
// "votes" (how many votes it learned from). Outputs: those of a train run (probabilities N x K
// float32, out-of-sample when folds >= 2; fold N int32; history fold x epoch x 9 float64, the
// train loss being the crowd loss and the accuracy the agreement with the votes' majority) plus
//   annotator_confusions  M x K x K float32: row k of annotator r = the distribution of r's answer
//                         when the item is of class k, as the model learned it (mean over folds;
//                         NaN rows for an annotator with no votes);
//   common_confusion      K x K float32, CoNAL only: what everybody confuses;
//   gate                  M float32, CoNAL only: the mean weight of the common confusion in the
//                         annotator's votes (NaN without votes).
// Summary: trainSummary()'s plus "strategy", "votes" and "annotators".

#include "learn/crowd_layers.h"
#include "learn_project/learn_runs.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace crowdsift {

// trainParams() plus "strategy" (crowdStrategyName), "folds" and "votes".
nlohmann::json crowdParams(const ModelSpec& spec, const TrainConfig& config, const CrowdConfig& crowd,
                           const LearnInputOptions& input, int folds, const CrowdVotes& votes);

// The run's summary (see above); accuracy against the dataset's truth, null without.
nlohmann::json crowdSummary(const Dataset& dataset, const nlohmann::json& params, const CrowdCrossValidation& result);

// Writes the outputs above into the running run `run` and returns its summary. InputError when
// the result does not match the dataset's items, annotators and classes.
nlohmann::json writeCrowdOutputs(Project& project, std::int64_t run, const Dataset& dataset, const nlohmann::json& params,
                                 const CrowdCrossValidation& result);

// A whole run as the CLI does it: records the run (recordRun), trains in it (crossValidateCrowd on
// the dataset's votes) and writes its outputs only once every fold has trained; returns its id.
// A cancel ends the run "cancelled" with no outputs and rethrows Cancelled; an error ends it
// "failed".
std::int64_t runLearnFromCrowds(Project& project, const Dataset& dataset, const nlohmann::json& params,
                                const LearnInput& input, const ModelSpec& spec, const TrainConfig& config,
                                const CrowdConfig& crowd, int folds, Progress& progress = Progress::none(),
                                const CrowdFoldEpochCallback& onEpoch = {});

// Where the CROWDLAB loop starts (LoopStart) from run `run` of the project: a finished aggregation run (Dawid-Skene, ...) gives its labels
// and posteriors; a finished train run (learn-from-crowds or `train`) its probabilities, which
// iteration 1 takes instead of training. InputError naming the run for any other run, or one
// whose outputs do not match the dataset.
LoopStart loopStartFromRun(const Project& project, const Dataset& dataset, std::int64_t run);

}  // namespace crowdsift
