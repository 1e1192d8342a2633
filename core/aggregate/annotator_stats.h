#pragma once

// Per-annotator quality figures derived from an aggregation result: what the CLI's
// `annotators` verb prints and the GUI's Annotators tab shows.

#include "aggregate/result.h"
#include "data/dataset.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <vector>

namespace crowdsift {

struct AnnotatorStats {
    int labels = 0;          // answers given (complementary ones excluded)
    int complementary = 0;   // complementary ("not class k") answers given
    int classesUsed = 0;     // distinct labels given
    // Fraction of the annotator's labels equal to the result's hard label; NaN without labels.
    double agreement = 0.0;
    // Probability of a right answer under the result's model:
    // sum_t prior_t * confusion(t, t) / sum over t of prior_t where the annotator's row has mass.
    // An annotator with only complementary answers is judged by its complementary transition
    // matrix Q(t, c) = P(says "not c" | true t), counted against the result's posteriors: the
    // probability that its "not c" is right, 1 - the same sum over Q's diagonal.
    double estimatedAccuracy = 0.0;
    // Raykar & Yu (2012) spammer score of the confusion matrix (of Q for an annotator with only
    // complementary answers), in [0, 1]:
    // 1 / (K (K - 1)) * sum over class pairs c < c' of ||row_c - row_c'||^2. Rows that are all
    // alike (answers independent of the truth) give 0; the identity gives 1 (a "not c" uniform over
    // the wrong classes gives 1 / (K - 1)^2). Rows without mass are left out of the pairs; NaN
    // when fewer than two rows have mass.
    double spammerScore = 0.0;
    double skill = 0.0;      // the strategy's own annotator skill (see its registry entry)
};

// M entries, one per annotator, from `result` (its confusions, priors, labels and skills).
std::vector<AnnotatorStats> annotatorStats(const Dataset& dataset, const AggregationResult& result);

double spammerScore(const Eigen::MatrixXd& confusion);

// JSON array of M objects: id, kind (human | machine), labels, complementary, classes_used, agreement, estimated_accuracy,
// spammer_score, skill and, with `withConfusions`, the K x K confusion (rows = true class).
// NaN values are written as null.
nlohmann::json annotatorStatsJson(const Dataset& dataset, const AggregationResult& result,
                                  const std::vector<AnnotatorStats>& stats, bool withConfusions);

}  // namespace crowdsift
