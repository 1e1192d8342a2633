#pragma once

// Aggregation results as project runs (kind "aggregate"), shared by the CLI and the GUI.
// Outputs of a run: labels (N int32, -1 = no answer), posteriors (N x K), confusions
// (M x K x K, [annotator][true][given]), annotator_skill (M), class_priors (K), and where the
// strategy has them item_difficulty (N) and, for crowdlab, consensus_quality (N),
// annotator_agreement (N) and answer_quality (one per answer, by-item order).

#include "aggregate/result.h"
#include "data/dataset.h"
#include "project/store.h"
#include "util/progress.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace crowdsift {

// The summary stored with an aggregation run and printed by `aggregate --json`: strategy, items,
// iterations, converged, seconds (wall time of the strategy), tied_items, log_likelihood (last
// value, when finite), accuracy against truth (null without truth), labels_per_class (K) and, for
// auto, chooser (the choice and every candidate's held-out score, chooser.h).
nlohmann::json aggregationSummary(const Dataset& dataset, const AggregationResult& result, double seconds);

// Writes the outputs listed above (plus `extraOutputs`, vectors by name) of `result` into run
// `run`, which the caller began (recordRun); on the caller's thread.
void writeAggregationOutputs(Project& project, std::int64_t run, const Dataset& dataset, const AggregationResult& result,
                             const std::map<std::string, Eigen::VectorXd>& extraOutputs = {});

// Records `result` as a finished run and returns its id; it becomes the active run only when
// the project has none. `extraOutputs` are additional vectors
// (name -> values); `writeMore`, when given, adds outputs of other shapes to the run before it is
// marked done. When writing an output fails, the run is marked failed and the error rethrown, so
// a run marked done has every output.
std::int64_t storeAggregationRun(Project& project, const Dataset& dataset, const AggregationResult& result,
                                 const nlohmann::json& params, const nlohmann::json& summary,
                                 const std::map<std::string, Eigen::VectorXd>& extraOutputs = {},
                                 const std::function<void(std::int64_t run)>& writeMore = {});

// A finished run beside the project's active run, for announcing it without switching to it.
struct RunComparison {
    std::int64_t run = 0;
    double accuracy = std::numeric_limits<double>::quiet_NaN();        // against truth; NaN without truth
    std::int64_t activeRun = 0;                                        // 0 when the project has none
    bool isActive = false;                                             // run is the active run
    std::string activeStrategy;
    double activeAccuracy = std::numeric_limits<double>::quiet_NaN();
    int differing = 0;                                                 // items whose labels differ
};

// `labels` (N) of run `run` against the active run's labels output; reads that output.
RunComparison compareWithActiveRun(const Project& project, const Dataset& dataset, std::int64_t run,
                                   const std::vector<int>& labels);

struct AggregatedRun {
    AggregationResult result;
    nlohmann::json summary;  // aggregationSummary
};

// The work of an aggregation job whose run `run` was recorded when it started (recordRun, on the
// job's own connection): runs `strategy` with `params`, stores the parameters it resolved, writes
// the outputs; returns the result and the summary to end the run with.
AggregatedRun aggregateIntoRun(Project& project, std::int64_t run, const Dataset& dataset, const std::string& strategy,
                               const nlohmann::json& params, Progress& progress);

// Reads run `run` back. Throws StoreError when it is not a finished aggregation run of this
// dataset's shape. Machine annotators added after the run (the last annotators) get zero
// confusion matrices and NaN skill: the run did not weigh them.
AggregationResult loadAggregationRun(const Project& project, const Dataset& dataset, std::int64_t run);

// Whether a run's per-annotator outputs for its first `runAnnotators` annotators still fit
// `dataset` because every annotator after them is a machine annotator added later (`annotate`
// appends machines last): runAnnotators < the annotator count and all of [runAnnotators, count)
// are machines.
bool onlyMachinesJoinedAfter(const Dataset& dataset, std::size_t runAnnotators);

// The run a command works on: `requested` when nonzero (InputError listing the finished
// aggregation runs when it is none of them), else the project's active run (InputError pointing
// to `crowdsift-cli aggregate` when it has none yet).
std::int64_t chosenAggregationRun(const Project& project, std::int64_t requested);

// The id of the newest finished aggregation run, 0 when there is none.
std::int64_t latestAggregationRun(const Project& project);

// The strategy an automatic aggregation run chose (its params {"strategy": "auto", "params":
// {"chosen": ...}}), e.g. "ds-prior"; empty for any other run, or an auto run without a choice.
std::string automaticChoice(const RunInfo& run);

}  // namespace crowdsift
