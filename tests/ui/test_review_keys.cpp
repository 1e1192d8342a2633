// The Review tab from the keyboard, as a curator drives it: real widgets, real key events, a
// window of laptop size.
#include "inspectorpanel.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "thumbnailgridmodel.h"

#include "demo_project.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QLineEdit>
#include <QListView>
#include <QMap>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeWidget>
#include <QUndoStack>
#include <QtTest>

#include <array>
#include <memory>
#include <set>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;
constexpr std::array<Triage, 3> kBands{Triage::Easy, Triage::NeedReview, Triage::Hard};
// A 1366 x 768 laptop, or 1920 x 1080 at 150 %, less the panel and the title bar.
const QSize kLaptop(1280, 680);

// Clicks `answer` on every message box that opens while it lives, counting them.
class MessageBoxAnswerer {
public:
    explicit MessageBoxAnswerer(QMessageBox::StandardButton answer)
    {
        QObject::connect(&timer_, &QTimer::timeout, [this, answer] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                ++asked_;
                box->button(answer)->click();
            }
        });
        timer_.start(10);
    }
    int asked() const { return asked_; }

private:
    QTimer timer_;
    int asked_ = 0;
};

}  // namespace

class TestReviewKeys : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void redoByBothShortcuts();
    void enterInTheNoteReturnsToTheGrid();
    void columnsStayWhileArrowing();
    void arrowsCrossBandsAndClasses();
    void bulkActionBeyondAScreenfulAsks_data();
    void bulkActionBeyondAScreenfulAsks();
    void windowFitsALaptop();

private:
    // The band whose current tile is selected; nullptr when none.
    QListView* currentView() const;
    int columnsOf(const QListView* view) const;
    // Makes `row` of `triage`'s band current with the keyboard focus on it.
    void focusTile(Triage triage, int row);

    QTemporaryDir dir_;
    Dataset dataset_;
    int projects_ = 0;
    std::unique_ptr<MainWindow> window_;
    ReviewPage* page_ = nullptr;
    ProjectDocument* document_ = nullptr;
};

void TestReviewKeys::initTestCase()
{
    QVERIFY(dir_.isValid());
    dataset_ = testing::readSmallDemo(dir_.path() + "/demo", kDemoItems);
    QCOMPARE(dataset_.itemCount(), kDemoItems);
}

void TestReviewKeys::init()
{
    // A fresh project with a Dawid-Skene run per case, in a laptop-sized window on the Review tab.
    const QString path = dir_.path() + QStringLiteral("/keys%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(path, dataset_);
    window_ = std::make_unique<MainWindow>();
    document_ = window_->document();
    page_ = window_->reviewPage();
    QSignalSpy loaded(document_, &ProjectDocument::loaded);
    document_->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
    QVERIFY(document_->aggregation());
    window_->showPage(MainWindow::Page::Review);
    window_->resize(kLaptop);
    window_->show();
    QApplication::setActiveWindow(window_.get());
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
}

void TestReviewKeys::cleanup()
{
    window_.reset();
}

QListView* TestReviewKeys::currentView() const
{
    for (Triage triage : kBands) {
        QListView* view = page_->band(triage);
        if (view->selectionModel()->hasSelection() && view->currentIndex().isValid())
            return view;
    }
    return nullptr;
}

int TestReviewKeys::columnsOf(const QListView* view) const
{
    return std::max(1, view->viewport()->width() / view->gridSize().width());
}

void TestReviewKeys::focusTile(Triage triage, int row)
{
    QListView* view = page_->band(triage);
    view->setFocus();
    // Not setCurrentIndex, which reads the keyboard modifiers that QTest's key clicks leave.
    view->selectionModel()->setCurrentIndex(page_->bandModel(triage)->index(row), QItemSelectionModel::ClearAndSelect);
    QTRY_COMPARE(QApplication::focusWidget(), view);
}

// Ctrl+Shift+Z was bound twice (explicitly and through QKeySequence::Redo), and Qt answers an
// ambiguous shortcut by doing nothing.
void TestReviewKeys::redoByBothShortcuts()
{
    page_->showClass(ReviewPage::AllClasses);
    focusTile(Triage::Hard, 0);
    QListView* view = page_->band(Triage::Hard);
    const int item = page_->bandModel(Triage::Hard)->itemAt(0);
    const ReviewState& state = document_->reviewState();

    QTest::keyClick(view, Qt::Key_3);
    QCOMPARE(state.decisionOf(item), 2);
    focusTile(Triage::Easy, 0);  // the curator went on elsewhere
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(state.decisionOf(item), -1);
    // Undo brings the selection back to the item whose decision it took back.
    QCOMPARE(currentView(), view);
    QCOMPARE(page_->bandModel(Triage::Hard)->itemAt(view->currentIndex().row()), item);
    QCOMPARE(view->selectionModel()->selectedIndexes().size(), 1);
    QCOMPARE(page_->inspector()->currentItem(), item);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(state.decisionOf(item), 2);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(state.decisionOf(item), -1);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Y, Qt::ControlModifier);
    QCOMPARE(state.decisionOf(item), 2);
    QCOMPARE(document_->undoStack()->index(), 1);

    // What QKeySequence::Redo means depends on the platform (Ctrl+Shift+Z on X11, Ctrl+Y here
    // offscreen), so the keys above alone cannot catch a double binding: no key may be bound
    // twice, and redo's keys are spelled out.
    QCOMPARE(window_->redoAction()->shortcuts(),
             QList<QKeySequence>({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)}));
    QMap<QKeySequence, QString> bound;
    for (const QAction* action : window_->findChildren<QAction*>()) {
        for (const QKeySequence& key : action->shortcuts()) {
            QVERIFY2(!bound.contains(key), qPrintable(key.toString() + " bound to " + bound.value(key) + " and "
                                                      + action->text()));
            bound.insert(key, action->text());
        }
    }
}

// Enter in the note used to reach the page as "accept the consensus" and leave the keys in the
// note, so that the next digit was typed into it.
void TestReviewKeys::enterInTheNoteReturnsToTheGrid()
{
    page_->showClass(ReviewPage::AllClasses);
    focusTile(Triage::NeedReview, 0);
    QListView* view = page_->band(Triage::NeedReview);
    const int item = page_->bandModel(Triage::NeedReview)->itemAt(0);
    QLineEdit* note = page_->inspector()->noteEdit();
    QTest::mouseClick(note, Qt::LeftButton);
    QTRY_COMPARE(QApplication::focusWidget(), note);
    QTest::keyClicks(note, QStringLiteral("collar"));
    QTest::keyClick(note, Qt::Key_Return);
    QCOMPARE(QApplication::focusWidget(), view);
    QCOMPARE(document_->reviewState().decidedCount(), 0);
    QCOMPARE(view->currentIndex().row(), 0);

    QTest::keyClick(QApplication::focusWidget(), Qt::Key_3);
    QCOMPARE(document_->reviewState().decisionOf(item), 2);
    QCOMPARE(QString::fromStdString(document_->reviewState().noteOf(item)), QStringLiteral("collar"));
    QCOMPARE(note->text(), QString());
}

// The inspector used to size itself to its text, and the grid beside it went from 7 to 6
// columns and back while arrowing.
void TestReviewKeys::columnsStayWhileArrowing()
{
    page_->showClass(ReviewPage::AllClasses);
    // Items with long notes, with and without spaces, among short ones.
    const int longItem = page_->bandModel(Triage::Easy)->itemAt(1);
    const int unbroken = page_->bandModel(Triage::Easy)->itemAt(3);
    document_->relabel({longItem}, 0, QString(QStringLiteral("a long note that goes on ")).repeated(12));
    document_->relabel({unbroken}, 9, QString(QStringLiteral("x")).repeated(300));
    focusTile(Triage::Easy, 0);
    // Per band: a band without a scroll bar is wider than one with.
    std::array<std::set<int>, 3> viewportWidths;
    std::array<std::set<int>, 3> columns;
    std::set<int> inspectorWidths;
    for (int step = 0; step < 40; ++step) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
        QApplication::processEvents();
        QListView* view = currentView();
        QVERIFY(view);
        for (Triage triage : kBands) {
            viewportWidths[static_cast<std::size_t>(triage)].insert(page_->band(triage)->viewport()->width());
            columns[static_cast<std::size_t>(triage)].insert(columnsOf(page_->band(triage)));
        }
        inspectorWidths.insert(page_->inspector()->width());
    }
    QCOMPARE(inspectorWidths.size(), std::size_t(1));
    for (Triage triage : kBands) {
        QCOMPARE(viewportWidths[static_cast<std::size_t>(triage)].size(), std::size_t(1));
        QCOMPARE(columns[static_cast<std::size_t>(triage)].size(), std::size_t(1));
        QVERIFY(*columns[static_cast<std::size_t>(triage)].begin() >= 4);
    }
}

void TestReviewKeys::arrowsCrossBandsAndClasses()
{
    // Find a class whose three bands all hold items, and one after it with items.
    int label = -1;
    for (int candidate = 0; candidate < dataset_.classCount() - 1 && label < 0; ++candidate) {
        page_->showClass(candidate);
        bool full = true;
        for (Triage triage : kBands)
            full = full && page_->bandModel(triage)->rowCount() > 0;
        if (full)
            label = candidate;
    }
    QVERIFY(label >= 0);
    const ThumbnailGridModel* easy = page_->bandModel(Triage::Easy);
    const ThumbnailGridModel* review = page_->bandModel(Triage::NeedReview);
    const ThumbnailGridModel* hard = page_->bandModel(Triage::Hard);
    const int lineLength = columnsOf(page_->band(Triage::Easy));

    // Right past the last easy tile: the first tile to review; Left: back.
    focusTile(Triage::Easy, easy->rowCount() - 1);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
    QCOMPARE(currentView(), page_->band(Triage::NeedReview));
    QCOMPARE(QApplication::focusWidget(), page_->band(Triage::NeedReview));
    QCOMPARE(page_->band(Triage::NeedReview)->currentIndex().row(), 0);
    QCOMPARE(page_->inspector()->currentItem(), review->itemAt(0));
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Left);
    QCOMPARE(currentView(), page_->band(Triage::Easy));
    QCOMPARE(page_->band(Triage::Easy)->currentIndex().row(), easy->rowCount() - 1);

    // Down from the last line to review: the hard band's first line, the same column where it
    // has one; Up: back to the last line of the band above.
    const int lastLine = (review->rowCount() - 1) / lineLength * lineLength;
    focusTile(Triage::NeedReview, lastLine);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Down);
    QCOMPARE(currentView(), page_->band(Triage::Hard));
    QCOMPARE(page_->band(Triage::Hard)->currentIndex().row(), 0);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Up);
    QCOMPARE(currentView(), page_->band(Triage::NeedReview));
    QCOMPARE(page_->band(Triage::NeedReview)->currentIndex().row(), lastLine);

    // Inside a band the view moves itself.
    if (review->rowCount() > 1) {
        focusTile(Triage::NeedReview, 0);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
        QCOMPARE(currentView(), page_->band(Triage::NeedReview));
        QCOMPARE(page_->band(Triage::NeedReview)->currentIndex().row(), 1);
    }

    // Past the last hard tile: the next class with items, from its first tile.
    focusTile(Triage::Hard, hard->rowCount() - 1);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Right);
    QVERIFY(page_->currentClass() > label);
    const int next = page_->currentClass();
    QListView* first = currentView();
    QVERIFY(first);
    QCOMPARE(first->currentIndex().row(), 0);
    QCOMPARE(document_->aggregation()->labels[static_cast<std::size_t>(page_->inspector()->currentItem())], next);
    QCOMPARE(page_->classList()->currentItem()->data(0, Qt::UserRole).toInt(), next);
    // Left goes back to the last tile of the class before.
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Left);
    QCOMPARE(page_->currentClass(), label);
    QCOMPARE(currentView(), page_->band(Triage::Hard));
    QCOMPARE(page_->band(Triage::Hard)->currentIndex().row(), hard->rowCount() - 1);
}

void TestReviewKeys::bulkActionBeyondAScreenfulAsks_data()
{
    QTest::addColumn<bool>("relabel");
    QTest::addColumn<bool>("yes");
    QTest::newRow("relabel, no") << true << false;
    QTest::newRow("relabel, yes") << true << true;
    QTest::newRow("accept, no") << false << false;
    QTest::newRow("accept, yes") << false << true;
}

void TestReviewKeys::bulkActionBeyondAScreenfulAsks()
{
    QFETCH(bool, relabel);
    QFETCH(bool, yes);
    page_->showClass(ReviewPage::AllClasses);
    Triage busiest = Triage::Easy;
    for (Triage triage : kBands) {
        if (page_->bandModel(triage)->rowCount() > page_->bandModel(busiest)->rowCount())
            busiest = triage;
    }
    QListView* view = page_->band(busiest);
    const int count = page_->bandModel(busiest)->rowCount();
    const int visible = columnsOf(view) * ((view->viewport()->height() + view->gridSize().height() - 1)
                                           / view->gridSize().height());
    QVERIFY2(count > visible, qPrintable(QStringLiteral("%1 tiles, %2 visible").arg(count).arg(visible)));
    const Qt::Key key = relabel ? Qt::Key_3 : Qt::Key_Return;

    // Two tiles: no question.
    {
        focusTile(busiest, 0);
        view->selectionModel()->select(page_->bandModel(busiest)->index(1), QItemSelectionModel::Select);
        QCOMPARE(page_->inspector()->selection().size(), 2);
        MessageBoxAnswerer answerer(QMessageBox::No);
        QTest::keyClick(view, key);
        QCOMPARE(answerer.asked(), 0);
        QCOMPARE(document_->reviewState().decidedCount(), 2);
    }
    // The whole band: a question first.
    focusTile(busiest, 0);
    view->selectAll();
    QCOMPARE(static_cast<int>(page_->inspector()->selection().size()), count);
    MessageBoxAnswerer answerer(yes ? QMessageBox::Yes : QMessageBox::No);
    QTest::keyClick(view, key);
    QCOMPARE(answerer.asked(), 1);
    QCOMPARE(document_->reviewState().decidedCount(), yes ? count : 2);
    if (yes && relabel)
        QCOMPARE(document_->reviewState().relabelledCount(), count);
}

// The Review tab needed 1102 x 775 and did not fit a 1366 x 768 laptop.
void TestReviewKeys::windowFitsALaptop()
{
    const QSize minimum = window_->minimumSizeHint();
    QVERIFY2(minimum.width() <= kLaptop.width() && minimum.height() <= kLaptop.height(),
             qPrintable(QStringLiteral("%1 x %2").arg(minimum.width()).arg(minimum.height())));
    QCOMPARE(window_->size(), kLaptop);
}

QTEST_MAIN(TestReviewKeys)
#include "test_review_keys.moc"
