// Complementary-label learning on Fashion-MNIST (issue 15): the clean test accuracy of every
// loss of learn/complementary.h when each training image has three simulated complementary
// labels ("not class k"), drawn uniformly or with a bias towards classes far from the true one.
//
//   bench_complementary [--fashion DIR] [--train 10000] [--test 10000] [--epochs 10]
//                       [--hidden 256] [--batch-size 128] [--lr 1e-3] [--threads 2] [--seed 1]
//                       [--losses scl-nl,...] [--settings uniform,biased] [--json FILE]
//                       [--anchor-quantile 0.03] [--anchor-folds 2] [--anchor-epochs 0] [--anchors-only]
//                       [--oracle fwd,...]
//
// The first --train images of Fashion-MNIST's training set, three distinct complementary labels
// each (drawn with the seed), an mlp on the 784 pixels in [0, 1] (AdamW, cosine schedule), one
// model per loss and setting; accuracy on the first --test t10k images against their true labels.
//
// Settings:
//   uniform  the three labels are drawn uniformly without replacement from the nine wrong classes;
//   biased   a VLM-like bias towards classes far from the true one. "Far" is fixed by three groups
//            of Fashion-MNIST's classes: tops {T-shirt/top 0, Pullover 2, Dress 3, Coat 4, Shirt 6},
//            footwear {Sandal 5, Sneaker 7, Ankle boot 9} and the rest {Trouser 1, Bag 8}. A wrong
//            class of another group is drawn with weight 6, one of the true class's group with
//            weight 1 (without replacement, weights renormalised after each draw).
// The losses that read a transition matrix (ure-tnn, ure-tga, fwd, cpe-*) take the uniform one in
// the uniform setting and, in the biased one, Yu et al.'s anchor estimate from a first cpe-i
// training (what --transition anchors does, estimateAnchorTransition with the --anchor-* settings;
// the data alone, no truth), computed once per setting and printed with its mean absolute error
// against the T counted from the truth (--anchors-only: only that). The biased setting adds the --oracle losses
// (fwd unless told) with the transition counted against the truth (an oracle) for reference.

#include "images/idx.h"
#include "learn/complementary.h"
#include "learn_project/complementary_runs.h"
#include "util/error.h"
#include "util/npy.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

struct Options {
    std::string fashion = "/usr/share/datasets/fashion-mnist";
    int train = 10000;
    int test = 10000;
    int epochs = 10;
    int hidden = 256;
    int batchSize = 128;
    double lr = 1e-3;
    int threads = 2;
    std::uint64_t seed = 1;
    std::vector<std::string> losses = complementaryLossNames();
    std::vector<std::string> settings{"uniform", "biased"};
    std::string json;
    double anchorQuantile = 0.03;
    int anchorFolds = 2;
    int anchorEpochs = 0;
    bool anchorsOnly = false;
    std::vector<std::string> oracle{"fwd"};
};

[[noreturn]] void usage(const std::string& problem)
{
    std::fprintf(stderr, "bench_complementary: %s\n", problem.c_str());
    std::exit(2);
}

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> items;
    std::stringstream stream(text);
    for (std::string item; std::getline(stream, item, ',');)
        if (!item.empty())
            items.push_back(item);
    return items;
}

Options parseOptions(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--fashion")
            o.fashion = next();
        else if (arg == "--train")
            o.train = std::stoi(next());
        else if (arg == "--test")
            o.test = std::stoi(next());
        else if (arg == "--epochs")
            o.epochs = std::stoi(next());
        else if (arg == "--hidden")
            o.hidden = std::stoi(next());
        else if (arg == "--batch-size")
            o.batchSize = std::stoi(next());
        else if (arg == "--lr")
            o.lr = std::stod(next());
        else if (arg == "--threads")
            o.threads = std::stoi(next());
        else if (arg == "--seed")
            o.seed = std::stoull(next());
        else if (arg == "--losses")
            o.losses = splitList(next());
        else if (arg == "--settings")
            o.settings = splitList(next());
        else if (arg == "--json")
            o.json = next();
        else if (arg == "--anchor-quantile")
            o.anchorQuantile = std::stod(next());
        else if (arg == "--anchor-folds")
            o.anchorFolds = std::stoi(next());
        else if (arg == "--anchor-epochs")
            o.anchorEpochs = std::stoi(next());
        else if (arg == "--oracle")
            o.oracle = splitList(next());
        else if (arg == "--anchors-only")
            o.anchorsOnly = true;
        else
            usage("unknown option " + arg);
    }
    for (const std::string& loss : o.losses)
        parseComplementaryLoss(loss, "--losses");
    for (const std::string& loss : o.oracle)
        if (!usesTransition(parseComplementaryLoss(loss, "--oracle")))
            usage("--oracle takes losses that read the transition matrix (ure-tnn, ure-tga, fwd, cpe-*)");
    for (const std::string& s : o.settings)
        if (s != "uniform" && s != "biased")
            usage("--settings takes uniform and biased");
    return o;
}

struct FashionData {
    RowMatrixXf pixels;
    std::vector<int> truth;
};

FashionData readSplit(const std::string& folder, const std::string& prefix, int limit)
{
    const IdxArray images = readIdxUbyte(folder + "/" + prefix + "-images-idx3-ubyte.gz", 3);
    const IdxArray labels = readIdxUbyte(folder + "/" + prefix + "-labels-idx1-ubyte.gz", 1);
    const std::int64_t n = std::min<std::int64_t>(limit, images.dims[0]);
    const std::int64_t pixels = images.dims[1] * images.dims[2];
    FashionData split;
    split.pixels.resize(n, pixels);
    for (std::int64_t v = 0; v < n * pixels; ++v)
        split.pixels.data()[v] = static_cast<float>(images.data[static_cast<std::size_t>(v)]) / 255.0f;
    split.truth.assign(labels.data.begin(), labels.data.begin() + n);
    return split;
}

int groupOf(int fashionClass)
{
    switch (fashionClass) {
    case 0: case 2: case 3: case 4: case 6: return 0;  // tops
    case 5: case 7: case 9: return 1;                  // footwear
    default: return 2;                                 // trouser, bag
    }
}

// Three distinct complementary labels per item: uniform, or weighted 6 (other group) : 1.
Dataset simulate(const FashionData& train, bool biased, std::uint64_t seed)
{
    const int k = 10;
    Dataset d;
    d.name = biased ? "fashion-biased" : "fashion-uniform";
    d.classNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    const int n = static_cast<int>(train.truth.size());
    d.annotatorIds = {"c0", "c1", "c2"};
    d.features = train.pixels;
    d.truth.assign(train.truth.begin(), train.truth.end());
    std::vector<Answer> answers;
    std::mt19937_64 random(seed);
    for (int i = 0; i < n; ++i) {
        d.itemKeys.push_back(std::to_string(i));
        d.splits.push_back(crowdsift::Split::Train);
        d.imagePaths.emplace_back();
        const int y = train.truth[static_cast<std::size_t>(i)];
        std::vector<double> weight(k, 0.0);
        for (int c = 0; c < k; ++c)
            if (c != y)
                weight[static_cast<std::size_t>(c)] = !biased ? 1.0 : groupOf(c) == groupOf(y) ? 1.0 : 6.0;
        for (int a = 0; a < 3; ++a) {
            std::discrete_distribution<int> draw(weight.begin(), weight.end());
            const int c = draw(random);
            weight[static_cast<std::size_t>(c)] = 0;
            answers.push_back({i, a, c, true});
        }
    }
    d.answers = Answers::fromTriplets(n, 3, answers);
    d.validate();
    return d;
}

double testAccuracy(const RowMatrixXf& p, const std::vector<int>& truth)
{
    const std::vector<int> predicted = rowArgmax(p);
    int correct = 0;
    for (std::size_t i = 0; i < truth.size(); ++i)
        correct += predicted[i] == truth[i];
    return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace

int main(int argc, char** argv)
{
    const Options o = parseOptions(argc, argv);
    try {
        const FashionData train = readSplit(o.fashion, "train", o.train);
        const FashionData test = readSplit(o.fashion, "t10k", o.test);
        LearnInput testInput;
        testInput.features = test.pixels;
        std::vector<int> testRows(test.truth.size());
        for (std::size_t i = 0; i < testRows.size(); ++i)
            testRows[i] = static_cast<int>(i);

        ModelSpec spec;
        spec.name = "mlp";
        spec.hidden = {o.hidden};
        TrainConfig config = defaultTrainConfig("mlp", false);
        config.epochs = o.epochs;
        config.batchSize = o.batchSize;
        config.optimizer = OptimizerKind::AdamW;
        config.learningRate = o.lr;
        config.weightDecay = 1e-4;
        config.schedule = ScheduleKind::Cosine;
        config.warmupEpochs = 0;
        config.validationFraction = 0;
        config.device = "cpu";
        config.threads = o.threads;
        config.seed = o.seed;

        nlohmann::ordered_json report = {{"train", o.train}, {"test", o.test}, {"epochs", o.epochs}, {"hidden", o.hidden},
                                         {"lr", o.lr}, {"seed", o.seed}, {"anchors", nlohmann::ordered_json::array()},
                                         {"results", nlohmann::ordered_json::array()}};
        TransitionChoice anchorChoice;
        anchorChoice.anchorQuantile = o.anchorQuantile;
        anchorChoice.anchorFolds = o.anchorFolds;
        anchorChoice.anchorEpochs = o.anchorEpochs;
        std::printf("Fashion-MNIST, %d training images x 3 complementary labels, mlp %d, %d epochs, test on %d\n",
                    o.train, o.hidden, o.epochs, o.test);
        for (const std::string& setting : o.settings) {
            const bool biased = setting == "biased";
            const Dataset dataset = simulate(train, biased, o.seed);
            const LearnInput input = learnInputFromFeatures(dataset);
            std::vector<std::pair<std::string, std::string>> runs;
            for (const std::string& loss : o.losses)
                runs.emplace_back(loss, biased && usesTransition(parseComplementaryLoss(loss)) ? "anchors" : "uniform");
            if (biased)
                for (const std::string& loss : o.oracle)
                    runs.emplace_back(loss, "truth");
            // The anchor estimate of --transition anchors, computed once per setting (the same
            // first cpe-i training every loss would repeat) and handed over as a file.
            std::string anchorsFile;
            for (const auto& run : runs) {
                if (run.second != "anchors" || !anchorsFile.empty())
                    continue;
                const auto start = std::chrono::steady_clock::now();
                const RowMatrixXd t = estimateAnchorTransition(input, complementaryTargets(dataset), spec, config, anchorChoice);
                const double error = (t - transitionFromLabels(dataset, dataset.truth)).cwiseAbs().mean();
                const double uniformError = (uniformTransition(10) - transitionFromLabels(dataset, dataset.truth)).cwiseAbs().mean();
                std::printf("%-8s anchors: |T-T*| %.4f (uniform T: %.4f), quantile %.3f, folds %d, epochs %d, %.0f s\n",
                            setting.c_str(), error, uniformError, anchorChoice.anchorQuantile, anchorChoice.anchorFolds,
                            anchorChoice.anchorEpochs > 0 ? anchorChoice.anchorEpochs : o.epochs,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
                std::fflush(stdout);
                report["anchors"].push_back({{"setting", setting}, {"transition_error", error}, {"uniform_error", uniformError},
                                             {"quantile", anchorChoice.anchorQuantile}, {"folds", anchorChoice.anchorFolds},
                                             {"epochs", anchorChoice.anchorEpochs > 0 ? anchorChoice.anchorEpochs : o.epochs}});
                anchorsFile = (std::filesystem::temp_directory_path() / ("bench-cll-anchors-" + std::to_string(::getpid()) + ".npy")).string();
                writeNpy(anchorsFile, t.data(), {10, 10});
            }
            if (o.anchorsOnly) {
                if (!anchorsFile.empty())
                    std::filesystem::remove(anchorsFile);
                continue;
            }
            for (const auto& [lossName, source] : runs) {
                const auto start = std::chrono::steady_clock::now();
                const ComplementaryLoss loss = parseComplementaryLoss(lossName);
                TransitionChoice transition = anchorChoice;
                transition.source = source == "anchors" ? anchorsFile : source;
                const ComplementaryOutcome outcome =
                    trainComplementary(input, dataset, loss, transition, spec, config);
                const RowMatrixXf p =
                    complementaryClassProbabilities(loss, outcome.model->predict(testInput, testRows), outcome.transition);
                const double accuracy = testAccuracy(p, test.truth);
                const double trainAccuracy = testAccuracy(outcome.result.probabilities, train.truth);
                const double seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                const double transitionError = outcome.truthTransition.size() > 0
                                                   ? (outcome.transition - outcome.truthTransition).cwiseAbs().mean()
                                                   : std::nan("");
                std::printf("%-8s %-8s T=%-8s test %.4f  train %.4f  |T-T*| %.4f  %.0f s\n", setting.c_str(),
                            lossName.c_str(), source.c_str(), accuracy, trainAccuracy, transitionError, seconds);
                std::fflush(stdout);
                report["results"].push_back({{"setting", setting},
                                             {"loss", lossName},
                                             {"transition", source},
                                             {"test_accuracy", accuracy},
                                             {"train_accuracy", trainAccuracy},
                                             {"transition_error", transitionError},
                                             {"seconds", seconds}});
            }
            if (!anchorsFile.empty())
                std::filesystem::remove(anchorsFile);
        }
        if (!o.json.empty())
            std::ofstream(o.json) << report.dump(2) << "\n";
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_complementary: %s\n", error.what());
        return 1;
    }
    return 0;
}
