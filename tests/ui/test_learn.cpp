#include "jobmanager.h"
#include "learnpage.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "runlistmodel.h"
#include "reviewpage.h"
#include "runspage.h"
#include "trainingchart.h"
#include "ui_test_helpers.h"

#include "aggregate/registry.h"
#include "cluster_dataset.h"
#include "data/formats.h"
#include "images/demo.h"
#include "learn/trainer.h"
#include "learn_project/data_params_runs.h"
#include "learn_project/learn_runs.h"
#include "learn_project/train_settings.h"
#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "project/store.h"
#include "util/progress.h"

#include <QAreaSeries>
#include <QCheckBox>
#include <QGroupBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 120000;
constexpr int kItems = 180;
constexpr int kClasses = 3;
constexpr int kFeatures = 6;
constexpr int kAnnotators = 6;

// 180 items in three well separated Gaussian clusters (class = item % 3), each labelled by three
// of six annotators who are right 70% of the time, so that majority vote makes mistakes that a
// model of the features can correct. Seeded: the same dataset on every run.
Dataset clusterDataset(bool withTruth, bool withFeatures)
{
    testing::ClusterSpec spec;
    spec.name = "clusters";
    spec.classNames = {"red", "green", "blue"};
    for (int w = 0; w < kAnnotators; ++w)
        spec.annotatorIds.push_back("w" + std::to_string(w));
    spec.items = kItems;
    spec.features = withFeatures ? kFeatures : 0;
    spec.seed = 20261122;
    Dataset d = testing::clusterDataset(spec, [](int i, int label, std::mt19937_64& random, std::vector<Answer>& answers) {
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (int a = 0; a < 3; ++a) {
            int given = label;
            if (uniform(random) > 0.7)
                given = (label + 1 + static_cast<int>(uniform(random) * 2.0)) % kClasses;
            answers.push_back({i, (i + 2 * a) % kAnnotators, given, false});
        }
    });
    if (!withTruth)
        d.truth.clear();
    return d;
}

std::vector<RunInfo> runsOf(const Project& project, const std::string& kind, const std::string& name = {})
{
    std::vector<RunInfo> found;
    for (const RunInfo& run : project.runs())
        if (run.kind == kind && (name.empty() || run.name == name))
            found.push_back(run);
    return found;
}

// The parameters a training (or loop) job started from the page now would store: what
// LearnPage::startTraining and startLoop write.
nlohmann::json formParams(const LearnPage* page, bool loop)
{
    const LoopConfig run = page->loopConfig();
    nlohmann::json params = trainParams(run.model, run.train, page->inputOptions());
    params["folds"] = run.folds;
    params["soft"] = run.softTargets;
    if (loop) {
        params["strategy"] = "crowdlab-loop";
        params["max_iterations"] = run.maxIterations;
    } else {
        params["labels"] = std::to_string(page->labelsBox()->currentData().toLongLong());
    }
    return params;
}

QString jsonText(const nlohmann::json& value)
{
    return QString::fromStdString(value.dump());
}

// A finished train run with these parameters and no outputs, as an older or a CLI run may be.
std::int64_t storeTrainParams(Project& project, const nlohmann::json& params)
{
    const std::int64_t run = project.beginRun("train", params, "mlp");
    project.finishRun(run, "done", nlohmann::json::object());
    return run;
}

// Picks `run` in the page's run box and clicks "Use these settings".
void useSettingsOf(ProjectDocument* document, LearnPage* page, std::int64_t run)
{
    // Stored behind the document's back: it re-reads the runs as it does after a job.
    document->notifyRunsChanged();
    page->runBox()->setCurrentIndex(page->runBox()->findData(static_cast<qlonglong>(run)));
    QCOMPARE(page->shownRun(), run);
    QVERIFY(page->useRunSettingsButton()->isEnabled());
    page->useRunSettingsButton()->click();
}

}  // namespace

class TestLearn : public QObject {
    Q_OBJECT

private:
    // A project of clusterDataset() with a majority-vote and a Dawid-Skene run (the active one).
    QString createProject(const QString& name, bool withTruth = true, bool withFeatures = true);
    static void open(MainWindow& window, const QString& path);
    // Small and fast settings: mlp, 3 folds, few epochs.
    static void setSmallForm(LearnPage* page, int epochs, int iterations);
    // Clicks a start button of the Learning tab and waits for its job; 0 when none started.
    static int clickAndWait(MainWindow& window, QPushButton* button);

    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase();
    void learningTabFollowsRuns();
    void formHasDefaultsAndGuards();
    void trainStoresRunAndCurves();
    void loopIsAnnouncedAndMadeActiveByTheCurator();
    void loopStartsFromTheActiveRunAndSaysWhetherItImproved();
    void storedRunsShowAgainAfterReopen();
    void loopWithoutTruthShowsDashes();
    void cancelledLoopStoresNothing();
    void datasetWithoutInputFails();
    void loopTrainsOnImages();
    void useSettingsNeedsAStoredRun();
    void storedSettingsComeBack();
    void settingsBehindTheFormComeBack();
    void missingSettingsKeepTheForm();
    void unusableSettingKeepsItsField_data();
    void unusableSettingKeepsItsField();
    void dataParamsBoxComesFromTheSchema();
    void dataParamsStoresSigmasAndCurves();
    void cancelledDataParamsStoresNothing();
};

void TestLearn::initTestCase()
{
    QVERIFY(dir_.isValid());
}

QString TestLearn::createProject(const QString& name, bool withTruth, bool withFeatures)
{
    const QString path = dir_.path() + "/" + name + ".csift";
    const Dataset dataset = clusterDataset(withTruth, withFeatures);
    Project project = Project::create(path.toStdString(), dataset, Progress::none());
    std::int64_t run = 0;
    for (const char* strategy : {"mv", "ds"}) {
        const AggregationResult result = aggregate(strategy, dataset, nlohmann::json::object());
        run = storeAggregationRun(project, dataset, result, {{"strategy", strategy}}, aggregationSummary(dataset, result, 0.0));
    }
    // The first run became active; the curator chose Dawid-Skene.
    project.setActiveRun(run);
    return path;
}

void TestLearn::open(MainWindow& window, const QString& path)
{
    testing::openAndWait(window, path, kTimeoutMs);
}

void TestLearn::setSmallForm(LearnPage* page, int epochs, int iterations)
{
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
    page->epochsBox()->setValue(epochs);
    page->foldsBox()->setValue(3);
    page->batchSizeBox()->setValue(32);
    page->optimizerBox()->setCurrentIndex(page->optimizerBox()->findData(static_cast<int>(OptimizerKind::AdamW)));
    page->learningRateBox()->setValue(0.01);
    page->deviceBox()->setCurrentIndex(page->deviceBox()->findData(QStringLiteral("cpu")));
    page->loopIterationsBox()->setValue(iterations);
    // Majority vote: the loop tests below follow its changes item by item.
    page->loopStartBox()->setCurrentIndex(page->loopStartBox()->findData(static_cast<qlonglong>(0)));
}

int TestLearn::clickAndWait(MainWindow& window, QPushButton* button)
{
    if (!button->isEnabled())
        return 0;
    button->click();
    const int job = window.learnPage()->currentJob();
    return job != 0 && window.jobManager()->waitFor(job, kTimeoutMs) ? job : 0;
}

void TestLearn::learningTabFollowsRuns()
{
    MainWindow window;
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("pages"));
    QVERIFY(tabs);
    QVERIFY(window.learnPage());
    QCOMPARE(tabs->indexOf(window.learnPage()), tabs->indexOf(window.runsPage()) + 1);
    QCOMPARE(tabs->tabText(tabs->indexOf(window.learnPage())), QStringLiteral("Learning"));
    window.showPage(MainWindow::Page::Learning);
    QCOMPARE(tabs->currentWidget(), window.learnPage());
    // Nothing open: nothing to train.
    QVERIFY(!window.learnPage()->trainButton()->isEnabled());
    QVERIFY(!window.learnPage()->loopButton()->isEnabled());
}

void TestLearn::formHasDefaultsAndGuards()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("form")));
    LearnPage* page = window.learnPage();

    // Feature vectors and no images: the MLP, the image networks unavailable.
    QCOMPARE(page->modelBox()->currentData().toString(), QStringLiteral("mlp"));
    const auto* models = qobject_cast<QStandardItemModel*>(page->modelBox()->model());
    QVERIFY(models);
    QVERIFY(!models->item(page->modelBox()->findData(QStringLiteral("small-cnn")))->isEnabled());
    QVERIFY(!page->imageSizeBox()->isEnabled());
    const TrainConfig defaults = defaultTrainConfig("mlp", cudaAvailable());
    QCOMPARE(page->epochsBox()->value(), defaults.epochs);
    QCOMPARE(page->batchSizeBox()->value(), defaults.batchSize);
    QVERIFY(std::abs(page->learningRateBox()->value() - defaults.learningRate) < 1e-9);

    // cuda is offered only where there is one, and says why not.
    const auto* devices = qobject_cast<QStandardItemModel*>(page->deviceBox()->model());
    const QStandardItem* cuda = devices->item(page->deviceBox()->findData(QStringLiteral("cuda")));
    QCOMPARE(cuda->isEnabled(), cudaAvailable());
    if (!cudaAvailable())
        QVERIFY(cuda->toolTip().contains(QStringLiteral("CUDA")));

    // The backbone file only for torchscript, and the buttons wait for one.
    QVERIFY(!page->backboneEdit()->isEnabled());
    QVERIFY(!page->backboneButton()->isEnabled());
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("torchscript")));
    QVERIFY(page->backboneEdit()->isEnabled());
    QVERIFY(page->backboneButton()->isEnabled());
    QVERIFY(!page->loopButton()->isEnabled());
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
    QVERIFY(page->trainButton()->isEnabled());
    QVERIFY(page->loopButton()->isEnabled());

    // Labels: the finished aggregation runs, the active one (Dawid-Skene, the newest) chosen.
    QCOMPARE(page->labelsBox()->count(), 2);
    QCOMPARE(page->labelsBox()->currentData().toLongLong(), static_cast<qlonglong>(window.document()->aggregationRunId()));

    setSmallForm(page, 7, 2);
    QCOMPARE(page->trainConfig().epochs, 7);
    QCOMPARE(page->trainConfig().device, std::string("cpu"));
    QCOMPARE(page->trainConfig().optimizer, OptimizerKind::AdamW);
    QCOMPARE(page->loopConfig().folds, 3);
    QCOMPARE(page->loopConfig().maxIterations, 2);
    QCOMPARE(page->modelSpec().name, std::string("mlp"));
    QVERIFY(page->inputOptions().preferFeatures);
    QCOMPARE(page->inputOptions().kind, LearnInputKind::Auto);

    // Input: without images neither pixels nor scene features can be chosen, and say why.
    const auto* inputs = qobject_cast<QStandardItemModel*>(page->inputBox()->model());
    QVERIFY(page->inputBox()->isEnabled());
    QVERIFY(inputs->item(page->inputBox()->findData(static_cast<int>(LearnInputKind::Features)))->isEnabled());
    const QStandardItem* gist = inputs->item(page->inputBox()->findData(static_cast<int>(LearnInputKind::Scene)));
    QVERIFY(!gist->isEnabled());
    QVERIFY(gist->toolTip().contains(QStringLiteral("no images")));
    page->inputBox()->setCurrentIndex(page->inputBox()->findData(static_cast<int>(LearnInputKind::Features)));
    QCOMPARE(page->inputOptions().kind, LearnInputKind::Features);
    // The image networks learn from images whatever the box says.
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("torchscript")));
    QVERIFY(!page->inputBox()->isEnabled());
    QCOMPARE(page->inputOptions().kind, LearnInputKind::Auto);
    QVERIFY(!page->inputOptions().preferFeatures);
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
}

void TestLearn::trainStoresRunAndCurves()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("train")));
    LearnPage* page = window.learnPage();
    const std::int64_t active = window.document()->aggregationRunId();
    setSmallForm(page, 4, 2);
    page->labelsBox()->setCurrentIndex(page->labelsBox()->findData(static_cast<qlonglong>(active)));

    const int job = clickAndWait(window, page->trainButton());
    QVERIFY(job != 0);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    QCOMPARE(page->currentJob(), 0);

    Project* project = window.document()->project();
    const std::vector<RunInfo> trains = runsOf(*project, "train");
    QCOMPARE(static_cast<int>(trains.size()), 1);
    const RunInfo& run = trains.front();
    QCOMPARE(run.status, std::string("done"));
    QCOMPARE(run.params["labels"].get<std::string>(), std::to_string(active));
    QCOMPARE(run.params["folds"].get<int>(), 3);
    // Training does not change the consensus under review.
    QCOMPARE(window.document()->aggregationRunId(), active);

    // The stored run is shown: one curve point per epoch, one fold entry per fold.
    QCOMPARE(page->shownRun(), run.id);
    QCOMPARE(page->runBox()->currentData().toLongLong(), static_cast<qlonglong>(run.id));
    QCOMPARE(page->foldBox()->count(), 3);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 4);
    QCOMPARE(page->curveChart()->trainAccuracySeries()->count(), 4);
    for (int e = 0; e < 4; ++e)
        QCOMPARE(page->curveChart()->trainLossSeries()->at(e).x(), e + 1.0);
    page->foldBox()->setCurrentIndex(0);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 4);
    QVERIFY(page->statusLabel()->text().contains(QString::number(run.id)));

    // The Runs tab lists it.
    const QAbstractItemModel* runs = window.runsPage()->runTable()->model();
    bool listed = false;
    for (int row = 0; row < runs->rowCount(); ++row)
        listed = listed || runs->index(row, RunsPage::StrategyColumn).data().toString().contains(QStringLiteral("train"));
    QVERIFY(listed);
}

void TestLearn::loopIsAnnouncedAndMadeActiveByTheCurator()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("loop")));
    LearnPage* page = window.learnPage();
    setSmallForm(page, 5, 3);

    const int job = clickAndWait(window, page->loopButton());
    QVERIFY(job != 0);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);

    Project* project = window.document()->project();
    const std::vector<RunInfo> loops = runsOf(*project, "aggregate", "crowdlab-loop");
    QCOMPARE(static_cast<int>(loops.size()), 1);
    const RunInfo& run = loops.front();
    QCOMPARE(run.status, std::string("done"));
    QCOMPARE(page->shownRun(), run.id);
    // The project's active run (Dawid-Skene) stays: the finished loop is
    // announced above the pages, and the review does not move under the curator.
    const std::int64_t before = project->activeRun();
    QVERIFY(before != 0 && before != run.id);
    QCOMPARE(window.document()->aggregationRunId(), before);
    QVERIFY(window.runAnnouncement()->isVisibleTo(&window));
    const QString announced = window.runAnnouncement()->findChild<QLabel*>(QStringLiteral("runAnnouncementText"))->text();
    QVERIFY2(announced.contains(QStringLiteral("Run %1").arg(run.id)) && announced.contains(QStringLiteral("accuracy 100.00%")),
             qPrintable(announced));
    QTest::mouseClick(window.makeAnnouncedActiveButton(), Qt::LeftButton);
    QVERIFY(!window.runAnnouncement()->isVisibleTo(&window));
    QCOMPARE(window.document()->aggregationRunId(), run.id);
    QCOMPARE(project->activeRun(), run.id);

    // One table row and one chart point per iteration; truth is known, so accuracies are shown.
    // The clusters are separable, so the model is right on every item: iteration 1 turns every
    // majority-vote error into the truth, iteration 2 changes nothing and the loop converges
    // there, before the limit of 3.
    const int iterations = static_cast<int>(run.summary["loop"].size());
    QCOMPARE(iterations, 2);
    QCOMPARE(run.summary["iterations"].get<int>(), 2);
    QCOMPARE(run.summary["converged"].get<bool>(), true);
    const nlohmann::json& first = run.summary["loop"][0];
    QCOMPARE(first["consensus_accuracy"].get<double>(), 1.0);
    const int majorityErrors = qRound(kItems * (1 - run.summary["majority_vote_accuracy"].get<double>()));
    QVERIFY(majorityErrors > 0);
    QCOMPARE(first["changed"].get<int>(), majorityErrors);
    QCOMPARE(first["newly_changed"].get<int>(), majorityErrors);
    QCOMPARE(run.summary["loop"][1]["changed"].get<int>(), 0);
    QCOMPARE(page->iterationTable()->rowCount(), iterations);
    QVERIFY(page->loopChart()->consensusAccuracySeries());
    QVERIFY(page->loopChart()->modelAccuracySeries());
    QCOMPARE(page->loopChart()->consensusAccuracySeries()->count(), iterations);
    QCOMPARE(page->loopChart()->modelAccuracySeries()->count(), iterations);
    QCOMPARE(page->loopChart()->newlyChangedSeries()->count(), iterations);
    QVERIFY(page->loopChart()->majorityVoteLine());
    QVERIFY(page->loopChart()->dawidSkeneLine());
    for (int row = 0; row < iterations; ++row) {
        const double stored = run.summary["loop"][static_cast<std::size_t>(row)]["consensus_accuracy"].get<double>();
        QCOMPARE(page->iterationTable()->item(row, LearnPage::ConsensusAccuracyColumn)->text(),
                 QString::number(stored, 'f', 4));
        QCOMPARE(page->loopChart()->consensusAccuracySeries()->at(row).y(), stored);
        QCOMPARE(page->iterationTable()->item(row, LearnPage::IterationColumn)->text(), QString::number(row + 1));
    }
    const double majority = run.summary["majority_vote_accuracy"].get<double>();
    QCOMPARE(page->loopChart()->majorityVoteLine()->at(0).y(), majority);
    // The last iteration's curves are stored with it: one point per epoch, one entry per fold.
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 5);
    QCOMPARE(page->foldBox()->count(), 3);

    // Review triages the loop on the rank scale, and its label-quality key is the self-confidence
    // of the consensus label under the loop's last model (stored float32).
    QCOMPARE(window.reviewPage()->rule().scale, TriageScale::Rank);
    const std::vector<int> labels = project->runOutput(run.id, "labels").as<int>();
    const std::vector<double> model = project->runOutput(run.id, "model_probabilities").as<double>();
    const std::vector<double>& sortKey = window.reviewPage()->labelQuality();
    QCOMPARE(static_cast<int>(sortKey.size()), kItems);
    const auto classes = model.size() / static_cast<std::size_t>(kItems);
    for (int i = 0; i < kItems; ++i) {
        const auto u = static_cast<std::size_t>(i);
        QVERIFY2(labels[u] >= 0 && sortKey[u] == model[u * classes + static_cast<std::size_t>(labels[u])],
                 qPrintable(QStringLiteral("item %1").arg(i)));
    }

    // The Runs tab marks it active.
    const QAbstractItemModel* runs = window.runsPage()->runTable()->model();
    QVERIFY(runs->index(0, RunsPage::IdColumn).data().toString().contains(QStringLiteral("active")));
    QCOMPARE(runs->index(0, RunsPage::IdColumn).data().toString().split(QLatin1Char(' ')).front().toLongLong(),
             static_cast<qlonglong>(run.id));
}

// The loop's start box offers majority vote (the default) and the finished aggregation runs; a
// loop from the active run (Dawid-Skene) stores the start, scores it and its iterations on
// held-out answers, says which iteration it kept and whether the start predicted better, and
// "Use these settings" brings the start back.
void TestLearn::loopStartsFromTheActiveRunAndSaysWhetherItImproved()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("loopstart")));
    LearnPage* page = window.learnPage();
    Project* project = window.document()->project();
    const std::int64_t active = project->activeRun();
    QCOMPARE(page->loopStartBox()->count(), 3);  // majority vote, mv, ds
    QCOMPARE(page->loopStartBox()->itemData(0).toLongLong(), 0LL);
    QCOMPARE(page->loopStartBox()->currentData().toLongLong(), 0LL);

    setSmallForm(page, 5, 3);
    page->loopStartBox()->setCurrentIndex(page->loopStartBox()->findData(static_cast<qlonglong>(active)));
    const int job = clickAndWait(window, page->loopButton());
    QVERIFY(job != 0);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    const RunInfo run = runsOf(*project, "aggregate", "crowdlab-loop").front();
    QCOMPARE(run.params["start"].get<std::int64_t>(), active);
    QVERIFY(run.summary["start_held_out_score"].is_number());
    const int kept = run.summary["kept_iteration"].get<int>();
    QVERIFY(kept >= 1 && kept <= static_cast<int>(run.summary["loop"].size()));
    double best = -1e300;
    for (const nlohmann::json& it : run.summary["loop"])
        best = std::max(best, it["held_out_score"].get<double>());
    QCOMPARE(run.summary["loop"][static_cast<std::size_t>(kept - 1)]["held_out_score"].get<double>(), best);
    // The iteration table shows each score and the kept iteration in bold.
    QCOMPARE(page->iterationTable()->rowCount(), static_cast<int>(run.summary["loop"].size()));
    for (int row = 0; row < page->iterationTable()->rowCount(); ++row) {
        QCOMPARE(page->iterationTable()->item(row, LearnPage::HeldOutColumn)->text(),
                 QString::number(run.summary["loop"][static_cast<std::size_t>(row)]["held_out_score"].get<double>(), 'f', 4));
        QCOMPARE(page->iterationTable()->item(row, LearnPage::IterationColumn)->font().bold(), row + 1 == kept);
    }
    const QString status = page->statusLabel()->text();
    QVERIFY2(status.contains(QStringLiteral("kept iteration %1").arg(kept)), qPrintable(status));
    QCOMPARE(run.summary["start_scores_better"].get<bool>(), best < run.summary["start_held_out_score"].get<double>());
    if (run.summary["start_scores_better"].get<bool>())
        QVERIFY2(status.contains(QStringLiteral("run %1, predicts held-out answers better").arg(active)), qPrintable(status));
    QCOMPARE(project->activeRun(), active);

    page->loopStartBox()->setCurrentIndex(0);
    QVERIFY(page->useRunSettings(run.id));
    QCOMPARE(page->loopStartBox()->currentData().toLongLong(), static_cast<qlonglong>(active));
}

void TestLearn::storedRunsShowAgainAfterReopen()
{
    const QString path = createProject(QStringLiteral("reopen"));
    std::int64_t trainRun = 0;
    std::int64_t loopRun = 0;
    int iterations = 0;
    {
        MainWindow window;
        open(window, path);
        LearnPage* page = window.learnPage();
        setSmallForm(page, 3, 2);
        QVERIFY(clickAndWait(window, page->trainButton()) != 0);
        trainRun = page->shownRun();
        QVERIFY(clickAndWait(window, page->loopButton()) != 0);
        loopRun = page->shownRun();
        iterations = page->iterationTable()->rowCount();
        QVERIFY(trainRun != 0 && loopRun > trainRun);
        // Converged at iteration 2 (see loopIsAnnouncedAndMadeActiveByTheCurator), which is also the limit here.
        QCOMPARE(iterations, 2);
    }
    MainWindow window;
    open(window, path);
    LearnPage* page = window.learnPage();
    // The newest learning run comes back with its iteration table.
    QCOMPARE(page->shownRun(), loopRun);
    QCOMPARE(page->runBox()->count(), 2);
    QCOMPARE(page->iterationTable()->rowCount(), iterations);
    QCOMPARE(page->loopChart()->consensusAccuracySeries()->count(), iterations);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 3);

    // Selecting the train run on the Runs tab brings its curves back.
    window.runsPage()->selectRuns({trainRun});
    QCOMPARE(page->shownRun(), trainRun);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 3);
    QCOMPARE(page->iterationTable()->rowCount(), 0);
    // An aggregation run is not a learning run: the page keeps what it shows.
    const std::vector<RunInfo> ds = runsOf(*window.document()->project(), "aggregate", "ds");
    QVERIFY(!page->showRun(ds.front().id));
    QCOMPARE(page->shownRun(), trainRun);
    // And the run box goes back to the loop.
    page->runBox()->setCurrentIndex(page->runBox()->findData(static_cast<qlonglong>(loopRun)));
    QCOMPARE(page->shownRun(), loopRun);
    QCOMPARE(page->iterationTable()->rowCount(), iterations);
}

void TestLearn::loopWithoutTruthShowsDashes()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("notruth"), false));
    LearnPage* page = window.learnPage();
    setSmallForm(page, 2, 1);
    const int job = clickAndWait(window, page->loopButton());
    QVERIFY(job != 0);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    QCOMPARE(page->iterationTable()->rowCount(), 1);
    QVERIFY(!page->loopChart()->consensusAccuracySeries());
    QVERIFY(!page->loopChart()->modelAccuracySeries());
    QVERIFY(!page->loopChart()->majorityVoteLine());
    QCOMPARE(page->loopChart()->newlyChangedSeries()->count(), 1);
    QVERIFY(page->loopChart()->chart()->title().contains(QStringLiteral("no ground truth")));
    QCOMPARE(page->iterationTable()->item(0, LearnPage::ConsensusAccuracyColumn)->text(), QStringLiteral("-"));
    QCOMPARE(page->iterationTable()->item(0, LearnPage::ModelAccuracyColumn)->text(), QStringLiteral("-"));
    QVERIFY(page->iterationTable()->item(0, LearnPage::ModelWeightColumn)->text() != QStringLiteral("-"));
}

void TestLearn::cancelledLoopStoresNothing()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("cancel")));
    LearnPage* page = window.learnPage();
    const std::int64_t active = window.document()->aggregationRunId();
    setSmallForm(page, 1000, 5);
    page->batchSizeBox()->setValue(4);
    page->loopButton()->click();
    const int job = page->currentJob();
    QVERIFY(job != 0);
    QVERIFY(page->cancelButton()->isEnabled());
    QVERIFY(!page->trainButton()->isEnabled());
    QVERIFY(!page->modelBox()->isEnabled());

    // The curve grows while the job runs: epochs arrive from the training thread.
    QTRY_VERIFY_WITH_TIMEOUT(page->curveChart()->trainLossSeries()->count() >= 2, kTimeoutMs);
    QVERIFY(window.jobManager()->isRunning(job));
    // Folds train side by side on the CPU: those running have reported, none has finished.
    const int workers = crossValidationWorkers(page->modelSpec(), page->trainConfig(), page->loopConfig().folds);
    QVERIFY(page->foldBox()->count() >= 1 && page->foldBox()->count() <= workers);
    page->cancelButton()->click();
    QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Cancelled);
    QCOMPARE(page->currentJob(), 0);
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("cancelled")));
    QVERIFY(page->loopButton()->isEnabled());

    // The run was recorded when the job started and is listed as cancelled, without outputs.
    const std::vector<RunInfo> loops = runsOf(*window.document()->project(), "aggregate", "crowdlab-loop");
    QCOMPARE(static_cast<int>(loops.size()), 1);
    QCOMPARE(loops.front().status, std::string("cancelled"));
    QVERIFY(loops.front().outputs.empty());
    QCOMPARE(window.document()->runList()->find(loops.front().id)->status, std::string("cancelled"));
    QCOMPARE(window.document()->aggregationRunId(), active);
}

void TestLearn::datasetWithoutInputFails()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("noinput"), true, false));
    LearnPage* page = window.learnPage();
    setSmallForm(page, 2, 1);
    const int job = clickAndWait(window, page->loopButton());
    QVERIFY(job != 0);
    const JobInfo& info = window.jobManager()->job(job);
    QCOMPARE(info.status, JobStatus::Failed);
    QVERIFY(!info.error.isEmpty());
    QVERIFY(info.log.join('\n').contains(info.error));
    QVERIFY(page->statusLabel()->text().contains(info.error));
    // Listed as failed, with the reason.
    const std::vector<RunInfo> loops = runsOf(*window.document()->project(), "aggregate", "crowdlab-loop");
    QCOMPARE(static_cast<int>(loops.size()), 1);
    QCOMPARE(loops.front().status, std::string("failed"));
    QVERIFY(info.error.contains(QString::fromStdString(runError(loops.front()))));
    QVERIFY(page->loopButton()->isEnabled());
}

void TestLearn::loopTrainsOnImages()
{
    // The demo's Fashion-MNIST images, through the project's image cache.
    DemoOptions options;
    options.itemCount = 120;
    const DemoResult demo = buildDemo((dir_.path() + "/demo").toStdString(), options);
    ReadOptions read;
    read.truthPath = demo.folder + "/truth.csv";
    const Dataset dataset = readDataset(demo.folder, read);
    const QString path = dir_.path() + "/images.csift";
    Project::create(path.toStdString(), dataset, Progress::none());

    MainWindow window;
    open(window, path);
    LearnPage* page = window.learnPage();
    setSmallForm(page, 2, 1);
    page->foldsBox()->setValue(2);
    QVERIFY(page->imageSizeBox()->isEnabled());
    QVERIFY(!page->trainButton()->isEnabled());  // no aggregation run to learn from yet
    const int job = clickAndWait(window, page->loopButton());
    QVERIFY(job != 0);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    QCOMPARE(page->iterationTable()->rowCount(), 1);
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), 2);

    bool cached = false;
    for (const auto& entry : std::filesystem::directory_iterator(window.document()->project()->cacheDir()))
        cached = cached || entry.path().filename().string().rfind("images-", 0) == 0;
    QVERIFY(cached);
    // The loop's consensus is a run to train on now.
    QVERIFY(page->trainButton()->isEnabled());
}

void TestLearn::useSettingsNeedsAStoredRun()
{
    MainWindow window;
    QVERIFY(!window.learnPage()->useRunSettingsButton()->isEnabled());
    open(window, createProject(QStringLiteral("nosettings")));
    LearnPage* page = window.learnPage();
    QCOMPARE(page->runBox()->count(), 0);
    QVERIFY(!page->useRunSettingsButton()->isEnabled());
    QVERIFY(!page->useRunSettingsButton()->toolTip().isEmpty());
    // An aggregation run has no training settings.
    const std::vector<RunInfo> ds = runsOf(*window.document()->project(), "aggregate", "ds");
    const QString status = page->statusLabel()->text();
    QVERIFY(!page->useRunSettings(ds.front().id));
    QCOMPARE(page->statusLabel()->text(), status);
}

void TestLearn::storedSettingsComeBack()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("settings")));
    LearnPage* page = window.learnPage();
    Project* project = window.document()->project();
    const std::int64_t majority = runsOf(*project, "aggregate", "mv").front().id;

    // A train run on the majority vote, and a loop with other settings.
    setSmallForm(page, 1, 2);
    page->foldsBox()->setValue(2);
    page->labelSmoothingBox()->setValue(0.05);
    page->softTargetsBox()->setChecked(true);
    page->inputBox()->setCurrentIndex(page->inputBox()->findData(static_cast<int>(LearnInputKind::Features)));
    page->labelsBox()->setCurrentIndex(page->labelsBox()->findData(static_cast<qlonglong>(majority)));
    QVERIFY(clickAndWait(window, page->trainButton()) != 0);
    const RunInfo train = runsOf(*project, "train").front();
    QCOMPARE(train.status, std::string("done"));
    page->softTargetsBox()->setChecked(false);
    page->labelSmoothingBox()->setValue(0.1);
    page->batchSizeBox()->setValue(64);
    page->optimizerBox()->setCurrentIndex(page->optimizerBox()->findData(static_cast<int>(OptimizerKind::Sgd)));
    page->learningRateBox()->setValue(0.02);
    page->loopIterationsBox()->setValue(1);
    page->inputBox()->setCurrentIndex(page->inputBox()->findData(static_cast<int>(LearnInputKind::Auto)));
    QVERIFY(clickAndWait(window, page->loopButton()) != 0);
    const RunInfo loop = runsOf(*project, "aggregate", "crowdlab-loop").front();
    QCOMPARE(loop.status, std::string("done"));

    // Browsing a run leaves the form alone.
    setSmallForm(page, 7, 4);
    page->foldsBox()->setValue(5);
    const QString typed = jsonText(formParams(page, true));
    page->runBox()->setCurrentIndex(page->runBox()->findData(static_cast<qlonglong>(train.id)));
    QCOMPARE(page->shownRun(), train.id);
    QCOMPARE(jsonText(formParams(page, true)), typed);

    // The train run's settings, its labels run included.
    useSettingsOf(window.document(), page, train.id);
    QCOMPARE(page->labelsBox()->currentData().toLongLong(), static_cast<qlonglong>(majority));
    QCOMPARE(jsonText(formParams(page, false)), jsonText(train.params));
    QCOMPARE(page->trainConfig().epochs, 1);
    QCOMPARE(page->trainConfig().optimizer, OptimizerKind::AdamW);
    QCOMPARE(page->trainConfig().labelSmoothing, 0.05);
    QCOMPARE(page->loopConfig().folds, 2);
    QVERIFY(page->loopConfig().softTargets);
    QCOMPARE(page->inputOptions().kind, LearnInputKind::Features);
    QCOMPARE(page->statusLabel()->text(), QStringLiteral("Run %1's settings are in the form").arg(train.id));

    // The loop's, its iteration limit included; the labels box is not the loop's to change.
    useSettingsOf(window.document(), page, loop.id);
    QCOMPARE(page->labelsBox()->currentData().toLongLong(), static_cast<qlonglong>(majority));
    QCOMPARE(jsonText(formParams(page, true)), jsonText(loop.params));
    QCOMPARE(page->loopConfig().maxIterations, 1);
    QCOMPARE(page->trainConfig().optimizer, OptimizerKind::Sgd);
    QCOMPARE(page->trainConfig().batchSize, 64);
    QVERIFY(!page->loopConfig().softTargets);

    // Not while a job of the page runs, even with a stored run picked.
    setSmallForm(page, 1000, 5);
    page->batchSizeBox()->setValue(4);
    page->loopButton()->click();
    const int job = page->currentJob();
    QVERIFY(job != 0);
    QVERIFY(!page->useRunSettingsButton()->isEnabled());
    page->runBox()->setCurrentIndex(page->runBox()->findData(static_cast<qlonglong>(train.id)));
    QCOMPARE(page->shownRun(), train.id);
    QVERIFY(!page->useRunSettingsButton()->isEnabled());
    QVERIFY(!page->useRunSettings(train.id));
    page->cancelJob();
    QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
    QVERIFY(page->useRunSettingsButton()->isEnabled());
}

void TestLearn::settingsBehindTheFormComeBack()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("behind")));
    LearnPage* page = window.learnPage();
    Project* project = window.document()->project();
    setSmallForm(page, 5, 2);

    // What `crowdsift-cli train --hidden 64,32 --weight-decay 0.01 --seed 7 ...` stores.
    ModelSpec spec = defaultModelSpec("mlp", false);
    spec.hidden = {64, 32};
    spec.dropout = 0.1;
    TrainConfig config = defaultTrainConfig("mlp", false);
    config.epochs = 3;
    config.learningRate = 0.002;
    config.batchSize = 16;
    config.weightDecay = 0.01;
    config.seed = 7;
    config.schedule = ScheduleKind::Step;
    config.warmupEpochs = 2;
    config.validationFraction = 0.2;
    config.patience = 3;
    config.momentum = 0.8;
    config.labelSmoothing = 0.15;
    LearnInputOptions input;
    input.kind = LearnInputKind::Features;
    nlohmann::json params = trainParams(spec, config, input);
    params["labels"] = std::to_string(runsOf(*project, "aggregate", "mv").front().id);
    params["folds"] = 4;
    params["soft"] = true;
    const std::int64_t run = storeTrainParams(*project, params);

    useSettingsOf(window.document(), page, run);
    QCOMPARE(jsonText(formParams(page, false)), jsonText(params));
    QVERIFY(page->modelSpec().hidden == std::vector<int>({64, 32}));
    QCOMPARE(static_cast<qulonglong>(page->trainConfig().seed), 7ULL);
    // The status line says what the form does not show.
    const QString status = page->statusLabel()->text();
    QVERIFY2(status.contains(QStringLiteral("weight decay 0.01")), qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral("seed 7")), qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral("hidden widths [64,32]")), qPrintable(status));
    QVERIFY(!status.contains(QLatin1Char('\n')));

    // They stay over a change of device, and go with another model.
    page->deviceBox()->setCurrentIndex(page->deviceBox()->findData(QStringLiteral("auto")));
    QCOMPARE(page->trainConfig().weightDecay, 0.01);
    QVERIFY(page->modelSpec().hidden == std::vector<int>({64, 32}));
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("torchscript")));
    page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
    QCOMPARE(page->trainConfig().weightDecay, defaultTrainConfig("mlp", cudaAvailable()).weightDecay);
    QCOMPARE(static_cast<qulonglong>(page->trainConfig().seed), 0ULL);
    QVERIFY(page->modelSpec().hidden == defaultModelSpec("mlp", cudaAvailable()).hidden);
}

void TestLearn::missingSettingsKeepTheForm()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("older")));
    LearnPage* page = window.learnPage();
    setSmallForm(page, 5, 2);
    page->labelSmoothingBox()->setValue(0.2);
    nlohmann::json expected = formParams(page, true);
    const std::int64_t run = storeTrainParams(*window.document()->project(), {{"model", "mlp"}, {"epochs", 9}});
    useSettingsOf(window.document(), page, run);
    expected["epochs"] = 9;
    QCOMPARE(jsonText(formParams(page, true)), jsonText(expected));
    QCOMPARE(page->statusLabel()->text(), QStringLiteral("Run %1's settings are in the form").arg(run));
}

void TestLearn::unusableSettingKeepsItsField_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("stored");   // JSON
    QTest::addColumn<QString>("message");  // the status line after "Run <id>"

    QTest::newRow("unknown optimizer") << "optimizer" << R"("lion")"
                                       << "'s optimizer 'lion' is not available here; kept AdamW";
    QTest::newRow("unknown model") << "model" << R"("vit")" << "'s model 'vit' is not available here; kept mlp";
    QTest::newRow("image model without images") << "model" << R"("small-cnn")"
                                                << "'s model 'small-cnn' is not available here; kept mlp";
    QTest::newRow("unknown input") << "input" << R"("pixels")"
                                   << "'s input 'pixels' is not available here; kept Automatic";
    QTest::newRow("unknown device") << "device" << R"("tpu")" << "'s device 'tpu' is not available here; kept cpu";
    QTest::newRow("one fold (CLI)") << "folds" << "1" << "'s folds 1 is below the minimum 2; kept 3";
    QTest::newRow("epochs as text") << "epochs" << R"("ten")" << "'s epochs 'ten' is not a whole number; kept 5";
    QTest::newRow("label smoothing above") << "label_smoothing" << "0.7"
                                           << "'s label smoothing 0.7 is above the maximum 0.5; kept 0.00";
    QTest::newRow("label smoothing decimals") << "label_smoothing" << "0.125"
                                              << "'s label smoothing 0.125 needs more than 2 decimals; kept 0.00";
    QTest::newRow("image size above") << "image_size" << "1024"
                                      << "'s image size 1024 is above the maximum 512; kept auto";
    QTest::newRow("soft not a flag") << "soft" << R"("yes")" << "'s soft targets 'yes' is not true or false; kept off";
    QTest::newRow("weight decay below") << "weight_decay" << "-1"
                                        << "'s weight decay -1 is below the minimum 0; kept 0.0001";
    QTest::newRow("unknown schedule") << "schedule" << R"("onecycle")"
                                      << "'s schedule 'onecycle' is not available here; kept cosine";
    QTest::newRow("deleted labels run") << "labels" << R"("999")"
                                        << "'s labels run 999 is no longer in the project; kept Run 2 · Dawid-Skene";
    QTest::newRow("labels from a file") << "labels" << R"("votes.csv")"
                                        << " learned the labels of 'votes.csv', not of a run of this project; "
                                           "kept Run 2 · Dawid-Skene";
}

void TestLearn::unusableSettingKeepsItsField()
{
    QFETCH(QString, key);
    QFETCH(QString, stored);
    QFETCH(QString, message);
    static const QString path = createProject(QStringLiteral("unusable"));
    MainWindow window;
    open(window, path);
    LearnPage* page = window.learnPage();
    setSmallForm(page, 5, 2);
    page->labelSmoothingBox()->setValue(0.0);
    const nlohmann::json before = formParams(page, false);
    nlohmann::json params = before;
    params[key.toStdString()] = nlohmann::json::parse(stored.toStdString());
    const std::int64_t run = storeTrainParams(*window.document()->project(), params);

    useSettingsOf(window.document(), page, run);
    // The field keeps its value and every other takes the run's, which were the form's.
    QCOMPARE(jsonText(formParams(page, false)), jsonText(before));
    const QStringList lines = page->statusLabel()->text().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines[0], QStringLiteral("Run %1's settings are in the form").arg(run));
    QCOMPARE(lines[1], QStringLiteral("Run %1").arg(run) + message);
}

void TestLearn::dataParamsBoxComesFromTheSchema()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("dpform")));
    LearnPage* page = window.learnPage();
    QGroupBox* box = qobject_cast<QGroupBox*>(page->dataParamsButton()->parentWidget());
    QVERIFY(box);
    // Every Data Parameters setting the form shows has its field in the box, with the setting's
    // default and help; the one it does not show (the momentum) is kept behind it.
    int shown = 0;
    for (const SettingInfo& setting : trainSettings()) {
        if (!setting.dataParams)
            continue;
        QWidget* field = page->settingField(setting.key);
        QCOMPARE(field != nullptr, setting.usedBy(UseForm));
        if (!field)
            continue;
        ++shown;
        QVERIFY2(box->isAncestorOf(field), setting.key);
        QCOMPARE(field->toolTip(), QString::fromUtf8(setting.help));
        if (auto* real = qobject_cast<QDoubleSpinBox*>(field)) {
            QCOMPARE(real->minimum(), setting.min);
            QCOMPARE(real->maximum(), setting.max);
            QCOMPARE(real->value(), settingDefault(setting).get<double>());
        } else {
            QCOMPARE(qobject_cast<QCheckBox*>(field)->isChecked(), settingDefault(setting).get<bool>());
        }
    }
    QCOMPARE(shown, 8);
    const DataParamsConfig defaults = defaultDataParams();
    const DataParamsConfig form = page->dataParamsConfig();
    QVERIFY(form.instanceLevel && !form.classLevel);
    QCOMPARE(form.lrInstance, defaults.lrInstance);
    QCOMPARE(form.momentum, defaults.momentum);
    QVERIFY(page->dataParamsButton()->isEnabled());

    // A level's fields follow its check box; with neither level there is nothing to learn.
    auto* instance = qobject_cast<QCheckBox*>(page->settingField("instance"));
    auto* classLevel = qobject_cast<QCheckBox*>(page->settingField("class"));
    QVERIFY(page->settingField("lr_instance")->isEnabled());
    QVERIFY(!page->settingField("lr_class")->isEnabled());
    classLevel->setChecked(true);
    QVERIFY(page->settingField("lr_class")->isEnabled());
    qobject_cast<QDoubleSpinBox*>(page->settingField("lr_class"))->setValue(0.35);
    qobject_cast<QDoubleSpinBox*>(page->settingField("init_instance"))->setValue(2.0);
    QCOMPARE(page->dataParamsConfig().lrClass, 0.35);
    QCOMPARE(page->dataParamsConfig().initInstance, 2.0);
    QVERIFY(page->dataParamsConfig().classLevel);
    instance->setChecked(false);
    classLevel->setChecked(false);
    QVERIFY(!page->dataParamsButton()->isEnabled());
    QVERIFY(page->dataParamsButton()->toolTip().contains(QStringLiteral("Choose")));
    QCOMPARE(page->startDataParams(), 0);
    classLevel->setChecked(true);
    QVERIFY(page->dataParamsButton()->isEnabled());
    // Training and the loop never learn sigmas, whatever the box says.
    QVERIFY(!page->trainConfig().dataParams.enabled());
    QVERIFY(!page->loopConfig().train.dataParams.enabled());
}

void TestLearn::dataParamsStoresSigmasAndCurves()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("dataparams")));
    LearnPage* page = window.learnPage();
    Project* project = window.document()->project();
    const std::int64_t active = window.document()->aggregationRunId();
    const std::int64_t majority = runsOf(*project, "aggregate", "mv").front().id;
    constexpr int kEpochs = 4;
    setSmallForm(page, kEpochs, 2);
    page->labelsBox()->setCurrentIndex(page->labelsBox()->findData(static_cast<qlonglong>(majority)));
    qobject_cast<QCheckBox*>(page->settingField("class"))->setChecked(true);
    qobject_cast<QDoubleSpinBox*>(page->settingField("lr_class"))->setValue(0.2);
    QVERIFY(!page->showsDataParams());

    // The epochs arrive live: count them as the charts draw them.
    int liveEpochs = 0;
    page->dataParamsButton()->click();
    const int job = page->currentJob();
    QVERIFY(job != 0);
    QVERIFY(page->showsDataParams());
    QVERIFY(!page->dataParamsButton()->isEnabled());
    QVERIFY(!page->settingField("lr_instance")->isEnabled());
    QMetaObject::Connection counting = connect(page->instanceSigmaChart()->medianSeries(), &QLineSeries::pointAdded,
                                               page, [&liveEpochs] { ++liveEpochs; });
    QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
    disconnect(counting);
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
    QCOMPARE(liveEpochs, kEpochs);

    const std::vector<RunInfo> runs = runsOf(*project, "data-parameters");
    QCOMPARE(static_cast<int>(runs.size()), 1);
    const RunInfo& run = runs.front();
    QCOMPARE(run.status, std::string("done"));
    QCOMPARE(run.name, std::string("mlp"));
    // What `identify` would store for these settings, on the labels run chosen.
    TrainConfig config = page->trainConfig();
    config.dataParams = page->dataParamsConfig();
    nlohmann::json expected = dataParamsParams(page->modelSpec(), config, page->inputOptions());
    expected["labels"] = std::to_string(majority);
    expected["soft"] = false;
    QCOMPARE(jsonText(run.params), jsonText(expected));
    QCOMPARE(run.params["lr_class"].get<double>(), 0.2);
    const NpyArray instance = project->runOutput(run.id, "sigma_instance");
    QCOMPARE(instance.shape, (std::vector<std::size_t>{kItems, kEpochs}));
    const NpyArray classSigma = project->runOutput(run.id, "sigma_class");
    QCOMPARE(classSigma.shape, (std::vector<std::size_t>{kClasses, kEpochs}));
    QCOMPARE(project->runOutput(run.id, "history").shape, (std::vector<std::size_t>{kEpochs, 9}));

    // No consensus: the active run stays, nothing is announced.
    QCOMPARE(window.document()->aggregationRunId(), active);
    QCOMPARE(project->activeRun(), active);
    QVERIFY(!window.runAnnouncement()->isVisibleTo(&window));
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("Data Parameters run %1 stored").arg(run.id)));

    // The stored run is shown: one point per epoch in every chart, the class sigmas as stored.
    QCOMPARE(page->shownRun(), run.id);
    QVERIFY(page->showsDataParams());
    QVERIFY(page->runBox()->currentText().contains(QStringLiteral("Data Parameters")));
    QCOMPARE(page->curveChart()->trainLossSeries()->count(), kEpochs);
    QCOMPARE(page->instanceSigmaChart()->epochCount(), kEpochs);
    QCOMPARE(page->instanceSigmaChart()->maxSeries()->count(), kEpochs);
    QCOMPARE(page->classSigmaChart()->classCount(), kClasses);
    QVERIFY(page->showsClassSigmas());
    const std::vector<float> stored = classSigma.as<float>();
    for (int k = 0; k < kClasses; ++k) {
        QCOMPARE(page->classSigmaChart()->classSeries(k)->count(), kEpochs);
        for (int e = 0; e < kEpochs; ++e)
            QCOMPARE(page->classSigmaChart()->classSeries(k)->at(e).y(),
                     static_cast<double>(stored[static_cast<std::size_t>(k * kEpochs + e)]));
    }
    QCOMPARE(page->classSigmaChart()->classSeries(0)->name(), QStringLiteral("red"));
    const nlohmann::json& last = run.summary["per_epoch"][kEpochs - 1]["instance_sigma"];
    QCOMPARE(page->instanceSigmaChart()->medianSeries()->at(kEpochs - 1).y(), last["median"].get<double>());
    QCOMPARE(page->instanceSigmaChart()->maxSeries()->at(kEpochs - 1).y(), last["max"].get<double>());

    // The Runs tab lists it and cannot make it active; selecting it there shows it here.
    window.runsPage()->selectRuns({run.id});
    QVERIFY(!window.runsPage()->makeActiveButton()->isEnabled());
    QCOMPARE(page->shownRun(), run.id);
    QVERIFY(!page->showRun(active));

    // A train run's curves put the loop chart back; the Data Parameters run brings its own back.
    QVERIFY(clickAndWait(window, page->trainButton()) != 0);
    QVERIFY(!page->showsDataParams());
    page->runBox()->setCurrentIndex(page->runBox()->findData(static_cast<qlonglong>(run.id)));
    QCOMPARE(page->shownRun(), run.id);
    QVERIFY(page->showsDataParams());
    QCOMPARE(page->instanceSigmaChart()->epochCount(), kEpochs);

    // Its settings come back into the form, Data Parameters and labels run included.
    qobject_cast<QCheckBox*>(page->settingField("class"))->setChecked(false);
    qobject_cast<QDoubleSpinBox*>(page->settingField("lr_class"))->setValue(0.5);
    page->labelsBox()->setCurrentIndex(page->labelsBox()->findData(static_cast<qlonglong>(active)));
    useSettingsOf(window.document(), page, run.id);
    QVERIFY(page->dataParamsConfig().classLevel);
    QCOMPARE(page->dataParamsConfig().lrClass, 0.2);
    QCOMPARE(page->labelsBox()->currentData().toLongLong(), static_cast<qlonglong>(majority));
    TrainConfig again = page->trainConfig();
    again.dataParams = page->dataParamsConfig();
    nlohmann::json formNow = dataParamsParams(page->modelSpec(), again, page->inputOptions());
    formNow["labels"] = std::to_string(majority);
    formNow["soft"] = false;
    QCOMPARE(jsonText(formNow), jsonText(run.params));
}

void TestLearn::cancelledDataParamsStoresNothing()
{
    MainWindow window;
    open(window, createProject(QStringLiteral("dpcancel")));
    LearnPage* page = window.learnPage();
    const std::int64_t active = window.document()->aggregationRunId();
    setSmallForm(page, 1000, 1);
    page->batchSizeBox()->setValue(4);
    page->dataParamsButton()->click();
    const int job = page->currentJob();
    QVERIFY(job != 0);
    // The sigma charts grow while it trains.
    QTRY_VERIFY_WITH_TIMEOUT(page->instanceSigmaChart()->epochCount() >= 2, kTimeoutMs);
    QVERIFY(window.jobManager()->isRunning(job));
    QCOMPARE(page->classSigmaChart()->classCount(), 0);  // the item level only
    QVERIFY(page->showsDataParams());
    QVERIFY(!page->showsClassSigmas());  // no empty class chart under the item sigmas
    page->cancelButton()->click();
    QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
    QCOMPARE(window.jobManager()->job(job).status, JobStatus::Cancelled);
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("cancelled")));
    QVERIFY(page->dataParamsButton()->isEnabled());

    const std::vector<RunInfo> runs = runsOf(*window.document()->project(), "data-parameters");
    QCOMPARE(static_cast<int>(runs.size()), 1);
    QCOMPARE(runs.front().status, std::string("cancelled"));
    QVERIFY(runs.front().outputs.empty());
    QCOMPARE(window.document()->runList()->find(runs.front().id)->status, std::string("cancelled"));
    QCOMPARE(window.document()->aggregationRunId(), active);
    // A cancelled run is not one to show.
    QCOMPARE(page->runBox()->findData(static_cast<qlonglong>(runs.front().id)), -1);
}

QTEST_MAIN(TestLearn)
#include "test_learn.moc"
