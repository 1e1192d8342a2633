#include "mapjob.h"

#include "runjob.h"

#include "project/store.h"
#include "project/tsne_runs.h"

#include <QCoreApplication>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace crowdsift {

RunJob* startMapJob(ProjectDocument* document, JobManager* jobs, const MapRequest& request, MapEngine engine)
{
    RunRequest run;
    run.title = request.mappedClass < 0
                    ? QCoreApplication::translate("MapJob", "Map: t-SNE of %1").arg(QString::fromStdString(request.input))
                    : QCoreApplication::translate("MapJob", "Map: t-SNE of %1, class %2")
                          .arg(QString::fromStdString(request.input))
                          .arg(request.mappedClass);
    run.kind = "tsne";
    run.name = "tsne";
    run.params = request.settings.is_object() ? request.settings : nlohmann::json::object();
    run.params["input"] = request.input;
    run.params["source_run"] = request.sourceRun;
    run.params["class"] = request.mappedClass;
    run.work = [request, engine = std::move(engine)](RunContext& context) {
        MapResult map = engine(context.project, context.dataset, request, context.progress);
        if (map.coords.size() != map.items.size() * 2)
            throw std::runtime_error("the map engine returned " + std::to_string(map.coords.size()) +
                                     " coordinates for " + std::to_string(map.items.size()) + " items");
        writeTsneOutputs(context.project, context.run, map.items, map.coords, map.kl, map.klIteration);
        RunJobResult out;
        out.summary = std::move(map.summary);
        out.summary["points"] = map.items.size();
        out.log.append(QCoreApplication::translate("MapJob", "%n point(s) mapped", nullptr, static_cast<int>(map.items.size())));
        return out;
    };
    return RunJob::start(document, jobs, std::move(run));
}

MapResult computeMap(const Project& project, const Dataset& dataset, const MapRequest& request, Progress& progress)
{
    const auto start = std::chrono::steady_clock::now();
    const TsneInput input = gatherTsneInput(project, dataset, request.input, request.sourceRun, request.mappedClass);
    TsneResult map = tsne(input.matrix.data(), input.items.size(), input.dimension,
                          tsneOptionsFromParams(request.settings), progress);
    MapResult result;
    result.summary = tsneSummary(input, map, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    result.items = input.items;
    result.coords = std::move(map.coords);
    result.kl = std::move(map.kl);
    result.klIteration = std::move(map.klIteration);
    return result;
}

}  // namespace crowdsift
