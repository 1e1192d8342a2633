#pragma once

// Held-out answer likelihood of a consensus: how well posteriors computed WITHOUT some answers
// predict those answers. The CROWDLAB loop uses it to compare its iterations with each other and
// with the aggregation it started from, without truth.
//
// Folds: each item's usable answers are dealt round-robin over `folds` folds from a seeded random
// offset per item (complementary answers are always kept for training). For fold f, `fit` gets
// the dataset without fold f's answers and returns N x K posteriors Q. Every annotator j then
// gets one confusion matrix from its training answers, the Dawid-Skene M-step under Q smoothed
// towards the pooled confusion of all annotators by `priorStrength` pseudo-answers per true class:
//     P_j(l | t) = (sum_{i: j answered l on i} Q_it + s pooled(t, l)) / (sum_{i answered by j} Q_it + s),
//     pooled(t, l) = (sum over all training answers (i, l) of Q_it + 1) normalised per row t,
// and a held-out answer (i, j, l) scores log max(sum_t Q_it P_j(l | t), 1e-6). The same
// annotator model serves every consensus, so only the posteriors differ between candidates. The
// score is the mean over all held-out answers of all folds (higher is better). Deterministic for
// a seed.

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
