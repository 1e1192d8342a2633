#pragma once

#include "aggregate/label_quality.h"

#include <QDialog>
#include <QStringList>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace crowdsift {

class ProjectDocument;

enum class ExportFormat { Csv, Json, Npy, Peerannot };

// File > Export: the final labels of the open document (the curator's decision, else the active
// run's consensus) with posterior and quality score as CSV, JSON or .npy (see
// project/final_labels.h), or a peerannot folder whose answers.json carries the curator as one
// more annotator.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(ProjectDocument* document, QWidget* parent = nullptr);

    // Writes the export and returns the files written. Throws InputError when the document has
    // no active aggregation run, or for a write failure (the message names the file).
    static QStringList exportLabels(const ProjectDocument& document, ExportFormat format, const QString& path,
                                    LabelQualityMethod method = LabelQualityMethod::SelfConfidence,
                                    const QString& curatorId = QStringLiteral("curator"));

    ExportFormat format() const;
    void setFormat(ExportFormat format);
    QString path() const;
    void setPath(const QString& path);
    // The files the last accepted export wrote.
    const QStringList& writtenFiles() const { return written_; }

    // Exports; on success closes the dialog, on failure shows the error and stays open.
    void accept() override;

private:
    void onFormatChanged();
    void browse();
    void updateState();

    ProjectDocument* document_;
    QComboBox* format_ = nullptr;
    QComboBox* quality_ = nullptr;
    QLineEdit* path_ = nullptr;
    QLineEdit* curator_ = nullptr;
    QLabel* curatorLabel_ = nullptr;
    QLabel* summary_ = nullptr;
    QLabel* error_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    QStringList written_;
};

}  // namespace crowdsift
