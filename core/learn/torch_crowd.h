#pragma once

// The crowd layers of learn/crowd_layers.h as a torch module. Torch types; included only by
// core/learn and the learn tests.

#include "learn/crowd_layers.h"

#include <torch/torch.h>

#include <cstdint>

namespace crowdsift::learn {

// scale x sum_r ||W_r - W_c||_F for R x K x K `annotatorKernels` and K x K `common`: what the
// CoNAL loss subtracts. Its gradient where W_r = W_c is 0 (torch's norm subgradient).
torch::Tensor conalRegulariser(const torch::Tensor& annotatorKernels, const torch::Tensor& common, double scale);

class CrowdHeadImpl : public torch::nn::Module {
public:
    // `inputSize`: the flattened size of what the CoNAL instance embedding reads (unused otherwise).
    CrowdHeadImpl(const CrowdConfig& config, int annotators, int classes, std::int64_t inputSize, std::uint64_t seed);

    // The logits of the votes' answers, P x K: `probabilities` B x K (the classifier's softmax),
    // `voteRow` P long (the batch row of each vote), `voteAnnotator` P long, `inputs` B x D the
    // standardised, flattened inputs (CoNAL only; may be undefined otherwise). `gate`, when not
    // null, receives CoNAL's g per vote (P).
    torch::Tensor forward(const torch::Tensor& probabilities, const torch::Tensor& voteRow,
                          const torch::Tensor& voteAnnotator, const torch::Tensor& inputs, torch::Tensor* gate = nullptr);

    // The loss of a batch: mean cross entropy of the votes' logits against their labels, minus
    // the regulariser for CoNAL.
    torch::Tensor loss(const torch::Tensor& voteLogits, const torch::Tensor& voteLabels);

    // Read-back (see crowd_layers.h), on the CPU: M x K x K and K x K (CoNAL; undefined otherwise).
    torch::Tensor confusions() const;
    torch::Tensor commonConfusion() const;

    const CrowdConfig& config() const { return config_; }
    torch::Tensor kernel;        // mw, CoNAL: M x K x K; vw, vb: M x K
    torch::Tensor commonKernel;  // CoNAL: K x K

private:
    CrowdConfig config_;
    int classes_;
    torch::nn::Linear instance1_{nullptr}, instance2_{nullptr}, annotator_{nullptr};
};
TORCH_MODULE(CrowdHead);

}  // namespace crowdsift::learn
