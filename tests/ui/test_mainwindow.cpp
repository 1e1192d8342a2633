#include "annotatorspage.h"
#include "annotatortablemodel.h"
#include "classtablemodel.h"
#include "documentloader.h"
#include "mainwindow.h"
#include "newprojectdialog.h"
#include "overviewpage.h"
#include "projectdocument.h"
#include "recentprojects.h"
#include "reviewpage.h"
#include "runspage.h"
#include "tableroles.h"
#include "pets_dataset.h"
#include "testdata.h"

#include "data/dataset.h"
#include "data/formats.h"
#include "images/demo.h"
#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/progress.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QListView>
#include <QTreeWidget>
#include <QDockWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace crowdsift;

namespace {

constexpr int kLoadTimeoutMs = 30000;
const QString kDogAnswers = QStringLiteral("datasets/dog-zhou/datasets/s4_Dog data/answer.csv");

using testing::petsDataset;

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

std::string native(const QString& path)
{
    return QFile::encodeName(path).toStdString();
}

void writeFile(const QString& path, const QByteArray& content)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(content), qint64(content.size()));
}

// `items` items, each labelled by three annotators, as a task,worker,label CSV: big enough
// (200k items) for an import to be cancelled halfway.
void writeAnswersCsv(const QString& path, int items)
{
    QByteArray text = "task,worker,label\n";
    for (int item = 0; item < items; ++item) {
        for (int worker = 0; worker < 3; ++worker)
            text += QByteArray::number(item) + ',' + QByteArray::number(worker) + ',' +
                    QByteArray::number((item + worker) % 4) + '\n';
    }
    writeFile(path, text);
}

// The project file and everything Project::create or SQLite may put beside it.
QStringList projectLeftovers(const QString& project)
{
    const QFileInfo info(project);
    return info.dir().entryList({info.fileName() + QLatin1Char('*')}, QDir::AllEntries | QDir::Hidden | QDir::System);
}

// The dog answers of the shared datasets, imported into `project`.
ImportRequest dogImport(const QString& project)
{
    ImportRequest request;
    request.dataset = QString::fromStdString(testing::sharedPath(kDogAnswers));
    request.project = project;
    return request;
}

// Answers the question box the dialog is about to show (QMessageBox::question runs its own loop).
void answerNextQuestion(QMessageBox::StandardButton answer, QString* text)
{
    QTimer::singleShot(0, [answer, text] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        QVERIFY(box);
        *text = box->text();
        box->button(answer)->click();
    });
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
    void runsAndLearningRefuseWithoutAProject();
    void opensAProject();
    void reviewTabGivesTheKeysToTheGrid();
    void annotatorTableSortsAndFilters();
    void badInputShowsAnErrorAndKeepsTheWindowUsable_data();
    void badInputShowsAnErrorAndKeepsTheWindowUsable();
    void readWarningsAreShownAfterAnImport();
    void aDatasetBecomesAProjectBeforeAnyRun();
    void defaultProjectPathIsBesideTheData();
    void replacingAProjectAsksFirst();
    void failedImportNamesTheRecordAndLeavesNoFile();
    void cancelledImportLeavesNoFile_data();
    void cancelledImportLeavesNoFile();
    void opensTheDogAnswersAsAProject();
    void opensTheDemoProject();
    void cancelKeepsThePreviousDocument();
    void aNewOpenSupersedesARunningOne();
    void closingWhileLoadingIsSafe();
    void openRecentListsOrdersAndDropsMissing();
};

void TestMainWindow::initTestCase()
{
    // QSettings then lives under ~/.qttest: the user's own recent projects stay untouched.
    QStandardPaths::setTestModeEnabled(true);
    clearRecentProjects();
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

// Their results are stored in the project: with none open, their buttons say how to get one.
void TestMainWindow::runsAndLearningRefuseWithoutAProject()
{
    MainWindow window;
    window.show();
    QVERIFY(window.document()->project() == nullptr);
    QList<QPushButton*> buttons = {window.runsPage()->findChild<QPushButton*>(QStringLiteral("runButton"))};
    // The Learning tab exists only in builds with core/learn.
    if (window.learnPage()) {
        buttons << window.findChild<QPushButton*>(QStringLiteral("trainButton"))
                << window.findChild<QPushButton*>(QStringLiteral("loopButton"));
    }
    for (QPushButton* button : buttons) {
        QVERIFY(button);
        QVERIFY2(!button->isEnabled(), qPrintable(button->objectName()));
        QVERIFY2(button->toolTip().contains(QStringLiteral("New Project from Dataset")), qPrintable(button->toolTip()));
    }
    QCOMPARE(window.runsPage()->startRun(QStringLiteral("mv")), 0);

    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    for (QPushButton* button : buttons)
        QVERIFY(!button->toolTip().contains(QStringLiteral("New Project from Dataset")));
    QVERIFY(buttons.front()->isEnabled());
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
    QCOMPARE(tabs->tabText(3), QStringLiteral("Map"));
    QCOMPARE(tabs->tabText(4), QStringLiteral("Runs"));
#ifdef CROWDSIFT_HAVE_LEARN
    QVERIFY(window.learnPage());
    QCOMPARE(tabs->count(), 6);
    QCOMPARE(tabs->tabText(5), QStringLiteral("Learning"));
#else
    QVERIFY(!window.learnPage());
    QCOMPARE(tabs->count(), 5);
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

// Back on Review, the keyboard is the grid's, wherever the focus was: the curator started a job on
// another tab (the Jobs list showed and held the focus), came back, and 1-9 or Enter did nothing
// until a tile was clicked. A focus already inside the page (the inspector) stays.
void TestMainWindow::reviewTabGivesTheKeysToTheGrid()
{
    // The pets with a majority-vote run, so that Review has tiles.
    const QString path = tmp_.filePath(QStringLiteral("pets-run.csift"));
    {
        const Dataset pets = petsDataset();
        Project project = Project::create(QFile::encodeName(path).toStdString(), pets, Progress::none());
        QVERIFY(storeAggregationRun(project, pets, aggregate("mv", pets), {{"strategy", "mv"}}, nlohmann::json::object()) > 0);
    }
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.openPath(path);
    QVERIFY(waitForLoad(window));
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("pages"));
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("jobsDock"));
    QVERIFY(tabs && dock);
    tabs->setCurrentWidget(window.runsPage());
    dock->show();
    QTreeWidget* jobs = dock->findChild<QTreeWidget*>();
    QVERIFY(jobs);
    jobs->setFocus();
    QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(jobs));

    tabs->setCurrentWidget(window.reviewPage());
    QTRY_VERIFY(QApplication::focusWidget() != nullptr);
    QWidget* focus = QApplication::focusWidget();
    QVERIFY2(qobject_cast<QListView*>(focus) && window.reviewPage()->isAncestorOf(focus),
             focus->metaObject()->className());
    QVERIFY(focus->isVisible());

    // Focus inside the page is left where it is.
    auto* inspector = window.reviewPage()->findChild<QWidget*>(QStringLiteral("inspector"));
    QVERIFY(inspector);
    QWidget* field = nullptr;
    for (QWidget* child : inspector->findChildren<QWidget*>())
        if (child->isVisible() && child->focusPolicy() != Qt::NoFocus && child->isEnabled()) {
            field = child;
            break;
        }
    QVERIFY(field);
    field->setFocus();
    QTRY_COMPARE(QApplication::focusWidget(), field);
    tabs->setCurrentWidget(window.runsPage());
    tabs->setCurrentWidget(window.reviewPage());
    QTRY_VERIFY(QApplication::focusWidget() != nullptr);
    QCOMPARE(QApplication::focusWidget(), field);
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
}

void TestMainWindow::badInputShowsAnErrorAndKeepsTheWindowUsable()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);

    const QString path = tmp_.filePath(fileName);
    if (!content.isEmpty())
        writeFile(path, content);

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

// Opening a dataset offers New Project from Dataset with it preselected and the project beside it;
// accepting imports it into that file, which holds every item before anything else happens.
void TestMainWindow::aDatasetBecomesAProjectBeforeAnyRun()
{
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("pets.csv"));
    writeLongCsv(petsDataset(), native(csv));

    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    QSignalSpy started(window.document(), &ProjectDocument::loadStarted);
    window.openPath(csv);
    QCOMPARE(started.count(), 0);
    QVERIFY(!window.document()->isLoading());
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QCOMPARE(dialog->dataset(), csv);
    const QString project = dir.filePath(QStringLiteral("pets.csift"));
    QCOMPARE(dialog->projectPath(), project);
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("detectedFormat"))->text().contains(QStringLiteral("csv")));

    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    dialog->accept();
    QCOMPARE(started.count(), 1);
    QCOMPARE(window.document()->importSource(), csv);
    QVERIFY(window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());
    QVERIFY(waitForLoad(window));
    QCOMPARE(loaded.count(), 1);
    QTRY_VERIFY(!window.newProjectDialog());

    QCOMPARE(window.document()->path(), project);
    QVERIFY(window.document()->project() != nullptr);
    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
    QCOMPARE(window.windowTitle(), QStringLiteral("pets — Crowdsift"));
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Created pets.csift from pets.csv")));
    // The file on disk, opened on its own, holds the items and answers, and no run yet.
    {
        Project stored = Project::open(native(project));
        QVERIFY(stored.runs().empty());
        const Dataset dataset = stored.loadDataset(Progress::none());
        QCOMPARE(dataset.itemCount(), 5);
        QCOMPARE(dataset.answers.size(), std::size_t(9));
    }
    QVERIFY(window.runsPage()->findChild<QPushButton*>(QStringLiteral("runButton"))->isEnabled());
    QCOMPARE(recentProjects().value(0), project);
}

void TestMainWindow::defaultProjectPathIsBesideTheData()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("dogs/s4")));
    const QString folder = dir.filePath(QStringLiteral("dogs"));
    QCOMPARE(NewProjectDialog::defaultProjectPath(folder), folder + QStringLiteral("/dogs.csift"));
    QCOMPARE(NewProjectDialog::defaultProjectPath(folder + QLatin1Char('/')), folder + QStringLiteral("/dogs.csift"));
    const QString file = dir.filePath(QStringLiteral("dogs/s4/answer.csv"));
    writeLongCsv(petsDataset(), native(file));
    QCOMPARE(NewProjectDialog::defaultProjectPath(file), dir.filePath(QStringLiteral("dogs/s4/answer.csift")));
    QCOMPARE(NewProjectDialog::defaultProjectPath(dir.filePath(QStringLiteral("dogs/cifar10h-raw.csv"))),
             folder + QStringLiteral("/cifar10h-raw.csift"));

    // A folder the user cannot write to (shared, read-only data): the home folder instead.
    const QString readOnly = dir.filePath(QStringLiteral("readonly"));
    QVERIFY(QDir().mkpath(readOnly));
    QVERIFY(QFile::setPermissions(readOnly, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    if (!QFileInfo(readOnly).isWritable())
        QCOMPARE(NewProjectDialog::defaultProjectPath(readOnly), QDir::home().filePath(QStringLiteral("readonly.csift")));
    QVERIFY(QFile::setPermissions(readOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));

    // A project path the user typed stays when the dataset changes; the proposal follows it.
    NewProjectDialog dialog;
    dialog.setDataset(folder);
    QCOMPARE(dialog.projectPath(), folder + QStringLiteral("/dogs.csift"));
    dialog.setDataset(file);
    QCOMPARE(dialog.projectPath(), dir.filePath(QStringLiteral("dogs/s4/answer.csift")));
    dialog.setProjectPath(dir.filePath(QStringLiteral("mine.csift")));
    dialog.setDataset(folder);
    QCOMPARE(dialog.projectPath(), dir.filePath(QStringLiteral("mine.csift")));
}

void TestMainWindow::replacingAProjectAsksFirst()
{
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("pets.csv"));
    writeLongCsv(petsDataset(), native(csv));
    const QString project = dir.filePath(QStringLiteral("pets.csift"));
    writeFile(project, "an older file the user may want");

    MainWindow window;
    window.show();
    window.newProjectFromDataset(csv);
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->projectPath(), project);
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("projectExists"))->isVisibleTo(dialog));

    QString question;
    answerNextQuestion(QMessageBox::No, &question);
    dialog->accept();
    QVERIFY2(question.contains(project), qPrintable(question));
    QVERIFY(dialog->isVisible());
    QVERIFY(!window.document()->isLoading());
    QCOMPARE(QFileInfo(project).size(), qint64(31));

    // A name without an extension gets .csift.
    dialog->setProjectPath(dir.filePath(QStringLiteral("other")));
    dialog->accept();
    QVERIFY(waitForLoad(window));
    QCOMPARE(window.document()->path(), dir.filePath(QStringLiteral("other.csift")));

    window.newProjectFromDataset(csv);
    dialog = window.newProjectDialog();
    QVERIFY(dialog);
    dialog->setProjectPath(project);
    answerNextQuestion(QMessageBox::Yes, &question);
    dialog->accept();
    QVERIFY(waitForLoad(window));
    QCOMPARE(window.document()->path(), project);
    QVERIFY(Project::looksLikeProject(native(project)));

    // The project open now is never replaced under the window's feet.
    window.newProjectFromDataset(csv);
    dialog = window.newProjectDialog();
    dialog->setProjectPath(project);
    dialog->accept();
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("newProjectError"))->text().contains(QStringLiteral("open now")));
    dialog->reject();
}

void TestMainWindow::failedImportNamesTheRecordAndLeavesNoFile()
{
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("broken.csv"));
    writeFile(csv, "task,worker,label\n1,a,0\n2,a,zebra\n");

    MainWindow window;
    window.show();
    QSignalSpy failed(window.document(), &ProjectDocument::loadFailed);
    window.openPath(csv);
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    const QString project = dialog->projectPath();
    QCOMPARE(project, dir.filePath(QStringLiteral("broken.csift")));
    dialog->accept();
    QVERIFY(waitForLoad(window));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.front().at(1).toString();
    qInfo("error shown: %s", qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("broken.csv")) && message.contains(QStringLiteral("line 3")),
             qPrintable(message));
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("loadErrorBox"));
    QVERIFY(box);
    QCOMPARE(box->text(), QStringLiteral("Could not create broken.csift from broken.csv."));
    QCOMPARE(box->informativeText(), message);
    QCOMPARE(projectLeftovers(project), QStringList());
    QVERIFY(!window.document()->hasDataset());
}

// Cancelled at once, while reading and while writing the project: no file is left either way.
void TestMainWindow::cancelledImportLeavesNoFile_data()
{
    QTest::addColumn<double>("cancelAt");  // the progress fraction to wait for; < 0: cancel at once
    QTest::newRow("at once") << -1.0;
    QTest::newRow("reading") << 0.0;
    QTest::newRow("writing") << 0.5;
}

void TestMainWindow::cancelledImportLeavesNoFile()
{
    QFETCH(double, cancelAt);
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("many.csv"));
    writeAnswersCsv(csv, 200000);

    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));

    window.newProjectFromDataset(csv);
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    const QString project = dialog->projectPath();
    QCOMPARE(project, dir.filePath(QStringLiteral("many.csift")));
    double reached = -1.0;
    connect(window.document(), &ProjectDocument::loadProgress, this,
            [&reached](double fraction, const QString&) { reached = std::max(reached, fraction); });
    QSignalSpy cancelled(window.document(), &ProjectDocument::loadCancelled);
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    dialog->accept();
    if (cancelAt >= 0.0)
        QVERIFY(QTest::qWaitFor([&] { return reached > cancelAt || !window.document()->isLoading(); }, kLoadTimeoutMs));
    QVERIFY2(window.document()->isLoading(), "the import finished before it could be cancelled");
    QVERIFY(window.findChild<QProgressBar*>(QStringLiteral("loadProgress"))->isVisible());
    window.cancelLoad();
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("no project was created")));
    // Whatever the worker still does ends with the file gone.
    QTRY_COMPARE_WITH_TIMEOUT(projectLeftovers(project), QStringList(), kLoadTimeoutMs);
    QTest::qWait(500);
    QCOMPARE(projectLeftovers(project), QStringList());
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(window.document()->path(), petsProject_);
}

// What the reader dropped or changed while importing is shown after the load, without stopping
// the curator: a status message and a non-modal box listing every warning.
void TestMainWindow::readWarningsAreShownAfterAnImport()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("repeats.csv"));
    writeFile(path, "task,worker,label\n1,a,0\n1,b,1\n1,a,0\n2,a,1\n");
    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));
    QVERIFY(window.document()->loadWarnings().isEmpty());
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("loadWarningsBox")));

    window.newProjectFromDataset(path);
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    dialog->accept();
    QVERIFY(waitForLoad(window));
    QCOMPARE(window.document()->path(), dir.filePath(QStringLiteral("repeats.csift")));
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

    // Opened again later, the project holds what was read; there is nothing more to warn about.
    window.openPath(dir.filePath(QStringLiteral("repeats.csift")));
    QVERIFY(waitForLoad(window));
    QVERIFY(window.document()->loadWarnings().isEmpty());
}

// A real crowd file from the shared datasets; the folder may be read-only, so the project goes
// to the test's own folder.
void TestMainWindow::opensTheDogAnswersAsAProject()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    QTemporaryDir dir;
    MainWindow window;
    window.show();
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    window.openPath(QString::fromStdString(testing::sharedPath(kDogAnswers)));
    NewProjectDialog* dialog = window.newProjectDialog();
    QVERIFY(dialog);
    dialog->setProjectPath(dir.filePath(QStringLiteral("dogs.csift")));
    dialog->accept();
    QVERIFY(waitForLoad(window));
    QCOMPARE(loaded.count(), 1);
    QVERIFY(window.document()->project() != nullptr);
    QVERIFY(QFileInfo(dir.filePath(QStringLiteral("dogs.csift"))).isFile());

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
    QTemporaryDir dir;
    MainWindow window;
    window.show();
    window.openPath(petsProject_);
    QVERIFY(waitForLoad(window));

    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy cancelled(window.document(), &ProjectDocument::loadCancelled);
    const ImportRequest request = dogImport(dir.filePath(QStringLiteral("dogs.csift")));
    window.document()->importDataset(request);
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
    QCOMPARE(projectLeftovers(request.project), QStringList());
}

void TestMainWindow::aNewOpenSupersedesARunningOne()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    QTemporaryDir dir;
    MainWindow window;
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy cancelled(window.document(), &ProjectDocument::loadCancelled);
    const ImportRequest request = dogImport(dir.filePath(QStringLiteral("dogs.csift")));
    window.document()->importDataset(request);
    window.openPath(petsProject_);
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(waitForLoad(window));
    QTest::qWait(100);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.document()->path(), petsProject_);
    QCOMPARE(summaryValue(window, "itemsValue"), number(5));
    QTRY_COMPARE(projectLeftovers(request.project), QStringList());
}

void TestMainWindow::closingWhileLoadingIsSafe()
{
    CROWDSIFT_REQUIRE_SHARED(kDogAnswers);
    QTemporaryDir dir;
    auto window = std::make_unique<MainWindow>();
    window->show();
    const ImportRequest request = dogImport(dir.filePath(QStringLiteral("dogs.csift")));
    window->document()->importDataset(request);
    QVERIFY(window->document()->isLoading());
    QVERIFY(window->close());
    window.reset();
    QTest::qWait(50);
    QCOMPARE(projectLeftovers(request.project), QStringList());
}

// Newest first, at most eight, a project deleted meanwhile is dropped, Clear Recent empties it.
void TestMainWindow::openRecentListsOrdersAndDropsMissing()
{
    clearRecentProjects();
    QTemporaryDir dir;
    QStringList projects;
    for (int i = 0; i < 10; ++i) {
        projects << dir.filePath(QStringLiteral("p%1.csift").arg(i));
        QVERIFY(QFile::copy(petsProject_, projects.back()));
    }
    for (const QString& project : {projects[0], projects[1], projects[2]})
        addRecentProject(project);
    QVERIFY(QFile::remove(projects[1]));

    const auto listed = [](const MainWindow& window) {
        Q_EMIT window.recentMenu()->aboutToShow();
        QStringList paths;
        for (const QAction* action : window.recentMenu()->actions()) {
            if (!action->data().toString().isEmpty())
                paths << action->data().toString();
        }
        return paths;
    };
    MainWindow window;
    window.show();
    QCOMPARE(listed(window), (QStringList{projects[2], projects[0]}));
    QVERIFY(!window.recentMenu()->actions().front()->text().isEmpty());
    // The missing one is forgotten in the settings too.
    QCOMPARE(recentProjects(), (QStringList{projects[2], projects[0]}));

    // Opening a project, from the menu or otherwise, puts it first.
    window.recentMenu()->actions().at(1)->trigger();
    QVERIFY(waitForLoad(window));
    QCOMPARE(window.document()->path(), projects[0]);
    QCOMPARE(listed(window), (QStringList{projects[0], projects[2]}));

    for (const QString& project : projects)
        addRecentProject(project);
    const QStringList eight = listed(window);
    QCOMPARE(eight.size(), kMaxRecentProjects);
    QCOMPARE(eight.front(), projects[9]);
    QCOMPARE(eight.back(), projects[2]);
    QVERIFY(!eight.contains(projects[1]));

    auto* clear = window.recentMenu()->findChild<QAction*>(QStringLiteral("clearRecentAction"));
    QVERIFY(clear);
    QVERIFY(clear->isEnabled());
    clear->trigger();
    QCOMPARE(listed(window), QStringList());
    QVERIFY(recentProjects().isEmpty());
    QVERIFY(!window.recentMenu()->actions().front()->isEnabled());
}

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
