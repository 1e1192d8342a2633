// Learning from crowds in the GUI: the Learning tab's "Learn from crowds" job (CrowdLayer /
// CoNAL stored as a train run) and the Annotators tab's learned confusions and CoNAL's common
// confusion with its click-through.

#include "annotatorspage.h"
#include "confusionheatmap.h"
#include "jobmanager.h"
#include "learnpage.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "trainingchart.h"
#include "ui_test_helpers.h"

#include "aggregate/registry.h"
#include "cluster_dataset.h"
#include "learn/trainer.h"
#include "learn_project/crowd_runs.h"
#include "learn_project/learn_runs.h"
#include "project/aggregation_runs.h"
#include "project/machine_annotators.h"
#include "project/store.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 120000;
constexpr int kItems = 150;
constexpr int kClasses = 3;
constexpr int kFeatures = 6;
constexpr int kAnnotators = 5;

// 150 items in three separated Gaussian clusters (class = item % 3), each labelled by three of
// five annotators; annotator 0 says "green" for every red item, the others are right 75% of the
// time. Seeded: the same dataset on every run.
Dataset crowdDataset()
{
    testing::ClusterSpec spec;
    spec.name = "crowd";
    spec.classNames = {"red", "green", "blue"};
    for (int w = 0; w < kAnnotators; ++w)
        spec.annotatorIds.push_back("w" + std::to_string(w));
    spec.items = kItems;
    spec.features = kFeatures;
    spec.seed = 20261203;
    return testing::clusterDataset(spec, [](int i, int label, std::mt19937_64& random, std::vector<Answer>& answers) {
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (int a = 0; a < 3; ++a) {
            const int annotator = (i + a) % kAnnotators;
            int given = label;
            if (annotator == 0 && label == 0)
                given = 1;
            else if (annotator != 0 && uniform(random) > 0.75)
                given = (label + 1 + static_cast<int>(uniform(random) * 2.0)) % kClasses;
            answers.push_back({i, annotator, given, false});
        }
    });
}

std::vector<float> floats(const Project& project, std::int64_t run, const std::string& name, std::vector<std::size_t>& shape)
{
    const NpyArray array = project.runOutput(run, name);
    shape = array.shape;
    return array.as<float>();
}

void open(MainWindow& window, const QString& path)
{
    testing::openAndWait(window, path, kTimeoutMs);
}

}  // namespace

class TestLearnCrowds : public QObject {
    Q_OBJECT

private:
    // A project of crowdDataset() with a majority-vote run (active); with `crowdRuns` also a
    // crowdlayer[mw] run and then a CoNAL run, made with the core API (mlp, 2 folds, 30 epochs).
    QString createProject(const QString& name, bool crowdRuns);

    QTemporaryDir dir_;
    std::int64_t crowdLayerRun_ = 0;
    std::int64_t conalRun_ = 0;

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }
    void learnFromCrowdsJobStoresRun();
    void badScaleStartsNothing();
    void runWithOwnCrowdRateTakesItsVariant();
    void noCrowdRunDisablesTheSwitch();
    void learnedConfusionsAndCommonConfusion();
    void machineAnnotatorJoinedAfterTheRun();
};

QString TestLearnCrowds::createProject(const QString& name, bool crowdRuns)
{
    const QString path = dir_.path() + "/" + name + ".csift";
    const Dataset dataset = crowdDataset();
    Project project = Project::create(path.toStdString(), dataset, Progress::none());
    const AggregationResult result = aggregate("mv", dataset, nlohmann::json::object());
    const std::int64_t mv = storeAggregationRun(project, dataset, result, {{"strategy", "mv"}},
                                                aggregationSummary(dataset, result, 0.0));
    project.setActiveRun(mv);
    if (crowdRuns) {
        ModelSpec spec;
        spec.name = "mlp";
        spec.hidden = {16};
        TrainConfig config = defaultTrainConfig("mlp", false);
        config.epochs = 30;
        config.batchSize = 32;
        config.learningRate = 0.01;
        const LearnInputOptions options;
        const LearnInput input = loadLearnInput(project, dataset, options);
        const CrowdVotes votes = crowdVotes(dataset);
        for (const char* strategy : {"crowdlayer[mw]", "conal"}) {
            const CrowdConfig crowd = parseCrowdStrategy(strategy);
            const nlohmann::json params = crowdParams(spec, config, crowd, options, 2, votes);
            const std::int64_t run = runLearnFromCrowds(project, dataset, params, input, spec, config, crowd, 2);
            (crowd.kind == CrowdLayerKind::Conal ? conalRun_ : crowdLayerRun_) = run;
        }
    }
    return path;
}

void TestLearnCrowds::learnFromCrowdsJobStoresRun()
{
    MainWindow window;
    const QString path = createProject(QStringLiteral("job"), false);
    open(window, path);
    LearnPage* page = window.learnPage();
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
    page->epochsBox()->setValue(3);
    page->foldsBox()->setValue(2);
    page->batchSizeBox()->setValue(32);
    page->deviceBox()->setCurrentIndex(page->deviceBox()->findData(QStringLiteral("cpu")));

    // The scale is CoNAL's only.
    page->crowdStrategyBox()->setCurrentIndex(page->crowdStrategyBox()->findData(QStringLiteral("crowdlayer[vw]")));
    QVERIFY(!page->crowdScaleEdit()->isEnabled());
    page->crowdStrategyBox()->setCurrentIndex(page->crowdStrategyBox()->findData(QStringLiteral("conal")));
    QVERIFY(page->crowdScaleEdit()->isEnabled());
    page->crowdScaleEdit()->setText(QStringLiteral("0.001"));
    QCOMPARE(page->crowdStrategyText(), std::string("conal[scale=0.001]"));

    QVERIFY(page->crowdButton()->isEnabled());
    page->crowdButton()->click();
    const int job = page->currentJob();
    QVERIFY(job != 0);
    QVERIFY(!page->crowdButton()->isEnabled());  // one job of the page at a time
    QVERIFY(page->cancelButton()->isEnabled());
    QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    QTRY_VERIFY_WITH_TIMEOUT(page->currentJob() == 0, kTimeoutMs);

    const Project project = Project::open(path.toStdString());
    std::vector<RunInfo> crowd;
    for (const RunInfo& run : project.runs())
        if (run.kind == "train")
            crowd.push_back(run);
    QCOMPARE(crowd.size(), std::size_t(1));
    const RunInfo& run = crowd.front();
    QCOMPARE(run.status, std::string("done"));
    QCOMPARE(run.name, std::string("conal[scale=0.001] mlp"));
    QCOMPARE(run.params["strategy"].get<std::string>(), std::string("conal[scale=0.001]"));
    QCOMPARE(run.params["folds"].get<int>(), 2);
    QCOMPARE(run.params["epochs"].get<int>(), 3);
    for (const char* output : {"probabilities", "fold", "history", "annotator_confusions", "common_confusion", "gate"})
        QVERIFY2(std::find(run.outputs.begin(), run.outputs.end(), output) != run.outputs.end(), output);
    std::vector<std::size_t> shape;
    const std::vector<float> confusions = floats(project, run.id, "annotator_confusions", shape);
    QCOMPARE(shape, (std::vector<std::size_t>{kAnnotators, kClasses, kClasses}));
    // Each row of an annotator with votes is a distribution.
    for (int r = 0; r < kAnnotators * kClasses; ++r) {
        double sum = 0.0;
        for (int c = 0; c < kClasses; ++c)
            sum += confusions[static_cast<std::size_t>(r * kClasses + c)];
        QVERIFY2(std::abs(sum - 1.0) < 1e-4, qPrintable(QString::number(sum)));
    }

    // The page shows the stored run: its curves, one per fold, 3 epochs each.
    QCOMPARE(page->shownRun(), run.id);
    QCOMPARE(page->foldBox()->count() >= 2, true);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 3);
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("Learn-from-crowds run %1 stored").arg(run.id)));

    // "Use these settings" puts the strategy back into the box.
    page->crowdStrategyBox()->setCurrentIndex(page->crowdStrategyBox()->findData(QStringLiteral("crowdlayer[vb]")));
    page->crowdScaleEdit()->setText(QStringLiteral("1e-05"));
    page->epochsBox()->setValue(7);
    QVERIFY(page->useRunSettings(run.id));
    QCOMPARE(page->crowdStrategyBox()->currentData().toString(), QStringLiteral("conal"));
    QCOMPARE(page->crowdScaleEdit()->text(), QStringLiteral("0.001"));
    QCOMPARE(page->epochsBox()->value(), 3);
    QCOMPARE(page->crowdStrategyText(), std::string("conal[scale=0.001]"));

    // And the Annotators tab offers it at once.
    AnnotatorsPage* annotators = window.annotatorsPage();
    QCOMPARE(annotators->learnedRunBox()->currentData().toLongLong(), static_cast<qlonglong>(run.id));
    QCOMPARE(annotators->commonRunBox()->currentData().toLongLong(), static_cast<qlonglong>(run.id));
}

// A run whose crowd layers learned at another rate than the default (the CLI's lr=): "Use these
// settings" takes its variant into the box, whose runs learn at the default, and says so.
void TestLearnCrowds::runWithOwnCrowdRateTakesItsVariant()
{
    const QString path = createProject(QStringLiteral("rate"), false);
    std::int64_t run = 0;
    {
        Project project = Project::open(path.toStdString());
        const Dataset dataset = crowdDataset();
        ModelSpec spec;
        spec.name = "mlp";
        spec.hidden = {8};
        TrainConfig config = defaultTrainConfig("mlp", false);
        config.epochs = 2;
        config.batchSize = 32;
        const LearnInputOptions options;
        const LearnInput input = loadLearnInput(project, dataset, options);
        const CrowdConfig crowd = parseCrowdStrategy("crowdlayer[vw,lr=0.05]");
        const nlohmann::json params = crowdParams(spec, config, crowd, options, 2, crowdVotes(dataset));
        run = runLearnFromCrowds(project, dataset, params, input, spec, config, crowd, 2);
        QCOMPARE(project.run(run).name, std::string("crowdlayer[vw,lr=0.05] mlp"));
    }
    MainWindow window;
    open(window, path);
    LearnPage* page = window.learnPage();
    page->crowdStrategyBox()->setCurrentIndex(page->crowdStrategyBox()->findData(QStringLiteral("conal")));
    QVERIFY(page->useRunSettings(run));
    QCOMPARE(page->crowdStrategyBox()->currentData().toString(), QStringLiteral("crowdlayer[vw]"));
    QCOMPARE(page->crowdStrategyText(), std::string("crowdlayer[vw]"));
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("lr=0.05")));
}

void TestLearnCrowds::badScaleStartsNothing()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("bad"), false));
    LearnPage* page = window.learnPage();
    page->crowdStrategyBox()->setCurrentIndex(page->crowdStrategyBox()->findData(QStringLiteral("conal")));
    page->crowdScaleEdit()->setText(QStringLiteral("abc"));
    QCOMPARE(page->startLearnFromCrowds(), 0);
    QVERIFY2(page->statusLabel()->text().contains(QStringLiteral("CoNAL scale")), qPrintable(page->statusLabel()->text()));
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("abc")));
    QVERIFY(window.jobManager()->jobIds().empty());
}

void TestLearnCrowds::noCrowdRunDisablesTheSwitch()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("none"), false));
    AnnotatorsPage* page = window.annotatorsPage();
    const auto* modes = qobject_cast<const QStandardItemModel*>(page->heatmapModeBox()->model());
    QVERIFY(modes);
    const QStandardItem* learned = modes->item(static_cast<int>(AnnotatorsPage::HeatmapMode::Learned));
    QVERIFY(!learned->isEnabled());
    QVERIFY(learned->toolTip().contains(QStringLiteral("Learning tab")));
    QVERIFY(!page->learnedRunBox()->isEnabled());
    QVERIFY(page->learnedRunBox()->toolTip().contains(QStringLiteral("learn-from-crowds")));
    QVERIFY(page->heatmapMode() != AnnotatorsPage::HeatmapMode::Learned);
    QVERIFY(!page->commonRunBox()->isEnabled());
    QCOMPARE(page->commonHeatmap()->classCount(), 0);  // a message, no matrix
}

void TestLearnCrowds::learnedConfusionsAndCommonConfusion()
{
    MainWindow window;
    const QString path = createProject(QStringLiteral("shown"), true);
    open(window, path);
    const Project project = Project::open(path.toStdString());
    AnnotatorsPage* page = window.annotatorsPage();

    // Both runs have learned confusions, newest (CoNAL) first and chosen; only CoNAL a common one.
    QCOMPARE(page->learnedRunBox()->count(), 2);
    QCOMPARE(page->learnedRunBox()->currentData().toLongLong(), static_cast<qlonglong>(conalRun_));
    QCOMPARE(page->commonRunBox()->count(), 1);
    QCOMPARE(page->commonRunBox()->currentData().toLongLong(), static_cast<qlonglong>(conalRun_));

    // Opening the project keeps the heatmap on the aggregation run's counts.
    QCOMPARE(page->heatmapMode(), AnnotatorsPage::HeatmapMode::Counts);
    // The run box belongs to the learned mode: it is shown only there.
    QVERIFY(!page->learnedRunBox()->isVisibleTo(page));

    // The switch: the active run's model estimate of the annotator, then the learned one.
    page->selectAnnotator(0);
    QCOMPARE(page->currentAnnotator(), 0);
    page->setHeatmapMode(AnnotatorsPage::HeatmapMode::Model);
    QCOMPARE(page->confusionHeatmap()->classCount(), kClasses);
    page->setHeatmapMode(AnnotatorsPage::HeatmapMode::Learned);
    QCOMPARE(page->heatmapMode(), AnnotatorsPage::HeatmapMode::Learned);
    QVERIFY(page->learnedRunBox()->isVisibleTo(page));
    for (std::int64_t run : {conalRun_, crowdLayerRun_}) {
        page->learnedRunBox()->setCurrentIndex(page->learnedRunBox()->findData(static_cast<qlonglong>(run)));
        std::vector<std::size_t> shape;
        const std::vector<float> stored = floats(project, run, "annotator_confusions", shape);
        std::vector<double> redAsGreen;
        for (int annotator = 0; annotator < kAnnotators; ++annotator) {
            page->selectAnnotator(annotator);
            QCOMPARE(page->confusionHeatmap()->classCount(), kClasses);
            for (int t = 0; t < kClasses; ++t)
                for (int g = 0; g < kClasses; ++g)
                    QCOMPARE(page->confusionHeatmap()->value(t, g),
                             static_cast<double>(stored[static_cast<std::size_t>((annotator * kClasses + t) * kClasses + g)]));
            redAsGreen.push_back(page->confusionHeatmap()->value(0, 1));
        }
        // Annotator 0 always says "green" for red: both models learned it as the annotator most
        // likely to.
        for (int annotator = 1; annotator < kAnnotators; ++annotator)
            QVERIFY2(redAsGreen[0] > redAsGreen[static_cast<std::size_t>(annotator)],
                     qPrintable(QStringLiteral("run %1: %2 <= %3").arg(run).arg(redAsGreen[0]).arg(redAsGreen[annotator])));
    }

    // A run picked by hand stays when the runs are re-read; a new run is chosen as it appears.
    QCOMPARE(page->learnedRunBox()->currentData().toLongLong(), static_cast<qlonglong>(crowdLayerRun_));
    window.document()->notifyRunsChanged();
    QCOMPARE(page->learnedRunBox()->currentData().toLongLong(), static_cast<qlonglong>(crowdLayerRun_));
    {
        Project writer = Project::open(path.toStdString());
        const Dataset dataset = crowdDataset();
        ModelSpec spec;
        spec.name = "mlp";
        TrainConfig config = defaultTrainConfig("mlp", false);
        config.epochs = 1;
        const CrowdConfig crowd = parseCrowdStrategy("crowdlayer[vb]");
        const LearnInput input = loadLearnInput(writer, dataset, LearnInputOptions());
        const nlohmann::json params = crowdParams(spec, config, crowd, LearnInputOptions(), 1, crowdVotes(dataset));
        const std::int64_t newer = runLearnFromCrowds(writer, dataset, params, input, spec, config, crowd, 1);
        window.document()->notifyRunsChanged();
        QCOMPARE(page->learnedRunBox()->currentData().toLongLong(), static_cast<qlonglong>(newer));
        QCOMPARE(page->commonRunBox()->currentData().toLongLong(), static_cast<qlonglong>(conalRun_));
    }

    // The common confusion of the CoNAL run, as stored.
    std::vector<std::size_t> shape;
    const std::vector<float> common = floats(project, conalRun_, "common_confusion", shape);
    ConfusionHeatmap* heatmap = page->commonHeatmap();
    QCOMPARE(heatmap->classCount(), kClasses);
    for (int t = 0; t < kClasses; ++t)
        for (int g = 0; g < kClasses; ++g)
            QCOMPARE(heatmap->value(t, g), static_cast<double>(common[static_cast<std::size_t>(t * kClasses + g)]));

    // Click-through: the items whose consensus (majority vote, the active run) is the row and
    // whose argmax of the CoNAL run's probabilities is the column, counted here by hand.
    const std::vector<float> probabilities = floats(project, conalRun_, "probabilities", shape);
    const AggregationResult* consensus = window.document()->aggregation();
    QVERIFY(consensus);
    window.showPage(MainWindow::Page::Annotators);
    page->detailTabs()->setCurrentWidget(heatmap->parentWidget());
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy requested(page, &AnnotatorsPage::showItemsRequested);
    int listed = 0;
    for (int t = 0; t < kClasses; ++t) {
        for (int g = 0; g < kClasses; ++g) {
            QVector<int> expected;
            for (int item = 0; item < kItems; ++item) {
                const float* row = probabilities.data() + item * kClasses;
                if (consensus->labels[static_cast<std::size_t>(item)] == t
                    && std::max_element(row, row + kClasses) - row == g)
                    expected.push_back(item);
            }
            const QRect cell = heatmap->cellRect(t, g);
            QVERIFY(!cell.isEmpty());
            QTest::mouseClick(heatmap, Qt::LeftButton, Qt::NoModifier, cell.center());
            QCOMPARE(requested.count(), 1);
            const QVector<int> items = requested.takeFirst().at(0).value<QVector<int>>();
            QCOMPARE(items, expected);
            listed += static_cast<int>(items.size());
        }
    }
    // Every item with a consensus is in exactly one cell.
    QCOMPARE(listed, static_cast<int>(std::count_if(consensus->labels.begin(), consensus->labels.end(),
                                                    [](int label) { return label >= 0; })));
}

// A machine annotator added after a learn-from-crowds run (the last annotator) does not make
// the run's learned confusions unreadable: everyone else's are shown as stored, the machine's
// heatmap says the run learned none for it.
void TestLearnCrowds::machineAnnotatorJoinedAfterTheRun()
{
    const QString path = createProject(QStringLiteral("joined"), true);
    {
        Project project = Project::open(path.toStdString());
        const Dataset dataset = project.loadDataset(Progress::none());
        std::vector<Answer> answers;
        for (int i = 0; i < dataset.itemCount(); ++i)
            answers.push_back({i, 0, dataset.truth[static_cast<std::size_t>(i)], false});
        storeMachineAnnotators(project, "model", {{"model", "test"}}, MachineAnswerOptions(), {answers});
    }
    MainWindow window;
    open(window, path);
    AnnotatorsPage* page = window.annotatorsPage();
    QCOMPARE(window.document()->dataset().annotatorCount(), kAnnotators + 1);
    page->learnedRunBox()->setCurrentIndex(page->learnedRunBox()->findData(static_cast<qlonglong>(conalRun_)));
    page->setHeatmapMode(AnnotatorsPage::HeatmapMode::Learned);
    std::vector<std::size_t> shape;
    const std::vector<float> stored = floats(Project::open(path.toStdString()), conalRun_, "annotator_confusions", shape);
    QCOMPARE(shape, (std::vector<std::size_t>{kAnnotators, kClasses, kClasses}));
    page->selectAnnotator(kAnnotators - 1);
    QCOMPARE(page->confusionHeatmap()->classCount(), kClasses);
    QVERIFY(page->confusionHeatmap()->message().isEmpty());
    QCOMPARE(page->confusionHeatmap()->value(0, 0),
             static_cast<double>(stored[static_cast<std::size_t>((kAnnotators - 1) * kClasses * kClasses)]));
    page->selectAnnotator(kAnnotators);
    QVERIFY2(page->confusionHeatmap()->message().contains(QStringLiteral("joined after run %1").arg(conalRun_)),
             qPrintable(page->confusionHeatmap()->message()));
}

QTEST_MAIN(TestLearnCrowds)
#include "test_learn_crowds.moc"
