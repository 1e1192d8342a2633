#pragma once

// The "Compute map" job of the Map tab: one place where the t-SNE engine plugs into the GUI. The
// job is a RunJob (runjob.h) that records a run of kind "tsne" with the params of
// core/project/tsne_runs.h, calls the engine on the worker thread and writes its outputs with
// writeTsneOutputs. The engine itself is a MapEngine handed in by whoever wires the tab
// (MainWindow, once the engine is part of the build), so this file names no engine header.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crowdsift {

class JobManager;
class Progress;
class Project;
class ProjectDocument;
class RunJob;
struct Dataset;

// What "Compute map" asks for: the run params "input" (trajectories | embeddings | features |
// gist), "source_run" (the run the input comes from, 0 = none) and "class" (-1 = the whole
// dataset, else the class whose items are mapped), plus the engine's `settings` (perplexity,
// iterations, seed, ...), all stored as the run's params.
struct MapRequest {
    std::string input;
    std::int64_t sourceRun = 0;
    int mappedClass = -1;
    nlohmann::json settings = nlohmann::json::object();
};

// What the engine returns: the outputs of a tsne run (tsne_runs.h) and the run's summary.
struct MapResult {
    std::vector<std::int32_t> items;  // n mapped dataset items, ascending
    std::vector<float> coords;        // n x 2, row-major, in items order
    std::vector<double> kl;           // KL divergence per recorded iteration (may be empty)
    std::vector<std::int32_t> klIteration;
    nlohmann::json summary = nlohmann::json::object();
};

// Computes the map of `request` on a worker thread from `project` (the job's own connection) and
// `dataset`; polls `progress` for cancellation (throws Cancelled) and throws a std::exception with
// a message for the curator on failure.
using MapEngine = std::function<MapResult(const Project& project, const Dataset& dataset, const MapRequest& request,
                                          Progress& progress)>;

// The engine of the Map tab's "Compute map": gatherTsneInput (project/tsne_runs.h) for the
// request's input, source run and class, then the t-SNE of analysis/tsne.h with the options of
// request.settings (tsneOptionsFromParams); the summary is tsneSummary's.
MapResult computeMap(const Project& project, const Dataset& dataset, const MapRequest& request, Progress& progress);

// Starts the job for `request` through `jobs`; null when no project is open.
RunJob* startMapJob(ProjectDocument* document, JobManager* jobs, const MapRequest& request, MapEngine engine);

}  // namespace crowdsift
