#pragma once

// Training a classifier on hard or soft targets, and predicting class probabilities. No torch
// types here: the network lives behind a pimpl so that callers (CLI, GUI, tests of the loop)
// compile without torch headers.

#include "learn/learn_input.h"
#include "learn/models.h"
#include "util/progress.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace crowdsift {

struct ComplementaryTargets;
struct ComplementaryConfig;
struct ComplementaryFit;

enum class OptimizerKind { Sgd, AdamW };
enum class ScheduleKind { Cosine, Step, Constant };  // each after `warmupEpochs` of linear warm-up

// Data Parameters (Saxena, Tuzel & DeCoste, "Data Parameters: A New Family of Parameters for
// Learning a Differentiable Curriculum", NeurIPS 2019): during training, row i of label y has its
// logits divided by sigma = sigma_class[y] + sigma_inst[i] (only the terms of the levels switched
// on). Each sigma is learned in log space by its own SGD with heavy-ball momentum that touches only
// the parameters of the current batch (the others and their momenta stay exactly as they were),
// with weight decay on those parameters only, in log space, then clamped to [minSigma, maxSigma].
// Their learning rates are constant: the model's schedule does not apply to them. Prediction and
// validation use the plain logits, as in the paper.
// Defaults: the argparse defaults of the authors' CIFAR script (apple/ml-data-parameters,
// main_cifar.py: init_*_param 1.0, lr_*_param 0.1, wd_*_param 0.0), its momentum 0.9 (utils.py)
// and the paper's clamp of sigma to [1/20, 20].
struct DataParamsConfig {
    bool instanceLevel = false;  // one sigma per training row
    bool classLevel = false;     // one sigma per class, taken by the row's (hard) label
    double initInstance = 1.0;   // sigma at the start (not its log)
    double initClass = 1.0;
    double lrInstance = 0.1;
    double lrClass = 0.1;
    double weightDecayInstance = 0.0;  // on log sigma, per batch, for the batch's rows only
    double weightDecayClass = 0.0;     // on log sigma, per batch, once for each class in the batch
    double momentum = 0.9;
    double minSigma = 1.0 / 20.0;
    double maxSigma = 20.0;

    bool enabled() const { return instanceLevel || classLevel; }
};

struct TrainConfig {
    int epochs = 10;
    int batchSize = 128;
    OptimizerKind optimizer = OptimizerKind::Sgd;
    double learningRate = 0.05;   // peak, reached after warm-up
    double momentum = 0.9;        // SGD (Nesterov)
    double weightDecay = 5e-4;
    ScheduleKind schedule = ScheduleKind::Cosine;
    double warmupEpochs = 1.0;
    int stepEpochs = 0;           // step schedule: multiply by stepGamma every stepEpochs (0 = epochs / 3)
    double stepGamma = 0.1;
    double labelSmoothing = 0.0;  // in [0, 1)
    bool augment = true;          // images only: random pad-crop (padding = 1/8 of the side) and,
    bool flip = true;             // when flip is set, horizontal flips; done on the device
    double validationFraction = 0.0;  // held out (stratified) from the training rows
    int patience = 0;             // early stopping: epochs without a better validation loss; 0 = off
    std::uint64_t seed = 0;       // same seed, same device, same threads -> same weights
    std::string device = "auto";  // auto | cpu | cuda
    bool mixedPrecision = true;   // CUDA only: bf16 autocast, channels_last, cuDNN benchmark
    int threads = 0;              // torch::set_num_threads; 0 = every core
    std::string checkpointPath;   // when set, the best weights are saved there after training
    DataParamsConfig dataParams;  // off unless a level is switched on
};

// One epoch of training. Losses are means over the epoch's samples; accuracies against the
// targets' argmax. Validation fields are NaN without a validation split.
struct EpochRecord {
    int epoch = 0;  // from 1
    double trainLoss = 0;
    double trainAccuracy = 0;
    double validationLoss = std::numeric_limits<double>::quiet_NaN();
    double validationAccuracy = std::numeric_limits<double>::quiet_NaN();
    double learningRate = 0;  // at the end of the epoch
    double seconds = 0;       // wall time of the epoch, validation included
    double samplesPerSecond = 0;  // training samples (images or vectors) per second
    // Data Parameters only, at the end of the epoch: the instance sigmas of the rows trained on
    // summarised by sigmaQuantiles() (empty without the instance level), and every class's sigma
    // (K entries, empty without the class level). What a live chart draws per epoch.
    std::vector<double> instanceSigmaQuantiles;
    std::vector<float> classSigma;
};

// min, q25, median, q75 and max of `values` with NaN entries left out, interpolated linearly
// between neighbouring ranks (numpy's default); empty when no value is left.
std::vector<double> sigmaQuantiles(std::vector<float> values);

struct TrainResult {
    std::vector<EpochRecord> history;
    int bestEpoch = 0;       // whose weights the classifier holds (the last one without validation)
    bool stoppedEarly = false;
    double seconds = 0;
    std::int64_t trainSamples = 0;  // training samples processed, over all epochs
    double trainSeconds = 0;        // wall time of the training passes (validation excluded)

    // Data Parameters only: the sigmas at the end of each epoch, row-major, one column per entry
    // of `history`. instanceSigma: input.count() x E (NaN for rows not trained on: not in `rows`,
    // unlabelled or held out for validation), empty without the instance level. classSigma:
    // K x E, empty without the class level.
    std::vector<float> instanceSigma;
    std::vector<float> classSigma;
};

using EpochCallback = std::function<void(const EpochRecord&)>;

// "sgd" | "adamw" and "cosine" | "step" | "constant", as the CLI, the GUI and stored runs name them.
const char* optimizerName(OptimizerKind kind);
const char* scheduleName(ScheduleKind kind);
// The kind a name stands for; InputError(option, name, the accepted names) otherwise.
OptimizerKind parseOptimizer(const std::string& name, const std::string& option = "optimizer");
ScheduleKind parseSchedule(const std::string& name, const std::string& option = "schedule");

// The defaults of the CLI, the GUI and bench_learn per model ("mlp", "small-cnn", "resnet18",
// "torchscript"), sized so that CPU runs on the demo finish in minutes and CUDA runs use the
// fuller recipes. Unknown names get the small-cnn defaults; validateModelSpec() rejects them later.
ModelSpec defaultModelSpec(const std::string& modelName, bool cuda);
TrainConfig defaultTrainConfig(const std::string& modelName, bool cuda);

// "cpu" or "cuda" for a requested device; throws InputError for "cuda" when this build or machine
// has none, or for an unknown name.
std::string resolveDevice(const std::string& requested);
bool cudaAvailable();
// Sets torch's intra-op thread count (0 = every core) once per process and value.
void configureTorchThreads(int threads);

// The learning rate of optimizer step `step` (from 0; one step per batch) of a run with
// `stepsPerEpoch` batches per epoch: linear warm-up from peak / warm-up steps to the peak, then
// the schedule (cosine to 0 over the remaining steps, step decay counted in epochs from the start,
// or constant).
double scheduledLearningRate(const TrainConfig& config, std::int64_t step, std::int64_t stepsPerEpoch);

class Classifier {
public:
    // Builds the network for `input`'s shape and `classes` classes, initialised from config.seed.
    // A torchscript spec loads its backbone here (InputError naming the file when it cannot).
    Classifier(const ModelSpec& spec, const LearnInput& input, int classes, const TrainConfig& config);
    ~Classifier();
    Classifier(Classifier&&) noexcept;
    Classifier& operator=(Classifier&&) noexcept;

    // Trains on rows `rows` of `input` with `targets` (one entry per row of `input`, not per
    // element of `rows`). Reports progress per batch and throws Cancelled within one batch of a
    // cancel. `onEpoch` runs on the training thread after each epoch.
    TrainResult fit(const LearnInput& input, const std::vector<int>& rows, const Targets& targets,
                    Progress& progress = Progress::none(), const EpochCallback& onEpoch = {});

    // Trains on the complementary and ordinary answers of rows `rows` (those with none are left
    // out) with a complementary-label loss (learn/complementary.h, complementary_trainer.cpp). No
    // validation split. `fit` (when given) receives what the loss learned beside the network.
    TrainResult fitComplementary(const LearnInput& input, const std::vector<int>& rows, const ComplementaryTargets& targets,
                                 const ComplementaryConfig& loss, Progress& progress = Progress::none(),
                                 const EpochCallback& onEpoch = {}, ComplementaryFit* fit = nullptr);

    // Softmax probabilities for rows `rows` of `input`: rows.size() x K. With `embeddings`, also
    // the network's penultimate layer for the same rows from the same pass: rows.size() x D' (the
    // last hidden layer of an mlp or a torchscript head, the pooled features of a CNN), what maps
    // of a model's view of the data are drawn from.
    RowMatrixXf predict(const LearnInput& input, const std::vector<int>& rows,
                        Progress& progress = Progress::none(), RowMatrixXf* embeddings = nullptr) const;

    void save(const std::string& path) const;  // torch archive of the trainable weights
    void load(const std::string& path);        // InputError naming the file on a mismatch

    std::string device() const;
    std::int64_t parameterCount() const;  // trainable parameters
    int classCount() const;

private:
    friend class CrowdModel;  // trains the network with its own loss (crowd_layers.h)
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace crowdsift
