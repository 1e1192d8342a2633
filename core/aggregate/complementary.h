#pragma once

// Aggregation that reads complementary answers ("not class k") beside ordinary votes. The other
// strategies skip complementary answers (they model which class an annotator names); the
// registry warns when they do.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <Eigen/Core>

#include <vector>

namespace crowdsift {

// Counting baseline: a vote for k adds 1 to class k; "not k" adds 1 / (K - 1) to each other
// class (one unit of evidence spread over the classes it leaves possible, never any to k).
// Posteriors are the normalised scores; an item with only complementary answers is answered.
// annotatorSkill: agreement of the annotator's answers with the hard labels (a vote agrees when it
// names the label, "not k" when k is not the label). Ties as majority vote.
// Reads: threads, seed, random_ties.
AggregationResult complementaryVote(const Dataset& dataset, const AggregationParams& params,
                                    Progress& progress = Progress::none());

// Dawid-Skene with a per-annotator complementary transition matrix, by MAP EM. Annotator w has a
// K x K confusion matrix for its votes, pi_w(y, l) = P(w votes l | true y), as Dawid & Skene, and a
// K x K complementary transition matrix Q_w(y, k) = P(w says "not k" | true y) for its
// complementary answers (rows sum to 1; a careful annotator has Q_w(y, y) near 0, a uniform
// complementary labeller 1 / (K - 1) off the diagonal). E-step: log T_i(y) = log rho_y + sum over
// i's votes of log pi_w(y, l) + sum over its complementary answers of log Q_w(y, k). M-step: rows of
// pi_w and Q_w are the posterior mass of each true class over w's answers, plus a Dirichlet
// pseudo-count of prior_strength / K per entry (so an annotator with few answers, or none of a
// kind, has proper rows); rho = mean posterior, clipped to >= 1e-10. Initialised from
// complementaryVote(). logLikelihood[t] = the MAP objective entering iteration t's E-step (marginal
// log-likelihood + prior_strength / K x sum of the logs of every pi and Q entry); it never
// decreases. Stops when it gains less than tolerance x answers, or after max_iterations.
// confusions = pi_w; annotatorSkill = expected accuracy of w's votes, sum_y rho_y pi_w(y, y), and
// for an annotator that gave only complementary answers 1 - sum_y rho_y Q_w(y, y) (the chance that
// its "not k" is right). extra["complementary_transitions"]: M x K x K Q_w (nested arrays).
// Reads: max_iterations, tolerance, prior_strength; threads is accepted (it runs on one thread).
AggregationResult complementaryDawidSkene(const Dataset& dataset, const AggregationParams& params,
                                          Progress& progress = Progress::none());

// K x K complementary transition matrix of the data: row y = the share of complementary answers
// "not k" given to items of class y, where the class of item i is weighted by posteriors(i, y)
// (N x K) or, with `truth` (N entries, -1 unknown), is truth[i] (posteriors unused then; items
// without truth skipped). Rows without complementary answers are zero. Annotators with
// `annotator` >= 0: only that annotator's answers.
Eigen::MatrixXd complementaryTransition(const Dataset& dataset, const RowMatrixXd& posteriors,
                                        const std::vector<std::int32_t>& truth = {}, int annotator = -1);

// Number of complementary answers in the dataset.
std::int64_t complementaryAnswerCount(const Dataset& dataset);

}  // namespace crowdsift
