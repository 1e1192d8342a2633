#pragma once

// Held-out answer likelihood of a consensus: how well posteriors computed WITHOUT some answers
// predict those answers. The CROWDLAB loop uses it to compare its iterations with each other and
// with the aggregation it started from, without truth.
//
// Folds: each item's usable answers are dealt round-robin over `folds` folds from a seeded random
// offset per item (complementary answers are always kept for training). For fold f, `fit` gets
// the dataset without fold f's answers and returns N x K posteriors; each answer (i, j, l) of
// fold f is paired with q = row i of them: a consensus that did not see that answer. Every
// annotator's confusion is then fitted on those honest pairs alone, leaving out the pair being
// scored, and smoothed towards the pooled confusion of all pairs by `priorStrength` (s)
// pseudo-answers per true class:
//     P_j(l | t) = (C_j(t, l) - q_t [own pair] + s pooled(t, l)) / (C_j(t, .) - q_t + s),
//     C_j(t, l) = sum of q_t over j's pairs that answered l,
//     pooled(t, l) = (sum of q_t over all pairs that answered l + 1), normalised per row t;
// the answer scores log max(sum_t q_t P_j(l | t), 1e-6). Fitting the confusions on the training
// answers instead would favour a consensus that followed those same answers (Dawid-Skene
// refitted on 4/5 of a simulated crowd's answers then scored below labels drawn at random). The
// same annotator model serves every consensus, so only the consensus differs between candidates.
// The score is the mean over all answers (higher is better). Deterministic for a seed.

#include "aggregate/result.h"
#include "data/dataset.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace crowdsift {

// The posteriors (N x K) a consensus method gives when it sees only `train`'s answers.
using PosteriorFit = std::function<RowMatrixXd(const Dataset& train)>;

struct HeldOutScore {
    double meanLogLikelihood = 0;  // per held-out answer
    std::int64_t answers = 0;
};

// Fold of each entry of dataset.answers.byItem(), -1 for complementary answers (never held out).
std::vector<int> answerFolds(const Answers& answers, int folds, std::uint64_t seed);
// `d` with `answers` in place of its own (names, classes, keys, images and annotators kept; no truth).
Dataset withAnswers(const Dataset& d, Answers answers);
// `d` without the answers whose fold is `f`.
Dataset withoutFold(const Dataset& d, const std::vector<int>& fold, int f);

// N x K one-hot rows of `labels` (a label -1: the uniform row), to score a consensus's labels
// rather than its confidence.
RowMatrixXd oneHotLabels(const std::vector<int>& labels, int classes);

// Throws InputError when folds < 2 or `fit` returns a matrix that is not N x K.
HeldOutScore heldOutAnswerScore(const Dataset& dataset, const PosteriorFit& fit, int folds = 5,
                                std::uint64_t seed = 0, double priorStrength = 2.0);

}  // namespace crowdsift
