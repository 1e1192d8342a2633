#include "learn/complementary_losses.h"

#include <limits>

namespace crowdsift::learn {

namespace {

// log T with zero entries at -1e4 instead of -inf: exp() of them still underflows to exactly 0
// beside any real log-probability, and no logsumexp sees a column of -inf (NaN gradients).
torch::Tensor safeLog(const torch::Tensor& transition)
{
    return transition.log().clamp_min(-1e4);
}

// log (T^t p)_k = logsumexp_y (log p_y + log T[y][k]), from log T.
torch::Tensor logForwardFromLog(const torch::Tensor& logits, const torch::Tensor& logTransition)
{
    const torch::Tensor logp = torch::log_softmax(logits, 1);
    return torch::logsumexp(logp.unsqueeze(2) + logTransition.unsqueeze(0), 1);
}

torch::Tensor uniformTransitionTensor(std::int64_t classes, const torch::TensorOptions& options)
{
    const torch::Tensor ones = torch::ones({classes, classes}, options);
    return (ones - torch::eye(classes, options)) / static_cast<double>(classes - 1);
}

}  // namespace

torch::Tensor logOneMinusSoftmax(const torch::Tensor& logits)
{
    const std::int64_t batch = logits.size(0), classes = logits.size(1);
    const torch::Tensor diagonal = torch::eye(classes, logits.options().dtype(torch::kBool));
    const torch::Tensor others = logits.unsqueeze(1).expand({batch, classes, classes})
                                     .masked_fill(diagonal, -std::numeric_limits<double>::infinity());
    return torch::logsumexp(others, 2) - torch::logsumexp(logits, 1, true);
}

torch::Tensor logForward(const torch::Tensor& logits, const torch::Tensor& transition)
{
    return logForwardFromLog(logits, safeLog(transition));
}

ComplementaryBatchLoss complementaryBatchLoss(ComplementaryLoss loss, const torch::Tensor& logits,
                                              const torch::Tensor& complementary, const torch::Tensor& ordinary,
                                              const torch::Tensor& transition, const torch::Tensor& cpeLogits,
                                              const torch::Tensor& complementaryPrior)
{
    using L = ComplementaryLoss;
    const std::int64_t classes = logits.size(1);
    const auto options = logits.options();
    const torch::Tensor logp = torch::log_softmax(logits, 1);

    // The ordinary answers' part: a sum over answers.
    const torch::Tensor ordinarySum = loss == L::CpeI ? -(ordinary.matmul(transition) * logp).sum() : -(ordinary * logp).sum();
    const torch::Tensor ordinaryCount = ordinary.sum();

    // The complementary part: its sum over answers (or mcl items) for the objective and the value.
    torch::Tensor objectiveSum, valueSum, weight;
    auto perAnswer = [&](const torch::Tensor& lossOfLabel) {  // B x K: the loss when kb = k
        weight = complementary.sum();
        objectiveSum = valueSum = (complementary * lossOfLabel).sum();
    };
    switch (loss) {
    case L::SclNl: perAnswer(-logOneMinusSoftmax(logits)); break;
    case L::SclExp: perAnswer(torch::exp(torch::softmax(logits, 1))); break;
    case L::Fwd:
    case L::CpeF: perAnswer(-logForward(logits, transition)); break;
    case L::CpeI: perAnswer(-logp); break;
    case L::CpeT: perAnswer(-logForwardFromLog(logits, torch::log_softmax(cpeLogits, 1))); break;
    case L::Dm: {
        const torch::Tensor p = torch::softmax(logits, 1);
        const torch::Tensor w = 1 + (1 - p) / static_cast<double>(classes - 1);
        perAnswer(-w * torch::log_softmax(1 - p, 1));
        break;
    }
    case L::UreNn:
    case L::UreGa:
    case L::UreTnn:
    case L::UreTga: {
        const bool uniform = loss == L::UreNn || loss == L::UreGa;
        const torch::Tensor t = uniform ? uniformTransitionTensor(classes, options) : transition;
        // The pseudo-inverse: an estimated T (anchors) may be singular; it is T^-1 otherwise.
        const torch::Tensor inverse = torch::linalg_pinv(t.to(torch::kDouble)).to(options.dtype());
        weight = complementary.sum();
        // Ishida et al.'s empirical partial risk of class k: R_k = sum_j pi_j (T^-1)[j][k] M[j][k],
        // M[j] the mean loss vector of the batch's answers "not j" and pi the complementary-class
        // prior (the training set's shares; the batch's own when none is given, which reduces to
        // 1/n sum_i l_ik (C T^-1)_ik). A class the batch has no "not" answer for adds nothing.
        const torch::Tensor perLabel = complementary.sum(0);
        const torch::Tensor prior = complementaryPrior.defined() ? complementaryPrior.to(options.dtype())
                                                                 : perLabel / weight.clamp_min(1);
        const torch::Tensor means = complementary.t().matmul(-logp) / perLabel.clamp_min(1).unsqueeze(1);
        const torch::Tensor risks = (prior.unsqueeze(1) * inverse * means).sum(0);
        const torch::Tensor risk = risks.sum();
        torch::Tensor objective = risk;
        if (loss == L::UreNn || loss == L::UreTnn)
            objective = risks.clamp_min(0).sum();
        else if (risks.min().item<double>() < 0)
            objective = -risks.clamp_max(0).sum();
        valueSum = risk * weight;
        objectiveSum = objective * weight;
        break;
    }
    case L::MclMae:
    case L::MclExp:
    case L::MclLog: {
        const torch::Tensor inSet = complementary > 0;
        const torch::Tensor size = inSet.sum(1).to(options.dtype());
        const torch::Tensor valid = (size > 0).logical_and(size < static_cast<double>(classes));
        // log pS over the classes outside the set; rows that are not valid keep every class (0).
        const torch::Tensor masked = logp.masked_fill(inSet.logical_and(valid.unsqueeze(1)),
                                                      -std::numeric_limits<double>::infinity());
        const torch::Tensor logInside = torch::logsumexp(masked, 1);
        torch::Tensor phi;
        if (loss == L::MclMae)
            phi = 1 - logInside.exp();
        else if (loss == L::MclExp)
            phi = torch::exp(-logInside.exp());
        else
            phi = -logInside;
        const torch::Tensor validF = valid.to(options.dtype());
        weight = validF.sum();
        objectiveSum = valueSum = (static_cast<double>(2 * classes - 2) / size.clamp_min(1) * phi * validF).sum();
        break;
    }
    }
    const torch::Tensor total = (ordinaryCount + weight).clamp_min(1);
    return {(ordinarySum + objectiveSum) / total, (ordinarySum + valueSum) / total, weight};
}

}  // namespace crowdsift::learn
