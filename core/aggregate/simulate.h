#pragma once

// Simulated crowds with known truth, drawn from the generative models the strategies assume, in
// the shapes real crowdsourced sets take (few answers per item, a heavy-tailed annotator
// workload). For tests and benchmarks: the truth lets them measure what no curator can.

#include "data/dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

enum class CrowdModel {
    OneCoin,    // annotator j right with probability a_j, else uniform over the other classes
    Confusion,  // per true class t an accuracy a_jt; errors follow j's own random distribution
                // over the other classes (Dirichlet(1)): full, asymmetric confusion matrices
    Glad,       // right with probability sigmoid(alpha_j exp(beta_i)), else uniform (GLAD)
    Mace,       // knows (probability a_j) and gives the truth, else draws from j's own
                // strategy distribution over all classes (Dirichlet(1)), as MACE assumes
};

struct CrowdSpec {
    std::string name = "simulated";
    int items = 1000;
    int classes = 2;
    int annotators = 100;
    int answersPerItem = 3;  // distinct annotators per item (at most `annotators`)
    CrowdModel model = CrowdModel::OneCoin;
    // Annotator j is picked for an item with weight 1 / (j + 1)^workloadSkew: 0 spreads the work
    // evenly, 1 and above leave most annotators with a handful of answers.
    double workloadSkew = 0.0;
    // Accuracies (OneCoin, Confusion: per class; Mace: competence) are uniform in [low, high).
    // Glad: alpha_j = logit of that accuracy, beta_i ~ N(0, difficultySpread^2).
    double accuracyLow = 0.6;
    double accuracyHigh = 0.9;
    double difficultySpread = 0.5;
    // Share of annotators who answer uniformly at random whatever the truth.
    double spammerShare = 0.0;
    std::vector<double> classPriors;  // K; empty = uniform
    std::uint64_t seed = 1;
};

// A complete Dataset (truth set, every item in the train split, no images): items "0".."N-1",
// annotators "w0".."w(M-1)", classes "c0".."c(K-1)". Deterministic for a spec on every platform
// (draws from the raw std::mt19937_64 output).
Dataset simulateCrowd(const CrowdSpec& spec);

}  // namespace crowdsift
