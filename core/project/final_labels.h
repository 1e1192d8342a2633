#pragma once

// The curated result of a project: per item the curator's decision, else the consensus of an
// aggregation run, with the run's posterior and a label-quality score; written for people and
// other tools (File > Export, `crowdsift-cli export`).
//
// Files, chosen by the extension of `path`:
//   .csv   header task,label,source,posterior,quality,note; one row per item in index order.
//          task = the item id; label = class index ("" when none); source = decision |
//          consensus | none; posterior = the run's posterior of the final label; quality = its
//          label-quality score; both "" when there is no label; note = the curator's note.
//   .json  {project, run, strategy, quality_method, classes, counts: {decision, consensus,
//          none, relabelled, accepted}, items: [{task, label, class, source, status, posterior,
//          quality, note, reviewer, time, decision, accepted_from_run}]}; label, class, posterior
//          and quality are null without a label; status (relabel | accept), reviewer, time
//          (seconds since the Unix epoch, UTC) and decision (the row id) are null unless source is
//          decision; accepted_from_run is the run whose consensus an accept confirmed, else null.
//   .npy   <path> = labels (N int32, -1 = none); beside it <stem>.source.npy (N uint8: 0 none,
//          1 consensus, 2 decision), <stem>.posterior.npy and <stem>.quality.npy (N float64,
//          NaN = none).
// Every file is replaced atomically.

#include "aggregate/label_quality.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "project/review.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

enum class LabelSource : std::uint8_t { None = 0, Consensus = 1, Decision = 2 };

// "none", "consensus", "decision".
const char* labelSourceName(LabelSource source);

struct FinalLabels {
    std::int64_t run = 0;  // the aggregation run the consensus comes from; 0 = not stored
    std::string strategy;
    LabelQualityMethod qualityMethod = LabelQualityMethod::SelfConfidence;

    // N entries each. A relabelled item takes its decided class, an accepted item the label the
    // curator accepted (whatever run is used now), an undecided item the run's label (source
    // none when the run has none: an item without answers). An accepted item counts as a
    // decision.
    std::vector<int> labels;             // -1 = none
    std::vector<LabelSource> sources;
    std::vector<double> posterior;       // run posterior of labels[i]; NaN when none
    std::vector<double> quality;         // labelQualityScore of labels[i] under the run's posteriors; NaN when none
    // The row holding the item's decision (status relabel or accept) when source is decision,
    // plus the item's note whatever the source (a note row alone keeps the consensus).
    std::vector<Decision> decisions;

    int itemCount() const { return static_cast<int>(labels.size()); }
    int count(LabelSource source) const;
};

// Throws InputError when `result` or `review` does not match the dataset's items and classes.
FinalLabels finalLabels(const Dataset& dataset, const AggregationResult& result, const ReviewState& review,
                        LabelQualityMethod qualityMethod = LabelQualityMethod::SelfConfidence,
                        std::int64_t run = 0);

// The document of the .json file; `projectPath` fills "project" (may be empty).
nlohmann::json finalLabelsJson(const Dataset& dataset, const FinalLabels& labels,
                               const std::string& projectPath = {});

// Writes by extension (see above) and returns the files written. Throws InputError for an
// unknown extension or a write failure.
std::vector<std::string> writeFinalLabels(const Dataset& dataset, const FinalLabels& labels, const std::string& path,
                                          const std::string& projectPath = {});

// `curatorId` itself when no annotator of the dataset has it, else "<curatorId>-2",
// "<curatorId>-3", ... the first that is free.
std::string uniqueAnnotatorId(const Dataset& dataset, const std::string& curatorId);

// The dataset with one more annotator, uniqueAnnotatorId(dataset, curatorId), appended last
// (index M), who answers every decided item (relabel or accept with a label) with its final
// label. All original answers are kept.
Dataset withCuratorAnnotator(const Dataset& dataset, const FinalLabels& labels,
                             const std::string& curatorId = "curator");

// writePeerannot() of withCuratorAnnotator() into `folder` (answers.json, metadata.json; images
// are not copied). Returns the curator's annotator id.
std::string writeCuratedPeerannot(const Dataset& dataset, const FinalLabels& labels, const std::string& folder,
                                  const std::string& curatorId = "curator");

}  // namespace crowdsift
