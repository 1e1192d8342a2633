#pragma once

#include <QString>

#include <cstdint>

class QWidget;

namespace crowdsift {

class JobManager;
class ProjectDocument;
struct ProjectReportOptions;

// What the GUI needs from LibTorch and OpenCV, behind one interface so that the executable links
// neither and starts at once: the Learning tab (training, the CROWDLAB loop, Data Parameters,
// learning from crowds) and writing a report (figures drawn with OpenCV). The implementation
// (guimodule_impl.cpp) is built into crowdsift_gui_learn.so, which the GUI opens the first time
// the Learning tab is shown or a report is started, or linked into a program that uses the whole
// crowdsift_ui library (the tests), which then needs no file.
class GuiModule {
public:
    virtual ~GuiModule() = default;

    // A new LearnPage (learnpage.h) working on `document` with `jobs`.
    virtual QWidget* createLearnPage(ProjectDocument* document, JobManager* jobs) const = 0;
    // LearnPage::showRun on a page createLearnPage made.
    virtual void showRun(QWidget* learnPage, std::int64_t run) const = 0;
    // ReportDialog::startReport: the job id, or 0 when nothing was started.
    virtual int startReport(ProjectDocument* document, JobManager* jobs, const ProjectReportOptions& options,
                            const QString& folder) const = 0;
};

// The implementation: the one linked in, else the one in crowdsift_gui_learn.so, opened once (from
// $CROWDSIFT_GUI_MODULE when set, else beside the executable in the build, else
// ../lib/crowdsift/ from it when installed). Null when it cannot be loaded; *error then says which
// files were tried and why they failed. GUI thread only.
const GuiModule* guiModule(QString* error = nullptr);

// guiModule(), and on failure a critical message box over `parent` that says what could not be
// loaded and that the rest of the program still works.
const GuiModule* requireGuiModule(QWidget* parent);

// Whether guiModule() has found its implementation (linked in or opened) already.
bool guiModuleLoaded();

// Called by the implementation's static initialiser when it is linked in or opened.
void registerGuiModule(const GuiModule* module);

}  // namespace crowdsift
