#include "inspectorpanel.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "thumbnailgridmodel.h"
#include "trajectoryplot.h"
#include "trajectorysource.h"

#include "demo_project.h"

#include "analysis/trajectory_triage.h"
#include "project/review.h"
#include "project/trajectory_runs.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;
constexpr std::size_t kEpochs = 6;
constexpr std::array<Triage, 3> kBands{Triage::Easy, Triage::NeedReview, Triage::Hard};

// The planted noisy items: their sigma sits at e^2 from the first epoch, where the others' log
// sigma stays within [-0.5, 0.5] (spread at most about 2 class IQRs), so they are hard under the
// default rule (spread >= 3) whatever the crowd says.
bool planted(int item)
{
    return item % 25 == 7;
}

// Hand-made trajectories, N x kEpochs: item i's log sigma drifts linearly to a level in
// [-0.5, 0.5] fixed by i; planted items start at 2.0 and stay there.
std::vector<float> handMadeSigmas(int items)
{
    std::vector<float> sigma;
    for (int i = 0; i < items; ++i) {
        const double level = 0.1 * ((i * 37) % 11 - 5);
        for (std::size_t e = 0; e < kEpochs; ++e) {
            const double logSigma = planted(i) ? 2.0 : level * static_cast<double>(e + 1) / kEpochs;
            sigma.push_back(static_cast<float>(std::exp(logSigma)));
        }
    }
    return sigma;
}

// A finished data-parameters run as `crowdsift-cli identify` stores it (sigma_instance N x E,
// labels N), trained on aggregation run `labelsRun`'s consensus; no torch needed. Returns its id.
std::int64_t addTrajectoryRun(const QString& path, std::int64_t labelsRun, std::size_t rows = kDemoItems)
{
    Project project = Project::open(path.toStdString());
    const AggregationResult consensus = loadAggregationRun(project, project.loadDataset(Progress::none()), labelsRun);
    const std::int64_t run = project.beginRun(
        "data-parameters", {{"model", "mlp"}, {"labels", std::to_string(labelsRun)}, {"instance", true}}, "mlp");
    const std::vector<float> sigma = handMadeSigmas(static_cast<int>(rows));
    project.addRunOutput(run, "sigma_instance", sigma.data(), {rows, kEpochs});
    std::vector<std::int32_t> labels(consensus.labels.begin(), consensus.labels.end());
    project.addRunOutput(run, "labels", labels.data(), {labels.size()});
    project.finishRun(run, "done", nlohmann::json::object());
    return run;
}

std::vector<int> shownItems(const ReviewPage& page)
{
    std::vector<int> items;
    for (Triage triage : kBands) {
        const std::vector<int>& band = page.bandModel(triage)->items();
        items.insert(items.end(), band.begin(), band.end());
    }
    std::sort(items.begin(), items.end());
    return items;
}

// What "est. 61% wrong" says for `fraction`, as the page writes it.
QString estimate(double fraction)
{
    const double percent = fraction * 100.0;
    return QStringLiteral("est. %1% wrong").arg(percent, 0, 'f', percent < 10.0 ? 1 : 0);
}

double meanOver(const std::vector<int>& items, const std::vector<double>& values)
{
    double sum = 0.0;
    int counted = 0;
    for (int item : items) {
        const double v = values[static_cast<std::size_t>(item)];
        if (std::isfinite(v)) {
            sum += v;
            ++counted;
        }
    }
    return sum / counted;
}

}  // namespace

class TestReviewTrajectory : public QObject {
    Q_OBJECT

private:
    void open(const QString& path);
    // The triage the core gives run `run` under `rule` (loadTrajectoryRun + applyTrajectoryTriage).
    TrajectoryTriageResult expected(std::int64_t run, const TrajectoryTriageRule& rule) const;
    std::vector<Triage> crowdCategories() const;

    QTemporaryDir dir_;
    Dataset dataset_;
    int projects_ = 0;
    QString projectPath_;
    std::int64_t dsRun_ = 0;
    std::int64_t dpRun_ = 0;
    std::unique_ptr<ProjectDocument> document_;
    std::unique_ptr<ReviewPage> page_;

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void bandsFollowTheTrajectoryRule();
    void thresholdsRetriage();
    void windowRescoresOffTheGuiThread();
    void crowdSourceRestoresTheOldBands();
    void bandTitlesShowTheEstimate();
    void inspectorDrawsTheTrajectory();
    void decisionsSurviveSwitching();
    void newRunTakesOverUnlessChosen();
    void unreadableRunFallsBackToTheCrowd();
    void chosenSourceIsRememberedPerProject();
};

void TestReviewTrajectory::initTestCase()
{
    // QSettings then lives under ~/.qttest: the user's own settings stay untouched.
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    dataset_ = testing::readSmallDemo(dir_.path() + "/demo", kDemoItems);
    QCOMPARE(dataset_.itemCount(), kDemoItems);
}

void TestReviewTrajectory::init()
{
    projectPath_ = dir_.path() + QStringLiteral("/trajectory%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(projectPath_, dataset_);
    dsRun_ = Project::open(projectPath_.toStdString()).activeRun();
    QVERIFY(dsRun_ > 0);
    dpRun_ = addTrajectoryRun(projectPath_, dsRun_);
    document_ = std::make_unique<ProjectDocument>();
    page_ = std::make_unique<ReviewPage>(document_.get());
}

void TestReviewTrajectory::cleanup()
{
    page_.reset();
    document_.reset();
}

void TestReviewTrajectory::open(const QString& path)
{
    QSignalSpy loaded(document_.get(), &ProjectDocument::loaded);
    document_->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
    QVERIFY(document_->aggregation());
    page_->showClass(ReviewPage::AllClasses);
}

TrajectoryTriageResult TestReviewTrajectory::expected(std::int64_t run, const TrajectoryTriageRule& rule) const
{
    const Project project = Project::open(projectPath_.toStdString());
    const TrajectoryRun trajectory = loadTrajectoryRun(project, document_->dataset(), run);
    return applyTrajectoryTriage(trajectory, document_->dataset().classCount(), rule);
}

std::vector<Triage> TestReviewTrajectory::crowdCategories() const
{
    return triage(document_->dataset(), *document_->aggregation(), page_->rule());
}

// With a data-parameters run in the project, the page opens on it: the loader read it, the box
// lists it beside the crowd, and the bands are the core's trajectory triage, planted items hard
// and first in their band.
void TestReviewTrajectory::bandsFollowTheTrajectoryRule()
{
    open(projectPath_);
    QVERIFY(document_->loadedTrajectory());
    QCOMPARE(page_->triageSource(), dpRun_);
    QComboBox* box = page_->sourceBox();
    QCOMPARE(box->count(), 2);
    QCOMPARE(box->itemText(0), QStringLiteral("Crowd consensus"));
    QCOMPARE(box->itemText(1), QStringLiteral("Data Parameters run %1 · mlp").arg(dpRun_));
    QCOMPARE(box->currentIndex(), 1);
    QVERIFY(page_->query().hasTrajectoryTriage());

    const TrajectoryTriageResult want = expected(dpRun_, TrajectoryTriageRule());
    QCOMPARE(page_->categories(), want.categories);
    int plantedCount = 0;
    for (int item = 0; item < kDemoItems; ++item) {
        if (!planted(item))
            continue;
        ++plantedCount;
        QCOMPARE(page_->categories()[static_cast<std::size_t>(item)], Triage::Hard);
        QVERIFY(page_->bandModel(Triage::Hard)->rowOf(item) >= 0);
    }
    QCOMPARE(plantedCount, 12);
    // Worst first: the hard band is in trajectoryReviewOrder, the planted items (spread about 4)
    // after any item without a label.
    const std::vector<int>& hard = page_->bandModel(Triage::Hard)->items();
    std::vector<int> sorted = hard;
    std::sort(sorted.begin(), sorted.end());
    QCOMPARE(hard, trajectoryReviewOrder(want.scores, sorted));
    const auto firstLabelled = std::find_if(hard.begin(), hard.end(), [&](int item) {
        return want.scores.labels[static_cast<std::size_t>(item)] >= 0;
    });
    QVERIFY(std::all_of(firstLabelled, firstLabelled + plantedCount, planted));
    QCOMPARE(shownItems(*page_).size(), std::size_t(kDemoItems));
}

void TestReviewTrajectory::thresholdsRetriage()
{
    open(projectPath_);
    QCOMPARE(page_->triageSource(), dpRun_);
    // The unplanted items' spreads reach about 1: a hard bar at 0.8 takes the highest of them.
    TrajectoryTriageRule rule;
    rule.easySpread = 0.3;
    rule.hardSpread = 0.8;
    page_->findChild<QDoubleSpinBox*>(QStringLiteral("easySpread"))->setValue(0.3);
    page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardSpread"))->setValue(0.8);
    QCOMPARE(page_->trajectoryRule(), rule);
    const std::vector<Triage> looser = expected(dpRun_, rule).categories;
    QCOMPARE(page_->categories(), looser);
    QVERIFY(triageCounts(looser)[2] > triageCounts(expected(dpRun_, TrajectoryTriageRule()).categories)[2]);

    // Without the crowd, easy needs only a low spread.
    page_->findChild<QCheckBox*>(QStringLiteral("useCrowd"))->setChecked(false);
    rule.useCrowd = false;
    QCOMPARE(page_->categories(), expected(dpRun_, rule).categories);

    // An invalid rule (hard below easy) is refused and keeps the bands.
    page_->findChild<QDoubleSpinBox*>(QStringLiteral("easySpread"))->setValue(2.0);
    QCOMPARE(page_->trajectoryRule(), rule);
    QVERIFY(page_->findChild<QLabel*>(QStringLiteral("trajectoryRuleText"))->text().startsWith(QStringLiteral("Not applied")));
    QCOMPARE(page_->categories(), expected(dpRun_, rule).categories);
}

// A new window means new scores, computed on a worker: the bands follow once they arrive.
void TestReviewTrajectory::windowRescoresOffTheGuiThread()
{
    open(projectPath_);
    QCOMPARE(page_->trajectories()->current()->window, 0.5);
    QSignalSpy ready(page_->trajectories(), &TrajectorySource::ready);
    page_->findChild<QSpinBox*>(QStringLiteral("trajectoryWindow"))->setValue(100);
    QCOMPARE(page_->trajectoryRule().window, 1.0);
    QTRY_COMPARE_WITH_TIMEOUT(page_->trajectories()->current()->window, 1.0, kTimeoutMs);
    QVERIFY(ready.count() >= 1);
    TrajectoryTriageRule rule;
    rule.window = 1.0;
    const TrajectoryTriageResult want = expected(dpRun_, rule);
    QCOMPARE(page_->trajectories()->current()->scores->epochsRead, static_cast<int>(kEpochs));
    QCOMPARE(page_->categories(), want.categories);
    QCOMPARE(page_->bandModel(Triage::Hard)->items().size(), static_cast<std::size_t>(triageCounts(want.categories)[2]));
}

void TestReviewTrajectory::crowdSourceRestoresTheOldBands()
{
    open(projectPath_);
    const std::vector<Triage> crowd = crowdCategories();
    const std::vector<Triage> trajectory = page_->categories();
    QVERIFY(crowd != trajectory);

    // As the curator picks it in the box.
    Q_EMIT page_->sourceBox()->activated(0);
    QCOMPARE(page_->triageSource(), std::int64_t(0));
    QVERIFY(!page_->query().hasTrajectoryTriage());
    QCOMPARE(page_->categories(), crowd);
    QCOMPARE(page_->bandModel(Triage::Hard)->items().size(), static_cast<std::size_t>(triageCounts(crowd)[2]));
    QVERIFY(page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardPosterior"))->isVisibleTo(page_.get()));
    QVERIFY(!page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardSpread"))->isVisibleTo(page_.get()));
    // The crowd's thresholds work as before.
    page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardPosterior"))->setValue(0.8);
    QCOMPARE(page_->categories(), crowdCategories());

    Q_EMIT page_->sourceBox()->activated(1);
    QCOMPARE(page_->triageSource(), dpRun_);
    QCOMPARE(page_->categories(), trajectory);
    QVERIFY(page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardSpread"))->isVisibleTo(page_.get()));
}

// "Hard (12) · est. 61% wrong": the mean of the wrong-label probability over the band's items,
// from the trajectory rule's estimate or from the crowd's 1 - posterior.
void TestReviewTrajectory::bandTitlesShowTheEstimate()
{
    open(projectPath_);
    const TrajectoryTriageResult want = expected(dpRun_, TrajectoryTriageRule());
    QCOMPARE(want.categories, page_->categories());
    for (Triage triage : kBands) {
        const std::vector<int>& items = page_->bandModel(triage)->items();
        const QString title = page_->bandTitle(triage)->text();
        QVERIFY2(title.contains(QStringLiteral("(%1)").arg(items.size())), qPrintable(title));
        if (items.empty())
            continue;
        QVERIFY2(title.endsWith(estimate(meanOver(items, want.wrongProbability))), qPrintable(title));
    }
    // Over all items the band estimates are the core's bandEstimates.
    const std::vector<int>& hard = page_->bandModel(Triage::Hard)->items();
    QCOMPARE(meanOver(hard, want.wrongProbability), want.bands[2].estimatedWrong);
    // One class: its items only.
    page_->showClass(2);
    const std::vector<int>& classHard = page_->bandModel(Triage::Hard)->items();
    if (!classHard.empty())
        QVERIFY(page_->bandTitle(Triage::Hard)->text().endsWith(estimate(meanOver(classHard, want.wrongProbability))));

    page_->showClass(ReviewPage::AllClasses);
    page_->setTriageSource(0);
    const AggregationResult& ds = *document_->aggregation();
    std::vector<double> crowdWrong;
    for (int item = 0; item < kDemoItems; ++item) {
        const int label = ds.labels[static_cast<std::size_t>(item)];
        crowdWrong.push_back(label >= 0 ? 1.0 - ds.posteriors(item, label) : std::nan(""));
    }
    for (Triage triage : kBands) {
        const std::vector<int>& items = page_->bandModel(triage)->items();
        if (!items.empty())
            QVERIFY2(page_->bandTitle(triage)->text().endsWith(estimate(meanOver(items, crowdWrong))),
                     qPrintable(page_->bandTitle(triage)->text()));
    }
    QVERIFY(page_->bandTitle(Triage::Hard)->toolTip().contains(QStringLiteral("estimate")));
}

// The inspector draws the selected item's sigma row against its class's quartiles.
void TestReviewTrajectory::inspectorDrawsTheTrajectory()
{
    open(projectPath_);
    const int item = 32;  // planted
    QVERIFY(planted(item));
    InspectorPanel* inspector = page_->inspector();
    inspector->setSelection(item, {item});
    TrajectoryPlot* plot = inspector->trajectoryPlot();
    QVERIFY(plot->isVisibleTo(inspector));
    const std::vector<float> sigma = handMadeSigmas(kDemoItems);
    const std::vector<float> row(sigma.begin() + item * kEpochs, sigma.begin() + (item + 1) * kEpochs);
    QCOMPARE(plot->itemSigma(), row);
    QCOMPARE(plot->windowEpochs(), 3);

    const AggregationResult& ds = *document_->aggregation();
    const std::vector<int> labels(ds.labels.begin(), ds.labels.end());
    const ClassSigmaQuartiles q = classSigmaQuartiles(sigma, kEpochs, labels, dataset_.classCount());
    const auto c = static_cast<std::size_t>(labels[item]);
    const auto classRow = [&](const std::vector<float>& values) {
        return std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(c * kEpochs),
                                  values.begin() + static_cast<std::ptrdiff_t>((c + 1) * kEpochs));
    };
    QCOMPARE(plot->classMedian(), classRow(q.median));
    QCOMPARE(plot->classQ25(), classRow(q.q25));
    QCOMPARE(plot->classQ75(), classRow(q.q75));
    const QString text = inspector->trajectoryLabel()->text();
    QVERIFY2(text.contains(QStringLiteral("spread")) && text.contains(QStringLiteral("hard (from 3.0)")), qPrintable(text));
    QVERIFY2(text.contains(QString::fromStdString(dataset_.classNames[c])), qPrintable(text));
    QVERIFY(!text.contains(QStringLiteral("triages by the crowd")));
    plot->resize(288, 96);
    QVERIFY(!plot->grab().isNull());  // paints without trouble

    // Under the crowd rule the trajectory stays, marked as information.
    page_->setTriageSource(0);
    inspector->setSelection(item, {item});
    QCOMPARE(plot->itemSigma(), row);
    QVERIFY(inspector->trajectoryLabel()->text().contains(QStringLiteral("triages by the crowd")));
}

// Triage only moves items between bands: switching the source changes no decision, no undo step.
void TestReviewTrajectory::decisionsSurviveSwitching()
{
    open(projectPath_);
    document_->relabel({7, 8}, 3);
    document_->accept({10});
    const ReviewState before = document_->reviewState();
    const int steps = document_->undoStack()->count();
    const std::vector<Decision> log = document_->project()->decisions();
    for (std::int64_t source : {std::int64_t(0), dpRun_, std::int64_t(0)}) {
        page_->setTriageSource(source);
        for (int item = 0; item < kDemoItems; ++item) {
            QCOMPARE(document_->reviewState().kindOf(item), before.kindOf(item));
            QCOMPARE(document_->reviewState().labelOf(item, -1), before.labelOf(item, -1));
        }
    }
    QCOMPARE(document_->undoStack()->count(), steps);
    QCOMPARE(document_->project()->decisions().size(), log.size());
    // A relabelled item shows its new label wherever its band now is.
    page_->setTriageSource(dpRun_);
    for (Triage triage : kBands) {
        ThumbnailGridModel* model = page_->bandModel(triage);
        const int row = model->rowOf(7);
        if (row >= 0) {
            QCOMPARE(model->index(row).data(ThumbnailGridModel::RelabelledRole).toBool(), true);
            QCOMPARE(model->index(row).data(ThumbnailGridModel::TriageRole).toInt(), static_cast<int>(triage));
        }
    }
}

// A data-parameters run finished while the page triages by the crowd for want of one takes
// over; once the curator chose a source, a new run is only listed.
void TestReviewTrajectory::newRunTakesOverUnlessChosen()
{
    const QString path = dir_.path() + QStringLiteral("/later%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(path, dataset_);
    projectPath_ = path;
    open(path);
    QCOMPARE(page_->triageSource(), std::int64_t(0));
    QCOMPARE(page_->sourceBox()->count(), 1);
    QVERIFY(!page_->sourceBox()->isEnabled());
    QVERIFY(!page_->inspector()->trajectoryPlot()->isVisibleTo(page_->inspector()));
    const std::vector<Triage> crowd = crowdCategories();
    QCOMPARE(page_->categories(), crowd);

    const std::int64_t first = addTrajectoryRun(path, document_->aggregationRunId());
    document_->notifyRunsChanged();
    QCOMPARE(page_->triageSource(), first);
    QCOMPARE(page_->sourceBox()->count(), 2);
    QTRY_VERIFY_WITH_TIMEOUT(page_->query().hasTrajectoryTriage(), kTimeoutMs);
    QCOMPARE(page_->categories(), expected(first, TrajectoryTriageRule()).categories);

    // The curator goes back to the crowd: a later run is listed, not taken.
    page_->setTriageSource(0);
    const std::int64_t second = addTrajectoryRun(path, document_->aggregationRunId());
    document_->notifyRunsChanged();
    QCOMPARE(page_->sourceBox()->count(), 3);
    QCOMPARE(page_->sourceBox()->itemData(1).toLongLong(), second);  // newest first
    QCOMPARE(page_->triageSource(), std::int64_t(0));
    QCOMPARE(page_->categories(), crowd);
    // Chosen by hand, it is read and triaged from.
    page_->setTriageSource(second);
    QTRY_COMPARE_WITH_TIMEOUT(page_->trajectories()->current()->run->run, second, kTimeoutMs);
    QVERIFY(page_->query().hasTrajectoryTriage());
    QCOMPARE(page_->categories(), expected(second, TrajectoryTriageRule()).categories);

    // Reopening starts over on the newest run.
    open(path);
    QCOMPARE(page_->triageSource(), second);
}

// A run whose trajectories do not fit the dataset is reported, and the crowd triages.
void TestReviewTrajectory::unreadableRunFallsBackToTheCrowd()
{
    const QString path = dir_.path() + QStringLiteral("/broken%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(path, dataset_);
    projectPath_ = path;
    const std::int64_t ds = Project::open(path.toStdString()).activeRun();
    addTrajectoryRun(path, ds, kDemoItems - 1);
    open(path);
    QVERIFY(!document_->loadedTrajectory());
    QVERIFY(!document_->loadedTrajectoryError().isEmpty());
    QCOMPARE(page_->triageSource(), std::int64_t(0));
    QCOMPARE(page_->categories(), crowdCategories());
    QVERIFY(page_->trajectoryStatus()->isVisibleTo(page_.get()));
    QVERIFY2(page_->trajectoryStatus()->text().contains(QStringLiteral("one row per item")),
             qPrintable(page_->trajectoryStatus()->text()));
}

// The source the curator picks in the box is remembered for the project: reopened, the page
// triages from it again (the crowd, although the loader read the newest Data Parameters run; or
// that run once picked back), while another project still opens on its newest run.
void TestReviewTrajectory::chosenSourceIsRememberedPerProject()
{
    open(projectPath_);
    QCOMPARE(page_->triageSource(), dpRun_);
    QComboBox* box = page_->sourceBox();
    Q_EMIT box->activated(box->findData(QVariant::fromValue<qlonglong>(0)));
    QCOMPARE(page_->triageSource(), std::int64_t(0));

    document_ = std::make_unique<ProjectDocument>();
    page_ = std::make_unique<ReviewPage>(document_.get());
    open(projectPath_);
    QVERIFY(document_->loadedTrajectory());
    QCOMPARE(page_->triageSource(), std::int64_t(0));
    QCOMPARE(page_->categories(), crowdCategories());
    QCOMPARE(page_->sourceBox()->currentIndex(), 0);
    // Chosen, not defaulted: a new run is listed, not taken.
    const std::int64_t later = addTrajectoryRun(projectPath_, dsRun_);
    document_->notifyRunsChanged();
    QCOMPARE(page_->triageSource(), std::int64_t(0));

    box = page_->sourceBox();
    Q_EMIT box->activated(box->findData(QVariant::fromValue<qlonglong>(dpRun_)));
    QCOMPARE(page_->triageSource(), dpRun_);
    document_ = std::make_unique<ProjectDocument>();
    page_ = std::make_unique<ReviewPage>(document_.get());
    open(projectPath_);
    QCOMPARE(page_->triageSource(), dpRun_);  // the older run, not the newest (`later`)
    QTRY_COMPARE_WITH_TIMEOUT(page_->trajectories()->current()->run->run, dpRun_, kTimeoutMs);
    QVERIFY(page_->query().hasTrajectoryTriage());
    QCOMPARE(page_->categories(), expected(dpRun_, TrajectoryTriageRule()).categories);

    // Another project has its own memory: none yet, so its newest run.
    const QString other = dir_.path() + QStringLiteral("/other%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(other, dataset_);
    const std::int64_t otherRun = addTrajectoryRun(other, Project::open(other.toStdString()).activeRun());
    open(other);
    QCOMPARE(page_->triageSource(), otherRun);
    QVERIFY(later > dpRun_);
}

QTEST_MAIN(TestReviewTrajectory)
#include "test_review_trajectory.moc"
