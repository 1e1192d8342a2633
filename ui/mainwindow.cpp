#include "mainwindow.h"

#include "annotatorspage.h"
#include "documentloader.h"
#include "exportdialog.h"
#include "jobmanager.h"
#include "guimodule.h"
#include "jobspanel.h"
#include "mapjob.h"
#include "mappage.h"
#include "newprojectdialog.h"
#include "overviewpage.h"
#include "projectdocument.h"
#include "recentprojects.h"
#include "reportdialog.h"
#include "reviewpage.h"
#include "runspage.h"

#include "project/store.h"
#include "project/trajectory_runs.h"
#include "project/tsne_runs.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPalette>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTableWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <memory>

// The resources live in this static library; nothing references them by symbol, so the linker
// would drop them unless they are registered explicitly (outside any namespace).
static void initCrowdsiftResources()
{
    static const bool registered = [] {
        Q_INIT_RESOURCE(crowdsift);
        return true;
    }();
    Q_UNUSED(registered);
}

namespace crowdsift {

namespace {

const char* const kLastDirectoryKey = "paths/lastOpenDirectory";

QString fileNameOf(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    return name.isEmpty() ? path : name;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    initCrowdsiftResources();
    setWindowIcon(QIcon(QStringLiteral(":/icons/crowdsift.svg")));
    setAcceptDrops(true);

    document_ = new ProjectDocument(this);
    connect(document_, &ProjectDocument::loadStarted, this, &MainWindow::onLoadStarted);
    connect(document_, &ProjectDocument::loadProgress, this, &MainWindow::onLoadProgress);
    connect(document_, &ProjectDocument::loaded, this, &MainWindow::onLoaded);
    connect(document_, &ProjectDocument::loadFailed, this, &MainWindow::onLoadFailed);
    connect(document_, &ProjectDocument::loadCancelled, this, &MainWindow::onLoadCancelled);
    connect(document_, &ProjectDocument::reviewError, this,
            [this](const QString& message) { statusBar()->showMessage(message); });

    overview_ = new OverviewPage(document_);
    annotators_ = new AnnotatorsPage(document_);
    review_ = new ReviewPage(document_);
    connect(review_, &ReviewPage::runFinished, this,
            [this](bool, const QString& message) { statusBar()->showMessage(message, 5000); });
    connect(annotators_, &AnnotatorsPage::showItemsRequested, this,
            [this](const QVector<int>& items, const QString& title) {
                mapFilter_ = false;
                review_->showItems(items, title);
                showPage(Page::Review);
            });
    tabs_ = new QTabWidget;
    tabs_->setObjectName(QStringLiteral("pages"));
    tabs_->setDocumentMode(true);
    tabs_->addTab(overview_, tr("Overview"));
    tabs_->addTab(annotators_, tr("Annotators"));
    tabs_->addTab(review_, tr("Review"));
    map_ = new MapPage(document_, review_);
    tabs_->addTab(map_, tr("Map"));
    connect(map_, &MapPage::selectionChanged, this, [this](const QVector<int>& items) {
        if (!items.isEmpty()) {
            review_->showItems(items, tr("Map selection"));
            mapFilter_ = true;
        } else if (mapFilter_) {
            mapFilter_ = false;
            review_->clearItemFilter();
        }
    });
    connect(map_, &MapPage::reviewRequested, this, [this] { showPage(Page::Review); });
    connect(review_, &ReviewPage::selectionChanged, map_, &MapPage::highlightItems);
    jobs_ = new JobManager(this);
    map_->setRunner([this](const MapRequest& request) {
        MapRequest withSettings = request;
        withSettings.settings = tsneParams(TsneOptions{});
        return startMapJob(document_, jobs_, withSettings, computeMap);
    });
    runs_ = new RunsPage(document_, jobs_);
    review_->setRunner([this] { return runs_->startRun(QStringLiteral("ds")) ? runs_->currentRunJob() : nullptr; });
    tabs_->addTab(runs_, tr("Runs"));
#ifdef CROWDSIFT_HAVE_LEARN
    // The page itself loads LibTorch: it is made when the tab is first shown (ensureLearnPage).
    learnHolder_ = new QWidget;
    learnHolder_->setObjectName(QStringLiteral("learnHolder"));
    auto* learnLayout = new QVBoxLayout(learnHolder_);
    learnLayout->setContentsMargins(0, 0, 0, 0);
    tabs_->addTab(learnHolder_, tr("Learning"));
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int index) {
        if (learnHolder_ && tabs_->widget(index) == learnHolder_)
            ensureLearnPage();
        // Coming back to Review, the keys go to the grid: otherwise the focus stays where the
        // page switch left it (the Jobs list once a job started from another tab), and the
        // curator's first 1-9 or Enter did nothing there.
        if (tabs_->widget(index) == review_) {
            const QWidget* focus = QApplication::focusWidget();
            if (!focus || !review_->isAncestorOf(focus))
                review_->focusGrid();
        }
    });
    // Selecting a stored train or loop run on the Runs tab shows its curves on this one.
    connect(runs_->runTable()->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const std::vector<std::int64_t> selected = runs_->selectedRuns();
        if (learn_ && selected.size() == 1)
            guiModule()->showRun(learn_, selected.front());
    });
#endif
    jobsPanel_ = new JobsPanel(jobs_);
    jobsDock_ = new QDockWidget(tr("Jobs"), this);
    jobsDock_->setObjectName(QStringLiteral("jobsDock"));
    jobsDock_->setWidget(jobsPanel_);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock_);
    jobsDock_->hide();
    connect(jobs_, &JobManager::jobStarted, jobsDock_, &QDockWidget::show);

    startPage_ = createStartPage();
    stack_ = new QStackedWidget;
    stack_->addWidget(startPage_);
    stack_->addWidget(tabs_);
    auto* central = new QWidget(this);
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(createAnnouncement());
    readOnlyBanner_ = new QLabel(tr("Read-only: decisions cannot be saved"));
    readOnlyBanner_->setObjectName(QStringLiteral("readOnlyBanner"));
    readOnlyBanner_->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #664d03; padding: 6px 10px; "
                                                  "border-bottom: 1px solid #e0c97a; font-weight: bold; }"));
    readOnlyBanner_->setToolTip(tr("This program cannot write the project file or its folder, so it was opened "
                                   "read-only: reviewing, relabelling and runs that are stored are disabled."));
    readOnlyBanner_->hide();
    centralLayout->addWidget(readOnlyBanner_);
    centralLayout->addWidget(stack_, 1);
    setCentralWidget(central);
    connect(document_, &ProjectDocument::runAnnounced, this, &MainWindow::onRunAnnounced);
    // Made active (here, on the Runs tab or by another announcement) or another project opened:
    // the announcement is over.
    connect(document_, &ProjectDocument::aggregationChanged, this, [this] {
        if (document_->announcedRun() != announcedRun_)
            announcement_->hide();
    });
    connect(document_, &ProjectDocument::loaded, announcement_, &QWidget::hide);

    createActions();
    updateRecentProjects();

    countsLabel_ = new QLabel;
    countsLabel_->setObjectName(QStringLiteral("countsLabel"));
    progressBar_ = new QProgressBar;
    progressBar_->setObjectName(QStringLiteral("loadProgress"));
    progressBar_->setRange(0, 1000);
    progressBar_->setMaximumWidth(220);
    progressBar_->setTextVisible(false);
    progressBar_->hide();
    cancelButton_ = new QToolButton;
    cancelButton_->setDefaultAction(cancelAction_);
    cancelButton_->setAutoRaise(true);
    cancelButton_->hide();
    statusBar()->addPermanentWidget(countsLabel_);
    statusBar()->addPermanentWidget(progressBar_);
    statusBar()->addPermanentWidget(cancelButton_);
    statusBar()->showMessage(tr("Ready"));

    updateTitle();
    resize(1100, 720);
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    newProjectAction_ = new QAction(tr("&New Project from Dataset…"), this);
    newProjectAction_->setShortcut(QKeySequence::New);
    newProjectAction_->setStatusTip(tr("Import a dataset folder or file into a new project file (*.csift)"));
    connect(newProjectAction_, &QAction::triggered, this, [this] { newProjectFromDataset(); });

    openProjectAction_ = new QAction(tr("&Open Project…"), this);
    openProjectAction_->setShortcut(QKeySequence::Open);
    openProjectAction_->setStatusTip(tr("Open a Crowdsift project file (*.csift)"));
    connect(openProjectAction_, &QAction::triggered, this, &MainWindow::openProject);

    recentMenu_ = new QMenu(tr("Open &Recent"), this);
    recentMenu_->setObjectName(QStringLiteral("recentMenu"));
    // Rebuilt before it shows, so that a project deleted meanwhile is not offered.
    connect(recentMenu_, &QMenu::aboutToShow, this, &MainWindow::updateRecentProjects);

    cancelAction_ = new QAction(tr("&Cancel Loading"), this);
    cancelAction_->setShortcut(QKeySequence::Cancel);
    cancelAction_->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    cancelAction_->setToolTip(tr("Cancel loading"));
    cancelAction_->setEnabled(false);
    connect(cancelAction_, &QAction::triggered, this, &MainWindow::cancelLoad);

    exportAction_ = new QAction(tr("&Export…"), this);
    exportAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction_->setStatusTip(tr("Write the final labels as CSV, JSON, .npy or a peerannot folder"));
    exportAction_->setEnabled(false);
    connect(exportAction_, &QAction::triggered, this, &MainWindow::exportLabels);
    const auto updateExport = [this] { exportAction_->setEnabled(document_->aggregation() != nullptr); };
    connect(document_, &ProjectDocument::aggregationChanged, exportAction_, updateExport);
    connect(document_, &ProjectDocument::loaded, exportAction_, updateExport);

    reportAction_ = new QAction(tr("Export &Report…"), this);
    reportAction_->setStatusTip(
        tr("Write per-class triage figures (easy, need review and hard images) as PNGs into a folder"));
    reportAction_->setEnabled(false);
    connect(reportAction_, &QAction::triggered, this, &MainWindow::exportReport);
    // A report needs a triage: an active run, or a data-parameters run.
    const auto updateReport = [this] {
        const Project* project = document_->project();
        bool enabled = project && document_->aggregation();
        if (project && !enabled) {
            try {
                enabled = latestTrajectoryRun(*project) != 0;
            } catch (const std::exception&) {
                enabled = false;
            }
        }
        reportAction_->setEnabled(enabled);
    };
    connect(document_, &ProjectDocument::aggregationChanged, reportAction_, updateReport);
    connect(document_, &ProjectDocument::loaded, reportAction_, updateReport);
    connect(document_, &ProjectDocument::runsChanged, reportAction_, updateReport);

    quitAction_ = new QAction(tr("&Quit"), this);
    quitAction_->setShortcut(QKeySequence::Quit);
    quitAction_->setMenuRole(QAction::QuitRole);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);

    aboutAction_ = new QAction(tr("&About Crowdsift"), this);
    aboutAction_->setMenuRole(QAction::AboutRole);
    connect(aboutAction_, &QAction::triggered, this, &MainWindow::about);
    auto* aboutQtAction = new QAction(tr("About &Qt"), this);
    aboutQtAction->setMenuRole(QAction::AboutQtRole);
    connect(aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);

    undoAction_ = document_->undoStack()->createUndoAction(this, tr("&Undo"));
    undoAction_->setShortcut(QKeySequence::Undo);
    redoAction_ = document_->undoStack()->createRedoAction(this, tr("&Redo"));
    // QKeySequence::Redo is Ctrl+Shift+Z on X11 as well: listing both bound it twice, and Qt
    // answers a doubly bound key with "Ambiguous shortcut overload" instead of redoing.
    redoAction_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(newProjectAction_);
    file->addAction(openProjectAction_);
    file->addMenu(recentMenu_);
    file->addSeparator();
    file->addAction(cancelAction_);
    file->addSeparator();
    file->addAction(exportAction_);
    file->addAction(reportAction_);
    file->addSeparator();
    file->addAction(quitAction_);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(undoAction_);
    edit->addAction(redoAction_);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* jobsAction = jobsDock_->toggleViewAction();
    jobsAction->setText(tr("&Jobs"));
    jobsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_J));
    view->addAction(jobsAction);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(aboutAction_);
    help->addAction(aboutQtAction);
}

QWidget* MainWindow::createStartPage()
{
    auto* page = new QWidget;
    page->setObjectName(QStringLiteral("startPage"));

    auto* icon = new QLabel(page);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/crowdsift.svg")).pixmap(96, 96));
    icon->setAlignment(Qt::AlignCenter);

    auto* title = new QLabel(tr("Crowdsift"), page);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 2.0);
    titleFont.setBold(true);
    title->setFont(titleFont);
    title->setAlignment(Qt::AlignCenter);

    auto* subtitle = new QLabel(tr("Aggregate, review and relabel crowdsourced image-classification labels."), page);
    subtitle->setAlignment(Qt::AlignCenter);
    subtitle->setForegroundRole(QPalette::PlaceholderText);

    auto* newProjectButton = new QPushButton(tr("New Project from Dataset…"), page);
    newProjectButton->setObjectName(QStringLiteral("newProjectButton"));
    auto* openProjectButton = new QPushButton(tr("Open Project…"), page);
    for (QPushButton* button : {newProjectButton, openProjectButton})
        button->setMinimumWidth(220);
    connect(newProjectButton, &QPushButton::clicked, this, [this] { newProjectFromDataset(); });
    connect(openProjectButton, &QPushButton::clicked, this, &MainWindow::openProject);

    auto* hint = new QLabel(tr("or drop a project file, dataset file or folder here"), page);
    hint->setAlignment(Qt::AlignCenter);
    hint->setForegroundRole(QPalette::PlaceholderText);

    auto* layout = new QVBoxLayout(page);
    layout->addStretch(2);
    layout->addWidget(icon);
    layout->addSpacing(8);
    layout->addWidget(title);
    layout->addWidget(subtitle);
    layout->addSpacing(24);
    for (QPushButton* button : {newProjectButton, openProjectButton})
        layout->addWidget(button, 0, Qt::AlignHCenter);
    layout->addSpacing(8);
    layout->addWidget(hint);
    layout->addSpacing(24);
    startRecent_ = new QWidget(page);
    startRecent_->setObjectName(QStringLiteral("startRecent"));
    new QVBoxLayout(startRecent_);
    layout->addWidget(startRecent_, 0, Qt::AlignHCenter);
    layout->addStretch(3);
    return page;
}

void MainWindow::updateRecentProjects()
{
    const QStringList paths = recentProjects();
    recentMenu_->clear();
    QLayout* startLayout = startRecent_->layout();
    while (QLayoutItem* item = startLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (!paths.isEmpty()) {
        auto* title = new QLabel(tr("Recent projects"));
        title->setForegroundRole(QPalette::PlaceholderText);
        startLayout->addWidget(title);
    }
    for (int i = 0; i < paths.size(); ++i) {
        const QString path = paths[i];
        QString shown = QDir::toNativeSeparators(path);
        shown.replace(QLatin1Char('&'), QStringLiteral("&&"));
        QAction* action = recentMenu_->addAction(i < 9 ? QStringLiteral("&%1  %2").arg(i + 1).arg(shown) : shown);
        action->setData(path);
        connect(action, &QAction::triggered, this, [this, path] { openPath(path); });
        auto* button = new QPushButton(fileNameOf(path));
        button->setFlat(true);
        button->setToolTip(QDir::toNativeSeparators(path));
        button->setCursor(Qt::PointingHandCursor);
        connect(button, &QPushButton::clicked, this, [this, path] { openPath(path); });
        startLayout->addWidget(button);
    }
    if (paths.isEmpty())
        recentMenu_->addAction(tr("No recent projects"))->setEnabled(false);
    recentMenu_->addSeparator();
    QAction* clear = recentMenu_->addAction(tr("&Clear Recent"));
    clear->setObjectName(QStringLiteral("clearRecentAction"));
    clear->setEnabled(!paths.isEmpty());
    connect(clear, &QAction::triggered, this, [this] {
        clearRecentProjects();
        updateRecentProjects();
    });
}

void MainWindow::showPage(Page page)
{
    switch (page) {
    case Page::Overview:
        tabs_->setCurrentWidget(overview_);
        break;
    case Page::Annotators:
        tabs_->setCurrentWidget(annotators_);
        break;
    case Page::Review:
        tabs_->setCurrentWidget(review_);
        break;
    case Page::Map:
        tabs_->setCurrentWidget(map_);
        break;
    case Page::Runs:
        tabs_->setCurrentWidget(runs_);
        break;
    case Page::Learning:
        if (learn_)
            tabs_->setCurrentWidget(learn_);
        else if (learnHolder_)
            tabs_->setCurrentWidget(learnHolder_);
        break;
    }
}

QWidget* MainWindow::ensureLearnPage()
{
    if (learn_ || !learnHolder_)
        return learn_;  // made, or no Learning tab in this build
    if (learnHolder_->layout()->count() > 0)
        return nullptr;  // the module failed to load; the tab says so
    QString error;
    const GuiModule* module = guiModule(&error);
    if (!module) {
        auto* message = new QLabel(tr("The Learning tab needs its module, which could not be loaded:\n%1").arg(error));
        message->setObjectName(QStringLiteral("learnModuleError"));
        message->setWordWrap(true);
        message->setTextInteractionFlags(Qt::TextSelectableByMouse);
        learnHolder_->layout()->addWidget(message);
        requireGuiModule(this);  // the message box
        return nullptr;
    }
    learn_ = module->createLearnPage(document_, jobs_);
    if (!learn_)
        return nullptr;
    // The page takes the holder's place in the tabs.
    const int index = tabs_->indexOf(learnHolder_);
    const bool current = tabs_->currentIndex() == index;
    tabs_->insertTab(index, learn_, tr("Learning"));
    if (current)
        tabs_->setCurrentIndex(index);
    tabs_->removeTab(index + 1);
    learnHolder_->deleteLater();
    learnHolder_ = nullptr;
    const std::vector<std::int64_t> selected = runs_->selectedRuns();
    if (selected.size() == 1)
        module->showRun(learn_, selected.front());
    return learn_;
}

void MainWindow::openPath(const QString& path)
{
    // A path that does not exist goes to the document, which says so like for any failed open.
    if (QFileInfo::exists(path) && !isProjectPath(path))
        newProjectFromDataset(path);
    else
        document_->open(path);
}

NewProjectDialog* MainWindow::newProjectDialog() const
{
    return findChild<NewProjectDialog*>(QStringLiteral("newProjectDialog"));
}

void MainWindow::newProjectFromDataset(const QString& dataset)
{
    NewProjectDialog* dialog = newProjectDialog();
    if (!dialog) {
        dialog = new NewProjectDialog(this);
        dialog->setObjectName(QStringLiteral("newProjectDialog"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, this, [this, dialog] {
            rememberDirectory(QFileInfo(dialog->request().dataset).absolutePath());
            document_->importDataset(dialog->request());
        });
    }
    if (!dataset.isEmpty())
        dialog->setDataset(QFileInfo(dataset).absoluteFilePath());
    dialog->setOpenProject(document_->path());
    dialog->setBrowseDirectory(startDirectory());
    dialog->open();
    dialog->raise();
}

void MainWindow::openProject()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), startDirectory(),
                                                      tr("Crowdsift projects (*.csift);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberDirectory(QFileInfo(path).absolutePath());
    openPath(path);
}

void MainWindow::cancelLoad()
{
    document_->cancelLoad();
}

void MainWindow::exportLabels()
{
    if (!document_->aggregation())
        return;
    ExportDialog dialog(document_, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const QStringList files = dialog.writtenFiles();
    statusBar()->showMessage(tr("Exported %1").arg(files.isEmpty() ? QString() : fileNameOf(files.front())), 5000);
}

TriageSourceOptions MainWindow::reportTriageOptions() const
{
    // The report shows what the Review tab shows: its source and its thresholds.
    TriageSourceOptions options;
    options.crowdRule = review_->rule();
    if (const std::int64_t run = review_->triageSource(); run != 0) {
        options.kind = TriageSourceKind::Trajectory;
        options.run = run;
        options.trajectoryRule = review_->trajectoryRule();
    } else {
        options.kind = TriageSourceKind::Crowd;
    }
    return options;
}

void MainWindow::exportReport()
{
    if (!document_->project())
        return;
    ReportDialog dialog(document_, jobs_, reportTriageOptions(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const QString folder = dialog.folder();
    const int job = dialog.jobId();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(jobs_, &JobManager::jobFinished, this, [this, job, folder, connection](int id, JobStatus status) {
        if (id != job)
            return;
        disconnect(*connection);
        if (status == JobStatus::Finished)
            statusBar()->showMessage(tr("Report written to %1").arg(folder), 5000);
        else if (status == JobStatus::Failed)
            statusBar()->showMessage(tr("The report failed: %1").arg(jobs_->job(id).error), 8000);
    });
}

void MainWindow::about()
{
    QMessageBox::about(
        this, tr("About Crowdsift"),
        tr("<h3>Crowdsift %1</h3>"
           "<p>Aggregate crowdsourced image-classification labels, train models on the consensus, "
           "review the images flagged as hard or doubtful and inspect annotator quality.</p>"
           "<p>Built with Qt %2.</p>")
            .arg(QStringLiteral(CROWDSIFT_VERSION), QString::fromLatin1(qVersion())));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // The document waits for its loader thread when destroyed, the job manager for its jobs;
    // cancelling first keeps that short.
    document_->cancelLoad();
    jobs_->cancelAll();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.front().isLocalFile())
        return;
    event->acceptProposedAction();
    openPath(urls.front().toLocalFile());
}

void MainWindow::onLoadStarted(const QString& path)
{
    progressBar_->setRange(0, 0);
    progressBar_->show();
    cancelButton_->show();
    cancelAction_->setEnabled(true);
    const QString source = document_->importSource();
    statusBar()->showMessage(source.isEmpty() ? tr("Opening %1…").arg(fileNameOf(path))
                                              : tr("Importing %1 into %2…").arg(fileNameOf(source), fileNameOf(path)));
}

void MainWindow::onLoadProgress(double fraction, const QString& stage)
{
    progressBar_->setRange(0, 1000);
    progressBar_->setValue(static_cast<int>(fraction * 1000.0 + 0.5));
    if (stage.isEmpty())
        return;
    const QString source = document_->importSource();
    const QString path = fileNameOf(document_->loadingPath());
    statusBar()->showMessage(source.isEmpty() ? tr("Opening %1: %2…").arg(path, stage)
                                              : tr("Importing %1 into %2: %3…").arg(fileNameOf(source), path, stage));
}

void MainWindow::endLoading()
{
    if (document_->isLoading())
        return;
    progressBar_->hide();
    cancelButton_->hide();
    cancelAction_->setEnabled(false);
}

void MainWindow::onLoaded()
{
    endLoading();
    const DatasetSummary& s = document_->summary();
    const QLocale locale;
    countsLabel_->setText(tr("%1 items · %2 annotators · %3 answers · %4 classes")
                              .arg(locale.toString(s.items), locale.toString(s.annotators),
                                   locale.toString(static_cast<qlonglong>(s.answers)), locale.toString(s.classes)));
    stack_->setCurrentWidget(tabs_);
    const bool readOnly = document_->isReadOnly();
    readOnlyBanner_->setVisible(readOnly);
    map_->computeButton()->setEnabled(!readOnly);  // a map is stored as a run
    updateTitle();
    addRecentProject(document_->path());
    updateRecentProjects();
    const QString source = document_->importSource();
    statusBar()->showMessage(source.isEmpty() ? tr("Opened %1").arg(fileNameOf(document_->path()))
                                              : tr("Created %1 from %2").arg(fileNameOf(document_->path()),
                                                                            fileNameOf(source)),
                             5000);
    showLoadWarnings();
}

// What the reader dropped or changed: a lasting status message and a non-modal box whose details
// list every warning, so the curator sees them without being stopped.
void MainWindow::showLoadWarnings()
{
    const QStringList warnings = document_->loadWarnings();
    if (warnings.isEmpty())
        return;
    const QString source = document_->importSource();
    const QString name = fileNameOf(source.isEmpty() ? document_->path() : source);
    statusBar()->showMessage(tr("Created %1 from %2 with %n warning(s)", nullptr, static_cast<int>(warnings.size()))
                                 .arg(fileNameOf(document_->path()), name));
    auto* box = new QMessageBox(QMessageBox::Information, tr("Read %1 with warnings").arg(name),
                                tr("Reading %1 dropped or changed some input.").arg(name), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadWarningsBox"));
    box->setInformativeText(warnings.front());
    box->setDetailedText(warnings.join(QLatin1Char('\n')));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->show();
}

QWidget* MainWindow::createAnnouncement()
{
    announcement_ = new QFrame;
    announcement_->setObjectName(QStringLiteral("runAnnouncement"));
    static_cast<QFrame*>(announcement_)->setFrameShape(QFrame::StyledPanel);
    announcement_->setAutoFillBackground(true);
    QPalette palette = announcement_->palette();
    palette.setColor(QPalette::Window, palette.color(QPalette::ToolTipBase));
    palette.setColor(QPalette::WindowText, palette.color(QPalette::ToolTipText));
    announcement_->setPalette(palette);
    announceText_ = new QLabel;
    announceText_->setObjectName(QStringLiteral("runAnnouncementText"));
    announceText_->setWordWrap(true);
    announceActivate_ = new QPushButton(tr("Make Active"));
    announceActivate_->setObjectName(QStringLiteral("makeAnnouncedActive"));
    announceActivate_->setToolTip(tr("Review and export this run's consensus; accepted and relabelled items keep "
                                     "the labels the curator decided"));
    auto* dismiss = new QPushButton(tr("Dismiss"));
    dismiss->setObjectName(QStringLiteral("dismissAnnouncement"));
    auto* layout = new QHBoxLayout(announcement_);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(announceText_, 1);
    layout->addWidget(announceActivate_);
    layout->addWidget(dismiss);
    connect(announceActivate_, &QPushButton::clicked, this, [this] {
        const std::int64_t run = announcedRun_;
        if (run != 0 && document_->setActiveRun(run))
            statusBar()->showMessage(tr("Run %1 is now the active run").arg(run), 5000);
        announcement_->hide();
    });
    connect(dismiss, &QPushButton::clicked, announcement_, &QWidget::hide);
    announcement_->hide();
    return announcement_;
}

void MainWindow::onRunAnnounced(std::int64_t run, const QString& message)
{
    announcedRun_ = run;
    announceText_->setText(message);
    announcement_->show();
    statusBar()->showMessage(tr("Run %1 finished; the active run did not change").arg(run), 5000);
}

void MainWindow::onLoadFailed(const QString& path, const QString& message)
{
    endLoading();
    const QString source = document_->importSource();
    const QString what = source.isEmpty() ? tr("Could not open %1").arg(fileNameOf(path))
                                          : tr("Could not create %1 from %2").arg(fileNameOf(path), fileNameOf(source));
    statusBar()->showMessage(tr("%1: %2").arg(what, message));
    // Window-modal and non-blocking, so a load started meanwhile (or a test) is not held up.
    auto* box = new QMessageBox(QMessageBox::Warning, what, what + QLatin1Char('.'), QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("loadErrorBox"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::onLoadCancelled(const QString& path)
{
    endLoading();
    const QString source = document_->importSource();
    statusBar()->showMessage(source.isEmpty()
                                 ? tr("Cancelled opening %1").arg(fileNameOf(path))
                                 : tr("Cancelled importing %1; no project was created").arg(fileNameOf(source)),
                             5000);
}

void MainWindow::updateTitle()
{
    if (document_->hasDataset())
        setWindowTitle(tr("%1 — Crowdsift").arg(document_->displayName()));
    else
        setWindowTitle(tr("Crowdsift"));
}

QString MainWindow::startDirectory() const
{
    const QString last = QSettings().value(QLatin1String(kLastDirectoryKey)).toString();
    return !last.isEmpty() && QFileInfo(last).isDir() ? last : QDir::homePath();
}

void MainWindow::rememberDirectory(const QString& path)
{
    QSettings().setValue(QLatin1String(kLastDirectoryKey), path);
}

}  // namespace crowdsift
