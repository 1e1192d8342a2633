#include "learn/trainer.h"

#include "learn/torch_models.h"
#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

namespace crowdsift {

namespace {

using Clock = std::chrono::steady_clock;
using learn::InputShape;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    // splitmix64: unrelated streams (initialisation, shuffles, augmentation) from one user seed.
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string firstLine(const std::string& text)
{
    return text.substr(0, text.find('\n'));
}

InputShape shapeOf(const LearnInput& input)
{
    InputShape shape;
    if (input.hasImages()) {
        shape.channels = input.channels;
        shape.height = input.height;
        shape.width = input.width;
    } else {
        shape.features = input.featureSize();
    }
    return shape;
}

// bf16 autocast on CUDA for one forward pass, restored (and its weight-cast cache cleared, as
// Python's torch.autocast does on exit) when the scope ends: the cache holds casts of weights
// that the next optimizer step changes.
class AutocastScope {
public:
    explicit AutocastScope(bool enabled) : enabled_(enabled)
    {
        if (!enabled_)
            return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        previousEnabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
        previousType_ = at::autocast::get_autocast_dtype(at::kCUDA);
        at::autocast::set_autocast_enabled(at::kCUDA, true);
        at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
        previousEnabled_ = at::autocast::is_enabled();
        previousType_ = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_enabled(true);
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
        at::autocast::increment_nesting();
    }
    ~AutocastScope()
    {
        if (!enabled_)
            return;
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        at::autocast::set_autocast_enabled(at::kCUDA, previousEnabled_);
        at::autocast::set_autocast_dtype(at::kCUDA, previousType_);
#else
        at::autocast::set_enabled(previousEnabled_);
        at::autocast::set_autocast_gpu_dtype(previousType_);
#endif
    }
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool enabled_;
    bool previousEnabled_ = false;
    at::ScalarType previousType_ = at::kFloat;
};

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
}

// Target probabilities (rows x K) and their argmax (rows) for `rows`; soft rows are normalised
// to sum to 1 so that vote counts serve as well as posteriors.
std::pair<torch::Tensor, torch::Tensor> targetTensors(const Targets& targets, const std::vector<int>& rows, int classes)
{
    const auto count = static_cast<std::int64_t>(rows.size());
    torch::Tensor probabilities = torch::zeros({count, classes}, torch::kFloat);
    torch::Tensor labels = torch::empty({count}, torch::kLong);
    float* p = probabilities.data_ptr<float>();
    std::int64_t* y = labels.data_ptr<std::int64_t>();
    const std::vector<int> hard = targets.hardLabels();
    for (std::int64_t i = 0; i < count; ++i) {
        const int row = rows[static_cast<std::size_t>(i)];
        y[i] = hard[static_cast<std::size_t>(row)];
        if (targets.isSoft()) {
            const float sum = targets.soft.row(row).sum();
            for (int k = 0; k < classes; ++k)
                p[i * classes + k] = targets.soft(row, k) / sum;
        } else {
            p[i * classes + y[i]] = 1.0f;
        }
    }
    return {probabilities, labels};
}

void validateTargets(const LearnInput& input, const Targets& targets, int classes)
{
    if (targets.count() != input.count())
        throw InputError("targets", "", std::to_string(targets.count()) + " targets for " + std::to_string(input.count())
                                            + " input rows");
    if (targets.isSoft()) {
        if (targets.soft.cols() != classes)
            throw InputError("targets", "", "soft targets have " + std::to_string(targets.soft.cols())
                                                + " columns, the classifier has " + std::to_string(classes) + " classes");
        for (Eigen::Index i = 0; i < targets.soft.rows(); ++i) {
            for (Eigen::Index k = 0; k < targets.soft.cols(); ++k) {
                const float value = targets.soft(i, k);
                if (!std::isfinite(value) || value < 0)
                    throw InputError("targets", "row " + std::to_string(i),
                                     "soft targets must be finite and non-negative");
            }
        }
        return;
    }
    for (std::size_t i = 0; i < targets.labels.size(); ++i) {
        const int label = targets.labels[i];
        if (label < -1 || label >= classes)
            throw InputError("targets", "row " + std::to_string(i),
                             "label " + std::to_string(label) + " is outside [0, " + std::to_string(classes) + ") and not -1");
    }
}

void validateRows(const LearnInput& input, const std::vector<int>& rows)
{
    const int count = input.count();
    for (const int row : rows) {
        if (row < 0 || row >= count)
            throw InputError("rows", std::to_string(row), "outside the input's " + std::to_string(count) + " rows");
    }
}

// The rows of `input` as one CPU tensor: rows x H x W x C uint8 (images) or rows x D float.
torch::Tensor gatherRows(const LearnInput& input, const std::vector<int>& rows)
{
    const auto count = static_cast<std::int64_t>(rows.size());
    if (input.hasImages()) {
        const std::size_t perImage = static_cast<std::size_t>(input.height) * input.width * input.channels;
        torch::Tensor out = torch::empty({count, input.height, input.width, input.channels}, torch::kUInt8);
        std::uint8_t* dst = out.data_ptr<std::uint8_t>();
        for (std::int64_t i = 0; i < count; ++i)
            std::memcpy(dst + i * perImage, input.images.data() + static_cast<std::size_t>(rows[i]) * perImage, perImage);
        return out;
    }
    const auto dim = static_cast<std::int64_t>(input.features.cols());
    torch::Tensor out = torch::empty({count, dim}, torch::kFloat);
    float* dst = out.data_ptr<float>();
    for (std::int64_t i = 0; i < count; ++i)
        std::memcpy(dst + i * dim, input.features.data() + static_cast<std::size_t>(rows[i]) * dim, sizeof(float) * dim);
    return out;
}

// Splits `rows` (all labelled) into training and validation rows: per class, round(fraction x
// its count) of its rows, drawn with `generator`, keeping at least one for training.
std::pair<std::vector<int>, std::vector<int>> stratifiedSplit(const std::vector<int>& rows, const std::vector<int>& labels,
                                                              int classes, double fraction, at::Generator& generator)
{
    if (fraction <= 0)
        return {rows, {}};
    std::vector<std::vector<int>> byClass(static_cast<std::size_t>(classes));
    for (const int row : rows)
        byClass[static_cast<std::size_t>(labels[static_cast<std::size_t>(row)])].push_back(row);
    std::vector<char> held(rows.empty() ? 0 : static_cast<std::size_t>(*std::max_element(rows.begin(), rows.end())) + 1, 0);
    for (const std::vector<int>& members : byClass) {
        const auto count = static_cast<std::int64_t>(members.size());
        const std::int64_t take = std::min<std::int64_t>(std::llround(fraction * static_cast<double>(count)), count - 1);
        if (take <= 0)
            continue;
        const torch::Tensor order = torch::randperm(count, generator, torch::kLong);
        const std::int64_t* o = order.data_ptr<std::int64_t>();
        for (std::int64_t i = 0; i < take; ++i)
            held[static_cast<std::size_t>(members[static_cast<std::size_t>(o[i])])] = 1;
    }
    std::vector<int> train, validation;
    for (const int row : rows)
        (held[static_cast<std::size_t>(row)] ? validation : train).push_back(row);
    return {train, validation};
}

}  // namespace

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

std::string resolveDevice(const std::string& requested)
{
    if (requested == "auto")
        return cudaAvailable() ? "cuda" : "cpu";
    if (requested == "cpu")
        return "cpu";
    if (requested == "cuda") {
        if (!cudaAvailable())
            throw InputError("device", requested, "CUDA is not available (this LibTorch build or this machine has no GPU)");
        return "cuda";
    }
    throw InputError("device", requested, "unknown device; expected auto, cpu or cuda");
}

void configureTorchThreads(int threads)
{
    static std::mutex mutex;
    static int current = -1;
    const int wanted = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::lock_guard<std::mutex> lock(mutex);
    if (wanted == current)
        return;
    torch::set_num_threads(wanted);
    // OpenBLAS, which Debian's LibTorch calls for matrix products, keeps a thread pool of its own
    // beside torch's OpenMP threads; with both spinning on two cores an mlp ran 2.5x slower on two
    // threads than on one (LabelMe loop: 6.8 s against 2.7 s; 3.0 s with OpenBLAS on one thread).
    // Torch parallelises around its BLAS calls, so BLAS gets one thread. A LibTorch with another
    // BLAS (MKL in PyTorch's wheels) has no such symbol and is left alone.
    using SetBlasThreads = void (*)(int);
    if (auto* setBlasThreads = reinterpret_cast<SetBlasThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        setBlasThreads(1);
    current = wanted;
}

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

struct Classifier::Impl {
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

    void checkInput(const LearnInput& input) const
    {
        const InputShape shape = shapeOf(input);
        if (!(shape == inputShape))
            throw InputError("input", shape.describe(),
                             "this classifier was built for " + inputShape.describe());
    }

    // Images as float in [0, 1], N x C x H x W, from uint8 N x H x W x C rows on the device.
    torch::Tensor imagesToFloat(const torch::Tensor& raw) const
    {
        return raw.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
    }

    torch::Tensor inMemoryFormat(const torch::Tensor& x) const
    {
        if (x.dim() != 4)
            return x;
        return mixed ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
    }

    // What the network trains on for `rows`, on the device: uint8 N x H x W x C images, or N x D
    // float features (the backbone's embeddings for torchscript).
    torch::Tensor networkData(const LearnInput& input, const std::vector<int>& rows, Progress& progress)
    {
        if (!backbone)
            return gatherRows(input, rows).to(device);
        const void* data = input.hasImages() ? static_cast<const void*>(input.images.data())
                                             : static_cast<const void*>(input.features.data());
        const std::size_t size = input.hasImages() ? input.images.size() : static_cast<std::size_t>(input.features.size());
        const InputShape shape = shapeOf(input);
        if (embeddings.data != data || embeddings.size != size || !(embeddings.shape == shape)) {
            embeddings.data = data;
            embeddings.size = size;
            embeddings.shape = shape;
            embeddings.values = torch::zeros({input.count(), netShape.features}, torch::TensorOptions(device).dtype(torch::kFloat));
            embeddings.done.assign(static_cast<std::size_t>(input.count()), 0);
        }
        std::vector<int> missing;
        for (const int row : rows) {
            if (!embeddings.done[static_cast<std::size_t>(row)]) {
                embeddings.done[static_cast<std::size_t>(row)] = 1;
                missing.push_back(row);
            }
        }
        try {
            const std::int64_t batch = inferenceBatch();
            for (std::size_t begin = 0; begin < missing.size(); begin += static_cast<std::size_t>(batch)) {
                progress.check();
                const std::size_t end = std::min(missing.size(), begin + static_cast<std::size_t>(batch));
                const std::vector<int> chunk(missing.begin() + static_cast<std::ptrdiff_t>(begin),
                                             missing.begin() + static_cast<std::ptrdiff_t>(end));
                torch::Tensor x = gatherRows(input, chunk).to(device);
                if (input.hasImages())
                    x = inMemoryFormat(imagesToFloat(x));
                torch::Tensor embedded;
                {
                    AutocastScope autocast(mixed);
                    embedded = backbone->embed(x);
                }
                if (embedded.size(1) != netShape.features)
                    throw InputError(backbone->path(), "forward", "the backbone returned " + std::to_string(embedded.size(1))
                                                                     + " features, earlier " + std::to_string(netShape.features));
                const torch::Tensor index = torch::tensor(chunk, torch::kLong).to(device);
                embeddings.values.index_copy_(0, index, embedded.to(torch::kFloat));
            }
        } catch (...) {
            for (const int row : missing)
                embeddings.done[static_cast<std::size_t>(row)] = 0;
            throw;
        }
        return embeddings.values.index_select(0, torch::tensor(rows, torch::kLong).to(device));
    }

    // Per-channel (images) or per-feature mean and standard deviation of the training rows.
    void setNormalization(const LearnInput& input, const std::vector<int>& rows, const torch::Tensor& data)
    {
        torch::Tensor mean, deviation;
        if (netShape.isImage()) {
            const int channels = input.channels;
            const std::size_t perImage = static_cast<std::size_t>(input.height) * input.width * channels;
            std::vector<double> sum(static_cast<std::size_t>(channels), 0.0), squares(static_cast<std::size_t>(channels), 0.0);
            for (const int row : rows) {
                const std::uint8_t* pixel = input.images.data() + static_cast<std::size_t>(row) * perImage;
                for (std::size_t i = 0; i < perImage; ++i) {
                    const double value = pixel[i] / 255.0;
                    sum[i % static_cast<std::size_t>(channels)] += value;
                    squares[i % static_cast<std::size_t>(channels)] += value * value;
                }
            }
            const double n = static_cast<double>(rows.size()) * input.height * input.width;
            mean = torch::empty({channels}, torch::kDouble);
            deviation = torch::empty({channels}, torch::kDouble);
            for (int c = 0; c < channels; ++c) {
                const double m = sum[static_cast<std::size_t>(c)] / n;
                const double sd = std::sqrt(std::max(0.0, squares[static_cast<std::size_t>(c)] / n - m * m));
                mean.data_ptr<double>()[c] = m;
                deviation.data_ptr<double>()[c] = sd > 1e-6 ? sd : 1.0;
            }
        } else {
            const torch::Tensor values = data.to(torch::kDouble);
            mean = values.mean(0);
            deviation = (values - mean).square().mean(0).sqrt();
            deviation = torch::where(deviation > 1e-6, deviation, torch::ones_like(deviation));
        }
        net->setNormalization(mean.to(device, torch::kFloat), deviation.to(device, torch::kFloat));
    }

    // The random numbers of one epoch's augmentation, one row per training sample in the epoch's
    // order: crop offsets dy, dx (N x 1, long) and flip (N, bool). Drawn from `generator` on the
    // CPU and moved to the device once per epoch, so that a batch only slices them.
    struct AugmentDraws {
        torch::Tensor dy, dx, flip;
    };

    std::pair<std::int64_t, std::int64_t> cropPadding() const
    {
        return {std::llround(static_cast<double>(netShape.height) / 8.0),
                std::llround(static_cast<double>(netShape.width) / 8.0)};
    }

    AugmentDraws drawAugmentation(std::int64_t count, at::Generator& generator) const
    {
        AugmentDraws draws;
        const auto [padY, padX] = cropPadding();
        if (config.augment && (padY > 0 || padX > 0)) {
            draws.dy = torch::randint(0, 2 * padY + 1, {count, 1}, generator, torch::kLong).to(device);
            draws.dx = torch::randint(0, 2 * padX + 1, {count, 1}, generator, torch::kLong).to(device);
        }
        if (config.flip)
            draws.flip = (torch::empty({count}, torch::kFloat).bernoulli_(0.5, generator) > 0.5).to(device);
        return draws;
    }

    // Random pad-crop (reflect padding of 1/8 of the side) and horizontal flips of the N x C x H x W
    // float images of epoch positions [begin, end), with that epoch's draws; all on the device.
    torch::Tensor augment(torch::Tensor x, const AugmentDraws& draws, std::int64_t begin, std::int64_t end) const
    {
        const std::int64_t n = x.size(0);
        const std::int64_t height = x.size(2);
        const std::int64_t width = x.size(3);
        const auto longs = torch::TensorOptions(device).dtype(torch::kLong);
        if (draws.dy.defined()) {
            const auto [padY, padX] = cropPadding();
            const torch::Tensor padded = torch::reflection_pad2d(x, {padX, padX, padY, padY});
            const torch::Tensor ys = (draws.dy.slice(0, begin, end) + torch::arange(height, longs)).view({n, height, 1});
            const torch::Tensor xs = (draws.dx.slice(0, begin, end) + torch::arange(width, longs)).view({n, 1, width});
            const torch::Tensor images = torch::arange(n, longs).view({n, 1, 1});
            // N x H x W x C gathered from the padded N x H' x W' x C view.
            x = padded.permute({0, 2, 3, 1}).index({images, ys, xs}).permute({0, 3, 1, 2});
        }
        if (draws.flip.defined())
            x = torch::where(draws.flip.slice(0, begin, end).view({n, 1, 1, 1}), x.flip({3}), x);
        return x;
    }

    // Mean loss and accuracy over `data` against `targets` / `labels`, in eval mode.
    std::pair<double, double> evaluate(const torch::Tensor& data, const torch::Tensor& targets, const torch::Tensor& labels,
                                       Progress& progress)
    {
        net->eval();
        torch::NoGradGuard noGrad;
        const std::int64_t count = data.size(0);
        torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kDouble));
        torch::Tensor correct = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kLong));
        for (std::int64_t begin = 0; begin < count; begin += inferenceBatch()) {
            progress.check();
            const std::int64_t end = std::min(count, begin + inferenceBatch());
            torch::Tensor x = data.slice(0, begin, end);
            if (netShape.isImage())
                x = inMemoryFormat(imagesToFloat(x));
            torch::Tensor logits;
            {
                AutocastScope autocast(mixed);
                logits = net->forward(x);
            }
            logits = logits.to(torch::kFloat);
            lossSum += learn::softCrossEntropy(logits, targets.slice(0, begin, end), config.labelSmoothing) * (end - begin);
            correct += (logits.argmax(1) == labels.slice(0, begin, end)).sum();
        }
        return {lossSum.item<double>() / static_cast<double>(count),
                static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(count)};
    }

    std::vector<torch::Tensor> stateTensors() const
    {
        std::vector<torch::Tensor> state = net->parameters();
        for (const torch::Tensor& buffer : net->buffers())
            state.push_back(buffer);
        return state;
    }
};

Classifier::Classifier(const ModelSpec& spec, const LearnInput& input, int classes, const TrainConfig& config)
    : impl_(std::make_unique<Impl>())
{
    validateModelSpec(spec, input.hasImages());
    validateConfig(config);
    if (input.count() == 0)
        throw InputError("input", "", "there is nothing to train on (no images and no feature vectors)");
    configureTorchThreads(config.threads);
    Impl& d = *impl_;
    d.spec = spec;
    d.config = config;
    d.classes = classes;
    d.device = torch::Device(resolveDevice(config.device) == "cuda" ? torch::kCUDA : torch::kCPU);
    d.mixed = d.device.is_cuda() && config.mixedPrecision;
    if (d.mixed)
        at::globalContext().setBenchmarkCuDNN(true);
    d.inputShape = shapeOf(input);
    d.netShape = d.inputShape;
    if (spec.name == "torchscript") {
        d.backbone = std::make_unique<learn::Backbone>(spec.backbone, d.device);
        torch::Tensor probe = gatherRows(input, {0}).to(d.device);
        if (input.hasImages())
            probe = d.inMemoryFormat(d.imagesToFloat(probe));
        d.netShape = InputShape{};
        d.netShape.features = static_cast<int>(d.backbone->embed(probe).size(1));
    }
    d.net = learn::makeNetwork(spec, d.netShape, classes, mixSeed(config.seed, 0));
    d.net->to(d.device);
    if (d.mixed && d.netShape.isImage()) {
        torch::NoGradGuard noGrad;
        for (torch::Tensor& parameter : d.net->parameters()) {
            if (parameter.dim() == 4)
                parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
        }
    }
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

TrainResult Classifier::fit(const LearnInput& input, const std::vector<int>& rows, const Targets& targets,
                            Progress& progress, const EpochCallback& onEpoch)
{
    Impl& d = *impl_;
    const TrainConfig& config = d.config;
    const auto start = Clock::now();
    d.checkInput(input);
    validateTargets(input, targets, d.classes);
    validateRows(input, rows);

    const std::vector<int> labels = targets.hardLabels();
    std::vector<int> labelled;
    for (const int row : rows) {
        if (labels[static_cast<std::size_t>(row)] >= 0)
            labelled.push_back(row);
    }
    if (labelled.empty())
        throw InputError("targets", "", "none of the training rows has a label");

    at::Generator generator = at::detail::createCPUGenerator(mixSeed(config.seed, 1));
    const auto [trainRows, validationRows] =
        stratifiedSplit(labelled, labels, d.classes, config.validationFraction, generator);

    // Every row the run needs, converted once and kept on the device.
    const torch::Tensor trainData = d.networkData(input, trainRows, progress);
    auto [trainTargets, trainLabels] = targetTensors(targets, trainRows, d.classes);
    trainTargets = trainTargets.to(d.device);
    trainLabels = trainLabels.to(d.device);
    torch::Tensor validationData, validationTargets, validationLabels;
    const bool validating = !validationRows.empty();
    if (validating) {
        validationData = d.networkData(input, validationRows, progress);
        std::tie(validationTargets, validationLabels) = targetTensors(targets, validationRows, d.classes);
        validationTargets = validationTargets.to(d.device);
        validationLabels = validationLabels.to(d.device);
    }
    d.setNormalization(input, trainRows, trainData);

    // SGD's update over all parameters at once (see MultiTensorSgd); AdamW from LibTorch.
    std::unique_ptr<learn::MultiTensorSgd> sgd;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (config.optimizer == OptimizerKind::Sgd) {
        sgd = std::make_unique<learn::MultiTensorSgd>(d.net->parameters(), config.momentum, config.weightDecay,
                                                      config.momentum > 0);
    } else {
        optimizer = std::make_unique<torch::optim::AdamW>(
            d.net->parameters(), torch::optim::AdamWOptions(config.learningRate).weight_decay(config.weightDecay));
    }

    const auto count = static_cast<std::int64_t>(trainRows.size());
    const std::int64_t batchSize = std::min<std::int64_t>(config.batchSize, count);
    // A last batch of one image would break batch norm in training mode: it joins the one before.
    std::int64_t batches = (count + batchSize - 1) / batchSize;
    if (count % batchSize == 1 && batches > 1)
        --batches;
    const std::int64_t totalSteps = batches * config.epochs;
    const bool augmenting = d.netShape.isImage() && (config.augment || config.flip);

    TrainResult result;
    double bestLoss = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> bestState;
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
        const auto epochStart = Clock::now();
        const std::string stage = "epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs);
        d.net->train();
        const torch::Tensor order = torch::randperm(count, generator, torch::kLong).to(d.device);
        const Impl::AugmentDraws draws = augmenting ? d.drawAugmentation(count, generator) : Impl::AugmentDraws{};
        torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kDouble));
        torch::Tensor correct = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kLong));
        double learningRate = 0;
        for (std::int64_t b = 0; b < batches; ++b) {
            progress.check();
            const std::int64_t begin = b * batchSize;
            const std::int64_t end = b + 1 == batches ? count : begin + batchSize;
            const torch::Tensor index = order.slice(0, begin, end);
            torch::Tensor x = trainData.index_select(0, index);
            if (d.netShape.isImage()) {
                x = d.imagesToFloat(x);
                if (augmenting)
                    x = d.augment(x, draws, begin, end);
                x = d.inMemoryFormat(x);
            }
            learningRate = scheduledLearningRate(config, step, batches);
            if (sgd) {
                sgd->zeroGrad();
            } else {
                for (torch::optim::OptimizerParamGroup& group : optimizer->param_groups())
                    group.options().set_lr(learningRate);
                optimizer->zero_grad();
            }
            torch::Tensor logits;
            {
                AutocastScope autocast(d.mixed);
                logits = d.net->forward(x);
            }
            logits = logits.to(torch::kFloat);
            const torch::Tensor loss = learn::softCrossEntropy(logits, trainTargets.index_select(0, index), config.labelSmoothing);
            loss.backward();
            if (sgd)
                sgd->step(learningRate);
            else
                optimizer->step();
            {
                torch::NoGradGuard noGrad;
                lossSum += loss.detach() * (end - begin);
                correct += (logits.argmax(1) == trainLabels.index_select(0, index)).sum();
            }
            ++step;
            progress.step(static_cast<double>(step), static_cast<double>(totalSteps), stage);
        }
        EpochRecord record;
        record.epoch = epoch;
        // Reading the sums waits for the device, so the timing below covers the epoch's work.
        record.trainLoss = lossSum.item<double>() / static_cast<double>(count);
        record.trainAccuracy = static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(count);
        const double trainSeconds = secondsSince(epochStart);
        record.samplesPerSecond = trainSeconds > 0 ? static_cast<double>(count) / trainSeconds : 0.0;
        record.learningRate = learningRate;
        result.trainSamples += count;
        result.trainSeconds += trainSeconds;
        if (validating) {
            std::tie(record.validationLoss, record.validationAccuracy) =
                d.evaluate(validationData, validationTargets, validationLabels, progress);
        }
        record.seconds = secondsSince(epochStart);
        result.history.push_back(record);
        if (onEpoch)
            onEpoch(record);

        if (!validating) {
            result.bestEpoch = epoch;
            continue;
        }
        if (record.validationLoss < bestLoss) {
            bestLoss = record.validationLoss;
            result.bestEpoch = epoch;
            torch::NoGradGuard noGrad;
            bestState.clear();
            for (const torch::Tensor& tensor : d.stateTensors())
                bestState.push_back(tensor.detach().clone());
        } else if (config.patience > 0 && epoch - result.bestEpoch >= config.patience) {
            result.stoppedEarly = true;
            break;
        }
    }
    if (validating && result.bestEpoch == 0) {
        result.bestEpoch = result.history.back().epoch;
    } else if (!bestState.empty() && result.bestEpoch != result.history.back().epoch) {
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> state = d.stateTensors();
        for (std::size_t i = 0; i < state.size(); ++i)
            state[i].copy_(bestState[i]);
    }
    d.net->eval();
    if (!config.checkpointPath.empty())
        save(config.checkpointPath);
    result.seconds = secondsSince(start);
    return result;
}

RowMatrixXf Classifier::predict(const LearnInput& input, const std::vector<int>& rows, Progress& progress) const
{
    Impl& d = *impl_;
    d.checkInput(input);
    validateRows(input, rows);
    RowMatrixXf probabilities(static_cast<Eigen::Index>(rows.size()), d.classes);
    if (rows.empty())
        return probabilities;
    const torch::Tensor data = d.networkData(input, rows, progress);
    d.net->eval();
    torch::NoGradGuard noGrad;
    const std::int64_t count = data.size(0);
    for (std::int64_t begin = 0; begin < count; begin += d.inferenceBatch()) {
        progress.check();
        const std::int64_t end = std::min(count, begin + d.inferenceBatch());
        torch::Tensor x = data.slice(0, begin, end);
        if (d.netShape.isImage())
            x = d.inMemoryFormat(d.imagesToFloat(x));
        torch::Tensor logits;
        {
            AutocastScope autocast(d.mixed);
            logits = d.net->forward(x);
        }
        const torch::Tensor p = torch::softmax(logits.to(torch::kFloat), 1).to(torch::kCPU).contiguous();
        std::memcpy(probabilities.data() + begin * d.classes, p.data_ptr<float>(),
                    sizeof(float) * static_cast<std::size_t>((end - begin) * d.classes));
    }
    return probabilities;
}

void Classifier::save(const std::string& path) const
{
    torch::serialize::OutputArchive archive;
    impl_->net->save(archive);
    const std::string temporary = path + ".tmp";
    try {
        archive.save_to(temporary);
    } catch (const std::exception& error) {
        std::remove(temporary.c_str());
        throw InputError(path, "", "cannot write the model: " + firstLine(error.what()));
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        throw InputError(path, "", "cannot write the model: " + std::string(std::strerror(errno)));
    }
}

void Classifier::load(const std::string& path)
{
    Impl& d = *impl_;
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path, torch::Device(torch::kCPU));
    } catch (const std::exception& error) {
        throw InputError(path, "", "not a model archive: " + firstLine(error.what()));
    }
    // Loaded into a fresh network first: torch's loader silently takes a stored tensor's shape.
    learn::Net loaded = learn::makeNetwork(d.spec, d.netShape, d.classes, 0);
    try {
        loaded->load(archive);
    } catch (const std::exception& error) {
        throw InputError(path, "", "does not fit this " + d.spec.name + " network: " + firstLine(error.what()));
    }
    auto compare = [&](const torch::OrderedDict<std::string, torch::Tensor>& stored,
                       const torch::OrderedDict<std::string, torch::Tensor>& live) {
        for (const auto& item : live) {
            const torch::Tensor& tensor = stored[item.key()];
            if (tensor.sizes() != item.value().sizes() || tensor.scalar_type() != item.value().scalar_type())
                throw InputError(path, item.key(), "shape " + c10::str(tensor.sizes()) + ", this " + d.spec.name
                                                       + " network needs " + c10::str(item.value().sizes()));
        }
    };
    compare(loaded->named_parameters(), d.net->named_parameters());
    compare(loaded->named_buffers(), d.net->named_buffers());
    torch::NoGradGuard noGrad;
    for (const auto& item : d.net->named_parameters())
        item.value().copy_(loaded->named_parameters()[item.key()]);
    for (const auto& item : d.net->named_buffers())
        item.value().copy_(loaded->named_buffers()[item.key()]);
}

std::string Classifier::device() const
{
    return impl_->device.is_cuda() ? "cuda" : "cpu";
}

std::int64_t Classifier::parameterCount() const
{
    std::int64_t count = 0;
    for (const torch::Tensor& parameter : impl_->net->parameters()) {
        if (parameter.requires_grad())
            count += parameter.numel();
    }
    return count;
}

int Classifier::classCount() const
{
    return impl_->classes;
}

}  // namespace crowdsift
