#include "learn/data_parameters.h"

#include <cmath>

namespace crowdsift::learn {

void sparseSgdStep(torch::Tensor& values, torch::Tensor& momentum, const torch::Tensor& index,
                   const torch::Tensor& gradient, double lr, double momentumFactor, double weightDecay,
                   double low, double high)
{
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
        instanceLeaf_ = logInstance_.index_select(0, index).detach().requires_grad_(true);
        sigma = instanceLeaf_.exp();
    }
    if (config_.classLevel) {
        // The whole (small) class vector is the leaf; step() reads the gradient of the classes
        // present only, so that absent ones are not decayed.
        classLeaf_ = logClass_.detach().clone().requires_grad_(true);
        const torch::Tensor classSigma = classLeaf_.exp().index_select(0, labels);
        sigma = sigma.defined() ? sigma + classSigma : classSigma;
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
    if (config_.classLevel) {
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

torch::Tensor DataParameters::instanceSigma() const
{
    return logInstance_.defined() ? logInstance_.exp().to(torch::kCPU) : torch::Tensor();
}

torch::Tensor DataParameters::classSigma() const
{
    return logClass_.defined() ? logClass_.exp().to(torch::kCPU) : torch::Tensor();
}

}  // namespace crowdsift::learn
