#pragma once

#include "analysis/trajectory_triage.h"
#include "project/trajectory_runs.h"

#include <QObject>
#include <QString>

#include <cstdint>
#include <memory>

namespace crowdsift {

class ProjectDocument;

// One data-parameters run as the Review tab and the inspector read it: its trajectories with the
// crowd evidence beside them (TrajectoryRun), the class quartiles the inspector draws an item
// against, and the scores at one window. Immutable once built; the parts are shared between a run's
// versions at different windows.
struct TrajectoryData {
    std::shared_ptr<const TrajectoryRun> run;
    std::shared_ptr<const ClassSigmaQuartiles> quartiles;  // K x E
    std::shared_ptr<const TrajectoryScores> scores;        // at `window`
    double window = 0.0;
};

// Reads run `run` of `project` (loadTrajectoryRun) and computes its quartiles and its scores at
// `window`: the disk plus O(N·E log N). Throws InputError / StoreError. For worker threads.
TrajectoryData loadTrajectoryData(const Project& project, const Dataset& dataset, std::int64_t run, double window);
// `data` with its scores at `window` instead, the rest shared: O(N·E). Throws InputError.
TrajectoryData rescoreTrajectoryData(const TrajectoryData& data, int classes, double window);

// The trajectories the Review tab triages from, kept off the GUI thread: reading a run and
// rescoring it at another window run on a worker (QtConcurrent), one at a time; a request made
// meanwhile waits and only the newest waiting one runs. Results of an older document generation
// (another project opened meanwhile) are dropped.
class TrajectorySource : public QObject {
    Q_OBJECT
public:
    explicit TrajectorySource(ProjectDocument* document, QObject* parent = nullptr);

    // Starts over with what the loader read together with the project (may be null); a job still
    // running is forgotten.
    void reset(std::shared_ptr<const TrajectoryData> loaded);
    // Asks for run `run` scored at `window`. True when current() is that already; otherwise false,
    // and ready() or failed() follows (unless another request overtakes it).
    bool request(std::int64_t run, double window);
    // The newest data read; null before any.
    std::shared_ptr<const TrajectoryData> current() const { return current_; }
    // True while a job runs.
    bool isBusy() const { return running_; }

Q_SIGNALS:
    // current() changed.
    void ready();
    void failed(std::int64_t run, const QString& message);
    void busyChanged(bool busy);

private:
    struct Request {
        std::int64_t run = 0;
        double window = 0.0;
    };
    void start(Request request);
    void onFinished(quint64 generation, quint64 epoch, Request request, std::shared_ptr<const TrajectoryData> data,
                    const QString& error);

    ProjectDocument* document_;
    std::shared_ptr<const TrajectoryData> current_;
    bool running_ = false;
    bool pending_ = false;
    Request pendingRequest_;
    quint64 epoch_ = 0;  // bumped by reset(): a job of an older epoch is ignored
};

}  // namespace crowdsift
