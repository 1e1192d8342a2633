#include "learn/torch_crowd.h"

#include "learn/crossval.h"
#include "learn/trainer_internal.h"

#include "util/error.h"
#include "util/parallel.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>

namespace crowdsift {

namespace {

using Clock = std::chrono::steady_clock;
using learn::secondsSince;

std::string lower(std::string text)
{
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::vector<float> toVector(const torch::Tensor& tensor)
{
    const torch::Tensor t = tensor.to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

}  // namespace

namespace {

// A number >= 0 (> 0 when `positive`) after "name=" in a strategy's brackets.
double strategyNumber(const std::string& number, const std::string& name, bool positive, const std::string& option,
                      const std::string& text)
{
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value) || value < 0 || (positive && value == 0))
        throw InputError(option, text, "the " + name + (positive ? " must be a number > 0" : " must be a number >= 0"));
    return value;
}

}  // namespace

CrowdConfig parseCrowdStrategy(const std::string& text, const std::string& option)
{
    const std::string accepted = "crowdlayer, crowdlayer[mw|vw|vb], conal or conal[scale=<number>], with an optional "
                                 "lr=<number> in the brackets (crowdlayer[mw,lr=0.01], conal[scale=1e-5,lr=0.01])";
    const std::string name = lower(text);
    const std::size_t open = name.find('[');
    const std::string base = name.substr(0, open);
    std::vector<std::string> arguments;
    if (open != std::string::npos) {
        if (name.back() != ']')
            throw InputError(option, text, "unbalanced brackets; expected " + accepted);
        std::stringstream list(name.substr(open + 1, name.size() - open - 2));
        std::string argument;
        while (std::getline(list, argument, ','))
            arguments.push_back(argument);
    }
    CrowdConfig config;
    if (base == "crowdlayer")
        config.kind = CrowdLayerKind::MW;
    else if (base == "conal")
        config.kind = CrowdLayerKind::Conal;
    else
        throw InputError(option, text, "unknown strategy; expected " + accepted);
    for (const std::string& argument : arguments) {
        if (argument.rfind("lr=", 0) == 0) {
            config.learningRate = strategyNumber(argument.substr(3), "learning rate", true, option, text);
        } else if (base == "conal" && argument.rfind("scale=", 0) == 0) {
            config.conalScale = strategyNumber(argument.substr(6), "scale", false, option, text);
        } else if (base == "crowdlayer" && (argument == "mw" || argument == "vw" || argument == "vb")) {
            config.kind = argument == "mw" ? CrowdLayerKind::MW : argument == "vw" ? CrowdLayerKind::VW : CrowdLayerKind::VB;
        } else if (base == "crowdlayer") {
            throw InputError(option, text, "unknown CrowdLayer variant \"" + argument + "\"; expected " + accepted);
        } else {
            throw InputError(option, text, "unknown CoNAL setting \"" + argument + "\"; expected " + accepted);
        }
    }
    return config;
}

std::string crowdStrategyName(const CrowdConfig& config)
{
    std::ostringstream out;
    switch (config.kind) {
    case CrowdLayerKind::MW:
        out << "crowdlayer[mw";
        break;
    case CrowdLayerKind::VW:
        out << "crowdlayer[vw";
        break;
    case CrowdLayerKind::VB:
        out << "crowdlayer[vb";
        break;
    case CrowdLayerKind::Conal:
        out << "conal[scale=" << config.conalScale;
        break;
    }
    if (config.learningRate != CrowdConfig().learningRate)
        out << ",lr=" << config.learningRate;
    out << "]";
    return out.str();
}

CrowdVotes crowdVotes(const Dataset& dataset)
{
    CrowdVotes votes;
    votes.items = dataset.itemCount();
    votes.annotators = dataset.annotatorCount();
    const int classes = dataset.classCount();
    votes.offsets.reserve(static_cast<std::size_t>(votes.items) + 1);
    votes.offsets.push_back(0);
    for (int i = 0; i < votes.items; ++i) {
        for (const Answers::Entry& entry : dataset.answers.ofItem(i)) {
            if (entry.complementary() || entry.label < 0 || entry.label >= classes)
                continue;
            votes.annotator.push_back(entry.other);
            votes.label.push_back(entry.label);
        }
        votes.offsets.push_back(static_cast<std::int64_t>(votes.label.size()));
    }
    return votes;
}

std::vector<int> crowdMajority(const CrowdVotes& votes, int classes)
{
    std::vector<int> majority(static_cast<std::size_t>(votes.items), -1);
    std::vector<int> count(static_cast<std::size_t>(classes));
    for (int i = 0; i < votes.items; ++i) {
        std::fill(count.begin(), count.end(), 0);
        for (std::int64_t v = votes.offsets[static_cast<std::size_t>(i)]; v < votes.offsets[static_cast<std::size_t>(i) + 1]; ++v)
            ++count[static_cast<std::size_t>(votes.label[static_cast<std::size_t>(v)])];
        int best = -1;
        for (int k = 0; k < classes; ++k)
            if (count[static_cast<std::size_t>(k)] > 0 && (best < 0 || count[static_cast<std::size_t>(k)] > count[static_cast<std::size_t>(best)]))
                best = k;
        majority[static_cast<std::size_t>(i)] = best;
    }
    return majority;
}

namespace learn {

torch::Tensor conalRegulariser(const torch::Tensor& annotatorKernels, const torch::Tensor& common, double scale)
{
    const torch::Tensor difference = (annotatorKernels - common.unsqueeze(0)).flatten(1);
    return scale * difference.norm(2, {1}).sum();
}

namespace {

// PyTorch's default initialisation of a Linear layer (uniform in +-1/sqrt(fan_in) for weight
// and bias), drawn from `generator`.
void initLinear(torch::nn::Linear& layer, at::Generator& generator)
{
    torch::NoGradGuard noGrad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer->weight.size(1)));
    layer->weight.uniform_(-bound, bound, generator);
    layer->bias.uniform_(-bound, bound, generator);
}

}  // namespace

CrowdHeadImpl::CrowdHeadImpl(const CrowdConfig& config, int annotators, int classes, std::int64_t inputSize,
                             std::uint64_t seed)
    : config_(config)
    , classes_(classes)
{
    const auto k = static_cast<std::int64_t>(classes), m = static_cast<std::int64_t>(annotators);
    switch (config.kind) {
    case CrowdLayerKind::MW:
    case CrowdLayerKind::Conal:
        kernel = register_parameter("kernel", torch::eye(k).unsqueeze(0).repeat({m, 1, 1}));
        break;
    case CrowdLayerKind::VW:
        kernel = register_parameter("kernel", torch::ones({m, k}));
        break;
    case CrowdLayerKind::VB:
        kernel = register_parameter("kernel", torch::zeros({m, k}));
        break;
    }
    if (config.kind == CrowdLayerKind::Conal) {
        commonKernel = register_parameter("common_kernel", torch::eye(k));
        instance1_ = register_module("instance1", torch::nn::Linear(inputSize, config.embeddingHidden));
        instance2_ = register_module("instance2", torch::nn::Linear(config.embeddingHidden, config.embeddingSize));
        annotator_ = register_module("annotator", torch::nn::Linear(m, config.embeddingSize));
        at::Generator generator = at::detail::createCPUGenerator(seed);
        initLinear(instance1_, generator);
        initLinear(instance2_, generator);
        initLinear(annotator_, generator);
    }
}

torch::Tensor CrowdHeadImpl::forward(const torch::Tensor& probabilities, const torch::Tensor& voteRow,
                                     const torch::Tensor& voteAnnotator, const torch::Tensor& inputs, torch::Tensor* gate)
{
    const torch::Tensor p = probabilities.index_select(0, voteRow);  // P x K
    switch (config_.kind) {
    case CrowdLayerKind::MW:
        return torch::bmm(p.unsqueeze(1), kernel.index_select(0, voteAnnotator)).squeeze(1);
    case CrowdLayerKind::VW:
        return p * kernel.index_select(0, voteAnnotator);
    case CrowdLayerKind::VB:
        return p + kernel.index_select(0, voteAnnotator);
    case CrowdLayerKind::Conal:
        break;
    }
    // CoNAL: the gate from the instance and annotator embeddings, both normalised to unit length.
    const torch::Tensor instance =
        torch::nn::functional::normalize(instance2_(instance1_(inputs)), torch::nn::functional::NormalizeFuncOptions().dim(1));
    const torch::Tensor annotators = torch::nn::functional::normalize(
        annotator_(torch::eye(kernel.size(0), kernel.options())), torch::nn::functional::NormalizeFuncOptions().dim(1));
    const torch::Tensor g = torch::sigmoid(
        (instance.index_select(0, voteRow) * annotators.index_select(0, voteAnnotator)).sum(1));  // P
    if (gate)
        *gate = g.detach();
    const torch::Tensor common = p.matmul(commonKernel);
    const torch::Tensor individual = torch::bmm(p.unsqueeze(1), kernel.index_select(0, voteAnnotator)).squeeze(1);
    return g.unsqueeze(1) * common + (1 - g).unsqueeze(1) * individual;
}

torch::Tensor CrowdHeadImpl::loss(const torch::Tensor& voteLogits, const torch::Tensor& voteLabels)
{
    torch::Tensor loss = torch::nn::functional::cross_entropy(voteLogits, voteLabels);
    if (config_.kind == CrowdLayerKind::Conal && config_.conalScale != 0)
        loss = loss - conalRegulariser(kernel, commonKernel, config_.conalScale);
    return loss;
}

torch::Tensor CrowdHeadImpl::confusions() const
{
    torch::NoGradGuard noGrad;
    const torch::Tensor w = kernel.detach().to(torch::kCPU, torch::kFloat);
    const std::int64_t k = classes_;
    const torch::Tensor eye = torch::eye(k);
    switch (config_.kind) {
    case CrowdLayerKind::MW:
    case CrowdLayerKind::Conal:
        return torch::softmax(w, 2);
    case CrowdLayerKind::VW:
        // Row k: softmax(w[k] e_k).
        return torch::softmax(w.unsqueeze(2) * eye.unsqueeze(0), 2);
    case CrowdLayerKind::VB:
        return torch::softmax(eye.unsqueeze(0) + w.unsqueeze(1), 2);
    }
    return {};
}

torch::Tensor CrowdHeadImpl::commonConfusion() const
{
    if (!commonKernel.defined())
        return {};
    torch::NoGradGuard noGrad;
    return torch::softmax(commonKernel.detach().to(torch::kCPU, torch::kFloat), 1);
}

}  // namespace learn

struct CrowdModel::Impl {
    Classifier classifier;
    learn::CrowdHead head{nullptr};
    CrowdConfig crowd;
    int annotators = 0;

    Impl(const ModelSpec& spec, const LearnInput& input, int classes, const TrainConfig& config)
        : classifier(spec, input, classes, config)
    {
    }
};

CrowdModel::CrowdModel(const ModelSpec& spec, const LearnInput& input, int classes, int annotators,
                       const TrainConfig& config, const CrowdConfig& crowd)
{
    if (config.validationFraction > 0)
        throw InputError("validation fraction", std::to_string(config.validationFraction),
                         "learning from crowds trains on every vote; use --folds for out-of-sample predictions");
    if (annotators < 1)
        throw InputError("annotators", std::to_string(annotators), "learning from crowds needs at least one annotator");
    if (crowd.conalScale < 0 || !std::isfinite(crowd.conalScale))
        throw InputError("scale", std::to_string(crowd.conalScale), "the CoNAL scale must be a number >= 0");
    if (!(crowd.learningRate > 0) || !std::isfinite(crowd.learningRate))
        throw InputError("crowd learning rate", std::to_string(crowd.learningRate), "must be a number > 0");
    impl_ = std::make_unique<Impl>(spec, input, classes, config);
    impl_->crowd = crowd;
    impl_->annotators = annotators;
    const Classifier::Impl& d = *impl_->classifier.impl_;
    impl_->head = learn::CrowdHead(crowd, annotators, classes, d.netShape.flatSize(), learn::mixSeed(config.seed, 7));
    impl_->head->to(d.device);
}

CrowdModel::~CrowdModel() = default;
CrowdModel::CrowdModel(CrowdModel&&) noexcept = default;
CrowdModel& CrowdModel::operator=(CrowdModel&&) noexcept = default;

CrowdFitResult CrowdModel::fit(const LearnInput& input, const std::vector<int>& rows, const CrowdVotes& votes,
                               Progress& progress, const EpochCallback& onEpoch)
{
    const auto start = Clock::now();
    Classifier::Impl& d = *impl_->classifier.impl_;
    learn::CrowdHead& head = impl_->head;
    const TrainConfig& config = d.config;
    d.checkInput(input);
    learn::validateRows(input, rows);
    if (votes.items != input.count() || votes.offsets.size() != static_cast<std::size_t>(votes.items) + 1)
        throw InputError("votes", "", "votes for " + std::to_string(votes.items) + " items, the input has "
                                          + std::to_string(input.count()) + " rows");
    if (votes.annotators != impl_->annotators)
        throw InputError("votes", "", "votes of " + std::to_string(votes.annotators) + " annotators for a model of "
                                          + std::to_string(impl_->annotators));
    for (std::size_t v = 0; v < votes.label.size(); ++v) {
        if (votes.label[v] < 0 || votes.label[v] >= d.classes || votes.annotator[v] < 0 || votes.annotator[v] >= votes.annotators)
            throw InputError("votes", "vote " + std::to_string(v), "label or annotator out of range");
    }

    std::vector<int> trainRows;
    for (const int row : rows)
        if (votes.countOf(row) > 0)
            trainRows.push_back(row);
    if (trainRows.empty())
        throw InputError("votes", "", "none of the training rows has a vote");
    const auto count = static_cast<std::int64_t>(trainRows.size());

    // The training rows' votes, by position in trainRows.
    std::vector<std::int64_t> offsets{0};
    std::vector<std::int64_t> voteAnnotator, voteLabel;
    std::vector<std::int64_t> majorityLabel;
    CrowdFitResult result;
    result.votesSeen.assign(static_cast<std::size_t>(votes.annotators), 0);
    {
        const std::vector<int> majority = crowdMajority(votes, d.classes);
        for (const int row : trainRows) {
            for (std::int64_t v = votes.offsets[static_cast<std::size_t>(row)]; v < votes.offsets[static_cast<std::size_t>(row) + 1]; ++v) {
                voteAnnotator.push_back(votes.annotator[static_cast<std::size_t>(v)]);
                voteLabel.push_back(votes.label[static_cast<std::size_t>(v)]);
                ++result.votesSeen[static_cast<std::size_t>(votes.annotator[static_cast<std::size_t>(v)])];
            }
            offsets.push_back(static_cast<std::int64_t>(voteLabel.size()));
            majorityLabel.push_back(majority[static_cast<std::size_t>(row)]);
        }
    }

    const torch::Tensor trainData = d.networkData(input, trainRows, progress);
    d.setNormalization(input, trainRows, trainData);
    const torch::Tensor majorityTensor = torch::tensor(majorityLabel, torch::kLong).to(d.device);
    const bool conal = impl_->crowd.kind == CrowdLayerKind::Conal;

    // The standardised, flattened input that CoNAL's instance embedding reads.
    auto embeddingInput = [&](const torch::Tensor& x) {
        if (!conal)
            return torch::Tensor();
        const torch::Tensor mean = d.net->named_buffers()["input_mean"];
        const torch::Tensor deviation = d.net->named_buffers()["input_std"];
        return ((x.to(torch::kFloat) - mean) / deviation).flatten(1);
    };
    // The votes of the training positions `positions` (CPU long): their batch row, annotator, label.
    auto batchVotes = [&](const torch::Tensor& positions) {
        std::vector<std::int64_t> row, annotator, label;
        const std::int64_t* at = positions.data_ptr<std::int64_t>();
        for (std::int64_t b = 0; b < positions.numel(); ++b) {
            const std::size_t j = static_cast<std::size_t>(at[b]);
            for (std::int64_t v = offsets[j]; v < offsets[j + 1]; ++v) {
                row.push_back(b);
                annotator.push_back(voteAnnotator[static_cast<std::size_t>(v)]);
                label.push_back(voteLabel[static_cast<std::size_t>(v)]);
            }
        }
        return std::array<torch::Tensor, 3>{torch::tensor(row, torch::kLong).to(d.device),
                                            torch::tensor(annotator, torch::kLong).to(d.device),
                                            torch::tensor(label, torch::kLong).to(d.device)};
    };

    learn::TrainOptimizer optimizer(config, d.net->parameters());
    // The crowd parameters' own group: Adam at a constant rate, no weight decay (crowd_layers.h).
    TrainConfig crowdConfig = config;
    crowdConfig.optimizer = OptimizerKind::AdamW;
    crowdConfig.learningRate = impl_->crowd.learningRate;
    crowdConfig.weightDecay = 0;
    learn::TrainOptimizer crowdOptimizer(crowdConfig, head->parameters());
    const double crowdLearningRate = impl_->crowd.learningRate;

    at::Generator generator = at::detail::createCPUGenerator(learn::mixSeed(config.seed, 1));
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
        const auto epochStart = Clock::now();
        head->train();
        double lossSum = 0;
        std::int64_t correct = 0;
        const double learningRate = d.runEpoch(epoch, trainData, count, generator, step, progress,
                                               [&](const Classifier::Impl::Batch& b) {
            const auto [voteRow, voteAnnotators, voteLabels] = batchVotes(b.order.slice(0, b.begin, b.end).contiguous());
            optimizer.zeroGrad(b.learningRate);
            crowdOptimizer.zeroGrad(crowdLearningRate);
            torch::Tensor logits;
            {
                learn::AutocastScope autocast(d.mixed);
                logits = d.net->forward(b.x);
            }
            logits = logits.to(torch::kFloat);
            const torch::Tensor p = torch::softmax(logits, 1);
            const torch::Tensor voteLogits = head->forward(p, voteRow, voteAnnotators, embeddingInput(b.x));
            const torch::Tensor loss = head->loss(voteLogits, voteLabels);
            loss.backward();
            optimizer.step(b.learningRate);
            crowdOptimizer.step(crowdLearningRate);
            torch::NoGradGuard noGrad;
            lossSum += loss.item<double>() * static_cast<double>(b.end - b.begin);
            correct += (logits.argmax(1) == majorityTensor.index_select(0, b.index)).sum().item<std::int64_t>();
        });
        EpochRecord record;
        record.epoch = epoch;
        record.trainLoss = lossSum / static_cast<double>(count);
        record.trainAccuracy = static_cast<double>(correct) / static_cast<double>(count);
        const double trainSeconds = secondsSince(epochStart);
        record.samplesPerSecond = trainSeconds > 0 ? static_cast<double>(count) / trainSeconds : 0.0;
        record.learningRate = learningRate;
        record.seconds = trainSeconds;
        result.fit.trainSamples += count;
        result.fit.trainSeconds += trainSeconds;
        result.fit.history.push_back(record);
        result.fit.bestEpoch = epoch;
        if (onEpoch)
            onEpoch(record);
    }
    d.net->eval();
    head->eval();

    const auto k = static_cast<std::size_t>(d.classes);
    result.confusions = toVector(head->confusions());
    for (std::size_t r = 0; r < result.votesSeen.size(); ++r) {
        if (result.votesSeen[r] == 0)
            std::fill_n(result.confusions.begin() + static_cast<std::ptrdiff_t>(r * k * k), k * k,
                        std::numeric_limits<float>::quiet_NaN());
    }
    if (conal) {
        result.common = toVector(head->commonConfusion());
        // The mean gate over each annotator's training votes, in eval mode.
        std::vector<double> gateSum(static_cast<std::size_t>(votes.annotators), 0.0);
        torch::NoGradGuard noGrad;
        for (std::int64_t begin = 0; begin < count; begin += d.inferenceBatch()) {
            progress.check();
            const std::int64_t end = std::min(count, begin + d.inferenceBatch());
            const torch::Tensor positions = torch::arange(begin, end, torch::kLong);
            torch::Tensor x = trainData.slice(0, begin, end);
            if (d.netShape.isImage())
                x = d.inMemoryFormat(d.imagesToFloat(x));
            const auto [voteRow, voteAnnotators, voteLabels] = batchVotes(positions);
            const torch::Tensor p = torch::softmax(d.net->forward(x).to(torch::kFloat), 1);
            torch::Tensor gate;
            head->forward(p, voteRow, voteAnnotators, embeddingInput(x), &gate);
            const torch::Tensor g = gate.to(torch::kCPU, torch::kDouble).contiguous();
            const torch::Tensor a = voteAnnotators.to(torch::kCPU).contiguous();
            for (std::int64_t v = 0; v < g.numel(); ++v)
                gateSum[static_cast<std::size_t>(a.data_ptr<std::int64_t>()[v])] += g.data_ptr<double>()[v];
        }
        result.gate.resize(gateSum.size());
        for (std::size_t r = 0; r < gateSum.size(); ++r)
            result.gate[r] = result.votesSeen[r] > 0 ? static_cast<float>(gateSum[r] / static_cast<double>(result.votesSeen[r]))
                                                     : std::numeric_limits<float>::quiet_NaN();
    }
    result.fit.seconds = secondsSince(start);
    return result;
}

RowMatrixXf CrowdModel::predict(const LearnInput& input, const std::vector<int>& rows, Progress& progress) const
{
    return impl_->classifier.predict(input, rows, progress);
}

std::string CrowdModel::device() const
{
    return impl_->classifier.device();
}

CrowdCrossValidation crossValidateCrowd(const LearnInput& input, const CrowdVotes& votes, int classes,
                                        const ModelSpec& spec, const TrainConfig& config, const CrowdConfig& crowd,
                                        int folds, Progress& progress, const CrowdFoldEpochCallback& onEpoch)
{
    const auto start = Clock::now();
    if (folds < 1)
        throw InputError("folds", std::to_string(folds), "expected 1 (train on every vote) or at least 2 folds");
    if (votes.items != input.count())
        throw InputError("votes", "", "votes for " + std::to_string(votes.items) + " items, the input has "
                                          + std::to_string(input.count()) + " rows");
    CrowdCrossValidation result;
    const std::vector<int> majority = crowdMajority(votes, classes);
    result.fold = folds >= 2 ? stratifiedFolds(majority, folds, config.seed) : std::vector<int>(majority.size(), 0);
    if (folds == 1) {
        for (std::size_t i = 0; i < majority.size(); ++i)
            if (majority[i] < 0)
                result.fold[i] = -1;
    }
    result.probabilities = RowMatrixXf::Zero(input.count(), classes);
    result.history.resize(static_cast<std::size_t>(folds));
    const auto m = static_cast<std::size_t>(votes.annotators), k = static_cast<std::size_t>(classes);
    result.votes.assign(m, 0);
    for (const std::int32_t a : votes.annotator)
        ++result.votes[static_cast<std::size_t>(a)];
    // Folds side by side as crossValidate trains them (one torch thread each with two workers on
    // two cores), each writing only its own rows and slots; the matrices are averaged afterwards in
    // fold order, so the result does not depend on how many run at once.
    std::vector<std::unique_ptr<CrowdFitResult>> fitted(static_cast<std::size_t>(folds));
    const int workers = crossValidationWorkers(spec, config, folds);
    const int threads = config.threads > 0 ? config.threads : hardwareThreads();
    FoldProgress foldProgress(progress, folds);
    std::mutex epochMutex;
    ThreadPool pool(workers);
    pool.run(folds, [&](std::int64_t block) {
        const int f = static_cast<int>(block);
        try {
            progress.check();
            const FoldRows rows = rowsOfFold(result.fold, f, folds == 1);
            const std::vector<int>& trainRows = rows.train;
            const std::vector<int>& predictRows = rows.predict;
            // The caller's token sees the folds as one run; its cancel stops every fold within one batch.
            Progress foldToken([&](double fraction, const std::string& stage) { foldProgress.report(f, fraction, stage); }, 0);
            CrowdModel model(spec, input, classes, votes.annotators, configOfFold(config, f, threads, workers), crowd);
            auto fit = std::make_unique<CrowdFitResult>(model.fit(input, trainRows, votes, foldToken, [&](const EpochRecord& record) {
                if (!onEpoch)
                    return;
                std::lock_guard<std::mutex> lock(epochMutex);
                onEpoch(f, record);
            }));
            // Prediction only checks for a cancel: the fold's share of the bar ends with its training.
            Progress predictToken([&](double, const std::string&) { progress.check(); }, 0);
            const RowMatrixXf predicted = model.predict(input, predictRows, predictToken);
            for (std::size_t i = 0; i < predictRows.size(); ++i)
                result.probabilities.row(predictRows[i]) = predicted.row(static_cast<Eigen::Index>(i));
            result.history[static_cast<std::size_t>(f)] = fit->fit.history;
            fitted[static_cast<std::size_t>(f)] = std::move(fit);
            foldProgress.finished(f);
        } catch (...) {
            foldProgress.fail();
            throw;
        }
    });
    std::vector<double> confusionSum(m * k * k, 0.0), commonSum(k * k, 0.0), gateSum(m, 0.0);
    std::vector<int> confusionFolds(m, 0), gateFolds(m, 0);
    int commonFolds = 0;
    std::int64_t samples = 0;
    double trainSeconds = 0;
    for (const std::unique_ptr<CrowdFitResult>& fold : fitted) {
        samples += fold->fit.trainSamples;
        trainSeconds += fold->fit.trainSeconds;
        for (std::size_t r = 0; r < m; ++r) {
            if (fold->votesSeen[r] == 0)
                continue;
            ++confusionFolds[r];
            for (std::size_t e = 0; e < k * k; ++e)
                confusionSum[r * k * k + e] += fold->confusions[r * k * k + e];
            if (!fold->gate.empty()) {
                ++gateFolds[r];
                gateSum[r] += fold->gate[r];
            }
        }
        if (!fold->common.empty()) {
            ++commonFolds;
            for (std::size_t e = 0; e < k * k; ++e)
                commonSum[e] += fold->common[e];
        }
    }
    // Folds side by side overlap in time: the rate is per unit of wall time spent training.
    if (workers > 1)
        trainSeconds /= workers;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    result.confusions.assign(m * k * k, nan);
    for (std::size_t r = 0; r < m; ++r)
        if (confusionFolds[r] > 0)
            for (std::size_t e = 0; e < k * k; ++e)
                result.confusions[r * k * k + e] = static_cast<float>(confusionSum[r * k * k + e] / confusionFolds[r]);
    if (crowd.kind == CrowdLayerKind::Conal) {
        result.common.assign(k * k, nan);
        if (commonFolds > 0)
            for (std::size_t e = 0; e < k * k; ++e)
                result.common[e] = static_cast<float>(commonSum[e] / commonFolds);
        result.gate.assign(m, nan);
        for (std::size_t r = 0; r < m; ++r)
            if (gateFolds[r] > 0)
                result.gate[r] = static_cast<float>(gateSum[r] / gateFolds[r]);
    }
    result.seconds = secondsSince(start);
    result.trainSamplesPerSecond = trainSeconds > 0 ? static_cast<double>(samples) / trainSeconds : 0.0;
    return result;
}

}  // namespace crowdsift
