#pragma once

// Internal to core/learn's trainer, shared by its parts: trainer.cpp (the Classifier: building,
// the epoch loop, prediction, saving), trainer_schedule.cpp (configuration checks, seeds, the
// learning-rate schedule, the optimizer), trainer_device.cpp (device choice, threads, autocast)
// and trainer_batches.cpp (targets, rows, splits, the device-resident data and augmentation).
// Torch types; included by nothing outside core/learn.

#include "learn/torch_models.h"
#include "learn/trainer.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

namespace learn {

// Seconds from `start` to now (steady clock).
double secondsSince(std::chrono::steady_clock::time_point start);

// splitmix64: unrelated streams (initialisation, shuffles, augmentation) from one user seed.
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream);

// Throws InputError naming the first field of `config` out of range.
void validateConfig(const TrainConfig& config);

// The optimizer of one fit(): SGD's update over all parameters at once (see MultiTensorSgd) or
// LibTorch's AdamW. Each step: zeroGrad(lr), forward, backward, step(lr).
class TrainOptimizer {
public:
    TrainOptimizer(const TrainConfig& config, const std::vector<torch::Tensor>& parameters);
    void zeroGrad(double learningRate);
    void step(double learningRate);

private:
    std::unique_ptr<MultiTensorSgd> sgd_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

// bf16 autocast on CUDA for one forward pass, restored (and its weight-cast cache cleared, as
// Python's torch.autocast does on exit) when the scope ends: the cache holds casts of weights
// that the next optimizer step changes.
class AutocastScope {
public:
    explicit AutocastScope(bool enabled);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool enabled_;
    bool previousEnabled_ = false;
    at::ScalarType previousType_ = at::kFloat;
};

InputShape shapeOf(const LearnInput& input);

// Target probabilities (rows x K) and their argmax (rows) for `rows`; soft rows are normalised
// to sum to 1 so that vote counts serve as well as posteriors.
std::pair<torch::Tensor, torch::Tensor> targetTensors(const Targets& targets, const std::vector<int>& rows, int classes);
void validateTargets(const LearnInput& input, const Targets& targets, int classes);
void validateRows(const LearnInput& input, const std::vector<int>& rows);
// The rows of `input` as one CPU tensor: rows x H x W x C uint8 (images) or rows x D float.
torch::Tensor gatherRows(const LearnInput& input, const std::vector<int>& rows);
// Splits `rows` (all labelled) into training and validation rows: per class, round(fraction x
// its count) of its rows, drawn with `generator`, keeping at least one for training.
std::pair<std::vector<int>, std::vector<int>> stratifiedSplit(const std::vector<int>& rows, const std::vector<int>& labels,
                                                              int classes, double fraction, at::Generator& generator);

}  // namespace learn

struct Classifier::Impl {
    using InputShape = learn::InputShape;

    ModelSpec spec;
    TrainConfig config;
    int classes = 0;
    torch::Device device{torch::kCPU};
    InputShape inputShape;  // of the LearnInput
    InputShape netShape;    // what the network takes (the embeddings' for torchscript)
    bool mixed = false;     // CUDA with mixed precision: bf16 autocast, channels_last
    learn::Net net{nullptr};
    std::unique_ptr<learn::Backbone> backbone;

    // torchscript: embeddings of the input last seen, computed once per row.
    struct {
        const void* data = nullptr;
        std::size_t size = 0;
        InputShape shape;
        torch::Tensor values;    // count x D float, on the device
        std::vector<char> done;  // count
    } embeddings;

    std::int64_t inferenceBatch() const { return std::max(256, 2 * config.batchSize); }

    // The random numbers of one epoch's augmentation, one row per training sample in the epoch's
    // order: crop offsets dy, dx (N x 1, long) and flip (N, bool). Drawn from `generator` on the
    // CPU and moved to the device once per epoch, so that a batch only slices them.
    struct AugmentDraws {
        torch::Tensor dy, dx, flip;
    };

    void checkInput(const LearnInput& input) const;

    // Images as float in [0, 1], N x C x H x W, from uint8 N x H x W x C rows on the device.
    torch::Tensor imagesToFloat(const torch::Tensor& raw) const;

    torch::Tensor inMemoryFormat(const torch::Tensor& x) const;

    // What the network trains on for `rows`, on the device: uint8 N x H x W x C images, or N x D
    // float features (the backbone's embeddings for torchscript).
    torch::Tensor networkData(const LearnInput& input, const std::vector<int>& rows, Progress& progress);

    // Per-channel (images) or per-feature mean and standard deviation of the training rows.
    void setNormalization(const LearnInput& input, const std::vector<int>& rows, const torch::Tensor& data);

    std::pair<std::int64_t, std::int64_t> cropPadding() const;

    AugmentDraws drawAugmentation(std::int64_t count, at::Generator& generator) const;

    // Random pad-crop (reflect padding of 1/8 of the side) and horizontal flips of the N x C x H x W
    // float images of epoch positions [begin, end), with that epoch's draws; all on the device.
    torch::Tensor augment(torch::Tensor x, const AugmentDraws& draws, std::int64_t begin, std::int64_t end) const;

    // The network input of one training batch: rows `index` (epoch positions [begin, end)) of
    // `data`, images made float, augmented with `draws` when `augmenting`, in the memory format.
    torch::Tensor batchInput(const torch::Tensor& data, const torch::Tensor& index, bool augmenting,
                             const AugmentDraws& draws, std::int64_t begin, std::int64_t end) const;

    // Training batches per epoch over `count` rows: batches of config.batchSize (at most `count`),
    // except that a last batch of one row joins the one before (it would break batch norm).
    std::int64_t batchesPerEpoch(std::int64_t count) const;

    // One training batch: epoch positions [begin, end); `order` the epoch's order on the CPU, so
    // that order.slice(0, begin, end) are the batch's rows of the training data; `index` the
    // same rows on the device; `x` the network input (batchInput); the scheduled learning rate.
    struct Batch {
        std::int64_t begin = 0, end = 0;
        torch::Tensor order, index, x;
        double learningRate = 0;
    };

    // One training epoch over the `count` rows of `data`: net in training mode, a fresh random
    // order from `generator`, then the augmentation draws when the config asks for them (in that
    // order, so a seed gives the same run); for each batch, checks for cancellation, builds the
    // Batch with the learning rate of step `step` (scheduledLearningRate), calls `body` (zero the
    // gradients, forward, backward, step) and reports step + 1 of batchesPerEpoch(count) x
    // config.epochs under "epoch E/EPOCHS". Returns the last batch's learning rate.
    double runEpoch(int epoch, const torch::Tensor& data, std::int64_t count, at::Generator& generator,
                    std::int64_t& step, Progress& progress, const std::function<void(const Batch&)>& body);

    // Mean loss and accuracy over `data` against `targets` / `labels`, in eval mode.
    std::pair<double, double> evaluate(const torch::Tensor& data, const torch::Tensor& targets, const torch::Tensor& labels,
                                       Progress& progress);

    std::vector<torch::Tensor> stateTensors() const;
};

}  // namespace crowdsift
