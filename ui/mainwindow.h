#pragma once

#include <QMainWindow>

class QAction;
class QDockWidget;
class QLabel;
class QProgressBar;
class QStackedWidget;
class QTabWidget;
class QToolButton;

namespace crowdsift {

class AnnotatorsPage;
class JobManager;
class JobsPanel;
class LearnPage;
class OverviewPage;
class ProjectDocument;
class ReviewPage;
class RunsPage;

// The application window: a start page until something is loaded, then one tab per view of the
// open ProjectDocument. Opening runs in the background with a progress bar and a cancel button
// in the status bar; errors show in a message box and in the status bar.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Overview, Annotators, Review, Runs, Learning };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    ProjectDocument* document() const { return document_; }
    OverviewPage* overviewPage() const { return overview_; }
    AnnotatorsPage* annotatorsPage() const { return annotators_; }
    ReviewPage* reviewPage() const { return review_; }
    RunsPage* runsPage() const { return runs_; }
    // Null in a build without core/learn; showPage(Page::Learning) then does nothing.
    LearnPage* learnPage() const { return learn_; }
    JobManager* jobManager() const { return jobs_; }
    JobsPanel* jobsPanel() const { return jobsPanel_; }
    QDockWidget* jobsDock() const { return jobsDock_; }
    QAction* exportAction() const { return exportAction_; }
    QAction* undoAction() const { return undoAction_; }
    QAction* redoAction() const { return redoAction_; }
    void showPage(Page page);

public Q_SLOTS:
    // Opens a project file, a dataset file or a dataset folder in the background.
    void openPath(const QString& path);
    void openProject();
    void openDatasetFolder();
    void openDatasetFile();
    void cancelLoad();
    // File > Export: the final labels of the open document, in a dialog.
    void exportLabels();
    void about();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    QWidget* createStartPage();
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
    QWidget* startPage_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    OverviewPage* overview_ = nullptr;
    AnnotatorsPage* annotators_ = nullptr;
    ReviewPage* review_ = nullptr;
    RunsPage* runs_ = nullptr;
    LearnPage* learn_ = nullptr;
    JobManager* jobs_ = nullptr;
    JobsPanel* jobsPanel_ = nullptr;
    QDockWidget* jobsDock_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QProgressBar* progressBar_ = nullptr;
    QToolButton* cancelButton_ = nullptr;
    QAction* openProjectAction_ = nullptr;
    QAction* openFolderAction_ = nullptr;
    QAction* openFileAction_ = nullptr;
    QAction* cancelAction_ = nullptr;
    QAction* exportAction_ = nullptr;
    QAction* quitAction_ = nullptr;
    QAction* aboutAction_ = nullptr;
    QAction* undoAction_ = nullptr;
    QAction* redoAction_ = nullptr;
};

}  // namespace crowdsift
