#pragma once

// The stored form of a map (t-SNE) run, kind "tsne": the contract between the engine that
// computes it (analysis/tsne.h, the CLI's `tsne`, the Learning / Map jobs) and what shows it (the
// Map tab, the report). Reads and writes stored arrays only: no torch, no Qt.
//
// Outputs of a tsne run:
//   coords  float32, n x 2: the map coordinates of the mapped items, in `items` order
//   items   int32, n: the dataset item index of each mapped point (ascending)
//   kl      float64, one per recorded iteration: the KL divergence at that iteration
//   kl_iter int32, the iteration number of each kl value
// Params: "input" (trajectories | embeddings | features | gist), "source_run" (the run the input
// came from, 0 = none), "class" (-1 = the whole dataset, else the class whose items were mapped),
// plus the engine's settings (perplexity, iterations, seed, ...).

#include "analysis/tsne.h"
#include "data/dataset.h"
#include "project/store.h"
#include "util/progress.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crowdsift {

struct TsneRun {
    std::int64_t run = 0;
    std::string input;              // params "input"
    std::int64_t sourceRun = 0;     // params "source_run"
    int mappedClass = -1;           // params "class": -1 = whole dataset
    std::vector<std::int32_t> items;
    std::vector<float> coords;      // items.size() x 2
    std::vector<double> kl;
    std::vector<std::int32_t> klIteration;
};

// True when `info` is a finished tsne run with coordinates.
bool isTsneRun(const RunInfo& info);

// Finished tsne runs of the project, oldest first; with mappedClass >= -1 only those of that
// class (-1 = whole-dataset maps); with -2 all.
std::vector<RunInfo> tsneRuns(const Project& project, int mappedClass = -2);

// Reads run `run`. InputError naming it when it is not a finished tsne run; StoreError when its
// arrays are inconsistent (coords not items x 2, an item outside [0, itemCount)).
TsneRun loadTsneRun(const Project& project, std::int64_t run, int itemCount);

// Writes the outputs above for run `run` (inside the run service's body).
void writeTsneOutputs(Project& project, std::int64_t run, const std::vector<std::int32_t>& items,
                      const std::vector<float>& coords, const std::vector<double>& kl,
                      const std::vector<std::int32_t>& klIteration);

// --- Computing a map inside a project. ---

// What a map is drawn from (params "input"):
//   trajectories  log sigma_instance (N x epochs) of a data-parameters run (`identify`), the items it
//                 trained on (trajectory_runs.h);
//   embeddings    the `embeddings` output (N x D float32, out-of-fold) of a train / loop run, the
//                 items whose row is finite;
//   features      the dataset's feature vectors (Dataset::features);
//   gist          the GIST scene features cached in the project's cache folder (gist-<key>.npy,
//                 images/scene_features.h) by `train --input gist` or the Learning tab: the project
//                 layer reads them and never decodes images, so the light CLI maps them too.
const std::vector<std::string>& tsneInputNames();

struct TsneInput {
    std::string input;
    std::int64_t sourceRun = 0;        // the run the rows come from; 0 = the dataset itself
    int mappedClass = -1;              // -1 = every item with a row
    std::int64_t classRun = 0;         // the aggregation run whose consensus chose the class's items
    std::vector<std::int32_t> items;   // ascending dataset indices
    std::vector<float> matrix;         // items.size() x dimension, row-major
    std::size_t dimension = 0;
    std::string source;                // in words, for the terminal and the GUI
};

// The rows a map of `input` draws: `run` names the source run (0 = the newest that has the input;
// ignored for features and gist). mappedClass >= 0 keeps the items whose consensus label in
// aggregation run `classRun` (0 = the active run) is that class. InputError naming the project, the
// run or the class when the input is missing, the class is out of range or fewer than 4 items remain.
TsneInput gatherTsneInput(const Project& project, const Dataset& dataset, const std::string& input, std::int64_t run,
                          int mappedClass, std::int64_t classRun = 0);

// The newest cached GIST array of the project (N rows): its path, "" when there is none.
std::string storedGistPath(const Project& project, int itemCount);

// Maps `input` with `options` as a tsne run (recordRun: "cancelled" when progress is cancelled,
// "failed" on an error, either rethrown), params input / source_run / class / class_run plus the
// options, summary points, dimension, exact, kl (the last recorded), perplexity. Returns the run id;
// `result` receives the map when given.
std::int64_t runTsne(Project& project, const TsneInput& input, const TsneOptions& options,
                     Progress& progress = Progress::none(), TsneResult* result = nullptr,
                     const std::function<void(std::int64_t run)>& started = {});

// The summary of a tsne run: points, dimension, exact, perplexity, kl (the last recorded, null
// without), seconds, source.
nlohmann::json tsneSummary(const TsneInput& input, const TsneResult& map, double seconds);

// The options as stored in a run's params ("perplexity", "iterations", ...) and back (missing keys
// keep the defaults).
nlohmann::json tsneParams(const TsneOptions& options);
TsneOptions tsneOptionsFromParams(const nlohmann::json& params);

}  // namespace crowdsift
