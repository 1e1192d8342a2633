#pragma once

#include "data/dataset.h"
#include "data/summary.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <memory>

namespace crowdsift {

class DocumentLoader;
class Progress;
class Project;
struct LoadedDocument;

// The open document: the loaded Dataset, its summary and, when a project file was opened, the
// Project store. Views and models read it; edits (later: undo commands) go through it, and it
// announces every change by signal. Loading runs on a private worker thread; the previous
// content stays in place until a new load has fully succeeded.
class ProjectDocument : public QObject {
    Q_OBJECT
public:
    explicit ProjectDocument(QObject* parent = nullptr);
    // Cancels a running load and waits for the loader thread to stop.
    ~ProjectDocument() override;

    // Starts loading `path` (a project file, a dataset file or a dataset folder) in the
    // background; a load already running is cancelled first. Emits loadStarted, then
    // loadProgress while reading, and exactly one of loaded / loadFailed / loadCancelled.
    void open(const QString& path);
    // Cancels the running load at once: emits loadCancelled and keeps the previous content.
    void cancelLoad();
    bool isLoading() const { return loadingTicket_ != 0; }
    QString loadingPath() const { return loadingPath_; }

    bool hasDataset() const;
    // The empty dataset and summary until a load succeeded.
    const Dataset& dataset() const;
    const DatasetSummary& summary() const;
    // The open project store; null when a dataset was opened directly or nothing is loaded.
    Project* project() const;
    QString path() const;
    // The dataset's own name, else the opened file's base name.
    QString displayName() const;

Q_SIGNALS:
    void loadStarted(const QString& path);
    // fraction in [0, 1] of the current stage; stage is a short label ("reading answers").
    void loadProgress(double fraction, const QString& stage);
    void loaded();
    void loadFailed(const QString& path, const QString& message);
    void loadCancelled(const QString& path);

private:
    void onProgressed(quint64 ticket, double fraction, const QString& stage);
    void onSucceeded(quint64 ticket, std::shared_ptr<LoadedDocument> document);
    void onFailed(quint64 ticket, const QString& message);
    void onCancelled(quint64 ticket);
    bool finishTicket(quint64 ticket);

    std::unique_ptr<LoadedDocument> current_;
    QThread loaderThread_;
    DocumentLoader* loader_ = nullptr;  // lives on loaderThread_, deleted after it stopped
    std::shared_ptr<Progress> loadingProgress_;
    QString loadingPath_;
    quint64 nextTicket_ = 1;
    quint64 loadingTicket_ = 0;  // 0 = idle
};

}  // namespace crowdsift
