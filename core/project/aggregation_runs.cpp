#include "project/aggregation_runs.h"

#include "aggregate/complementary.h"
#include "aggregate/registry.h"
#include "project/run_service.h"
#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace crowdsift {

nlohmann::json aggregationSummary(const Dataset& dataset, const AggregationResult& result, double seconds)
{
    nlohmann::json summary = {{"strategy", result.strategy},
                              {"items", dataset.itemCount()},
                              {"iterations", result.iterations},
                              {"converged", result.converged},
                              {"seconds", seconds},
                              {"tied_items", result.tiedItems.size()}};
    if (!result.logLikelihood.empty() && std::isfinite(result.logLikelihood.back()))
        summary["log_likelihood"] = result.logLikelihood.back();
    const double acc = accuracy(result.labels, dataset.truth);
    summary["accuracy"] = std::isfinite(acc) ? nlohmann::json(acc) : nlohmann::json(nullptr);
    std::vector<std::int64_t> perClass(static_cast<std::size_t>(dataset.classCount()), 0);
    for (int label : result.labels)
        if (label >= 0 && label < dataset.classCount())
            ++perClass[static_cast<std::size_t>(label)];
    summary["labels_per_class"] = perClass;
    if (result.extra.is_object() && result.extra.contains("chooser"))
        summary["chooser"] = result.extra["chooser"];
    if (result.extra.is_object() && result.extra.contains("warnings"))
        summary["warnings"] = result.extra["warnings"];
    const std::int64_t complementary = complementaryAnswerCount(dataset);
    if (complementary > 0)
        summary["complementary_answers"] = complementary;
    return summary;
}

void writeAggregationOutputs(Project& project, std::int64_t run, const Dataset& dataset, const AggregationResult& result,
                             const std::map<std::string, Eigen::VectorXd>& extraOutputs)
{
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto m = static_cast<std::size_t>(dataset.annotatorCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    std::vector<std::int32_t> labels(result.labels.begin(), result.labels.end());
    project.addRunOutput(run, "labels", labels.data(), {n});
    project.addRunOutput(run, "posteriors", result.posteriors.data(), {n, k});
    std::vector<double> confusions(m * k * k, 0.0);
    for (std::size_t w = 0; w < m && w < result.confusions.size(); ++w)
        for (std::size_t t = 0; t < k; ++t)
            for (std::size_t o = 0; o < k; ++o)
                confusions[(w * k + t) * k + o]
                    = result.confusions[w](static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(o));
    project.addRunOutput(run, "confusions", confusions.data(), {m, k, k});
    if (result.annotatorSkill.size() == static_cast<Eigen::Index>(m))
        project.addRunOutput(run, "annotator_skill", result.annotatorSkill.data(), {m});
    if (result.classPriors.size() == static_cast<Eigen::Index>(k))
        project.addRunOutput(run, "class_priors", result.classPriors.data(), {k});
    if (result.itemDifficulty.size() == static_cast<Eigen::Index>(n))
        project.addRunOutput(run, "item_difficulty", result.itemDifficulty.data(), {n});
    if (result.hasModelProbabilities()) {
        // float32 like the trainer's own output: half the bytes, far more precision than a
        // probability shown to a curator needs.
        const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> model
            = result.modelProbabilities.cast<float>();
        project.addRunOutput(run, "model_probabilities", model.data(), {n, k});
    }
    if (complementaryAnswerCount(dataset) > 0) {
        // The complementary transition matrix of the data, P("not k" | class y), K x K row-major:
        // classes from the run's posteriors, and from the truth where it is known.
        const auto store = [&](const std::string& name, const Eigen::MatrixXd& q) {
            const RowMatrixXd rows = q;
            project.addRunOutput(run, name, rows.data(), {k, k});
        };
        store("complementary_transition", complementaryTransition(dataset, result.posteriors));
        if (dataset.hasTruth())
            store("complementary_transition_truth", complementaryTransition(dataset, result.posteriors, dataset.truth));
        if (result.extra.is_object() && result.extra.contains("complementary_transitions")) {
            const nlohmann::json& all = result.extra["complementary_transitions"];
            std::vector<double> q(m * k * k, 0.0);
            for (std::size_t w = 0; w < m && w < all.size(); ++w)
                for (std::size_t y = 0; y < k; ++y)
                    for (std::size_t c = 0; c < k; ++c)
                        q[(w * k + y) * k + c] = all[w][y][c].get<double>();
            project.addRunOutput(run, "annotator_complementary_transitions", q.data(), {m, k, k});
        }
    }
    for (const auto& [name, values] : extraOutputs)
        project.addRunOutput(run, name, values.data(), {static_cast<std::size_t>(values.size())});
}

std::int64_t storeAggregationRun(Project& project, const Dataset& dataset, const AggregationResult& result,
                                 const nlohmann::json& params, const nlohmann::json& summary,
                                 const std::map<std::string, Eigen::VectorXd>& extraOutputs,
                                 const std::function<void(std::int64_t run)>& writeMore)
{
    const std::int64_t run = recordRun(project, "aggregate", params, result.strategy, [&](std::int64_t id) {
        writeAggregationOutputs(project, id, dataset, result, extraOutputs);
        if (writeMore)
            writeMore(id);
        return summary;
    });
    project.activateIfNone(run);
    return run;
}

RunComparison compareWithActiveRun(const Project& project, const Dataset& dataset, std::int64_t run,
                                   const std::vector<int>& labels)
{
    RunComparison c;
    c.run = run;
    c.accuracy = accuracy(labels, dataset.truth);
    c.activeRun = project.activeRun();
    c.isActive = c.activeRun == run;
    if (c.activeRun == 0 || c.isActive)
        return c;
    const RunInfo active = project.run(c.activeRun);
    c.activeStrategy = active.name;
    const std::vector<int> activeLabels = project.runOutput(c.activeRun, "labels").as<int>();
    if (activeLabels.size() != labels.size())
        throw StoreError("run " + std::to_string(c.activeRun) + ": output 'labels' does not match the project's items");
    c.activeAccuracy = accuracy(activeLabels, dataset.truth);
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] != activeLabels[i])
            ++c.differing;
    return c;
}

AggregatedRun aggregateIntoRun(Project& project, std::int64_t run, const Dataset& dataset, const std::string& strategy,
                               const nlohmann::json& params, Progress& progress)
{
    AggregatedRun out;
    const auto start = std::chrono::steady_clock::now();
    out.result = aggregate(strategy, dataset, params, progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    project.setRunParams(run, {{"strategy", out.result.strategy}, {"params", out.result.params}});
    progress.stage("writing the outputs");
    writeAggregationOutputs(project, run, dataset, out.result);
    out.summary = aggregationSummary(dataset, out.result, seconds);
    return out;
}

static void requireShape(const NpyArray& array, const std::vector<std::size_t>& shape, std::int64_t run,
                         const std::string& name)
{
    if (array.shape != shape)
        throw StoreError("run " + std::to_string(run) + ": output '" + name
                         + "' does not match the project's items, annotators or classes");
}

bool onlyMachinesJoinedAfter(const Dataset& dataset, std::size_t runAnnotators)
{
    const auto m = static_cast<std::size_t>(dataset.annotatorCount());
    if (runAnnotators >= m)
        return false;
    for (std::size_t w = runAnnotators; w < m; ++w)
        if (!dataset.isMachine(static_cast<int>(w)))
            return false;
    return true;
}

AggregationResult loadAggregationRun(const Project& project, const Dataset& dataset, std::int64_t run)
{
    const RunInfo info = project.run(run);
    if (info.kind != "aggregate" || info.status != "done")
        throw StoreError("run " + std::to_string(run) + " is not a finished aggregation run (" + info.kind + ", "
                         + info.status + ")");
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto m = static_cast<std::size_t>(dataset.annotatorCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    const auto has = [&](const std::string& name) {
        return std::find(info.outputs.begin(), info.outputs.end(), name) != info.outputs.end();
    };

    AggregationResult r;
    r.strategy = info.name;
    r.params = info.params;
    if (info.summary.is_object()) {
        r.iterations = info.summary.value("iterations", 0);
        r.converged = info.summary.value("converged", true);
    }
    NpyArray labels = project.runOutput(run, "labels");
    requireShape(labels, {n}, run, "labels");
    const auto labelValues = labels.as<std::int32_t>();
    r.labels.assign(labelValues.begin(), labelValues.end());

    NpyArray posteriors = project.runOutput(run, "posteriors");
    requireShape(posteriors, {n, k}, run, "posteriors");
    const auto p = posteriors.as<double>();
    r.posteriors = Eigen::Map<const RowMatrixXd>(p.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(k));

    NpyArray confusions = project.runOutput(run, "confusions");
    // Machine annotators added after the run (`annotate`) come last; the run knows nothing of
    // them: zero confusions (no mass) and NaN skill.
    const std::size_t known =
        confusions.rank() == 3 && onlyMachinesJoinedAfter(dataset, confusions.shape[0]) ? confusions.shape[0] : m;
    requireShape(confusions, {known, k, k}, run, "confusions");
    const auto c = confusions.as<double>();
    r.confusions.assign(m, Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k)));
    for (std::size_t w = 0; w < known; ++w)
        r.confusions[w] = Eigen::Map<const RowMatrixXd>(c.data() + w * k * k, static_cast<Eigen::Index>(k),
                                                        static_cast<Eigen::Index>(k));
    if (has("annotator_skill")) {
        const auto s = project.runOutput(run, "annotator_skill").as<double>();
        r.annotatorSkill = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(std::max(s.size(), m)), std::nan(""));
        r.annotatorSkill.head(static_cast<Eigen::Index>(s.size())) =
            Eigen::Map<const Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
    }
    if (has("class_priors")) {
        const auto s = project.runOutput(run, "class_priors").as<double>();
        r.classPriors = Eigen::Map<const Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
    }
    if (has("item_difficulty")) {
        const auto s = project.runOutput(run, "item_difficulty").as<double>();
        r.itemDifficulty = Eigen::Map<const Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
    }
    if (has("model_probabilities")) {
        NpyArray model = project.runOutput(run, "model_probabilities");
        requireShape(model, {n, k}, run, "model_probabilities");
        const auto values = model.as<double>();
        r.modelProbabilities = Eigen::Map<const RowMatrixXd>(values.data(), static_cast<Eigen::Index>(n),
                                                             static_cast<Eigen::Index>(k));
    }
    return r;
}

std::int64_t chosenAggregationRun(const Project& project, std::int64_t requested)
{
    if (requested == 0) {
        const std::int64_t active = project.activeRun();
        if (active == 0)
            throw InputError(project.path(), "", "the project has no aggregation run yet: run `crowdsift-cli aggregate "
                                                     + project.path() + "` first");
        return active;
    }
    std::string known;
    bool found = false;
    for (const RunInfo& info : project.runs()) {
        if (info.kind != "aggregate" || info.status != "done")
            continue;
        found |= info.id == requested;
        known += (known.empty() ? "" : ", ") + std::to_string(info.id) + " (" + info.name + ")";
    }
    if (!found)
        throw InputError(project.path(), "--run " + std::to_string(requested),
                         "no finished aggregation run with this id; the project has "
                             + (known.empty() ? std::string("none") : known));
    return requested;
}

std::int64_t latestAggregationRun(const Project& project)
{
    const auto runs = project.runs();
    for (auto it = runs.rbegin(); it != runs.rend(); ++it)
        if (it->kind == "aggregate" && it->status == "done")
            return it->id;
    return 0;
}

std::string automaticChoice(const RunInfo& run)
{
    if (run.kind != "aggregate" || run.name != "auto" || !run.params.is_object())
        return {};
    const auto inner = run.params.find("params");
    if (inner == run.params.end() || !inner->is_object())
        return {};
    const auto chosen = inner->find("chosen");
    return chosen != inner->end() && chosen->is_string() ? chosen->get<std::string>() : std::string();
}

}  // namespace crowdsift
