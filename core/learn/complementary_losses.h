#pragma once

// The complementary-label losses of learn/complementary.h on one batch. Torch types; included
// only by core/learn and the learn tests.

#include "learn/complementary.h"

#include <torch/torch.h>

namespace crowdsift::learn {

struct ComplementaryBatchLoss {
    torch::Tensor objective;  // what backward() runs on (differs from value for ure-nn/tnn/ga/tga)
    torch::Tensor value;      // the loss (the risk estimate for ure-*): the answer-weighted mean
    torch::Tensor weight;     // how many samples the complementary part stands for (answers; mcl: items)
};

// The loss of one batch: logits B x K, complementary and ordinary answer counts B x K (float),
// transition K x K (float; unused by the losses that assume the uniform one), cpeLogits the
// learned W of cpe-t (K x K, else undefined). Rows without answers contribute nothing. A batch
// with no answer at all gives 0. complementaryPrior (K; ure-* only) is P(complementary label k)
// over the training set, which weighs each label's mean loss in the partial risks as in Ishida et
// al. 2019; undefined = the batch's own shares, whose sampling noise alone makes some R_k
// negative in most batches (and ure-ga / ure-tga ascend nearly always).
ComplementaryBatchLoss complementaryBatchLoss(ComplementaryLoss loss, const torch::Tensor& logits,
                                              const torch::Tensor& complementary, const torch::Tensor& ordinary,
                                              const torch::Tensor& transition, const torch::Tensor& cpeLogits = {},
                                              const torch::Tensor& complementaryPrior = {});

// log(1 - softmax(logits)) computed without cancellation: for each k, logsumexp of the other
// logits minus logsumexp of all. B x K.
torch::Tensor logOneMinusSoftmax(const torch::Tensor& logits);

// log (T^t p) for p = softmax(logits) and a K x K transition: B x K, through logsumexp so that
// T = I gives log_softmax exactly.
torch::Tensor logForward(const torch::Tensor& logits, const torch::Tensor& transition);

}  // namespace crowdsift::learn
