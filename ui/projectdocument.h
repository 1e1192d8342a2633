#pragma once

#include "aggregate/result.h"
#include "data/dataset.h"
#include "data/summary.h"
#include "project/review.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QVector>

#include <cstdint>
#include <memory>
#include <vector>

class QUndoStack;

namespace crowdsift {

class DocumentLoader;
class Progress;
class Project;
class RunListModel;
struct ImportRequest;
struct LoadedDocument;
struct RunJobResult;
struct TrajectoryData;

// The open document: a project's Project store, its Dataset and summary, plus the review: the active aggregation run, the curator's decisions
// (ReviewState) and the undo stack. Views and models read it; every edit is an undo command
// that changes data through it, and it announces every change by signal. Loading runs on a private worker thread; the previous
// content stays in place until a new load has fully succeeded.
class ProjectDocument : public QObject {
    Q_OBJECT
public:
    explicit ProjectDocument(QObject* parent = nullptr);
    // Cancels a running load and waits for the loader thread to stop.
    ~ProjectDocument() override;

    // Starts loading the project `path` in the background; a load already running is cancelled
    // first. Emits loadStarted, then loadProgress while reading, and exactly one of loaded /
    // loadFailed / loadCancelled. A dataset is refused (loadFailed): import it instead.
    void open(const QString& path);
    // Like open(), for a project made from a dataset: reads request.dataset, creates
    // request.project and opens it. A failed or cancelled import leaves no project file behind.
    void importDataset(const ImportRequest& request);
    // The dataset the running or last load imported; empty when it opened a project.
    QString importSource() const { return importSource_; }
    // Cancels the running load at once: emits loadCancelled and keeps the previous content.
    void cancelLoad();
    bool isLoading() const { return loadingTicket_ != 0; }
    QString loadingPath() const { return loadingPath_; }

    bool hasDataset() const;
    // The empty dataset and summary until a load succeeded.
    const Dataset& dataset() const;
    // The same dataset, shared with a job that reads it on another thread (no copy).
    std::shared_ptr<const Dataset> sharedDataset() const;
    const DatasetSummary& summary() const;
    // Counts successful loads; a job started under one generation is not applied to another.
    quint64 generation() const { return generation_; }
    // The open project store; null when nothing is loaded.
    Project* project() const;
    // True when the open project was opened read-only (Project::readOnly(): this process cannot
    // write its file or folder). Nothing that writes it is offered then: relabel() and accept()
    // refuse with reviewError(), the undo history of earlier sessions is not loaded, and the
    // pages disable their writing buttons; the main window shows a banner.
    bool isReadOnly() const;
    QString path() const;
    // What the reader dropped or changed in the last successful load (LoadedDocument::warnings).
    QStringList loadWarnings() const;
    // The dataset's own name, else the opened file's base name.
    QString displayName() const;

    // The active run, the aggregation run the review reads: the project's saved choice
    // (Project::activeRun), read by the loader thread; null when there is none (or it could not
    // be read, see reviewError).
    const AggregationResult* aggregation() const { return aggregation_.get(); }
    // Its id in the project; 0 when none.
    std::int64_t aggregationRunId() const { return aggregationRunId_; }
    // Makes the stored aggregation run `runId` of the open project the active run and saves that
    // choice in the project. Returns false (and emits reviewError) when there is no project or the
    // run cannot be read. A run a job just announced is taken from memory.
    bool setActiveRun(std::int64_t runId);
    // setActiveRun() off the GUI thread: the run's arrays are read, and the choice saved, on a
    // worker with its own connection; then the result is shown (aggregationChanged) or the error
    // told (reviewError). A run just announced is taken from memory at once. Dropped when another
    // project was opened meanwhile. Returns false when nothing was started (no project).
    bool activateRun(std::int64_t runId);
    // True while activateRun() reads a run.
    bool isActivating() const { return activating_ != 0; }
    // Shows `result` (N items of this dataset) as run `runId` without saving anything: for a run
    // already active in the project, and for views tested with a result of their own (run 0).
    // Emits aggregationChanged.
    void setAggregation(std::shared_ptr<const AggregationResult> result, std::int64_t runId);

    // The newest data-parameters run with item sigmas as the loader read it with the project
    // (LoadedDocument::trajectory), scored at the default window; null when the project has none
    // or it could not be read (loadedTrajectoryError then says why). Later runs are read by the
    // Review tab's TrajectorySource.
    std::shared_ptr<const TrajectoryData> loadedTrajectory() const;
    QString loadedTrajectoryError() const;

    // The project's runs, newest first, for every page; refreshed on load, when a job records
    // or ends a run, and when the active run changes.
    RunListModel* runList() const { return runList_; }
    // Re-reads the project's runs into runList() and emits runsChanged.
    void notifyRunsChanged();
    // For RunJob, on the GUI thread, once a job's run is written: lists it, and when it has a
    // consensus either shows it (it became the active run: the project had none) or announces it
    // (runAnnounced) and keeps it in memory for setActiveRun. Never reads the disk.
    void adoptRun(const RunJobResult& result);
    // The run announced last and not made active since; 0 when none.
    std::int64_t announcedRun() const { return announcedRun_; }

    // Replayed from the project's decision log on load.
    const ReviewState& reviewState() const { return review_; }
    // Holds one command per user action; cleared on load, then refilled with the effective
    // steps of the reopened log so that they can be undone.
    QUndoStack* undoStack() const { return undoStack_; }
    // Who the decisions are recorded for: $USER, else "curator".
    const std::string& reviewer() const { return reviewer_; }

    // Undoable edits, each pushed on undoStack() as one command. `label` in [0, K).
    void relabel(const QVector<int>& items, int label, const QString& note = {});
    void accept(const QVector<int>& items, const QString& note = {});

    // For the undo commands: checks every row against reviewState(), then appends them to the
    // project (in one transaction, durable on return) stamped with one common
    // time and applies them. Returns the ids of the rows written, in order: all of them, or none
    // when a check or the write failed (reviewError then says why). Emits decisionsChanged with
    // the rows' items once they are written.
    std::vector<std::int64_t> recordDecisions(std::vector<Decision> rows);

Q_SIGNALS:
    void loadStarted(const QString& path);
    // fraction in [0, 1] of the current stage; stage is a short label ("reading answers").
    void loadProgress(double fraction, const QString& stage);
    void loaded();
    void loadFailed(const QString& path, const QString& message);
    void loadCancelled(const QString& path);
    void aggregationChanged();
    void runsChanged();
    // A job finished a run with a consensus while another run is active: `message` says how it
    // compares (its accuracy against the truth when known, the active run's, how many items the
    // two label differently); setActiveRun(run) makes it active.
    void runAnnounced(std::int64_t run, const QString& message);
    // activateRun() finished: `ok` when run `run` is now the active run.
    void runActivated(std::int64_t run, bool ok);
    void decisionsChanged(const QVector<int>& items);
    // A decision could not be recorded, or the project's run or decision log could not be read.
    void reviewError(const QString& message);

private:
    void loadReview();
    quint64 startLoad(const QString& path, const QString& importSource);

    void onProgressed(quint64 ticket, double fraction, const QString& stage);
    void onSucceeded(quint64 ticket, std::shared_ptr<LoadedDocument> document);
    void onFailed(quint64 ticket, const QString& message);
    void onCancelled(quint64 ticket);
    bool finishTicket(quint64 ticket);

    std::shared_ptr<LoadedDocument> current_;
    quint64 generation_ = 0;
    RunListModel* runList_ = nullptr;
    std::int64_t announcedRun_ = 0;
    std::int64_t activating_ = 0;  // the run activateRun() reads, 0 when none
    std::shared_ptr<const AggregationResult> announced_;
    QThread loaderThread_;
    DocumentLoader* loader_ = nullptr;  // lives on loaderThread_, deleted after it stopped
    std::shared_ptr<Progress> loadingProgress_;
    QString loadingPath_;
    QString importSource_;
    quint64 nextTicket_ = 1;
    quint64 loadingTicket_ = 0;  // 0 = idle

    std::shared_ptr<const AggregationResult> aggregation_;
    std::int64_t aggregationRunId_ = 0;
    ReviewState review_;
    QUndoStack* undoStack_ = nullptr;
    std::string reviewer_;
};

}  // namespace crowdsift
