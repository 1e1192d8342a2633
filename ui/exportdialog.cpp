#include "exportdialog.h"

#include "dialogparts.h"
#include "projectdocument.h"

#include "project/final_labels.h"
#include "util/error.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace crowdsift {

namespace {

QString extensionOf(ExportFormat format)
{
    switch (format) {
    case ExportFormat::Csv:
        return QStringLiteral(".csv");
    case ExportFormat::Json:
        return QStringLiteral(".json");
    case ExportFormat::Npy:
        return QStringLiteral(".npy");
    case ExportFormat::Peerannot:
        return {};
    }
    return {};
}

}  // namespace

QStringList ExportDialog::exportLabels(const ProjectDocument& document, ExportFormat format, const QString& path,
                                       LabelQualityMethod method, const QString& curatorId)
{
    const AggregationResult* result = document.aggregation();
    if (!result)
        throw InputError("nothing to export: no aggregation run is active (start one in the Runs tab)");
    if (path.isEmpty())
        throw InputError("nothing to export to: choose a file or folder");
    const Dataset& dataset = document.dataset();
    const FinalLabels labels = finalLabels(dataset, *result, document.reviewState(), method, document.aggregationRunId());
    QStringList written;
    if (format == ExportFormat::Peerannot) {
        const QString folder = QDir::cleanPath(path);
        writeCuratedPeerannot(dataset, labels, folder.toStdString(),
                              curatorId.trimmed().isEmpty() ? "curator" : curatorId.trimmed().toStdString());
        written << folder + QStringLiteral("/answers.json") << folder + QStringLiteral("/metadata.json");
        return written;
    }
    QString file = path;
    const QString extension = extensionOf(format);
    if (!file.endsWith(extension, Qt::CaseInsensitive))
        file += extension;
    for (const std::string& name : writeFinalLabels(dataset, labels, file.toStdString(), document.path().toStdString()))
        written << QString::fromStdString(name);
    return written;
}

ExportDialog::ExportDialog(ProjectDocument* document, QWidget* parent) : QDialog(parent), document_(document)
{
    setWindowTitle(tr("Export Final Labels"));
    format_ = new QComboBox;
    format_->setObjectName(QStringLiteral("exportFormat"));
    format_->addItem(tr("CSV table (.csv)"), static_cast<int>(ExportFormat::Csv));
    format_->addItem(tr("JSON document (.json)"), static_cast<int>(ExportFormat::Json));
    format_->addItem(tr("NumPy arrays (.npy)"), static_cast<int>(ExportFormat::Npy));
    format_->addItem(tr("peerannot folder, curator as an annotator"), static_cast<int>(ExportFormat::Peerannot));
    quality_ = new QComboBox;
    quality_->setObjectName(QStringLiteral("qualityMethod"));
    quality_->addItem(tr("Self-confidence"), static_cast<int>(LabelQualityMethod::SelfConfidence));
    quality_->addItem(tr("Normalized margin"), static_cast<int>(LabelQualityMethod::NormalizedMargin));
    quality_->addItem(tr("Confidence-weighted entropy"), static_cast<int>(LabelQualityMethod::ConfidenceWeightedEntropy));
    path_ = new QLineEdit;
    path_->setObjectName(QStringLiteral("exportPath"));
    path_->setMinimumWidth(360);
    QPushButton* browseButton = nullptr;
    QHBoxLayout* pathRow = makeBrowseRow(path_, browseButton);
    curator_ = new QLineEdit(QStringLiteral("curator"));
    curator_->setObjectName(QStringLiteral("curatorId"));
    curatorLabel_ = new QLabel(tr("Curator id:"));
    summary_ = new QLabel;
    summary_->setWordWrap(true);
    summary_->setForegroundRole(QPalette::PlaceholderText);
    error_ = makeErrorLabel(QStringLiteral("exportError"));

    auto* form = new QFormLayout;
    form->addRow(tr("Format:"), format_);
    form->addRow(tr("Quality score:"), quality_);
    form->addRow(tr("Save to:"), pathRow);
    form->addRow(curatorLabel_, curator_);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(summary_);
    layout->addLayout(form);
    layout->addWidget(error_);
    layout->addStretch(1);
    layout->addWidget(buttons_);

    connect(format_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ExportDialog::onFormatChanged);
    connect(path_, &QLineEdit::textChanged, this, &ExportDialog::updateState);
    connect(browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(buttons_, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

    const QLocale locale;
    if (const AggregationResult* result = document_->aggregation()) {
        const ReviewState& review = document_->reviewState();
        summary_->setText(tr("%1 items: the curator's %2 decisions, the rest from run %3 (%4).")
                              .arg(locale.toString(document_->dataset().itemCount()))
                              .arg(locale.toString(review.decidedCount()))
                              .arg(document_->aggregationRunId())
                              .arg(QString::fromStdString(result->strategy)));
    } else {
        summary_->setText(tr("No aggregation run is active: start one in the Runs tab first."));
    }
    const QFileInfo source(document_->path());
    if (!document_->path().isEmpty())
        path_->setText(source.absolutePath() + QLatin1Char('/') + source.completeBaseName() + QStringLiteral("-labels.csv"));
    onFormatChanged();
}

ExportFormat ExportDialog::format() const
{
    return static_cast<ExportFormat>(format_->currentData().toInt());
}

void ExportDialog::setFormat(ExportFormat format)
{
    format_->setCurrentIndex(format_->findData(static_cast<int>(format)));
}

QString ExportDialog::path() const
{
    return path_->text().trimmed();
}

void ExportDialog::setPath(const QString& path)
{
    path_->setText(path);
}

void ExportDialog::onFormatChanged()
{
    const bool folder = format() == ExportFormat::Peerannot;
    curator_->setVisible(folder);
    curatorLabel_->setVisible(folder);
    // Keep the chosen name, change only its extension, so switching formats feels natural.
    QString current = path();
    if (!current.isEmpty()) {
        const QFileInfo info(current);
        const QString stem = info.suffix().isEmpty() ? info.fileName() : info.completeBaseName();
        current = info.path() + QLatin1Char('/') + stem + extensionOf(format());
        path_->setText(current);
    }
    updateState();
}

void ExportDialog::browse()
{
    QString chosen;
    if (format() == ExportFormat::Peerannot) {
        chosen = QFileDialog::getExistingDirectory(this, tr("Export peerannot Folder"), QFileInfo(path()).path());
    } else {
        const QString extension = extensionOf(format());
        chosen = QFileDialog::getSaveFileName(this, tr("Export Final Labels"), path(),
                                              tr("%1 files (*%2)").arg(extension.mid(1).toUpper(), extension));
    }
    if (!chosen.isEmpty())
        path_->setText(chosen);
}

void ExportDialog::updateState()
{
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(document_->aggregation() && !path().isEmpty());
}

void ExportDialog::accept()
{
    try {
        written_ = exportLabels(*document_, format(), path(),
                                static_cast<LabelQualityMethod>(quality_->currentData().toInt()), curator_->text());
    } catch (const std::exception& e) {
        error_->setText(tr("Could not export: %1").arg(QString::fromStdString(e.what())));
        error_->show();
        return;
    }
    QDialog::accept();
}

}  // namespace crowdsift
