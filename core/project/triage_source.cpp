#include "project/triage_source.h"

#include "project/aggregation_runs.h"
#include "project/trajectory_runs.h"
#include "util/error.h"

#include <cmath>
#include <limits>

namespace crowdsift {

namespace {

// Fills bands and estimatedWrong from classOf, categories and wrongProbability; `order` sorts one
// band's items worst first.
template <typename Order>
void groupByClass(ProjectTriage& out, int classes, Order order)
{
    out.bands.assign(static_cast<std::size_t>(classes), {});
    for (std::size_t i = 0; i < out.classOf.size(); ++i)
        if (out.classOf[i] >= 0)
            out.bands[static_cast<std::size_t>(out.classOf[i])][static_cast<std::size_t>(out.categories[i])].push_back(
                static_cast<int>(i));
    out.estimatedWrong.assign(static_cast<std::size_t>(classes), {});
    for (std::size_t k = 0; k < out.bands.size(); ++k)
        for (std::size_t b = 0; b < 3; ++b) {
            std::vector<int>& items = out.bands[k][b];
            double sum = 0.0;
            int known = 0;
            for (const int item : items) {
                const double p = out.wrongProbability[static_cast<std::size_t>(item)];
                if (std::isfinite(p)) {
                    sum += p;
                    ++known;
                }
            }
            out.estimatedWrong[k][b] = known > 0 ? sum / known : std::numeric_limits<double>::quiet_NaN();
            items = order(std::move(items));
        }
}

}  // namespace

int ProjectTriage::unassignedCount() const
{
    int count = 0;
    for (const int label : classOf)
        count += label < 0 ? 1 : 0;
    return count;
}

ProjectTriage projectTriage(const Project& project, const Dataset& dataset, const TriageSourceOptions& options)
{
    ProjectTriage out;
    std::int64_t trajectoryRun = 0;
    if (options.kind == TriageSourceKind::Trajectory
        || (options.kind == TriageSourceKind::Auto && options.run != 0)) {
        trajectoryRun = chosenTrajectoryRun(project, options.run);
    } else if (options.kind == TriageSourceKind::Auto) {
        trajectoryRun = latestTrajectoryRun(project);
        if (trajectoryRun == 0) {
            if (project.activeRun() == 0)
                throw InputError(project.path(), "triage",
                                 "the project has no finished data-parameters run and no active aggregation run; run "
                                 "`crowdsift-cli aggregate` (and `crowdsift-cli identify` for trajectory triage)");
            out.fallback = "the project has no finished data-parameters run";
        }
    }

    const int classes = dataset.classCount();
    if (trajectoryRun != 0) {
        const TrajectoryRun run = loadTrajectoryRun(project, dataset, trajectoryRun);
        TrajectoryTriageRule rule = options.trajectoryRule.value_or(TrajectoryTriageRule::defaults(run.crowdScale()));
        if (!options.trajectoryRuleChanges.empty()) {
            nlohmann::json json = rule.toJson();
            json.update(options.trajectoryRuleChanges);
            rule = TrajectoryTriageRule::fromJson(json);
        }
        TrajectoryTriageResult result = applyTrajectoryTriage(run, classes, rule);
        out.trajectory = true;
        out.run = trajectoryRun;
        out.source = "Data Parameters run " + std::to_string(trajectoryRun);
        out.rule = rule.describe();
        out.detail = "data-parameters run " + std::to_string(trajectoryRun) + ", epochs 1-"
                     + std::to_string(result.scores.epochsRead) + " of " + std::to_string(run.epochs);
        if (run.crowdRun != 0)
            out.detail += rule.useCrowd ? "; crowd: run " + std::to_string(run.crowdRun) + " (" + run.crowdStrategy + ")"
                                        : "; crowd not used";
        out.settings = rule.toJson();
        out.settings["run"] = trajectoryRun;
        out.settings["crowd_run"] = run.crowdRun;
        out.score = result.scores.spread;
        out.classOf = result.scores.labels;
        out.categories = std::move(result.categories);
        out.wrongProbability = std::move(result.wrongProbability);
        const TrajectoryScores& scores = result.scores;
        groupByClass(out, classes, [&scores](std::vector<int> items) { return trajectoryReviewOrder(scores, std::move(items)); });
        return out;
    }

    if (!options.trajectoryRuleChanges.empty())
        throw InputError(project.path(), "triage rule",
                         "changes to the trajectory rule (" + options.trajectoryRuleChanges.dump()
                             + ") do not apply: the crowd rule is used"
                             + (out.fallback.empty() ? std::string() : ", as " + out.fallback));
    const std::int64_t run = chosenAggregationRun(project, options.kind == TriageSourceKind::Crowd ? options.run : 0);
    const AggregationResult result = loadAggregationRun(project, dataset, run);
    const TriageEvidence evidence = triageEvidence(dataset, result);
    const TriageScale natural = naturalTriageScale(result.strategy);
    const TriageRule rule = options.crowdRule.value_or(TriageRule::defaults(natural));
    out.run = run;
    out.source = "crowd rule on run " + std::to_string(run) + " (" + result.strategy + ")";
    out.rule = rule.describe();
    out.detail = "aggregation run " + std::to_string(run) + " (" + result.strategy + ")"
                 + (run == project.activeRun() ? ", the active run" : "");
    out.settings = rule.toJson();
    out.settings["run"] = run;
    out.score = evidence.posterior;
    out.classOf = evidence.labels;
    out.categories = triage(evidence, rule);
    out.wrongProbability.assign(evidence.posterior.size(), std::numeric_limits<double>::quiet_NaN());
    if (natural == TriageScale::Posterior)
        for (std::size_t i = 0; i < evidence.posterior.size(); ++i)
            out.wrongProbability[i] = 1.0 - evidence.posterior[i];
    groupByClass(out, classes, [&evidence](std::vector<int> items) { return reviewOrder(evidence, std::move(items)); });
    return out;
}

}  // namespace crowdsift
