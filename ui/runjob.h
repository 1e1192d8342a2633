#pragma once

// The GUI side of the run service (core/project/run_service.h): one typed object per job that
// produces a project run. A page describes the work; the job records the run as "running" on a
// connection of its own when it starts, the work computes and writes the outputs on the worker
// thread, and the run ends done / failed (with the reason) / cancelled there. The GUI thread
// only receives the result: the run's summary and, for a run with a consensus, the result in
// memory and its comparison with the active run. The document then lists the run, and makes it
// active only when the project has none; otherwise it announces it (ProjectDocument::runAnnounced).
//
// A page connects to the job's signals with itself as context: when the page goes, so do its
// connections, and a job that outlives a document load is answered "failed" rather than applied
// to another project. No generation counters or pointer checks in the pages.

#include "aggregate/result.h"
#include "project/aggregation_runs.h"

#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace crowdsift {

class JobManager;
class Progress;
class Project;
class ProjectDocument;
enum class JobStatus;

// What a run job's work hands back; computed and written on the worker.
struct RunJobResult {
    std::int64_t run = 0;    // the run recorded for the job (set by the job)
    nlohmann::json summary;  // what the work returned, stored with the run
    // A run with a consensus (aggregation, CROWDLAB loop): the result itself, so that making it
    // active reads nothing from disk, and (filled in by the job on the worker) how it compares
    // with the project's active run and whether it became the active run (the project had none).
    std::shared_ptr<const AggregationResult> consensus;
    RunComparison comparison;
    bool activated = false;
    QStringList log;  // lines for the Jobs panel
};

// What the work gets on the worker thread.
struct RunContext {
    Project& project;  // the job's own connection; the GUI thread keeps the document's
    std::int64_t run;  // recorded as "running" before the work started
    const Dataset& dataset;
    Progress& progress;
    // Hands `report` (e.g. an epoch or an iteration) to RunJob::reported on the GUI thread, in order.
    std::function<void(const QVariant& report)> report;
};

// Computes and writes the run's outputs (Project::addRunOutput on context.project) and returns
// the summary and, for a consensus, the result. Throws Cancelled when the progress token is
// cancelled, any std::exception to fail the run with its message.
using RunWork = std::function<RunJobResult(RunContext& context)>;

struct RunRequest {
    QString title;            // for the Jobs panel and the page's status line
    std::string kind;         // "aggregate", "train", ...
    std::string name;         // the run's name (strategy, model)
    nlohmann::json params;    // stored with the run
    RunWork work;
};

class RunJob : public QObject {
    Q_OBJECT
public:
    // Starts `request` on the open project of `document` through `jobs`; null (nothing started)
    // when no project is open. The job is a child of the document and deletes itself once it
    // ended and its finished signal was delivered.
    static RunJob* start(ProjectDocument* document, JobManager* jobs, RunRequest request);

    int jobId() const { return jobId_; }
    QString title() const { return title_; }
    // The run recorded for the job; 0 until the worker recorded it.
    std::int64_t run() const { return run_; }
    bool isRunning() const { return running_; }
    // Once finished with JobStatus::Finished.
    const RunJobResult& result() const { return result_; }
    // Why it failed; empty otherwise.
    QString error() const { return error_; }
    void cancel();

Q_SIGNALS:
    void recorded(std::int64_t run);
    // permille in [0, 1000]; text: the Jobs panel's running line (stage, elapsed, ETA).
    void progressed(int permille, const QString& text);
    void reported(const QVariant& report);
    // Exactly once. Finished: result() holds the run, already listed by the document (and active
    // when the project had none). Failed / Cancelled: the run, when recorded, is listed as such.
    void finished(crowdsift::JobStatus status);

private:
    RunJob(ProjectDocument* document, JobManager* jobs, const QString& title);
    void onJobChanged(int id);
    void onJobFinished(int id, JobStatus status);

    ProjectDocument* document_;
    JobManager* jobs_;
    QString title_;
    int jobId_ = 0;
    std::int64_t run_ = 0;
    bool running_ = true;
    RunJobResult result_;
    QString error_;
};

}  // namespace crowdsift
