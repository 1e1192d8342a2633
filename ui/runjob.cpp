#include "runjob.h"

#include "jobmanager.h"
#include "projectdocument.h"

#include "project/run_service.h"
#include "project/store.h"
#include "util/progress.h"

#include <QCoreApplication>
#include <QPointer>

#include <stdexcept>
#include <utility>

namespace crowdsift {

RunJob::RunJob(ProjectDocument* document, JobManager* jobs, const QString& title)
    : QObject(document), document_(document), jobs_(jobs), title_(title)
{
    connect(jobs_, &JobManager::jobChanged, this, &RunJob::onJobChanged);
    connect(jobs_, &JobManager::jobFinished, this, &RunJob::onJobFinished);
}

RunJob* RunJob::start(ProjectDocument* document, JobManager* jobs, RunRequest request)
{
    Project* project = document->project();
    if (!project)
        return nullptr;
    auto* job = new RunJob(document, jobs, request.title);
    const std::string path = project->path();
    const std::shared_ptr<const Dataset> dataset = document->sharedDataset();
    const quint64 generation = document->generation();
    const QPointer<RunJob> self(job);
    const QPointer<ProjectDocument> owner(document);
    // From the worker to the GUI thread, in order; dropped there once the job object is gone.
    // (The application object outlives every job: JobManager waits for its workers.)
    const auto post = [self](std::function<void(RunJob&)> call) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, call = std::move(call)] {
                if (self)
                    call(*self);
            },
            Qt::QueuedConnection);
    };

    const QString title = request.title;  // read before the work takes the request
    job->jobId_ = jobs->start(title, [path, dataset, generation, self, owner, post,
                                              request = std::move(request)](Progress& progress) {
        // A connection of its own: the run's lock is held by this thread's connection for the
        // whole job, and the GUI thread never waits for the job's writes.
        Project own = Project::open(path);
        auto result = std::make_shared<RunJobResult>();
        const std::int64_t run = recordRun(
            own, request.kind, request.params, request.name,
            [&](std::int64_t id) {
                RunContext context{own, id, *dataset, progress, [post](const QVariant& report) {
                                       post([report](RunJob& job) { Q_EMIT job.reported(report); });
                                   }};
                *result = request.work(context);
                return result->summary;
            },
            [post](std::int64_t id) {
                post([id](RunJob& job) {
                    job.run_ = id;
                    Q_EMIT job.recorded(id);
                });
            });
        result->run = run;
        if (result->consensus) {
            result->activated = own.activateIfNone(run);
            result->comparison = compareWithActiveRun(own, *dataset, run, result->consensus->labels);
        }
        // On the GUI thread: hand over what is already written; nothing here reads the disk.
        return JobManager::Completion([self, owner, generation, result](QStringList& log) {
            log.append(result->log);
            log.append(tr("stored as run %1").arg(result->run));
            if (!owner || owner->generation() != generation)
                throw std::runtime_error("stored as run " + std::to_string(result->run)
                                         + ", but another project was opened meanwhile: it is not shown");
            if (self)
                self->result_ = *result;
            owner->adoptRun(*result);
        });
    });
    return job;
}

void RunJob::cancel()
{
    if (running_)
        jobs_->cancel(jobId_);
}

void RunJob::onJobChanged(int id)
{
    if (id != jobId_ || !running_)
        return;
    Q_EMIT progressed(jobs_->permille(id), jobs_->isRunning(id) ? jobs_->runningText(id) : QString());
}

void RunJob::onJobFinished(int id, JobStatus status)
{
    if (id != jobId_)
        return;
    running_ = false;
    if (status == JobStatus::Failed)
        error_ = jobs_->job(id).error;
    // A failed or cancelled run is listed as such; a finished one the document listed already.
    if (status != JobStatus::Finished)
        document_->notifyRunsChanged();
    Q_EMIT finished(status);
    deleteLater();
}

}  // namespace crowdsift
