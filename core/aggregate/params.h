#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// Parameters of the aggregation strategies. One flat struct so that the CLI, the GUI and the
// project store handle every strategy alike; each strategy reads only the fields listed for it in
// the registry (StrategyInfo::parameters) and starts from its own defaults
// (StrategyInfo::defaults). Stored as JSON with the snake_case keys given below.
struct AggregationParams {
    // EM strategies (ds, one-coin-ds, wds, glad, mace): at most this many EM iterations
    // (MACE: per restart). "max_iterations"
    int maxIterations = 100;
    // Stop once an iteration gains less than `tolerance` in the strategy's objective per answer
    // (log-likelihood; GLAD: log-posterior). A negative value never stops early. "tolerance"
    double tolerance = 1e-5;
    // Worker threads, 0 = every core. Results are bit-identical for any value. "threads"
    int threads = 0;
    // Seed of every random choice (random tie-breaks, MACE's initial values). "seed"
    std::uint64_t seed = 0;
    // mv, naive-soft, wawa, wds: break exact ties among the most probable classes uniformly at
    // random (seeded, per item) instead of taking the smallest class index. "random_ties"
    bool randomTies = false;

    // ds-prior, cc-ds (and ds, where the default 0 keeps plain EM): strength S of the Dirichlet
    // prior on the confusion rows, in pseudo-answers per true class, spread as the pooled
    // confusion of all annotators (dawid_skene.h). "prior_strength"
    double priorStrength = 0.0;
    // auto: folds of answers for the held-out likelihood (chooser.h). "folds"
    int folds = 5;
    // auto: the default candidate (ds-prior) is replaced only by a candidate whose held-out score
    // beats it by more than `margin` standard errors of their per-item differences (chooser.h);
    // 0 takes the highest score. "margin"
    double margin = 2.0;

    // GLAD: L-BFGS iterations per M-step at most, and the M-step stops once the gradient's
    // largest component is below m_step_tolerance (scipy's gtol; crowd-kit uses 25 and 1e-2).
    // "m_step_iterations", "m_step_tolerance"
    int mStepIterations = 25;
    double mStepTolerance = 1e-2;

    // MACE: independent random restarts (restart r uses seed + r; the run with the best marginal
    // likelihood wins). "restarts"
    int restarts = 10;
    // MACE: variational Bayes M-step with the priors below (true) or smoothed maximum
    // likelihood (false). "variational"
    bool variational = true;
    // MACE: Beta(spam_alpha, spam_beta) prior on (spamming, knowing). "spam_alpha", "spam_beta"
    double spamAlpha = 0.5;
    double spamBeta = 0.5;
    // MACE: symmetric Dirichlet prior on each annotator's spamming strategy. "strategy_prior"
    double strategyPrior = 10.0;
    // MACE: initial values are 1 + (1 + default_noise) * u, u uniform in [0, 1), then normalised
    // per annotator (crowd-kit's scipy.stats.uniform(1, 1 + default_noise)). "default_noise"
    double defaultNoise = 0.5;
    // MACE: estimate the class priors (mean posterior, each M-step) instead of the paper's
    // uniform truth. Without it, on imbalanced classes MACE explains the majority class as every
    // annotator's spamming strategy, and one minority answer outvotes two majority ones.
    // "learn_priors"
    bool learnPriors = true;
    // MACE with variational = false: pseudo-count added before normalising; negative means
    // 0.01 / K. "smoothing"
    double smoothing = -1.0;

    nlohmann::json toJson() const;
    // Overrides the fields of `base` named in `json` (an object). Throws InputError for a key
    // that is not a parameter, a value of the wrong type or out of range.
    static AggregationParams fromJson(const nlohmann::json& json, const AggregationParams& base);
    static AggregationParams fromJson(const nlohmann::json& json);
    static std::vector<std::string> keys();
};

}  // namespace crowdsift
