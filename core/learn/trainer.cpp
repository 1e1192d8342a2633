#include "learn/trainer_internal.h"

#include "learn/data_parameters.h"

#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

namespace crowdsift {

namespace {

using Clock = std::chrono::steady_clock;
using learn::AutocastScope;
using learn::gatherRows;
using learn::InputShape;
using learn::mixSeed;
using learn::shapeOf;
using learn::stratifiedSplit;
using learn::targetTensors;
using learn::validateConfig;
using learn::validateRows;
using learn::secondsSince;
using learn::validateTargets;

std::string firstLine(const std::string& text)
{
    return text.substr(0, text.find('\n'));
}

}  // namespace

std::vector<double> sigmaQuantiles(std::vector<float> values)
{
    values.erase(std::remove_if(values.begin(), values.end(), [](float v) { return std::isnan(v); }), values.end());
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    const auto quantile = [&](double q) {
        const double position = q * static_cast<double>(values.size() - 1);
        const auto below = static_cast<std::size_t>(std::floor(position));
        const std::size_t above = std::min(below + 1, values.size() - 1);
        const double t = position - static_cast<double>(below);
        return static_cast<double>(values[below]) * (1 - t) + static_cast<double>(values[above]) * t;
    };
    return {values.front(), quantile(0.25), quantile(0.5), quantile(0.75), values.back()};
}

void Classifier::Impl::checkInput(const LearnInput& input) const
{
    const InputShape shape = shapeOf(input);
    if (!(shape == inputShape))
        throw InputError("input", shape.describe(),
                         "this classifier was built for " + inputShape.describe());
}

// Mean loss and accuracy over `data` against `targets` / `labels`, in eval mode.
std::pair<double, double> Classifier::Impl::evaluate(const torch::Tensor& data, const torch::Tensor& targets, const torch::Tensor& labels,
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

std::vector<torch::Tensor> Classifier::Impl::stateTensors() const
{
    std::vector<torch::Tensor> state = net->parameters();
    for (const torch::Tensor& buffer : net->buffers())
        state.push_back(buffer);
    return state;
}

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

    learn::TrainOptimizer optimizer(config, d.net->parameters());

    const auto count = static_cast<std::int64_t>(trainRows.size());
    std::optional<learn::DataParameters> dataParams;
    std::vector<torch::Tensor> instanceColumns, classColumns;  // per epoch, on the CPU
    if (config.dataParams.enabled())
        dataParams.emplace(config.dataParams, count, d.classes, d.device);
    TrainResult result;
    double bestLoss = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> bestState;
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
        const auto epochStart = Clock::now();
        torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kDouble));
        torch::Tensor correct = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kLong));
        const double learningRate = d.runEpoch(epoch, trainData, count, generator, step, progress, [&](const Impl::Batch& b) {
            optimizer.zeroGrad(b.learningRate);
            torch::Tensor logits;
            {
                AutocastScope autocast(d.mixed);
                logits = d.net->forward(b.x);
            }
            logits = logits.to(torch::kFloat);
            const torch::Tensor batchLabels = trainLabels.index_select(0, b.index);
            torch::Tensor scaled = logits;
            if (dataParams)
                scaled = logits / dataParams->batchSigma(b.index, batchLabels);
            const torch::Tensor loss = learn::softCrossEntropy(scaled, trainTargets.index_select(0, b.index), config.labelSmoothing);
            loss.backward();
            optimizer.step(b.learningRate);
            if (dataParams)
                dataParams->step();
            torch::NoGradGuard noGrad;
            lossSum += loss.detach() * (b.end - b.begin);
            correct += (logits.argmax(1) == batchLabels).sum();
        });
        EpochRecord record;
        record.epoch = epoch;
        if (dataParams) {
            if (config.dataParams.instanceLevel) {
                instanceColumns.push_back(dataParams->instanceSigma());
                const torch::Tensor& column = instanceColumns.back();
                record.instanceSigmaQuantiles
                    = sigmaQuantiles(std::vector<float>(column.data_ptr<float>(), column.data_ptr<float>() + column.numel()));
            }
            if (config.dataParams.classLevel) {
                classColumns.push_back(dataParams->classSigma());
                const torch::Tensor& column = classColumns.back();
                record.classSigma.assign(column.data_ptr<float>(), column.data_ptr<float>() + column.numel());
            }
        }
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
    if (!instanceColumns.empty()) {
        const auto epochs = static_cast<std::int64_t>(instanceColumns.size());
        const torch::Tensor sigma = torch::stack(instanceColumns, 1).contiguous();  // count x E
        result.instanceSigma.assign(static_cast<std::size_t>(input.count() * epochs), std::numeric_limits<float>::quiet_NaN());
        const float* source = sigma.data_ptr<float>();
        for (std::int64_t j = 0; j < count; ++j)
            std::memcpy(result.instanceSigma.data() + trainRows[static_cast<std::size_t>(j)] * epochs, source + j * epochs,
                        sizeof(float) * static_cast<std::size_t>(epochs));
    }
    if (!classColumns.empty()) {
        const torch::Tensor sigma = torch::stack(classColumns, 1).contiguous();  // K x E
        result.classSigma.assign(sigma.data_ptr<float>(), sigma.data_ptr<float>() + sigma.numel());
    }
    d.net->eval();
    if (!config.checkpointPath.empty())
        save(config.checkpointPath);
    result.seconds = secondsSince(start);
    return result;
}

RowMatrixXf Classifier::predict(const LearnInput& input, const std::vector<int>& rows, Progress& progress,
                                RowMatrixXf* embeddings) const
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
        torch::Tensor embedding;
        {
            AutocastScope autocast(d.mixed);
            if (embeddings)
                std::tie(embedding, logits) = d.net->forwardWithEmbedding(x);
            else
                logits = d.net->forward(x);
        }
        const torch::Tensor p = torch::softmax(logits.to(torch::kFloat), 1).to(torch::kCPU).contiguous();
        std::memcpy(probabilities.data() + begin * d.classes, p.data_ptr<float>(),
                    sizeof(float) * static_cast<std::size_t>((end - begin) * d.classes));
        if (embeddings) {
            const torch::Tensor e = embedding.to(torch::kFloat).to(torch::kCPU).contiguous();
            if (begin == 0)
                embeddings->resize(static_cast<Eigen::Index>(rows.size()), e.size(1));
            std::memcpy(embeddings->data() + begin * e.size(1), e.data_ptr<float>(),
                        sizeof(float) * static_cast<std::size_t>(e.numel()));
        }
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
