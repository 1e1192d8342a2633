#include "projectdocument.h"

#include "documentloader.h"
#include "project/store.h"
#include "util/progress.h"

#include <QFileInfo>

namespace crowdsift {

ProjectDocument::ProjectDocument(QObject* parent)
    : QObject(parent), current_(std::make_unique<LoadedDocument>())
{
    loaderThread_.setObjectName(QStringLiteral("crowdsift-loader"));
    loader_ = new DocumentLoader;
    loader_->moveToThread(&loaderThread_);
    connect(loader_, &DocumentLoader::progressed, this, &ProjectDocument::onProgressed);
    connect(loader_, &DocumentLoader::succeeded, this, &ProjectDocument::onSucceeded);
    connect(loader_, &DocumentLoader::failed, this, &ProjectDocument::onFailed);
    connect(loader_, &DocumentLoader::cancelled, this, &ProjectDocument::onCancelled);
}

ProjectDocument::~ProjectDocument()
{
    if (loadingProgress_)
        loadingProgress_->cancel();
    loaderThread_.quit();
    loaderThread_.wait();
    delete loader_;
}

void ProjectDocument::open(const QString& path)
{
    cancelLoad();
    if (!loaderThread_.isRunning())
        loaderThread_.start();

    const quint64 ticket = nextTicket_++;
    auto progress = std::make_shared<Progress>();
    loadingTicket_ = ticket;
    loadingProgress_ = progress;
    loadingPath_ = path;
    Q_EMIT loadStarted(path);
    DocumentLoader* loader = loader_;
    QMetaObject::invokeMethod(
        loader_, [loader, ticket, path, progress] { loader->load(ticket, path, progress); },
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

const DatasetSummary& ProjectDocument::summary() const
{
    return current_->summary;
}

Project* ProjectDocument::project() const
{
    return current_->project.get();
}

QString ProjectDocument::path() const
{
    return current_->path;
}

QString ProjectDocument::displayName() const
{
    if (!current_->summary.name.empty())
        return QString::fromStdString(current_->summary.name);
    return QFileInfo(current_->path).completeBaseName();
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
    if (!finishTicket(ticket))
        return;
    current_ = std::make_unique<LoadedDocument>(std::move(*document));
    loadingPath_.clear();
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
