#include "exportdialog.h"
#include "jobmanager.h"
#include "jobspanel.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "runlistmodel.h"
#include "tableroles.h"
#include "runspage.h"

#include "aggregate/chooser.h"
#include "aggregate/registry.h"
#include "data/formats.h"
#include "images/demo.h"
#include "project/aggregation_runs.h"
#include "project/run_service.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QTreeWidget>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;

}  // namespace

class TestRuns : public QObject {
    Q_OBJECT

private:
    // A fresh project of the demo dataset (300 Fashion-MNIST images, 40 simulated annotators).
    QString createProject(const QString& name);
    static void waitLoaded(ProjectDocument* document, const QString& path);
    // Runs `strategy` from the page and waits for it to finish.
    static int runToEnd(RunsPage* page, JobManager* jobs, const QString& strategy,
                        const nlohmann::json& params = nlohmann::json::object());
    // A fresh demo project loaded into a document, with a job manager and a Runs page on it,
    // after `strategies` ran from the page one after the other (page null if one failed).
    struct Opened {
        ProjectDocument document;
        JobManager jobs;
        std::unique_ptr<RunsPage> page;
    };
    std::unique_ptr<Opened> openProject(const QString& name, const QStringList& strategies = {});

    QTemporaryDir dir_;
    Dataset demo_;

private Q_SLOTS:
    void initTestCase();
    void jobReportsProgressAndCompletes();
    void jobFailureIsReported();
    void runBecomesActive();
    void autoIsTheDefaultAndStoresItsChoice();
    void cancelledRunIsListedAsCancelled();
    void failedRunIsListedWithTheReason();
    void finishedRunIsAnnouncedNotActivated();
    void compareCountsDifferingLabels();
    void makeOlderRunActive();
    void exportCsvShowsDecisions();
    void exportPeerannotAddsCurator();
    void jobsPanelListsJobs();
    void mainWindowHasRunsTabAndExport();
    void derivedRunNamesItsParent();
};

void TestRuns::initTestCase()
{
    QVERIFY(dir_.isValid());
    DemoOptions options;
    options.itemCount = kDemoItems;
    const DemoResult built = buildDemo((dir_.path() + "/demo").toStdString(), options);
    QCOMPARE(built.items, kDemoItems);
    ReadOptions read;
    read.truthPath = built.folder + "/truth.csv";
    demo_ = readDataset(built.folder, read);
    QCOMPARE(demo_.itemCount(), kDemoItems);
    QCOMPARE(static_cast<int>(std::count(demo_.truth.begin(), demo_.truth.end(), -1)), 0);
}

QString TestRuns::createProject(const QString& name)
{
    const QString path = dir_.path() + "/" + name + ".csift";
    Project::create(path.toStdString(), demo_, Progress::none());
    return path;
}

void TestRuns::waitLoaded(ProjectDocument* document, const QString& path)
{
    QSignalSpy loaded(document, &ProjectDocument::loaded);
    document->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
}

std::unique_ptr<TestRuns::Opened> TestRuns::openProject(const QString& name, const QStringList& strategies)
{
    auto opened = std::make_unique<Opened>();
    waitLoaded(&opened->document, createProject(name));
    opened->page = std::make_unique<RunsPage>(&opened->document, &opened->jobs);
    for (const QString& strategy : strategies)
        if (runToEnd(opened->page.get(), &opened->jobs, strategy) == 0)
            opened->page.reset();
    return opened;
}

int TestRuns::runToEnd(RunsPage* page, JobManager* jobs, const QString& strategy, const nlohmann::json& params)
{
    const int id = page->startRun(strategy, params);
    if (id == 0 || !jobs->waitFor(id, kTimeoutMs))
        return 0;
    return id;
}

void TestRuns::jobReportsProgressAndCompletes()
{
    JobManager jobs;
    QThread* workerThread = nullptr;
    QThread* completionThread = nullptr;
    QSignalSpy finished(&jobs, &JobManager::jobFinished);
    const int id = jobs.start(QStringLiteral("count"), [&workerThread, &completionThread](Progress& progress) {
        workerThread = QThread::currentThread();
        for (int i = 0; i < 10; ++i)
            progress.step(i, 10, "counting");
        return JobManager::Completion([&completionThread](QStringList& log) {
            completionThread = QThread::currentThread();
            log.append(QStringLiteral("counted to 10"));
        });
    });
    QCOMPARE(id, 1);
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    const JobInfo& job = jobs.job(id);
    QCOMPARE(job.status, JobStatus::Finished);
    QCOMPARE(job.fraction, 1.0);
    QVERIFY(job.finished.isValid());
    QCOMPARE(jobs.eta(id), -1.0);
    QCOMPARE(finished.count(), 1);
    QVERIFY(workerThread != QThread::currentThread());
    QCOMPARE(completionThread, QThread::currentThread());
    QVERIFY(job.log.join('\n').contains(QStringLiteral("counted to 10")));
    QVERIFY(job.log.last().endsWith(QStringLiteral("finished")));
    QCOMPARE(jobs.runningCount(), 0);
}

void TestRuns::jobFailureIsReported()
{
    JobManager jobs;
    const int id = jobs.start(QStringLiteral("broken"), [](Progress&) -> JobManager::Completion {
        throw InputError("answers.csv", "line 3", "label 12 is not a class");
    });
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    QCOMPARE(jobs.job(id).status, JobStatus::Failed);
    QVERIFY(jobs.job(id).error.contains(QStringLiteral("label 12 is not a class")));
    QVERIFY(jobs.job(id).log.last().contains(QStringLiteral("failed")));
}

// "auto" is first and selected; its job runs off the GUI thread like any other and stores the
// choice and every candidate's held-out score with the run.
void TestRuns::autoIsTheDefaultAndStoresItsChoice()
{
    const auto opened = openProject("auto");
    ProjectDocument& document = opened->document;
    JobManager& jobs = opened->jobs;
    RunsPage& page = *opened->page;
    QCOMPARE(page.strategyBox()->currentData().toString(), QStringLiteral("auto"));
    QCOMPARE(page.strategyBox()->itemData(0).toString(), QStringLiteral("auto"));
    const int id = page.startRunFromFields();
    QVERIFY(id != 0);
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    QCOMPARE(jobs.job(id).status, JobStatus::Finished);
    const std::vector<RunInfo> runs = document.project()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 1);
    QCOMPARE(runs[0].name, std::string("auto"));
    const std::string chosen = runs[0].params["params"]["chosen"].get<std::string>();
    QCOMPARE(runs[0].summary["chooser"]["chosen"].get<std::string>(), chosen);
    QCOMPARE(runs[0].summary["chooser"]["held_out_log_likelihood"].size(), chooserCandidates().size());

    // The run list names the choice, and its tooltip lists every candidate's score.
    const QString title = RunListModel::title(runs[0]);
    QVERIFY2(title.startsWith(QStringLiteral("Automatic → ")), qPrintable(title));
    QVERIFY2(title.endsWith(QStringLiteral("(%1)").arg(QString::fromStdString(chosen))), qPrintable(title));
    const QStringList tip = RunListModel::chooserTip(runs[0]).split(QLatin1Char('\n'));
    QCOMPARE(tip.size(), static_cast<int>(chooserCandidates().size()) + 2);
    QCOMPARE(tip[1], QStringLiteral("ds-prior is kept unless a candidate beats it by more than 2 standard errors"));
    QCOMPARE(tip.filter(QStringLiteral("(default)")).size(), 1);
    QCOMPARE(tip.filter(QStringLiteral(" SE")).size(), static_cast<int>(chooserCandidates().size()) - 1);
    QCOMPARE(tip.filter(QStringLiteral("← chosen")).size(), 1);
    QVERIFY(tip.filter(QStringLiteral("← chosen")).front().startsWith(QString::fromStdString(chosen) + QStringLiteral("  ")));
    RunInfo other = runs[0];
    other.summary.erase("chooser");
    QVERIFY(RunListModel::chooserTip(other).isEmpty());
}

void TestRuns::runBecomesActive()
{
    const auto opened = openProject("active");
    ProjectDocument& document = opened->document;
    JobManager& jobs = opened->jobs;
    RunsPage& page = *opened->page;
    QCOMPARE(page.runTable()->model()->rowCount(), 0);

    QSignalSpy changed(&jobs, &JobManager::jobChanged);
    page.strategyBox()->setCurrentIndex(page.strategyBox()->findData(QStringLiteral("ds")));
    page.maxIterationsBox()->setValue(3);
    page.toleranceEdit()->setText(QStringLiteral("-1"));
    const int id = page.startRunFromFields();
    QVERIFY(id != 0);
    QVERIFY(!page.maxIterationsBox()->isEnabled());
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    QVERIFY(page.maxIterationsBox()->isEnabled());
    const JobInfo& job = jobs.job(id);
    QCOMPARE(job.title, QStringLiteral("Aggregate: Dawid-Skene"));
    QCOMPARE(job.status, JobStatus::Finished);
    QCOMPARE(job.fraction, 1.0);
    QVERIFY(changed.count() >= 1);
    QCOMPARE(page.currentJob(), 0);

    const std::vector<RunInfo> runs = document.project()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 1);
    QCOMPARE(runs[0].name, std::string("ds"));
    QCOMPARE(runs[0].status, std::string("done"));
    QVERIFY(runs[0].summary.contains("seconds"));
    QCOMPARE(runs[0].params["params"]["max_iterations"].get<int>(), 3);
    QCOMPARE(document.aggregation()->iterations, 3);
    QCOMPARE(document.aggregationRunId(), runs[0].id);
    QVERIFY(document.aggregation());
    QCOMPARE(document.aggregation()->strategy, std::string("ds"));
    QVERIFY(job.log.join('\n').contains(QStringLiteral("stored as run %1").arg(runs[0].id)));

    QCOMPARE(page.runTable()->model()->rowCount(), 1);
    QVERIFY(page.runTable()->model()->index(0, RunsPage::IdColumn).data().toString().contains(QStringLiteral("active")));
    QCOMPARE(page.runTable()->model()->index(0, RunsPage::StrategyColumn).data().toString(), QStringLiteral("Dawid-Skene (ds)"));
    QCOMPARE(page.runTable()->model()->index(0, RunsPage::StatusColumn).data().toString(), QStringLiteral("done"));
    const double expected = accuracy(document.aggregation()->labels, demo_.truth);
    QVERIFY(!std::isnan(expected));
    QCOMPARE(page.runTable()->model()->index(0, RunsPage::AccuracyColumn).data().toString(),
             QStringLiteral("%1%").arg(expected * 100.0, 0, 'f', 2));
    QCOMPARE(page.runTable()->model()->index(0, RunsPage::IterationsColumn).data().toString(),
             QString::number(document.aggregation()->iterations));
}

void TestRuns::cancelledRunIsListedAsCancelled()
{
    const auto opened = openProject("cancel");
    ProjectDocument& document = opened->document;
    JobManager& jobs = opened->jobs;
    RunsPage& page = *opened->page;

    // Far more work than the test waits for: every restart runs all 500 iterations.
    const nlohmann::json params = {{"restarts", 100000}, {"max_iterations", 500}, {"tolerance", -1.0}};
    const int id = page.startRun(QStringLiteral("mace"), params);
    QVERIFY(id != 0);
    QVERIFY(!page.runButton()->isEnabled());
    QVERIFY(page.cancelButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(jobs.job(id).fraction > 0.0, kTimeoutMs);
    QVERIFY(jobs.isRunning(id));
    QVERIFY(jobs.eta(id) > 0.0);
    page.cancelRun();
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    QCOMPARE(jobs.job(id).status, JobStatus::Cancelled);
    QVERIFY(jobs.job(id).fraction < 1.0);
    // The run was recorded when the job started; it ends cancelled, without outputs, and the
    // run list says so.
    const std::vector<RunInfo> runs = document.project()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 1);
    QCOMPARE(runs[0].status, std::string("cancelled"));
    QVERIFY(runs[0].outputs.empty());
    QVERIFY(!document.aggregation());
    QCOMPARE(document.project()->activeRun(), std::int64_t(0));
    QCOMPARE(page.runTable()->model()->rowCount(), 1);
    QCOMPARE(page.runTable()->model()->index(0, RunsPage::StatusColumn).data().toString(), QStringLiteral("cancelled"));
    QVERIFY(page.runButton()->isEnabled());
}

void TestRuns::failedRunIsListedWithTheReason()
{
    const auto opened = openProject("failed");
    ProjectDocument& document = opened->document;
    JobManager& jobs = opened->jobs;
    RunsPage& page = *opened->page;
    // A parameter of the wrong type fails inside the job, after the run was recorded.
    const int id = page.startRun(QStringLiteral("ds"), {{"max_iterations", "many"}});
    QVERIFY(id != 0);
    QVERIFY(jobs.waitFor(id, kTimeoutMs));
    QCOMPARE(jobs.job(id).status, JobStatus::Failed);
    const std::vector<RunInfo> runs = document.project()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 1);
    QCOMPARE(runs[0].status, std::string("failed"));
    const QString reason = QString::fromStdString(runError(runs[0]));
    QVERIFY(!reason.isEmpty());
    QVERIFY2(jobs.job(id).error.contains(reason), qPrintable(jobs.job(id).error + " / " + reason));
    const QModelIndex status = page.runTable()->model()->index(0, RunsPage::StatusColumn);
    QCOMPARE(status.data().toString(), QStringLiteral("failed"));
    QCOMPARE(status.data(Qt::ToolTipRole).toString(), reason);
    QVERIFY(!document.aggregation());
}

// A run that finishes while another is active does not take over the review: the document
// announces it (accuracy, the active run's, the differing items), and it becomes active only when
// the curator says so; that choice is saved in the project.
void TestRuns::finishedRunIsAnnouncedNotActivated()
{
    const auto opened = openProject("announce", {"mv"});
    QVERIFY(opened->page);
    ProjectDocument& document = opened->document;
    RunsPage& page = *opened->page;
    const std::int64_t mv = document.aggregationRunId();
    QVERIFY(mv > 0);
    QCOMPARE(document.project()->activeRun(), mv);
    const std::vector<int> mvLabels = document.aggregation()->labels;

    QSignalSpy announced(&document, &ProjectDocument::runAnnounced);
    QSignalSpy changed(&document, &ProjectDocument::aggregationChanged);
    QVERIFY(runToEnd(&page, &opened->jobs, QStringLiteral("ds")) != 0);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(document.aggregationRunId(), mv);
    QCOMPARE(document.project()->activeRun(), mv);
    QCOMPARE(announced.count(), 1);
    const std::int64_t ds = announced.front().at(0).value<std::int64_t>();
    QVERIFY(ds > mv);
    QCOMPARE(document.announcedRun(), ds);
    const AggregationResult dsResult = loadAggregationRun(*document.project(), demo_, ds);
    int differing = 0;
    for (std::size_t i = 0; i < mvLabels.size(); ++i)
        differing += mvLabels[i] != dsResult.labels[i];
    QVERIFY(differing > 0);
    const QString message = announced.front().at(1).toString();
    QVERIFY2(message.contains(QStringLiteral("accuracy %1%").arg(accuracy(dsResult.labels, demo_.truth) * 100.0, 0, 'f', 2)),
             qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("accuracy %1%").arg(accuracy(mvLabels, demo_.truth) * 100.0, 0, 'f', 2)),
             qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("%1 item(s) differently").arg(differing)), qPrintable(message));
    QVERIFY(page.runTable()->model()->index(1, RunsPage::IdColumn).data().toString().contains(QStringLiteral("active")));

    // Made active by the curator: from memory, and saved.
    QVERIFY(document.setActiveRun(ds));
    QCOMPARE(document.aggregationRunId(), ds);
    QCOMPARE(document.aggregation()->labels, dsResult.labels);
    QCOMPARE(document.announcedRun(), std::int64_t(0));
    QCOMPARE(Project::open(document.project()->path()).activeRun(), ds);
}

void TestRuns::compareCountsDifferingLabels()
{
    const auto opened = openProject("compare", {"mv", "ds"});
    QVERIFY(opened->page);
    ProjectDocument& document = opened->document;
    RunsPage& page = *opened->page;
    const std::vector<RunInfo> runs = document.project()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 2);

    const AggregationResult a = loadAggregationRun(*document.project(), demo_, runs[0].id);
    const AggregationResult b = loadAggregationRun(*document.project(), demo_, runs[1].id);
    int expected = 0;
    for (int i = 0; i < kDemoItems; ++i)
        expected += a.labels[static_cast<std::size_t>(i)] != b.labels[static_cast<std::size_t>(i)] ? 1 : 0;
    QVERIFY(expected > 0);

    page.selectRuns({runs[0].id});
    QVERIFY(!page.compareButton()->isEnabled());
    QCOMPARE(page.compareSelected(), -1);
    page.selectRuns({runs[0].id, runs[1].id});
    QVERIFY(page.compareButton()->isEnabled());
    QCOMPARE(page.compareSelected(), expected);
    QCOMPARE(page.differenceList()->topLevelItemCount(), expected);
    QVERIFY(page.comparisonLabel()->text().contains(QStringLiteral("%1 of %2").arg(expected).arg(kDemoItems)));
    const QTreeWidgetItem* first = page.differenceList()->topLevelItem(0);
    const int item = first->data(0, Qt::UserRole).toInt();
    QVERIFY(a.labels[static_cast<std::size_t>(item)] != b.labels[static_cast<std::size_t>(item)]);
    QCOMPARE(first->text(1), QString::fromStdString(demo_.itemKeys[static_cast<std::size_t>(item)]));

    QCOMPARE(differingItems({0, 1, 2, -1}, {0, 2, 2, 1}), std::vector<int>({1, 3}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, differingItems({0}, {0, 1}));
}

void TestRuns::makeOlderRunActive()
{
    const auto opened = openProject("older", {"mv", "ds"});
    QVERIFY(opened->page);
    ProjectDocument& document = opened->document;
    RunsPage& page = *opened->page;
    const std::vector<RunInfo> runs = document.project()->runs();
    // The first run became active (the project had none); the second did not take over.
    QCOMPARE(document.aggregationRunId(), runs[0].id);

    QSignalSpy changed(&document, &ProjectDocument::aggregationChanged);
    QSignalSpy activated(&document, &ProjectDocument::runActivated);
    page.selectRuns({runs[1].id});
    QVERIFY(page.makeActiveButton()->isEnabled());
    // The second run was just announced: its result is in memory, it becomes active at once.
    QCOMPARE(document.announcedRun(), runs[1].id);
    page.makeSelectedActive();
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.front().at(1).toBool(), true);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(document.project()->activeRun(), runs[1].id);
    QCOMPARE(document.aggregationRunId(), runs[1].id);
    QCOMPARE(document.aggregation()->strategy, std::string("ds"));
    QVERIFY(page.runTable()->model()->index(0, RunsPage::IdColumn).data().toString().contains(QStringLiteral("active")));
    QVERIFY(!page.runTable()->model()->index(1, RunsPage::IdColumn).data().toString().contains(QStringLiteral("active")));
    // A stored run is read off the GUI thread: nothing changes until the worker is done.
    page.selectRuns({runs[0].id});
    page.makeSelectedActive();
    QVERIFY(document.isActivating());
    QVERIFY(!page.makeActiveButton()->isEnabled());
    QCOMPARE(changed.count(), 1);
    QVERIFY(activated.wait(kTimeoutMs));
    QCOMPARE(activated.back().at(1).toBool(), true);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(document.project()->activeRun(), runs[0].id);
    QCOMPARE(document.aggregationRunId(), runs[0].id);
    QCOMPARE(document.aggregation()->strategy, std::string("mv"));

    QSignalSpy errors(&document, &ProjectDocument::reviewError);
    QVERIFY(!document.setActiveRun(999));
    QCOMPARE(errors.count(), 1);
    QCOMPARE(document.aggregationRunId(), runs[0].id);

    // The choice is part of the project: a reopened document reviews the run made active.
    const QString path = QString::fromStdString(document.project()->path());
    QVERIFY(document.setActiveRun(runs[1].id));
    ProjectDocument reopened;
    waitLoaded(&reopened, path);
    QCOMPARE(reopened.aggregationRunId(), runs[1].id);
    QCOMPARE(reopened.aggregation()->strategy, std::string("ds"));
}

void TestRuns::exportCsvShowsDecisions()
{
    const QString path = createProject("export");
    ProjectDocument document;
    waitLoaded(&document, path);
    QVERIFY_THROWS_EXCEPTION(InputError, ExportDialog::exportLabels(document, ExportFormat::Csv, dir_.path() + "/none.csv"));
    JobManager jobs;
    RunsPage page(&document, &jobs);
    QVERIFY(runToEnd(&page, &jobs, QStringLiteral("ds")) != 0);
    const int item = 5;
    const int consensus = document.aggregation()->labels[item];
    const int relabel = (consensus + 1) % demo_.classCount();
    document.relabel({item}, relabel);

    const QStringList files = ExportDialog::exportLabels(document, ExportFormat::Csv, dir_.path() + "/labels");
    QCOMPARE(files, QStringList({dir_.path() + "/labels.csv"}));
    QFile file(files.front());
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), kDemoItems + 1);
    QCOMPARE(lines.front(), QStringLiteral("task,label,source,posterior,quality,note"));
    const QStringList row = lines[item + 1].split(',');
    QCOMPARE(row[0], QString::fromStdString(demo_.itemKeys[item]));
    QCOMPARE(row[1], QString::number(relabel));
    QCOMPARE(row[2], QStringLiteral("decision"));
    QCOMPARE(lines[1].split(',')[2], QStringLiteral("consensus"));

    ExportDialog dialog(&document);
    dialog.setFormat(ExportFormat::Json);
    dialog.setPath(dir_.path() + "/dialog.json");
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.writtenFiles(), QStringList({dir_.path() + "/dialog.json"}));
    std::ifstream in((dir_.path() + "/dialog.json").toStdString());
    const nlohmann::json json = nlohmann::json::parse(in);
    QCOMPARE(json["counts"]["relabelled"].get<int>(), 1);
    QCOMPARE(json["items"][item]["source"].get<std::string>(), std::string("decision"));
}

void TestRuns::exportPeerannotAddsCurator()
{
    const auto opened = openProject("peerannot");
    ProjectDocument& document = opened->document;
    JobManager& jobs = opened->jobs;
    RunsPage& page = *opened->page;
    QVERIFY(runToEnd(&page, &jobs, QStringLiteral("ds")) != 0);
    document.relabel({3, 4}, 1);
    const QString folder = dir_.path() + "/curated";
    const QStringList files = ExportDialog::exportLabels(document, ExportFormat::Peerannot, folder,
                                                         LabelQualityMethod::SelfConfidence, QStringLiteral("alice"));
    QCOMPARE(files.size(), 2);
    const Dataset curated = readDataset(folder.toStdString());
    QCOMPARE(curated.annotatorCount(), demo_.annotatorCount() + 1);
    QCOMPARE(curated.annotatorIds.back(), std::string("alice"));
}

void TestRuns::jobsPanelListsJobs()
{
    JobManager jobs;
    const int done = jobs.start(QStringLiteral("quick"), [](Progress&) { return JobManager::Completion(); });
    QVERIFY(jobs.waitFor(done, kTimeoutMs));
    JobsPanel panel(&jobs);
    QCOMPARE(panel.jobList()->topLevelItemCount(), 1);
    const int failing = jobs.start(QStringLiteral("failing"), [](Progress&) -> JobManager::Completion {
        throw std::runtime_error("disk full");
    });
    QCOMPARE(panel.jobList()->topLevelItemCount(), 2);
    QCOMPARE(panel.selectedJob(), failing);
    QVERIFY(jobs.waitFor(failing, kTimeoutMs));
    const QTreeWidgetItem* newest = panel.jobList()->topLevelItem(0);
    QCOMPARE(newest->text(JobsPanel::TitleColumn), QStringLiteral("failing"));
    QCOMPARE(newest->text(JobsPanel::StatusColumn), QStringLiteral("failed"));
    QVERIFY(panel.logView()->toPlainText().contains(QStringLiteral("disk full")));
    QVERIFY(!panel.cancelButton()->isEnabled());
    panel.selectJob(done);
    QCOMPARE(panel.jobList()->currentItem()->text(JobsPanel::StatusColumn), QStringLiteral("finished"));
    QCOMPARE(panel.jobList()->currentItem()->text(JobsPanel::ProgressColumn), QStringLiteral("100%"));
}

void TestRuns::mainWindowHasRunsTabAndExport()
{
    const QString path = createProject("window");
    MainWindow window;
    waitLoaded(window.document(), path);
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("pages"));
    QVERIFY(tabs);
    QVERIFY(tabs->indexOf(window.runsPage()) >= 0);
    window.showPage(MainWindow::Page::Runs);
    QCOMPARE(tabs->currentWidget(), window.runsPage());
    QVERIFY(!window.exportAction()->isEnabled());
    QVERIFY(window.jobsDock()->isHidden());
    const int id = window.runsPage()->startRun(QStringLiteral("mv"));
    QVERIFY(id != 0);
    QVERIFY(!window.jobsDock()->isHidden());
    QVERIFY(window.jobManager()->waitFor(id, kTimeoutMs));
    QVERIFY(window.exportAction()->isEnabled());
    QCOMPARE(window.jobsPanel()->jobList()->topLevelItemCount(), 1);
}

void TestRuns::derivedRunNamesItsParent()
{
    RunInfo ranking;
    ranking.id = 3;
    ranking.kind = "data-parameters";
    ranking.name = "mlp";
    ranking.status = "done";
    RunInfo retrain = ranking;
    retrain.id = 4;
    retrain.kind = "train";
    retrain.parent = 3;
    RunListModel model;
    model.setRuns({ranking, retrain}, 0);
    const auto rowOf = [&model](qlonglong id) {
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.data(model.index(row, 0), RunListModel::RunIdRole).toLongLong() == id)
                return row;
        return -1;
    };
    const QModelIndex parent = model.index(rowOf(3), RunListModel::IdColumn);
    const QModelIndex derived = model.index(rowOf(4), RunListModel::IdColumn);
    QCOMPARE(model.data(parent).toString(), QStringLiteral("3"));
    QCOMPARE(model.data(derived).toString(), QStringLiteral("4 ← 3"));
    QVERIFY(model.data(derived, Qt::ToolTipRole).toString().contains("run 3"));
    QCOMPARE(model.data(derived, crowdsift::SortRole).toLongLong(), 4);
}

QTEST_MAIN(TestRuns)
#include "test_runs.moc"
