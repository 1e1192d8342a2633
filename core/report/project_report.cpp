#include "report/project_report.h"

#include "project/tsne_runs.h"
#include "util/error.h"

#include <filesystem>
#include <numeric>
#include <optional>
#include <system_error>

namespace crowdsift {

namespace fs = std::filesystem;

std::vector<ClassReport> classReports(const ProjectTriage& triage, const std::vector<int>& classes)
{
    std::vector<ClassReport> reports;
    for (const int k : classes) {
        if (k < 0 || k >= static_cast<int>(triage.bands.size()))
            throw InputError("triage report", "class " + std::to_string(k),
                             "is not a class of the dataset (" + std::to_string(triage.bands.size()) + " classes)");
        ClassReport report;
        report.classIndex = k;
        report.source = triage.source;
        report.note = "Rule: " + triage.rule;
        for (std::size_t b = 0; b < 3; ++b) {
            ReportBand& band = report.bands[b];
            band.items = triage.bands[static_cast<std::size_t>(k)][b];
            band.count = static_cast<int>(band.items.size());
            band.estimatedWrong = triage.estimatedWrong[static_cast<std::size_t>(k)][b];
        }
        reports.push_back(std::move(report));
    }
    return reports;
}

void attachMaps(const Project& project, const ProjectTriage& triage, std::vector<ClassReport>& reports)
{
    const std::vector<RunInfo> whole = tsneRuns(project, -1);
    std::optional<TsneRun> wholeMap;
    for (ClassReport& report : reports) {
        const std::vector<RunInfo> own = tsneRuns(project, report.classIndex);
        std::optional<TsneRun> ownMap;
        if (!own.empty())
            ownMap = loadTsneRun(project, own.back().id, project.itemCount());
        else if (!whole.empty() && !wholeMap)
            wholeMap = loadTsneRun(project, whole.back().id, project.itemCount());
        const TsneRun* map = ownMap ? &*ownMap : wholeMap ? &*wholeMap : nullptr;
        if (!map)
            continue;
        report.map.caption = "t-SNE run " + std::to_string(map->run) + " of " + map->input
                             + (map->mappedClass < 0 ? "; grey: other classes" : ", this class only");
        report.map.coords = map->coords;
        report.map.band.resize(map->items.size());
        for (std::size_t i = 0; i < map->items.size(); ++i) {
            const auto item = static_cast<std::size_t>(map->items[i]);
            report.map.band[i] = triage.classOf[item] == report.classIndex ? static_cast<int>(triage.categories[item]) : -1;
        }
    }
}

ProjectReport writeProjectReport(const Project& project, const Dataset& dataset, const std::string& folder,
                                 const ProjectReportOptions& options, Progress& progress)
{
    options.figure.validate();
    if (options.classIndex >= dataset.classCount() || options.classIndex < -1)
        throw InputError(project.path(), "class " + std::to_string(options.classIndex),
                         "is not a class of the dataset (" + std::to_string(dataset.classCount()) + " classes)");
    ProjectReport out;
    progress.stage("triaging");
    out.triage = projectTriage(project, dataset, options.triage);
    progress.check();
    if (options.classIndex >= 0) {
        std::vector<ClassReport> reports = classReports(out.triage, {options.classIndex});
        if (options.maps)
            attachMaps(project, out.triage, reports);
        std::error_code error;
        const bool created = !fs::exists(folder, error);
        if (created && !fs::create_directories(folder, error) && error)
            throw InputError(folder, "", "cannot create the folder: " + error.message());
        const std::string path = (fs::path(folder) / reportFileName(dataset, options.classIndex)).string();
        try {
            progress.stage("drawing " + dataset.classNames[static_cast<std::size_t>(options.classIndex)]);
            writeClassReport(dataset, reports.front(), path, options.figure);
        } catch (...) {
            // A folder made for the figure goes again (it is empty: the figure is written whole
            // or not at all).
            if (created)
                fs::remove(folder, error);
            throw;
        }
        out.files.push_back(path);
        return out;
    }
    std::vector<int> classes(static_cast<std::size_t>(dataset.classCount()));
    std::iota(classes.begin(), classes.end(), 0);
    std::vector<ClassReport> reports = classReports(out.triage, classes);
    if (options.maps)
        attachMaps(project, out.triage, reports);
    out.files = writeClassReports(dataset, reports, folder, options.figure, progress);
    return out;
}

}  // namespace crowdsift
