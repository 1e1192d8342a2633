#include "learn/models.h"

#include "learn/torch_models.h"
#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace crowdsift {

std::vector<std::string> modelNames()
{
    return {"mlp", "small-cnn", "resnet18", "torchscript"};
}

void validateModelSpec(const ModelSpec& spec, bool inputHasImages)
{
    const std::vector<std::string> names = modelNames();
    if (std::find(names.begin(), names.end(), spec.name) == names.end())
        throw InputError("model", spec.name, "unknown model; expected mlp, small-cnn, resnet18 or torchscript");
    if ((spec.name == "small-cnn" || spec.name == "resnet18") && !inputHasImages)
        throw InputError("model", spec.name, "this network needs images, but the input is feature vectors");
    if (spec.name == "torchscript" && spec.backbone.empty())
        throw InputError("model", spec.name, "no backbone file given (the path of a TorchScript module)");
    if (spec.name == "small-cnn" && spec.width < 1)
        throw InputError("model", spec.name, "width must be at least 1, not " + std::to_string(spec.width));
    for (const int h : spec.hidden) {
        if (h < 1)
            throw InputError("model", spec.name, "hidden widths must be at least 1, not " + std::to_string(h));
    }
    if (!(spec.dropout >= 0.0 && spec.dropout < 1.0))
        throw InputError("model", spec.name, "dropout must be in [0, 1)");
}

namespace learn {

std::string InputShape::describe() const
{
    std::ostringstream out;
    if (isImage())
        out << channels << " x " << height << " x " << width << " images";
    else
        out << features << " features";
    return out.str();
}

MlpImpl::MlpImpl(std::int64_t inputs, const std::vector<int>& hidden, std::int64_t classes, double dropout,
                 std::uint64_t dropoutSeed)
    : dropout_(dropout), generator_(at::detail::createCPUGenerator(dropoutSeed))
{
    std::int64_t in = inputs;
    for (std::size_t i = 0; i < hidden.size(); ++i) {
        layers_.push_back(register_module("fc" + std::to_string(i + 1), torch::nn::Linear(in, hidden[i])));
        in = hidden[i];
    }
    layers_.push_back(register_module("out", torch::nn::Linear(in, classes)));
}

torch::Tensor MlpImpl::embed(torch::Tensor x)
{
    x = x.flatten(1);
    for (std::size_t i = 0; i + 1 < layers_.size(); ++i) {
        x = torch::relu(layers_[i]->forward(x));
        if (is_training() && dropout_ > 0) {
            // Masks are small (batch x hidden): drawing them on the CPU keeps one seeded stream
            // for every device.
            const torch::Tensor keep = torch::empty(x.sizes(), torch::kFloat).bernoulli_(1.0 - dropout_, generator_);
            x = x * keep.to(x.device(), x.scalar_type()) / (1.0 - dropout_);
        }
    }
    return x;
}

torch::Tensor MlpImpl::head(torch::Tensor embedding)
{
    return layers_.back()->forward(embedding);
}

SmallCnnImpl::ConvBn SmallCnnImpl::makeConvBn(const std::string& name, std::int64_t in, std::int64_t out)
{
    ConvBn layer;
    layer.conv = register_module(name + "_conv",
                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
    layer.norm = register_module(name + "_norm", torch::nn::BatchNorm2d(out));
    return layer;
}

SmallCnnImpl::SmallCnnImpl(std::int64_t channels, std::int64_t width, std::int64_t classes)
{
    stem_ = makeConvBn("stem", channels, width);
    const std::int64_t widths[4] = {width, 2 * width, 4 * width, 4 * width};
    for (int b = 0; b < 3; ++b) {
        const std::string name = "block" + std::to_string(b + 1);
        blocks_.push_back(makeConvBn(name + "a", widths[b], widths[b + 1]));
        blocks_.push_back(makeConvBn(name + "b", widths[b + 1], widths[b + 1]));
    }
    head_ = register_module("head", torch::nn::Linear(torch::nn::LinearOptions(4 * width, classes).bias(false)));
}

torch::Tensor SmallCnnImpl::embed(torch::Tensor x)
{
    x = torch::gelu(stem_.norm->forward(stem_.conv->forward(x)));
    for (std::size_t i = 0; i < blocks_.size(); i += 2) {
        x = torch::max_pool2d(blocks_[i].conv->forward(x), 2);
        x = torch::gelu(blocks_[i].norm->forward(x));
        x = torch::gelu(blocks_[i + 1].norm->forward(blocks_[i + 1].conv->forward(x)));
    }
    return std::get<0>(torch::adaptive_max_pool2d(x, {1, 1})).flatten(1);
}

torch::Tensor SmallCnnImpl::head(torch::Tensor embedding)
{
    // airbench's trick: small initial logits.
    return head_->forward(embedding) * (1.0 / 9.0);
}

ResNet18Impl::ResNet18Impl(std::int64_t channels, std::int64_t classes)
{
    auto conv3 = [](std::int64_t in, std::int64_t out, std::int64_t stride) {
        return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
    };
    stem_ = register_module("conv1", conv3(channels, 64, 1));
    stemNorm_ = register_module("bn1", torch::nn::BatchNorm2d(64));
    std::int64_t in = 64;
    const std::int64_t widths[4] = {64, 128, 256, 512};
    for (int layer = 0; layer < 4; ++layer) {
        for (int b = 0; b < 2; ++b) {
            const std::int64_t out = widths[layer];
            const std::int64_t stride = (layer > 0 && b == 0) ? 2 : 1;
            const std::string name = "layer" + std::to_string(layer + 1) + "_" + std::to_string(b) + "_";
            Block block;
            block.conv1 = register_module(name + "conv1", conv3(in, out, stride));
            block.norm1 = register_module(name + "bn1", torch::nn::BatchNorm2d(out));
            block.conv2 = register_module(name + "conv2", conv3(out, out, 1));
            block.norm2 = register_module(name + "bn2", torch::nn::BatchNorm2d(out));
            if (stride != 1 || in != out) {
                block.shortcut = register_module(
                    name + "downsample_conv",
                    torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
                block.shortcutNorm = register_module(name + "downsample_bn", torch::nn::BatchNorm2d(out));
            }
            blocks_.push_back(block);
            in = out;
        }
    }
    fc_ = register_module("fc", torch::nn::Linear(512, classes));
}

torch::Tensor ResNet18Impl::embed(torch::Tensor x)
{
    x = torch::relu(stemNorm_->forward(stem_->forward(x)));
    for (Block& block : blocks_) {
        torch::Tensor y = torch::relu(block.norm1->forward(block.conv1->forward(x)));
        y = block.norm2->forward(block.conv2->forward(y));
        const torch::Tensor shortcut = block.shortcut ? block.shortcutNorm->forward(block.shortcut->forward(x)) : x;
        x = torch::relu(y + shortcut);
    }
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
}

torch::Tensor ResNet18Impl::head(torch::Tensor embedding)
{
    return fc_->forward(embedding);
}

NetImpl::NetImpl(const InputShape& shape, std::shared_ptr<BodyImpl> body) : shape_(shape)
{
    body_ = register_module("body", std::move(body));
    const std::vector<std::int64_t> statShape = shape.isImage()
        ? std::vector<std::int64_t>{1, shape.channels, 1, 1}
        : std::vector<std::int64_t>{1, shape.features};
    mean_ = register_buffer("input_mean", torch::zeros(statShape));
    std_ = register_buffer("input_std", torch::ones(statShape));
}

torch::Tensor NetImpl::forward(const torch::Tensor& x)
{
    return body_->forward((x - mean_) / std_);
}

std::pair<torch::Tensor, torch::Tensor> NetImpl::forwardWithEmbedding(const torch::Tensor& x)
{
    torch::Tensor embedding = body_->embed((x - mean_) / std_);
    torch::Tensor logits = body_->head(embedding);
    return {std::move(embedding), std::move(logits)};
}

void NetImpl::setNormalization(const torch::Tensor& mean, const torch::Tensor& std)
{
    torch::NoGradGuard noGrad;
    mean_.copy_(mean.reshape(mean_.sizes()));
    std_.copy_(std.reshape(std_.sizes()));
}

Net makeNetwork(const ModelSpec& spec, const InputShape& shape, int classes, std::uint64_t seed)
{
    validateModelSpec(spec, shape.isImage());
    if (classes < 2)
        throw InputError("model", spec.name, "needs at least 2 classes, not " + std::to_string(classes));
    std::shared_ptr<BodyImpl> body;
    if (spec.name == "mlp" || spec.name == "torchscript") {
        body = std::make_shared<MlpImpl>(shape.flatSize(), spec.hidden, classes, spec.dropout, seed ^ 0x9e3779b97f4a7c15ULL);
    } else if (spec.name == "small-cnn") {
        if (shape.height < 8 || shape.width < 8)
            throw InputError("model", spec.name, "needs images of at least 8 x 8 pixels, not " + shape.describe());
        body = std::make_shared<SmallCnnImpl>(shape.channels, spec.width, classes);
    } else {
        body = std::make_shared<ResNet18Impl>(shape.channels, classes);
    }
    Net net(shape, body);

    at::Generator generator = at::detail::createCPUGenerator(seed);
    torch::NoGradGuard noGrad;
    auto initialise = [&](torch::Tensor& weight, torch::Tensor& bias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(weight[0].numel()));
        weight.uniform_(-bound, bound, generator);
        if (bias.defined())
            bias.uniform_(-bound, bound, generator);
    };
    for (const std::shared_ptr<torch::nn::Module>& module : net->modules()) {
        if (auto* conv = module->as<torch::nn::Conv2dImpl>())
            initialise(conv->weight, conv->bias);
        else if (auto* linear = module->as<torch::nn::LinearImpl>())
            initialise(linear->weight, linear->bias);
    }
    return net;
}

Backbone::Backbone(const std::string& path, const torch::Device& device) : path_(path)
{
    try {
        module_ = torch::jit::load(path, device);
    } catch (const std::exception& error) {
        std::string reason = error.what();
        reason = reason.substr(0, reason.find('\n'));
        throw InputError(path, "", "cannot load the TorchScript backbone: " + reason);
    }
    module_.eval();
    for (at::Tensor parameter : module_.parameters())
        parameter.requires_grad_(false);
}

torch::Tensor Backbone::embed(const torch::Tensor& x)
{
    torch::NoGradGuard noGrad;
    torch::jit::IValue output;
    try {
        output = module_.forward({x});
    } catch (const std::exception& error) {
        std::string reason = error.what();
        reason = reason.substr(0, reason.find('\n'));
        throw InputError(path_, "forward", "the backbone failed on a batch of shape "
                                               + c10::str(x.sizes()) + ": " + reason);
    }
    if (!output.isTensor())
        throw InputError(path_, "forward", "the backbone must return one tensor of N x D embeddings");
    const torch::Tensor embeddings = output.toTensor();
    if (embeddings.dim() < 2 || embeddings.size(0) != x.size(0))
        throw InputError(path_, "forward", "the backbone returned shape " + c10::str(embeddings.sizes())
                                               + " for " + std::to_string(x.size(0)) + " inputs; expected N x D");
    return embeddings.flatten(1).to(torch::kFloat);
}

torch::Tensor softCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, double smoothing)
{
    const double classes = static_cast<double>(logits.size(1));
    const torch::Tensor smoothed = targets * (1.0 - smoothing) + smoothing / classes;
    return -(smoothed * torch::log_softmax(logits.to(torch::kFloat), 1)).sum(1).mean();
}

MultiTensorSgd::MultiTensorSgd(std::vector<torch::Tensor> parameters, double momentum, double weightDecay, bool nesterov)
    : parameters_(std::move(parameters)), momentum_(parameters_.size()), momentumFactor_(momentum),
      weightDecay_(weightDecay), nesterov_(nesterov)
{
}

void MultiTensorSgd::zeroGrad()
{
    for (torch::Tensor& p : parameters_)
        p.mutable_grad().reset();
}

void MultiTensorSgd::step(double lr)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> params;  // the parameters with a gradient, and their gradients
    std::vector<torch::Tensor> grads;
    std::vector<std::size_t> index;     // their positions in parameters_
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        const torch::Tensor& grad = parameters_[i].grad();
        if (!grad.defined())
            continue;
        params.push_back(parameters_[i]);
        grads.push_back(grad);
        index.push_back(i);
    }
    if (params.empty())
        return;
    // d = g + weight_decay * p, in place: the gradients are cleared before the next pass.
    if (weightDecay_ != 0)
        at::_foreach_add_(grads, params, weightDecay_);
    if (momentumFactor_ != 0) {
        // b = momentum * b + d, and b = d on a parameter's first step.
        std::vector<torch::Tensor> velocity;
        std::vector<torch::Tensor> kept;
        std::vector<torch::Tensor> keptGrads;
        for (std::size_t j = 0; j < index.size(); ++j) {
            torch::Tensor& buffer = momentum_[index[j]];
            if (buffer.defined()) {
                kept.push_back(buffer);
                keptGrads.push_back(grads[j]);
            } else {
                buffer = grads[j].clone();
            }
            velocity.push_back(buffer);
        }
        if (!kept.empty()) {
            at::_foreach_mul_(kept, momentumFactor_);
            at::_foreach_add_(kept, keptGrads);
        }
        // Nesterov: d = d + momentum * b; heavy ball: d = b.
        if (nesterov_)
            at::_foreach_add_(grads, velocity, momentumFactor_);
        else
            grads = velocity;
    }
    at::_foreach_add_(params, grads, -lr);
}

}  // namespace learn
}  // namespace crowdsift
