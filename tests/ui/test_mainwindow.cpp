#include "annotatorspage.h"
#include "annotatortablemodel.h"
#include "classtablemodel.h"
#include "mainwindow.h"
#include "overviewpage.h"
#include "projectdocument.h"
#include "tableroles.h"
#include "testdata.h"

#include "data/dataset.h"
#include "data/formats.h"
#include "images/demo.h"
#include "project/store.h"
#include "util/progress.h"

#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace crowdsift;

namespace {

constexpr int kLoadTimeoutMs = 30000;
const QString kDogAnswers = QStringLiteral("datasets/dog-zhou/datasets/s4_Dog data/answer.csv");

// Five pet photos, three annotators, three classes; every number below is counted by hand.
//   annotator "1":  img-1 cat, img-2 dog, img-3 bird, img-4 cat, img-5 dog   (5 labels, 3 classes)
//   annotator "2":  img-1 cat, img-2 dog, img-3 dog                          (3 labels, 2 classes)
//   annotator "10": img-1 bird                                               (1 label,  1 class)
// Votes: cat 3, dog 4, bird 2. Truth: cat, dog, bird, cat, unknown -> cat 2, dog 1, bird 1.
Dataset petsDataset()
{
    Dataset d;
    d.name = "pets-test";
    d.source = "built by hand in test_mainwindow";
    d.format = "test";
    d.classNames = {"cat", "dog", "bird"};
    d.itemKeys = {"img-1", "img-2", "img-3", "img-4", "img-5"};
    d.splits.assign(5, Split::Train);
    d.imagePaths.assign(5, "");
    d.annotatorIds = {"1", "2", "10"};
    d.truth = {0, 1, 2, 0, -1};
    const std::vector<Answer> answers = {
        {0, 0, 0}, {1, 0, 1}, {2, 0, 2}, {3, 0, 0}, {4, 0, 1},
        {0, 1, 0}, {1, 1, 1}, {2, 1, 1},
        {0, 2, 2},
    };
    d.answers = Answers::fromTriplets(5, 3, answers);
    d.validate();
    return d;
}

QString number(qlonglong value)
{
    return QLocale().toString(value);
}

QString cell(const QAbstractItemModel* model, int row, int column, int role = Qt::DisplayRole)
{
    const QVariant value = model->index(row, column).data(role);
    return value.userType() == QMetaType::LongLong || value.userType() == QMetaType::Int
               ? number(value.toLongLong())
               : value.toString();
}

QString summaryValue(const MainWindow& window, const char* name)
{
    auto* label = window.findChild<QLabel*>(QString::fromLatin1(name));
    return label ? label->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(name));
}

bool waitForLoad(MainWindow& window)
{
    return QTest::qWaitFor([&window] { return !window.document()->isLoading(); }, kLoadTimeoutMs);
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString petsProject_;

private Q_SLOTS:
    void initTestCase();
    void startsOnTheStartPage();
    void opensAProject();
    void annotatorTableSortsAndFilters();
    void badInputShowsAnErrorAndKeepsTheWindowUsable_data();
    void badInputShowsAnErrorAndKeepsTheWindowUsable();
    void readWarningsAreShownAfterALoad();
    void opensTheDogAnswersAsADataset();
    void opensTheDemoProject();
    void cancelKeepsThePreviousDocument();
    void aNewOpenSupersedesARunningOne();
    void closingWhileLoadingIsSafe();
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(tmp_.isValid());
    petsProject_ = tmp_.filePath(QStringLiteral("pets.csift"));
    Project::create(QFile::encodeName(petsProject_).toStdString(), petsDataset(), Progress::none());
    QVERIFY(Project::looksLikeProject(QFile::encodeName(petsProject_).toStdString()));
}

void TestMainWindow::startsOnTheStartPage()
{
    MainWindow window;
    window.show();
    auto* stack = window.findChild<QStackedWidget*>();
    QVERIFY(stack);
    QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("startPage"));
    QCOMPARE(window.windowTitle(), QStringLiteral("Crowdsift"));
    QVERIFY(!window.document()->hasDataset());
    QVERIFY(!window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());
}

void TestMainWindow::opensAProject()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy started(window.document(), &ProjectDocument::loadStarted);
    window.openPath(petsProject_);
    QCOMPARE(started.count(), 1);
    QVERIFY(window.document()->isLoading());
    QVERIFY(waitForLoad(window));
    QCOMPARE(loaded.count(), 1);

    QVERIFY(window.document()->project() != nullptr);
    QCOMPARE(window.windowTitle(), QStringLiteral("pets-test — Crowdsift"));
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("pages"));
    QVERIFY(tabs);
    QCOMPARE(window.findChild<QStackedWidget*>()->currentWidget(), tabs);
    // A build with core/learn (CROWDSIFT_HAVE_LEARN, from crowdsift_learn) adds the Learning tab
    // after Runs; one without has none. The build decides, not what the window happens to show.
    QCOMPARE(tabs->tabText(0), QStringLiteral("Overview"));
    QCOMPARE(tabs->tabText(1), QStringLiteral("Annotators"));
    QCOMPARE(tabs->tabText(2), QStringLiteral("Review"));
    QCOMPARE(tabs->tabText(3), QStringLiteral("Runs"));
#ifdef CROWDSIFT_HAVE_LEARN
    QVERIFY(window.learnPage());
    QCOMPARE(tabs->count(), 5);
    QCOMPARE(tabs->tabText(4), QStringLiteral("Learning"));
#else
    QVERIFY(!window.learnPage());
    QCOMPARE(tabs->count(), 4);
#endif
    QVERIFY(!window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());

    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
    QCOMPARE(summaryValue(window, "annotatorsValue"), number(3));
    QCOMPARE(summaryValue(window, "answersValue"), number(9));
    QCOMPARE(summaryValue(window, "classesValue"), number(3));
    // Per item 3, 2, 2, 1, 1; per annotator 5, 3, 1.
    QCOMPARE(summaryValue(window, "answersPerItemValue"),
             QStringLiteral("1 – 3, median 2, mean %1").arg(QLocale().toString(1.8, 'f', 2)));
    QCOMPARE(summaryValue(window, "answersPerAnnotatorValue"),
             QStringLiteral("1 – 5, median 3, mean %1").arg(QLocale().toString(3.0, 'f', 2)));
    QVERIFY(summaryValue(window, "truthValue").startsWith(number(4) + QLatin1Char(' ')));
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("datasetTitle"))->text(), QStringLiteral("pets-test"));

    const QAbstractItemModel* classes = window.overviewPage()->classTable()->model();
    QCOMPARE(classes->rowCount(), 3);
    QCOMPARE(classes->columnCount(), 5);
    const QStringList names = {QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("bird")};
    const QList<int> votes = {3, 4, 2};
    const QList<int> truth = {2, 1, 1};
    for (int k = 0; k < 3; ++k) {
        QCOMPARE(cell(classes, k, ClassTableModel::IndexColumn), number(k));
        QCOMPARE(cell(classes, k, ClassTableModel::NameColumn), names[k]);
        QCOMPARE(cell(classes, k, ClassTableModel::VotesColumn), number(votes[k]));
        QCOMPARE(cell(classes, k, ClassTableModel::TruthColumn), number(truth[k]));
        // The text is the share of all 9 votes, the bar is relative to the most voted class (dog, 4).
        QCOMPARE(classes->index(k, ClassTableModel::ShareColumn).data(SortRole).toDouble(), votes[k] / 9.0);
        QCOMPARE(classes->index(k, ClassTableModel::ShareColumn).data(FractionRole).toDouble(), votes[k] / 4.0);
    }
    QCOMPARE(cell(classes, 1, ClassTableModel::ShareColumn), QLocale().toString(100.0 * 4 / 9, 'f', 1) + QStringLiteral(" %"));
    QCOMPARE(int(classes->index(0, ClassTableModel::VotesColumn).data(Qt::TextAlignmentRole).toInt() & Qt::AlignRight),
             int(Qt::AlignRight));

    // Sorting the class table by votes puts dog (4) first.
    window.overviewPage()->classTable()->sortByColumn(ClassTableModel::VotesColumn, Qt::DescendingOrder);
    QCOMPARE(cell(classes, 0, ClassTableModel::NameColumn), QStringLiteral("dog"));
    QCOMPARE(cell(classes, 2, ClassTableModel::NameColumn), QStringLiteral("bird"));

    const QAbstractItemModel* annotators = window.annotatorsPage()->annotatorTable()->model();
    QCOMPARE(annotators->rowCount(), 3);
    QCOMPARE(annotators->columnCount(), int(AnnotatorTableModel::ColumnCount));
    const QStringList ids = {QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("10")};
    const QList<int> labels = {5, 3, 1};
    const QList<int> classesUsed = {3, 2, 1};
    for (int row = 0; row < 3; ++row) {
        QCOMPARE(cell(annotators, row, AnnotatorTableModel::IdColumn), ids[row]);
        QCOMPARE(cell(annotators, row, AnnotatorTableModel::LabelsColumn), number(labels[row]));
        QCOMPARE(cell(annotators, row, AnnotatorTableModel::ClassesUsedColumn), number(classesUsed[row]));
    }
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("annotatorCount"))->text(), QStringLiteral("3 annotators"));
    QVERIFY(window.findChild<QLabel*>(QStringLiteral("countsLabel"))->text().contains(number(9) + QStringLiteral(" answers")));
}

void TestMainWindow::annotatorTableSortsAndFilters()
{
    MainWindow window;
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    QTableView* table = window.annotatorsPage()->annotatorTable();
    const QAbstractItemModel* model = table->model();

    // Ids are numbers, so they sort numerically: 10 after 2, not between 1 and 2.
    table->sortByColumn(AnnotatorTableModel::IdColumn, Qt::DescendingOrder);
    QCOMPARE(cell(model, 0, AnnotatorTableModel::IdColumn), QStringLiteral("10"));
    QCOMPARE(cell(model, 1, AnnotatorTableModel::IdColumn), QStringLiteral("2"));
    QCOMPARE(cell(model, 2, AnnotatorTableModel::IdColumn), QStringLiteral("1"));

    table->sortByColumn(AnnotatorTableModel::ClassesUsedColumn, Qt::AscendingOrder);
    QCOMPARE(cell(model, 0, AnnotatorTableModel::IdColumn), QStringLiteral("10"));
    QCOMPARE(cell(model, 2, AnnotatorTableModel::IdColumn), QStringLiteral("1"));

    table->sortByColumn(AnnotatorTableModel::LabelsColumn, Qt::DescendingOrder);
    QCOMPARE(cell(model, 0, AnnotatorTableModel::LabelsColumn), number(5));
    QCOMPARE(model->index(0, AnnotatorTableModel::LabelsColumn).data(FractionRole).toDouble(), 1.0);
    QCOMPARE(model->index(2, AnnotatorTableModel::LabelsColumn).data(FractionRole).toDouble(), 1.0 / 5.0);

    window.annotatorsPage()->filterEdit()->setText(QStringLiteral("1"));
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("annotatorCount"))->text(), QStringLiteral("2 of 3 annotators"));
    window.annotatorsPage()->filterEdit()->clear();
    QCOMPARE(model->rowCount(), 3);
}

void TestMainWindow::badInputShowsAnErrorAndKeepsTheWindowUsable_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("content");  // empty: the file is not created
    QTest::addColumn<QString>("expected");    // part of the error message

    QTest::newRow("missing") << QStringLiteral("does-not-exist.csift") << QByteArray() << QStringLiteral("no such file");
    static const char fakeSqlite[] = "SQLite format 3\0garbage, not a database at all";
    QTest::newRow("garbage project") << QStringLiteral("garbage.csift") << QByteArray(fakeSqlite, sizeof fakeSqlite - 1)
                                     << QStringLiteral("garbage.csift");
    QTest::newRow("garbage csv") << QStringLiteral("garbage.csv") << QByteArray("\x01\x02\x03 this is \xff\xfe not a table\n")
                                 << QStringLiteral("garbage.csv");
}

void TestMainWindow::badInputShowsAnErrorAndKeepsTheWindowUsable()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);

    const QString path = tmp_.filePath(fileName);
    if (!content.isEmpty()) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }

    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    const QString title = window.windowTitle();

    QSignalSpy failed(window.document(), &ProjectDocument::loadFailed);
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    window.openPath(path);
    QVERIFY(waitForLoad(window));
    QCOMPARE(failed.count(), 1);
    QCOMPARE(loaded.count(), 0);
    const QString message = failed.front().at(1).toString();
    qInfo("error shown: %s", qPrintable(message));
    QVERIFY2(message.contains(expected, Qt::CaseInsensitive), qPrintable(message));

    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadErrorBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QCOMPARE(box->informativeText(), message);
    QVERIFY(window.statusBar()->currentMessage().contains(message));
    QVERIFY(!window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());

    // The previous document is untouched and the window still opens things.
    QCOMPARE(window.windowTitle(), title);
    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
    box->close();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.document()->path(), petsProject_);
}

void TestMainWindow::readWarningsAreShownAfterALoad()
{
    const QString path = tmp_.filePath(QStringLiteral("repeats.csv"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("task,worker,label\n1,a,0\n1,b,1\n1,a,0\n2,a,1\n");
    }
    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    QVERIFY(window.document()->loadWarnings().isEmpty());
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("loadWarningsBox")));

    window.openPath(path);
    QVERIFY(waitForLoad(window));
    QCOMPARE(window.document()->path(), path);
    const QStringList warnings = window.document()->loadWarnings();
    QCOMPARE(warnings.size(), 1);
    QVERIFY2(warnings.front().startsWith(path + ": 1 repeated answer(s)"), qPrintable(warnings.front()));
    QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("1 warning")),
             qPrintable(window.statusBar()->currentMessage()));
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadWarningsBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(!box->isModal());
    QVERIFY(box->detailedText().contains(warnings.front()));
    box->close();
}

void TestMainWindow::opensTheDogAnswersAsADataset()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    MainWindow window;
    window.show();
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    window.openPath(QString::fromStdString(testing::sharedPath(kDogAnswers)));
    QVERIFY(waitForLoad(window));
    QCOMPARE(loaded.count(), 1);
    QVERIFY(window.document()->project() == nullptr);

    QCOMPARE(summaryValue(window, "itemsValue"), number(807));
    QCOMPARE(summaryValue(window, "annotatorsValue"), number(109));
    QCOMPARE(summaryValue(window, "answersValue"), number(8070));
    QCOMPARE(summaryValue(window, "classesValue"), number(4));
    // Every dog was labelled by exactly ten annotators.
    QCOMPARE(summaryValue(window, "answersPerItemValue"),
             QStringLiteral("10 – 10, median 10, mean %1").arg(QLocale().toString(10.0, 'f', 2)));
    QVERIFY(!window.document()->displayName().isEmpty());
    QCOMPARE(window.windowTitle(), window.document()->displayName() + QStringLiteral(" — Crowdsift"));

    const QAbstractItemModel* classes = window.overviewPage()->classTable()->model();
    QCOMPARE(classes->rowCount(), 4);
    qlonglong votes = 0;
    for (int k = 0; k < 4; ++k)
        votes += classes->index(k, ClassTableModel::VotesColumn).data().toLongLong();
    QCOMPARE(votes, 8070);

    const QAbstractItemModel* annotators = window.annotatorsPage()->annotatorTable()->model();
    QCOMPARE(annotators->rowCount(), 109);
    qlonglong labels = 0;
    for (int row = 0; row < annotators->rowCount(); ++row)
        labels += annotators->index(row, AnnotatorTableModel::LabelsColumn).data().toLongLong();
    QCOMPARE(labels, 8070);
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("annotatorCount"))->text(),
             QStringLiteral("%1 annotators").arg(number(109)));
}

// The built-in demo, built and imported as `scripts/demo` does, then opened in the window.
void TestMainWindow::opensTheDemoProject()
{
    QTemporaryDir dir;
    DemoOptions options;
    const DemoResult demo = buildDemo(dir.filePath("fashion").toStdString(), options);
    ReadOptions read;
    read.truthPath = demo.folder + "/truth.csv";
    const Dataset dataset = readDataset(demo.folder, read);
    const QString project = dir.filePath("fashion.csift");
    Project::create(project.toStdString(), dataset, Progress::none());

    MainWindow window;
    window.show();
    window.openPath(project);
    QVERIFY(waitForLoad(window));
    QVERIFY(window.document()->project() != nullptr);
    QCOMPARE(summaryValue(window, "itemsValue"), number(10000));
    QCOMPARE(summaryValue(window, "annotatorsValue"), number(demo.annotators));
    QCOMPARE(summaryValue(window, "answersValue"), number(demo.answers));
    QCOMPARE(summaryValue(window, "classesValue"), number(10));
    QCOMPARE(summaryValue(window, "imagesValue").left(number(10000).size()), number(10000));

    const QAbstractItemModel* classes = window.overviewPage()->classTable()->model();
    QCOMPARE(classes->rowCount(), 10);
    qlonglong votes = 0;
    for (int k = 0; k < 10; ++k)
        votes += classes->index(k, ClassTableModel::VotesColumn).data().toLongLong();
    QCOMPARE(votes, qlonglong(demo.answers));
    QCOMPARE(window.annotatorsPage()->annotatorTable()->model()->rowCount(), demo.annotators);
}

void TestMainWindow::cancelKeepsThePreviousDocument()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));

    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy cancelled(window.document(), &ProjectDocument::loadCancelled);
    window.openPath(QString::fromStdString(testing::sharedPath(kDogAnswers)));
    QVERIFY(window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());
    window.cancelLoad();
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(!window.document()->isLoading());
    QVERIFY(!window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());
    // Whatever the worker still finishes is dropped.
    QTest::qWait(300);
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(window.document()->path(), petsProject_);
    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
}

void TestMainWindow::aNewOpenSupersedesARunningOne()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    MainWindow window;
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy cancelled(window.document(), &ProjectDocument::loadCancelled);
    window.openPath(QString::fromStdString(testing::sharedPath(kDogAnswers)));
    window.openPath(petsProject_);
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(waitForLoad(window));
    QTest::qWait(100);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.document()->path(), petsProject_);
    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
}

void TestMainWindow::closingWhileLoadingIsSafe()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    auto window = std::make_unique<MainWindow>();
    window->show();
    window->openPath(QString::fromStdString(testing::sharedPath(kDogAnswers)));
    QVERIFY(window->document()->isLoading());
    QVERIFY(window->close());
    window.reset();
    QTest::qWait(50);
}

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
