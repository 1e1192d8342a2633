#include "project/final_labels.h"

#include "data/formats.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/json.h"
#include "util/npy.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <unordered_set>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json numberOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

std::vector<std::string> writeCsv(const Dataset& dataset, const FinalLabels& labels, const std::string& path)
{
    std::string out = "task,label,source,posterior,quality,note\n";
    for (int i = 0; i < labels.itemCount(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        out += csvField(dataset.itemKeys[u]);
        out += ',';
        if (labels.labels[u] >= 0)
            out += std::to_string(labels.labels[u]);
        out += ',';
        out += labelSourceName(labels.sources[u]);
        out += ',';
        out += csvNumber(labels.posterior[u]);
        out += ',';
        out += csvNumber(labels.quality[u]);
        out += ',';
        out += csvField(labels.decisions[u].note);
        out += '\n';
    }
    writeFileAtomically(path, out);
    return {path};
}

// The four arrays are written together (writeFilesAtomically): a failed export leaves none of
// them changed, never a set of one export's labels beside another's posteriors.
std::vector<std::string> writeNpyFiles(const FinalLabels& labels, const std::string& path)
{
    const auto n = static_cast<std::size_t>(labels.itemCount());
    const std::vector<std::int32_t> values(labels.labels.begin(), labels.labels.end());
    std::vector<std::uint8_t> sources(n);
    for (std::size_t i = 0; i < n; ++i)
        sources[i] = static_cast<std::uint8_t>(labels.sources[i]);
    const std::string sourcePath = siblingPath(path, ".source.npy");
    const std::string posteriorPath = siblingPath(path, ".posterior.npy");
    const std::string qualityPath = siblingPath(path, ".quality.npy");
    writeFilesAtomically({{path, encodeNpy(npyArray(values.data(), {n}))},
                          {sourcePath, encodeNpy(npyArray(sources.data(), {n}))},
                          {posteriorPath, encodeNpy(npyArray(labels.posterior.data(), {n}))},
                          {qualityPath, encodeNpy(npyArray(labels.quality.data(), {n}))}});
    return {path, sourcePath, posteriorPath, qualityPath};
}

}  // namespace

const char* labelSourceName(LabelSource source)
{
    switch (source) {
    case LabelSource::None: return "none";
    case LabelSource::Consensus: return "consensus";
    case LabelSource::Decision: return "decision";
    }
    return "none";
}

int FinalLabels::count(LabelSource source) const
{
    return static_cast<int>(std::count(sources.begin(), sources.end(), source));
}

FinalLabels finalLabels(const Dataset& dataset, const AggregationResult& result, const ReviewState& review,
                        LabelQualityMethod qualityMethod, std::int64_t run)
{
    const int n = dataset.itemCount();
    const int k = dataset.classCount();
    if (result.itemCount() != n || result.posteriors.rows() != n || result.classCount() != k)
        throw InputError("final labels", "run " + std::to_string(run),
                         "the aggregation covers " + std::to_string(result.itemCount()) + " items and "
                             + std::to_string(result.classCount()) + " classes, the dataset "
                             + std::to_string(n) + " items and " + std::to_string(k) + " classes");
    if (review.itemCount() != n)
        throw InputError("final labels", "review", "the decisions cover " + std::to_string(review.itemCount())
                                                       + " items, the dataset " + std::to_string(n));
    FinalLabels out;
    out.run = run;
    out.strategy = result.strategy;
    out.qualityMethod = qualityMethod;
    out.labels.assign(static_cast<std::size_t>(n), -1);
    out.sources.assign(static_cast<std::size_t>(n), LabelSource::None);
    out.posterior.assign(static_cast<std::size_t>(n), kNaN);
    out.quality.assign(static_cast<std::size_t>(n), kNaN);
    out.decisions.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const int consensus = result.labels[u];
        const int label = review.labelOf(i, consensus);
        if (label >= k)
            throw InputError("final labels", "item " + dataset.itemKeys[u],
                             "label " + std::to_string(label) + " is outside the " + std::to_string(k) + " classes");
        const Decision* row = review.decisionRow(i);
        if (label >= 0) {
            out.labels[u] = label;
            out.sources[u] = row ? LabelSource::Decision : LabelSource::Consensus;
            const double* p = result.posteriors.row(i).data();
            out.posterior[u] = p[label];
            out.quality[u] = labelQualityScore(label, p, k, qualityMethod);
        }
        if (row && label >= 0)
            out.decisions[u] = *row;
        out.decisions[u].note = review.noteOf(i);
    }
    return out;
}

nlohmann::json finalLabelsJson(const Dataset& dataset, const FinalLabels& labels, const std::string& projectPath)
{
    int relabelled = 0;
    int accepted = 0;
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < labels.itemCount(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        const int label = labels.labels[u];
        const Decision& d = labels.decisions[u];
        const bool decided = labels.sources[u] == LabelSource::Decision;
        if (decided)
            ++(d.status == decision_status::Relabel ? relabelled : accepted);
        const auto ifDecided = [&](const nlohmann::json& value) { return decided ? value : nlohmann::json(nullptr); };
        items.push_back({{"task", dataset.itemKeys[u]},
                         {"label", label < 0 ? nlohmann::json(nullptr) : nlohmann::json(label)},
                         {"class", label < 0 ? nlohmann::json(nullptr)
                                             : nlohmann::json(dataset.classNames[static_cast<std::size_t>(label)])},
                         {"source", labelSourceName(labels.sources[u])},
                         {"status", ifDecided(d.status)},
                         {"posterior", numberOrNull(labels.posterior[u])},
                         {"quality", numberOrNull(labels.quality[u])},
                         {"note", d.note},
                         {"reviewer", ifDecided(d.reviewer)},
                         {"time", ifDecided(d.time)},
                         {"decision", ifDecided(d.id)},
                         {"accepted_from_run", decided && d.run != 0 ? nlohmann::json(d.run) : nlohmann::json(nullptr)}});
    }
    return {{"project", projectPath},
            {"run", labels.run},
            {"strategy", labels.strategy},
            {"quality_method", labelQualityMethodName(labels.qualityMethod)},
            {"classes", dataset.classNames},
            {"counts",
             {{"decision", labels.count(LabelSource::Decision)},
              {"consensus", labels.count(LabelSource::Consensus)},
              {"none", labels.count(LabelSource::None)},
              {"relabelled", relabelled},
              {"accepted", accepted}}},
            {"items", std::move(items)}};
}

std::vector<std::string> writeFinalLabels(const Dataset& dataset, const FinalLabels& labels, const std::string& path,
                                          const std::string& projectPath)
{
    if (labels.itemCount() != dataset.itemCount())
        throw InputError(path, "", "the final labels cover " + std::to_string(labels.itemCount())
                                       + " items, the dataset " + std::to_string(dataset.itemCount()));
    const std::string extension = fs::path(path).extension().string();
    if (extension == ".csv")
        return writeCsv(dataset, labels, path);
    if (extension == ".json") {
        writeFileAtomically(path, jsonText(finalLabelsJson(dataset, labels, projectPath), 1, path) + "\n");
        return {path};
    }
    if (extension == ".npy")
        return writeNpyFiles(labels, path);
    throw InputError(path, "", "unknown output type '" + extension + "': use .csv, .json or .npy");
}

std::string uniqueAnnotatorId(const Dataset& dataset, const std::string& curatorId)
{
    const std::unordered_set<std::string> taken(dataset.annotatorIds.begin(), dataset.annotatorIds.end());
    if (!taken.count(curatorId))
        return curatorId;
    for (int suffix = 2;; ++suffix) {
        std::string id = curatorId + "-" + std::to_string(suffix);
        if (!taken.count(id))
            return id;
    }
}

Dataset withCuratorAnnotator(const Dataset& dataset, const FinalLabels& labels, const std::string& curatorId)
{
    if (labels.itemCount() != dataset.itemCount())
        throw InputError("curator annotator", "", "the final labels cover " + std::to_string(labels.itemCount())
                                                      + " items, the dataset " + std::to_string(dataset.itemCount()));
    Dataset out = dataset;
    const int curator = dataset.annotatorCount();
    out.annotatorIds.push_back(uniqueAnnotatorId(dataset, curatorId));
    // The curator is a person; the machine marks, when there are any, stay one per annotator.
    if (!out.machineAnnotators.empty())
        out.machineAnnotators.push_back(0);
    std::vector<Answer> triplets = dataset.answers.triplets();
    for (int i = 0; i < labels.itemCount(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        if (labels.sources[u] == LabelSource::Decision)
            triplets.push_back({i, curator, labels.labels[u], false});
    }
    out.answers = Answers::fromTriplets(dataset.itemCount(), curator + 1, triplets);
    return out;
}

std::string writeCuratedPeerannot(const Dataset& dataset, const FinalLabels& labels, const std::string& folder,
                                  const std::string& curatorId)
{
    const Dataset curated = withCuratorAnnotator(dataset, labels, curatorId);
    writePeerannot(curated, folder);
    return curated.annotatorIds.back();
}

}  // namespace crowdsift
