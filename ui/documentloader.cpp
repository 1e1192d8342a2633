#include "documentloader.h"

#include "data/formats.h"
#include "project/store.h"
#include "util/error.h"

#include <QFile>
#include <QFileInfo>

#include <exception>

namespace crowdsift {

LoadedDocument::LoadedDocument() = default;
LoadedDocument::~LoadedDocument() = default;
LoadedDocument::LoadedDocument(LoadedDocument&&) noexcept = default;
LoadedDocument& LoadedDocument::operator=(LoadedDocument&&) noexcept = default;

LoadedDocument loadDocument(const QString& path, Progress& progress)
{
    const std::string nativePath = QFile::encodeName(path).toStdString();
    // The readers would fail too, but with a message about a format they guessed; a missing path
    // deserves the plain answer.
    if (!QFileInfo::exists(path))
        throw InputError(nativePath, {}, "no such file or folder");

    LoadedDocument result;
    result.path = path;
    // A damaged .csift file is still meant as a project: Project::open says what is wrong with
    // it, where the dataset readers could only say that they do not know the extension.
    const QFileInfo info(path);
    const bool projectFile = info.isFile() && info.suffix().compare(QLatin1String("csift"), Qt::CaseInsensitive) == 0;
    if (projectFile || Project::looksLikeProject(nativePath)) {
        progress.stage("opening project");
        auto project = std::make_unique<Project>(Project::open(nativePath));
        result.dataset = project->loadDataset(progress);
        result.project = std::move(project);
    } else {
        ReadOptions options;
        options.progress = &progress;
        DatasetRead read = readDatasetWithWarnings(nativePath, options);
        result.dataset = std::move(read.dataset);
        for (const ReadWarning& warning : read.warnings)
            result.warnings.append(QString::fromStdString(warning.text()));
    }
    progress.stage("summarizing", 1.0);
    result.summary = summarize(result.dataset);
    return result;
}

void DocumentLoader::load(quint64 ticket, const QString& path, const std::shared_ptr<Progress>& progress)
{
    // The callback runs on this thread; emitting to the document's thread queues the call.
    progress->setCallback(
        [this, ticket](double fraction, const std::string& stage) {
            Q_EMIT progressed(ticket, fraction, QString::fromStdString(stage));
        },
        50);
    try {
        progress->check();
        auto document = std::make_shared<LoadedDocument>(loadDocument(path, *progress));
        Q_EMIT succeeded(ticket, std::move(document));
    } catch (const Cancelled&) {
        Q_EMIT cancelled(ticket);
    } catch (const std::exception& e) {
        Q_EMIT failed(ticket, QString::fromStdString(e.what()));
    }
    progress->setCallback({});
}

}  // namespace crowdsift
