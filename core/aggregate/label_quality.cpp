#include "aggregate/label_quality.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace crowdsift {

namespace {

// cleanlab's CLIPPING_LOWER_BOUND.
constexpr double kClip = 1e-6;

}  // namespace

const char* labelQualityMethodName(LabelQualityMethod method)
{
    switch (method) {
    case LabelQualityMethod::SelfConfidence: return "self_confidence";
    case LabelQualityMethod::NormalizedMargin: return "normalized_margin";
    case LabelQualityMethod::ConfidenceWeightedEntropy: return "confidence_weighted_entropy";
    }
    return "self_confidence";
}

LabelQualityMethod parseLabelQualityMethod(const std::string& name)
{
    for (LabelQualityMethod m : {LabelQualityMethod::SelfConfidence, LabelQualityMethod::NormalizedMargin,
                                 LabelQualityMethod::ConfidenceWeightedEntropy})
        if (name == labelQualityMethodName(m))
            return m;
    throw InputError("label quality method", name,
                     "unknown method; known: self_confidence, normalized_margin, confidence_weighted_entropy");
}

double labelQualityScore(int label, const double* p, int k, LabelQualityMethod method)
{
    const double self = p[label];
    switch (method) {
    case LabelQualityMethod::SelfConfidence:
        return self;
    case LabelQualityMethod::NormalizedMargin: {
        double other = -INFINITY;
        for (int c = 0; c < k; ++c)
            if (c != label)
                other = std::max(other, p[c]);
        if (k == 1)
            other = 0;
        return (self - other + 1) / 2;
    }
    case LabelQualityMethod::ConfidenceWeightedEntropy: {
        double entropy = 0;
        for (int c = 0; c < k; ++c)
            if (p[c] > 0)
                entropy -= p[c] * std::log(p[c]);
        const double normalized = k > 1 ? entropy / std::log(static_cast<double>(k)) : 0.0;
        const double score = normalized / std::max(self, kClip);
        return std::log(score + 1) / std::max(score, kClip);
    }
    }
    return self;
}

Eigen::VectorXd labelQualityScores(const std::vector<int>& labels, const ProbabilityMatrix& probabilities,
                                   LabelQualityMethod method)
{
    const Eigen::Index n = probabilities.rows();
    const int k = static_cast<int>(probabilities.cols());
    if (static_cast<Eigen::Index>(labels.size()) != n)
        throw InputError("label quality", "labels",
                         std::to_string(labels.size()) + " labels for " + std::to_string(n) + " rows of probabilities");
    Eigen::VectorXd scores(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        const int label = labels[static_cast<std::size_t>(i)];
        if (label < 0 || label >= k)
            throw InputError("label quality", "item " + std::to_string(i),
                             "label " + std::to_string(label) + " is outside the " + std::to_string(k) + " classes");
        const double* row = probabilities.row(i).data();
        for (int c = 0; c < k; ++c)
            if (!(row[c] >= 0 && row[c] <= 1))
                throw InputError("label quality", "item " + std::to_string(i),
                                 "probability " + std::to_string(row[c]) + " is outside [0, 1]");
        scores[i] = labelQualityScore(label, row, k, method);
    }
    return scores;
}

}  // namespace crowdsift
