#pragma once

#include "project/triage_source.h"

#include <QMainWindow>

#include <cstdint>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QToolButton;

namespace crowdsift {

class AnnotatorsPage;
class JobManager;
class JobsPanel;
class LearnPage;
class MapPage;
class NewProjectDialog;
class OverviewPage;
class ProjectDocument;
class ReviewPage;
class RunsPage;

// The application window: a start page until a project is open, then one tab per view of the
// open ProjectDocument. Every piece of work lives in a project file: a dataset becomes a project
// through File > New Project from Dataset before anything is done with it. Opening and importing
// run in the background with a progress bar and a cancel button
// in the status bar; errors show in a message box and in the status bar.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Overview, Annotators, Review, Map, Runs, Learning };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    ProjectDocument* document() const { return document_; }
    OverviewPage* overviewPage() const { return overview_; }
    AnnotatorsPage* annotatorsPage() const { return annotators_; }
    ReviewPage* reviewPage() const { return review_; }
    // The Map tab; its selection is shown in the Review grid ("Map selection") and the Review
    // grid's selection is ringed on it.
    MapPage* mapPage() const { return map_; }
    RunsPage* runsPage() const { return runs_; }
    // Null in a build without core/learn; showPage(Page::Learning) then does nothing. The page is
    // made the first time the Learning tab is shown or this is called (guimodule.h: it lives in a
    // module that loads LibTorch); this needs guimodule_impl.cpp linked in.
    LearnPage* learnPage();
    // Whether the Learning tab's page exists yet.
    bool hasLearnPage() const { return learn_ != nullptr; }
    JobManager* jobManager() const { return jobs_; }
    JobsPanel* jobsPanel() const { return jobsPanel_; }
    QDockWidget* jobsDock() const { return jobsDock_; }
    QAction* exportAction() const { return exportAction_; }
    // File > Export Report: per-class triage figures (ReportDialog).
    QAction* reportAction() const { return reportAction_; }
    // "Read-only: decisions cannot be saved", shown while the open project is read-only
    // (ProjectDocument::isReadOnly()).
    QLabel* readOnlyBanner() const { return readOnlyBanner_; }
    // The triage a report draws: the Review tab's, i.e. its source (a data-parameters run or the
    // crowd rule on the active run) with its thresholds.
    TriageSourceOptions reportTriageOptions() const;
    QAction* newProjectAction() const { return newProjectAction_; }
    // File > Open Recent: one action per recent project (its path as data), then Clear Recent.
    QMenu* recentMenu() const { return recentMenu_; }
    // The New Project from Dataset dialog while it is shown, else null.
    NewProjectDialog* newProjectDialog() const;
    QAction* undoAction() const { return undoAction_; }
    QAction* redoAction() const { return redoAction_; }
    void showPage(Page page);
    // The bar above the pages that announces a finished run which did not become active (its
    // accuracy and how it differs from the active run), with Make Active and Dismiss.
    QWidget* runAnnouncement() const { return announcement_; }
    QPushButton* makeAnnouncedActiveButton() const { return announceActivate_; }

public Q_SLOTS:
    // Opens a project file in the background; for a dataset file or folder, offers
    // newProjectFromDataset() with it preselected instead.
    void openPath(const QString& path);
    void openProject();
    // Shows the New Project from Dataset dialog (window-modal, not blocking), with `dataset`
    // preselected when given; accepting it imports in the background and opens the new project.
    void newProjectFromDataset(const QString& dataset = {});
    void cancelLoad();
    // File > Export: the final labels of the open document, in a dialog.
    void exportLabels();
    // File > Export Report: the report dialog; the report is written by a job.
    void exportReport();
    void about();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // Makes the Learning tab's page from the module (guimodule.h) unless done; null when the
    // build has no core/learn or the module cannot be loaded (the tab then says why).
    QWidget* ensureLearnPage();
    void createActions();
    QWidget* createAnnouncement();
    void onRunAnnounced(std::int64_t run, const QString& message);
    QWidget* createStartPage();
    void updateRecentProjects();
    void onLoadStarted(const QString& path);
    void onLoadProgress(double fraction, const QString& stage);
    void onLoaded();
    void showLoadWarnings();
    void onLoadFailed(const QString& path, const QString& message);
    void onLoadCancelled(const QString& path);
    void endLoading();
    void updateTitle();
    QString startDirectory() const;
    void rememberDirectory(const QString& path);

    ProjectDocument* document_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QWidget* announcement_ = nullptr;
    QLabel* announceText_ = nullptr;
    QPushButton* announceActivate_ = nullptr;
    std::int64_t announcedRun_ = 0;
    QWidget* startPage_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    OverviewPage* overview_ = nullptr;
    AnnotatorsPage* annotators_ = nullptr;
    ReviewPage* review_ = nullptr;
    MapPage* map_ = nullptr;
    bool mapFilter_ = false;  // the Review grid shows the map's selection
    RunsPage* runs_ = nullptr;
    // The Learning tab: a holder made at once, replaced by the page (a LearnPage) when first
    // needed; it stays, saying why, when the module cannot be loaded.
    QWidget* learnHolder_ = nullptr;
    QWidget* learn_ = nullptr;
    JobManager* jobs_ = nullptr;
    JobsPanel* jobsPanel_ = nullptr;
    QDockWidget* jobsDock_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QProgressBar* progressBar_ = nullptr;
    QToolButton* cancelButton_ = nullptr;
    QAction* newProjectAction_ = nullptr;
    QAction* openProjectAction_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QWidget* startRecent_ = nullptr;
    QAction* cancelAction_ = nullptr;
    QAction* exportAction_ = nullptr;
    QAction* reportAction_ = nullptr;
    QLabel* readOnlyBanner_ = nullptr;
    QAction* quitAction_ = nullptr;
    QAction* aboutAction_ = nullptr;
    QAction* undoAction_ = nullptr;
    QAction* redoAction_ = nullptr;
};

}  // namespace crowdsift
