#include "aggregate/export.h"

#include "aggregate/annotator_stats.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/json.h"
#include "util/npy.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace crowdsift {

namespace fs = std::filesystem;

// Labels of every format we read are integers 0..K-1, so a class index is the label value.
static std::string labelText(int label)
{
    return label < 0 ? std::string() : std::to_string(label);
}

static std::vector<std::string> writeCsv(const Dataset& dataset, const AggregationResult& result,
                                         const std::string& path)
{
    const int k = dataset.classCount();
    std::string out = "task,label";
    for (int c = 0; c < k; ++c)
        out += "," + csvField("p_" + dataset.classNames[static_cast<std::size_t>(c)]);
    out += "\n";
    for (int i = 0; i < dataset.itemCount(); ++i) {
        out += csvField(dataset.itemKeys[static_cast<std::size_t>(i)]);
        out += ",";
        out += labelText(result.labels[static_cast<std::size_t>(i)]);
        for (int c = 0; c < k; ++c) {
            out += ",";
            out += csvNumber(result.posteriors(i, c));
        }
        out += "\n";
    }
    const auto stats = annotatorStats(dataset, result);
    std::string table =
        "annotator,kind,labels,complementary,classes_used,agreement,estimated_accuracy,spammer_score,skill\n";
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        const AnnotatorStats& s = stats[static_cast<std::size_t>(w)];
        table += csvField(dataset.annotatorIds[static_cast<std::size_t>(w)]) + ","
                 + (dataset.isMachine(w) ? "machine," : "human,") + std::to_string(s.labels) + ","
                 + std::to_string(s.complementary) + "," + std::to_string(s.classesUsed) + "," + csvNumber(s.agreement) + ","
                 + csvNumber(s.estimatedAccuracy) + "," + csvNumber(s.spammerScore) + ","
                 + csvNumber(s.skill) + "\n";
    }
    const std::string annotatorsPath = siblingPath(path, ".annotators.csv");
    // Both or neither: never this run's labels beside another run's annotator table.
    writeFilesAtomically({{path, out}, {annotatorsPath, table}});
    return {path, annotatorsPath};
}

nlohmann::json aggregationJson(const Dataset& dataset, const AggregationResult& result)
{
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < dataset.itemCount(); ++i) {
        nlohmann::json posterior = nlohmann::json::array();
        for (int c = 0; c < dataset.classCount(); ++c)
            posterior.push_back(result.posteriors(i, c));
        const int label = result.labels[static_cast<std::size_t>(i)];
        items.push_back({{"task", dataset.itemKeys[static_cast<std::size_t>(i)]},
                         {"label", label < 0 ? nlohmann::json(nullptr) : nlohmann::json(label)},
                         {"posterior", std::move(posterior)}});
    }
    nlohmann::json logLikelihood = nlohmann::json::array();
    for (double v : result.logLikelihood)
        logLikelihood.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
    return {
        {"strategy", result.strategy},
        {"params", result.params},
        {"classes", dataset.classNames},
        {"iterations", result.iterations},
        {"converged", result.converged},
        {"log_likelihood", std::move(logLikelihood)},
        {"items", std::move(items)},
        {"annotators", annotatorStatsJson(dataset, result, annotatorStats(dataset, result), true)},
    };
}

// The four arrays are written together (writeFilesAtomically): a failed write changes none.
static std::vector<std::string> writeNpyFiles(const Dataset& dataset, const AggregationResult& result,
                                              const std::string& path)
{
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto m = static_cast<std::size_t>(dataset.annotatorCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    std::vector<std::int32_t> labels(result.labels.begin(), result.labels.end());
    const std::string labelsPath = siblingPath(path, ".labels.npy");

    std::vector<double> confusions(m * k * k, 0.0);
    for (std::size_t w = 0; w < m && w < result.confusions.size(); ++w)
        for (std::size_t t = 0; t < k; ++t)
            for (std::size_t o = 0; o < k; ++o)
                confusions[(w * k + t) * k + o] = result.confusions[w](static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(o));
    const std::string confusionsPath = siblingPath(path, ".confusions.npy");

    std::vector<double> skill(m, std::nan(""));
    for (std::size_t w = 0; w < m && static_cast<Eigen::Index>(w) < result.annotatorSkill.size(); ++w)
        skill[w] = result.annotatorSkill(static_cast<Eigen::Index>(w));
    const std::string skillPath = siblingPath(path, ".skill.npy");
    writeFilesAtomically({{path, encodeNpy(npyArray(result.posteriors.data(), {n, k}))},
                          {labelsPath, encodeNpy(npyArray(labels.data(), {n}))},
                          {confusionsPath, encodeNpy(npyArray(confusions.data(), {m, k, k}))},
                          {skillPath, encodeNpy(npyArray(skill.data(), {m}))}});
    return {path, labelsPath, confusionsPath, skillPath};
}

std::vector<std::string> writeAggregation(const Dataset& dataset, const AggregationResult& result,
                                          const std::string& path)
{
    const std::string extension = fs::path(path).extension().string();
    if (extension == ".csv")
        return writeCsv(dataset, result, path);
    if (extension == ".json") {
        writeFileAtomically(path, jsonText(aggregationJson(dataset, result), 1, path) + "\n");
        return {path};
    }
    if (extension == ".npy")
        return writeNpyFiles(dataset, result, path);
    throw InputError(path, "", "unknown output type '" + extension + "': use .csv, .json or .npy");
}

}  // namespace crowdsift
