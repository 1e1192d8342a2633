#pragma once

// Dawid-Skene family, by expectation-maximisation. Complementary answers are skipped.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <vector>

namespace crowdsift {

// Dawid & Skene (1979): class priors and one full K x K confusion matrix per annotator.
// Initialised from the majority-vote fractions (priors = their mean, then an M-step); each
// iteration is E-step, priors = mean posterior, M-step, as in crowd-kit's DawidSkene. As there,
// confusion entries of labels an annotator actually gave are clipped to >= 1e-10 before
// normalising (so no class is ruled out for good by one unlucky answer), entries of labels the
// annotator never gave stay 0, and priors are clipped to >= 1e-10 in the E-step.
// logLikelihood[t] = log P(answers | parameters entering iteration t's E-step), the marginal
// log-likelihood; it never decreases. Stops when it gains less than tolerance * answers or after
// max_iterations. annotatorSkill = expected accuracy sum_t prior_t * confusion(t, t).
// Reads: max_iterations, tolerance, threads.
AggregationResult dawidSkene(const Dataset& dataset, const AggregationParams& params,
                             Progress& progress = Progress::none());

// Dawid-Skene by MAP EM under a Dirichlet prior on each row of each confusion matrix, for
// annotators with few answers, whose full K x K matrices plain EM overfits (a handful of answers
// fixes K - 1 free entries per true class). The prior's pseudo-counts are prior_strength times
// the pooled confusion row (all annotators' answers together, re-estimated each iteration):
// conf_w(o | t) = (n_w(t, o) + S pooled(o | t)) / (n_w(t) + S), where n_w(t, o) is the posterior
// mass of true class t on w's answers o. S is a number of pseudo-answers per true class: an
// annotator with many more answers than S keeps its own matrix, one with a few is pulled to the
// crowd's. Entries are clipped to >= 1e-10 (every label has mass now, given or not). S = 0 is
// dawidSkene() bit for bit. Initialisation, iteration order, log-likelihood (the marginal
// likelihood, without the prior's term) and stopping as dawidSkene().
// Reads: max_iterations, tolerance, threads, prior_strength.
AggregationResult dawidSkenePrior(const Dataset& dataset, const AggregationParams& params,
                                  Progress& progress = Progress::none());

// Class-conditional Dawid-Skene: per annotator one accuracy per true class, s_w(t) = P(w answers
// t | true t), errors uniform over the other K - 1 classes (K parameters per annotator instead of
// K x (K - 1)); for K = 2 it has as many parameters as full Dawid-Skene. Entries clipped to
// [1e-10, 1 - 1e-10]; prior_strength adds the same Dirichlet pseudo-counts as dawidSkenePrior()
// before the diagonal is taken. Otherwise as dawidSkene().
// Reads: max_iterations, tolerance, threads, prior_strength.
AggregationResult classConditionalDawidSkene(const Dataset& dataset, const AggregationParams& params,
                                             Progress& progress = Progress::none());

// One-coin Dawid-Skene (crowd-kit's OneCoinDawidSkene): each annotator has one skill s, the
// probability of naming the true class; a wrong answer is uniform over the other K - 1 classes.
// M-step: s = mean posterior of the labels the annotator gave (the maximum-likelihood skill);
// confusion entries are clipped to [1e-10, 1 - 1e-10]. Same initialisation, iteration order,
// log-likelihood and stopping as dawidSkene(). confusions = the full one-coin matrices,
// annotatorSkill = s. Reads: max_iterations, tolerance, threads.
AggregationResult oneCoinDawidSkene(const Dataset& dataset, const AggregationParams& params,
                                    Progress& progress = Progress::none());

// WDS, weighted Dawid-Skene soft labels (peerannot): runs dawidSkene(), then
// posteriors(i, k) proportional to the sum, over the annotators who answered k on item i, of
// their confusion(k, k). Hard labels, ties as majorityVote(). confusions, annotatorSkill,
// iterations and logLikelihood are those of the Dawid-Skene run.
// Reads: max_iterations, tolerance, threads, seed, random_ties.
AggregationResult weightedDawidSkene(const Dataset& dataset, const AggregationParams& params,
                                     Progress& progress = Progress::none());

// The WDS weighting alone, for given confusions (M matrices K x K, [true][given]): N x K
// posteriors; an item whose weights sum to 0 gets its vote fractions, an item without answers
// the uniform distribution.
RowMatrixXd wdsPosteriors(const Dataset& dataset, const std::vector<Eigen::MatrixXd>& confusions);

}  // namespace crowdsift
