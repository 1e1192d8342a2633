// Classifier::fitComplementary: the epoch loop of fit() (trainer.cpp) with a complementary-label
// loss in place of cross entropy, and without validation or Data Parameters.

#include "learn/complementary.h"
#include "learn/complementary_losses.h"
#include "learn/trainer_internal.h"

#include "util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstring>

namespace crowdsift {

namespace {

torch::Tensor rowsOf(const RowMatrixXf& matrix, const std::vector<int>& rows)
{
    const auto k = static_cast<std::int64_t>(matrix.cols());
    torch::Tensor out = torch::empty({static_cast<std::int64_t>(rows.size()), k}, torch::kFloat);
    float* dst = out.data_ptr<float>();
    for (std::size_t i = 0; i < rows.size(); ++i)
        std::memcpy(dst + static_cast<std::int64_t>(i) * k, matrix.data() + static_cast<std::int64_t>(rows[i]) * k,
                    sizeof(float) * static_cast<std::size_t>(k));
    return out;
}

torch::Tensor toTensor(const RowMatrixXd& matrix)
{
    return torch::from_blob(const_cast<double*>(matrix.data()), {matrix.rows(), matrix.cols()}, torch::kDouble)
        .to(torch::kFloat)
        .clone();
}

}  // namespace

using learn::secondsSince;

TrainResult Classifier::fitComplementary(const LearnInput& input, const std::vector<int>& rows,
                                         const ComplementaryTargets& targets, const ComplementaryConfig& loss,
                                         Progress& progress, const EpochCallback& onEpoch, ComplementaryFit* fit)
{
    Impl& d = *impl_;
    const TrainConfig& config = d.config;
    const auto start = std::chrono::steady_clock::now();
    d.checkInput(input);
    learn::validateRows(input, rows);
    if (targets.count() != input.count() || targets.ordinary.rows() != targets.complementary.rows()
        || targets.complementary.cols() != d.classes || targets.ordinary.cols() != d.classes)
        throw InputError("targets", "", "the answer counts do not have one row per input row and one column per class");
    if (config.validationFraction > 0)
        throw InputError("val_fraction", std::to_string(config.validationFraction),
                         "complementary-label training has no validation split; use 0");
    if (config.dataParams.enabled())
        throw InputError("training", "data parameters", "complementary-label training does not take Data Parameters");
    const RowMatrixXd transition = loss.transition.size() > 0 ? loss.transition : uniformTransition(d.classes);
    validateTransition(transition, d.classes, "transition");

    std::vector<int> trainRows;
    for (const int row : rows)
        if (targets.complementary.row(row).sum() + targets.ordinary.row(row).sum() > 0)
            trainRows.push_back(row);
    if (trainRows.empty())
        throw InputError("targets", "", "none of the training rows has an answer");

    at::Generator generator = at::detail::createCPUGenerator(learn::mixSeed(config.seed, 1));
    const torch::Tensor trainData = d.networkData(input, trainRows, progress);
    const torch::Tensor complementary = rowsOf(targets.complementary, trainRows).to(d.device);
    const torch::Tensor ordinary = rowsOf(targets.ordinary, trainRows).to(d.device);
    const torch::Tensor transitionTensor = toTensor(transition).to(d.device);
    // The complementary-class prior of the ure-* partial risks: each label's share of the answers.
    const torch::Tensor complementaryPrior = complementary.sum(0) / complementary.sum().clamp_min(1);
    d.setNormalization(input, trainRows, trainData);

    learn::TrainOptimizer optimizer(config, d.net->parameters());
    // cpe-t: W (K x K) with Q = row-softmax(W), starting at log T; its own optimizer without
    // weight decay, which would pull Q towards the uniform rows with the diagonal.
    torch::Tensor cpeLogits;
    std::unique_ptr<learn::TrainOptimizer> cpeOptimizer;
    if (loss.loss == ComplementaryLoss::CpeT) {
        cpeLogits = transitionTensor.clamp_min(1e-12).log().detach().clone().requires_grad_(true);
        TrainConfig plain = config;
        plain.weightDecay = 0;
        cpeOptimizer = std::make_unique<learn::TrainOptimizer>(plain, std::vector<torch::Tensor>{cpeLogits});
    }

    const auto count = static_cast<std::int64_t>(trainRows.size());
    TrainResult result;
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
        const auto epochStart = std::chrono::steady_clock::now();
        torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kDouble));
        torch::Tensor weightSum = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kDouble));
        torch::Tensor avoided = torch::zeros({}, torch::TensorOptions(d.device).dtype(torch::kDouble));
        const double learningRate = d.runEpoch(epoch, trainData, count, generator, step, progress, [&](const Impl::Batch& b) {
            optimizer.zeroGrad(b.learningRate);
            if (cpeOptimizer)
                cpeOptimizer->zeroGrad(b.learningRate);
            torch::Tensor logits;
            {
                learn::AutocastScope autocast(d.mixed);
                logits = d.net->forward(b.x);
            }
            logits = logits.to(torch::kFloat);
            const torch::Tensor batchComplementary = complementary.index_select(0, b.index);
            const torch::Tensor batchOrdinary = ordinary.index_select(0, b.index);
            const learn::ComplementaryBatchLoss batchLoss = learn::complementaryBatchLoss(
                loss.loss, logits, batchComplementary, batchOrdinary, transitionTensor, cpeLogits, complementaryPrior);
            batchLoss.objective.backward();
            optimizer.step(b.learningRate);
            if (cpeOptimizer)
                cpeOptimizer->step(b.learningRate);
            torch::NoGradGuard noGrad;
            const torch::Tensor answers = batchLoss.weight + batchOrdinary.sum();
            lossSum += batchLoss.value.detach() * answers;
            weightSum += answers;
            // Complementary answers whose class is not the model's top class (cpe-i's network
            // estimates the complementary distribution: its top class is the least likely "not").
            const torch::Tensor top = loss.loss == ComplementaryLoss::CpeI ? logits.argmin(1, true) : logits.argmax(1, true);
            avoided += batchComplementary.sum() - batchComplementary.gather(1, top).sum();
        });
        EpochRecord record;
        record.epoch = epoch;
        const double answers = weightSum.item<double>();
        record.trainLoss = answers > 0 ? lossSum.item<double>() / answers : 0.0;
        const double complementaryAnswers = complementary.sum().item<double>();
        record.trainAccuracy = complementaryAnswers > 0 ? avoided.item<double>() / complementaryAnswers
                                                        : std::numeric_limits<double>::quiet_NaN();
        const double trainSeconds = secondsSince(epochStart);
        record.samplesPerSecond = trainSeconds > 0 ? static_cast<double>(count) / trainSeconds : 0.0;
        record.learningRate = learningRate;
        result.trainSamples += count;
        result.trainSeconds += trainSeconds;
        record.seconds = secondsSince(epochStart);
        result.history.push_back(record);
        result.bestEpoch = epoch;
        if (onEpoch)
            onEpoch(record);
    }
    d.net->eval();
    if (fit) {
        fit->learnedTransition.resize(0, 0);
        if (cpeLogits.defined()) {
            const torch::Tensor q = torch::softmax(cpeLogits.detach(), 1).to(torch::kCPU, torch::kDouble).contiguous();
            fit->learnedTransition = Eigen::Map<const RowMatrixXd>(q.data_ptr<double>(), d.classes, d.classes);
        }
    }
    if (!config.checkpointPath.empty())
        save(config.checkpointPath);
    result.seconds = secondsSince(start);
    return result;
}

}  // namespace crowdsift
