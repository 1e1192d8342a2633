#pragma once

// Triage report figures: per class, one PNG in the manner of the Data Parameters paper's figures
// (Saxena, Tuzel & DeCoste, NeurIPS 2019): a title with the class and where the triage came from,
// then a row each for the easy, need-review and hard items of the class, with the band's count,
// its estimated share of wrong labels and up to `perRow` representative images framed green,
// orange and red (the Review tab's colours). Plain data in, so that this module needs nothing of
// the triage rules: report/project_report.h fills it from a project.
//
// Which images represent a band (representativeItems), from its items ordered worst first:
//   easy         the most typical: the last items of the order, best first;
//   need review  spread evenly through the order (the middle of each of perRow equal slices);
//   hard         the most extreme: the first items of the order.
// A band with at most perRow items shows all of them (easy best first, the others worst first).
//
// Images are scaled to fit a tile of tileSize pixels: by a whole factor with nearest-neighbour
// interpolation when they are smaller (a 28 px Fashion-MNIST image becomes 112 px of crisp
// pixels), with area interpolation when larger; an item without an image or with an unreadable
// one gets a grey tile saying so, not a failed report. Text is OpenCV's Hershey sans, ASCII only:
// other characters of class names and item keys are drawn as '?'.

#include "data/dataset.h"
#include "util/progress.h"

#include <opencv2/core.hpp>

#include <array>
#include <limits>
#include <string>
#include <vector>

namespace crowdsift {

// The bands, in the order of analysis/triage.h's Triage values.
enum class ReportBandKind { Easy = 0, NeedReview = 1, Hard = 2 };

struct ReportBand {
    int count = 0;  // the class's items in the band
    // The estimated share of wrong labels among them, in [0, 1]; NaN = not known (not shown).
    double estimatedWrong = std::numeric_limits<double>::quiet_NaN();
    std::vector<int> items;  // the band's items (dataset indices), worst first; `count` entries
};

// A map of the class (a t-SNE run, project/tsne_runs.h) drawn to the right of the rows, as in the
// per-class t-SNE figures: the class's points in the band colours (hard drawn last, on top), and
// for a whole-dataset map the other classes' points in light grey beneath; the view fits the
// class's points (all points when none is the class's), with a caption under it.
struct ReportMap {
    std::string caption;        // e.g. "t-SNE run 7 of the trajectories, whole dataset"
    std::vector<float> coords;  // n x 2, row-major
    std::vector<int> band;      // n: the point's band (ReportBandKind) when it is the class's, else -1
};

struct ClassReport {
    int classIndex = 0;   // in [0, K) of the dataset
    std::string source;   // where the triage came from, e.g. "Data Parameters run 5"
    std::string note;     // a small line at the bottom (e.g. the rule); may be empty
    std::array<ReportBand, 3> bands;  // indexed by ReportBandKind
    ReportMap map;                    // no map when it has no points

    int itemCount() const { return bands[0].count + bands[1].count + bands[2].count; }
};

struct ReportOptions {
    int perRow = 8;      // representative images per band, in [1, 64]
    int tileSize = 112;  // pixels of an image tile inside its border, in [16, 512]
    int border = 6;      // pixels of the coloured frame, in [1, 32]
    int mapSize = 480;   // pixels of the map's square panel, in [120, 2048]

    // InputError naming the field when a value is out of range.
    void validate() const;
};

// Up to `count` items of `items` (ordered worst first) that stand for band `band`, as the header
// describes; deterministic.
std::vector<int> representativeItems(const std::vector<int>& items, ReportBandKind band, int count);

// The figure, 8-bit BGR. InputError when the class or an item is outside the dataset, a band's
// count differs from its items, the map's coords are not n x 2 or a band is outside [-1, 2], or
// the options are out of range. `tiles`, when given, receives
// per band the framed rectangle (border included) of each image shown, in the order shown.
cv::Mat renderClassReport(const Dataset& dataset, const ClassReport& report, const ReportOptions& options = {},
                          std::array<std::vector<cv::Rect>, 3>* tiles = nullptr);

// An estimated share of wrong labels as the figures print it: "0 %", "< 0.1 %", "2.4 %", "49 %";
// "" for NaN.
std::string estimateText(double share);

// A class name as a file stem: ASCII letters, digits, '-', '_' and '.' kept, runs of anything
// else become one '_', leading and trailing '_' and '.' removed, at most 60 characters; "class"
// when nothing is left.
std::string sanitizedFileStem(const std::string& name);
// "<classIndex>_<sanitized name>.png", e.g. "3_dress.png" for class 3 "dress"; a name that
// already starts with its index and '_' (Fashion-MNIST's "3_dress") is not prefixed twice.
std::string reportFileName(const Dataset& dataset, int classIndex);

// Renders `report` and writes it as a PNG at `path`: into a temporary file created exclusively in
// the same folder (which must exist), flushed, then renamed over `path`, so that `path` is never
// half written. InputError naming the file on failure (the temporary file is removed).
void writeClassReport(const Dataset& dataset, const ClassReport& report, const std::string& path,
                      const ReportOptions& options = {});

// Writes one PNG per report into folder `folder` (created when missing), named reportFileName(),
// plus `report.json`: {"source", "note", "per_row", "classes": [{"class", "name", "file", "items",
// "easy" / "need_review" / "hard": {"count", "estimated_wrong" (null when not known)}}]}; the
// source and note are the first report's. All or nothing: every file is rendered into a temporary
// folder inside `folder` first and moved in only once all are written, so an error or a
// cancellation (one progress step per class) leaves no new file, and a folder created for the
// report is removed again. Existing files of the same names are replaced. Returns the paths
// written, the index last.
std::vector<std::string> writeClassReports(const Dataset& dataset, const std::vector<ClassReport>& reports,
                                           const std::string& folder, const ReportOptions& options = {},
                                           Progress& progress = Progress::none());

}  // namespace crowdsift
