#pragma once

// Easy / need-review / hard triage from Data Parameter trajectories (Saxena, Tuzel & DeCoste,
// NeurIPS 2019), combined with the crowd when answers exist. Plain C++: the trajectories come in
// as the N x E float array a data-parameters run stores (sigma_instance), the crowd as the
// TriageEvidence of an aggregation run (analysis/triage.h).
//
// The signal. An item whose label the network finds hard to fit gets a growing instance sigma
// (its logits are softened); clean, typical items get a shrinking one. The network memorises
// noisy labels late in training, after which their sigmas stop growing, so the level is read
// early: an item's level is the mean of log sigma over the first `window` fraction of the epochs
// (the area under its log-sigma trajectory there). Levels are compared within the item's class
// (the label it was trained on): its spread is
//   (level - median of the class's levels) / (interquartile range of the class's levels),
// so a spread of 3 means "three class IQRs above the class's typical item", whatever the learning
// rates and the class's difficulty.
//
// The rule, in this order:
//   hard         no label (not trained on, or no consensus), or spread >= hardSpread;
//   easy         spread <= easySpread and, with the crowd, the consensus score >= easyPosterior
//                (the consensus posterior, or its rank in the run for CROWDLAB runs: see
//                TriageScale in triage.h);
//   need review  every other item.
//
// The estimated share of wrong labels of a band, shown where no truth exists, is the mean over its
// items of a probability that the item's label is wrong: the average (a linear opinion pool) of
// the crowd's 1 - posterior and the trajectory's own estimate, the responsibility of the upper
// component of a two-component Gaussian mixture fitted to all items' spreads; the trajectory's
// alone without the crowd. Neither is calibrated alone (Dawid-Skene posteriors are overconfident,
// the mixture counts hard but correct items too); README "Trajectory triage" compares the
// estimates with the truth.

#include "analysis/triage.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace crowdsift {

struct TrajectoryTriageRule {
    double window = 0.5;        // in (0, 1]: the first fraction of the epochs (at least one) read
    double easySpread = 1.0;    // spread at most this for easy
    double hardSpread = 3.0;    // spread at least this for hard; > easySpread
    bool useCrowd = true;       // ask the crowd's consensus score for easy when evidence exists
    TriageScale scale = TriageScale::Posterior;
    double easyPosterior = 0.9; // in [0, 1]

    // The defaults above; with the rank scale easyPosterior 0.5 (the better half of the run).
    static TrajectoryTriageRule defaults(TriageScale scale);

    // InputError naming the field for a value out of range (window outside (0, 1], spreads not
    // finite or hardSpread <= easySpread, easyPosterior outside [0, 1]).
    void validate() const;
    // One line for the UI: "reads the first 50% of the epochs; easy: spread <= 1.0 class IQR and
    // posterior >= 0.90; hard: no label, or spread >= 3.0; need review: the rest".
    std::string describe() const;
    // {"window", "easy_spread", "hard_spread", "use_crowd", "scale", "easy_posterior"}.
    nlohmann::json toJson() const;
    // Missing keys keep the defaults of the scale; unknown keys, wrong types and invalid values
    // throw InputError.
    static TrajectoryTriageRule fromJson(const nlohmann::json& json);

    bool operator==(const TrajectoryTriageRule& other) const;
    bool operator!=(const TrajectoryTriageRule& other) const { return !(*this == other); }
};

// The per-item numbers the rule reads, from one data-parameters run.
struct TrajectoryScores {
    std::vector<int> labels;      // the class each item was trained on; -1 = not trained on
    std::vector<double> level;    // mean log sigma over the window; NaN where labels[i] < 0
    std::vector<double> spread;   // (level - class median) / class IQR; NaN where labels[i] < 0
    // the mixture's probability that the item is in the upper (noisy) component; NaN where
    // labels[i] < 0
    std::vector<double> noisyProbability;
    int epochsRead = 0;           // the window, in epochs

    int itemCount() const { return static_cast<int>(labels.size()); }
};

// The number of epochs a window reads of an `epochs`-column trajectory: ceil(window x epochs),
// at least 1.
int windowEpochs(double window, std::size_t epochs);

// Scores from `sigma` (N x E, row-major, the sigma_instance output; NaN rows = not trained on)
// and the class of each item (`labels`, N entries, below `classes`); an item with label -1 or a NaN
// first sigma was not trained on. A class whose levels all tie gets an IQR of 1e-6 (every spread 0 or huge). The
// mixture is fitted by EM, started at the median and the 95th percentile, deterministic.
// InputError when the sizes disagree or E is 0.
TrajectoryScores trajectoryScores(const std::vector<float>& sigma, std::size_t epochs, const std::vector<int>& labels,
                                  int classes, double window);

// The rule applied to every item (N entries). `crowd` may be null (no crowd evidence, or
// rule.useCrowd false); otherwise it has the same items, and an item whose crowd label is -1 is
// hard. The rule is validated first.
std::vector<Triage> trajectoryTriage(const TrajectoryScores& scores, const TriageEvidence* crowd,
                                     const TrajectoryTriageRule& rule);

// The per-item probability that the label is wrong described above (N entries; NaN for items
// without a label). `crowd` may be null.
std::vector<double> wrongProbability(const TrajectoryScores& scores, const TriageEvidence* crowd);

// Per band (indexed by Triage): its number of items and the mean of `probability` over them (NaN
// for an empty band; NaN entries skipped).
struct BandEstimate {
    int count = 0;
    double estimatedWrong = 0.0;
};
std::vector<BandEstimate> bandEstimates(const std::vector<Triage>& categories, const std::vector<double>& probability);

// `items` sorted worst first for showing a band: spread descending, then index; items without a
// label first.
std::vector<int> trajectoryReviewOrder(const TrajectoryScores& scores, std::vector<int> items);

// Per class and epoch, the quartiles of the instance sigmas of the items trained on that class:
// K x E each, row-major (NaN for a class without items), for drawing one item's trajectory
// against its class.
struct ClassSigmaQuartiles {
    std::size_t epochs = 0;
    std::vector<float> q25, median, q75;
};
ClassSigmaQuartiles classSigmaQuartiles(const std::vector<float>& sigma, std::size_t epochs,
                                        const std::vector<int>& labels, int classes);

}  // namespace crowdsift
