#pragma once

// The triage report of a project: the bands of every class from project/triage_source.h drawn as
// the figures of images/triage_report.h, for `crowdsift-cli report` and File > Export Report.
// A module of its own because it joins the project store with OpenCV's drawing, which no lower
// module may do (cmake/CoreLayers.cmake).

#include "data/dataset.h"
#include "images/triage_report.h"
#include "project/store.h"
#include "project/triage_source.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace crowdsift {

// The figures of `classes` (indices in [0, K)) from `triage`: each band's items, count and
// estimate, the triage's source as the source, its rule as the note.
std::vector<ClassReport> classReports(const ProjectTriage& triage, const std::vector<int>& classes);

struct ProjectReportOptions {
    TriageSourceOptions triage;
    ReportOptions figure;
    int classIndex = -1;  // one class, or -1 = every class
    // Beside each class's rows its map (ReportMap): the newest t-SNE run of that class, else the
    // newest of the whole dataset; none without either.
    bool maps = true;
};

struct ProjectReport {
    ProjectTriage triage;
    std::vector<std::string> files;  // the paths written (with every class, report.json last)
};

// Triages the project (projectTriage) and writes into `folder`: with one class its PNG alone
// (writeClassReport; the folder is created when missing, and removed again when that fails), with
// every class one PNG per class plus report.json (writeClassReports: all or nothing). InputError
// for a class outside the dataset.
// Sets each report's map as ProjectReportOptions::maps describes, from the project's t-SNE runs;
// the bands come from `triage`. Reports of classes without a map keep none.
void attachMaps(const Project& project, const ProjectTriage& triage, std::vector<ClassReport>& reports);

ProjectReport writeProjectReport(const Project& project, const Dataset& dataset, const std::string& folder,
                                 const ProjectReportOptions& options, Progress& progress = Progress::none());

}  // namespace crowdsift
