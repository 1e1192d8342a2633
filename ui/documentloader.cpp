#include "documentloader.h"

#include "project/aggregation_runs.h"
#include "project/store.h"
#include "project/trajectory_runs.h"
#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <exception>

namespace crowdsift {

namespace {

std::string nativePath(const QString& path)
{
    return QFile::encodeName(path).toStdString();
}

// The readers would fail too, but with a message about a format they guessed; a missing path
// deserves the plain answer.
void requireExists(const QString& path)
{
    if (!QFileInfo::exists(path))
        throw InputError(nativePath(path), {}, "no such file or folder");
}

LoadedDocument finish(const QString& path, std::unique_ptr<Project> project, Dataset dataset, Progress& progress)
{
    LoadedDocument result;
    result.path = path;
    result.dataset = std::move(dataset);
    result.project = std::move(project);
    if (result.project) {
        progress.stage("reading the active run", 1.0);
        try {
            if (const std::int64_t run = result.project->activeRun()) {
                result.aggregation
                    = std::make_shared<const AggregationResult>(loadAggregationRun(*result.project, result.dataset, run));
                result.aggregationRun = run;
            }
        } catch (const std::exception& e) {
            result.aggregationError = QString::fromStdString(e.what());
        }
        std::int64_t trajectoryRun = 0;
        try {
            trajectoryRun = latestTrajectoryRun(*result.project);
            if (trajectoryRun != 0) {
                progress.stage("reading the Data Parameter trajectories", 1.0);
                result.trajectory = std::make_shared<const TrajectoryData>(loadTrajectoryData(
                    *result.project, result.dataset, trajectoryRun, TrajectoryTriageRule().window));
            }
        } catch (const std::exception& e) {
            result.trajectoryError = QStringLiteral("run %1: %2").arg(trajectoryRun).arg(QString::fromStdString(e.what()));
        }
    }
    progress.stage("summarizing", 1.0);
    result.summary = summarize(result.dataset);
    return result;
}

}  // namespace

LoadedDocument::LoadedDocument() = default;
LoadedDocument::~LoadedDocument() = default;
LoadedDocument::LoadedDocument(LoadedDocument&&) noexcept = default;
LoadedDocument& LoadedDocument::operator=(LoadedDocument&&) noexcept = default;

bool isProjectPath(const QString& path)
{
    const QFileInfo info(path);
    if (!info.isFile())
        return false;
    return info.suffix().compare(QLatin1String("csift"), Qt::CaseInsensitive) == 0
           || Project::looksLikeProject(nativePath(path));
}

LoadedDocument loadDocument(const QString& path, Progress& progress)
{
    requireExists(path);
    if (!isProjectPath(path))
        throw InputError(nativePath(path), {},
                         "is a dataset, not a Crowdsift project; make a project of it with "
                         "File > New Project from Dataset");
    progress.stage("opening project");
    auto project = std::make_unique<Project>(Project::open(nativePath(path)));
    Dataset dataset = project->loadDataset(progress);
    return finish(path, std::move(project), std::move(dataset), progress);
}

LoadedDocument importDataset(const ImportRequest& request, Progress& progress)
{
    requireExists(request.dataset);
    // One bar for the whole import: reading fills its first half, writing the second. A part's
    // step reports through `progress`, whose check throws Cancelled once the user cancelled.
    const auto part = [&progress](double from, double to) {
        return [&progress, from, to](double fraction, const std::string& stage) {
            progress.step(from + fraction * (to - from), 1.0, stage);
        };
    };
    progress.stage("reading the dataset");
    Progress reading(part(0.0, 0.5), 0);
    ReadOptions readOptions = request.read;
    readOptions.progress = &reading;
    DatasetRead read = readDatasetWithWarnings(nativePath(request.dataset), readOptions);
    const Dataset& dataset = read.dataset;

    progress.stage("writing the project", 0.5);
    Progress writing(part(0.5, 1.0), 0);
    const std::string path = nativePath(request.project);
    auto project = std::make_unique<Project>(Project::create(path, dataset, writing, request.overwrite));
    if (progress.isCancelled()) {
        project.reset();
        removeCreatedProject(request.project);
        throw Cancelled();
    }
    // From here on the import is done: the document is what the project file holds, read back
    // as opening it later would, and a cancel arriving now is answered by removing the file.
    Dataset stored = project->loadDataset(Progress::none());
    LoadedDocument result = finish(request.project, std::move(project), std::move(stored), Progress::none());
    result.created = true;
    for (const ReadWarning& warning : read.warnings)
        result.warnings.append(QString::fromStdString(warning.text()));
    return result;
}

void removeCreatedProject(const QString& path)
{
    for (const QString& file : {path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm")})
        QFile::remove(file);
    QDir(path + QStringLiteral(".cache")).removeRecursively();
}

void DocumentLoader::load(quint64 ticket, const QString& path, const std::shared_ptr<Progress>& progress)
{
    run(ticket, progress, [&path](Progress& p) { return loadDocument(path, p); });
}

void DocumentLoader::import(quint64 ticket, const ImportRequest& request, const std::shared_ptr<Progress>& progress)
{
    run(ticket, progress, [&request](Progress& p) { return importDataset(request, p); });
}

void DocumentLoader::run(quint64 ticket, const std::shared_ptr<Progress>& progress,
                         const std::function<LoadedDocument(Progress&)>& work)
{
    // The callback runs on this thread; emitting to the document's thread queues the call.
    progress->setCallback(
        [this, ticket](double fraction, const std::string& stage) {
            Q_EMIT progressed(ticket, fraction, QString::fromStdString(stage));
        },
        50);
    try {
        progress->check();
        auto document = std::make_shared<LoadedDocument>(work(*progress));
        Q_EMIT succeeded(ticket, std::move(document));
    } catch (const Cancelled&) {
        Q_EMIT cancelled(ticket);
    } catch (const std::exception& e) {
        Q_EMIT failed(ticket, QString::fromStdString(e.what()));
    }
    progress->setCallback({});
}

}  // namespace crowdsift
