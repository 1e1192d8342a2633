#include "learn_project/data_params_runs.h"
#include "learn_project/learn_runs.h"

#include "input_error.h"
#include "learn_testdata.h"

#include "aggregate/export.h"
#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "util/error.h"
#include "util/npy.h"

#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace fs = std::filesystem;

namespace {

std::string path(const QTemporaryDir& dir, const char* name)
{
    return dir.filePath(name).toStdString();
}

TrainConfig quickTrain()
{
    TrainConfig config = smallConfig(1).train;
    config.epochs = 3;
    return config;
}

ModelSpec quickModel()
{
    return smallConfig(1).model;
}

}  // namespace

class TestLearnRuns : public QObject {
    Q_OBJECT

private:
    Dataset dataset_ = syntheticCrowd();

    Project createProject(const QTemporaryDir& dir, const Dataset& dataset)
    {
        return Project::create(path(dir, "p.csift"), dataset, Progress::none());
    }

private Q_SLOTS:
    void loopRunIsTheNewestAggregationRun()
    {
        QTemporaryDir dir;
        Project project = createProject(dir, dataset_);
        const Dataset stored = project.loadDataset(Progress::none());
        const LoopResult loop = runCrowdlabLoop(stored, learnInputFromFeatures(stored), smallConfig(2));
        const nlohmann::json params = {{"model", "mlp"}, {"folds", 3}};
        const std::int64_t earlier = storeAggregationRun(project, stored, aggregate("mv", stored), {}, {});
        const std::int64_t run = storeLoopRun(project, stored, params, loop);
        QVERIFY(run > earlier);
        QCOMPARE(latestAggregationRun(project), run);

        const RunInfo info = project.run(run);
        QCOMPARE(info.kind, std::string("aggregate"));
        QCOMPARE(info.name, std::string("crowdlab-loop"));
        QCOMPARE(info.status, std::string("done"));
        QVERIFY(info.params == params);
        for (const char* name : {"labels", "posteriors", "confusions", "consensus_quality", "annotator_agreement",
                                 "answer_quality", "model_probabilities"})
            QVERIFY2(std::find(info.outputs.begin(), info.outputs.end(), name) != info.outputs.end(), name);
        const NpyArray probabilities = project.runOutput(run, "model_probabilities");
        QCOMPARE(probabilities.type, NpyType::Float32);
        QCOMPARE(probabilities.shape, (std::vector<std::size_t>{kItems, kClasses}));
        QVERIFY(probabilities.as<float>() == std::vector<float>(loop.probabilities.data(),
                                                                 loop.probabilities.data() + loop.probabilities.size()));
        // The last iteration's out-of-fold embeddings, for maps of the model's view.
        const NpyArray embeddings = project.runOutput(run, "embeddings");
        QCOMPARE(embeddings.shape, (std::vector<std::size_t>{kItems, static_cast<std::size_t>(loop.embeddings.cols())}));
        QVERIFY(loop.embeddings.cols() > 0);
        QVERIFY(embeddings.as<float>() == std::vector<float>(loop.embeddings.data(),
                                                              loop.embeddings.data() + loop.embeddings.size()));

        const nlohmann::json& summary = info.summary;
        QCOMPARE(summary["strategy"].get<std::string>(), std::string("crowdlab-loop"));
        QCOMPARE(summary["iterations"].get<std::size_t>(), loop.iterations.size());
        QCOMPARE(summary["loop"].size(), loop.iterations.size());
        QCOMPARE(summary["loop"][0]["changed"].get<int>(), loop.iterations[0].changed);
        QCOMPARE(summary["converged"].get<bool>(), loop.converged);
        QCOMPARE(summary["majority_vote_accuracy"].get<double>(), loop.majorityVoteAccuracy);
        QCOMPARE(summary["ds_accuracy"].get<double>(), loop.dawidSkeneAccuracy);
        QCOMPARE(summary["accuracy"].get<double>(), loop.iterations.back().consensusAccuracy);
        QCOMPARE(summary["model"].get<std::string>(), std::string("mlp"));

        const AggregationResult back = loadAggregationRun(project, stored, run);
        QCOMPARE(back.strategy, std::string("crowdlab-loop"));
        QCOMPARE(back.labels, loop.consensus.consensusLabel);
        QCOMPARE(back.iterations, static_cast<int>(loop.iterations.size()));
        QCOMPARE(back.converged, loop.converged);
        QVERIFY(back.posteriors.isApprox(loop.consensus.posteriors));
        // The model's probabilities come back with the run, for the Review tab's label quality.
        QVERIFY(back.modelProbabilities == loop.probabilities.cast<double>());
        QVERIFY(loadAggregationRun(project, stored, earlier).modelProbabilities.size() == 0);
    }

    void crossValidatedTrainRunStoresItsOutputs()
    {
        QTemporaryDir dir;
        Project project = createProject(dir, dataset_);
        const Targets targets = targetsFromRun(project, dataset_, storeAggregationRun(project, dataset_,
                                                                                       aggregate("mv", dataset_), {}, {}),
                                               false);
        const TrainOutcome outcome = trainModel(learnInputFromFeatures(dataset_), targets, kClasses, quickModel(),
                                                quickTrain(), 3);
        QVERIFY(!outcome.model);
        const nlohmann::json params = {{"model", "mlp"}, {"folds", 3}, {"labels", "1"}};
        const std::int64_t run = storeTrainRun(project, params, outcome.result, nullptr);
        const RunInfo info = project.run(run);
        QCOMPARE(info.kind, std::string("train"));
        QCOMPARE(info.name, std::string("mlp"));
        QCOMPARE(info.status, std::string("done"));
        QVERIFY(info.params == params);
        QCOMPARE(project.runOutput(run, "probabilities").shape, (std::vector<std::size_t>{kItems, kClasses}));
        QCOMPARE(project.runOutput(run, "probabilities").type, NpyType::Float32);
        const NpyArray fold = project.runOutput(run, "fold");
        QCOMPARE(fold.type, NpyType::Int32);
        QCOMPARE(fold.as<int>(), outcome.result.fold);
        QCOMPARE(project.runOutput(run, "embeddings").shape,
                 (std::vector<std::size_t>{kItems, static_cast<std::size_t>(quickModel().hidden.back())}));
        const NpyArray history = project.runOutput(run, "history");
        QCOMPARE(history.shape, (std::vector<std::size_t>{9, 9}));
        const std::vector<double> rows = history.as<double>();
        QCOMPARE(rows[9 * 8 + 0], 2.0);  // last row: fold 3 (from 0), epoch 3
        QCOMPARE(rows[9 * 8 + 1], 3.0);
        QCOMPARE(rows[9 * 8 + 2], outcome.result.history[2][2].trainLoss);
        QVERIFY(!fs::exists(fs::path(project.cacheDir()) / "runs" / std::to_string(run) / "model.pt"));

        const nlohmann::json& s = info.summary;
        QCOMPARE(s["model"].get<std::string>(), std::string("mlp"));
        QCOMPARE(s["folds"].get<int>(), 3);
        QCOMPARE(s["epochs"].get<int>(), 3);
        QVERIFY(s["samples_per_s"].get<double>() > 0);
        QVERIFY(s["accuracy"].get<double>() > 0.8);
        QVERIFY(s["final_train_loss"].get<double>() > 0);
        QVERIFY(s["final_val_loss"].is_null());
    }

    void plainTrainRunKeepsItsModel()
    {
        QTemporaryDir dir;
        Dataset noTruth = dataset_;
        noTruth.truth.clear();
        Project project = createProject(dir, noTruth);
        Targets targets;
        targets.labels = aggregate("mv", noTruth).labels;
        targets.labels[0] = -1;
        const TrainOutcome outcome = trainModel(learnInputFromFeatures(noTruth), targets, kClasses, quickModel(),
                                                quickTrain(), 1);
        QVERIFY(outcome.model);
        QCOMPARE(outcome.result.fold[0], -1);
        QCOMPARE(outcome.result.fold[1], 0);
        QCOMPARE(outcome.result.history.size(), std::size_t(1));
        QCOMPARE(outcome.result.probabilities.rows(), Eigen::Index(kItems));
        const std::int64_t run = storeTrainRun(project, {{"model", "mlp"}, {"folds", 1}}, outcome.result,
                                               outcome.model.get());
        QVERIFY(fs::exists(fs::path(project.cacheDir()) / "runs" / std::to_string(run) / "model.pt"));
        QVERIFY(project.run(run).summary["accuracy"].is_null());
        QVERIFY(!inputErrorOf([&] {
                     trainModel(learnInputFromFeatures(noTruth), targets, kClasses, quickModel(), quickTrain(), 0);
                 }).isEmpty());
    }

    void dataParamsRunStoresTrajectories()
    {
        QTemporaryDir dir;
        Project project = createProject(dir, dataset_);
        Targets targets;
        targets.labels = aggregate("mv", dataset_).labels;
        targets.labels[0] = -1;
        TrainConfig config = quickTrain();
        config.dataParams.instanceLevel = true;
        config.dataParams.classLevel = true;
        config.dataParams.lrInstance = 0.2;
        const nlohmann::json params = dataParamsParams(quickModel(), config, {});
        QCOMPARE(params["lr_instance"].get<double>(), 0.2);
        QCOMPARE(params["model"].get<std::string>(), std::string("mlp"));
        const LearnInput input = learnInputFromFeatures(dataset_);
        std::vector<EpochRecord> epochs;
        const std::int64_t run = runDataParams(project, params, input, targets, quickModel(), config, Progress::none(),
                                               [&](const EpochRecord& e) { epochs.push_back(e); });
        const RunInfo info = project.run(run);
        QCOMPARE(info.kind, std::string("data-parameters"));
        QCOMPARE(info.name, std::string("mlp"));
        QCOMPARE(info.status, std::string("done"));
        QVERIFY(info.params == params);
        QCOMPARE(epochs.size(), std::size_t(3));

        const NpyArray instance = project.runOutput(run, "sigma_instance");
        QCOMPARE(instance.type, NpyType::Float32);
        QCOMPARE(instance.shape, (std::vector<std::size_t>{kItems, 3}));
        const std::vector<float> sigma = instance.as<float>();
        for (int e = 0; e < 3; ++e)
            QVERIFY(std::isnan(sigma[static_cast<std::size_t>(e)]));  // item 0 has no label
        std::vector<float> last;
        for (std::size_t i = 1; i < kItems; ++i) {
            QVERIFY(sigma[i * 3 + 2] >= 0.05f && sigma[i * 3 + 2] <= 20.0f);
            last.push_back(sigma[i * 3 + 2]);
        }
        const NpyArray classSigma = project.runOutput(run, "sigma_class");
        QCOMPARE(classSigma.type, NpyType::Float32);
        QCOMPARE(classSigma.shape, (std::vector<std::size_t>{kClasses, 3}));
        QCOMPARE(project.runOutput(run, "history").shape, (std::vector<std::size_t>{3, 9}));
        // The classes trained on, for trajectory triage: the targets, -1 for item 0.
        const NpyArray trainedOn = project.runOutput(run, "labels");
        QCOMPARE(trainedOn.type, NpyType::Int32);
        QCOMPARE(trainedOn.as<int>(), targets.labels);

        const nlohmann::json& s = info.summary;
        QCOMPARE(s["epochs"].get<int>(), 3);
        QVERIFY(s["instance"].get<bool>() && s["class"].get<bool>());
        QCOMPARE(s["per_epoch"].size(), std::size_t(3));
        const nlohmann::json& final = s["per_epoch"][2];
        QCOMPARE(final["epoch"].get<int>(), 3);
        QCOMPARE(final["train_acc"].get<double>(), epochs[2].trainAccuracy);
        QVERIFY(final["val_acc"].is_null());
        // 299 trained items: the median is the 150th smallest, the quartiles interpolate.
        std::sort(last.begin(), last.end());
        QCOMPARE(final["instance_sigma"]["median"].get<double>(), static_cast<double>(last[149]));
        QCOMPARE(final["instance_sigma"]["min"].get<float>(), last.front());
        QCOMPARE(final["instance_sigma"]["max"].get<float>(), last.back());
        const double q25 = 0.5 * (static_cast<double>(last[74]) + static_cast<double>(last[75]));
        QVERIFY(std::abs(final["instance_sigma"]["q25"].get<double>() - q25) < 1e-12);
        QVERIFY(final["class_sigma"]["median"].is_number());

        // The subset retrain's ranking: the top 10 % of the 299 trained items by last-epoch sigma.
        const std::vector<int> top = topSigmaItems(project, run, 0.1);
        QCOMPARE(top.size(), std::size_t(30));
        QVERIFY(std::find(top.begin(), top.end(), 0) == top.end());
        for (std::size_t i = 1; i < top.size(); ++i)
            QVERIFY(sigma[static_cast<std::size_t>(top[i - 1]) * 3 + 2] >= sigma[static_cast<std::size_t>(top[i]) * 3 + 2]);
        QCOMPARE(sigma[static_cast<std::size_t>(top.back()) * 3 + 2], last[299 - 30]);
        const std::int64_t aggregation = storeAggregationRun(project, dataset_, aggregate("mv", dataset_), {}, {});
        QVERIFY(inputErrorOf([&] { topSigmaItems(project, aggregation, 0.1); }).contains("data-parameters run"));
        QVERIFY(inputErrorOf([&] { topSigmaItems(project, run, 0.1, 4); }).contains("3 epoch(s)"));
    }

    void topSigmaItemsByHand()
    {
        // 5 items x 2 epochs; item 3 not trained on (NaN).
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const std::vector<float> sigma{1.0f, 0.5f, 2.0f, 3.0f, 1.5f, 3.0f, nan, nan, 0.9f, 0.2f};
        QCOMPARE(topSigmaItems(sigma, 2, 0.5), (std::vector<int>{1, 2}));     // round(0.5 x 4) = 2; 3.0 tie by index
        QCOMPARE(topSigmaItems(sigma, 2, 0.5, 1), (std::vector<int>{1, 2}));  // 2.0, 1.5
        QCOMPARE(topSigmaItems(sigma, 2, 0.3, 1), (std::vector<int>{1}));     // round(1.2) = 1
        QVERIFY(topSigmaItems(sigma, 2, 0.0).empty());
        QVERIFY(inputErrorOf([&] { topSigmaItems(sigma, 2, 1.0); }).contains("[0, 1)"));
        Targets hard;
        hard.labels = {0, 1, 2, 0, 1};
        QCOMPARE(withoutItems(hard, {1, 4}).labels, (std::vector<int>{0, -1, 2, 0, -1}));
        Targets soft;
        soft.soft = RowMatrixXf::Ones(5, 3);
        const Targets kept = withoutItems(soft, {2});
        QCOMPARE(kept.soft.row(2).sum(), 0.0f);
        QCOMPARE(kept.soft.sum(), 12.0f);
    }

    void dataParamsRunCancelledOrOffStoresNothing()
    {
        QTemporaryDir dir;
        Project project = createProject(dir, dataset_);
        Targets targets;
        targets.labels = aggregate("mv", dataset_).labels;
        TrainConfig config = quickTrain();
        const LearnInput input = learnInputFromFeatures(dataset_);
        QVERIFY(inputErrorOf([&] { runDataParams(project, {{"model", "mlp"}}, input, targets, quickModel(), config); })
                    .contains("instance level"));

        config.dataParams.instanceLevel = true;
        Progress progress;
        int batches = 0;
        progress.setCallback(
            [&](double, const std::string&) {
                if (++batches == 2)
                    progress.cancel();
            },
            0);
        QVERIFY_EXCEPTION_THROWN(runDataParams(project, {{"model", "mlp"}}, input, targets, quickModel(), config, progress),
                                 Cancelled);
        const std::vector<RunInfo> runs = project.runs();
        QCOMPARE(runs.size(), std::size_t(2));
        QCOMPARE(runs.back().status, std::string("cancelled"));
        QVERIFY(runs.back().outputs.empty());
        QCOMPARE(runs.front().status, std::string("failed"));
        QVERIFY(runs.front().outputs.empty());
    }

    void targetsFromRunHardSoftAndWrongRuns()
    {
        QTemporaryDir dir;
        Project project = createProject(dir, dataset_);
        const AggregationResult ds = aggregate("ds", dataset_);
        const std::int64_t run = storeAggregationRun(project, dataset_, ds, {}, {});
        const Targets hard = targetsFromRun(project, dataset_, run, false);
        QVERIFY(!hard.isSoft());
        QCOMPARE(hard.labels, ds.labels);
        const Targets soft = targetsFromRun(project, dataset_, run, true);
        QVERIFY(soft.isSoft());
        QVERIFY(soft.soft.isApprox(ds.posteriors.cast<float>()));

        const std::int64_t train = project.beginRun("train", {});
        project.finishRun(train, "done", {});
        const QString notAggregation = inputErrorOf([&] { targetsFromRun(project, dataset_, train, false); });
        QVERIFY2(notAggregation.contains("run " + QString::number(train)) && notAggregation.contains("aggregation"),
                 qPrintable(notAggregation));
        const QString unknown = inputErrorOf([&] { targetsFromRun(project, dataset_, 99, false); });
        QVERIFY2(unknown.contains("run 99") && unknown.contains("no such run"), qPrintable(unknown));
    }

    void targetsFromFiles()
    {
        QTemporaryDir dir;
        const AggregationResult mv = aggregate("mv", dataset_);
        writeAggregation(dataset_, mv, path(dir, "labels.csv"));
        QCOMPARE(targetsFromFile(path(dir, "labels.csv"), dataset_).labels, mv.labels);

        std::vector<std::int32_t> labels(mv.labels.begin(), mv.labels.end());
        labels[5] = -1;
        writeNpy(path(dir, "labels.npy"), labels.data(), {kItems});
        const Targets fromNpy = targetsFromFile(path(dir, "labels.npy"), dataset_);
        QCOMPARE(fromNpy.labels[5], -1);
        QCOMPARE(fromNpy.labels[6], mv.labels[6]);

        std::vector<double> counts(kItems * kClasses, 0.0);
        counts[0] = 3;
        counts[1] = 1;
        writeNpy(path(dir, "soft.npy"), counts.data(), {kItems, kClasses});
        const Targets soft = targetsFromFile(path(dir, "soft.npy"), dataset_);
        QVERIFY(soft.isSoft());
        QCOMPARE(soft.soft(0, 0), 0.75f);
        QCOMPARE(soft.soft(0, 1), 0.25f);
        QCOMPARE(soft.soft.row(1).sum(), 0.0f);
    }

    void badTargetFilesNameTheProblem_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing rows") << "short.csv" << "task,label\n0,1\n1,2\n" << "has labels for 2";
        QTest::newRow("unknown task") << "unknown.csv" << "task,label\n0,1\nnope,2\n" << "line 3";
        QTest::newRow("repeated task") << "repeat.csv" << "task,label\n0,1\n0,2\n" << "task '0' has two labels, 1 and 2";
        QTest::newRow("bad label") << "bad.csv" << "task,label\n0,7\n" << "label 7 is out of range";
        QTest::newRow("no header") << "header.csv" << "0,1\n" << "header";
        QTest::newRow("short npy") << "short.npy" << "" << "expected 300 labels";
        QTest::newRow("wrong extension") << "labels.txt" << "1\n" << "expected an aggregate CSV";
    }

    void badTargetFilesNameTheProblem()
    {
        QFETCH(QString, file);
        QFETCH(QString, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const std::string target = dir.filePath(file).toStdString();
        if (file.endsWith(".npy")) {
            const std::vector<std::int32_t> labels(10, 1);
            writeNpy(target, labels.data(), {10});
        } else {
            std::ofstream(target) << content.toStdString();
        }
        const QString message = inputErrorOf([&] { targetsFromFile(target, dataset_); });
        QVERIFY2(message.contains(file) && message.contains(expected), qPrintable(message));
    }

    void learnInputFromFeaturesOrImageCache()
    {
        QTemporaryDir dir;
        Project withFeatures = createProject(dir, dataset_);
        const LearnInput features = loadLearnInput(withFeatures, dataset_, {});
        QVERIFY(!features.hasImages());
        QCOMPARE(features.featureSize(), kDims);

        QTemporaryDir imageDir;
        Dataset images = dataset_;
        images.features.resize(0, 0);
        images.root = imageDir.path().toStdString();
        for (int i = 0; i < 3; ++i) {
            const std::string name = std::to_string(i) + ".png";
            QVERIFY(cv::imwrite(images.root + "/" + name, cv::Mat(20, 20, CV_8UC1, cv::Scalar(40 * i))));
            images.imagePaths[static_cast<std::size_t>(i)] = name;
        }
        QTemporaryDir projectDir;
        const Project project = Project::create(path(projectDir, "images.csift"), images, Progress::none());
        const LearnInput input = loadLearnInput(project, images, {});
        QVERIFY(input.hasImages());
        QCOMPARE(input.count(), kItems);
        QCOMPARE(input.height, 28);
        QCOMPARE(input.channels, 1);
        QVERIFY(fs::exists(project.cacheDir()));

        LearnInputOptions larger;
        larger.imageSize = 12;
        larger.channels = 3;
        const LearnInput resized = loadLearnInput(project, images, larger);
        QCOMPARE(resized.width, 12);
        QCOMPARE(resized.channels, 3);

        Dataset nothing = images;
        nothing.imagePaths.assign(nothing.imagePaths.size(), "");
        const QString message = inputErrorOf([&] { loadLearnInput(project, nothing, {}); });
        QVERIFY2(message.contains("neither feature vectors nor images"), qPrintable(message));

        // Asked for explicitly: scene features of the images, the images despite features, or
        // features the dataset lacks.
        LearnInputOptions scene;
        scene.kind = LearnInputKind::Scene;
        scene.scene.size = 32;
        const LearnInput gist = loadLearnInput(project, images, scene);
        QVERIFY(!gist.hasImages());
        QCOMPARE(gist.count(), kItems);
        QCOMPARE(gist.featureSize(), scene.scene.dimension());
        QVERIFY(gist.features.row(2).cwiseAbs().maxCoeff() > 0.0f);   // an item with an image
        QCOMPARE(gist.features.row(kItems - 1).cwiseAbs().maxCoeff(), 0.0f);  // one without
        Dataset both = images;
        both.features = dataset_.features;
        LearnInputOptions pixels;
        pixels.kind = LearnInputKind::Images;
        QVERIFY(loadLearnInput(project, both, pixels).hasImages());
        LearnInputOptions featureVectors;
        featureVectors.kind = LearnInputKind::Features;
        const QString noFeatures = inputErrorOf([&] { loadLearnInput(project, images, featureVectors); });
        QVERIFY2(noFeatures.contains("no feature vectors"), qPrintable(noFeatures));
        const QString noImages = inputErrorOf([&] { loadLearnInput(project, nothing, scene); });
        QVERIFY2(noImages.contains("no images"), qPrintable(noImages));
        QCOMPARE(parseLearnInputKind("gist"), LearnInputKind::Scene);
        const QString unknown = inputErrorOf([&] { parseLearnInputKind("pixels", "--input"); });
        QVERIFY2(unknown.contains("--input") && unknown.contains("auto, features, images or gist"), qPrintable(unknown));
    }

    void defaultsAreValidForEveryModel()
    {
        for (const std::string& name : modelNames()) {
            for (bool cuda : {false, true}) {
                ModelSpec spec = defaultModelSpec(name, cuda);
                if (name == "torchscript")
                    spec.backbone = "backbone.pt";
                validateModelSpec(spec, true);
                const TrainConfig config = defaultTrainConfig(name, cuda);
                QVERIFY(config.epochs >= 1 && config.batchSize >= 1 && config.learningRate > 0);
                QCOMPARE(config.device, std::string(cuda ? "cuda" : "cpu"));
            }
        }
    }

    void loopSummaryWritesNanAsNull()
    {
        LoopResult r;
        r.iterations.resize(2);
        r.iterations[0].iteration = 1;
        r.iterations[0].changed = 4;
        r.iterations[0].newlyChanged = 3;
        r.iterations[1].iteration = 2;
        const nlohmann::json j = loopSummary(r);
        QCOMPARE(j["iterations"].get<int>(), 2);
        QVERIFY(j["majority_vote_accuracy"].is_null());
        QVERIFY(j["loop"][0]["consensus_accuracy"].is_null());
        QCOMPARE(j["loop"][0]["newly_changed"].get<int>(), 3);
        QCOMPARE(j["converged"].get<bool>(), false);
    }
};

QTEST_APPLESS_MAIN(TestLearnRuns)
#include "test_learn_runs.moc"
