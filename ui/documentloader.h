#pragma once

#include "data/dataset.h"
#include "data/summary.h"
#include "util/progress.h"

#include <QObject>
#include <QString>
#include <QStringList>

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

    QString path;                      // what the user opened (project file, dataset file or folder)
    Dataset dataset;
    DatasetSummary summary;
    std::unique_ptr<Project> project;  // null when a dataset was read directly
    // What the dataset reader dropped or changed ("<file>: <problem>", ReadWarning::text()), for
    // the window to show after the load; empty for a project.
    QStringList warnings;
};

// Opens `path` synchronously: a Crowdsift project when it is a .csift file or
// Project::looksLikeProject() says so, else a dataset file or folder through readDataset().
// Throws InputError / StoreError / Cancelled.
LoadedDocument loadDocument(const QString& path, Progress& progress);

// Worker object living on the document's loader thread. It talks to the document only through
// queued signals; `ticket` identifies the request so that late answers to a superseded load are
// recognised and dropped.
class DocumentLoader : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Runs on the loader thread. `progress` is shared with the document, which cancels it from
    // the GUI thread.
    void load(quint64 ticket, const QString& path, const std::shared_ptr<Progress>& progress);

Q_SIGNALS:
    void progressed(quint64 ticket, double fraction, const QString& stage);
    void succeeded(quint64 ticket, std::shared_ptr<crowdsift::LoadedDocument> document);
    void failed(quint64 ticket, const QString& message);
    void cancelled(quint64 ticket);
};

}  // namespace crowdsift
