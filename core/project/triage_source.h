#pragma once

// The triage of a whole project, per class, from whichever source it has: the trajectory rule on
// a data-parameters run (analysis/trajectory_triage.h), or the crowd-posterior rule on an
// aggregation run (analysis/triage.h). For the triage report (report/project_report.h) and any
// view that shows the bands of every class.
//
// An item belongs to the class it is judged under: the label it was trained on for the trajectory
// rule, its consensus label for the crowd rule. An item without one is hard under both rules but
// belongs to no class (classOf -1).
//
// The estimated share of wrong labels of a band is the mean over its items of their probability
// of a wrong label: wrongProbability (trajectory_triage.h) for the trajectory rule, the crowd run's
// 1 - consensus posterior for the crowd rule (Dawid-Skene posteriors are overconfident: read it as
// a lower bound). Crowd runs on the rank scale (CROWDLAB) give no estimate: their scores are no
// probabilities.

#include "analysis/trajectory_triage.h"
#include "analysis/triage.h"
#include "data/dataset.h"
#include "project/store.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crowdsift {

enum class TriageSourceKind {
    Auto,        // the trajectory rule on the newest data-parameters run, else the crowd rule
    Trajectory,  // the trajectory rule; an error without a data-parameters run
    Crowd,       // the crowd rule
};

struct TriageSourceOptions {
    TriageSourceKind kind = TriageSourceKind::Auto;
    // Trajectory (and Auto): the data-parameters run, 0 = the newest. Crowd: the aggregation run,
    // 0 = the project's active run. Auto with a run given reads it as a data-parameters run.
    std::int64_t run = 0;
    // Unset: TrajectoryTriageRule::defaults of the scale of the run's crowd evidence.
    std::optional<TrajectoryTriageRule> trajectoryRule;
    // Keys of TrajectoryTriageRule::toJson set on top of that rule, e.g. {"window": 0.3}; an
    // empty object changes nothing.
    nlohmann::json trajectoryRuleChanges = nlohmann::json::object();
    // Unset: TriageRule::defaults(naturalTriageScale(the run's strategy)).
    std::optional<TriageRule> crowdRule;
};

struct ProjectTriage {
    bool trajectory = false;  // which rule was applied
    std::int64_t run = 0;     // the data-parameters or aggregation run it read
    // "Data Parameters run 5" or "crowd rule on run 2 (ds)".
    std::string source;
    // With Auto, why the crowd rule stood in ("the project has no data-parameters run"); else "".
    std::string fallback;
    std::string rule;  // the rule's describe()
    // The source in full, for the CLI's `triage`: "data-parameters run 5, epochs 1-2 of 4; crowd:
    // run 3 (ds)" or "aggregation run 2 (ds), the active run".
    std::string detail;
    // The rule's toJson() with "run" (and, for the trajectory rule, "crowd_run": 0 = none).
    nlohmann::json settings;

    std::vector<int> classOf;                // N: the class each item is judged under; -1 = none
    std::vector<Triage> categories;          // N
    std::vector<double> wrongProbability;    // N: probability of a wrong label; NaN = not known
    // N: what the rule ranks by, the trajectory spread or the crowd's consensus score.
    std::vector<double> score;
    // K entries: per class and band (indexed by Triage), the class's items in the band, worst
    // first (trajectoryReviewOrder / reviewOrder), and the mean wrongProbability over them (NaN
    // when empty or not known).
    std::vector<std::array<std::vector<int>, 3>> bands;
    std::vector<std::array<double, 3>> estimatedWrong;

    int unassignedCount() const;  // items with classOf -1
};

// Reads the chosen run and applies its rule. InputError naming the run when it is not of the
// kind asked for, with Auto when the project has neither a data-parameters run nor an active
// aggregation run, and when trajectoryRuleChanges are given but the crowd rule applies; the rules
// are validated.
ProjectTriage projectTriage(const Project& project, const Dataset& dataset, const TriageSourceOptions& options);

}  // namespace crowdsift
