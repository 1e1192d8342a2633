#include "jobmanager.h"

#include "util/error.h"
#include "util/progress.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace crowdsift {

QString jobStatusName(JobStatus status)
{
    switch (status) {
    case JobStatus::Running:
        return QStringLiteral("running");
    case JobStatus::Finished:
        return QStringLiteral("finished");
    case JobStatus::Failed:
        return QStringLiteral("failed");
    case JobStatus::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}

QString formatDuration(double seconds)
{
    if (seconds < 0.0)
        return QStringLiteral("—");
    if (seconds < 60.0)
        return QStringLiteral("%1 s").arg(seconds, 0, 'f', seconds < 10.0 ? 1 : 0);
    const int total = static_cast<int>(std::lround(seconds));
    return QStringLiteral("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
}

struct JobManager::Outcome {
    Completion completion;
    bool cancelled = false;
    QString error;
};

struct JobManager::Entry {
    JobInfo info;
    QElapsedTimer timer;
    std::shared_ptr<Progress> progress;
    QFutureWatcher<std::shared_ptr<Outcome>>* watcher = nullptr;
};

JobManager::JobManager(QObject* parent) : QObject(parent) {}

JobManager::~JobManager()
{
    cancelAll();
    // The workers only post queued calls to this object; once they stopped none is pending
    // that could outlive it.
    for (auto& [id, entry] : jobs_)
        if (entry->watcher)
            entry->watcher->waitForFinished();
}

int JobManager::start(const QString& title, Work work)
{
    const int id = nextId_++;
    auto entry = std::make_unique<Entry>();
    entry->info.id = id;
    entry->info.title = title;
    entry->info.started = QDateTime::currentDateTime();
    entry->timer.start();
    auto progress = std::make_shared<Progress>();
    progress->setCallback(
        [this, id](double fraction, const std::string& stage) {
            const QString text = QString::fromStdString(stage);
            QMetaObject::invokeMethod(
                this, [this, id, fraction, text] { onProgress(id, fraction, text); }, Qt::QueuedConnection);
        },
        100);
    entry->progress = progress;
    entry->watcher = new QFutureWatcher<std::shared_ptr<Outcome>>(this);
    connect(entry->watcher, &QFutureWatcherBase::finished, this, [this, id] { onDone(id); });
    appendLog(*entry, tr("started"));
    QFutureWatcher<std::shared_ptr<Outcome>>* watcher = entry->watcher;
    jobs_.emplace(id, std::move(entry));
    Q_EMIT jobStarted(id);
    watcher->setFuture(QtConcurrent::run([work = std::move(work), progress] {
        auto outcome = std::make_shared<Outcome>();
        try {
            outcome->completion = work(*progress);
            // A cancel that arrived after the work's last check still counts.
            if (progress->isCancelled())
                outcome->cancelled = true;
        } catch (const Cancelled&) {
            outcome->cancelled = true;
        } catch (const std::exception& e) {
            outcome->error = QString::fromStdString(e.what());
        }
        return outcome;
    }));
    return id;
}

void JobManager::cancel(int id)
{
    const auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->info.status != JobStatus::Running || it->second->progress->isCancelled())
        return;
    it->second->progress->cancel();
    appendLog(*it->second, tr("cancel requested"));
    Q_EMIT jobChanged(id);
}

void JobManager::cancelAll()
{
    for (auto& [id, entry] : jobs_)
        if (entry->info.status == JobStatus::Running)
            entry->progress->cancel();
}

bool JobManager::waitFor(int id, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (isRunning(id)) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

std::vector<int> JobManager::jobIds() const
{
    std::vector<int> ids;
    ids.reserve(jobs_.size());
    for (const auto& [id, entry] : jobs_)
        ids.push_back(id);
    return ids;
}

const JobInfo& JobManager::job(int id) const
{
    const auto it = jobs_.find(id);
    if (it == jobs_.end())
        throw std::out_of_range("no job " + std::to_string(id));
    return it->second->info;
}

bool JobManager::isRunning(int id) const
{
    const auto it = jobs_.find(id);
    return it != jobs_.end() && it->second->info.status == JobStatus::Running;
}

int JobManager::runningCount() const
{
    int count = 0;
    for (const auto& [id, entry] : jobs_)
        count += entry->info.status == JobStatus::Running ? 1 : 0;
    return count;
}

double JobManager::elapsed(int id) const
{
    const auto it = jobs_.find(id);
    if (it == jobs_.end())
        return 0.0;
    const Entry& entry = *it->second;
    return entry.info.status == JobStatus::Running ? entry.timer.elapsed() / 1000.0 : entry.info.seconds;
}

QString JobManager::runningText(int id) const
{
    const JobInfo& info = job(id);
    QString text = info.stage.isEmpty() ? tr("Running…") : info.stage;
    text += tr(" · %1 elapsed").arg(formatDuration(elapsed(id)));
    if (const double left = eta(id); left >= 0.0)
        text += tr(" · about %1 left").arg(formatDuration(left));
    return text;
}

int JobManager::permille(int id) const
{
    return static_cast<int>(job(id).fraction * 1000.0 + 0.5);
}

double JobManager::eta(int id) const
{
    const auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->info.status != JobStatus::Running)
        return -1.0;
    const double fraction = it->second->info.fraction;
    if (fraction <= 0.0)
        return -1.0;
    const double spent = it->second->timer.elapsed() / 1000.0;
    return spent * (1.0 - fraction) / fraction;
}

void JobManager::appendLog(Entry& entry, const QString& line)
{
    const double at = entry.timer.isValid() ? entry.timer.elapsed() / 1000.0 : 0.0;
    entry.info.log.append(QStringLiteral("[%1 s] %2").arg(at, 0, 'f', 1).arg(line));
}

void JobManager::onProgress(int id, double fraction, const QString& stage)
{
    const auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->info.status != JobStatus::Running)
        return;
    Entry& entry = *it->second;
    entry.info.fraction = std::clamp(fraction, 0.0, 1.0);
    if (!stage.isEmpty() && stage != entry.info.stage) {
        entry.info.stage = stage;
        appendLog(entry, stage);
    }
    Q_EMIT jobChanged(id);
}

void JobManager::onDone(int id)
{
    Entry& entry = *jobs_.at(id);
    const std::shared_ptr<Outcome> outcome = entry.watcher->result();
    entry.watcher->deleteLater();
    entry.watcher = nullptr;
    JobStatus status = JobStatus::Finished;
    if (outcome->cancelled) {
        status = JobStatus::Cancelled;
        appendLog(entry, tr("cancelled"));
    } else if (!outcome->error.isEmpty()) {
        status = JobStatus::Failed;
        entry.info.error = outcome->error;
        appendLog(entry, tr("failed: %1").arg(outcome->error));
    } else {
        try {
            if (outcome->completion)
                outcome->completion(entry.info.log);
            entry.info.fraction = 1.0;
            appendLog(entry, tr("finished"));
        } catch (const std::exception& e) {
            status = JobStatus::Failed;
            entry.info.error = QString::fromStdString(e.what());
            appendLog(entry, tr("failed: %1").arg(entry.info.error));
        }
    }
    entry.info.status = status;
    entry.info.seconds = entry.timer.elapsed() / 1000.0;
    entry.info.finished = QDateTime::currentDateTime();
    Q_EMIT jobChanged(id);
    Q_EMIT jobFinished(id, status);
}

}  // namespace crowdsift
