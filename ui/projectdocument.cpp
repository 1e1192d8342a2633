#include "projectdocument.h"

#include "documentloader.h"
#include "reviewcommands.h"
#include "runjob.h"
#include "runlistmodel.h"

#include "project/aggregation_runs.h"
#include "project/review_actions.h"
#include "project/store.h"
#include "util/progress.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QUndoStack>

#include <chrono>
#include <cmath>
#include <exception>
#include <stdexcept>

namespace crowdsift {

ProjectDocument::ProjectDocument(QObject* parent)
    : QObject(parent), current_(std::make_shared<LoadedDocument>())
{
    loaderThread_.setObjectName(QStringLiteral("crowdsift-loader"));
    loader_ = new DocumentLoader;
    loader_->moveToThread(&loaderThread_);
    connect(loader_, &DocumentLoader::progressed, this, &ProjectDocument::onProgressed);
    connect(loader_, &DocumentLoader::succeeded, this, &ProjectDocument::onSucceeded);
    connect(loader_, &DocumentLoader::failed, this, &ProjectDocument::onFailed);
    connect(loader_, &DocumentLoader::cancelled, this, &ProjectDocument::onCancelled);

    undoStack_ = new QUndoStack(this);
    runList_ = new RunListModel(this);
    const QByteArray user = qgetenv("USER");
    reviewer_ = user.isEmpty() ? std::string("curator") : user.toStdString();
}

ProjectDocument::~ProjectDocument()
{
    if (loadingProgress_)
        loadingProgress_->cancel();
    loaderThread_.quit();
    loaderThread_.wait();
    delete loader_;
}

quint64 ProjectDocument::startLoad(const QString& path, const QString& importSource)
{
    cancelLoad();
    if (!loaderThread_.isRunning())
        loaderThread_.start();

    const quint64 ticket = nextTicket_++;
    loadingTicket_ = ticket;
    loadingProgress_ = std::make_shared<Progress>();
    loadingPath_ = path;
    importSource_ = importSource;
    Q_EMIT loadStarted(path);
    return ticket;
}

void ProjectDocument::open(const QString& path)
{
    const quint64 ticket = startLoad(path, {});
    DocumentLoader* loader = loader_;
    auto progress = loadingProgress_;
    QMetaObject::invokeMethod(
        loader_, [loader, ticket, path, progress] { loader->load(ticket, path, progress); },
        Qt::QueuedConnection);
}

void ProjectDocument::importDataset(const ImportRequest& request)
{
    const quint64 ticket = startLoad(request.project, request.dataset);
    DocumentLoader* loader = loader_;
    auto progress = loadingProgress_;
    QMetaObject::invokeMethod(
        loader_, [loader, ticket, request, progress] { loader->import(ticket, request, progress); },
        Qt::QueuedConnection);
}

void ProjectDocument::cancelLoad()
{
    if (!isLoading())
        return;
    // The worker stops at its next progress check; whatever it still sends back carries a
    // finished ticket and is dropped, so the document is idle from here on.
    loadingProgress_->cancel();
    const QString path = loadingPath_;
    loadingPath_.clear();
    finishTicket(loadingTicket_);
    Q_EMIT loadCancelled(path);
}

bool ProjectDocument::hasDataset() const
{
    return !current_->path.isEmpty();
}

const Dataset& ProjectDocument::dataset() const
{
    return current_->dataset;
}

std::shared_ptr<const Dataset> ProjectDocument::sharedDataset() const
{
    return {current_, &current_->dataset};
}

const DatasetSummary& ProjectDocument::summary() const
{
    return current_->summary;
}

Project* ProjectDocument::project() const
{
    return current_->project.get();
}

bool ProjectDocument::isReadOnly() const
{
    return current_->project && current_->project->readOnly();
}

QString ProjectDocument::path() const
{
    return current_->path;
}

QStringList ProjectDocument::loadWarnings() const
{
    return current_->warnings;
}

QString ProjectDocument::displayName() const
{
    if (!current_->summary.name.empty())
        return QString::fromStdString(current_->summary.name);
    return QFileInfo(current_->path).completeBaseName();
}

std::shared_ptr<const TrajectoryData> ProjectDocument::loadedTrajectory() const
{
    return current_->trajectory;
}

QString ProjectDocument::loadedTrajectoryError() const
{
    return current_->trajectoryError;
}

void ProjectDocument::setAggregation(std::shared_ptr<const AggregationResult> result, std::int64_t runId)
{
    aggregation_ = std::move(result);
    aggregationRunId_ = aggregation_ ? runId : 0;
    runList_->setActiveRun(aggregationRunId_);
    Q_EMIT aggregationChanged();
}

bool ProjectDocument::setActiveRun(std::int64_t runId)
{
    Project* project = this->project();
    if (!project) {
        Q_EMIT reviewError(tr("Run %1 cannot be made active: no project is open").arg(runId));
        return false;
    }
    try {
        std::shared_ptr<const AggregationResult> result
            = runId == announcedRun_ && announced_
                  ? announced_
                  : std::make_shared<const AggregationResult>(loadAggregationRun(*project, dataset(), runId));
        project->setActiveRun(runId);
        if (runId == announcedRun_) {
            announcedRun_ = 0;
            announced_.reset();
        }
        setAggregation(std::move(result), runId);
    } catch (const std::exception& e) {
        Q_EMIT reviewError(tr("Run %1 cannot be made active: %2").arg(runId).arg(QString::fromStdString(e.what())));
        return false;
    }
    return true;
}

bool ProjectDocument::activateRun(std::int64_t runId)
{
    Project* project = this->project();
    if (!project) {
        Q_EMIT reviewError(tr("Run %1 cannot be made active: no project is open").arg(runId));
        return false;
    }
    if (runId == announcedRun_ && announced_) {
        const bool ok = setActiveRun(runId);
        Q_EMIT runActivated(runId, ok);
        return true;
    }
    activating_ = runId;
    const std::string path = project->path();
    const std::shared_ptr<const Dataset> dataset = sharedDataset();
    const quint64 generation = generation_;
    auto* watcher = new QFutureWatcher<std::shared_ptr<const AggregationResult>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, runId, generation] {
        watcher->deleteLater();
        if (activating_ == runId)
            activating_ = 0;
        if (generation != generation_)
            return;
        try {
            setAggregation(watcher->result(), runId);
        } catch (const std::exception& e) {
            Q_EMIT reviewError(tr("Run %1 cannot be made active: %2").arg(runId).arg(QString::fromStdString(e.what())));
            Q_EMIT runActivated(runId, false);
            return;
        }
        Q_EMIT runActivated(runId, true);
    });
    watcher->setFuture(QtConcurrent::run([path, dataset, runId] {
        Project own = Project::open(path);
        auto result = std::make_shared<const AggregationResult>(loadAggregationRun(own, *dataset, runId));
        own.setActiveRun(runId);
        return result;
    }));
    return true;
}

void ProjectDocument::notifyRunsChanged()
{
    std::vector<RunInfo> runs;
    if (Project* project = this->project()) {
        try {
            runs = project->runs();
        } catch (const std::exception& e) {
            Q_EMIT reviewError(tr("Could not read the runs: %1").arg(QString::fromStdString(e.what())));
        }
    }
    runList_->setRuns(std::move(runs), aggregationRunId_);
    Q_EMIT runsChanged();
}

static QString percent(double fraction)
{
    return QStringLiteral("%1%").arg(fraction * 100.0, 0, 'f', 2);
}

void ProjectDocument::adoptRun(const RunJobResult& result)
{
    notifyRunsChanged();
    if (!result.consensus)
        return;
    if (result.activated) {
        // The project had no active run: the first consensus is what there is to review.
        setAggregation(result.consensus, result.run);
        return;
    }
    const RunComparison& c = result.comparison;
    if (c.isActive)
        return;
    announcedRun_ = result.run;
    announced_ = result.consensus;
    const RunInfo* run = runList_->find(result.run);
    const RunInfo* active = runList_->find(c.activeRun);
    QString message = tr("Run %1 · %2 finished").arg(result.run).arg(run ? RunListModel::title(*run) : QString());
    if (std::isfinite(c.accuracy))
        message += tr(": accuracy %1").arg(percent(c.accuracy));
    message += tr(". The review stays on run %1 · %2").arg(c.activeRun).arg(active ? RunListModel::title(*active) : QString());
    if (std::isfinite(c.activeAccuracy))
        message += tr(" (accuracy %1)").arg(percent(c.activeAccuracy));
    message += tr("; the two label %n item(s) differently.", nullptr, c.differing);
    Q_EMIT runAnnounced(result.run, message);
}

void ProjectDocument::loadReview()
{
    undoStack_->clear();
    aggregation_ = current_->aggregation;
    aggregationRunId_ = aggregation_ ? current_->aggregationRun : 0;
    announcedRun_ = 0;
    announced_.reset();
    const Dataset& dataset = current_->dataset;
    review_ = ReviewState(dataset.itemCount());
    Project* project = current_->project.get();
    if (project) {
        try {
            review_ = loadReviewState(*project);
            // Undoing an earlier session's decision would write it.
            if (!project->readOnly())
                for (const std::vector<Decision>& step : review_.undoSteps())
                    undoStack_->push(new DecisionCommand(this, step));
        } catch (const std::exception& e) {
            review_ = ReviewState(dataset.itemCount());
            undoStack_->clear();
            Q_EMIT reviewError(tr("Could not read the review decisions: %1").arg(QString::fromStdString(e.what())));
        }
    }
    if (!current_->aggregationError.isEmpty())
        Q_EMIT reviewError(tr("Could not read the active run: %1").arg(current_->aggregationError));
    notifyRunsChanged();
}

void ProjectDocument::relabel(const QVector<int>& items, int label, const QString& note)
{
    if (items.isEmpty())
        return;
    if (isReadOnly()) {
        Q_EMIT reviewError(tr("Read-only: decisions cannot be saved"));
        return;
    }
    if (items.size() == 1)
        undoStack_->push(new RelabelCommand(this, items.front(), label, note));
    else
        undoStack_->push(new BulkRelabelCommand(this, items, label, note));
}

void ProjectDocument::accept(const QVector<int>& items, const QString& note)
{
    if (items.isEmpty())
        return;
    if (isReadOnly()) {
        Q_EMIT reviewError(tr("Read-only: decisions cannot be saved"));
        return;
    }
    std::vector<Decision> rows;
    try {
        static const std::vector<int> none;
        rows = acceptRows(dataset(), std::vector<int>(items.begin(), items.end()),
                          aggregation_ ? aggregation_->labels : none, aggregationRunId_, reviewer_, note.toStdString());
    } catch (const std::exception& e) {
        Q_EMIT reviewError(tr("Could not accept: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    undoStack_->push(new AcceptCommand(this, std::move(rows)));
}

std::vector<std::int64_t> ProjectDocument::recordDecisions(std::vector<Decision> rows)
{
    // One time for the whole action, so that a reopened log regroups it into one undo step.
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::int64_t> ids;
    QVector<int> items;
    try {
        for (Decision& row : rows) {
            row.time = now;
            review_.check(row);
        }
        // The action is one transaction: all its decisions are durable, or none.
        Project* project = current_->project.get();
        if (!project)
            throw std::runtime_error("no project is open");
        ids = crowdsift::recordDecisions(*project, review_, rows);
        for (const Decision& row : rows)
            items.push_back(row.item);
    } catch (const std::exception& e) {
        // Nothing of the action was recorded.
        Q_EMIT reviewError(tr("Could not record the decision: %1").arg(QString::fromStdString(e.what())));
        return {};
    }
    Q_EMIT decisionsChanged(items);
    return ids;
}

bool ProjectDocument::finishTicket(quint64 ticket)
{
    if (ticket != loadingTicket_)
        return false;
    loadingTicket_ = 0;
    loadingProgress_.reset();
    return true;
}

void ProjectDocument::onProgressed(quint64 ticket, double fraction, const QString& stage)
{
    if (ticket == loadingTicket_)
        Q_EMIT loadProgress(fraction, stage);
}

void ProjectDocument::onSucceeded(quint64 ticket, std::shared_ptr<LoadedDocument> document)
{
    if (!finishTicket(ticket)) {
        // An import cancelled after it had already created its project: the user was told it
        // was cancelled, so the file goes. On the loader thread, in order with later requests.
        if (document->created) {
            const QString path = document->path;
            document->project.reset();
            QMetaObject::invokeMethod(loader_, [path] { removeCreatedProject(path); }, Qt::QueuedConnection);
        }
        return;
    }
    current_ = std::move(document);
    ++generation_;
    loadingPath_.clear();
    loadReview();
    Q_EMIT loaded();
}

void ProjectDocument::onFailed(quint64 ticket, const QString& message)
{
    if (!finishTicket(ticket))
        return;
    const QString path = loadingPath_;
    loadingPath_.clear();
    Q_EMIT loadFailed(path, message);
}

void ProjectDocument::onCancelled(quint64 ticket)
{
    if (!finishTicket(ticket))
        return;
    const QString path = loadingPath_;
    loadingPath_.clear();
    Q_EMIT loadCancelled(path);
}

}  // namespace crowdsift
