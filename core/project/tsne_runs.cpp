#include "project/tsne_runs.h"

#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "project/trajectory_runs.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace crowdsift {

namespace {

bool hasOutput(const RunInfo& info, const char* name)
{
    return std::find(info.outputs.begin(), info.outputs.end(), name) != info.outputs.end();
}

int paramInt(const nlohmann::json& params, const char* key, int fallback)
{
    const auto it = params.find(key);
    return it != params.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

}  // namespace

bool isTsneRun(const RunInfo& info)
{
    return info.kind == "tsne" && info.status == "done" && hasOutput(info, "coords") && hasOutput(info, "items");
}

std::vector<RunInfo> tsneRuns(const Project& project, int mappedClass)
{
    std::vector<RunInfo> found;
    for (RunInfo& info : project.runs())
        if (isTsneRun(info) && (mappedClass < -1 || paramInt(info.params, "class", -1) == mappedClass))
            found.push_back(std::move(info));
    return found;
}

TsneRun loadTsneRun(const Project& project, std::int64_t run, int itemCount)
{
    const std::string what = "run " + std::to_string(run);
    RunInfo info;
    try {
        info = project.run(run);
    } catch (const std::invalid_argument&) {
        throw InputError(project.path(), what, "no such run");
    }
    if (!isTsneRun(info))
        throw InputError(project.path(), what, "not a finished tsne (map) run");

    TsneRun result;
    result.run = run;
    result.input = info.params.value("input", std::string());
    const auto source = info.params.find("source_run");
    result.sourceRun = source != info.params.end() && source->is_number_integer() ? source->get<std::int64_t>() : 0;
    result.mappedClass = paramInt(info.params, "class", -1);
    result.items = project.runOutput(run, "items").as<std::int32_t>();
    const NpyArray coords = project.runOutput(run, "coords");
    if (coords.shape.size() != 2 || coords.shape[1] != 2 || coords.shape[0] != result.items.size())
        throw StoreError(project.path() + ": " + what + ": coords are not " + std::to_string(result.items.size()) +
                         " x 2");
    result.coords = coords.as<float>();
    for (std::int32_t item : result.items)
        if (item < 0 || item >= itemCount)
            throw StoreError(project.path() + ": " + what + ": item " + std::to_string(item) + " outside the dataset");
    if (hasOutput(info, "kl") && hasOutput(info, "kl_iter")) {
        result.kl = project.runOutput(run, "kl").as<double>();
        result.klIteration = project.runOutput(run, "kl_iter").as<std::int32_t>();
        if (result.kl.size() != result.klIteration.size())
            throw StoreError(project.path() + ": " + what + ": kl and kl_iter differ in length");
    }
    return result;
}

void writeTsneOutputs(Project& project, std::int64_t run, const std::vector<std::int32_t>& items,
                      const std::vector<float>& coords, const std::vector<double>& kl,
                      const std::vector<std::int32_t>& klIteration)
{
    if (coords.size() != items.size() * 2 || kl.size() != klIteration.size())
        throw std::invalid_argument("writeTsneOutputs: coords must be items x 2 and kl match kl_iter");
    project.addRunOutput(run, "items", items.data(), {items.size()});
    project.addRunOutput(run, "coords", coords.data(), {items.size(), 2});
    project.addRunOutput(run, "kl", kl.data(), {kl.size()});
    project.addRunOutput(run, "kl_iter", klIteration.data(), {klIteration.size()});
}

namespace {

bool finiteRow(const float* row, std::size_t d)
{
    for (std::size_t c = 0; c < d; ++c)
        if (!std::isfinite(row[c]))
            return false;
    return true;
}

// Keeps the rows of `all` (n x d) whose item passes `keep` and whose values are finite.
template <typename Keep>
void takeRows(TsneInput& out, const float* all, std::size_t n, std::size_t d, Keep keep)
{
    out.dimension = d;
    for (std::size_t i = 0; i < n; ++i)
        if (keep(i) && finiteRow(all + i * d, d)) {
            out.items.push_back(static_cast<std::int32_t>(i));
            out.matrix.insert(out.matrix.end(), all + i * d, all + (i + 1) * d);
        }
}

// The newest finished run with an `embeddings` output, 0 when none.
std::int64_t latestEmbeddingRun(const Project& project)
{
    std::int64_t found = 0;
    for (const RunInfo& info : project.runs())
        if (info.status == "done" && hasOutput(info, "embeddings"))
            found = info.id;
    return found;
}

}  // namespace

const std::vector<std::string>& tsneInputNames()
{
    static const std::vector<std::string> names{"trajectories", "embeddings", "features", "gist"};
    return names;
}

std::string storedGistPath(const Project& project, int itemCount)
{
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path folder(project.cacheDir());
    if (!fs::is_directory(folder, error))
        return {};
    std::string newest;
    fs::file_time_type newestTime;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("gist-", 0) != 0 || entry.path().extension() != ".npy")
            continue;
        try {
            const NpyArray array = readNpy(entry.path().string());
            if (array.rank() != 2 || array.shape[0] != static_cast<std::size_t>(itemCount))
                continue;
        } catch (const std::exception&) {
            continue;  // a cache file being written or damaged is not a candidate
        }
        const fs::file_time_type time = entry.last_write_time(error);
        if (newest.empty() || time > newestTime) {
            newest = entry.path().string();
            newestTime = time;
        }
    }
    return newest;
}

TsneInput gatherTsneInput(const Project& project, const Dataset& dataset, const std::string& input, std::int64_t run,
                          int mappedClass, std::int64_t classRun)
{
    const std::size_t n = static_cast<std::size_t>(dataset.itemCount());
    std::vector<int> consensus;
    TsneInput out;
    out.input = input;
    out.mappedClass = mappedClass;
    if (mappedClass >= 0) {
        if (mappedClass >= dataset.classCount())
            throw InputError(project.path(), "class " + std::to_string(mappedClass),
                             "no such class (the dataset has " + std::to_string(dataset.classCount()) + ")");
        out.classRun = chosenAggregationRun(project, classRun);
        consensus = loadAggregationRun(project, dataset, out.classRun).labels;
    } else if (mappedClass < -1) {
        throw InputError(project.path(), "class " + std::to_string(mappedClass), "a class is 0 or more (-1 = all)");
    }
    auto inClass = [&](std::size_t i) { return mappedClass < 0 || consensus[i] == mappedClass; };

    if (input == "trajectories") {
        out.sourceRun = chosenTrajectoryRun(project, run);
        const TrajectoryRun trajectories = loadTrajectoryRun(project, dataset, out.sourceRun);
        std::vector<float> logSigma(trajectories.sigma.size());
        for (std::size_t v = 0; v < logSigma.size(); ++v)
            logSigma[v] = trajectories.sigma[v] > 0 ? std::log(trajectories.sigma[v]) : NAN;
        takeRows(out, logSigma.data(), n, trajectories.epochs,
                 [&](std::size_t i) { return trajectories.labels[i] >= 0 && inClass(i); });
        out.source = "log sigma of data-parameters run " + std::to_string(out.sourceRun) + " (" +
                     std::to_string(trajectories.epochs) + " epochs)";
    } else if (input == "embeddings") {
        out.sourceRun = run != 0 ? run : latestEmbeddingRun(project);
        if (out.sourceRun == 0)
            throw InputError(project.path(), "embeddings",
                             "no finished run has model embeddings; train a model first (crowdsift-cli train)");
        RunInfo info;
        try {
            info = project.run(out.sourceRun);
        } catch (const std::invalid_argument&) {
            throw InputError(project.path(), "run " + std::to_string(out.sourceRun), "no such run");
        }
        if (info.status != "done" || !hasOutput(info, "embeddings"))
            throw InputError(project.path(), "run " + std::to_string(out.sourceRun),
                             "not a finished run with an embeddings output");
        const NpyArray embeddings = project.runOutput(out.sourceRun, "embeddings");
        if (embeddings.rank() != 2 || embeddings.shape[0] != n || embeddings.shape[1] == 0)
            throw InputError(project.path(), "run " + std::to_string(out.sourceRun) + " embeddings",
                             "is not one row per item of the dataset");
        const std::vector<float> values = embeddings.as<float>();
        takeRows(out, values.data(), n, embeddings.shape[1], inClass);
        out.source = "embeddings of run " + std::to_string(out.sourceRun) + " (" + std::to_string(embeddings.shape[1]) +
                     " dimensions)";
    } else if (input == "features") {
        if (dataset.features.rows() != static_cast<Eigen::Index>(n) || dataset.features.cols() == 0)
            throw InputError(project.path(), "features", "the dataset has no feature vectors");
        takeRows(out, dataset.features.data(), n, static_cast<std::size_t>(dataset.features.cols()), inClass);
        out.source = "the dataset's feature vectors (" + std::to_string(dataset.features.cols()) + " dimensions)";
    } else if (input == "gist") {
        const std::string path = storedGistPath(project, dataset.itemCount());
        if (path.empty())
            throw InputError(project.cacheDir(), "gist",
                             "no cached GIST features of this dataset; compute them with "
                             "`crowdsift-cli train <project> --input gist` (or the Learning tab) first");
        const NpyArray gist = readNpy(path);
        const std::vector<float> values = gist.as<float>();
        takeRows(out, values.data(), n, gist.shape[1], inClass);
        out.source = "GIST features " + std::filesystem::path(path).filename().string() + " (" +
                     std::to_string(gist.shape[1]) + " dimensions)";
    } else {
        throw InputError(project.path(), "input " + input, "expected trajectories, embeddings, features or gist");
    }
    if (mappedClass >= 0)
        out.source += ", class " + dataset.classNames[static_cast<std::size_t>(mappedClass)] + " of aggregation run " +
                      std::to_string(out.classRun);
    if (out.items.size() < 4)
        throw InputError(project.path(), out.source,
                         std::to_string(out.items.size()) + " items to map; a map needs at least 4");
    return out;
}

nlohmann::json tsneParams(const TsneOptions& options)
{
    const char* method = options.method == TsneMethod::Exact ? "exact" : options.method == TsneMethod::Fft ? "fft" : "auto";
    return {{"perplexity", options.perplexity},
            {"iterations", options.iterations},
            {"early_iterations", options.earlyIterations},
            {"early_exaggeration", options.earlyExaggeration},
            {"exaggeration", options.exaggeration},
            {"learning_rate", options.learningRate},
            {"method", method},
            {"init", options.init == TsneInit::Pca ? "pca" : "random"},
            {"seed", options.seed}};
}

TsneOptions tsneOptionsFromParams(const nlohmann::json& params)
{
    TsneOptions options;
    options.perplexity = params.value("perplexity", options.perplexity);
    options.iterations = params.value("iterations", options.iterations);
    options.earlyIterations = params.value("early_iterations", options.earlyIterations);
    options.earlyExaggeration = params.value("early_exaggeration", options.earlyExaggeration);
    options.exaggeration = params.value("exaggeration", options.exaggeration);
    options.learningRate = params.value("learning_rate", options.learningRate);
    const std::string method = params.value("method", std::string("auto"));
    options.method = method == "exact" ? TsneMethod::Exact : method == "fft" ? TsneMethod::Fft : TsneMethod::Auto;
    options.init = params.value("init", std::string("pca")) == "random" ? TsneInit::Random : TsneInit::Pca;
    options.seed = params.value("seed", options.seed);
    return options;
}

nlohmann::json tsneSummary(const TsneInput& input, const TsneResult& map, double seconds)
{
    return {{"points", input.items.size()},
            {"dimension", input.dimension},
            {"exact", map.exact},
            {"perplexity", map.perplexity},
            {"kl", map.kl.empty() ? nlohmann::json() : nlohmann::json(map.kl.back())},
            {"seconds", seconds},
            {"source", input.source}};
}

std::int64_t runTsne(Project& project, const TsneInput& input, const TsneOptions& options, Progress& progress,
                     TsneResult* result, const std::function<void(std::int64_t run)>& started)
{
    nlohmann::json params = tsneParams(options);
    params["input"] = input.input;
    params["source_run"] = input.sourceRun;
    params["class"] = input.mappedClass;
    params["class_run"] = input.classRun;
    const std::string name = input.input + (input.mappedClass >= 0 ? ", class " + std::to_string(input.mappedClass) : "");
    return recordRun(
        project, "tsne", params, name,
        [&](std::int64_t run) {
            const auto start = std::chrono::steady_clock::now();
            TsneResult map = tsne(input.matrix.data(), input.items.size(), input.dimension, options, progress);
            writeTsneOutputs(project, run, input.items, map.coords, map.kl, map.klIteration);
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            nlohmann::json summary = tsneSummary(input, map, seconds);
            if (result)
                *result = std::move(map);
            return summary;
        },
        started, input.sourceRun);
}

}  // namespace crowdsift
