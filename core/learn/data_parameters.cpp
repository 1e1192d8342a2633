#include "learn/data_parameters.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace crowdsift::learn {

namespace {

// The CPU form of sparseSgdStep, one pass over the batch: the torch ops below cost a few
// microseconds each to dispatch, which on a small model is a tenth of a batch. Each line rounds
// as its op does in float32 (a product, then a sum; the lr step as add's fused multiply-add), so
// both forms give the same bits.
void sparseSgdStepCpu(torch::Tensor& values, torch::Tensor& momentum, const torch::Tensor& index,
                      const torch::Tensor& gradient, double lr, double momentumFactor, double weightDecay,
                      double low, double high)
{
    const torch::Tensor rows = index.contiguous();
    const torch::Tensor g = gradient.to(torch::kFloat).contiguous();
    float* p = values.data_ptr<float>();
    float* m = momentum.data_ptr<float>();
    const std::int64_t* at = rows.data_ptr<std::int64_t>();
    const float* grad = g.data_ptr<float>();
    const auto decay = static_cast<float>(weightDecay), factor = static_cast<float>(momentumFactor);
    const auto minusLr = static_cast<float>(-lr), lowF = static_cast<float>(low), highF = static_cast<float>(high);
    for (std::int64_t j = 0; j < rows.numel(); ++j) {
        const std::int64_t i = at[j];
        float step = grad[j];
        if (weightDecay != 0) {
            const float decayed = decay * p[i];
            step = step + decayed;
        }
        const float scaled = m[i] * factor;
        m[i] = scaled + step;
        p[i] = std::min(std::max(std::fma(m[i], minusLr, p[i]), lowF), highF);
    }
}

}  // namespace

void sparseSgdStep(torch::Tensor& values, torch::Tensor& momentum, const torch::Tensor& index,
                   const torch::Tensor& gradient, double lr, double momentumFactor, double weightDecay,
                   double low, double high)
{
    if (values.is_cpu() && momentum.is_cpu() && values.scalar_type() == torch::kFloat
        && momentum.scalar_type() == torch::kFloat && values.is_contiguous() && momentum.is_contiguous()) {
        sparseSgdStepCpu(values, momentum, index.to(torch::kCPU), gradient.to(torch::kCPU), lr, momentumFactor,
                         weightDecay, low, high);
        return;
    }
    torch::NoGradGuard noGrad;
    torch::Tensor p = values.index_select(0, index);
    torch::Tensor g = gradient.to(values.scalar_type());
    if (weightDecay != 0)
        g = g + weightDecay * p;
    torch::Tensor m = momentum.index_select(0, index).mul_(momentumFactor).add_(g);
    p.sub_(m, lr).clamp_(low, high);
    values.index_copy_(0, index, p);
    momentum.index_copy_(0, index, m);
}

DataParameters::DataParameters(const DataParamsConfig& config, std::int64_t instances, int classes, torch::Device device)
    : config_(config)
    , low_(std::log(config.minSigma))
    , high_(std::log(config.maxSigma))
{
    const auto options = torch::TensorOptions(device).dtype(torch::kFloat);
    if (config.instanceLevel) {
        logInstance_ = torch::full({instances}, std::log(config.initInstance), options);
        instanceMomentum_ = torch::zeros({instances}, options);
    }
    if (config.classLevel) {
        logClass_ = torch::full({classes}, std::log(config.initClass), options);
        classMomentum_ = torch::zeros({classes}, options);
    }
}

torch::Tensor DataParameters::batchSigma(const torch::Tensor& index, const torch::Tensor& labels)
{
    index_ = index;
    torch::Tensor sigma;
    if (config_.instanceLevel) {
        instanceLeaf_ = logInstance_.index_select(0, index).requires_grad_(true);
        sigma = instanceLeaf_.exp();
    }
    if (config_.classLevel) {
        // The whole (small) class vector is the leaf, sharing logClass_'s memory (step() writes
        // it after backward(), and the graph keeps exp's result, not its input); step() reads the
        // gradient of the classes present only, so that absent ones are not decayed.
        classLeaf_ = logClass_.detach().requires_grad_(true);
        const torch::Tensor classSigma = classLeaf_.exp().index_select(0, labels);
        sigma = sigma.defined() ? sigma + classSigma : classSigma;
        if (logClass_.is_cpu())
            labels_ = labels;  // step() marks the classes present itself
        else
            classesPresent_ = torch::zeros_like(logClass_, torch::kBool).index_fill_(0, labels, true);
    }
    return sigma.unsqueeze(1);
}

void DataParameters::step()
{
    auto gradientOf = [](const torch::Tensor& leaf) {
        return leaf.grad().defined() ? leaf.grad() : torch::zeros_like(leaf);
    };
    if (config_.instanceLevel) {
        sparseSgdStep(logInstance_, instanceMomentum_, index_, gradientOf(instanceLeaf_), config_.lrInstance,
                      config_.momentum, config_.weightDecayInstance, low_, high_);
    }
    if (config_.classLevel && logClass_.is_cpu()) {
        classStepCpu(gradientOf(classLeaf_));
    } else if (config_.classLevel) {
        // The same update as sparseSgdStep, selected by a mask: a list of the classes present
        // would wait for the device to count them.
        torch::NoGradGuard noGrad;
        torch::Tensor g = gradientOf(classLeaf_);
        if (config_.weightDecayClass != 0)
            g = g + config_.weightDecayClass * logClass_;
        const torch::Tensor m = classMomentum_ * config_.momentum + g;
        const torch::Tensor p = (logClass_ - config_.lrClass * m).clamp_(low_, high_);
        classMomentum_.copy_(torch::where(classesPresent_, m, classMomentum_));
        logClass_.copy_(torch::where(classesPresent_, p, logClass_));
    }
    instanceLeaf_ = torch::Tensor();
    classLeaf_ = torch::Tensor();
}

// The CUDA branch of step() in one pass on the CPU, rounding as its ops do (products and sums
// rounded one at a time), for the classes of the last batch only.
void DataParameters::classStepCpu(const torch::Tensor& gradient)
{
    const torch::Tensor labels = labels_.to(torch::kCPU, torch::kLong).contiguous();
    const torch::Tensor g = gradient.to(torch::kFloat).contiguous();
    const std::int64_t classes = logClass_.numel();
    std::vector<char> present(static_cast<std::size_t>(classes), 0);
    const std::int64_t* label = labels.data_ptr<std::int64_t>();
    for (std::int64_t j = 0; j < labels.numel(); ++j)
        present[static_cast<std::size_t>(label[j])] = 1;
    float* p = logClass_.data_ptr<float>();
    float* m = classMomentum_.data_ptr<float>();
    const float* grad = g.data_ptr<float>();
    const auto decay = static_cast<float>(config_.weightDecayClass), factor = static_cast<float>(config_.momentum);
    const auto lr = static_cast<float>(config_.lrClass);
    const auto low = static_cast<float>(low_), high = static_cast<float>(high_);
    for (std::int64_t k = 0; k < classes; ++k) {
        if (!present[static_cast<std::size_t>(k)])
            continue;
        float step = grad[k];
        if (config_.weightDecayClass != 0) {
            const float decayed = decay * p[k];
            step = step + decayed;
        }
        const float scaled = m[k] * factor;
        m[k] = scaled + step;
        const float move = lr * m[k];
        p[k] = std::min(std::max(p[k] - move, low), high);
    }
}

torch::Tensor DataParameters::instanceSigma() const
{
    return logInstance_.defined() ? logInstance_.exp().to(torch::kCPU) : torch::Tensor();
}

torch::Tensor DataParameters::classSigma() const
{
    return logClass_.defined() ? logClass_.exp().to(torch::kCPU) : torch::Tensor();
}

}  // namespace crowdsift::learn
