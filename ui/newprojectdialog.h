#pragma once

#include "documentloader.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace crowdsift {

// File > New Project from Dataset: the dataset (a file or folder, its format detected as the user
// types, with the read options of `crowdsift-cli import`) and the project file to make of it,
// by default beside the data. The import itself runs in ProjectDocument::importDataset.
class NewProjectDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewProjectDialog(QWidget* parent = nullptr);

    // `<folder>/<folder name>.csift` for a dataset folder, `<folder>/<file base name>.csift`
    // beside a dataset file; in the home folder when that folder cannot be written.
    static QString defaultProjectPath(const QString& dataset);

    QString dataset() const;
    // Also proposes defaultProjectPath() until the user chose a project path of their own.
    void setDataset(const QString& path);
    QString projectPath() const;
    void setProjectPath(const QString& path);
    // Where the Folder… and File… buttons start while no dataset is chosen.
    void setBrowseDirectory(const QString& path) { browseDirectory_ = path; }
    // The project the window has open: replacing it is refused.
    void setOpenProject(const QString& path) { openProject_ = path; }

    // What accept() settled on (the project path completed with .csift, overwrite as answered).
    const ImportRequest& request() const { return request_; }

    // Checks the choices; asks before replacing an existing file; closes only when the import
    // can start, else shows why and stays open.
    void accept() override;

private:
    void browseFolder();
    void browseFile();
    void browseProject();
    void browseTruth();
    QString browseStart() const;
    void onDatasetEdited();
    void showError(const QString& message);

    QLineEdit* dataset_ = nullptr;
    QLabel* detected_ = nullptr;
    QComboBox* format_ = nullptr;
    QLineEdit* truth_ = nullptr;
    QCheckBox* truthFromFolders_ = nullptr;
    QSpinBox* classes_ = nullptr;
    QLineEdit* project_ = nullptr;
    QLabel* exists_ = nullptr;
    QLabel* error_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    QString proposedProject_;  // the default last filled in; a different text is the user's own
    QString openProject_;
    QString browseDirectory_;
    ImportRequest request_;
};

}  // namespace crowdsift
