#pragma once

// GLAD, "Generative model of Labels, Abilities, and Difficulties" (Whitehill, Ruvolo, Wu, Bergsma,
// Movellan, NIPS 2009), for any number of classes as in crowd-kit: annotator j answers item i
// correctly with probability sigmoid(alpha_j * exp(beta_i)), otherwise uniformly one of the K - 1
// wrong classes. alpha_j is the ability (0 = guessing, negative = adversarial); beta_i is the log
// of the item's inverse difficulty. Class priors are uniform; alpha and beta have N(1, 1) priors
// (maximum a posteriori, like crowd-kit and peerannot). Complementary answers are skipped.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

namespace crowdsift {

// EM from alpha = beta = 1. E-step: exact posteriors. M-step: L-BFGS (lbfgs.h) on the expected
// complete-data log-posterior over all alpha and beta jointly, warm-started from the previous
// values, at most m_step_iterations iterations or until the largest gradient component is below
// m_step_tolerance. Each M-step only accepts improvements, so the log-posterior
// (logLikelihood: log P(answers | alpha, beta) + log P(alpha) + log P(beta), without the priors'
// normalising constant) never decreases.
// Stops when an iteration gains less than tolerance per answer, or after max_iterations.
// annotatorSkill = alpha, itemDifficulty = beta, confusions estimated from the posteriors.
// Reads: max_iterations, tolerance, threads, m_step_iterations, m_step_tolerance.
AggregationResult glad(const Dataset& dataset, const AggregationParams& params, Progress& progress = Progress::none());

}  // namespace crowdsift
