#pragma once

// Writes an aggregation result for people and for other tools, chosen by the file extension:
//   .csv   one row per item: task (the dataset's item id), label (the dataset's label value,
//          empty for an item without answers), then one posterior column per class named
//          p_<class name>; plus <stem>.annotators.csv with the per-annotator statistics:
//          annotator,kind,labels,complementary,classes_used,agreement,estimated_accuracy,
//          spammer_score,skill (kind = human | machine; labels = votes, complementary = "not k"
//          answers, classes_used = distinct classes voted for).
//   .json  {strategy, params, classes, iterations, converged, log_likelihood, items: [{task,
//          label, posterior}], annotators: [...with confusion]}.
//   .npy   <path> = posteriors (N x K float64); beside it <stem>.labels.npy (N int32, -1 =
//          no answer), <stem>.confusions.npy (M x K x K float64, [annotator][true][given]),
//          <stem>.skill.npy (M float64).
// Every file is replaced atomically.

#include "aggregate/result.h"
#include "data/dataset.h"

#include <string>
#include <vector>

namespace crowdsift {

// Returns the files written. Throws InputError for an unknown extension or a write failure.
std::vector<std::string> writeAggregation(const Dataset& dataset, const AggregationResult& result,
                                          const std::string& path);

// The JSON document of the .json output.
nlohmann::json aggregationJson(const Dataset& dataset, const AggregationResult& result);

}  // namespace crowdsift
