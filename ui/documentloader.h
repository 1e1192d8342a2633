#pragma once

#include "aggregate/result.h"
#include "data/dataset.h"
#include "data/formats.h"
#include "data/summary.h"
#include "trajectorysource.h"
#include "util/progress.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>

namespace crowdsift {

class Project;

// Everything one load produces; built on the loader thread, then handed to the document whole so
// that a failed or cancelled load never leaves a half-replaced document behind.
struct LoadedDocument {
    LoadedDocument();
    ~LoadedDocument();
    LoadedDocument(LoadedDocument&&) noexcept;
    LoadedDocument& operator=(LoadedDocument&&) noexcept;

    QString path;                      // the project file
    Dataset dataset;
    DatasetSummary summary;
    std::unique_ptr<Project> project;  // null only in the empty document
    bool created = false;              // the load made `path` (an import) rather than opened it
    // What the dataset reader dropped or changed during an import ("<file>: <problem>",
    // ReadWarning::text()), for the window to show after the load; empty when a project was opened.
    QStringList warnings;
    // The project's active run (Project::activeRun), read here so that the GUI thread does not:
    // its result, its id, or why it could not be read.
    std::shared_ptr<const AggregationResult> aggregation;
    std::int64_t aggregationRun = 0;
    QString aggregationError;
    // The newest finished data-parameters run with item sigmas (latestTrajectoryRun), read and
    // scored at the default window (TrajectoryTriageRule) for the Review tab's trajectory triage;
    // null when the project has none or it could not be read (trajectoryError says why).
    std::shared_ptr<const TrajectoryData> trajectory;
    QString trajectoryError;
};

// What File > New Project from Dataset asks for: read `dataset` (a file or folder) with `read`
// (its progress is ignored) and store it as the new project `project`.
struct ImportRequest {
    QString dataset;
    QString project;
    ReadOptions read;
    bool overwrite = false;  // replace an existing `project` (the user said so)
};

// True when `path` is meant as a Crowdsift project: a .csift file (even a damaged one, so that
// Project::open can say what is wrong with it) or a file Project::looksLikeProject() recognises.
bool isProjectPath(const QString& path);

// Opens the project `path` synchronously. A dataset is refused: the GUI keeps its work in a
// project, so a dataset becomes one through importDataset first. Throws InputError / StoreError /
// Cancelled.
LoadedDocument loadDocument(const QString& path, Progress& progress);

// Reads the dataset, creates the project (Project::create: nothing is left at request.project
// when it fails or is cancelled) and opens it. Cancelling after the project was created removes
// it again. Throws InputError / StoreError / Cancelled.
LoadedDocument importDataset(const ImportRequest& request, Progress& progress);

// Deletes a project file made by importDataset, with its WAL files and cache folder; for an
// import that was cancelled too late to stop. Never throws.
void removeCreatedProject(const QString& path);

// Worker object living on the document's loader thread. It talks to the document only through
// queued signals; `ticket` identifies the request so that late answers to a superseded load are
// recognised and dropped.
class DocumentLoader : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Run on the loader thread. `progress` is shared with the document, which cancels it from
    // the GUI thread.
    void load(quint64 ticket, const QString& path, const std::shared_ptr<Progress>& progress);
    void import(quint64 ticket, const ImportRequest& request, const std::shared_ptr<Progress>& progress);

Q_SIGNALS:
    void progressed(quint64 ticket, double fraction, const QString& stage);
    void succeeded(quint64 ticket, std::shared_ptr<crowdsift::LoadedDocument> document);
    void failed(quint64 ticket, const QString& message);
    void cancelled(quint64 ticket);

private:
    void run(quint64 ticket, const std::shared_ptr<Progress>& progress,
             const std::function<LoadedDocument(Progress&)>& work);
};

}  // namespace crowdsift
