#pragma once

// Aggregation results as project runs (kind "aggregate"), shared by the CLI and the GUI.
// Outputs of a run: labels (N int32, -1 = no answer), posteriors (N x K), confusions
// (M x K x K, [annotator][true][given]), annotator_skill (M), class_priors (K), and where the
// strategy has them item_difficulty (N) and, for crowdlab, consensus_quality (N),
// annotator_agreement (N) and answer_quality (one per answer, by-item order).

#include "aggregate/result.h"
#include "data/dataset.h"
#include "project/store.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace crowdsift {

// The summary stored with an aggregation run and printed by `aggregate --json`: strategy, items,
// iterations, converged, seconds (wall time of the strategy), tied_items, log_likelihood (last
// value, when finite), accuracy against truth (null without truth) and labels_per_class (K).
nlohmann::json aggregationSummary(const Dataset& dataset, const AggregationResult& result, double seconds);

// Records `result` as a finished run and returns its id. `extraOutputs` are additional vectors
// (name -> values); `writeMore`, when given, adds outputs of other shapes to the run before it is
// marked done. When writing an output fails, the run is marked failed and the error rethrown, so
// a run marked done has every output.
std::int64_t storeAggregationRun(Project& project, const Dataset& dataset, const AggregationResult& result,
                                 const nlohmann::json& params, const nlohmann::json& summary,
                                 const std::map<std::string, Eigen::VectorXd>& extraOutputs = {},
                                 const std::function<void(std::int64_t run)>& writeMore = {});

// Reads run `run` back. Throws StoreError when it is not a finished aggregation run of this
// dataset's shape.
AggregationResult loadAggregationRun(const Project& project, const Dataset& dataset, std::int64_t run);

// The id of the newest finished aggregation run, 0 when there is none.
std::int64_t latestAggregationRun(const Project& project);

}  // namespace crowdsift
