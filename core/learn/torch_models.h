#pragma once

// Torch-facing network definitions (internal to core/learn, its tests and bench_learn). The
// architectures are documented in learn/models.h; a PyTorch script can mirror them layer by layer.

#include "learn/models.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift::learn {

// What a network takes: images (channels x height x width) or feature vectors of `features`.
struct InputShape {
    int channels = 0;
    int height = 0;
    int width = 0;
    int features = 0;

    bool isImage() const { return features == 0; }
    std::int64_t flatSize() const
    {
        return isImage() ? static_cast<std::int64_t>(channels) * height * width : features;
    }
    bool operator==(const InputShape& other) const
    {
        return channels == other.channels && height == other.height && width == other.width
            && features == other.features;
    }
    std::string describe() const;  // "3 x 32 x 32 images" or "784 features"
};

// The body of a classifier: normalised input (N x C x H x W or N x D float) -> N x K logits, in two
// steps: embed() gives the penultimate layer (N x D', what the final linear layer reads: the last
// hidden activation of an mlp, the pooled features of a CNN, the input itself for a linear mlp)
// and head() the logits from it, so that forward(x) == head(embed(x)).
class BodyImpl : public torch::nn::Module {
public:
    torch::Tensor forward(torch::Tensor x) { return head(embed(std::move(x))); }
    virtual torch::Tensor embed(torch::Tensor x) = 0;
    virtual torch::Tensor head(torch::Tensor embedding) = 0;
};

class MlpImpl : public BodyImpl {
public:
    // Linear(in -> h1) -> ReLU [-> dropout] -> ... -> Linear(-> classes). Images are flattened.
    // Dropout masks come from a CPU generator seeded with `dropoutSeed`, so that runs are
    // reproducible on every device without touching torch's global generator.
    MlpImpl(std::int64_t inputs, const std::vector<int>& hidden, std::int64_t classes, double dropout,
            std::uint64_t dropoutSeed);
    torch::Tensor embed(torch::Tensor x) override;
    torch::Tensor head(torch::Tensor embedding) override;

private:
    std::vector<torch::nn::Linear> layers_;
    double dropout_;
    at::Generator generator_;
};

class SmallCnnImpl : public BodyImpl {
public:
    SmallCnnImpl(std::int64_t channels, std::int64_t width, std::int64_t classes);
    torch::Tensor embed(torch::Tensor x) override;
    torch::Tensor head(torch::Tensor embedding) override;

private:
    struct ConvBn {
        torch::nn::Conv2d conv{nullptr};
        torch::nn::BatchNorm2d norm{nullptr};
    };
    ConvBn makeConvBn(const std::string& name, std::int64_t in, std::int64_t out);

    ConvBn stem_;
    std::vector<ConvBn> blocks_;  // two per block: the first one pools before its norm
    torch::nn::Linear head_{nullptr};
};

class ResNet18Impl : public BodyImpl {
public:
    ResNet18Impl(std::int64_t channels, std::int64_t classes);
    torch::Tensor embed(torch::Tensor x) override;
    torch::Tensor head(torch::Tensor embedding) override;

private:
    struct Block {
        torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
        torch::nn::BatchNorm2d norm1{nullptr}, norm2{nullptr}, shortcutNorm{nullptr};
    };

    torch::nn::Conv2d stem_{nullptr};
    torch::nn::BatchNorm2d stemNorm_{nullptr};
    std::vector<Block> blocks_;
    torch::nn::Linear fc_{nullptr};
};

// A classifier network: per-channel (images) or per-feature standardisation, stored as buffers
// `input_mean` / `input_std` so that a saved model predicts alone, then the body.
class NetImpl : public torch::nn::Module {
public:
    NetImpl(const InputShape& shape, std::shared_ptr<BodyImpl> body);
    // x: N x C x H x W float in [0, 1] (images) or N x D float (features) -> N x K logits.
    torch::Tensor forward(const torch::Tensor& x);
    // The body's penultimate layer (BodyImpl::embed) and the logits from the same pass.
    std::pair<torch::Tensor, torch::Tensor> forwardWithEmbedding(const torch::Tensor& x);
    // Sets the standardisation buffers; mean and std have C (images) or D (features) entries.
    void setNormalization(const torch::Tensor& mean, const torch::Tensor& std);

private:
    InputShape shape_;
    std::shared_ptr<BodyImpl> body_;
    torch::Tensor mean_;
    torch::Tensor std_;
};
TORCH_MODULE(Net);

// Builds the network that `spec` names for `shape` (for torchscript: the head on embeddings of
// shape.features) with PyTorch's default initialisation, drawn from a CPU generator seeded with
// `seed` (uniform in +-1/sqrt(fan_in) for convolution and linear weights and biases; batch norm
// weight 1, bias 0). The result lives on the CPU.
Net makeNetwork(const ModelSpec& spec, const InputShape& shape, int classes, std::uint64_t seed);

// A frozen TorchScript backbone: images N x C x H x W float in [0, 1] (or feature vectors N x D)
// -> N x D' embeddings (more dimensions are flattened).
class Backbone {
public:
    // Throws InputError naming the file when it cannot be loaded.
    Backbone(const std::string& path, const torch::Device& device);
    torch::Tensor embed(const torch::Tensor& x);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    torch::jit::Module module_;
};

// Mean over rows of -sum_k t'_k log softmax(logits)_k with t' = (1 - smoothing) t + smoothing / K,
// for N x K logits and N x K target probabilities. With one-hot t this is cross entropy with
// label smoothing exactly as torch's cross_entropy(label_smoothing) defines it.
torch::Tensor softCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, double smoothing);

// SGD with momentum (Nesterov or heavy-ball, no dampening) and L2 weight decay, the update of
// torch::optim::SGD, done as a few multi-tensor (_foreach) operations over all parameters per step
// instead of several kernels per parameter: on CUDA a small network's step is bound by kernel
// launches, and PyTorch's own SGD takes this path there by default.
class MultiTensorSgd {
public:
    MultiTensorSgd(std::vector<torch::Tensor> parameters, double momentum, double weightDecay, bool nesterov);
    // Clears the gradients (to undefined, as set_to_none does).
    void zeroGrad();
    // One update with learning rate `lr` from the parameters' current gradients; parameters
    // without a gradient are left alone.
    void step(double lr);

private:
    std::vector<torch::Tensor> parameters_;
    std::vector<torch::Tensor> momentum_;  // per parameter; undefined until its first step
    double momentumFactor_;
    double weightDecay_;
    bool nesterov_;
};

}  // namespace crowdsift::learn
