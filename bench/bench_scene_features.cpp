// Scene features (GIST + colour layout) on LabelMe and the CROWDLAB loop with an mlp on them:
// seconds per image for the descriptor, majority vote and Dawid-Skene accuracies, then per loop
// iteration the consensus and out-of-sample model accuracies against the truth.
//
//   bench_scene_features [--data FOLDER] [--truth FILE] [--cache DIR] [--size 128] [--scales 4]
//       [--orientations 8] [--grid 4] [--no-colour] [--threads 0] [--hidden 256[,128]]
//       [--dropout 0.2] [--epochs 20] [--lr 1e-3] [--wd 1e-4] [--smoothing 0] [--batch 128]
//       [--soft] [--folds 5] [--iterations 5] [--seed 0] [--clean] [--features-only]
//
// --data defaults to $CROWDSIFT_SHARED (else ../shared)/datasets/labelme/datasets/labelme with its
// truth in benchmark_crowdsourcing/datasets/truth_labelme.npy. --clean also cross-validates the
// mlp on the true labels: the ceiling the features allow.

#include "aggregate/registry.h"
#include "aggregate/result.h"
#include "data/formats.h"
#include "images/image_cache.h"
#include "images/scene_features.h"
#include "learn/crossval.h"
#include "learn/crowdlab_loop.h"
#include "util/error.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

struct Options {
    std::string data;
    std::string truth;
    std::string cache = "bench-scene-cache";
    SceneFeatureOptions features;
    ModelSpec model;
    TrainConfig train;
    bool soft = false;
    int folds = 5;
    int iterations = 5;
    bool clean = false;
    bool featuresOnly = false;
};

Options parseOptions(int argc, char** argv)
{
    Options o;
    const char* shared = std::getenv("CROWDSIFT_SHARED");
    const std::string root = shared ? shared : "../shared";
    o.data = root + "/datasets/labelme/datasets/labelme";
    o.truth = root + "/datasets/labelme/benchmark_crowdsourcing/datasets/truth_labelme.npy";
    o.model.name = "mlp";
    o.model.hidden = {256};
    o.model.dropout = 0.2;
    o.train.optimizer = OptimizerKind::AdamW;
    o.train.learningRate = 1e-3;
    o.train.weightDecay = 1e-4;
    o.train.epochs = 20;
    o.train.batchSize = 128;
    o.train.augment = false;
    o.train.flip = false;
    o.train.device = "cpu";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw InputError("command line", arg, "needs a value");
            return argv[++i];
        };
        if (arg == "--data") o.data = value();
        else if (arg == "--truth") o.truth = value();
        else if (arg == "--cache") o.cache = value();
        else if (arg == "--size") o.features.size = std::stoi(value());
        else if (arg == "--scales") o.features.scales = std::stoi(value());
        else if (arg == "--orientations") o.features.orientations = std::stoi(value());
        else if (arg == "--grid") o.features.grid = std::stoi(value());
        else if (arg == "--no-colour") o.features.colour = false;
        else if (arg == "--threads") o.features.threads = o.train.threads = std::stoi(value());
        else if (arg == "--hidden") {
            o.model.hidden.clear();
            std::stringstream list(value());
            for (std::string width; std::getline(list, width, ',');)
                if (!width.empty() && width != "0")
                    o.model.hidden.push_back(std::stoi(width));
        }
        else if (arg == "--dropout") o.model.dropout = std::stod(value());
        else if (arg == "--epochs") o.train.epochs = std::stoi(value());
        else if (arg == "--lr") o.train.learningRate = std::stod(value());
        else if (arg == "--wd") o.train.weightDecay = std::stod(value());
        else if (arg == "--smoothing") o.train.labelSmoothing = std::stod(value());
        else if (arg == "--batch") o.train.batchSize = std::stoi(value());
        else if (arg == "--soft") o.soft = true;
        else if (arg == "--folds") o.folds = std::stoi(value());
        else if (arg == "--iterations") o.iterations = std::stoi(value());
        else if (arg == "--seed") o.train.seed = std::stoull(value());
        else if (arg == "--clean") o.clean = true;
        else if (arg == "--features-only") o.featuresOnly = true;
        else throw InputError("command line", arg, "unknown option");
    }
    return o;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv)
{
    try {
        const Options o = parseOptions(argc, argv);
        Dataset dataset = readDataset(o.data);
        readTruth(dataset, o.truth);
        std::printf("dataset %s: %d items, %d images, %d classes\n", dataset.name.c_str(), dataset.itemCount(),
                    dataset.imageCount(), dataset.classCount());

        auto start = std::chrono::steady_clock::now();
        const SceneFeatures features = buildSceneFeatures(dataset, o.cache, o.features);
        const double featureSeconds = secondsSince(start);
        std::printf("features: %d x %d, size %d, %d scales x %d orientations, grid %d, colour %s, %s in %.2f s "
                    "(%.2f ms per image)\n",
                    static_cast<int>(features.features.rows()), static_cast<int>(features.features.cols()),
                    o.features.size, o.features.scales, o.features.orientations, o.features.grid,
                    o.features.colour ? "on" : "off", features.reused ? "reused" : "computed", featureSeconds,
                    1000.0 * featureSeconds / dataset.itemCount());
        if (!features.reused) {
            // Baseline, same images and threads: the image cache's decode and resize to the same
            // side, which any image input pays; the ratio is what the descriptor adds on top.
            ImageCacheOptions decode;
            decode.size = o.features.size;
            decode.threads = o.features.threads;
            const std::string decodeDir = o.cache + "/decode-baseline";
            std::filesystem::remove_all(decodeDir);
            start = std::chrono::steady_clock::now();
            buildImageCache(dataset, decodeDir, decode);
            const double decodeSeconds = secondsSince(start);
            std::filesystem::remove_all(decodeDir);
            std::printf("baseline: decode + resize to %d px in %.2f s; the features take %.1fx that\n",
                        o.features.size, decodeSeconds, featureSeconds / decodeSeconds);
        }
        if (o.featuresOnly)
            return 0;

        const AggregationResult ds = aggregate("ds", dataset);
        std::printf("ds accuracy %.4f\n", accuracy(ds.labels, dataset.truth));

        LearnInput input;
        input.features = features.features;
        std::printf("mlp hidden");
        for (int h : o.model.hidden)
            std::printf(" %d", h);
        std::printf(", dropout %.2f, epochs %d, lr %g, wd %g, smoothing %.2f, batch %d, %s targets, %d folds\n",
                    o.model.dropout, o.train.epochs, o.train.learningRate, o.train.weightDecay,
                    o.train.labelSmoothing, o.train.batchSize, o.soft ? "soft" : "hard", o.folds);

        if (o.clean) {
            Targets targets;
            targets.labels.assign(dataset.truth.begin(), dataset.truth.end());
            start = std::chrono::steady_clock::now();
            const CrossValidationResult cv =
                crossValidate(input, targets, dataset.classCount(), o.model, o.train, o.folds);
            std::printf("clean-label CV accuracy %.4f (%.1f s)\n",
                        accuracy(rowArgmax(cv.probabilities), dataset.truth), secondsSince(start));
        }

        const LoopConfig config{o.model, o.train, o.folds, o.iterations, o.soft};
        const LoopResult loop = runCrowdlabLoop(dataset, input, config, Progress::none(), [](const LoopIteration& it) {
            std::printf("iteration %d: consensus %.4f, model %.4f, model weight %.3f, changed %d (new %d), %.1f s\n",
                        it.iteration, it.consensusAccuracy, it.modelAccuracy, it.modelWeight, it.changed,
                        it.newlyChanged, it.seconds);
            std::fflush(stdout);
        });
        std::printf("mv accuracy %.4f; final consensus %.4f (%s)\n", loop.majorityVoteAccuracy,
                    loop.iterations.empty() ? 0.0 : loop.iterations.back().consensusAccuracy,
                    loop.converged ? "converged" : "iteration limit");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_scene_features: %s\n", e.what());
        return 1;
    }
}
