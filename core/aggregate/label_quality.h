#pragma once

// Label-quality scores of given labels under model-predicted probabilities, as cleanlab's
// rank.get_label_quality_scores (adjust_pred_probs = False): one score in [0, 1] per item, lower
// = the label is more likely wrong.
//
// Lives in aggregate, not analysis: CROWDLAB (aggregate/crowdlab) scores answers with it, and
// analysis builds on aggregate (triage reads AggregationResult), never the other way round.

#include <Eigen/Core>

#include <string>
#include <vector>

namespace crowdsift {

enum class LabelQualityMethod {
    SelfConfidence,             // p[label]
    NormalizedMargin,           // (p[label] - max over other classes of p + 1) / 2
    ConfidenceWeightedEntropy,  // s = H(p) / log(K) / max(p[label], 1e-6); log(s + 1) / max(s, 1e-6)
};

// "self_confidence", "normalized_margin", "confidence_weighted_entropy" (cleanlab's names).
const char* labelQualityMethodName(LabelQualityMethod method);
// Throws InputError for any other name.
LabelQualityMethod parseLabelQualityMethod(const std::string& name);

using ProbabilityMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// One score per row of `probabilities` (N x K, row-major, rows of probabilities) for the label in
// `labels` (N entries in [0, K)). Throws InputError on a size mismatch, a label out of range, or
// a probability outside [0, 1].
Eigen::VectorXd labelQualityScores(const std::vector<int>& labels, const ProbabilityMatrix& probabilities,
                                   LabelQualityMethod method = LabelQualityMethod::SelfConfidence);

// Score of one label given one row of K probabilities (no checks), the kernel of the above.
double labelQualityScore(int label, const double* probabilities, int classCount, LabelQualityMethod method);

}  // namespace crowdsift
