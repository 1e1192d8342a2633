#include "project/tsne_runs.h"

#include "util/error.h"

#include <algorithm>
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

}  // namespace crowdsift
