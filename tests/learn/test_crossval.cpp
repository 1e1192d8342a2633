#include "learn/crossval.h"
#include "util/error.h"

#include "input_error.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

using namespace crowdsift;
using crowdsift::testing::inputErrorOf;

namespace {

std::vector<int> labelsFrom(const QList<int>& list)
{
    return std::vector<int>(list.begin(), list.end());
}

// n points in `classes` well separated Gaussian blobs (4-d); labels i % classes.
LearnInput blobs(int n, int classes, std::vector<int>& labels)
{
    LearnInput input;
    input.features.resize(n, 4);
    std::mt19937 random(21);
    std::normal_distribution<float> normal(0.0f, 0.5f);
    labels.clear();
    for (int i = 0; i < n; ++i) {
        const int label = i % classes;
        labels.push_back(label);
        for (int d = 0; d < 4; ++d)
            input.features(i, d) = normal(random) + (d == label % 4 ? 3.0f : 0.0f) + (d == 3 && label >= 4 ? -3.0f : 0.0f);
    }
    return input;
}

double accuracy(const RowMatrixXf& probabilities, const std::vector<int>& labels)
{
    int correct = 0;
    int counted = 0;
    for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
        if (labels[static_cast<std::size_t>(i)] < 0)
            continue;
        Eigen::Index best = 0;
        probabilities.row(i).maxCoeff(&best);
        correct += best == labels[static_cast<std::size_t>(i)];
        ++counted;
    }
    return static_cast<double>(correct) / counted;
}

ModelSpec smallMlp()
{
    ModelSpec spec;
    spec.name = "mlp";
    spec.hidden = {32};
    return spec;
}

// n separable items of 3 classes, and their labels as hard targets.
struct BlobTask {
    std::vector<int> labels;
    LearnInput input;
    Targets targets;
};

BlobTask blobTask(int n)
{
    BlobTask task;
    task.input = blobs(n, 3, task.labels);
    task.targets.labels = task.labels;
    return task;
}

TrainConfig quickConfig(int epochs)
{
    TrainConfig config;
    config.epochs = epochs;
    config.batchSize = 16;
    config.optimizer = OptimizerKind::AdamW;
    config.learningRate = 1e-2;
    config.weightDecay = 0;
    config.warmupEpochs = 0;
    config.device = "cpu";
    // One thread: ctest runs suites side by side, and two threads' barriers then cost more than
    // they gain on tiny batches.
    config.threads = 1;
    config.seed = 3;
    return config;
}

// Cross-validates 3 folds with a token cancelled once past half way: the batches reported after
// the cancel (within one batch: 0 or 1), or -1 when there was no cancel or no Cancelled came.
int batchesAfterCancel(const LearnInput& input, const Targets& targets, const TrainConfig& config)
{
    int batches = 0;
    int batchesAtCancel = -1;
    Progress progress;
    progress.setCallback(
        [&](double fraction, const std::string&) {
            ++batches;
            if (fraction > 0.5 && batchesAtCancel < 0) {
                batchesAtCancel = batches;
                progress.cancel();
            }
        },
        0);
    try {
        crossValidate(input, targets, 3, smallMlp(), config, 3, progress);
    } catch (const Cancelled&) {
        return batchesAtCancel > 0 ? batches - batchesAtCancel : -1;
    }
    return -1;
}

}  // namespace

class TestCrossval : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void foldsAreDisjointStratifiedAndCoverEveryItem_data()
    {
        QTest::addColumn<QList<int>>("labels");
        QTest::addColumn<int>("folds");
        QTest::newRow("balanced") << QList<int>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2} << 5;
        QTest::newRow("unbalanced with unlabelled items")
            << QList<int>{0, 0, 0, 0, 0, 0, 0, -1, 1, 1, 1, -1, 2, 0, 0, 3, -1, 3, 3, 0, 1} << 3;
        QTest::newRow("two folds, one item of a class") << QList<int>{0, 1, 1, 1, 1, 2} << 2;
        QTest::newRow("as many folds as labelled items") << QList<int>{-1, 2, 0, 1, -1} << 3;
        QList<int> large;
        std::mt19937 random(4);
        for (int i = 0; i < 1000; ++i)
            large.append(static_cast<int>(random() % 11) - 1);
        QTest::newRow("1000 items, 10 classes") << large << 7;
    }

    void foldsAreDisjointStratifiedAndCoverEveryItem()
    {
        QFETCH(QList<int>, labels);
        QFETCH(int, folds);
        const std::vector<int> items = labelsFrom(labels);
        const std::vector<int> fold = stratifiedFolds(items, folds, 9);
        QCOMPARE(fold.size(), items.size());
        std::map<int, std::vector<int>> perClass;  // class -> items per fold
        std::vector<int> sizes(static_cast<std::size_t>(folds), 0);
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (items[i] < 0) {
                QCOMPARE(fold[i], -1);
                continue;
            }
            // Every labelled item sits in exactly one fold.
            QVERIFY(fold[i] >= 0 && fold[i] < folds);
            ++sizes[static_cast<std::size_t>(fold[i])];
            auto& counts = perClass[items[i]];
            counts.resize(static_cast<std::size_t>(folds), 0);
            ++counts[static_cast<std::size_t>(fold[i])];
        }
        QVERIFY(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()) <= 1);
        for (const auto& [label, counts] : perClass)
            QVERIFY2(*std::max_element(counts.begin(), counts.end()) - *std::min_element(counts.begin(), counts.end()) <= 1,
                     qPrintable(QString("class %1").arg(label)));

        QVERIFY(stratifiedFolds(items, folds, 9) == fold);
        if (items.size() >= 100)
            QVERIFY(stratifiedFolds(items, folds, 10) != fold);
    }

    void badFoldRequestsAreInputErrors()
    {
        QVERIFY(inputErrorOf([] { stratifiedFolds({0, 1, 0, 1}, 1, 0); }).contains("at least 2 folds"));
        QVERIFY(inputErrorOf([] { stratifiedFolds({0, 1, -1, -1}, 3, 0); }).contains("2 labelled items"));
        QVERIFY(inputErrorOf([] { stratifiedFolds({0, -2, 1}, 2, 0); }).contains("item 1"));
    }

    void probabilitiesAreOutOfSample()
    {
        // Random labels: a model that predicted its own training items would score near 1, an
        // out-of-sample one scores near chance.
        const int n = 90;
        LearnInput input;
        input.features.resize(n, 16);
        std::mt19937 random(5);
        std::normal_distribution<float> normal;
        for (Eigen::Index i = 0; i < input.features.size(); ++i)
            input.features.data()[i] = normal(random);
        Targets targets;
        for (int i = 0; i < n; ++i)
            targets.labels.push_back(static_cast<int>(random() % 3));
        ModelSpec spec = smallMlp();
        spec.hidden = {64};
        const TrainConfig config = quickConfig(40);

        Classifier memoriser(spec, input, 3, config);
        std::vector<int> rows(static_cast<std::size_t>(n));
        std::iota(rows.begin(), rows.end(), 0);
        memoriser.fit(input, rows, targets);
        QVERIFY(accuracy(memoriser.predict(input, rows), targets.labels) > 0.9);

        const CrossValidationResult result = crossValidate(input, targets, 3, spec, config, 3);
        QVERIFY2(accuracy(result.probabilities, targets.labels) < 0.55,
                 qPrintable(QString::number(accuracy(result.probabilities, targets.labels))));
    }

    void crossValidationPredictsEveryItem()
    {
        const int n = 60;
        auto [labels, input, targets] = blobTask(n);
        for (const int unlabelled : {4, 17, 33})
            targets.labels[static_cast<std::size_t>(unlabelled)] = -1;
        const TrainConfig config = quickConfig(8);

        std::vector<std::pair<int, int>> epochs;
        std::vector<double> fractions;
        std::string lastStage;
        Progress progress(
            [&](double fraction, const std::string& stage) {
                fractions.push_back(fraction);
                lastStage = stage;
            },
            0);
        const CrossValidationResult result = crossValidate(
            input, targets, 3, smallMlp(), config, 3, progress,
            [&](int fold, const EpochRecord& record) { epochs.emplace_back(fold, record.epoch); });

        QCOMPARE(result.probabilities.rows(), static_cast<Eigen::Index>(n));
        QCOMPARE(result.probabilities.cols(), static_cast<Eigen::Index>(3));
        QVERIFY((result.probabilities.rowwise().sum().array() - 1.0f).abs().maxCoeff() < 1e-5f);
        QVERIFY(result.fold == stratifiedFolds(targets.labels, 3, config.seed));
        QCOMPARE(result.fold[4], -1);
        // Truth of the unlabelled items too: the blobs are separable.
        QVERIFY(accuracy(result.probabilities, labels) > 0.95);
        QCOMPARE(result.history.size(), std::size_t(3));
        for (const auto& history : result.history)
            QCOMPARE(history.size(), std::size_t(8));
        QCOMPARE(epochs.size(), std::size_t(24));
        QCOMPARE(epochs.front(), std::make_pair(0, 1));
        QCOMPARE(epochs.back(), std::make_pair(2, 8));
        QVERIFY(result.trainSamplesPerSecond > 0);
        QVERIFY(result.seconds > 0);
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        QCOMPARE(fractions.back(), 1.0);
        QVERIFY2(lastStage.find("fold 3/3") != std::string::npos, lastStage.c_str());

        // Fold 0's model, rebuilt by hand (seed + 0, trained on folds 1 and 2), predicts the
        // unlabelled items exactly as the cross-validation did; fold 2's (seed + 2) its own fold.
        for (const int f : {0, 2}) {
            std::vector<int> trainRows, predictRows;
            for (int i = 0; i < n; ++i) {
                const int itemFold = result.fold[static_cast<std::size_t>(i)];
                if (itemFold >= 0 && itemFold != f)
                    trainRows.push_back(i);
                else if (f == 0 ? itemFold < 0 : itemFold == f)
                    predictRows.push_back(i);
            }
            TrainConfig foldConfig = config;
            foldConfig.seed = config.seed + static_cast<std::uint64_t>(f);
            Classifier model(smallMlp(), input, 3, foldConfig);
            model.fit(input, trainRows, targets);
            const RowMatrixXf expected = model.predict(input, predictRows);
            for (std::size_t i = 0; i < predictRows.size(); ++i)
                QVERIFY(result.probabilities.row(predictRows[i]) == expected.row(static_cast<Eigen::Index>(i)));
        }
    }

    // The out-of-fold embeddings of every fold land in fold 0's model's space: fold 0's rows are
    // its model's own penultimate layer, and class centroids taken from fold 0's rows alone
    // classify the other folds' rows (whose models started from other random weights, so that
    // their raw hidden units mean something else).
    void embeddingsShareOneSpaceAcrossFolds()
    {
        const int n = 240;
        auto [labels, input, targets] = blobTask(n);
        const TrainConfig config = quickConfig(10);
        const CrossValidationResult result = crossValidate(input, targets, 3, smallMlp(), config, 3);
        QCOMPARE(result.embeddings.rows(), static_cast<Eigen::Index>(n));
        QCOMPARE(result.embeddings.cols(), static_cast<Eigen::Index>(32));

        std::vector<int> trainRows, ownRows;
        for (int i = 0; i < n; ++i)
            (result.fold[static_cast<std::size_t>(i)] == 0 ? ownRows : trainRows).push_back(i);
        Classifier model(smallMlp(), input, 3, config);
        model.fit(input, trainRows, targets);
        RowMatrixXf own;
        model.predict(input, ownRows, Progress::none(), &own);
        for (std::size_t i = 0; i < ownRows.size(); ++i)
            QVERIFY(result.embeddings.row(ownRows[i]) == own.row(static_cast<Eigen::Index>(i)));

        Eigen::MatrixXf centroids = Eigen::MatrixXf::Zero(3, 32);
        Eigen::Vector3f counts = Eigen::Vector3f::Zero();
        for (const int i : ownRows) {
            centroids.row(labels[static_cast<std::size_t>(i)]) += result.embeddings.row(i);
            counts(labels[static_cast<std::size_t>(i)]) += 1;
        }
        for (int c = 0; c < 3; ++c)
            centroids.row(c) /= counts(c);
        int correct = 0;
        for (const int i : trainRows) {
            Eigen::Index nearest = 0;
            (centroids.rowwise() - result.embeddings.row(i)).rowwise().squaredNorm().minCoeff(&nearest);
            correct += nearest == labels[static_cast<std::size_t>(i)];
        }
        const double share = static_cast<double>(correct) / static_cast<double>(trainRows.size());
        QVERIFY2(share > 0.95, qPrintable(QString::number(share)));
    }

    void softTargetsAndSeeds()
    {
        const int n = 45;
        std::vector<int> labels;
        const LearnInput input = blobs(n, 3, labels);
        Targets soft;
        soft.soft = RowMatrixXf::Constant(n, 3, 0.1f);
        for (int i = 0; i < n; ++i)
            soft.soft(i, labels[static_cast<std::size_t>(i)]) = 0.8f;
        const TrainConfig config = quickConfig(10);
        const CrossValidationResult a = crossValidate(input, soft, 3, smallMlp(), config, 3);
        const CrossValidationResult b = crossValidate(input, soft, 3, smallMlp(), config, 3);
        QVERIFY(std::memcmp(a.probabilities.data(), b.probabilities.data(), sizeof(float) * a.probabilities.size()) == 0);
        QVERIFY(accuracy(a.probabilities, labels) > 0.9);
        TrainConfig otherSeed = config;
        otherSeed.seed = 4;
        const CrossValidationResult c = crossValidate(input, soft, 3, smallMlp(), otherSeed, 3);
        QVERIFY(c.fold != a.fold);
        QVERIFY((c.probabilities - a.probabilities).cwiseAbs().maxCoeff() > 1e-4f);
    }

    void cancelStopsWithinOneBatch()
    {
        const int n = 60;
        auto [labels, input, targets] = blobTask(n);
        const int after = batchesAfterCancel(input, targets, quickConfig(6));
        QVERIFY2(after >= 0 && after <= 1, qPrintable(QString::number(after)));
    }

    // Two workers, each fold on one torch thread: the same bits as one fold after the other, every
    // epoch reported once, progress that only grows, and a cancel that stops both workers.
    void foldsSideBySide()
    {
        const int n = 60;
        auto [labels, input, targets] = blobTask(n);
        const TrainConfig sequential = quickConfig(5);
        TrainConfig parallel = sequential;
        parallel.threads = 2;
        QCOMPARE(crossValidationWorkers(smallMlp(), sequential, 3), 1);
        QCOMPARE(crossValidationWorkers(smallMlp(), parallel, 3), 2);
        QCOMPARE(crossValidationWorkers(smallMlp(), parallel, 1), 1);

        std::vector<std::pair<int, int>> epochs;
        std::vector<double> fractions;
        Progress progress([&](double fraction, const std::string&) { fractions.push_back(fraction); }, 0);
        const CrossValidationResult a = crossValidate(input, targets, 3, smallMlp(), sequential, 3);
        const CrossValidationResult b = crossValidate(input, targets, 3, smallMlp(), parallel, 3, progress,
                                                      [&](int fold, const EpochRecord& e) { epochs.emplace_back(fold, e.epoch); });
        QVERIFY(std::memcmp(a.probabilities.data(), b.probabilities.data(), sizeof(float) * a.probabilities.size()) == 0);
        QVERIFY(a.fold == b.fold);
        QCOMPARE(b.history.size(), std::size_t(3));
        for (std::size_t f = 0; f < 3; ++f)
            QCOMPARE(b.history[f].back().trainLoss, a.history[f].back().trainLoss);
        std::sort(epochs.begin(), epochs.end());
        QCOMPARE(epochs.size(), std::size_t(15));
        QVERIFY(std::adjacent_find(epochs.begin(), epochs.end()) == epochs.end());
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        QCOMPARE(fractions.back(), 1.0);

        const int after = batchesAfterCancel(input, targets, parallel);
        QVERIFY2(after >= 0 && after <= 1, qPrintable(QString::number(after)));
    }

    void mismatchedTargetsAreInputErrors()
    {
        auto [labels, input, targets] = blobTask(12);
        targets.labels.pop_back();
        QVERIFY(inputErrorOf([&] { crossValidate(input, targets, 3, smallMlp(), quickConfig(1), 2); }).contains("11 targets"));
        targets.labels = labels;
        QVERIFY(inputErrorOf([&] { crossValidate(input, targets, 3, smallMlp(), quickConfig(1), 20); }).contains("folds"));
    }
};

QTEST_APPLESS_MAIN(TestCrossval)
#include "test_crossval.moc"
