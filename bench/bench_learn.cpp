// Speed of the learning engine on a prepared folder: one k-fold cross-validation (--cv) or the
// CROWDLAB loop (--loop), on the CPU or on CUDA; bench/pytorch_baseline.py runs the same
// cross-validation in PyTorch eager for the baseline ratio (bench/README.md, "Learning").
//
//   bench_learn --prepare DIR [--items N] [--fashion DIR]   (full build only)
//   bench_learn --cv DIR [options]
//   bench_learn --loop DIR [options] [--max-iter N]
//   bench_learn --dp-cost [options] [--model mlp|small-cnn] [--items N] [--features D]
//               [--cnn-items N] [--repeats R]
//
// The folder: images.npy (N x H x W x C uint8), answers.npy (A x 3 int32: item, annotator,
// label), truth.npy (N int32), classes.txt (K lines), labels.npy (N int32, the cleanlab
// majority vote; recomputed from the answers when absent, and with --limit), folds.npy (N int32,
// the stratified 5 folds of labels.npy with seed 0, what crossValidate draws: for
// pytorch_baseline.py run without a bench_learn report) and meta.json. --prepare writes it from
// the demo's data: the first N Fashion-MNIST t10k images and the demo's simulated crowd
// (images/demo.h), about 8 MB for the 10,000 images.
//
// --cv trains on the majority vote and reports, after an untimed warm-up (on CUDA: one epoch on
// 2,048 images, for the CUDA context, cuDNN autotuning, the allocator), the wall time of the whole
// cross-validation (training and out-of-sample prediction), the training images per second
// over that wall time (every fold's training rows times its epochs, divided by it), the
// trainer's own figure (epoch time only), and the accuracy of the out-of-sample argmax against
// the truth. --loop runs runCrowdlabLoop and reports each iteration. --dp-cost needs no folder: on
// seeded synthetic data (N x D feature rows for the mlp, 28 px images for small-cnn) it times the
// same training without and with Data Parameters and reports the ratios (target <= 1.10x).
//
// Options: --device auto|cpu|cuda, --model NAME, --width W, --epochs E, --batch-size B, --lr X,
// --label-smoothing X, --folds F, --threads T (0 = every core), --seed S, --limit N (the first N
// items only), --warmup / --no-warmup (default: on CUDA only), --no-mixed-precision, --json FILE,
// --quiet. Unset options keep the library's defaults (ModelSpec, TrainConfig, LoopConfig), which
// are printed and written to the JSON under "config"; the --cv JSON also holds the training labels
// and the folds (item_labels, item_folds) for pytorch_baseline.py --like.

#include "aggregate/crowdlab.h"
#include "aggregate/registry.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "learn/crossval.h"
#include "learn/crowdlab_loop.h"
#include "learn/learn_input.h"
#include "learn/trainer.h"
#include "util/error.h"
#include "util/npy.h"

#ifndef CROWDSIFT_BENCH_LEARN_ONLY
#include "images/demo.h"
#include "images/idx.h"
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace crowdsift;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the process, every thread: on a shared machine, wall time far above it means
// waiting for a core.
double cpuNow()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Options {
    std::string mode;
    std::string folder;
    std::string jsonPath;
    std::string fashionDir;
    int items = 10000;   // --prepare
    int limit = 0;       // 0 = every item
    int folds = 5;
    int maxIterations = 0;  // 0 = LoopConfig's default
    int warmup = -1;  // -1 = on CUDA only
    int repeats = 3;       // --dp-cost
    int cnnItems = 2048;   // --dp-cost: images for small-cnn (--items: feature rows for the mlp)
    int features = 128;    // --dp-cost: feature size for the mlp
    bool modelGiven = false;
    bool quiet = false;
    ModelSpec model;
    TrainConfig train;
};

[[noreturn]] void usage(const std::string& problem)
{
    std::fprintf(stderr,
                 "bench_learn: %s\n"
                 "usage: bench_learn --prepare DIR [--items N] [--fashion DIR]\n"
                 "       bench_learn --cv DIR   [--device auto|cpu|cuda] [--model NAME] [--width W] [--epochs E]\n"
                 "                              [--batch-size B] [--lr X] [--label-smoothing X] [--folds F]\n"
                 "                              [--threads T] [--seed S] [--limit N] [--warmup | --no-warmup]\n"
                 "                              [--no-mixed-precision] [--json FILE] [--quiet]\n"
                 "       bench_learn --loop DIR [the same] [--max-iter N]\n"
                 "       bench_learn --dp-cost  [--model mlp|small-cnn] [--items N] [--features D] [--cnn-items N]\n"
                 "                              [--repeats R] [the training options of --cv]\n",
                 problem.c_str());
    std::exit(2);
}

Options parseOptions(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(arg + " needs a value");
            return argv[++i];
        };
        auto number = [&]() -> double {
            const std::string text = value();
            char* end = nullptr;
            const double parsed = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !std::isfinite(parsed))
                usage(arg + " needs a number, not '" + text + "'");
            return parsed;
        };
        auto integer = [&]() -> int {
            const double parsed = number();
            if (parsed != std::floor(parsed) || parsed < 0 || parsed > 1e9)
                usage(arg + " needs a non-negative integer");
            return static_cast<int>(parsed);
        };
        if (arg == "--prepare" || arg == "--cv" || arg == "--loop") {
            if (!options.mode.empty())
                usage("one of --prepare, --cv, --loop");
            options.mode = arg.substr(2);
            options.folder = value();
        } else if (arg == "--dp-cost") {
            if (!options.mode.empty())
                usage("one of --prepare, --cv, --loop, --dp-cost");
            options.mode = "dp-cost";
        } else if (arg == "--repeats") {
            options.repeats = integer();
        } else if (arg == "--cnn-items") {
            options.cnnItems = integer();
        } else if (arg == "--features") {
            options.features = integer();
        } else if (arg == "--items") {
            options.items = integer();
        } else if (arg == "--fashion") {
            options.fashionDir = value();
        } else if (arg == "--device") {
            options.train.device = value();
        } else if (arg == "--model") {
            options.model.name = value();
            options.modelGiven = true;
        } else if (arg == "--width") {
            options.model.width = integer();
        } else if (arg == "--epochs") {
            options.train.epochs = integer();
        } else if (arg == "--batch-size") {
            options.train.batchSize = integer();
        } else if (arg == "--lr") {
            options.train.learningRate = number();
        } else if (arg == "--label-smoothing") {
            options.train.labelSmoothing = number();
        } else if (arg == "--folds") {
            options.folds = integer();
        } else if (arg == "--threads") {
            options.train.threads = integer();
        } else if (arg == "--seed") {
            options.train.seed = static_cast<std::uint64_t>(integer());
        } else if (arg == "--limit") {
            options.limit = integer();
        } else if (arg == "--max-iter") {
            options.maxIterations = integer();
        } else if (arg == "--warmup") {
            options.warmup = 1;
        } else if (arg == "--no-warmup") {
            options.warmup = 0;
        } else if (arg == "--no-mixed-precision") {
            options.train.mixedPrecision = false;
        } else if (arg == "--json") {
            options.jsonPath = value();
        } else if (arg == "--quiet") {
            options.quiet = true;
        } else {
            usage("unknown option '" + arg + "'");
        }
    }
    if (options.mode.empty())
        usage("no mode: --prepare, --cv, --loop or --dp-cost");
    if (options.mode == "dp-cost"
        && (options.repeats < 1 || options.items < 10 || options.cnnItems < 10 || options.features < 1
            || (options.modelGiven && options.model.name != "mlp" && options.model.name != "small-cnn")))
        usage("--dp-cost: --repeats and --features at least 1, --items and --cnn-items at least 10, --model mlp "
              "or small-cnn");
    if (options.train.epochs < 1 || options.train.batchSize < 1 || options.folds < 2)
        usage("--epochs and --batch-size must be at least 1, --folds at least 2");
    return options;
}

std::string joinPath(const std::string& folder, const char* name)
{
    return (fs::path(folder) / name).string();
}

std::vector<std::int32_t> readInts(const std::string& path, std::size_t rank)
{
    const NpyArray array = readNpy(path);
    if (array.rank() != rank || npyIsFloat(array.type))
        throw InputError(path, "header", "expected an integer array of rank " + std::to_string(rank));
    return array.as<std::int32_t>();
}

std::vector<std::string> readLines(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw InputError(path, "", "cannot open the file");
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(line);
    return lines;
}

// The prepared folder as a Dataset (items "0".."N-1", annotators "0".."M-1") and the images.
struct BenchData {
    Dataset dataset;
    LearnInput input;
    std::vector<int> labels;  // training labels of --cv: the majority vote
    std::vector<int> folds;   // folds.npy, empty when absent
};

BenchData loadBenchData(const Options& options)
{
    BenchData data;
    const std::string imagesPath = joinPath(options.folder, "images.npy");
    const std::string answersPath = joinPath(options.folder, "answers.npy");
    const std::string truthPath = joinPath(options.folder, "truth.npy");
    data.input = learnInputFromNpy(imagesPath);
    if (!data.input.hasImages())
        throw InputError(imagesPath, "header", "expected uint8 images (N x H x W x C)");
    const std::vector<std::int32_t> truth = readInts(truthPath, 1);
    const std::vector<std::string> classes = readLines(joinPath(options.folder, "classes.txt"));
    const std::vector<std::int32_t> triplets = readInts(answersPath, 2);
    if (triplets.size() % 3 != 0)
        throw InputError(answersPath, "header", "expected A x 3 (item, annotator, label)");

    int n = data.input.count();
    if (static_cast<int>(truth.size()) != n)
        throw InputError(truthPath, "header",
                         std::to_string(truth.size()) + " labels for " + std::to_string(n) + " images");
    if (options.limit > 0 && options.limit < n) {
        n = options.limit;
        const std::size_t perImage = static_cast<std::size_t>(data.input.height) * data.input.width * data.input.channels;
        data.input.images.resize(perImage * static_cast<std::size_t>(n));
    }
    const int k = static_cast<int>(classes.size());

    Dataset& d = data.dataset;
    d.name = "learn-bench";
    d.source = options.folder;
    d.format = "npy";
    d.classNames = classes;
    d.truth.assign(truth.begin(), truth.begin() + n);
    for (int i = 0; i < n; ++i) {
        d.itemKeys.push_back(std::to_string(i));
        if (d.truth[static_cast<std::size_t>(i)] < -1 || d.truth[static_cast<std::size_t>(i)] >= k)
            throw InputError(truthPath, "item " + std::to_string(i), "label out of [0, " + std::to_string(k) + ")");
    }
    d.splits.assign(static_cast<std::size_t>(n), Split::Train);
    d.imagePaths.assign(static_cast<std::size_t>(n), "");
    std::vector<Answer> answers;
    int annotators = 0;
    for (std::size_t row = 0; row < triplets.size() / 3; ++row) {
        const Answer answer{triplets[3 * row], triplets[3 * row + 1], triplets[3 * row + 2], false};
        if (answer.item < 0 || answer.annotator < 0 || answer.label < 0 || answer.label >= k
            || answer.item >= static_cast<int>(truth.size()))
            throw InputError(answersPath, "row " + std::to_string(row), "item, annotator or label out of range");
        if (answer.item >= n)
            continue;
        annotators = std::max(annotators, answer.annotator + 1);
        answers.push_back(answer);
    }
    for (int a = 0; a < annotators; ++a)
        d.annotatorIds.push_back(std::to_string(a));
    d.answers = Answers::fromTriplets(n, annotators, answers);
    d.validate();

    const std::string labelsPath = joinPath(options.folder, "labels.npy");
    if (fs::exists(labelsPath) && options.limit == 0) {
        const std::vector<std::int32_t> labels = readInts(labelsPath, 1);
        data.labels.assign(labels.begin(), labels.end());
    } else {
        data.labels = cleanlabMajorityVote(d);
    }
    const std::string foldsPath = joinPath(options.folder, "folds.npy");
    if (fs::exists(foldsPath) && options.limit == 0) {
        const std::vector<std::int32_t> folds = readInts(foldsPath, 1);
        data.folds.assign(folds.begin(), folds.end());
    }
    if (static_cast<int>(data.labels.size()) != n)
        throw InputError(labelsPath, "header", "expected " + std::to_string(n) + " labels");
    return data;
}

// Every setting that decides the work and the result; pytorch_baseline.py --like reads it back.
json configJson(const Options& options)
{
    const TrainConfig& t = options.train;
    json config;
    config["model"] = options.model.name;
    config["width"] = options.model.width;
    config["epochs"] = t.epochs;
    config["batch_size"] = t.batchSize;
    config["optimizer"] = optimizerName(t.optimizer);
    config["lr"] = t.learningRate;
    config["momentum"] = t.momentum;
    config["weight_decay"] = t.weightDecay;
    config["schedule"] = scheduleName(t.schedule);
    config["warmup_epochs"] = t.warmupEpochs;
    config["step_epochs"] = t.stepEpochs;
    config["step_gamma"] = t.stepGamma;
    config["label_smoothing"] = t.labelSmoothing;
    config["augment"] = t.augment;
    config["flip"] = t.flip;
    config["mixed_precision"] = t.mixedPrecision;  // CUDA only, whatever it says
    config["folds"] = options.folds;
    config["seed"] = t.seed;
    config["threads"] = t.threads;
    return config;
}

void printConfig(const json& config)
{
    std::string line;
    for (const auto& [key, value] : config.items())
        line += (line.empty() ? "" : " ") + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    std::printf("config: %s\n", line.c_str());
}

// Untimed: what the first batches pay once per process (CUDA context, cuDNN autotuning, the
// caching allocator, thread pools), so that the timed run measures training alone.
double warmUp(const Options& options, const BenchData& data, int classes)
{
    const double start = now();
    TrainConfig config = options.train;
    config.epochs = 1;
    const int rows = std::min(data.input.count(), 2048);
    std::vector<int> subset(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i)
        subset[static_cast<std::size_t>(i)] = i;
    Targets targets;
    targets.labels = data.labels;
    Classifier classifier(options.model, data.input, classes, config);
    classifier.fit(data.input, subset, targets);
    classifier.predict(data.input, subset);
    return now() - start;
}

FoldEpochCallback epochPrinter(const Options& options)
{
    if (options.quiet)
        return {};
    return [epochs = options.train.epochs, folds = options.folds](int fold, const EpochRecord& record) {
        std::fprintf(stderr, "  fold %d/%d epoch %d/%d  loss %.4f  acc %.4f  %.2f s  %.0f img/s\n", fold + 1, folds,
                     record.epoch, epochs, record.trainLoss, record.trainAccuracy, record.seconds,
                     record.samplesPerSecond);
    };
}

void writeJson(const Options& options, const json& report)
{
    if (options.jsonPath.empty())
        return;
    std::ofstream out(options.jsonPath);
    out << report.dump(2) << "\n";
    if (!out)
        throw InputError(options.jsonPath, "", "cannot write the file");
}

json header(const Options& options, const BenchData& data, const std::string& device)
{
    json report;
    report["program"] = "bench_learn";
    report["mode"] = options.mode;
    report["data"] = options.folder;
    report["items"] = data.input.count();
    report["classes"] = data.dataset.classCount();
    report["image"] = {data.input.height, data.input.width, data.input.channels};
    report["device"] = device;
    report["hardware_threads"] = std::thread::hardware_concurrency();
    report["config"] = configJson(options);
    return report;
}

int runCrossValidation(const Options& options)
{
    const BenchData data = loadBenchData(options);
    const int classes = data.dataset.classCount();
    const std::string device = resolveDevice(options.train.device);
    json report = header(options, data, device);
    printConfig(report["config"]);
    std::printf("data: %d images %dx%dx%d, %d classes, %zu answers; device %s\n", data.input.count(),
                data.input.height, data.input.width, data.input.channels, classes, data.dataset.answers.size(),
                device.c_str());

    if (options.warmup == 1 || (options.warmup < 0 && device == "cuda")) {
        report["warmup_seconds"] = warmUp(options, data, classes);
        std::printf("warm-up: %.2f s (untimed)\n", report["warmup_seconds"].get<double>());
    }
    Targets targets;
    targets.labels = data.labels;
    const double start = now();
    const double cpuStart = cpuNow();
    const CrossValidationResult result = crossValidate(data.input, targets, classes, options.model, options.train,
                                                       options.folds, Progress::none(), epochPrinter(options));
    const double seconds = now() - start;
    const double cpuSeconds = cpuNow() - cpuStart;

    double trainImages = 0;
    for (int f = 0; f < options.folds; ++f) {
        long long rows = 0;
        for (std::size_t i = 0; i < data.labels.size(); ++i)
            rows += data.labels[i] >= 0 && result.fold[i] != f;
        trainImages += static_cast<double>(rows) * result.history[static_cast<std::size_t>(f)].size();
    }
    const double modelAccuracy = accuracy(rowArgmax(result.probabilities), data.dataset.truth);
    const double labelAccuracy = accuracy(data.labels, data.dataset.truth);
    const bool sameFolds = !data.folds.empty() && data.folds == result.fold;

    std::printf("cross-validation: %d folds x %d epochs, %.0f training images in %.2f s (CPU time %.2f s)\n",
                options.folds, options.train.epochs, trainImages, seconds, cpuSeconds);
    std::printf("  images/s (wall, training + prediction): %.0f\n", trainImages / seconds);
    std::printf("  images/s (trainer, epochs only):        %.0f\n", result.trainSamplesPerSecond);
    std::printf("  accuracy vs truth: training labels (majority vote) %.4f, out-of-sample argmax %.4f\n",
                labelAccuracy, modelAccuracy);
    if (!data.folds.empty())
        std::printf("  folds: %s folds.npy\n", sameFolds ? "the same as" : "NOT the same as");

    report["seconds"] = seconds;
    report["cpu_seconds"] = cpuSeconds;
    report["train_images"] = trainImages;
    report["images_per_second"] = trainImages / seconds;
    report["trainer_images_per_second"] = result.trainSamplesPerSecond;
    report["train_label_accuracy"] = labelAccuracy;
    report["accuracy"] = modelAccuracy;
    report["folds_match_file"] = sameFolds;
    json folds = json::array();
    for (const auto& history : result.history) {
        json epochs = json::array();
        for (const EpochRecord& r : history)
            epochs.push_back({{"epoch", r.epoch}, {"loss", r.trainLoss}, {"accuracy", r.trainAccuracy},
                              {"seconds", r.seconds}, {"images_per_second", r.samplesPerSecond}});
        folds.push_back(epochs);
    }
    report["history"] = folds;
    // What pytorch_baseline.py --like trains on, so that it needs no fold code of its own.
    report["item_labels"] = data.labels;
    report["item_folds"] = result.fold;
    writeJson(options, report);
    return 0;
}

int runLoop(const Options& options)
{
    const BenchData data = loadBenchData(options);
    const std::string device = resolveDevice(options.train.device);
    json report = header(options, data, device);
    LoopConfig config;
    config.model = options.model;
    config.train = options.train;
    config.folds = options.folds;
    if (options.maxIterations > 0)
        config.maxIterations = options.maxIterations;
    report["config"]["max_iterations"] = config.maxIterations;
    printConfig(report["config"]);
    std::printf("data: %d images %dx%dx%d, %d classes, %zu answers; device %s\n", data.input.count(),
                data.input.height, data.input.width, data.input.channels, data.dataset.classCount(),
                data.dataset.answers.size(), device.c_str());

    const double dsAccuracy = accuracy(aggregate("ds", data.dataset).labels, data.dataset.truth);
    report["ds_accuracy"] = dsAccuracy;
    if (options.warmup == 1 || (options.warmup < 0 && device == "cuda")) {
        report["warmup_seconds"] = warmUp(options, data, data.dataset.classCount());
        std::printf("warm-up: %.2f s (untimed)\n", report["warmup_seconds"].get<double>());
    }

    std::printf("%4s %8s %8s %10s %10s %8s %9s %10s\n", "iter", "changed", "new", "consensus", "model", "weight",
                "seconds", "img/s");
    const double start = now();
    const LoopResult result = runCrowdlabLoop(
        data.dataset, data.input, config, Progress::none(),
        [](const LoopIteration& it) {
            std::printf("%4d %8d %8d %10.4f %10.4f %8.3f %9.2f %10.0f\n", it.iteration, it.changed, it.newlyChanged,
                        it.consensusAccuracy, it.modelAccuracy, it.modelWeight, it.seconds, it.trainSamplesPerSecond);
            std::fflush(stdout);
        },
        epochPrinter(options));
    const double seconds = now() - start;
    std::printf("majority vote %.4f, Dawid-Skene %.4f, final consensus %.4f; %zu iterations in %.2f s (%s)\n",
                result.majorityVoteAccuracy, dsAccuracy,
                result.iterations.empty() ? std::nan("") : result.iterations.back().consensusAccuracy,
                result.iterations.size(), seconds, result.converged ? "converged" : "stopped at the maximum");

    report["majority_vote_accuracy"] = result.majorityVoteAccuracy;
    report["converged"] = result.converged;
    report["seconds"] = seconds;
    json iterations = json::array();
    for (const LoopIteration& it : result.iterations)
        iterations.push_back({{"iteration", it.iteration}, {"changed", it.changed}, {"newly_changed", it.newlyChanged},
                              {"consensus_accuracy", it.consensusAccuracy}, {"model_accuracy", it.modelAccuracy},
                              {"model_weight", it.modelWeight}, {"seconds", it.seconds},
                              {"images_per_second", it.trainSamplesPerSecond}});
    report["iterations"] = iterations;
    writeJson(options, report);
    return 0;
}

// --dp-cost: synthetic, seeded data of the shape the models take, so that the run needs no folder.
// Feature rows: a Gaussian blob per class in `features` dimensions. Images: 28 x 28 x 1 uint8,
// a class-dependent bright bar over uniform noise. A third of the labels are drawn at random, as
// in the noisy sets Data Parameters are for: on clean, separable data the loss falls to ~1e-3 and
// the time of a run then swings with denormal gradients, not with the work.
int noisyLabel(int label, int classes, std::mt19937_64& random)
{
    std::uniform_int_distribution<int> pick(0, 3 * classes - 1);
    const int draw = pick(random);
    return draw < classes ? draw : label;
}

struct CostData {
    LearnInput input;
    std::vector<int> labels;
};

CostData costFeatures(int items, int features, int classes, std::uint64_t seed)
{
    std::mt19937_64 random(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    RowMatrixXf centres(classes, features);
    for (Eigen::Index i = 0; i < centres.size(); ++i)
        centres.data()[i] = normal(random);
    CostData data;
    data.input.features.resize(items, features);
    for (int i = 0; i < items; ++i) {
        const int label = i % classes;
        data.labels.push_back(noisyLabel(label, classes, random));
        for (int j = 0; j < features; ++j)
            data.input.features(i, j) = centres(label, j) + 3.0f * normal(random);
    }
    return data;
}

CostData costImages(int items, int classes, std::uint64_t seed)
{
    constexpr int side = 28;
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> noise(0, 127);
    CostData data;
    data.input.height = side;
    data.input.width = side;
    data.input.channels = 1;
    data.input.images.resize(static_cast<std::size_t>(items) * side * side);
    for (int i = 0; i < items; ++i) {
        const int label = i % classes;
        data.labels.push_back(noisyLabel(label, classes, random));
        std::uint8_t* image = data.input.images.data() + static_cast<std::size_t>(i) * side * side;
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x)
                image[y * side + x] = static_cast<std::uint8_t>(noise(random) + (y / 3 == label ? 128 : 0));
    }
    return data;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// The same training (model, data, seed, epochs, batches) without Data Parameters and with each of
// their levels, `repeats` rounds of the four in turn (so that a change of load on a shared machine
// falls on all four), after one untimed round of one epoch. Each figure is the wall time of
// Classifier::fit(); the ratio is the median with over the median without (also given: the ratio
// of the process CPU times and of the fastest rounds, steadier on a busy machine).
json measureDataParamsCost(const Options& options, const std::string& model, const CostData& data, int classes)
{
    struct Variant {
        const char* name;
        bool instance;
        bool classLevel;
    };
    const Variant variants[] = {{"without", false, false}, {"instance", true, false}, {"class", false, true},
                                {"both", true, true}};
    ModelSpec spec = options.model;
    spec.name = model;
    std::vector<int> rows(static_cast<std::size_t>(data.input.count()));
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = static_cast<int>(i);
    Targets targets;
    targets.labels = data.labels;

    auto timedFit = [&](const Variant& variant, int epochs, double& cpuSeconds, double& loss) {
        TrainConfig config = options.train;
        config.epochs = epochs;
        config.dataParams.instanceLevel = variant.instance;
        config.dataParams.classLevel = variant.classLevel;
        Classifier classifier(spec, data.input, classes, config);
        const double start = now();
        const double cpuStart = cpuNow();
        const TrainResult result = classifier.fit(data.input, rows, targets);
        cpuSeconds = cpuNow() - cpuStart;
        loss = result.history.empty() ? std::nan("") : result.history.back().trainLoss;
        return now() - start;
    };

    double cpuSeconds = 0, loss = 0;
    for (const Variant& variant : variants)
        timedFit(variant, 1, cpuSeconds, loss);
    std::map<std::string, std::vector<double>> wall, cpu;
    std::map<std::string, double> lastLoss;
    for (int r = 0; r < options.repeats; ++r) {
        for (const Variant& variant : variants) {
            wall[variant.name].push_back(timedFit(variant, options.train.epochs, cpuSeconds, loss));
            cpu[variant.name].push_back(cpuSeconds);
            lastLoss[variant.name] = loss;
            if (!options.quiet)
                std::fprintf(stderr, "  %s round %d/%d %-8s %.3f s (CPU %.3f s) loss %.4f\n", model.c_str(), r + 1,
                             options.repeats, variant.name, wall[variant.name].back(), cpuSeconds, loss);
        }
    }

    auto fastest = [](const std::vector<double>& values) { return *std::min_element(values.begin(), values.end()); };
    const double base = median(wall["without"]);
    const double fastestBase = fastest(wall["without"]);
    const double cpuBase = median(cpu["without"]);
    json entry;
    entry["model"] = model;
    entry["rows"] = data.input.count();
    entry["input"] = data.input.hasImages() ? "28x28x1 uint8 images" : std::to_string(data.input.featureSize()) + " features";
    std::printf("%-9s %6d rows  median of %d: without %.3f s", model.c_str(), data.input.count(), options.repeats, base);
    std::string ratios;
    for (const Variant& variant : variants) {
        const double seconds = median(wall[variant.name]);
        const double ratio = seconds / base;
        const double cpuRatio = median(cpu[variant.name]) / cpuBase;
        const double fastestRatio = fastest(wall[variant.name]) / fastestBase;
        entry[variant.name] = {{"seconds", wall[variant.name]}, {"median_seconds", seconds}, {"ratio", ratio},
                               {"fastest_ratio", fastestRatio}, {"cpu_seconds", cpu[variant.name]},
                               {"cpu_ratio", cpuRatio},
                               {"final_train_loss", lastLoss[variant.name]}};
        if (variant.instance || variant.classLevel) {
            std::printf(", %s %.3f s", variant.name, seconds);
            char text[128];
            std::snprintf(text, sizeof text, "%s%s %.3fx (CPU %.3fx, fastest %.3fx)", ratios.empty() ? "" : ", ",
                          variant.name, ratio, cpuRatio, fastestRatio);
            ratios += text;
        }
    }
    const double worst = median(wall["both"]) / base;
    entry["target_met"] = worst <= 1.10;
    std::printf("\n  ratio of the medians to without: %s\n  -> %s\n", ratios.c_str(),
                worst <= 1.10 ? "within the target" : "ABOVE the target");
    return entry;
}

int runDataParamsCost(const Options& options)
{
    constexpr int classes = 10;
    const std::string device = resolveDevice(options.train.device);
    json report;
    report["program"] = "bench_learn";
    report["mode"] = options.mode;
    report["device"] = device;
    report["hardware_threads"] = std::thread::hardware_concurrency();
    report["config"] = configJson(options);
    const bool mlp = !options.modelGiven || options.model.name == "mlp";
    const bool cnn = !options.modelGiven || options.model.name == "small-cnn";
    report["config"]["model"] = mlp && cnn ? "mlp,small-cnn" : mlp ? "mlp" : "small-cnn";
    report["config"]["hidden"] = options.model.hidden;
    report["config"]["repeats"] = options.repeats;
    report["target"] = "with Data Parameters (both levels) <= 1.10 x the time without";
    printConfig(report["config"]);
    std::printf("Data Parameters cost on %s: fit() wall time with (instance, class, both levels) over without,\n"
                "median of %d rounds; target: both levels <= 1.10x\n",
                device.c_str(), options.repeats);
    json models = json::array();
    if (mlp)
        models.push_back(measureDataParamsCost(
            options, "mlp", costFeatures(options.items, options.features, classes, options.train.seed), classes));
    if (cnn)
        models.push_back(measureDataParamsCost(options, "small-cnn",
                                               costImages(options.cnnItems, classes, options.train.seed), classes));
    report["models"] = models;
    writeJson(options, report);
    return 0;
}

#ifndef CROWDSIFT_BENCH_LEARN_ONLY
int prepare(const Options& options)
{
    DemoOptions demo;
    if (!options.fashionDir.empty())
        demo.fashionDir = options.fashionDir;
    demo.itemCount = options.items;
    const std::string imagesPath = joinPath(demo.fashionDir, "t10k-images-idx3-ubyte.gz");
    const std::string labelsPath = joinPath(demo.fashionDir, "t10k-labels-idx1-ubyte.gz");
    const IdxArray images = readIdxUbyte(imagesPath, 3);
    const IdxArray labels = readIdxUbyte(labelsPath, 1);
    const int n = options.items;
    if (n < 10 || n > images.dims[0] || labels.dims[0] != images.dims[0])
        throw InputError(imagesPath, "header",
                         "holds " + std::to_string(images.dims[0]) + " images; --items must lie in [10, that]");
    const std::vector<std::int32_t> truth(labels.data.begin(), labels.data.begin() + n);
    const DemoCrowd crowd = simulateDemoCrowd(truth, demo);

    fs::create_directories(options.folder);
    const std::size_t side = static_cast<std::size_t>(images.dims[1]);
    writeNpy(joinPath(options.folder, "images.npy"), images.data.data(),
             {static_cast<std::size_t>(n), side, static_cast<std::size_t>(images.dims[2]), 1});
    std::vector<std::int32_t> triplets;
    triplets.reserve(crowd.answers.size() * 3);
    for (const Answer& a : crowd.answers)
        triplets.insert(triplets.end(), {a.item, a.annotator, a.label});
    writeNpy(joinPath(options.folder, "answers.npy"), triplets.data(), {crowd.answers.size(), 3});
    writeNpy(joinPath(options.folder, "truth.npy"), truth.data(), {truth.size()});
    {
        std::ofstream out(joinPath(options.folder, "classes.txt"));
        for (const std::string& name : demoClassNames())
            out << name << "\n";
    }

    // The majority vote and the folds from what was just written, not from an earlier run's files.
    fs::remove(joinPath(options.folder, "labels.npy"));
    fs::remove(joinPath(options.folder, "folds.npy"));
    const BenchData data = loadBenchData(options);
    const std::vector<std::int32_t> majority(data.labels.begin(), data.labels.end());
    writeNpy(joinPath(options.folder, "labels.npy"), majority.data(), {majority.size()});
    const std::vector<int> folds = stratifiedFolds(data.labels, 5, 0);
    const std::vector<std::int32_t> folds32(folds.begin(), folds.end());
    writeNpy(joinPath(options.folder, "folds.npy"), folds32.data(), {folds32.size()});

    json meta;
    meta["source"] = "Fashion-MNIST t10k, first " + std::to_string(n) + " images (" + imagesPath + ")";
    meta["crowd"] = "simulateDemoCrowd, seed " + std::to_string(demo.seed) + ", " + std::to_string(demo.annotatorCount)
                    + " annotators, " + std::to_string(demo.minVotes) + "-" + std::to_string(demo.maxVotes)
                    + " votes per image";
    meta["labels"] = "cleanlabMajorityVote of the answers";
    meta["folds"] = "stratifiedFolds(labels, 5, seed 0)";
    meta["items"] = n;
    meta["answers"] = crowd.answers.size();
    meta["majority_vote_accuracy"] = accuracy(data.labels, data.dataset.truth);
    std::ofstream(joinPath(options.folder, "meta.json")) << meta.dump(2) << "\n";
    std::printf("wrote %s: %d images, %zu answers, majority vote accuracy %.4f\n", options.folder.c_str(), n,
                crowd.answers.size(), meta["majority_vote_accuracy"].get<double>());
    return 0;
}
#endif

}  // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        if (options.mode == "cv")
            return runCrossValidation(options);
        if (options.mode == "loop")
            return runLoop(options);
        if (options.mode == "dp-cost")
            return runDataParamsCost(options);
#ifndef CROWDSIFT_BENCH_LEARN_ONLY
        return prepare(options);
#else
        std::fprintf(stderr, "bench_learn: --prepare needs the full build (it reads Fashion-MNIST through "
                             "crowdsift_core); run it on the development machine and carry the folder\n");
        return 2;
#endif
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_learn: %s\n", error.what());
        return 1;
    }
}
