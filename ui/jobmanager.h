#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <map>
#include <memory>
#include <vector>

template <typename T>
class QFutureWatcher;

namespace crowdsift {

class Progress;

enum class JobStatus { Running, Finished, Failed, Cancelled };

// "running", "finished", "failed", "cancelled".
QString jobStatusName(JobStatus status);

// "4.2 s", "42 s", "3 min 05 s"; "—" for a negative (unknown) duration.
QString formatDuration(double seconds);

// One background job as the jobs panel shows it.
struct JobInfo {
    int id = 0;
    QString title;
    JobStatus status = JobStatus::Running;
    double fraction = 0.0;  // [0, 1]; 1 once finished
    QString stage;          // the job's latest stage label
    QDateTime started;
    QDateTime finished;     // invalid while running
    double seconds = 0.0;   // wall time from start to end (or until now while running)
    QStringList log;        // stage changes, the outcome and any error, time-stamped
    QString error;          // why it failed
};

// Runs core jobs on worker threads (Qt's global pool) with a crowdsift::Progress each. The
// job's progress callback is bridged to the GUI thread by queued calls; cancel() cancels the
// token, and the core job stops at its next step(). Every job ends in exactly one of
// finished / failed / cancelled, announced by jobFinished.
class JobManager : public QObject {
    Q_OBJECT
public:
    // Runs on the GUI thread after the work succeeded, e.g. to store the result in the
    // project; an exception it throws fails the job with its message. May append to `log`.
    using Completion = std::function<void(QStringList& log)>;
    // Runs on a worker thread; throws Cancelled when the token is cancelled and any
    // std::exception on failure. Returns the completion (may be empty).
    using Work = std::function<Completion(Progress& progress)>;

    explicit JobManager(QObject* parent = nullptr);
    // Cancels every running job and waits for the workers to stop.
    ~JobManager() override;

    // Starts `work` in the background and returns the job's id (increasing from 1).
    int start(const QString& title, Work work);
    void cancel(int id);
    void cancelAll();
    // Blocks until job `id` ended (events keep being processed); false after `timeoutMs`.
    bool waitFor(int id, int timeoutMs);

    // Ids in start order, running and finished.
    std::vector<int> jobIds() const;
    const JobInfo& job(int id) const;  // std::out_of_range for an unknown id
    bool isRunning(int id) const;
    int runningCount() const;
    // Seconds left from elapsed time and fraction done; negative when not known yet (nothing
    // reported, or not running).
    double eta(int id) const;
    // Seconds since the job started, to its end once it ended.
    double elapsed(int id) const;
    // The status line of a running job: "<stage> · 12 s elapsed · about 40 s left" (the ETA once
    // known; "Running…" stands in for a missing stage).
    QString runningText(int id) const;
    // The job's fraction done as a progress bar value in [0, 1000].
    int permille(int id) const;

Q_SIGNALS:
    void jobStarted(int id);
    // Progress, stage or log of a job changed.
    void jobChanged(int id);
    void jobFinished(int id, crowdsift::JobStatus status);

private:
    struct Outcome;
    struct Entry;

    void onProgress(int id, double fraction, const QString& stage);
    void onDone(int id);
    void appendLog(Entry& entry, const QString& line);

    std::map<int, std::unique_ptr<Entry>> jobs_;
    int nextId_ = 1;
};

}  // namespace crowdsift
