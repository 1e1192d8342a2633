#pragma once

// Small real fixtures for the GUI tests: the first items of the demo (Fashion-MNIST images with
// a simulated crowd) and a project of them with a stored Dawid-Skene run, as the Review tab
// opens one.

#include "aggregate/registry.h"
#include "images/demo.h"
#include "data/formats.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/progress.h"

#include <QString>

namespace crowdsift::testing {

// The demo's first `items` items, written to `folder` and read back as a dataset.
inline Dataset readSmallDemo(const QString& folder, int items)
{
    DemoOptions options;
    options.itemCount = items;
    return readDataset(buildDemo(folder.toStdString(), options).folder);
}

// A new project at `path` holding `dataset` and one stored Dawid-Skene run of it.
inline void createDawidSkeneProject(const QString& path, const Dataset& dataset)
{
    Project project = Project::create(path.toStdString(), dataset, Progress::none());
    const AggregationResult result = aggregate("ds", dataset, nlohmann::json::object(), Progress::none());
    storeAggregationRun(project, dataset, result, {{"strategy", "ds"}}, nlohmann::json::object());
}

}  // namespace crowdsift::testing
