#pragma once

// The Data Parameter trajectories of a project's data-parameters run (kind "data-parameters",
// learn_project/data_params_runs.h) with the crowd evidence beside them, read for trajectory
// triage (analysis/trajectory_triage.h) by the CLI's `triage` and `report` and the Review tab.
// Reads stored arrays only: no torch.

#include "analysis/trajectory_triage.h"
#include "data/dataset.h"
#include "project/store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crowdsift {

struct TrajectoryRun {
    std::int64_t run = 0;
    std::vector<float> sigma;  // N x E, the sigma_instance output
    std::size_t epochs = 0;
    // The class each item was trained on (-1 = not trained on): the run's labels output, or for a
    // run stored without it, the labels of the aggregation run it trained on.
    std::vector<int> labels;
    // The aggregation run whose consensus the crowd evidence comes from: the one the run trained
    // on when it names one (params "labels" is a run id), else the project's active run; 0 = none.
    std::int64_t crowdRun = 0;
    std::string crowdStrategy;             // that run's strategy name, for TriageScale
    std::optional<TriageEvidence> crowd;   // its evidence; empty without a crowd run

    // The scale of the crowd run's posteriors (naturalTriageScale), Posterior without one.
    TriageScale crowdScale() const;
};

// True when `info` is a finished data-parameters run with instance trajectories.
bool isTrajectoryRun(const RunInfo& info);

// The id of the newest finished data-parameters run with instance trajectories; 0 when none.
std::int64_t latestTrajectoryRun(const Project& project);

// The run `requested` (InputError naming it when it is not a finished data-parameters run with
// the instance level), or with 0 the newest (InputError pointing to `crowdsift-cli identify` when
// there is none).
std::int64_t chosenTrajectoryRun(const Project& project, std::int64_t requested);

// Reads run `run` (chosenTrajectoryRun's checks) and its crowd evidence. StoreError or InputError
// when its arrays do not fit the dataset.
TrajectoryRun loadTrajectoryRun(const Project& project, const Dataset& dataset, std::int64_t run);

// A triage of a trajectory run with `rule`: the scores, each item's category and probability of
// a wrong label (wrongProbability), and the bands' counts and estimated wrong shares. The crowd
// evidence is used when the run has some and rule.useCrowd is set.
struct TrajectoryTriageResult {
    TrajectoryScores scores;
    std::vector<Triage> categories;
    std::vector<double> wrongProbability;
    std::vector<BandEstimate> bands;
};
TrajectoryTriageResult applyTrajectoryTriage(const TrajectoryRun& run, int classes, const TrajectoryTriageRule& rule);

}  // namespace crowdsift
