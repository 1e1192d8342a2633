#include "learn/trainer_internal.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace crowdsift {

namespace learn {

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void validateConfig(const TrainConfig& config)
{
    auto fail = [](const std::string& field, const std::string& problem) {
        throw InputError("training configuration", field, problem);
    };
    if (config.epochs < 1)
        fail("epochs", "must be at least 1");
    if (config.batchSize < 1)
        fail("batch size", "must be at least 1");
    if (!(config.learningRate > 0))
        fail("learning rate", "must be positive");
    if (!(config.momentum >= 0 && config.momentum < 1))
        fail("momentum", "must be in [0, 1)");
    if (!(config.weightDecay >= 0))
        fail("weight decay", "must not be negative");
    if (!(config.warmupEpochs >= 0))
        fail("warm-up epochs", "must not be negative");
    if (config.stepEpochs < 0)
        fail("step epochs", "must not be negative");
    if (!(config.labelSmoothing >= 0 && config.labelSmoothing < 1))
        fail("label smoothing", "must be in [0, 1)");
    if (!(config.validationFraction >= 0 && config.validationFraction < 1))
        fail("validation fraction", "must be in [0, 1)");
    if (config.patience < 0)
        fail("patience", "must not be negative");
    const DataParamsConfig& data = config.dataParams;
    if (!(data.minSigma > 0 && data.minSigma < data.maxSigma && std::isfinite(data.maxSigma)))
        fail("data parameters' sigma range", "needs 0 < minimum < maximum");
    auto checkLevel = [&](const std::string& level, double init, double lr, double weightDecay) {
        if (!(init >= data.minSigma && init <= data.maxSigma))
            fail(level + " sigma at the start", "must lie in the sigma range");
        if (!(lr >= 0 && std::isfinite(lr)))
            fail(level + " sigma learning rate", "must not be negative");
        if (!(weightDecay >= 0 && std::isfinite(weightDecay)))
            fail(level + " sigma weight decay", "must not be negative");
    };
    if (data.instanceLevel)
        checkLevel("instance", data.initInstance, data.lrInstance, data.weightDecayInstance);
    if (data.classLevel)
        checkLevel("class", data.initClass, data.lrClass, data.weightDecayClass);
    if (data.enabled() && !(data.momentum >= 0 && data.momentum < 1))
        fail("data parameters' momentum", "must be in [0, 1)");
}

TrainOptimizer::TrainOptimizer(const TrainConfig& config, const std::vector<torch::Tensor>& parameters)
{
    if (config.optimizer == OptimizerKind::Sgd) {
        sgd_ = std::make_unique<MultiTensorSgd>(parameters, config.momentum, config.weightDecay, config.momentum > 0);
    } else {
        optimizer_ = std::make_unique<torch::optim::AdamW>(
            parameters, torch::optim::AdamWOptions(config.learningRate).weight_decay(config.weightDecay));
    }
}

void TrainOptimizer::zeroGrad(double learningRate)
{
    if (sgd_) {
        sgd_->zeroGrad();
        return;
    }
    for (torch::optim::OptimizerParamGroup& group : optimizer_->param_groups())
        group.options().set_lr(learningRate);
    optimizer_->zero_grad();
}

void TrainOptimizer::step(double learningRate)
{
    if (sgd_)
        sgd_->step(learningRate);
    else
        optimizer_->step();
}

}  // namespace learn

double scheduledLearningRate(const TrainConfig& config, std::int64_t step, std::int64_t stepsPerEpoch)
{
    const std::int64_t total = static_cast<std::int64_t>(config.epochs) * stepsPerEpoch;
    const std::int64_t warmup =
        std::min<std::int64_t>(total, std::llround(config.warmupEpochs * static_cast<double>(stepsPerEpoch)));
    const double peak = config.learningRate;
    if (step < warmup)
        return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
    switch (config.schedule) {
    case ScheduleKind::Constant:
        return peak;
    case ScheduleKind::Step: {
        const std::int64_t every = config.stepEpochs > 0 ? config.stepEpochs : std::max(1, config.epochs / 3);
        const std::int64_t epoch = step / std::max<std::int64_t>(1, stepsPerEpoch);
        return peak * std::pow(config.stepGamma, static_cast<double>(epoch / every));
    }
    case ScheduleKind::Cosine:
        break;
    }
    const double t = static_cast<double>(step - warmup) / static_cast<double>(std::max<std::int64_t>(1, total - warmup));
    const double pi = std::acos(-1.0);
    return peak * 0.5 * (1.0 + std::cos(pi * t));
}

}  // namespace crowdsift
