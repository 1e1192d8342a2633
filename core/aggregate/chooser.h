#pragma once

// Choosing the aggregation strategy without truth (`-s auto`): every candidate is fitted on part
// of the answers and scored by the likelihood it gives to the answers it did not see.
//
// Folds: the usable answers of each item are dealt round-robin over `folds` folds from a seeded
// random offset per item, so an item never loses more than ceil(n / folds) answers to one fold.
// For fold f the candidate is fitted on every other answer; each held-out answer (item i,
// annotator j, label l) then scores
//     P(l) = sum_k posterior_i(k) P_j(l | k),
// posterior_i from the training answers only (the class priors for an item left without any)
// and P_j the candidate's annotator model fitted on them:
//   - mv: a symmetric model, accuracy a = (training answers equal to their item's majority label
//     + 1) / (training answers + 2), errors uniform over the other K - 1 classes;
//   - glad: sigmoid(alpha_j exp(beta_i)) right, errors uniform; the item's difficulty beta_i is,
//     like its class, a per-item unknown and is integrated out (gladPredictive()) instead of
//     plugged in: fitted to an item's handful of training answers, beta_i overfits (an item whose
//     answers agree looks easy, so a dissenting held-out answer is judged nearly impossible);
//   - the others: their own confusion matrices (AggregationResult::confusions; wds: Dawid-Skene's);
//   - an annotator without training answers: the pooled model, the training annotators' models
//     averaged with their answer counts as weights (glad: the weighted mean alpha).
// P(l) is floored at 1e-6 (a confusion entry of exactly 0 would make one answer veto a model).
// A candidate's score is the mean log P(l) over all held-out answers of all folds.
//
// Guard: fitted on all answers, a candidate that disagrees with majority vote on more than half
// of the items where the vote is unanimous (at least two answers, all equal) is not chosen.
// Choice: ds-prior (Dawid-Skene with its Dirichlet prior, the candidate that is never far from the
// best on the benchmark's datasets and crowds) is kept unless another candidate's score beats it
// by more than `margin` (default 2) standard errors of their paired per-item differences
// (pairedStandardErrors()); among those that do, the highest score wins. On small crowds of weak
// annotators (240 items x 5 answers) the held-out answers carry too little information to rank
// models whose accuracies differ by a few items, and the plain highest score fell back to
// majority vote on every draw, 1.9 points under ds-prior on average. With margin 0, ds-prior
// excluded by the guard, or not among the candidates, the highest score among the rest wins
// (ties: the earlier candidate). Deterministic for a seed and
// the same for any thread count. Cost: folds + 1 runs of every candidate.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crowdsift {

// GLAD's predictive probability that an annotator of ability `alpha` answers `label` on an item
// whose other answers are `labels` from annotators of abilities `alphas`: the item's class
// (uniform prior, as GLAD) and its difficulty beta (GLAD's N(1, 1) prior) integrated out, beta on
// a grid of 241 points over 1 +- 6 (the prior's mass outside is below 2e-9).
double gladPredictive(int k, const std::vector<double>& alphas, const std::vector<int>& labels, double alpha, int label);

// How many standard errors the mean per-answer held-out score of `a` is above that of `b`, given
// each item's sum of held-out log-likelihoods (a[i], b[i]) and its number of held-out answers
// (answersOf[i]). Differences are taken per item, since an item's held-out answers share its
// posterior and are not independent; the standard error is that of a ratio of item sums,
//     mean = sum_i d_i / sum_i n_i,  SE = sqrt(sum_i (d_i - mean n_i)^2) / sum_i n_i.
// +-infinity when every item's difference is exactly its share of the mean and the mean is not 0;
// 0 for identical scores or no answers.
double pairedStandardErrors(const std::vector<double>& a, const std::vector<double>& b,
                            const std::vector<double>& answersOf);

// A candidate is a strategy name, optionally with parameters: "ds-prior:prior_strength=8"
// (key=value pairs after colons, values as JSON, else as strings).
struct CandidateSpec {
    std::string strategy;
    nlohmann::json params;  // object
};
// Throws InputError for an unknown strategy, key or value.
CandidateSpec parseCandidate(const std::string& candidate);

// mv, ds, ds-prior, cc-ds, one-coin-ds, wds, glad, mace: each with its registry defaults.
const std::vector<std::string>& chooserCandidates();

struct CandidateScore {
    std::string strategy;
    double heldOutLogLikelihood = 0;  // mean per held-out answer
    std::int64_t heldOutAnswers = 0;
    double unanimousDisagreement = 0;  // share of unanimous items labelled otherwise (all answers)
    bool excluded = false;
    std::string reason;                // why excluded
    // Standard errors by which this candidate's held-out score beats the default candidate's
    // (negative: below it); 0 for the default, and when no default applies.
    double zOverDefault = 0;
};

struct ChooserReport {
    std::vector<CandidateScore> scores;  // in chooserCandidates() order
    std::string chosen;
    int folds = 0;
    std::uint64_t seed = 0;
    std::string defaultCandidate;  // empty: the highest score won (margin 0, or no usable ds-prior)
    double margin = 0;
    // {"chosen", "candidates" (in order), "folds", "seed", "held_out_log_likelihood" {name: score},
    // "unanimous_disagreement" {name: share}, "excluded" {name: reason}, "default" (null when the
    // highest score won), "margin", "z_over_default" {name: standard errors}}
    nlohmann::json toJson() const;
};

// Scores `candidates` (default: chooserCandidates(); candidate specs as parseCandidate() reads
// them, reported under the spec as given) and fits the chosen one on all answers.
// `result` receives that fit. Reads: folds, seed, threads.
ChooserReport chooseStrategy(const Dataset& dataset, const AggregationParams& params, AggregationResult& result,
                             Progress& progress = Progress::none(),
                             const std::vector<std::string>& candidates = chooserCandidates());

// The registry's "auto": chooseStrategy(), then the chosen fit with params = {"chosen", "folds",
// "seed", "chosen_params"} and extra["chooser"] = the report's JSON (the chosen strategy's own
// extra outputs are kept beside it). annotatorSkill means what it means for the chosen strategy.
AggregationResult autoAggregate(const Dataset& dataset, const AggregationParams& params,
                                Progress& progress = Progress::none());

}  // namespace crowdsift
