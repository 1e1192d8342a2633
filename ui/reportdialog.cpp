#include "reportdialog.h"

#include "dialogparts.h"
#include "guimodule.h"
#include "jobmanager.h"
#include "projectdocument.h"

#include "project/store.h"
#include "project/trajectory_runs.h"
#include "util/error.h"
#include "util/progress.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>
#include <utility>

namespace crowdsift {

namespace {

// Where the triage will come from, read from the run list only (no arrays).
QString triageSummary(const Project& project, const TriageSourceOptions& triage)
{
    if (triage.kind != TriageSourceKind::Crowd) {
        const std::int64_t run = triage.run != 0 ? triage.run : latestTrajectoryRun(project);
        if (run != 0)
            return ReportDialog::tr("Triage from Data Parameters run %1 with the %2 trajectory rule.")
                .arg(run)
                .arg(triage.trajectoryRule ? ReportDialog::tr("chosen") : ReportDialog::tr("default"));
    }
    const std::int64_t run = triage.kind == TriageSourceKind::Crowd && triage.run != 0 ? triage.run : project.activeRun();
    if (run == 0)
        return ReportDialog::tr("The project has no data-parameters run and no active aggregation run: "
                                "start one in the Runs or Learning tab first.");
    return ReportDialog::tr("Triage from the crowd rule on run %1%2.")
        .arg(run)
        .arg(triage.kind == TriageSourceKind::Crowd ? QString()
                                                   : ReportDialog::tr(" (the project has no data-parameters run)"));
}

}  // namespace

int ReportDialog::startReport(ProjectDocument* document, JobManager* jobs, const ProjectReportOptions& options,
                              const QString& folder)
{
    // Reports draw with OpenCV: the work is in the module (guimodule.h), loaded on first use.
    const GuiModule* module = document->project() && !folder.isEmpty() ? requireGuiModule(nullptr) : nullptr;
    return module ? module->startReport(document, jobs, options, folder) : 0;
}

ReportDialog::ReportDialog(ProjectDocument* document, JobManager* jobs, TriageSourceOptions triage, QWidget* parent)
    : QDialog(parent), document_(document), jobs_(jobs), triage_(std::move(triage))
{
    setWindowTitle(tr("Export Report"));
    class_ = new QComboBox;
    class_->setObjectName(QStringLiteral("reportClass"));
    class_->addItem(tr("Every class (one PNG each, with report.json)"), -1);
    const Dataset& dataset = document_->dataset();
    for (int k = 0; k < dataset.classCount(); ++k)
        class_->addItem(tr("%1  %2").arg(k).arg(QString::fromStdString(dataset.classNames[static_cast<std::size_t>(k)])),
                        k);
    perRow_ = new QSpinBox;
    perRow_->setObjectName(QStringLiteral("reportPerRow"));
    perRow_->setRange(1, 64);
    perRow_->setValue(ReportOptions().perRow);
    perRow_->setSuffix(tr(" images per band"));
    folder_ = new QLineEdit;
    folder_->setObjectName(QStringLiteral("reportFolder"));
    folder_->setMinimumWidth(360);
    QPushButton* browseButton = nullptr;
    QHBoxLayout* folderRow = makeBrowseRow(folder_, browseButton);
    summary_ = new QLabel;
    summary_->setObjectName(QStringLiteral("reportSummary"));
    summary_->setWordWrap(true);
    summary_->setForegroundRole(QPalette::PlaceholderText);
    error_ = makeErrorLabel(QStringLiteral("reportError"));

    auto* form = new QFormLayout;
    form->addRow(tr("Class:"), class_);
    form->addRow(tr("Show:"), perRow_);
    form->addRow(tr("Save into:"), folderRow);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(summary_);
    layout->addLayout(form);
    layout->addWidget(error_);
    layout->addStretch(1);
    layout->addWidget(buttons_);

    connect(folder_, &QLineEdit::textChanged, this, &ReportDialog::updateState);
    connect(browseButton, &QPushButton::clicked, this, &ReportDialog::browse);
    connect(buttons_, &QDialogButtonBox::accepted, this, &ReportDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    if (const Project* project = document_->project()) {
        try {
            summary_->setText(triageSummary(*project, triage_));
        } catch (const std::exception& e) {
            summary_->setText(tr("Could not read the runs: %1").arg(QString::fromStdString(e.what())));
        }
    } else {
        summary_->setText(tr("No project is open."));
    }
    const QFileInfo source(document_->path());
    if (!document_->path().isEmpty())
        folder_->setText(source.absolutePath() + QLatin1Char('/') + source.completeBaseName() + QStringLiteral("-report"));
    updateState();
}

int ReportDialog::classIndex() const
{
    return class_->currentData().toInt();
}

void ReportDialog::setClassIndex(int classIndex)
{
    class_->setCurrentIndex(std::max(0, class_->findData(classIndex)));
}

QString ReportDialog::folder() const
{
    return folder_->text().trimmed();
}

void ReportDialog::setFolder(const QString& folder)
{
    folder_->setText(folder);
}

int ReportDialog::perRow() const
{
    return perRow_->value();
}

void ReportDialog::setPerRow(int perRow)
{
    perRow_->setValue(perRow);
}

void ReportDialog::browse()
{
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Export Report into Folder"), folder());
    if (!chosen.isEmpty())
        folder_->setText(chosen);
}

void ReportDialog::updateState()
{
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(document_->project() && !folder().isEmpty());
}

void ReportDialog::accept()
{
    ProjectReportOptions options;
    options.triage = triage_;
    options.figure.perRow = perRow();
    options.classIndex = classIndex();
    jobId_ = startReport(document_, jobs_, options, folder());
    if (jobId_ == 0) {
        error_->setText(document_->project() ? tr("Choose a folder to save the report into.")
                                             : tr("No project is open."));
        error_->show();
        return;
    }
    QDialog::accept();
}

}  // namespace crowdsift
