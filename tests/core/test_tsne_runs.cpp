#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "project/store.h"
#include "project/tsne_runs.h"
#include "util/error.h"
#include "util/npy.h"

#include "synthetic_crowd.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>

using namespace crowdsift;

namespace {

TsneOptions quickOptions()
{
    TsneOptions options;
    options.iterations = 60;
    options.earlyIterations = 30;
    options.klEvery = 20;
    return options;
}

std::int64_t majorityRun(Project& project, const Dataset& dataset)
{
    const std::int64_t run = recordRun(project, "aggregate", {{"strategy", "mv"}}, "mv", [&](std::int64_t id) {
        return aggregateIntoRun(project, id, dataset, "mv", nlohmann::json::object(), Progress::none()).summary;
    });
    project.activateIfNone(run);
    return run;
}

}  // namespace

class TestTsneRuns : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void featuresMapIsStoredAndReadBack();
    void classMapKeepsTheConsensusClass();
    void embeddingsKeepFiniteRows();
    void storedGistIsRead();
    void missingInputsAreNamed();
    void cancelledMapIsStoredCancelled();
    void optionsRoundTripThroughParams();

private:
    QTemporaryDir dir_;
    Dataset dataset_;
    std::string path_;
};

void TestTsneRuns::init()
{
    QVERIFY(dir_.isValid());
    dataset_ = testing::syntheticCrowd();
    path_ = dir_.filePath(QString("p%1.csift").arg(QTest::currentTestFunction())).toStdString();
    Project::create(path_, dataset_, Progress::none());
}

void TestTsneRuns::featuresMapIsStoredAndReadBack()
{
    Project project = Project::open(path_);
    const TsneInput input = gatherTsneInput(project, dataset_, "features", 0, -1);
    QCOMPARE(input.items.size(), std::size_t(testing::kItems));
    QCOMPARE(input.dimension, std::size_t(testing::kDims));
    QCOMPARE(input.matrix[3 * testing::kDims + 2], dataset_.features(3, 2));
    TsneResult map;
    const std::int64_t run = runTsne(project, input, quickOptions(), Progress::none(), &map);
    const RunInfo info = project.run(run);
    QCOMPARE(info.status, std::string("done"));
    QVERIFY(isTsneRun(info));
    QCOMPARE(info.params["input"].get<std::string>(), std::string("features"));
    QCOMPARE(info.params["class"].get<int>(), -1);
    QCOMPARE(info.params["perplexity"].get<double>(), 30.0);
    QCOMPARE(info.summary["points"].get<int>(), testing::kItems);
    QCOMPARE(info.summary["exact"].get<bool>(), true);

    const TsneRun stored = loadTsneRun(project, run, dataset_.itemCount());
    QCOMPARE(stored.input, std::string("features"));
    QCOMPARE(stored.mappedClass, -1);
    QCOMPARE(stored.items, input.items);
    QCOMPARE(stored.coords, map.coords);
    QCOMPARE(stored.kl, map.kl);
    QCOMPARE(stored.klIteration, (std::vector<std::int32_t>{20, 40, 60}));
    QCOMPARE(tsneRuns(project, -1).size(), std::size_t(1));
    QCOMPARE(tsneRuns(project, 0).size(), std::size_t(0));
}

void TestTsneRuns::classMapKeepsTheConsensusClass()
{
    Project project = Project::open(path_);
    QVERIFY_THROWS_EXCEPTION(InputError, gatherTsneInput(project, dataset_, "features", 0, 1));  // no aggregation yet
    const std::int64_t aggregation = majorityRun(project, dataset_);
    const std::vector<int> labels = loadAggregationRun(project, dataset_, aggregation).labels;
    const TsneInput input = gatherTsneInput(project, dataset_, "features", 0, 1);
    QCOMPARE(input.classRun, aggregation);
    std::vector<std::int32_t> expected;
    for (int i = 0; i < dataset_.itemCount(); ++i)
        if (labels[static_cast<std::size_t>(i)] == 1)
            expected.push_back(i);
    QVERIFY(expected.size() > 50);
    QCOMPARE(input.items, expected);
    const std::int64_t run = runTsne(project, input, quickOptions());
    QCOMPARE(tsneRuns(project, 1).size(), std::size_t(1));
    QCOMPARE(loadTsneRun(project, run, dataset_.itemCount()).mappedClass, 1);
    QCOMPARE(project.run(run).params["class_run"].get<std::int64_t>(), aggregation);
    QVERIFY_THROWS_EXCEPTION(InputError, gatherTsneInput(project, dataset_, "features", 0, 3));
}

void TestTsneRuns::embeddingsKeepFiniteRows()
{
    Project project = Project::open(path_);
    QVERIFY_THROWS_EXCEPTION(InputError, gatherTsneInput(project, dataset_, "embeddings", 0, -1));
    std::vector<float> embeddings(static_cast<std::size_t>(testing::kItems) * 4);
    for (std::size_t v = 0; v < embeddings.size(); ++v)
        embeddings[v] = static_cast<float>(std::sin(0.1 * static_cast<double>(v)));
    embeddings[5 * 4 + 1] = NAN;  // item 5 was never predicted
    const std::int64_t train = recordRun(project, "train", nlohmann::json::object(), "mlp", [&](std::int64_t id) {
        project.addRunOutput(id, "embeddings", embeddings.data(), {std::size_t(testing::kItems), 4});
        return nlohmann::json::object();
    });
    const TsneInput input = gatherTsneInput(project, dataset_, "embeddings", 0, -1);
    QCOMPARE(input.sourceRun, train);
    QCOMPARE(input.items.size(), std::size_t(testing::kItems - 1));
    QCOMPARE(input.items[5], 6);
    QCOMPARE(input.dimension, std::size_t(4));
    const std::int64_t run = runTsne(project, input, quickOptions());
    QCOMPARE(loadTsneRun(project, run, dataset_.itemCount()).sourceRun, train);
    QCOMPARE(project.run(run).parent, train);
}

void TestTsneRuns::storedGistIsRead()
{
    Project project = Project::open(path_);
    QVERIFY(storedGistPath(project, dataset_.itemCount()).empty());
    std::filesystem::create_directories(project.cacheDir());
    std::vector<float> gist(static_cast<std::size_t>(testing::kItems) * 6, 0.5f);
    gist[7] = 2.0f;
    writeNpy(project.cacheDir() + "/gist-00000000000000aa.npy", gist.data(), {std::size_t(testing::kItems), 6});
    writeNpy(project.cacheDir() + "/gist-00000000000000bb.npy", gist.data(), {std::size_t(10), 6});  // another dataset
    QCOMPARE(storedGistPath(project, dataset_.itemCount()), project.cacheDir() + "/gist-00000000000000aa.npy");
    const TsneInput input = gatherTsneInput(project, dataset_, "gist", 0, -1);
    QCOMPARE(input.dimension, std::size_t(6));
    QCOMPARE(input.matrix[7], 2.0f);
}

void TestTsneRuns::missingInputsAreNamed()
{
    Project project = Project::open(path_);
    try {
        gatherTsneInput(project, dataset_, "trajectories", 0, -1);
        QFAIL("no data-parameters run, yet trajectories were found");
    } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("identify") != std::string::npos, e.what());
    }
    try {
        gatherTsneInput(project, dataset_, "gist", 0, -1);
        QFAIL("no GIST cache, yet gist was found");
    } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("--input gist") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(InputError, gatherTsneInput(project, dataset_, "pixels", 0, -1));
    QVERIFY_THROWS_EXCEPTION(InputError, loadTsneRun(project, 99, dataset_.itemCount()));
}

void TestTsneRuns::cancelledMapIsStoredCancelled()
{
    Project project = Project::open(path_);
    const TsneInput input = gatherTsneInput(project, dataset_, "features", 0, -1);
    Progress progress;
    progress.setCallback(
        [&](double fraction, const std::string& stage) {
            if (stage == "t-SNE: optimising the map" && fraction > 0.1)
                progress.cancel();
        },
        0);
    std::int64_t started = 0;
    QVERIFY_THROWS_EXCEPTION(Cancelled, runTsne(project, input, quickOptions(), progress, nullptr,
                                                [&](std::int64_t run) { started = run; }));
    QVERIFY(started > 0);
    const RunInfo info = project.run(started);
    QCOMPARE(info.status, std::string("cancelled"));
    QVERIFY(!isTsneRun(info));
    QVERIFY(tsneRuns(project).empty());
}

void TestTsneRuns::optionsRoundTripThroughParams()
{
    TsneOptions options;
    options.perplexity = 12.5;
    options.iterations = 321;
    options.earlyIterations = 77;
    options.method = TsneMethod::Fft;
    options.init = TsneInit::Random;
    options.seed = 99;
    const TsneOptions back = tsneOptionsFromParams(tsneParams(options));
    QCOMPARE(back.perplexity, 12.5);
    QCOMPARE(back.iterations, 321);
    QCOMPARE(back.earlyIterations, 77);
    QVERIFY(back.method == TsneMethod::Fft);
    QVERIFY(back.init == TsneInit::Random);
    QCOMPARE(back.seed, std::uint64_t(99));
}

QTEST_APPLESS_MAIN(TestTsneRuns)
#include "test_tsne_runs.moc"
