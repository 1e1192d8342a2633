#pragma once

// The Data Parameters of one fit() (see DataParamsConfig in trainer.h): log sigmas per training
// row and per class, and their sparse SGD. Torch types; included only by core/learn and the learn
// tests.

#include "learn/trainer.h"

#include <torch/torch.h>

#include <cstdint>

namespace crowdsift::learn {

// One step of SGD with heavy-ball momentum (no dampening) on the entries `index` (1-D long, no
// repeats) of the 1-D `values` and `momentum`, with `gradient` (one entry per index):
//   g = gradient + weightDecay * values[index]
//   momentum[index] = momentumFactor * momentum[index] + g
//   values[index] = clamp(values[index] - lr * momentum[index], low, high)
// Every other entry of both tensors is left untouched.
void sparseSgdStep(torch::Tensor& values, torch::Tensor& momentum, const torch::Tensor& index,
                   const torch::Tensor& gradient, double lr, double momentumFactor, double weightDecay,
                   double low, double high);

class DataParameters {
public:
    // `instances` training rows (addressed by their position 0..instances-1) and `classes`
    // classes; float32 parameters on `device`, at log(init), momenta at 0.
    DataParameters(const DataParamsConfig& config, std::int64_t instances, int classes, torch::Device device);

    // The temperature of each row of a batch, B x 1: sigma_class[labels] + sigma_inst[index], or
    // the one term whose level is on. `index` holds positions of training rows (no repeats),
    // `labels` their classes; both 1-D long on the device. Differentiable: after backward() of a
    // loss built from it, step() updates the parameters this batch used.
    torch::Tensor batchSigma(const torch::Tensor& index, const torch::Tensor& labels);
    // The sparse step of both levels for the last batchSigma()'s batch: its rows' instance
    // parameters and the classes present in it.
    void step();

    // sigma (not log), float on the CPU: instances, classes. Undefined for a level that is off.
    torch::Tensor instanceSigma() const;
    torch::Tensor classSigma() const;

    // The log-space parameters and their momenta (1-D, on the device); undefined when off.
    const torch::Tensor& logInstance() const { return logInstance_; }
    const torch::Tensor& instanceMomentum() const { return instanceMomentum_; }
    const torch::Tensor& logClass() const { return logClass_; }
    const torch::Tensor& classMomentum() const { return classMomentum_; }

private:
    void classStepCpu(const torch::Tensor& gradient);

    DataParamsConfig config_;
    double low_, high_;  // the clamp, in log space
    torch::Tensor logInstance_, instanceMomentum_;
    torch::Tensor logClass_, classMomentum_;
    // The last batch: its row positions, the leaves its sigma was built from, which classes it has
    // (on the CPU its labels, classesPresent_ elsewhere).
    torch::Tensor index_, instanceLeaf_, classLeaf_, labels_, classesPresent_;
};

}  // namespace crowdsift::learn
