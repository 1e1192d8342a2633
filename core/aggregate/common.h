#pragma once

// Building blocks shared by the aggregation strategies: input checks, vote counts, hard labels
// from posteriors, annotator statistics derived from posteriors.

#include "aggregate/result.h"
#include "data/dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// Throws InputError (naming the dataset and the strategy) when the dataset cannot be aggregated:
// fewer than `minClasses` classes, or an answer label outside [0, K).
void checkAggregationInput(const Dataset& dataset, const std::string& strategy, int minClasses = 2);

// Number of answers the classic strategies use: complementary ("not class k") answers are
// skipped, because these models describe which class an annotator names.
std::int64_t usableAnswerCount(const Dataset& dataset);

// N x K vote counts over usable answers.
RowMatrixXd voteCounts(const Dataset& dataset);

// N x K vote fractions over usable answers; uniform rows for items without any.
RowMatrixXd voteFractions(const Dataset& dataset);

// Hard labels from N x K scores: the largest entry of each row; exact ties go to the smallest
// class index, or with `randomTies` to a class drawn uniformly among the tied ones by a generator
// seeded with (seed, item), so the choice does not depend on threads or on other items. Rows of
// items with `answered[i] == 0` get -1 and are never reported as tied.
struct HardLabels {
    std::vector<int> labels;  // N
    std::vector<int> tied;    // items whose maximum is shared, ascending
};
HardLabels hardLabels(const RowMatrixXd& scores, const std::vector<char>& answered, bool randomTies = false,
                      std::uint64_t seed = 0);

// answered[i] = 1 when item i has at least one usable answer.
std::vector<char> answeredItems(const Dataset& dataset);

// M confusion matrices K x K estimated from posteriors: row t of annotator w holds the posterior
// mass of class t over w's answers, split by the label given, normalised to sum 1 (zero when w's
// answers carry no mass of class t).
std::vector<Eigen::MatrixXd> confusionsFromPosteriors(const Dataset& dataset, const RowMatrixXd& posteriors);

// M entries: fraction of each annotator's usable answers equal to labels[item]; NaN for an
// annotator without usable answers.
Eigen::VectorXd agreementWithLabels(const Dataset& dataset, const std::vector<int>& labels);

// Mean of the rows of `posteriors` over answered items (K entries; uniform when none).
Eigen::VectorXd meanPosterior(const RowMatrixXd& posteriors, const std::vector<char>& answered);

// For each entry of answers.byAnnotator(), the index of the same answer in answers.byItem(). Lets a
// kernel compute per-answer terms item by item (into an array in by-item order) and then sum them
// annotator by annotator, both in parallel and in a fixed order.
std::vector<std::size_t> annotatorMajorPositions(const Answers& answers);

// Deterministic 64-bit mixing (splitmix64), for per-item random streams.
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream);

}  // namespace crowdsift
