#include "learn/crossval.h"
#include "learn/torch_crowd.h"
#include "learn_project/crowd_runs.h"

#include "backbone_testdata.h"
#include "input_error.h"
#include "learn_testdata.h"
#include "synthetic_crowd.h"

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"

#include "util/error.h"
#include "util/npy.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

ModelSpec smallMlp()
{
    ModelSpec spec;
    spec.name = "mlp";
    spec.hidden = {32};
    return spec;
}

TrainConfig quickConfig(int epochs)
{
    TrainConfig config;
    config.epochs = epochs;
    config.batchSize = 64;
    config.optimizer = OptimizerKind::AdamW;
    config.learningRate = 1e-2;
    config.weightDecay = 1e-4;
    config.device = "cpu";
    config.threads = 1;
    config.seed = 5;
    return config;
}

// n items of 3 Gaussian classes in 8-d (unit noise, class k's mean `separation` on the
// dimensions j = k mod 3; 3 keeps them well apart, 0.7 makes them overlap), each labelled by
// every annotator of `confusions` (row k: the distribution of the answer for class k) with
// probability `rate`.
struct SimulatedCrowd {
    Dataset dataset;
    std::vector<std::vector<std::vector<double>>> confusions;
};

SimulatedCrowd simulatedCrowd(int n, const std::vector<std::vector<std::vector<double>>>& confusions, double rate,
                              float separation = 3.0f)
{
    SimulatedCrowd crowd;
    crowd.confusions = confusions;
    Dataset& d = crowd.dataset;
    d.name = "simulated";
    d.classNames = {"a", "b", "c"};
    d.features.resize(n, 8);
    std::mt19937_64 rng(3);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<Answer> answers;
    for (int i = 0; i < n; ++i) {
        const int label = i % 3;
        d.itemKeys.push_back(std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
        d.truth.push_back(label);
        for (int j = 0; j < 8; ++j)
            d.features(i, j) = noise(rng) + (j % 3 == label ? separation : 0.0f);
        for (std::size_t w = 0; w < confusions.size(); ++w) {
            if (uniform(rng) >= rate)
                continue;
            double u = uniform(rng);
            int answer = 0;
            const std::vector<double>& row = confusions[w][static_cast<std::size_t>(label)];
            while (answer < 2 && u >= row[static_cast<std::size_t>(answer)]) {
                u -= row[static_cast<std::size_t>(answer)];
                ++answer;
            }
            answers.push_back({i, static_cast<int>(w), answer, false});
        }
    }
    for (std::size_t w = 0; w < confusions.size(); ++w)
        d.annotatorIds.push_back("w" + std::to_string(w));
    d.answers = Answers::fromTriplets(n, static_cast<int>(confusions.size()), answers);
    d.validate();
    return crowd;
}

std::vector<std::vector<double>> symmetric(double accuracy)
{
    const double off = (1 - accuracy) / 2;
    return {{accuracy, off, off}, {off, accuracy, off}, {off, off, accuracy}};
}

double agreement(const std::vector<int>& a, const std::vector<int>& b)
{
    int same = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        same += a[i] == b[i];
    return static_cast<double>(same) / static_cast<double>(a.size());
}

std::vector<int> allRows(int n)
{
    std::vector<int> rows(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        rows[static_cast<std::size_t>(i)] = i;
    return rows;
}

// Tiny synthetic images of d's items: side x side gray, class k a bright quarter in corner k
// (top left, top right, bottom left) plus noise.
LearnInput cornerImages(const Dataset& d, int side)
{
    LearnInput input;
    input.height = side;
    input.width = side;
    input.channels = 1;
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int> noise(0, 60);
    const int half = side / 2;
    for (int i = 0; i < d.itemCount(); ++i) {
        const int label = d.truth[static_cast<std::size_t>(i)];
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
                const bool lit = (label == 0 && y < half && x < half) || (label == 1 && y < half && x >= half)
                                 || (label == 2 && y >= half && x < half);
                input.images.push_back(static_cast<std::uint8_t>((lit ? 180 : 20) + noise(rng)));
            }
    }
    return input;
}

std::vector<int> rowRange(int begin, int end)
{
    std::vector<int> rows;
    for (int i = begin; i < end; ++i)
        rows.push_back(i);
    return rows;
}

std::vector<int> pick(const std::vector<int>& values, const std::vector<int>& rows)
{
    std::vector<int> picked;
    for (const int row : rows)
        picked.push_back(values[static_cast<std::size_t>(row)]);
    return picked;
}

}  // namespace

class TestCrowdLayers : public QObject {
    Q_OBJECT

    // small-cnn learns the corner images from the votes of annotators of 80, 65 and 50 %
    // accuracy, out of sample, with CrowdLayer and CoNAL, on the CPU (one thread) or on CUDA.
    void smallCnnLearnsCorners(bool cuda)
    {
        const SimulatedCrowd crowd = simulatedCrowd(600, {symmetric(0.8), symmetric(0.65), symmetric(0.5)}, 0.9);
        const Dataset& d = crowd.dataset;
        const LearnInput input = cornerImages(d, 8);
        ModelSpec spec;
        spec.name = "small-cnn";
        spec.width = 8;
        TrainConfig config = defaultTrainConfig("small-cnn", cuda);
        config.epochs = 8;
        config.batchSize = 32;
        if (!cuda)
            config.threads = 1;
        config.augment = false;
        config.flip = false;
        QCOMPARE(config.device, std::string(cuda ? "cuda" : "cpu"));
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            QCOMPARE(CrowdModel(spec, input, 3, 3, config, parseCrowdStrategy(name)).device(), config.device);
            const CrowdCrossValidation result =
                crossValidateCrowd(input, crowdVotes(d), 3, spec, config, parseCrowdStrategy(name), 2);
            const double accuracy = agreement(rowArgmax(result.probabilities), d.truth);
            std::printf("%s, small-cnn on 8 x 8 images, %s: out-of-sample accuracy %.4f\n", name, config.device.c_str(),
                        accuracy);
            QVERIFY2(accuracy > 0.8, name);
            QVERIFY(result.probabilities.allFinite());
            QCOMPARE(result.confusions.size(), std::size_t(3 * 3 * 3));
        }
    }

private Q_SLOTS:
    void strategiesParseAndName()
    {
        QCOMPARE(crowdStrategyName(parseCrowdStrategy("crowdlayer")), std::string("crowdlayer[mw]"));
        QCOMPARE(crowdStrategyName(parseCrowdStrategy("CrowdLayer[VW]")), std::string("crowdlayer[vw]"));
        QCOMPARE(crowdStrategyName(parseCrowdStrategy("crowdlayer[vb]")), std::string("crowdlayer[vb]"));
        const CrowdConfig conal = parseCrowdStrategy("conal[scale=1e-4]");
        QVERIFY(conal.kind == CrowdLayerKind::Conal);
        QCOMPARE(conal.conalScale, 1e-4);
        QCOMPARE(parseCrowdStrategy("conal").conalScale, 1e-5);
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("crowdlayer[mx]"); }).contains("unknown CrowdLayer variant"));
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("conal[scale=-1]"); }).contains("scale"));
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("conal[scale=abc]"); }).contains("scale"));
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("ds"); }).contains("unknown strategy"));
        // The crowd parameters' own learning rate, named only when it is not the default.
        QCOMPARE(parseCrowdStrategy("crowdlayer").learningRate, CrowdConfig().learningRate);
        const CrowdConfig fast = parseCrowdStrategy("crowdlayer[vb,lr=0.05]");
        QVERIFY(fast.kind == CrowdLayerKind::VB);
        QCOMPARE(fast.learningRate, 0.05);
        QCOMPARE(crowdStrategyName(fast), std::string("crowdlayer[vb,lr=0.05]"));
        const CrowdConfig conalFast = parseCrowdStrategy("conal[scale=1e-4,lr=0.02]");
        QCOMPARE(conalFast.conalScale, 1e-4);
        QCOMPARE(conalFast.learningRate, 0.02);
        QCOMPARE(crowdStrategyName(conalFast), std::string("conal[scale=0.0001,lr=0.02]"));
        QCOMPARE(crowdStrategyName(parseCrowdStrategy("crowdlayer[lr=0.01]")), std::string("crowdlayer[mw]"));
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("crowdlayer[lr=0]"); }).contains("learning rate"));
        QVERIFY(inputErrorOf([] { parseCrowdStrategy("conal[lr=x]"); }).contains("learning rate"));
    }

    // At the identity every layer passes the classifier's probabilities through unchanged (CoNAL's
    // gate mixes two identities), so the crowd loss of one vote is the classifier's loss on p.
    void identityLayersPassProbabilitiesThrough()
    {
        const torch::Tensor p = torch::softmax(torch::tensor({{1.0f, -2.0f, 0.5f}, {0.0f, 3.0f, -1.0f}}), 1);
        const torch::Tensor row = torch::tensor({0, 1, 1}, torch::kLong);
        const torch::Tensor annotator = torch::tensor({2, 0, 3}, torch::kLong);
        const torch::Tensor inputs = torch::randn({2, 5});
        for (const char* name : {"crowdlayer[mw]", "crowdlayer[vw]", "crowdlayer[vb]", "conal"}) {
            learn::CrowdHead head(parseCrowdStrategy(name), 4, 3, 5, 1);
            torch::Tensor gate;
            const torch::Tensor out = head->forward(p, row, annotator, inputs, &gate);
            QVERIFY2(torch::allclose(out, p.index_select(0, row), 0, 1e-6), name);
            QVERIFY2(torch::allclose(head->loss(out, torch::tensor({0, 1, 2}, torch::kLong)),
                                     torch::nn::functional::cross_entropy(p.index_select(0, row), torch::tensor({0, 1, 2}, torch::kLong))),
                     name);
        }
    }

    // Perfect annotators: every strategy trains a classifier that predicts what plain training on
    // the truth predicts, and reads every annotator as mostly right. The classes overlap
    // (separation 0.7), so plain training is far from perfect on held-out items and a crowd model
    // that learned something else would show: on 300 items none of them trained on, each
    // strategy's predictions agree with plain training's on at least 90 % of the items and its
    // accuracy is within 3 points of plain training's.
    void perfectAnnotatorsReduceToPlainTraining()
    {
        const SimulatedCrowd crowd = simulatedCrowd(900, {symmetric(1.0), symmetric(1.0), symmetric(1.0)}, 1.0, 0.7f);
        const Dataset& d = crowd.dataset;
        const LearnInput input = learnInputFromFeatures(d);
        const std::vector<int> train = rowRange(0, 600);
        const std::vector<int> test = rowRange(600, 900);
        const std::vector<int> testTruth = pick(d.truth, test);
        Targets truth;
        truth.labels = d.truth;
        Classifier plain(smallMlp(), input, 3, quickConfig(15));
        plain.fit(input, train, truth);
        const std::vector<int> plainLabels = rowArgmax(plain.predict(input, test));
        const double plainAccuracy = agreement(plainLabels, testTruth);
        std::printf("plain training: held-out accuracy %.4f\n", plainAccuracy);
        QVERIFY2(plainAccuracy > 0.6 && plainAccuracy < 0.9, "the classes should overlap, but not be noise");
        for (const char* name : {"crowdlayer[mw]", "crowdlayer[vw]", "crowdlayer[vb]", "conal"}) {
            CrowdModel model(smallMlp(), input, 3, 3, quickConfig(15), parseCrowdStrategy(name));
            const CrowdFitResult fit = model.fit(input, train, crowdVotes(d));
            const std::vector<int> labels = rowArgmax(model.predict(input, test));
            const double accuracy = agreement(labels, testTruth);
            const double same = agreement(labels, plainLabels);
            std::printf("%s: held-out accuracy %.4f, agreement with plain training %.4f\n", name, accuracy, same);
            QVERIFY2(same >= 0.9, name);
            QVERIFY2(std::abs(accuracy - plainAccuracy) <= 0.03, name);
            QCOMPARE(fit.confusions.size(), std::size_t(3 * 3 * 3));
            for (std::size_t r = 0; r < 3; ++r)
                for (std::size_t k = 0; k < 3; ++k) {
                    const float* row = fit.confusions.data() + (r * 3 + k) * 3;
                    QVERIFY2(row[k] > row[(k + 1) % 3] && row[k] > row[(k + 2) % 3], name);
                    QVERIFY(std::abs(row[0] + row[1] + row[2] - 1.0f) < 1e-5f);
                }
        }
    }

    // Simulated annotators with known confusion matrices: the learned ones approach them (mean
    // absolute error over the 45 entries: 0.020 for CrowdLayer, 0.098 for CoNAL's individual
    // matrices, part of whose confusion its common matrix carries).
    void learnedConfusionsApproachTheTrueOnes()
    {
        const SimulatedCrowd crowd = simulatedCrowd(
            900,
            {symmetric(0.9), symmetric(0.7), {{0.1, 0.9, 0.0}, {0.0, 0.9, 0.1}, {0.0, 0.1, 0.9}}, symmetric(1.0 / 3.0),
             symmetric(0.6)},
            0.7);
        const Dataset& d = crowd.dataset;
        const LearnInput input = learnInputFromFeatures(d);
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            CrowdModel model(smallMlp(), input, 3, 5, quickConfig(40), parseCrowdStrategy(name));
            const CrowdFitResult fit = model.fit(input, allRows(d.itemCount()), crowdVotes(d));
            double error = 0;
            for (std::size_t r = 0; r < 5; ++r)
                for (std::size_t k = 0; k < 3; ++k)
                    for (std::size_t l = 0; l < 3; ++l)
                        error += std::abs(fit.confusions[(r * 3 + k) * 3 + l] - crowd.confusions[r][k][l]);
            error /= 5 * 3 * 3;
            const double accuracy = agreement(rowArgmax(model.predict(input, allRows(d.itemCount()))), d.truth);
            std::printf("%s: mean absolute error of the learned confusions %.4f, accuracy %.4f\n", name, error, accuracy);
            QVERIFY2(error < (std::string(name) == "conal" ? 0.1 : 0.05), name);
            QVERIFY2(accuracy > 0.95, name);
            if (std::string(name) == "conal") {
                QCOMPARE(fit.common.size(), std::size_t(9));
                QCOMPARE(fit.gate.size(), std::size_t(5));
                for (const float g : fit.gate)
                    QVERIFY(g > 0 && g < 1);
            }
        }
    }

    // The same simulated crowd with the settings the CLI and the GUI offer for an mlp
    // (defaultTrainConfig: AdamW at 1e-3, weight decay 1e-4, 20 epochs, batches of 128) and the
    // default crowd learning rate (mean absolute error 0.015 for CrowdLayer, 0.066 for CoNAL).
    // Before the crowd parameters had a group of their own they shared the classifier's 1e-3 and
    // barely left the identity: even at a constant 1e-3 without weight decay ("lr=0.001") the
    // error is 0.092 for CrowdLayer, against 0.155 for the identity itself.
    void defaultSettingsLearnTheConfusions()
    {
        const std::vector<std::vector<std::vector<double>>> truth = {
            symmetric(0.9), symmetric(0.7), {{0.1, 0.9, 0.0}, {0.0, 0.9, 0.1}, {0.0, 0.1, 0.9}}, symmetric(1.0 / 3.0),
            symmetric(0.6)};
        const SimulatedCrowd crowd = simulatedCrowd(2000, truth, 0.7);
        const Dataset& d = crowd.dataset;
        const LearnInput input = learnInputFromFeatures(d);
        ModelSpec spec;
        spec.name = "mlp";
        TrainConfig config = defaultTrainConfig("mlp", false);
        config.threads = 1;
        auto meanError = [&](const std::vector<float>& confusions) {
            double error = 0;
            for (std::size_t r = 0; r < 5; ++r)
                for (std::size_t k = 0; k < 3; ++k)
                    for (std::size_t l = 0; l < 3; ++l)
                        error += std::abs(confusions[(r * 3 + k) * 3 + l] - truth[r][k][l]);
            return error / (5 * 3 * 3);
        };
        // The identity's read-back, softmax of I's rows: the error a layer that never learned has.
        std::vector<float> identity;
        const float e = std::exp(1.0f);
        for (std::size_t r = 0; r < 5; ++r)
            for (std::size_t k = 0; k < 3; ++k)
                for (std::size_t l = 0; l < 3; ++l)
                    identity.push_back(k == l ? e / (e + 2) : 1 / (e + 2));
        const double identityError = meanError(identity);
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            CrowdModel model(spec, input, 3, 5, config, parseCrowdStrategy(name));
            const CrowdFitResult fit = model.fit(input, allRows(d.itemCount()), crowdVotes(d));
            const double error = meanError(fit.confusions);
            const double accuracy = agreement(rowArgmax(model.predict(input, allRows(d.itemCount()))), d.truth);
            std::printf("%s, default settings: mean absolute error %.4f (identity %.4f), accuracy %.4f\n", name, error,
                        identityError, accuracy);
            QVERIFY2(error < (std::string(name) == "conal" ? 0.1 : 0.05), name);
            QVERIFY2(accuracy > 0.95, name);
        }
    }

    // Folds train side by side (two workers of one torch thread each with --threads 2) and give
    // the same bits as one after the other with --threads 1, confusions and gates included.
    void foldsSideBySideGiveTheSameBits()
    {
        const SimulatedCrowd crowd = simulatedCrowd(300, {symmetric(0.8), symmetric(0.6), symmetric(0.7)}, 0.8);
        const Dataset& d = crowd.dataset;
        const LearnInput input = learnInputFromFeatures(d);
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            TrainConfig serial = quickConfig(3);
            TrainConfig parallel = serial;
            parallel.threads = 2;
            QCOMPARE(crossValidationWorkers(smallMlp(), parallel, 3), 2);
            const CrowdCrossValidation a =
                crossValidateCrowd(input, crowdVotes(d), 3, smallMlp(), serial, parseCrowdStrategy(name), 3);
            const CrowdCrossValidation b =
                crossValidateCrowd(input, crowdVotes(d), 3, smallMlp(), parallel, parseCrowdStrategy(name), 3);
            QCOMPARE(a.fold, b.fold);
            QVERIFY2(std::memcmp(a.probabilities.data(), b.probabilities.data(),
                                 sizeof(float) * static_cast<std::size_t>(a.probabilities.size())) == 0,
                     name);
            QCOMPARE(a.confusions.size(), b.confusions.size());
            QVERIFY2(std::memcmp(a.confusions.data(), b.confusions.data(), sizeof(float) * a.confusions.size()) == 0, name);
            QCOMPARE(a.gate.size(), b.gate.size());
            QVERIFY2(a.gate.empty() || std::memcmp(a.gate.data(), b.gate.data(), sizeof(float) * a.gate.size()) == 0, name);
            QCOMPARE(a.history.size(), std::size_t(3));
            for (std::size_t f = 0; f < 3; ++f) {
                QCOMPARE(b.history[f].size(), std::size_t(3));
                QCOMPARE(a.history[f].back().trainLoss, b.history[f].back().trainLoss);
            }
        }
    }

    // The image path: small-cnn learns from the crowd's votes on tiny synthetic images (8 x 8
    // gray, class k a bright 4 x 4 square in corner k plus noise) on the CPU, out of sample, far
    // above the chance of 1/3; the votes come from annotators of 80 %, 65 % and 50 % accuracy.
    void smallCnnLearnsFromCrowdsOnImages() { smallCnnLearnsCorners(false); }

    // On a CUDA machine (skipped on one without): the crowd layers and their votes move to the
    // GPU with the classifier, and small-cnn learns the corner images from the crowd there as on
    // the CPU (scripts/build-learn-cuda runs this test on a GPU machine).
    void crowdLayersTrainOnCuda()
    {
        if (!cudaAvailable())
            QSKIP("no CUDA device on this machine");
        smallCnnLearnsCorners(true);
    }

    // The crowd layers sit on any classifier of the trainer. resnet18 (one epoch on 16 x 16
    // images, out of sample): probabilities and read-back confusions are distributions, every
    // fold trained, and the annotator layers left the identity (softmax of its rows has a
    // diagonal of e / (e + 2) for three classes). A TorchScript backbone (a fixed random
    // projection of the pixels, saved by this test) with a trained head: it learns the corner
    // classes from the votes of annotators of 80, 65 and 50 % accuracy.
    void everyTrainerModelCarriesTheCrowdLayers()
    {
        const SimulatedCrowd crowd = simulatedCrowd(120, {symmetric(0.8), symmetric(0.65), symmetric(0.5)}, 0.9);
        const Dataset& d = crowd.dataset;
        const LearnInput input = cornerImages(d, 16);
        const float identityDiagonal = static_cast<float>(std::exp(1.0) / (std::exp(1.0) + 2.0));

        ModelSpec resnet;
        resnet.name = "resnet18";
        TrainConfig config = defaultTrainConfig("resnet18", false);
        config.epochs = 1;
        config.batchSize = 16;
        config.threads = 1;
        config.augment = false;
        config.flip = false;
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            const CrowdCrossValidation result =
                crossValidateCrowd(input, crowdVotes(d), 3, resnet, config, parseCrowdStrategy(name), 2);
            QVERIFY2(result.probabilities.allFinite(), name);
            QVERIFY2((result.probabilities.rowwise().sum().array() - 1.0f).abs().maxCoeff() < 1e-5f, name);
            QCOMPARE(result.history.size(), std::size_t(2));
            for (const std::vector<EpochRecord>& fold : result.history) {
                QCOMPARE(fold.size(), std::size_t(1));
                QVERIFY(std::isfinite(fold[0].trainLoss));
            }
            QCOMPARE(result.confusions.size(), std::size_t(3 * 3 * 3));
            float moved = 0;
            for (std::size_t r = 0; r < 3; ++r)
                for (std::size_t k = 0; k < 3; ++k) {
                    const float* row = result.confusions.data() + (r * 3 + k) * 3;
                    QVERIFY(std::abs(row[0] + row[1] + row[2] - 1.0f) < 1e-5f);
                    moved = std::max(moved, std::abs(row[k] - identityDiagonal));
                }
            QVERIFY2(moved > 0.01f, name);
        }

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ModelSpec script;
        script.name = "torchscript";
        script.backbone = dir.filePath("backbone.pt").toStdString();
        script.hidden = {};
        saveProjectionBackbone(script.backbone, 16 * 16);
        TrainConfig head = quickConfig(30);
        head.batchSize = 16;
        for (const char* name : {"crowdlayer[mw]", "conal"}) {
            const CrowdCrossValidation result =
                crossValidateCrowd(input, crowdVotes(d), 3, script, head, parseCrowdStrategy(name), 2);
            const double accuracy = agreement(rowArgmax(result.probabilities), d.truth);
            std::printf("%s, TorchScript backbone: out-of-sample accuracy %.4f\n", name, accuracy);
            QVERIFY2(accuracy > 0.8, name);
        }
    }

    // sum_r ||W_r - W_c||_F with W_1 - W_c = [[3, 0], [0, 4]] (norm 5) and W_2 - W_c = [[1, 0],
    // [0, 0]] (norm 1), scale 0.5: value 3; d/dW_1 = 0.5 (W_1 - W_c) / 5 = [[0.3, 0], [0, 0.4]];
    // d/dW_2 = [[0.5, 0], [0, 0]]; d/dW_c = -(both) = [[-0.8, 0], [0, -0.4]]. The CoNAL loss
    // subtracts it: its gradient is the opposite.
    void regulariserGradientByHand()
    {
        const torch::Tensor common = torch::tensor({{1.0f, 2.0f}, {-1.0f, 0.5f}}).requires_grad_(true);
        const torch::Tensor kernels =
            torch::stack({torch::tensor({{4.0f, 2.0f}, {-1.0f, 4.5f}}), torch::tensor({{2.0f, 2.0f}, {-1.0f, 0.5f}})}).requires_grad_(true);
        const torch::Tensor value = learn::conalRegulariser(kernels, common, 0.5);
        QVERIFY(std::abs(value.item<float>() - 3.0f) < 1e-6f);
        value.backward();
        QVERIFY(torch::allclose(kernels.grad(), torch::tensor({{{0.3f, 0.0f}, {0.0f, 0.4f}}, {{0.5f, 0.0f}, {0.0f, 0.0f}}})));
        QVERIFY(torch::allclose(common.grad(), torch::tensor({{-0.8f, 0.0f}, {0.0f, -0.4f}})));

        // Where an annotator's matrix equals the common one the subgradient is 0, not NaN.
        const torch::Tensor same = torch::eye(2).unsqueeze(0).requires_grad_(true);
        learn::conalRegulariser(same, torch::eye(2), 1.0).backward();
        QVERIFY(torch::equal(same.grad(), torch::zeros({1, 2, 2})));

        // In the head's loss: the kernels' gradient is the regulariser's, negated, when the
        // cross entropy does not depend on them.
        CrowdConfig config = parseCrowdStrategy("conal[scale=0.5]");
        learn::CrowdHead head(config, 2, 2, 3, 1);
        {
            torch::NoGradGuard noGrad;
            head->kernel.copy_(kernels.detach());
            head->commonKernel.copy_(common.detach());
        }
        const torch::Tensor logits = torch::zeros({1, 2}, torch::kFloat).requires_grad_(true);
        head->loss(logits, torch::tensor({0}, torch::kLong)).backward();
        QVERIFY(torch::allclose(head->kernel.grad(), -kernels.grad()));
        QVERIFY(torch::allclose(head->commonKernel.grad(), -common.grad()));
    }

    // Annotators with no votes among a fold's training rows, classes nobody used: the fit still
    // trains; the annotator's matrix is NaN where it had no votes at all.
    void annotatorsWithoutVotesAndUnusedClasses()
    {
        SimulatedCrowd crowd = simulatedCrowd(120, {symmetric(0.9), symmetric(0.8)}, 1.0);
        Dataset d = crowd.dataset;
        // A third annotator who labelled only item 0, a fourth who labelled nothing, a class nobody used.
        d.classNames.push_back("unused");
        d.annotatorIds.push_back("w2");
        d.annotatorIds.push_back("w3");
        std::vector<Answer> answers = d.answers.triplets();
        answers.push_back({0, 2, 0, false});
        d.answers = Answers::fromTriplets(d.itemCount(), 4, answers);
        d.validate();
        const LearnInput input = learnInputFromFeatures(d);
        const CrowdCrossValidation result = crossValidateCrowd(input, crowdVotes(d), 4, smallMlp(), quickConfig(5),
                                                               parseCrowdStrategy("conal"), 3);
        QCOMPARE(result.probabilities.rows(), Eigen::Index(120));
        QCOMPARE(result.probabilities.cols(), Eigen::Index(4));
        for (Eigen::Index i = 0; i < result.probabilities.rows(); ++i)
            QVERIFY(std::abs(result.probabilities.row(i).sum() - 1.0f) < 1e-4f);
        QCOMPARE(result.confusions.size(), std::size_t(4 * 4 * 4));
        QVERIFY(!std::isnan(result.confusions[2 * 16]));  // item 0 trained at least one fold
        QVERIFY(std::isnan(result.confusions[3 * 16]));
        QVERIFY(std::isnan(result.gate[3]));
        QCOMPARE(result.votes[2], std::int64_t(1));
        QCOMPARE(result.votes[3], std::int64_t(0));
        QVERIFY(accuracyOk(result, d));
    }

    // k-fold: every item's prediction comes from the model that did not see its votes; the run
    // stores probabilities, folds, curves and the learned matrices.
    void runStoresItsOutputs()
    {
        QTemporaryDir dir;
        const Dataset d = syntheticCrowd();
        Project project = Project::create(dir.filePath("p.csift").toStdString(), d, Progress::none());
        const LearnInput input = learnInputFromFeatures(d);
        const CrowdConfig crowd = parseCrowdStrategy("conal");
        const nlohmann::json params = crowdParams(smallMlp(), quickConfig(5), crowd, {}, 3, crowdVotes(d));
        const std::int64_t run = runLearnFromCrowds(project, d, params, input, smallMlp(), quickConfig(5), crowd, 3);
        const RunInfo info = project.run(run);
        QCOMPARE(info.status, std::string("done"));
        QCOMPARE(info.kind, std::string("train"));
        QCOMPARE(info.name, std::string("conal[scale=1e-05] mlp"));
        for (const char* output : {"probabilities", "fold", "history", "annotator_confusions", "common_confusion", "gate"})
            QVERIFY2(std::find(info.outputs.begin(), info.outputs.end(), output) != info.outputs.end(), output);
        const NpyArray confusions = project.runOutput(run, "annotator_confusions");
        QCOMPARE(confusions.shape, (std::vector<std::size_t>{12, 3, 3}));
        QCOMPARE(project.runOutput(run, "history").shape, (std::vector<std::size_t>{15, 9}));
        QCOMPARE(info.summary["strategy"].get<std::string>(), std::string("conal[scale=1e-05]"));
        QCOMPARE(info.summary["votes"].get<int>(), 900);
        QVERIFY(info.summary["accuracy"].get<double>() > 0.8);
    }

    // A cancel in the second fold ends the run "cancelled" with nothing stored.
    void cancelledRunStoresNothing()
    {
        QTemporaryDir dir;
        const Dataset d = syntheticCrowd();
        Project project = Project::create(dir.filePath("p.csift").toStdString(), d, Progress::none());
        const LearnInput input = learnInputFromFeatures(d);
        const CrowdConfig crowd = parseCrowdStrategy("crowdlayer[mw]");
        const TrainConfig config = quickConfig(3);
        Progress progress;
        progress.setCallback(
            [&](double fraction, const std::string&) {
                if (fraction > 0.5)
                    progress.cancel();
            },
            0);
        QVERIFY_EXCEPTION_THROWN(runLearnFromCrowds(project, d, crowdParams(smallMlp(), config, crowd, {}, 2, crowdVotes(d)),
                                                    input, smallMlp(), config, crowd, 2, progress),
                                 Cancelled);
        const std::vector<RunInfo> runs = project.runs();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs.back().status, std::string("cancelled"));
        QVERIFY(runs.back().outputs.empty());
    }

    // The CROWDLAB loop starts from a Dawid-Skene run's labels, or from a learn-from-crowds run's
    // probabilities, whose CROWDLAB consensus is then iteration 1's without training a model.
    void loopStartsFromAnyRun()
    {
        QTemporaryDir dir;
        const Dataset d = syntheticCrowd();
        Project project = Project::create(dir.filePath("p.csift").toStdString(), d, Progress::none());
        const LearnInput input = learnInputFromFeatures(d);
        const AggregationResult ds = aggregate("ds", d);
        const std::int64_t dsRun = storeAggregationRun(project, d, ds, {}, {});
        LoopConfig soft = smallConfig(1);
        soft.softTargets = true;
        const LoopStart fromDs = loopStartFromRun(project, d, dsRun);
        QCOMPARE(fromDs.labels, ds.labels);
        QVERIFY(fromDs.posteriors.isApprox(ds.posteriors.cast<float>()));
        // Its refit is the run's strategy with the run's parameters: on every answer, the run.
        QVERIFY(static_cast<bool>(fromDs.refit));
        QVERIFY(fromDs.refit(d).isApprox(ds.posteriors));
        const LoopResult dsLoop = runCrowdlabLoop(d, input, soft, fromDs);
        QCOMPARE(dsLoop.lastHistory.size(), std::size_t(3));
        int changed = 0;
        for (std::size_t i = 0; i < ds.labels.size(); ++i)
            changed += dsLoop.consensus.consensusLabel[i] != ds.labels[i];
        QCOMPARE(dsLoop.iterations.front().changed, changed);

        const CrowdConfig crowd = parseCrowdStrategy("crowdlayer[mw]");
        const std::int64_t crowdRun = runLearnFromCrowds(project, d, crowdParams(smallMlp(), quickConfig(5), crowd, {}, 3, crowdVotes(d)),
                                                         input, smallMlp(), quickConfig(5), crowd, 3);
        const LoopStart fromCrowd = loopStartFromRun(project, d, crowdRun);
        QCOMPARE(fromCrowd.probabilities.rows(), Eigen::Index(d.itemCount()));
        QVERIFY(fromCrowd.labels.empty());
        QVERIFY(!fromCrowd.refit);
        const LoopResult crowdLoop = runCrowdlabLoop(d, input, smallConfig(1), fromCrowd);
        QVERIFY(crowdLoop.lastHistory.empty());  // iteration 1 trained nothing
        const CrowdlabResult expected = crowdlab(d, fromCrowd.probabilities.cast<double>(), CrowdlabOptions{});
        QCOMPARE(crowdLoop.consensus.consensusLabel, expected.consensusLabel);

        QVERIFY(inputErrorOf([&] { loopStartFromRun(project, d, 99); }).contains("no such run"));
        Dataset wrong = d;
        wrong.classNames.push_back("extra");
        QVERIFY(inputErrorOf([&] { loopStartFromRun(project, wrong, crowdRun); }).contains("not one row of 4 classes"));
    }

private:
    static bool accuracyOk(const CrowdCrossValidation& result, const Dataset& d)
    {
        return agreement(rowArgmax(result.probabilities), d.truth) > 0.9;
    }
};

QTEST_GUILESS_MAIN(TestCrowdLayers)
#include "test_crowd_layers.moc"
