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

#include "project/store.h"

#include <cstdint>
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

}  // namespace crowdsift
