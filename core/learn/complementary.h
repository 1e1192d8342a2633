#pragma once

// Learning from complementary ("not class k") answers, alone or mixed with ordinary ones. Plain
// C++ (no torch); the losses themselves are in learn/complementary_losses.h, the training loop in
// complementary_trainer.cpp (Classifier::fitComplementary).
//
// Notation: K classes, p = softmax(logits) (K), a complementary label kb ("not kb"), the
// transition matrix T (K x K, row-major): T[y][k] = P(complementary label k | true class y), rows
// summing to 1; the uniform one has 0 on the diagonal and 1/(K-1) elsewhere. Each loss of one
// complementary label, as its paper defines it:
//
//   scl-nl    -log(1 - p_kb)                         Chou, Niu, Lin, Sugiyama, ICML 2020 (SCL)
//   scl-exp   exp(p_kb)                              idem
//   ure-nn    Ishida, Niu, Menon, Sugiyama, ICML 2019: the unbiased risk with cross entropy
//   ure-ga    l_k = -log p_k, as K per-class partial risks of a batch:
//   ure-tnn   R_k = sum_j pi_j (T^-1)[j][k] mean_{answers "not j"} l_k, pi the complementary
//   ure-tga   labels' shares in the training set (uniform T: T^-1 = J - (K-1) I, the paper's
//             -(K-1) l_kb + sum_j l_j; a singular T takes its pseudo-inverse); the risk is
//             sum_k R_k. NN: minimise sum_k max(0, R_k); GA: when some R_k < 0, ascend on
//             the negative ones (minimise
//             -sum_k min(0, R_k)), else descend on sum_k R_k. ure-nn / ure-ga use the uniform T,
//             ure-tnn / ure-tga the configured one (Wang et al. 2023, libcll's URE with T).
//   fwd       -log (T^t p)_kb                        Yu, Liu, Gong, Tao, ECCV 2018 (forward
//             correction); with T = I it is the cross entropy of kb as an ordinary label.
//   dm        -(1 + (1 - p_kb) / (K-1)) log softmax(1 - p)_kb   Gao & Zhang, ICML 2021
//   cpe-i     -log q_kb with q = softmax(logits): the network estimates P(kb | x) directly;
//             class probabilities are read back through T (see complementaryClassProbabilities)
//   cpe-f     -log (T^t p)_kb with T fixed (the loss of fwd)
//   cpe-t     -log (Q^t p)_kb with Q = row-softmax(W) learned with the network, W starting at
//             log T (zero entries at log 1e-12)       Lin & Lin, PAKDD 2023 (CPE)
//   mcl-mae   the answers of an item form one set S of s complementary labels (s < K); with
//   mcl-exp   pS = sum_{k not in S} p_k the item's loss is (2K - 2) / s x phi(pS), phi(u) = 1 - u
//   mcl-log   (the unbiased risk with the MAE loss), exp(-u) or -log u (its upper bounds);
//             Feng, Kaneko, Han, Niu, An, Sugiyama, ICML 2020. Items whose set holds every class
//             are contradictory and left out of mcl-*.
//
// The single-label losses take each complementary answer as one sample (an item with three
// answers counts three times: Feng et al.'s decomposition). A batch's complementary objective is
// the mean over its answers (mcl-*: over its items with answers); ordinary answers y add cross
// entropy -log p_y (cpe-i: -sum_k T[y][k] log q_k, the expected log-loss of a complementary
// label drawn from row y), and the batch loss is the answer-weighted mean of both parts.

#include "learn/learn_input.h"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace crowdsift {

enum class ComplementaryLoss {
    SclNl, SclExp, UreNn, UreGa, UreTnn, UreTga, Fwd, Dm, CpeI, CpeF, CpeT, MclMae, MclExp, MclLog
};

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// "scl-nl", "scl-exp", "ure-nn", "ure-ga", "ure-tnn", "ure-tga", "fwd", "dm", "cpe-i", "cpe-f",
// "cpe-t", "mcl-mae", "mcl-exp", "mcl-log": in this order.
const std::vector<std::string>& complementaryLossNames();
const char* complementaryLossName(ComplementaryLoss loss);
// InputError(option, name, the accepted names) for an unknown name.
ComplementaryLoss parseComplementaryLoss(const std::string& name, const std::string& option = "strategy");
// Whether the loss reads the configured transition matrix (ure-tnn, ure-tga, fwd, cpe-*).
bool usesTransition(ComplementaryLoss loss);

// Each item's answers as counts, N x K: ordinary(i, k) = answers "k", complementary(i, k) =
// answers "not k".
struct ComplementaryTargets {
    RowMatrixXf ordinary;
    RowMatrixXf complementary;

    int count() const { return static_cast<int>(complementary.rows()); }
    double ordinaryAnswers() const;
    double complementaryAnswers() const;
};
ComplementaryTargets complementaryTargets(const Dataset& dataset);

struct ComplementaryConfig {
    ComplementaryLoss loss = ComplementaryLoss::SclNl;
    RowMatrixXd transition;  // K x K, rows summing to 1; empty = uniform
};

// 0 on the diagonal, 1 / (K - 1) elsewhere (K >= 2).
RowMatrixXd uniformTransition(int classes);

// The complementary answers counted against labels (the truth, or any N labels; -1 = unknown):
// T[y][k] = share of the "not k" answers on items of label y. A class without such answers gets
// the uniform row. `counts` (when given) receives the K x K counts behind it.
RowMatrixXd transitionFromLabels(const Dataset& dataset, const std::vector<int>& labels, RowMatrixXd* counts = nullptr);

// The same against soft labels (N x K probabilities, e.g. a model's): each "not k" answer on
// item i counts probabilities(i, y) towards row y. Rows without weight get the uniform row.
RowMatrixXd transitionFromProbabilities(const Dataset& dataset, const RowMatrixXf& probabilities);

// Yu et al. 2018's anchor estimate from q = estimated P(complementary label | x) (N x K, e.g. a
// cpe-i model's output) over `rows`: an anchor of class y (P(y | x) = 1) has q(x) = T[y], and
// q(x, y) = T[y][y] = 0 is the least possible, so the anchor of y is a row with the least q(., y);
// its q, renormalised, is row y of the estimate. `quantile` picks the row at that quantile of
// q(., y) in ascending order instead of the very least (0 = the argmin), the robust choice of
// Patrini et al. 2017 (their 97th percentile of P(noisy label | x) is our 3rd of P(not y | x)):
// the argmin is often an outlier or an item the network memorised.
RowMatrixXd anchorTransition(const RowMatrixXf& q, const std::vector<int>& rows, double quantile = 0.0);

// Class probabilities from a trained network's softmax outputs (N x K): as they are, except for
// cpe-i, whose outputs q estimate P(complementary label | x): then p = T^-t q (the pseudo-inverse
// when T is singular), negative entries set to 0 and rows renormalised (uniform when nothing is
// left). Under the uniform T its argmax is Lin & Lin's decoding (the class whose row of T is
// nearest to q in L1).
RowMatrixXf complementaryClassProbabilities(ComplementaryLoss loss, const RowMatrixXf& outputs, const RowMatrixXd& transition);

// Checks a transition matrix for K classes: K x K, finite, non-negative, rows summing to 1 (to
// 1e-6). Throws InputError(source, entry, problem).
void validateTransition(const RowMatrixXd& transition, int classes, const std::string& source);

// What fitComplementary returns beyond TrainResult: for cpe-t the learned Q (K x K), else empty.
struct ComplementaryFit {
    RowMatrixXd learnedTransition;
};

}  // namespace crowdsift
