#include "learn/complementary.h"

#include "util/error.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>

namespace crowdsift {

const std::vector<std::string>& complementaryLossNames()
{
    static const std::vector<std::string> names{"scl-nl", "scl-exp", "ure-nn", "ure-ga", "ure-tnn", "ure-tga", "fwd",
                                                "dm",     "cpe-i",   "cpe-f",  "cpe-t",  "mcl-mae", "mcl-exp", "mcl-log"};
    return names;
}

const char* complementaryLossName(ComplementaryLoss loss)
{
    return complementaryLossNames()[static_cast<std::size_t>(loss)].c_str();
}

ComplementaryLoss parseComplementaryLoss(const std::string& name, const std::string& option)
{
    const std::vector<std::string>& names = complementaryLossNames();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name)
            return static_cast<ComplementaryLoss>(i);
    std::string accepted;
    for (const std::string& n : names)
        accepted += (accepted.empty() ? "" : ", ") + n;
    throw InputError(option, name, "unknown complementary-label loss; expected one of " + accepted);
}

bool usesTransition(ComplementaryLoss loss)
{
    using L = ComplementaryLoss;
    return loss == L::UreTnn || loss == L::UreTga || loss == L::Fwd || loss == L::CpeI || loss == L::CpeF
           || loss == L::CpeT;
}

double ComplementaryTargets::ordinaryAnswers() const
{
    return static_cast<double>(ordinary.sum());
}

double ComplementaryTargets::complementaryAnswers() const
{
    return static_cast<double>(complementary.sum());
}

ComplementaryTargets complementaryTargets(const Dataset& dataset)
{
    ComplementaryTargets targets;
    targets.ordinary = RowMatrixXf::Zero(dataset.itemCount(), dataset.classCount());
    targets.complementary = RowMatrixXf::Zero(dataset.itemCount(), dataset.classCount());
    for (int i = 0; i < dataset.itemCount(); ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            (e.complementary() ? targets.complementary : targets.ordinary)(i, e.label) += 1.0f;
    return targets;
}

RowMatrixXd uniformTransition(int classes)
{
    RowMatrixXd t = RowMatrixXd::Constant(classes, classes, classes > 1 ? 1.0 / (classes - 1) : 0.0);
    t.diagonal().setZero();
    return t;
}

namespace {

RowMatrixXd normaliseRows(const RowMatrixXd& counts)
{
    const RowMatrixXd uniform = uniformTransition(static_cast<int>(counts.rows()));
    RowMatrixXd t = counts;
    for (Eigen::Index y = 0; y < t.rows(); ++y) {
        const double sum = t.row(y).sum();
        if (sum > 0)
            t.row(y) /= sum;
        else
            t.row(y) = uniform.row(y);
    }
    return t;
}

}  // namespace

RowMatrixXd transitionFromLabels(const Dataset& dataset, const std::vector<int>& labels, RowMatrixXd* counts)
{
    const int k = dataset.classCount();
    RowMatrixXd c = RowMatrixXd::Zero(k, k);
    for (int i = 0; i < dataset.itemCount() && i < static_cast<int>(labels.size()); ++i) {
        const int y = labels[static_cast<std::size_t>(i)];
        if (y < 0 || y >= k)
            continue;
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (e.complementary())
                c(y, e.label) += 1;
    }
    if (counts)
        *counts = c;
    return normaliseRows(c);
}

RowMatrixXd transitionFromProbabilities(const Dataset& dataset, const RowMatrixXf& probabilities)
{
    const int k = dataset.classCount();
    RowMatrixXd c = RowMatrixXd::Zero(k, k);
    for (int i = 0; i < dataset.itemCount() && i < probabilities.rows(); ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (e.complementary())
                c.col(e.label) += probabilities.row(i).transpose().cast<double>();
    return normaliseRows(c);
}

RowMatrixXd anchorTransition(const RowMatrixXf& q, const std::vector<int>& rows, double quantile)
{
    if (!(quantile >= 0 && quantile < 1))
        throw InputError("anchor quantile", std::to_string(quantile), "must be in [0, 1)");
    const auto k = q.cols();
    RowMatrixXd t = uniformTransition(static_cast<int>(k));
    if (rows.empty())
        return t;
    const auto at = static_cast<std::size_t>(std::floor(quantile * static_cast<double>(rows.size() - 1)));
    for (Eigen::Index y = 0; y < k; ++y) {
        // Ties by row index, so that the choice does not depend on the order of `rows`.
        std::vector<int> order = rows;
        std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(at), order.end(), [&](int a, int b) {
            return q(a, y) < q(b, y) || (q(a, y) == q(b, y) && a < b);
        });
        const int anchor = order[at];
        const double sum = q.row(anchor).cast<double>().sum();
        if (sum > 0)
            t.row(y) = q.row(anchor).cast<double>() / sum;
    }
    return t;
}

RowMatrixXf complementaryClassProbabilities(ComplementaryLoss loss, const RowMatrixXf& outputs, const RowMatrixXd& transition)
{
    if (loss != ComplementaryLoss::CpeI)
        return outputs;
    const auto k = outputs.cols();
    const RowMatrixXd t = transition.size() > 0 ? transition : uniformTransition(static_cast<int>(k));
    // q = T^t p  =>  p = (T^t)^+ q; per row: p^t = q^t T^+.
    const Eigen::MatrixXd inverse = Eigen::MatrixXd(t).completeOrthogonalDecomposition().pseudoInverse();
    RowMatrixXd p = outputs.cast<double>() * inverse;
    RowMatrixXf result(outputs.rows(), k);
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
        p.row(i) = p.row(i).cwiseMax(0.0);
        const double sum = p.row(i).sum();
        if (sum > 0)
            result.row(i) = (p.row(i) / sum).cast<float>();
        else
            result.row(i).setConstant(1.0f / static_cast<float>(k));
    }
    return result;
}

void validateTransition(const RowMatrixXd& transition, int classes, const std::string& source)
{
    if (transition.rows() != classes || transition.cols() != classes)
        throw InputError(source, "shape " + std::to_string(transition.rows()) + " x " + std::to_string(transition.cols()),
                         "a transition matrix for " + std::to_string(classes) + " classes is " + std::to_string(classes)
                             + " x " + std::to_string(classes));
    for (Eigen::Index y = 0; y < transition.rows(); ++y) {
        for (Eigen::Index k = 0; k < transition.cols(); ++k)
            if (!std::isfinite(transition(y, k)) || transition(y, k) < 0)
                throw InputError(source, "row " + std::to_string(y) + ", column " + std::to_string(k),
                                 "transition probabilities must be finite and non-negative");
        if (std::abs(transition.row(y).sum() - 1.0) > 1e-6)
            throw InputError(source, "row " + std::to_string(y),
                             "sums to " + std::to_string(transition.row(y).sum()) + "; each row of T is P(. | class) and sums to 1");
    }
}

}  // namespace crowdsift
