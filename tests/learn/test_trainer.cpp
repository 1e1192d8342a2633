#include "learn/trainer.h"
#include "util/error.h"
#include "util/npy.h"

#include <QTemporaryDir>
#include "input_error.h"
#include "random_learn_input.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

using namespace crowdsift;
using crowdsift::testing::inputErrorOf;
using crowdsift::testing::allRows;
using crowdsift::testing::randomFeatures;
using crowdsift::testing::randomImages;
using crowdsift::testing::randomLabels;

namespace {

double accuracy(const RowMatrixXf& probabilities, const std::vector<int>& labels, const std::vector<int>& rows)
{
    int correct = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        Eigen::Index best = 0;
        probabilities.row(static_cast<Eigen::Index>(i)).maxCoeff(&best);
        correct += best == labels[static_cast<std::size_t>(rows[i])];
    }
    return static_cast<double>(correct) / static_cast<double>(rows.size());
}

TrainConfig quickConfig(int epochs, int batchSize)
{
    TrainConfig config;
    config.epochs = epochs;
    config.batchSize = batchSize;
    config.optimizer = OptimizerKind::AdamW;
    config.learningRate = 1e-2;
    config.weightDecay = 0;
    config.warmupEpochs = 0;
    config.augment = false;
    config.flip = false;
    config.device = "cpu";
    // One thread: ctest runs suites side by side, and two threads' barriers then cost more than
    // they gain on tiny batches.
    config.threads = 1;
    config.seed = 5;
    return config;
}

ModelSpec mlp(std::vector<int> hidden)
{
    ModelSpec spec;
    spec.name = "mlp";
    spec.hidden = std::move(hidden);
    return spec;
}

ModelSpec smallCnn(int width)
{
    ModelSpec spec;
    spec.name = "small-cnn";
    spec.width = width;
    return spec;
}

bool sameBits(const RowMatrixXf& a, const RowMatrixXf& b)
{
    return a.rows() == b.rows() && a.cols() == b.cols()
        && std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())) == 0;
}

}  // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void overfitsATinySet_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("mlp on features") << "mlp";
        QTest::newRow("mlp on images") << "mlp-images";
        QTest::newRow("small-cnn") << "small-cnn";
    }

    void overfitsATinySet()
    {
        QFETCH(QString, model);
        const int n = 64;
        const LearnInput input = model == "mlp" ? randomFeatures(n, 16, 1) : randomImages(n, 16, 1, 1);
        const Targets targets = randomLabels(n, 4, 2);
        const ModelSpec spec = model == "small-cnn" ? smallCnn(8) : mlp({64});
        const TrainConfig config = quickConfig(model == "small-cnn" ? 30 : 40, 16);
        Classifier classifier(spec, input, 4, config);
        const TrainResult result = classifier.fit(input, allRows(n), targets);

        QCOMPARE(static_cast<int>(result.history.size()), config.epochs);
        QCOMPARE(result.bestEpoch, config.epochs);
        QVERIFY(!result.stoppedEarly);
        QCOMPARE(result.history.back().trainAccuracy, 1.0);
        QVERIFY2(result.history.back().trainLoss < 0.25 * result.history.front().trainLoss,
                 qPrintable(QString("loss %1 -> %2").arg(result.history.front().trainLoss).arg(result.history.back().trainLoss)));
        QCOMPARE(accuracy(classifier.predict(input, allRows(n)), targets.labels, allRows(n)), 1.0);
        QCOMPARE(result.trainSamples, static_cast<std::int64_t>(n) * config.epochs);
        for (const EpochRecord& record : result.history) {
            QVERIFY(record.samplesPerSecond > 0);
            QVERIFY(record.seconds > 0);
            QVERIFY(std::isnan(record.validationLoss));
            QVERIFY(std::isnan(record.validationAccuracy));
        }
    }

    void softOneHotTargetsGiveTheHardLoss_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<double>("smoothing");
        QTest::newRow("mlp, no smoothing") << "mlp" << 0.0;
        QTest::newRow("mlp, smoothing 0.1") << "mlp" << 0.1;
        QTest::newRow("small-cnn, smoothing 0.2") << "small-cnn" << 0.2;
    }

    void softOneHotTargetsGiveTheHardLoss()
    {
        QFETCH(QString, model);
        QFETCH(double, smoothing);
        const int n = 48;
        const LearnInput input = model == "mlp" ? randomFeatures(n, 8, 3) : randomImages(n, 8, 3, 3);
        Targets hard = randomLabels(n, 3, 4);
        hard.labels[5] = -1;
        Targets soft;
        soft.soft = RowMatrixXf::Zero(n, 3);
        for (int i = 0; i < n; ++i) {
            if (hard.labels[static_cast<std::size_t>(i)] >= 0)
                soft.soft(i, hard.labels[static_cast<std::size_t>(i)]) = 1.0f;
        }
        TrainConfig config = quickConfig(3, 16);
        config.labelSmoothing = smoothing;
        config.augment = true;
        config.flip = true;
        const ModelSpec spec = model == "mlp" ? mlp({16}) : smallCnn(4);

        Classifier fromHard(spec, input, 3, config);
        Classifier fromSoft(spec, input, 3, config);
        const TrainResult a = fromHard.fit(input, allRows(n), hard);
        const TrainResult b = fromSoft.fit(input, allRows(n), soft);
        QCOMPARE(a.trainSamples, static_cast<std::int64_t>(n - 1) * config.epochs);
        QCOMPARE(b.trainSamples, a.trainSamples);
        for (std::size_t e = 0; e < a.history.size(); ++e) {
            QVERIFY(std::abs(a.history[e].trainLoss - b.history[e].trainLoss) <= 1e-6);
            QCOMPARE(a.history[e].trainAccuracy, b.history[e].trainAccuracy);
        }
        const RowMatrixXf pa = fromHard.predict(input, allRows(n));
        const RowMatrixXf pb = fromSoft.predict(input, allRows(n));
        QVERIFY((pa - pb).cwiseAbs().maxCoeff() <= 1e-6f);
    }

    void cancelStopsWithinOneBatch_data()
    {
        QTest::addColumn<int>("cancelAfterBatches");
        QTest::addColumn<bool>("fromEpochCallback");
        QTest::newRow("after 1 batch") << 1 << false;
        QTest::newRow("after 7 batches") << 7 << false;
        QTest::newRow("at the end of epoch 2") << 0 << true;
    }

    void cancelStopsWithinOneBatch()
    {
        QFETCH(int, cancelAfterBatches);
        QFETCH(bool, fromEpochCallback);
        const int n = 64;
        const LearnInput input = randomImages(n, 8, 1, 6);
        const Targets targets = randomLabels(n, 3, 7);
        TrainConfig config = quickConfig(6, 16);
        config.validationFraction = 0.25;
        Classifier classifier(smallCnn(4), input, 3, config);

        int batches = 0;
        int batchesAtCancel = -1;
        int epochs = 0;
        Progress progress;
        progress.setCallback(
            [&](double, const std::string&) {
                ++batches;
                if (!fromEpochCallback && batches == cancelAfterBatches) {
                    batchesAtCancel = batches;
                    progress.cancel();
                }
            },
            0);
        auto onEpoch = [&](const EpochRecord&) {
            ++epochs;
            if (fromEpochCallback && epochs == 2) {
                batchesAtCancel = batches;
                progress.cancel();
            }
        };
        QVERIFY_EXCEPTION_THROWN(classifier.fit(input, allRows(n), targets, progress, onEpoch), Cancelled);
        QVERIFY(batchesAtCancel > 0);
        QVERIFY2(batches - batchesAtCancel <= 1, qPrintable(QString("%1 batches after the cancel").arg(batches - batchesAtCancel)));
        if (fromEpochCallback)
            QCOMPARE(epochs, 2);

        // The classifier survives a cancelled run: it predicts and trains again.
        const RowMatrixXf probabilities = classifier.predict(input, allRows(n));
        QCOMPARE(probabilities.rows(), static_cast<Eigen::Index>(n));
        QVERIFY(probabilities.allFinite());
        const TrainResult again = classifier.fit(input, allRows(n), targets);
        QCOMPARE(static_cast<int>(again.history.size()), config.epochs);
    }

    void sameSeedSameProbabilities_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("small-cnn with augmentation") << "small-cnn";
        QTest::newRow("mlp with dropout") << "mlp";
    }

    void sameSeedSameProbabilities()
    {
        QFETCH(QString, model);
        const int n = 40;
        const LearnInput input = model == "mlp" ? randomFeatures(n, 12, 8) : randomImages(n, 12, 3, 8);
        const Targets targets = randomLabels(n, 3, 9);
        ModelSpec spec = model == "mlp" ? mlp({32, 16}) : smallCnn(4);
        spec.dropout = 0.3;
        TrainConfig config = quickConfig(3, 8);
        config.augment = true;
        config.flip = true;
        config.validationFraction = 0.2;
        config.optimizer = OptimizerKind::Sgd;
        config.learningRate = 0.05;
        config.weightDecay = 5e-4;
        config.warmupEpochs = 1;

        auto run = [&](std::uint64_t seed) {
            TrainConfig seeded = config;
            seeded.seed = seed;
            Classifier classifier(spec, input, 3, seeded);
            classifier.fit(input, allRows(n), targets);
            return classifier.predict(input, allRows(n));
        };
        const RowMatrixXf first = run(17);
        const RowMatrixXf second = run(17);
        const RowMatrixXf other = run(18);
        QVERIFY(sameBits(first, second));
        QVERIFY((first - other).cwiseAbs().maxCoeff() > 1e-4f);
    }

    void saveAndLoadGiveTheSamePredictions()
    {
        const int n = 32;
        const LearnInput input = randomImages(n, 8, 3, 10);
        const Targets targets = randomLabels(n, 3, 11);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("model.pt").toStdString();
        TrainConfig config = quickConfig(2, 8);
        config.checkpointPath = dir.filePath("checkpoint.pt").toStdString();

        Classifier trained(smallCnn(4), input, 3, config);
        trained.fit(input, allRows(n), targets);
        trained.save(path);
        const RowMatrixXf expected = trained.predict(input, allRows(n));

        TrainConfig otherSeed = config;
        otherSeed.seed = 99;
        Classifier loaded(smallCnn(4), input, 3, otherSeed);
        QVERIFY(!sameBits(loaded.predict(input, allRows(n)), expected));
        loaded.load(path);
        QVERIFY(sameBits(loaded.predict(input, allRows(n)), expected));
        Classifier fromCheckpoint(smallCnn(4), input, 3, otherSeed);
        fromCheckpoint.load(config.checkpointPath);
        QVERIFY(sameBits(fromCheckpoint.predict(input, allRows(n)), expected));

        Classifier wider(smallCnn(8), input, 3, otherSeed);
        QVERIFY(inputErrorOf([&] { wider.load(path); }).contains(QString::fromStdString(path)));
        Classifier perceptron(mlp({8}), input, 3, otherSeed);
        QVERIFY(inputErrorOf([&] { perceptron.load(path); }).contains(QString::fromStdString(path)));
        const std::string garbage = dir.filePath("garbage.pt").toStdString();
        QFile file(QString::fromStdString(garbage));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a model");
        file.close();
        QVERIFY(inputErrorOf([&] { loaded.load(garbage); }).contains(QString::fromStdString(garbage)));
        const std::string missing = dir.filePath("missing.pt").toStdString();
        QVERIFY(inputErrorOf([&] { loaded.load(missing); }).contains(QString::fromStdString(missing)));
        QVERIFY(sameBits(loaded.predict(input, allRows(n)), expected));
    }

    void earlyStoppingKeepsTheBestEpoch()
    {
        // Random labels: the validation loss only rises once the network memorises.
        const int n = 96;
        const LearnInput input = randomFeatures(n, 16, 12);
        const Targets targets = randomLabels(n, 3, 13);
        TrainConfig config = quickConfig(40, 16);
        config.schedule = ScheduleKind::Constant;
        config.learningRate = 2e-3;
        config.validationFraction = 0.25;
        config.patience = 3;
        Classifier classifier(mlp({64}), input, 3, config);
        const TrainResult result = classifier.fit(input, allRows(n), targets);

        QVERIFY(result.stoppedEarly);
        QCOMPARE(static_cast<int>(result.history.size()), result.bestEpoch + config.patience);
        double best = std::numeric_limits<double>::infinity();
        int bestEpoch = 0;
        for (const EpochRecord& record : result.history) {
            QVERIFY(std::isfinite(record.validationLoss));
            QVERIFY(record.validationAccuracy >= 0 && record.validationAccuracy <= 1);
            if (record.validationLoss < best) {
                best = record.validationLoss;
                bestEpoch = record.epoch;
            }
        }
        QCOMPARE(result.bestEpoch, bestEpoch);
        // About a quarter of the 96 rows held out (rounded per class): each epoch trains on the rest.
        const auto epochs = static_cast<std::int64_t>(result.history.size());
        QCOMPARE(result.trainSamples % epochs, static_cast<std::int64_t>(0));
        QVERIFY(result.trainSamples / epochs >= 70 && result.trainSamples / epochs <= 74);

        // The same run stopped by hand at the best epoch holds the same weights: early stopping
        // restored them.
        TrainConfig upToBest = config;
        upToBest.epochs = result.bestEpoch;
        upToBest.patience = 0;
        Classifier reference(mlp({64}), input, 3, upToBest);
        const TrainResult referenceResult = reference.fit(input, allRows(n), targets);
        QCOMPARE(referenceResult.history.back().validationLoss, result.history[static_cast<std::size_t>(bestEpoch - 1)].validationLoss);
        QVERIFY(sameBits(reference.predict(input, allRows(n)), classifier.predict(input, allRows(n))));
    }

    void excludedRowsAreNotTrainedOn()
    {
        const int n = 30;
        const LearnInput input = randomFeatures(n, 4, 14);
        Targets hard = randomLabels(n, 2, 15);
        Targets soft;
        soft.soft = RowMatrixXf::Constant(n, 2, 0.5f);
        for (int i = 0; i < 10; ++i) {
            hard.labels[static_cast<std::size_t>(i)] = -1;
            soft.soft.row(i).setZero();
        }
        const TrainConfig config = quickConfig(2, 8);
        Classifier classifier(mlp({4}), input, 2, config);
        QCOMPARE(classifier.fit(input, allRows(n), hard).trainSamples, static_cast<std::int64_t>(20 * 2));
        QCOMPARE(classifier.fit(input, allRows(n), soft).trainSamples, static_cast<std::int64_t>(20 * 2));
        const std::vector<int> firstTen(allRows(10));
        QVERIFY(inputErrorOf([&] { classifier.fit(input, firstTen, hard); }).contains("label"));
        QCOMPARE(classifier.predict(input, firstTen).rows(), static_cast<Eigen::Index>(10));
    }

    void learningRateSchedule()
    {
        TrainConfig config;
        config.epochs = 10;
        config.learningRate = 0.4;
        config.warmupEpochs = 2;
        const int perEpoch = 5;
        QCOMPARE(scheduledLearningRate(config, 0, perEpoch), 0.04);
        QCOMPARE(scheduledLearningRate(config, 4, perEpoch), 0.2);
        QCOMPARE(scheduledLearningRate(config, 9, perEpoch), 0.4);
        QCOMPARE(scheduledLearningRate(config, 10, perEpoch), 0.4);
        QVERIFY(std::abs(scheduledLearningRate(config, 30, perEpoch) - 0.2) < 1e-12);  // halfway through the cosine
        QVERIFY(scheduledLearningRate(config, 49, perEpoch) < 0.001);
        QVERIFY(scheduledLearningRate(config, 49, perEpoch) > 0);

        config.schedule = ScheduleKind::Step;
        config.stepEpochs = 4;
        config.stepGamma = 0.5;
        QCOMPARE(scheduledLearningRate(config, 19, perEpoch), 0.4);
        QCOMPARE(scheduledLearningRate(config, 20, perEpoch), 0.2);
        QCOMPARE(scheduledLearningRate(config, 49, perEpoch), 0.1);

        config.schedule = ScheduleKind::Constant;
        config.warmupEpochs = 0;
        QCOMPARE(scheduledLearningRate(config, 0, perEpoch), 0.4);
        QCOMPARE(scheduledLearningRate(config, 49, perEpoch), 0.4);

        // The epoch records carry the rate of their last batch.
        const int n = 20;
        const LearnInput input = randomFeatures(n, 3, 16);
        TrainConfig run = quickConfig(4, 5);
        run.learningRate = 0.1;
        run.warmupEpochs = 1;
        Classifier classifier(mlp({}), input, 2, run);
        const TrainResult result = classifier.fit(input, allRows(n), randomLabels(n, 2, 17));
        for (const EpochRecord& record : result.history)
            QCOMPARE(record.learningRate, scheduledLearningRate(run, record.epoch * 4 - 1, 4));
    }

    void modelFacts()
    {
        const LearnInput features = randomFeatures(10, 7, 18);
        TrainConfig config = quickConfig(1, 4);
        Classifier classifier(mlp({5}), features, 3, config);
        QCOMPARE(classifier.device(), std::string("cpu"));
        QCOMPARE(classifier.classCount(), 3);
        QCOMPARE(classifier.parameterCount(), static_cast<std::int64_t>(7 * 5 + 5 + 5 * 3 + 3));
        const RowMatrixXf p = classifier.predict(features, {3, 1, 3});
        QCOMPARE(p.rows(), static_cast<Eigen::Index>(3));
        for (Eigen::Index i = 0; i < p.rows(); ++i)
            QVERIFY(std::abs(p.row(i).sum() - 1.0f) < 1e-5f);
        QVERIFY(sameBits(p.row(0), p.row(2)));
        QCOMPARE(classifier.predict(features, {}).rows(), static_cast<Eigen::Index>(0));

        QCOMPARE(resolveDevice("cpu"), std::string("cpu"));
        QCOMPARE(resolveDevice("auto"), std::string(cudaAvailable() ? "cuda" : "cpu"));
        if (!cudaAvailable())
            QVERIFY(inputErrorOf([] { resolveDevice("cuda"); }).contains("CUDA"));
        QVERIFY(inputErrorOf([] { resolveDevice("tpu"); }).contains("tpu"));
        const std::vector<std::string> names = modelNames();
        QVERIFY(std::find(names.begin(), names.end(), "resnet18") != names.end());
    }

    void badInputIsRejected()
    {
        const LearnInput images = randomImages(12, 8, 1, 19);
        const LearnInput features = randomFeatures(12, 5, 20);
        const Targets targets = randomLabels(12, 3, 21);
        const TrainConfig config = quickConfig(1, 4);
        ModelSpec unknown;
        unknown.name = "transformer";
        QVERIFY(inputErrorOf([&] { Classifier(unknown, features, 3, config); }).contains("transformer"));
        QVERIFY(inputErrorOf([&] { Classifier(smallCnn(4), features, 3, config); }).contains("small-cnn"));
        ModelSpec resnet;
        resnet.name = "resnet18";
        QVERIFY(inputErrorOf([&] { Classifier(resnet, features, 3, config); }).contains("resnet18"));
        ModelSpec script;
        script.name = "torchscript";
        QVERIFY(inputErrorOf([&] { Classifier(script, images, 3, config); }).contains("backbone"));
        QVERIFY(inputErrorOf([&] { Classifier(smallCnn(4), randomImages(4, 6, 1, 1), 3, config); }).contains("8 x 8"));
        QVERIFY(inputErrorOf([&] { Classifier(mlp({4}), features, 1, config); }).contains("2 classes"));
        TrainConfig noEpochs = config;
        noEpochs.epochs = 0;
        QVERIFY(inputErrorOf([&] { Classifier(mlp({4}), features, 3, noEpochs); }).contains("epochs"));
        TrainConfig badDevice = config;
        badDevice.device = "gpu0";
        QVERIFY(inputErrorOf([&] { Classifier(mlp({4}), features, 3, badDevice); }).contains("gpu0"));

        Classifier classifier(mlp({4}), features, 3, config);
        QVERIFY(inputErrorOf([&] { classifier.fit(images, allRows(12), targets); }).contains("5 features"));
        QVERIFY(inputErrorOf([&] { classifier.fit(randomFeatures(12, 6, 1), allRows(12), targets); }).contains("6 features"));
        QVERIFY(inputErrorOf([&] { classifier.fit(features, {0, 12}, targets); }).contains("12"));
        QVERIFY(inputErrorOf([&] { classifier.predict(features, {-1}); }).contains("-1"));
        Targets tooFew = targets;
        tooFew.labels.pop_back();
        QVERIFY(inputErrorOf([&] { classifier.fit(features, allRows(12), tooFew); }).contains("11 targets"));
        Targets outOfRange = targets;
        outOfRange.labels[4] = 3;
        QVERIFY(inputErrorOf([&] { classifier.fit(features, allRows(12), outOfRange); }).contains("row 4"));
        Targets wrongWidth;
        wrongWidth.soft = RowMatrixXf::Constant(12, 4, 0.25f);
        QVERIFY(inputErrorOf([&] { classifier.fit(features, allRows(12), wrongWidth); }).contains("4 columns"));
        Targets negative;
        negative.soft = RowMatrixXf::Constant(12, 3, 0.5f);
        negative.soft(7, 1) = -0.5f;
        QVERIFY(inputErrorOf([&] { classifier.fit(features, allRows(12), negative); }).contains("row 7"));
    }

    void learnInputFromNpyReadsImagesAndFeatures()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string gray = dir.filePath("gray.npy").toStdString();
        std::vector<std::uint8_t> pixels(2 * 3 * 4);
        std::iota(pixels.begin(), pixels.end(), 0);
        writeNpy(gray, pixels.data(), {2, 3, 4});
        LearnInput input = learnInputFromNpy(gray);
        QVERIFY(input.hasImages());
        QCOMPARE(input.count(), 2);
        QCOMPARE(input.height, 3);
        QCOMPARE(input.width, 4);
        QCOMPARE(input.channels, 1);
        QVERIFY(input.images == pixels);

        const std::string color = dir.filePath("color.npy").toStdString();
        std::vector<std::uint8_t> rgb(5 * 2 * 2 * 3, 7);
        writeNpy(color, rgb.data(), {5, 2, 2, 3});
        input = learnInputFromNpy(color);
        QCOMPARE(input.count(), 5);
        QCOMPARE(input.channels, 3);

        const std::string doubles = dir.filePath("features64.npy").toStdString();
        const std::vector<double> values{1.5, -2, 3, 4.25, 5, 6};
        writeNpy(doubles, values.data(), {3, 2});
        input = learnInputFromNpy(doubles);
        QVERIFY(!input.hasImages());
        QCOMPARE(input.count(), 3);
        QCOMPARE(input.featureSize(), 2);
        QCOMPARE(input.features(1, 1), 4.25f);
        QCOMPARE(input.features(2, 0), 5.0f);
        const std::string floats = dir.filePath("features32.npy").toStdString();
        const std::vector<float> single{1, 2, 3, 4};
        writeNpy(floats, single.data(), {1, 4});
        QCOMPARE(learnInputFromNpy(floats).featureSize(), 4);
    }

    void learnInputFromNpyRejectsOtherArrays_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("int32 matrix") << "int32" << "<i4";
        QTest::newRow("uint8 matrix") << "uint8-rank2" << "rank 2";
        QTest::newRow("two channels") << "uint8-2ch" << "2";
        QTest::newRow("float rank 3") << "float-rank3" << "rank 3";
        QTest::newRow("empty images") << "uint8-empty" << "empty";
        QTest::newRow("not a npy file") << "text" << "";
        QTest::newRow("missing file") << "missing" << "";
    }

    void learnInputFromNpyRejectsOtherArrays()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath(kind + ".npy").toStdString();
        const std::vector<std::int32_t> ints(6, 1);
        const std::vector<std::uint8_t> bytes(24, 1);
        const std::vector<float> floats(8, 1);
        if (kind == "int32")
            writeNpy(path, ints.data(), {2, 3});
        else if (kind == "uint8-rank2")
            writeNpy(path, bytes.data(), {4, 6});
        else if (kind == "uint8-2ch")
            writeNpy(path, bytes.data(), {3, 2, 2, 2});
        else if (kind == "float-rank3")
            writeNpy(path, floats.data(), {2, 2, 2});
        else if (kind == "uint8-empty")
            writeNpy(path, bytes.data(), {0, 4, 4});
        else if (kind == "text") {
            QFile file(QString::fromStdString(path));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("task,label\n1,2\n");
        }
        const QString message = inputErrorOf([&] { learnInputFromNpy(path); });
        QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
