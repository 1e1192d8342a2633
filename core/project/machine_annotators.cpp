#include "project/machine_annotators.h"

#include "util/error.h"
#include "util/progress.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace crowdsift {

std::vector<std::vector<Answer>> machineAnswers(const Eigen::Ref<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& probabilities,
                                                const std::vector<char>& eligible, const MachineAnswerOptions& options)
{
    const int n = static_cast<int>(probabilities.rows());
    const int k = static_cast<int>(probabilities.cols());
    if (static_cast<int>(eligible.size()) != n)
        throw std::invalid_argument("machineAnswers: eligible does not have one entry per row");
    if (options.complementary < 0 || options.complementary >= k)
        throw InputError("--complementary", std::to_string(options.complementary),
                         "a model can name between 1 and " + std::to_string(k - 1) + " classes it is sure an item is not");
    const int annotators = options.complementary == 0 ? 1 : options.complementary;
    std::vector<std::vector<Answer>> answers(static_cast<std::size_t>(annotators));
    std::vector<int> order(static_cast<std::size_t>(k));
    for (int i = 0; i < n; ++i) {
        if (!eligible[static_cast<std::size_t>(i)])
            continue;
        if (options.complementary == 0) {
            Eigen::Index best = 0;
            const float top = probabilities.row(i).maxCoeff(&best);
            if (top >= options.minConfidence)
                answers[0].push_back(Answer{i, 0, static_cast<std::int32_t>(best), false});
            continue;
        }
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int a, int b) { return probabilities(i, a) < probabilities(i, b); });
        for (int j = 0; j < options.complementary; ++j) {
            const int c = order[static_cast<std::size_t>(j)];
            if (1.0 - probabilities(i, c) >= options.minConfidence)
                answers[static_cast<std::size_t>(j)].push_back(Answer{i, 0, c, true});
        }
    }
    return answers;
}

RunPredictions trainRunPredictions(const Project& project, std::int64_t run)
{
    const std::string where = "run " + std::to_string(run);
    RunInfo info;
    try {
        info = project.run(run);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), where, "no such run");
    }
    if (info.kind != "train" || info.status != "done")
        throw InputError(project.path(), where,
                         "is a " + info.status + " " + info.kind + " run; a machine annotator answers from a finished train run");
    const auto has = [&](const char* name) { return std::find(info.outputs.begin(), info.outputs.end(), name) != info.outputs.end(); };
    if (!has("probabilities") || !has("fold"))
        throw InputError(project.path(), where, "has no probabilities and fold outputs");
    const NpyArray p = project.runOutput(run, "probabilities");
    const NpyArray fold = project.runOutput(run, "fold");
    const auto n = static_cast<std::size_t>(project.itemCount());
    const auto k = static_cast<std::size_t>(project.classCount());
    if (p.rank() != 2 || p.shape[0] != n || p.shape[1] != k || fold.rank() != 1 || fold.shape[0] != n)
        throw InputError(project.path(), where, "its probabilities are not " + std::to_string(n) + " x " + std::to_string(k));
    RunPredictions r;
    r.probabilities.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(k));
    const std::vector<float> values = p.as<float>();
    std::copy(values.begin(), values.end(), r.probabilities.data());
    const std::vector<int> folds = fold.as<int>();
    r.folds = info.params.is_object() && info.params.contains("folds") && info.params["folds"].is_number_integer()
                  ? info.params["folds"].get<int>()
                  : 1 + *std::max_element(folds.begin(), folds.end());
    r.outOfSample.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        r.outOfSample[i] = r.folds >= 2 || folds[i] < 0 ? 1 : 0;
    return r;
}

std::vector<int> storeMachineAnnotators(Project& project, const std::string& name, const nlohmann::json& source,
                                        const MachineAnswerOptions& options, const std::vector<std::vector<Answer>>& answers)
{
    std::vector<std::string> names;
    for (std::size_t j = 0; j < answers.size(); ++j)
        names.push_back(options.complementary == 0 ? name : name + "#" + std::to_string(j + 1));
    const Dataset dataset = project.loadDataset(Progress::none());
    for (const std::string& id : names)
        if (std::find(dataset.annotatorIds.begin(), dataset.annotatorIds.end(), id) != dataset.annotatorIds.end())
            throw std::invalid_argument("the project has an annotator '" + id + "' already (choose another --name)");
    std::vector<int> indices;
    for (std::size_t j = 0; j < answers.size(); ++j) {
        nlohmann::json s = source;
        s["answers"] = options.complementary == 0 ? "top-1" : "not the " + std::to_string(j + 1) + ". least likely class";
        s["complementary"] = options.complementary;
        s["min_confidence"] = options.minConfidence;
        indices.push_back(project.addMachineAnnotator(names[j], s, answers[j]));
    }
    return indices;
}

}  // namespace crowdsift
