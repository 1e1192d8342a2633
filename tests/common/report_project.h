#pragma once

// A small project with images, a crowd and a hand-made data-parameters run, for the triage
// report tests (core, CLI, GUI).
//
// 30 items "r0".."r29", item i of class i / 10 ("t-shirt/top", "dress", "bag"), showing a 28 px
// gray PNG of uniform value reportGray(i). Three annotators answer every item with its class,
// except that annotator 2 says the next class for the items with i % 10 == 9. Run 1 is majority
// vote (the active run). The data-parameters run trains on run 1's labels for 4 epochs with a
// constant sigma per item: within each class the items i % 10 = 0..7 sit close together (log
// sigma 0.02 x (i % 10)), i % 10 == 8 a little above (0.2) and i % 10 == 9 far above (1.5), so the
// trajectory rule calls the last hard.

#include "aggregate/registry.h"
#include "data/dataset.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/progress.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace crowdsift::testing {

constexpr int kReportItems = 30;
constexpr int kReportEpochs = 4;

inline int reportGray(int item)
{
    return 10 + 8 * item;
}

inline Dataset reportDataset(const std::string& root)
{
    std::filesystem::create_directories(root + "/images");
    Dataset d;
    d.name = "report";
    d.source = root;
    d.root = root;
    d.format = "csv";
    d.classNames = {"t-shirt/top", "dress", "bag"};
    d.annotatorIds = {"w0", "w1", "w2"};
    std::vector<Answer> answers;
    for (int i = 0; i < kReportItems; ++i) {
        d.itemKeys.push_back("r" + std::to_string(i));
        d.splits.push_back(Split::Train);
        const std::string image = "images/r" + std::to_string(i) + ".png";
        cv::imwrite(root + "/" + image, cv::Mat(28, 28, CV_8UC1, cv::Scalar(reportGray(i))));
        d.imagePaths.push_back(image);
        const int label = i / 10;
        for (int w = 0; w < 3; ++w)
            answers.push_back({i, w, w == 2 && i % 10 == 9 ? (label + 1) % 3 : label, false});
    }
    d.answers = Answers::fromTriplets(kReportItems, 3, answers);
    return d;
}

// Records the data-parameters run described above, trained on `labelsRun`'s labels.
inline std::int64_t addReportDataParametersRun(Project& project, std::int64_t labelsRun)
{
    const std::int64_t run = project.beginRun("data-parameters", {{"labels", std::to_string(labelsRun)}}, "mlp");
    std::vector<float> sigma;
    std::vector<std::int32_t> labels;
    for (int i = 0; i < kReportItems; ++i) {
        const int j = i % 10;
        const double level = j == 9 ? 1.5 : j == 8 ? 0.2 : 0.02 * j;
        for (int e = 0; e < kReportEpochs; ++e)
            sigma.push_back(static_cast<float>(std::exp(level)));
        labels.push_back(i / 10);
    }
    project.addRunOutput(run, "sigma_instance", sigma.data(),
                         {static_cast<std::size_t>(kReportItems), static_cast<std::size_t>(kReportEpochs)});
    project.addRunOutput(run, "labels", labels.data(), {static_cast<std::size_t>(kReportItems)});
    project.finishRun(run, "done", {{"epochs", kReportEpochs}});
    return run;
}

struct ReportProject {
    std::string path;
    std::int64_t crowdRun = 0;
    std::int64_t dataParametersRun = 0;  // 0 when made without
};

// The project `<folder>/report.csift` (images under `<folder>/data`), with the data-parameters
// run when `withDataParameters`.
inline ReportProject makeReportProject(const std::string& folder, bool withDataParameters)
{
    ReportProject out;
    out.path = folder + "/report.csift";
    const Dataset source = reportDataset(folder + "/data");
    Project project = Project::create(out.path, source, Progress::none());
    const Dataset dataset = project.loadDataset(Progress::none());
    const AggregationResult mv = aggregate("mv", dataset);
    out.crowdRun = storeAggregationRun(project, dataset, mv, {{"strategy", "mv"}}, nlohmann::json::object());
    if (withDataParameters)
        out.dataParametersRun = addReportDataParametersRun(project, out.crowdRun);
    return out;
}

}  // namespace crowdsift::testing
