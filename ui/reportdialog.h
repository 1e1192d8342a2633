#pragma once

#include "report/project_report.h"

#include <QDialog>
#include <QString>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace crowdsift {

class JobManager;
class ProjectDocument;

// File > Export Report: per-class triage figures of the open project (report/project_report.h),
// for one class or every class (then with report.json), into a folder. The triage comes from
// the options the window passes (MainWindow::reportTriageOptions: the newest data-parameters run
// with the default rule, else the Review tab's crowd rule on the active run). Accepting starts
// the work as a job, off the GUI thread, with progress and cancel in the Jobs panel, and closes
// the dialog.
class ReportDialog : public QDialog {
    Q_OBJECT
public:
    ReportDialog(ProjectDocument* document, JobManager* jobs, TriageSourceOptions triage, QWidget* parent = nullptr);

    // Starts writing the report of `document`'s project into `folder` as a job on `jobs` and
    // returns its id; 0 (nothing started) when no project is open or `folder` is empty. The job
    // reads the project on a connection of its own; its log lists the triage and the files.
    static int startReport(ProjectDocument* document, JobManager* jobs, const ProjectReportOptions& options,
                           const QString& folder);

    int classIndex() const;  // -1 = every class
    void setClassIndex(int classIndex);
    QString folder() const;
    void setFolder(const QString& folder);
    int perRow() const;
    void setPerRow(int perRow);
    // The job the last accept started; 0 before.
    int jobId() const { return jobId_; }

    // Starts the job and closes the dialog; without a project or folder shows why and stays open.
    void accept() override;

private:
    void browse();
    void updateState();

    ProjectDocument* document_;
    JobManager* jobs_;
    TriageSourceOptions triage_;
    QComboBox* class_ = nullptr;
    QLineEdit* folder_ = nullptr;
    QSpinBox* perRow_ = nullptr;
    QLabel* summary_ = nullptr;
    QLabel* error_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    int jobId_ = 0;
};

}  // namespace crowdsift
