#include "trajectorysource.h"

#include "projectdocument.h"

#include "project/store.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <utility>

namespace crowdsift {

TrajectoryData loadTrajectoryData(const Project& project, const Dataset& dataset, std::int64_t run, double window)
{
    auto trajectory = std::make_shared<const TrajectoryRun>(loadTrajectoryRun(project, dataset, run));
    TrajectoryData data;
    data.quartiles = std::make_shared<const ClassSigmaQuartiles>(
        classSigmaQuartiles(trajectory->sigma, trajectory->epochs, trajectory->labels, dataset.classCount()));
    data.run = std::move(trajectory);
    return rescoreTrajectoryData(data, dataset.classCount(), window);
}

TrajectoryData rescoreTrajectoryData(const TrajectoryData& data, int classes, double window)
{
    TrajectoryData out = data;
    out.scores = std::make_shared<const TrajectoryScores>(
        trajectoryScores(data.run->sigma, data.run->epochs, data.run->labels, classes, window));
    out.window = window;
    return out;
}

TrajectorySource::TrajectorySource(ProjectDocument* document, QObject* parent) : QObject(parent), document_(document)
{
}

void TrajectorySource::reset(std::shared_ptr<const TrajectoryData> loaded)
{
    ++epoch_;
    current_ = std::move(loaded);
    pending_ = false;
    if (running_) {
        running_ = false;
        Q_EMIT busyChanged(false);
    }
}

bool TrajectorySource::request(std::int64_t run, double window)
{
    const bool isCurrent = current_ && current_->run->run == run && current_->window == window;
    if (running_) {
        // Whatever runs now, this is what is wanted when it ends.
        pending_ = true;
        pendingRequest_ = {run, window};
        return false;
    }
    if (isCurrent)
        return true;
    start({run, window});
    return false;
}

namespace {

struct JobResult {
    std::shared_ptr<const TrajectoryData> data;
    QString error;
};

}  // namespace

void TrajectorySource::start(Request request)
{
    Project* project = document_->project();
    if (!project) {
        Q_EMIT failed(request.run, tr("no project is open"));
        return;
    }
    running_ = true;
    Q_EMIT busyChanged(true);
    const quint64 generation = document_->generation();
    const quint64 epoch = epoch_;
    // The same run at another window is rescored from memory; another run is read on the
    // worker's own connection to the project.
    const std::shared_ptr<const TrajectoryData> same
        = current_ && current_->run->run == request.run ? current_ : nullptr;
    const std::string path = project->path();
    const std::shared_ptr<const Dataset> dataset = document_->sharedDataset();
    auto* watcher = new QFutureWatcher<JobResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, epoch, request] {
        watcher->deleteLater();
        const JobResult result = watcher->result();
        onFinished(generation, epoch, request, result.data, result.error);
    });
    watcher->setFuture(QtConcurrent::run([same, path, dataset, request]() -> JobResult {
        try {
            if (same)
                return {std::make_shared<const TrajectoryData>(
                            rescoreTrajectoryData(*same, dataset->classCount(), request.window)),
                        {}};
            const Project own = Project::open(path);
            return {std::make_shared<const TrajectoryData>(loadTrajectoryData(own, *dataset, request.run, request.window)),
                    {}};
        } catch (const std::exception& e) {
            return {nullptr, QString::fromStdString(e.what())};
        }
    }));
}

void TrajectorySource::onFinished(quint64 generation, quint64 epoch, Request request,
                                  std::shared_ptr<const TrajectoryData> data, const QString& error)
{
    if (epoch != epoch_ || generation != document_->generation())
        return;
    running_ = false;
    if (data)
        current_ = std::move(data);
    // The waiting request starts before anyone hears of this result, so that a listener asking
    // again joins it instead of starting a second job.
    const bool waiting = pending_;
    pending_ = false;
    if (waiting && !(current_ && current_->run->run == pendingRequest_.run && current_->window == pendingRequest_.window))
        start(pendingRequest_);
    else
        Q_EMIT busyChanged(false);
    if (!error.isEmpty())
        Q_EMIT failed(request.run, error);
    else
        Q_EMIT ready();
}

}  // namespace crowdsift
