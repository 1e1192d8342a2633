#include "learn/trainer_internal.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace crowdsift {

namespace learn {

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

}  // namespace learn

using learn::AutocastScope;
using learn::gatherRows;
using learn::shapeOf;

// Images as float in [0, 1], N x C x H x W, from uint8 N x H x W x C rows on the device.
torch::Tensor Classifier::Impl::imagesToFloat(const torch::Tensor& raw) const
{
    return raw.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
}

torch::Tensor Classifier::Impl::inMemoryFormat(const torch::Tensor& x) const
{
    if (x.dim() != 4)
        return x;
    return mixed ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
}

// What the network trains on for `rows`, on the device: uint8 N x H x W x C images, or N x D
// float features (the backbone's embeddings for torchscript).
torch::Tensor Classifier::Impl::networkData(const LearnInput& input, const std::vector<int>& rows, Progress& progress)
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
void Classifier::Impl::setNormalization(const LearnInput& input, const std::vector<int>& rows, const torch::Tensor& data)
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

std::pair<std::int64_t, std::int64_t> Classifier::Impl::cropPadding() const
{
    return {std::llround(static_cast<double>(netShape.height) / 8.0),
            std::llround(static_cast<double>(netShape.width) / 8.0)};
}

Classifier::Impl::AugmentDraws Classifier::Impl::drawAugmentation(std::int64_t count, at::Generator& generator) const
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
torch::Tensor Classifier::Impl::batchInput(const torch::Tensor& data, const torch::Tensor& index, bool augmenting,
                                           const AugmentDraws& draws, std::int64_t begin, std::int64_t end) const
{
    torch::Tensor x = data.index_select(0, index);
    if (!netShape.isImage())
        return x;
    x = imagesToFloat(x);
    if (augmenting)
        x = augment(x, draws, begin, end);
    return inMemoryFormat(x);
}

torch::Tensor Classifier::Impl::augment(torch::Tensor x, const AugmentDraws& draws, std::int64_t begin, std::int64_t end) const
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

double learn::secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::int64_t Classifier::Impl::batchesPerEpoch(std::int64_t count) const
{
    const std::int64_t batchSize = std::min<std::int64_t>(config.batchSize, count);
    std::int64_t batches = (count + batchSize - 1) / batchSize;
    if (count % batchSize == 1 && batches > 1)
        --batches;
    return batches;
}

double Classifier::Impl::runEpoch(int epoch, const torch::Tensor& data, std::int64_t count, at::Generator& generator,
                                  std::int64_t& step, Progress& progress, const std::function<void(const Batch&)>& body)
{
    const std::int64_t batchSize = std::min<std::int64_t>(config.batchSize, count);
    const std::int64_t batches = batchesPerEpoch(count);
    const double totalSteps = static_cast<double>(batches * config.epochs);
    const std::string stage = "epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs);
    const bool augmenting = netShape.isImage() && (config.augment || config.flip);
    net->train();
    Batch batch;
    batch.order = torch::randperm(count, generator, torch::kLong);
    const torch::Tensor deviceOrder = batch.order.to(device);
    const AugmentDraws draws = augmenting ? drawAugmentation(count, generator) : AugmentDraws{};
    for (std::int64_t b = 0; b < batches; ++b) {
        progress.check();
        batch.begin = b * batchSize;
        batch.end = b + 1 == batches ? count : batch.begin + batchSize;
        batch.index = deviceOrder.slice(0, batch.begin, batch.end);
        batch.x = batchInput(data, batch.index, augmenting, draws, batch.begin, batch.end);
        batch.learningRate = scheduledLearningRate(config, step, batches);
        body(batch);
        ++step;
        progress.step(static_cast<double>(step), totalSteps, stage);
    }
    return batch.learningRate;
}

}  // namespace crowdsift
