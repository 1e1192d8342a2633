// The GuiModule implementation: everything in the GUI that calls LibTorch (the Learning tab) or
// OpenCV (reports). Built into crowdsift_gui_learn.so for the executable and linked directly into
// the tests; see guimodule.h.
#include "guimodule.h"

#include "jobmanager.h"
#ifdef CROWDSIFT_HAVE_LEARN
#include "learnpage.h"
#endif
#include "mainwindow.h"
#include "projectdocument.h"
#include "reportdialog.h"

#include "project/store.h"
#include "report/project_report.h"
#include "util/progress.h"

#include <QDir>
#include <QStringList>

#include <memory>

namespace crowdsift {

namespace {

int startProjectReport(ProjectDocument* document, JobManager* jobs, const ProjectReportOptions& options,
                       const QString& folder)
{
    Project* project = document->project();
    if (!project || folder.isEmpty())
        return 0;
    const std::string path = project->path();
    const std::string target = QDir::cleanPath(folder).toStdString();
    const std::shared_ptr<const Dataset> dataset = document->sharedDataset();
    const QString title = options.classIndex >= 0
                              ? ReportDialog::tr("Report of %1").arg(QString::fromStdString(
                                    dataset->classNames[static_cast<std::size_t>(options.classIndex)]))
                              : ReportDialog::tr("Report of every class");
    return jobs->start(title, [path, target, dataset, options](Progress& progress) {
        // A connection of its own: the GUI thread keeps the document's.
        const Project own = Project::open(path);
        auto report = std::make_shared<ProjectReport>(writeProjectReport(own, *dataset, target, options, progress));
        return JobManager::Completion([report](QStringList& log) {
            QString triage = QString::fromStdString(report->triage.source);
            if (!report->triage.fallback.empty())
                triage += QStringLiteral(" (%1)").arg(QString::fromStdString(report->triage.fallback));
            log.append(ReportDialog::tr("triage: %1").arg(triage));
            for (const std::string& file : report->files)
                log.append(ReportDialog::tr("wrote %1").arg(QString::fromStdString(file)));
        });
    });
}

class GuiModuleImpl final : public GuiModule {
public:
#ifdef CROWDSIFT_HAVE_LEARN
    QWidget* createLearnPage(ProjectDocument* document, JobManager* jobs) const override
    {
        return new LearnPage(document, jobs);
    }
    void showRun(QWidget* learnPage, std::int64_t run) const override
    {
        static_cast<LearnPage*>(learnPage)->showRun(run);
    }
#else
    QWidget* createLearnPage(ProjectDocument*, JobManager*) const override { return nullptr; }
    void showRun(QWidget*, std::int64_t) const override {}
#endif
    int startReport(ProjectDocument* document, JobManager* jobs, const ProjectReportOptions& options,
                    const QString& folder) const override
    {
        return startProjectReport(document, jobs, options, folder);
    }
};

const GuiModuleImpl instance;

// Linked in: guiModule() finds it without opening a file.
[[maybe_unused]] const bool registered = (registerGuiModule(&instance), true);

}  // namespace

// Defined here, not in mainwindow.cpp, because it names LearnPage: the executable never calls it
// and so links no LibTorch; a program that does (the tests) links this file.
LearnPage* MainWindow::learnPage()
{
#ifdef CROWDSIFT_HAVE_LEARN
    return static_cast<LearnPage*>(ensureLearnPage());
#else
    return nullptr;
#endif
}

}  // namespace crowdsift

extern "C" __attribute__((visibility("default"))) const crowdsift::GuiModule* crowdsift_gui_module()
{
    return &crowdsift::instance;
}
