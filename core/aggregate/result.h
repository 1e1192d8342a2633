#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// What every aggregation strategy returns, for N items, M annotators and K classes.
// Items without any (non-complementary) answer get label -1 and, as posterior, the class priors.
struct AggregationResult {
    std::string strategy;  // registry name, e.g. "ds"
    nlohmann::json params;  // the effective AggregationParams, as JSON

    std::vector<int> labels;  // N hard labels in [0, K), -1 = item has no answer
    RowMatrixXd posteriors;   // N x K, row-major; each row sums to 1
    // M matrices of K x K: confusions[w](t, o) = P(annotator w answers o | true class t); the
    // strategy's own model where it has one (ds, one-coin-ds, wds), otherwise estimated from its
    // posteriors (soft counts of w's answers, each row normalised; a row without mass is zero).
    std::vector<Eigen::MatrixXd> confusions;
    Eigen::VectorXd classPriors;     // K
    // M scalars, higher = better; the meaning depends on the strategy (see the registry):
    // agreement with the hard labels, expected accuracy, one-coin skill, GLAD alpha, MACE
    // competence.
    Eigen::VectorXd annotatorSkill;
    Eigen::VectorXd itemDifficulty;  // N for GLAD (beta, log scale), empty otherwise
    int iterations = 0;               // EM iterations run (0 for closed-form strategies)
    // false when an EM strategy hit max_iterations before gaining less than its tolerance (always
    // true with a negative tolerance, which asks for exactly max_iterations)
    bool converged = true;
    // The objective after each iteration where the strategy has one: marginal log-likelihood
    // (ds, one-coin-ds, wds, mace), log-posterior (glad). Never decreases for ds, one-coin-ds,
    // glad.
    std::vector<double> logLikelihood;
    std::vector<int> tiedItems;  // items whose largest posterior is shared by several classes
    // N x K for CROWDLAB runs (crowdlab, crowdlab-loop): the out-of-sample model probabilities the
    // consensus combined with the votes, rows summing to 1; 0 x 0 for strategies without a model.
    RowMatrixXd modelProbabilities;
    nlohmann::json extra;        // strategy-specific outputs (MACE strategies, skipped answers)

    int itemCount() const { return static_cast<int>(labels.size()); }
    int classCount() const { return static_cast<int>(posteriors.cols()); }
    // True when modelProbabilities holds a row per item and a column per class.
    bool hasModelProbabilities() const
    {
        return modelProbabilities.rows() == posteriors.rows() && modelProbabilities.cols() == posteriors.cols()
               && modelProbabilities.size() > 0;
    }
};

// Fraction of items with known truth (truth >= 0) whose label equals it; NaN when none is known.
double accuracy(const std::vector<int>& labels, const std::vector<std::int32_t>& truth);

}  // namespace crowdsift
