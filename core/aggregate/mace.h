#pragma once

// MACE, Multi-Annotator Competence Estimation (Hovy, Berg-Kirkpatrick, Vaswani, Hovy, NAACL 2013),
// as crowd-kit implements it, with one change: the class priors are learned (mean posterior after
// each E-step) unless learn_priors = false, which gives the paper's and crowd-kit's uniform truth.
// On imbalanced classes the uniform truth lets MACE explain the majority class as every good
// annotator's spamming strategy, after which one minority answer outvotes two majority ones
// (reproduced on simulated sparse binary crowds; the likely cause of MACE at 82.8 % against
// Dawid-Skene at 93.6 % on a held-out set of 8,315 items x 3 answers). On each item an annotator either knows
// (probability = competence) and gives the true class, or spams and draws a label from its own
// strategy distribution. Complementary answers are skipped.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <cstdint>

namespace crowdsift {

// `restarts` runs of E-step, then max_iterations of M-step + E-step; the run with the highest
// marginal likelihood wins. Restart r starts from 1 + (1 + default_noise) u, u drawn from
// MT19937 seeded with seed + r exactly as numpy's RandomState(seed + r).random_sample (so restart
// 0 with seed 0 starts where crowd-kit's MACE(random_state=0) does), rows normalised. M-step:
// variational Bayes with Beta(spam_alpha, spam_beta) and symmetric Dirichlet(strategy_prior)
// priors (variational = true, the default), else smoothed maximum likelihood.
// annotatorSkill = competence P(knowing) (normalised); confusions = the model's
// P(answer o | true t) = competence [o = t] + (1 - competence) strategy(o); classPriors = the
// learned priors (uniform with learn_priors = false);
// logLikelihood = the winning run's marginal log-likelihood after each iteration.
// extra: "spamming" (M x 2: [P(spamming), P(knowing)] as estimated, before normalising),
// "strategy" (M x K), "restart" (the winning restart), "restart_log_likelihoods".
// Reads: max_iterations, tolerance, threads, seed, restarts, variational, spam_alpha, spam_beta,
// strategy_prior, default_noise, smoothing, learn_priors.
AggregationResult mace(const Dataset& dataset, const AggregationParams& params, Progress& progress = Progress::none());

// Digamma function psi(x) for x > 0 (absolute error below 1e-15 for x >= 1).
double digamma(double x);

}  // namespace crowdsift
