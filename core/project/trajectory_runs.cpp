#include "project/trajectory_runs.h"

#include "project/aggregation_runs.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace crowdsift {

namespace {

bool hasOutput(const RunInfo& info, const char* name)
{
    return std::find(info.outputs.begin(), info.outputs.end(), name) != info.outputs.end();
}

// The aggregation run a data-parameters run's params name as its labels ("labels": "3"), 0 when
// they name a file or no finished aggregation run.
std::int64_t trainedOnRun(const Project& project, const RunInfo& info)
{
    const auto it = info.params.find("labels");
    if (it == info.params.end())
        return 0;
    std::int64_t id = 0;
    if (it->is_number_integer()) {
        id = it->get<std::int64_t>();
    } else if (it->is_string()) {
        const std::string& text = it->get_ref<const std::string&>();
        if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), ::isdigit))
            return 0;
        id = std::stoll(text);
    }
    if (id <= 0)
        return 0;
    try {
        const RunInfo labels = project.run(id);
        return labels.kind == "aggregate" && labels.status == "done" ? id : 0;
    } catch (const std::invalid_argument&) {
        return 0;
    }
}

}  // namespace

TriageScale TrajectoryRun::crowdScale() const
{
    return crowdRun != 0 ? naturalTriageScale(crowdStrategy) : TriageScale::Posterior;
}

bool isTrajectoryRun(const RunInfo& info)
{
    return info.kind == "data-parameters" && info.status == "done" && hasOutput(info, "sigma_instance");
}

std::int64_t latestTrajectoryRun(const Project& project)
{
    std::int64_t latest = 0;
    for (const RunInfo& info : project.runs())
        if (isTrajectoryRun(info))
            latest = info.id;
    return latest;
}

std::int64_t chosenTrajectoryRun(const Project& project, std::int64_t requested)
{
    if (requested == 0) {
        const std::int64_t latest = latestTrajectoryRun(project);
        if (latest == 0)
            throw InputError(project.path(), "data-parameters run",
                             "the project has no finished data-parameters run with item sigmas; train one with "
                             "`crowdsift-cli identify`");
        return latest;
    }
    const std::string what = "run " + std::to_string(requested);
    RunInfo info;
    try {
        info = project.run(requested);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), what, "no such run in the project");
    }
    if (!isTrajectoryRun(info))
        throw InputError(project.path(), what,
                         "a " + info.kind + " run (" + info.status
                             + "), not a finished data-parameters run with item sigmas (`identify --instance`)");
    return requested;
}

TrajectoryRun loadTrajectoryRun(const Project& project, const Dataset& dataset, std::int64_t run)
{
    chosenTrajectoryRun(project, run);
    const RunInfo info = project.run(run);
    const std::string what = "run " + std::to_string(run);
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    TrajectoryRun out;
    out.run = run;
    const NpyArray sigma = project.runOutput(run, "sigma_instance");
    if (sigma.rank() != 2 || sigma.shape[0] != n || sigma.shape[1] == 0)
        throw InputError(project.path(), what + " sigma_instance", "is not one row per item of the dataset");
    out.sigma = sigma.as<float>();
    out.epochs = sigma.shape[1];

    const std::int64_t labelsRun = trainedOnRun(project, info);
    out.crowdRun = labelsRun != 0 ? labelsRun : project.activeRun();
    AggregationResult crowd;
    if (out.crowdRun != 0) {
        crowd = loadAggregationRun(project, dataset, out.crowdRun);
        out.crowdStrategy = crowd.strategy;
        out.crowd = triageEvidence(dataset, crowd);
    }
    if (hasOutput(info, "labels")) {
        const NpyArray labels = project.runOutput(run, "labels");
        if (labels.rank() != 1 || labels.shape[0] != n)
            throw InputError(project.path(), what + " labels", "is not one label per item of the dataset");
        const std::vector<std::int32_t> values = labels.as<std::int32_t>();
        out.labels.assign(values.begin(), values.end());
    } else if (labelsRun != 0) {
        out.labels = crowd.labels;
    } else {
        throw InputError(project.path(), what,
                         "stores no labels output and trained on a file: its classes are unknown; run `identify` again");
    }
    for (std::size_t i = 0; i < n; ++i)
        if (out.labels[i] >= dataset.classCount() || out.labels[i] < -1)
            throw InputError(project.path(), what + " labels",
                             "item " + std::to_string(i) + " has class " + std::to_string(out.labels[i]) + " of "
                                 + std::to_string(dataset.classCount()));
    return out;
}

TrajectoryTriageResult applyTrajectoryTriage(const TrajectoryRun& run, int classes, const TrajectoryTriageRule& rule)
{
    TrajectoryTriageResult out;
    out.scores = trajectoryScores(run.sigma, run.epochs, run.labels, classes, rule.window);
    const TriageEvidence* crowd = run.crowd && rule.useCrowd ? &*run.crowd : nullptr;
    out.categories = trajectoryTriage(out.scores, crowd, rule);
    out.wrongProbability = wrongProbability(out.scores, crowd);
    out.bands = bandEstimates(out.categories, out.wrongProbability);
    return out;
}

}  // namespace crowdsift
