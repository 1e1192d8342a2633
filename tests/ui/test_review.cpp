#include "inspectorpanel.h"
#include "jobmanager.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "reviewcommands.h"
#include "reviewpage.h"
#include "runspage.h"
#include "thumbnailgridmodel.h"
#include "thumbnailprovider.h"

#include "aggregate/registry.h"
#include "analysis/triage.h"
#include "data/formats.h"
#include "images/demo.h"
#include "project/aggregation_runs.h"
#include "project/final_labels.h"
#include "project/review.h"
#include "project/store.h"
#include "util/progress.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <QLabel>
#include <QAction>
#include <QDoubleSpinBox>
#include <QListView>
#include <QPixmap>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest>

#include <memory>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;

}  // namespace

class TestReview : public QObject {
    Q_OBJECT

private:
    // A fresh project of the demo dataset (300 Fashion-MNIST images, 40 simulated annotators).
    QString createProject(const QString& name, bool withRun = true);
    static void waitLoaded(ProjectDocument* document, const QString& path);

    QTemporaryDir dir_;
    Dataset demo_;

private Q_SLOTS:
    void initTestCase();
    void commandsWriteTheLog();
    void reopenedLogCanBeUndone();
    void acceptWithoutRunIsRefused();
    void acceptKeepsItsLabelAcrossRunsAndReopen();
    void failedUndoKeepsTheStepInForce();
    void keyMapping();
    void reviewByKeys();
};

void TestReview::initTestCase()
{
    QVERIFY(dir_.isValid());
    DemoOptions options;
    options.itemCount = kDemoItems;
    const DemoResult built = buildDemo((dir_.path() + "/demo").toStdString(), options);
    QCOMPARE(built.items, kDemoItems);
    demo_ = readDataset(built.folder);
    QCOMPARE(demo_.itemCount(), kDemoItems);
    QCOMPARE(demo_.imageCount(), kDemoItems);
}

// A project of the demo; `withRun`: with a majority-vote run (active), so there is a consensus to accept.
QString TestReview::createProject(const QString& name, bool withRun)
{
    const QString path = dir_.path() + "/" + name + ".csift";
    Project project = Project::create(path.toStdString(), demo_, Progress::none());
    if (withRun)
        storeAggregationRun(project, demo_, aggregate("mv", demo_), {{"strategy", "mv"}}, nlohmann::json::object());
    return path;
}

void TestReview::waitLoaded(ProjectDocument* document, const QString& path)
{
    QSignalSpy loaded(document, &ProjectDocument::loaded);
    document->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
}

void TestReview::commandsWriteTheLog()
{
    const QString path = createProject("commands");
    ProjectDocument document;
    waitLoaded(&document, path);
    QVERIFY(document.project());
    QVERIFY(document.aggregation());
    QSignalSpy changed(&document, &ProjectDocument::decisionsChanged);

    document.relabel({4, 7, 9}, 2, QStringLiteral("sleeves"));
    QCOMPARE(document.undoStack()->count(), 1);
    QCOMPARE(document.reviewState().relabelledCount(), 3);
    QCOMPARE(document.reviewState().decisionOf(7), 2);
    QCOMPARE(QString::fromStdString(document.reviewState().noteOf(9)), QStringLiteral("sleeves"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.front().front().value<QVector<int>>(), QVector<int>({4, 7, 9}));

    document.accept({11});
    QCOMPARE(document.reviewState().acceptedCount(), 1);
    // The accept stores the consensus the curator saw and the run it came from.
    QCOMPARE(document.reviewState().decisionRow(11)->label, document.aggregation()->labels[11]);
    QCOMPARE(document.reviewState().decisionRow(11)->run, document.aggregationRunId());

    document.undoStack()->undo();
    document.undoStack()->undo();
    QCOMPARE(document.reviewState().decidedCount(), 0);
    document.undoStack()->redo();
    QCOMPARE(document.reviewState().relabelledCount(), 3);
    QCOMPARE(document.reviewState().acceptedCount(), 0);

    // 3 relabels + 1 accept, 4 undo rows, 3 redo rows: every step is in the store.
    const std::vector<Decision> log = document.project()->decisions();
    QCOMPARE(static_cast<int>(log.size()), 11);
    QCOMPARE(static_cast<int>(std::count_if(log.begin(), log.end(),
                                            [](const Decision& d) { return d.status == "undo"; })),
             4);
    // One user action, one time: the bulk relabel's rows share it.
    QCOMPARE(log[0].time, log[2].time);
    QCOMPARE(loadReviewState(*document.project()).relabelledCount(), 3);
}

void TestReview::acceptWithoutRunIsRefused()
{
    const QString path = createProject("norun", false);
    ProjectDocument document;
    waitLoaded(&document, path);
    QVERIFY(!document.aggregation());
    QSignalSpy errors(&document, &ProjectDocument::reviewError);
    document.accept({11});
    QCOMPARE(errors.count(), 1);
    QCOMPARE(document.reviewState().acceptedCount(), 0);
    QCOMPARE(document.undoStack()->count(), 0);
    QVERIFY(document.project()->decisions().empty());
}

// The curator accepts the majority vote's label for an item Dawid-Skene labels otherwise; a
// Dawid-Skene run finishes (announced, not active), is made active, and the project reopened:
// the accept keeps the label the curator saw, in the store, the grid, the inspector and export.
void TestReview::acceptKeepsItsLabelAcrossRunsAndReopen()
{
    const QString path = createProject("keeps");
    const AggregationResult mv = aggregate("mv", demo_);
    const AggregationResult ds = aggregate("ds", demo_);
    int item = -1;
    for (int i = 0; i < kDemoItems && item < 0; ++i)
        if (mv.labels[static_cast<std::size_t>(i)] != ds.labels[static_cast<std::size_t>(i)])
            item = i;
    QVERIFY(item >= 0);
    const int seen = mv.labels[static_cast<std::size_t>(item)];
    const int later = ds.labels[static_cast<std::size_t>(item)];
    const auto className = [this](int label) { return QString::fromStdString(demo_.classNames[static_cast<std::size_t>(label)]); };
    const auto checkAccepted = [&](MainWindow& window) {
        ProjectDocument* document = window.document();
        QCOMPARE(document->reviewState().kindOf(item), ReviewKind::Accept);
        QCOMPARE(document->reviewState().decidedLabelOf(item), seen);
        QCOMPARE(document->reviewState().labelOf(item, document->aggregation()->labels[static_cast<std::size_t>(item)]), seen);
        const FinalLabels final = finalLabels(document->dataset(), *document->aggregation(), document->reviewState(),
                                              LabelQualityMethod::SelfConfidence, document->aggregationRunId());
        QCOMPARE(final.labels[static_cast<std::size_t>(item)], seen);
        InspectorPanel* inspector = window.reviewPage()->inspector();
        inspector->setSelection(item, {item});
        const QString text = inspector->decisionLabel()->text();
        QVERIFY2(text.startsWith(QStringLiteral("Consensus accepted · %1 (run 1)").arg(className(seen))), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("the active run says %1").arg(className(later))), qPrintable(text));
    };
    std::int64_t dsRun = 0;
    {
        MainWindow window;
        waitLoaded(window.document(), path);
        ProjectDocument* document = window.document();
        QCOMPARE(document->aggregationRunId(), std::int64_t(1));
        document->accept({item});
        QCOMPARE(document->reviewState().decisionRow(item)->label, seen);

        QSignalSpy announced(document, &ProjectDocument::runAnnounced);
        const int job = window.runsPage()->startRun(QStringLiteral("ds"));
        QVERIFY(job != 0);
        QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
        QCOMPARE(announced.count(), 1);
        dsRun = announced.front().at(0).value<std::int64_t>();
        // Announced, not active: the item still shows the label accepted under run 1.
        QCOMPARE(document->aggregationRunId(), std::int64_t(1));
        // No truth in this demo: the run's line names it without an accuracy.
        QCOMPARE(window.reviewPage()->activeRunLabel()->text(), QStringLiteral("Run 1 · Majority vote (mv)"));
        QVERIFY(document->setActiveRun(dsRun));
        QVERIFY2(window.reviewPage()->activeRunLabel()->text().startsWith(QStringLiteral("Run %1 · Dawid-Skene (ds)").arg(dsRun)),
                 qPrintable(window.reviewPage()->activeRunLabel()->text()));
        QCOMPARE(document->aggregation()->labels[static_cast<std::size_t>(item)], later);
        checkAccepted(window);
    }
    MainWindow window;
    waitLoaded(window.document(), path);
    QCOMPARE(window.document()->aggregationRunId(), dsRun);
    checkAccepted(window);
}

void TestReview::failedUndoKeepsTheStepInForce()
{
    const QString path = createProject("locked");
    ProjectDocument document;
    waitLoaded(&document, path);
    document.relabel({4, 7}, 2);
    QCOMPARE(document.project()->decisions().size(), std::size_t(2));

    // Another connection holds the write lock past the store's busy timeout: the undo fails.
    {
        SQLite::Database other(path.toStdString(), SQLite::OPEN_READWRITE);
        other.exec("BEGIN EXCLUSIVE");
        QSignalSpy errors(&document, &ProjectDocument::reviewError);
        document.undoStack()->undo();
        QCOMPARE(errors.count(), 1);
        QCOMPARE(document.reviewState().decisionOf(7), 2);
        other.exec("ROLLBACK");
    }
    QCOMPARE(document.project()->decisions().size(), std::size_t(2));
    // Redoing the failed undo writes nothing: the rows are still in force.
    document.undoStack()->redo();
    QCOMPARE(document.project()->decisions().size(), std::size_t(2));
    QCOMPARE(document.reviewState().relabelledCount(), 2);
    // And the step can be undone once the store accepts writes again.
    document.undoStack()->undo();
    QCOMPARE(document.reviewState().decidedCount(), 0);
    QCOMPARE(document.project()->decisions().size(), std::size_t(4));
}

void TestReview::reopenedLogCanBeUndone()
{
    const QString path = createProject("reopen");
    {
        ProjectDocument document;
        waitLoaded(&document, path);
        document.relabel({1, 2}, 5);
        document.relabel({3}, 6);
        document.accept({8});
    }
    ProjectDocument document;
    waitLoaded(&document, path);
    const ReviewState& state = document.reviewState();
    QCOMPARE(state.relabelledCount(), 3);
    QCOMPARE(state.acceptedCount(), 1);
    QCOMPARE(state.decisionOf(3), 6);
    // The three steps come back as three undoable commands.
    QCOMPARE(document.undoStack()->count(), 3);
    QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Accept 1 item(s)"));
    document.undoStack()->undo();
    document.undoStack()->undo();
    QCOMPARE(document.reviewState().acceptedCount(), 0);
    QCOMPARE(document.reviewState().decisionOf(3), -1);
    QCOMPARE(document.reviewState().decisionOf(1), 5);
    document.undoStack()->redo();
    QCOMPARE(document.reviewState().decisionOf(3), 6);
}

void TestReview::keyMapping()
{
    const QString path = createProject("keys");
    ProjectDocument document;
    waitLoaded(&document, path);
    InspectorPanel inspector(&document);
    QCOMPARE(inspector.classForKey(Qt::Key_1), 0);
    QCOMPARE(inspector.classForKey(Qt::Key_9), 8);
    QCOMPARE(inspector.classForKey(Qt::Key_0), 9);
    // The demo has ten classes: no letter is bound.
    QCOMPARE(inspector.classForKey(Qt::Key_A), -1);
    QCOMPARE(InspectorPanel::keyForClass(9), QStringLiteral("0"));
    QCOMPARE(InspectorPanel::keyForClass(10), QStringLiteral("A"));
}

void TestReview::reviewByKeys()
{
    const QString path = createProject("gui", false);
    std::vector<int> relabelled;
    {
        MainWindow window;
        ProjectDocument* document = window.document();
        waitLoaded(document, path);
        window.showPage(MainWindow::Page::Review);
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ReviewPage* page = window.reviewPage();
        QVERIFY(!document->aggregation());
        QVERIFY(page->runButton()->isVisible());
        // Without a run there is no consensus to count by: no class rows (the list once read a
        // count per dataset class from a query that had none, past its end).
        QCOMPARE(page->classList()->topLevelItemCount(), 0);

        QSignalSpy finished(page, &ReviewPage::runFinished);
        QTest::mouseClick(page->runButton(), Qt::LeftButton);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.front().front().toBool(), true);
        QVERIFY(document->aggregation());
        QVERIFY(document->aggregationRunId() > 0);
        QCOMPARE(latestAggregationRun(*document->project()), document->aggregationRunId());
        // The run went through the window's job manager: the Jobs panel lists it.
        const std::vector<int> jobIds = window.jobManager()->jobIds();
        QCOMPARE(static_cast<int>(jobIds.size()), 1);
        QCOMPARE(window.jobManager()->job(jobIds.front()).status, JobStatus::Finished);
        QCOMPARE(static_cast<int>(page->categories().size()), kDemoItems);

        // Shirts (class 6) are the class the simulated confusers garble: all bands are busy.
        page->showClass(6);
        int classSize = 0;
        for (Triage t : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
            classSize += page->bandModel(t)->rowCount();
            for (int row = 0; row < page->bandModel(t)->rowCount(); ++row)
                QCOMPARE(document->aggregation()->labels[page->bandModel(t)->itemAt(row)], 6);
        }
        QVERIFY(classSize > 0);

        // A stricter rule moves items out of the easy band into need-review, live: exactly the
        // class's items that the core rule no longer calls easy; the hard band and the class's
        // size stay.
        const auto classCounts = [&](const TriageRule& rule) {
            const std::vector<Triage> categories = triage(document->dataset(), *document->aggregation(), rule);
            std::vector<int> counts(3, 0);
            for (std::size_t i = 0; i < categories.size(); ++i)
                if (document->aggregation()->labels[i] == 6)
                    ++counts[static_cast<std::size_t>(categories[i])];
            return counts;
        };
        const auto bandCounts = [&] {
            return std::vector<int>{page->bandModel(Triage::Easy)->rowCount(), page->bandModel(Triage::NeedReview)->rowCount(),
                                    page->bandModel(Triage::Hard)->rowCount()};
        };
        const TriageRule before = page->rule();
        QCOMPARE(bandCounts(), classCounts(before));
        TriageRule stricter = before;
        stricter.easyPosterior = 1.0;
        const std::vector<int> expected = classCounts(stricter);
        const int moved = classCounts(before)[0] - expected[0];
        QVERIFY2(moved > 0, "the stricter rule must move some of class 6 out of the easy band");
        page->findChild<QDoubleSpinBox*>(QStringLiteral("easyPosterior"))->setValue(1.0);
        QVERIFY(page->rule() == stricter);
        QCOMPARE(bandCounts(), expected);
        QCOMPARE(expected[1], classCounts(before)[1] + moved);
        QCOMPARE(expected[2], classCounts(before)[2]);
        page->setRule(TriageRule());

        Triage busiest = Triage::Easy;
        for (Triage t : {Triage::NeedReview, Triage::Hard}) {
            if (page->bandModel(t)->rowCount() > page->bandModel(busiest)->rowCount())
                busiest = t;
        }
        QListView* view = page->band(busiest);
        ThumbnailGridModel* model = page->bandModel(busiest);
        QVERIFY(model->rowCount() >= 4);

        // Only what is visible is decoded; the first tile gets its pixmap.
        QTRY_VERIFY_WITH_TIMEOUT(!model->data(model->index(0), Qt::DecorationRole).value<QPixmap>().isNull(),
                                 kTimeoutMs);

        view->setFocus();
        view->setCurrentIndex(model->index(0));
        QCOMPARE(page->inspector()->currentItem(), model->itemAt(0));
        QVERIFY(page->inspector()->votesTree()->topLevelItemCount() >= 3);
        QCOMPARE(page->inspector()->posteriorTree()->topLevelItemCount(), 10);
        {
            // Self-confidence of the consensus label is its posterior.
            const int item = model->itemAt(0);
            const int consensus = document->aggregation()->labels[static_cast<std::size_t>(item)];
            const QString expected = QString::number(document->aggregation()->posteriors(item, consensus), 'f', 2);
            QVERIFY2(page->inspector()->qualityLabel()->text().contains("self-confidence " + expected),
                     qPrintable(page->inspector()->qualityLabel()->text()));
        }
        for (int row = 0; row < 3; ++row)
            relabelled.push_back(model->itemAt(row));
        // Key 3 = class 2 (Pullover); each decision moves on to the next tile.
        for (int i = 0; i < 3; ++i)
            QTest::keyClick(view, Qt::Key_3);
        QCOMPARE(document->reviewState().relabelledCount(), 3);
        for (int item : relabelled)
            QCOMPARE(document->reviewState().decisionOf(item), 2);
        QCOMPARE(view->currentIndex().row(), 3);
        QCOMPARE(model->data(model->index(0), ThumbnailGridModel::DecidedRole).toBool(), true);
        QCOMPARE(model->data(model->index(0), Qt::DisplayRole).toString(),
                 QString::fromStdString(document->dataset().classNames[2]));

        window.undoAction()->trigger();
        QCOMPARE(document->reviewState().relabelledCount(), 2);
        QCOMPARE(document->reviewState().decisionOf(relabelled[2]), -1);
    }
    Project project = Project::open(path.toStdString());
    const ReviewState state = loadReviewState(project);
    QCOMPARE(state.decidedCount(), 2);
    QCOMPARE(state.decisionOf(relabelled[0]), 2);
    QCOMPARE(state.decisionOf(relabelled[1]), 2);
    QCOMPARE(state.isDecided(relabelled[2]), false);
    QVERIFY(latestAggregationRun(project) > 0);
}

QTEST_MAIN(TestReview)
#include "test_review.moc"
