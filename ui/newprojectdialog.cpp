#include "newprojectdialog.h"

#include "dialogparts.h"

#include "util/error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <exception>

namespace crowdsift {

namespace {

const QLatin1String kProjectSuffix(".csift");

// A line edit with its browse buttons after it, as one form row.
QHBoxLayout* pathRow(QLineEdit* edit, std::initializer_list<QPushButton*> buttons)
{
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    for (QPushButton* button : buttons)
        row->addWidget(button);
    return row;
}

// A wrapped grey note under a field.
QLabel* noteLabel(const char* objectName)
{
    auto* label = new QLabel;
    label->setObjectName(QString::fromLatin1(objectName));
    label->setWordWrap(true);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QString absolute(const QString& path)
{
    return QFileInfo(path.trimmed()).absoluteFilePath();
}

}  // namespace

NewProjectDialog::NewProjectDialog(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("New Project from Dataset"));

    dataset_ = new QLineEdit;
    dataset_->setObjectName(QStringLiteral("datasetPath"));
    dataset_->setMinimumWidth(420);
    dataset_->setPlaceholderText(tr("A dataset folder (peerannot, Rodrigues) or file (CSV, JSON, .npy, .txt)"));
    auto* folderButton = new QPushButton(tr("Folder…"));
    auto* fileButton = new QPushButton(tr("File…"));
    detected_ = noteLabel("detectedFormat");

    format_ = new QComboBox;
    format_->setObjectName(QStringLiteral("datasetFormat"));
    format_->addItem(tr("Detect automatically"), QString::fromLatin1(formatName(Format::Auto)));
    for (Format format : {Format::Peerannot, Format::Csv, Format::Matrix, Format::Cifar10h, Format::Rodrigues,
                          Format::Counts})
        format_->addItem(QString::fromLatin1(formatName(format)), QString::fromLatin1(formatName(format)));

    truth_ = new QLineEdit;
    truth_->setObjectName(QStringLiteral("truthPath"));
    truth_->setPlaceholderText(tr("Optional: a .npy label vector or a task,label CSV, for evaluation only"));
    auto* truthButton = new QPushButton(tr("Browse…"));
    truthFromFolders_ = new QCheckBox(tr("Ground truth from the train/<class>/ folder of each image (peerannot)"));
    truthFromFolders_->setObjectName(QStringLiteral("truthFromFolders"));
    classes_ = new QSpinBox;
    classes_->setObjectName(QStringLiteral("classCount"));
    classes_->setRange(0, 100000);
    classes_->setSpecialValueText(tr("from the data"));
    classes_->setToolTip(tr("Number of classes, when the data cannot tell"));

    project_ = new QLineEdit;
    project_->setObjectName(QStringLiteral("projectPath"));
    auto* projectButton = new QPushButton(tr("Browse…"));
    exists_ = noteLabel("projectExists");

    error_ = makeErrorLabel(QStringLiteral("newProjectError"));

    auto* intro = new QLabel(tr("Crowdsift keeps its work (runs, models, review decisions) in a project file. "
                                "The dataset is read once and stored in it; images stay where they are."));
    intro->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Dataset:"), pathRow(dataset_, {folderButton, fileButton}));
    form->addRow(QString(), detected_);
    form->addRow(tr("Format:"), format_);
    form->addRow(tr("Truth:"), pathRow(truth_, {truthButton}));
    form->addRow(QString(), truthFromFolders_);
    form->addRow(tr("Classes:"), classes_);
    form->addRow(tr("Project file:"), pathRow(project_, {projectButton}));
    form->addRow(QString(), exists_);

    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons_->button(QDialogButtonBox::Ok)->setText(tr("Create Project"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(error_);
    layout->addStretch(1);
    layout->addWidget(buttons_);

    connect(folderButton, &QPushButton::clicked, this, &NewProjectDialog::browseFolder);
    connect(fileButton, &QPushButton::clicked, this, &NewProjectDialog::browseFile);
    connect(truthButton, &QPushButton::clicked, this, &NewProjectDialog::browseTruth);
    connect(projectButton, &QPushButton::clicked, this, &NewProjectDialog::browseProject);
    connect(dataset_, &QLineEdit::textChanged, this, &NewProjectDialog::onDatasetEdited);
    connect(project_, &QLineEdit::textChanged, this, [this] {
        const QString path = project_->text().trimmed();
        exists_->setText(!path.isEmpty() && QFileInfo::exists(path)
                             ? tr("This file exists: creating the project will ask before replacing it.")
                             : QString());
        exists_->setVisible(!exists_->text().isEmpty());
    });
    connect(buttons_, &QDialogButtonBox::accepted, this, &NewProjectDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    onDatasetEdited();
    exists_->hide();
}

QString NewProjectDialog::defaultProjectPath(const QString& dataset)
{
    const QFileInfo info(QFileInfo(dataset).absoluteFilePath());
    const QString folder = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    QString name = info.isDir() ? QDir(folder).dirName() : info.completeBaseName();
    if (name.isEmpty())
        name = QStringLiteral("dataset");
    const QString where = QFileInfo(folder).isWritable() ? folder : QDir::homePath();
    return QDir(where).filePath(name + kProjectSuffix);
}

QString NewProjectDialog::dataset() const
{
    return dataset_->text().trimmed();
}

void NewProjectDialog::setDataset(const QString& path)
{
    dataset_->setText(path);
}

QString NewProjectDialog::projectPath() const
{
    return project_->text().trimmed();
}

void NewProjectDialog::setProjectPath(const QString& path)
{
    project_->setText(path);
}

void NewProjectDialog::onDatasetEdited()
{
    const QString path = dataset();
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(!path.isEmpty());
    error_->hide();
    if (path.isEmpty()) {
        detected_->clear();
        return;
    }
    if (!QFileInfo::exists(path)) {
        detected_->setText(tr("No such file or folder."));
        return;
    }
    // The user's own project path stays; the proposal follows the dataset.
    if (projectPath().isEmpty() || projectPath() == proposedProject_) {
        proposedProject_ = defaultProjectPath(path);
        project_->setText(proposedProject_);
    }
    try {
        const Format format = detectFormat(QFile::encodeName(path).toStdString());
        detected_->setText(tr("Detected format: %1").arg(QString::fromLatin1(formatName(format))));
    } catch (const std::exception& e) {
        detected_->setText(tr("Format not detected: %1").arg(QString::fromStdString(e.what())));
    }
}

void NewProjectDialog::showError(const QString& message)
{
    error_->setText(message);
    error_->show();
}

void NewProjectDialog::accept()
{
    const QString dataset = this->dataset();
    if (dataset.isEmpty() || !QFileInfo::exists(dataset)) {
        showError(tr("Choose an existing dataset file or folder."));
        return;
    }
    QString project = projectPath();
    if (project.isEmpty()) {
        showError(tr("Name the project file to create."));
        return;
    }
    if (QFileInfo(project).suffix().isEmpty())
        project += kProjectSuffix;
    project = absolute(project);
    const QFileInfo target(project);
    if (target.isDir()) {
        showError(tr("%1 is a folder: name a file for the project.").arg(project));
        return;
    }
    if (!target.absoluteDir().exists()) {
        showError(tr("The folder %1 does not exist.").arg(target.absolutePath()));
        return;
    }
    if (!openProject_.isEmpty() && target == QFileInfo(openProject_)) {
        showError(tr("%1 is the project open now: choose another name.").arg(project));
        return;
    }
    const QString truth = truth_->text().trimmed();
    if (!truth.isEmpty() && truthFromFolders_->isChecked()) {
        showError(tr("Give either a truth file or truth from image folders, not both."));
        return;
    }

    ImportRequest request;
    request.dataset = absolute(dataset);
    request.project = project;
    try {
        request.read.format = parseFormat(format_->currentData().toString().toStdString());
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        return;
    }
    request.read.truthPath = truth.isEmpty() ? std::string() : QFile::encodeName(absolute(truth)).toStdString();
    request.read.truthFromFolders = truthFromFolders_->isChecked();
    request.read.classCount = classes_->value();
    if (target.exists()) {
        const auto answer = QMessageBox::question(
            this, tr("Replace %1?").arg(target.fileName()),
            tr("%1 already exists. Replace it with a new project made from %2? Its runs and review decisions "
               "will be lost.")
                .arg(project, QFileInfo(dataset).fileName()),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes)
            return;
        request.overwrite = true;
    }
    request_ = request;
    QDialog::accept();
}

QString NewProjectDialog::browseStart() const
{
    return dataset().isEmpty() ? browseDirectory_ : QFileInfo(dataset()).absolutePath();
}

void NewProjectDialog::browseFolder()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Dataset Folder"), browseStart());
    if (!path.isEmpty())
        setDataset(path);
}

void NewProjectDialog::browseFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Dataset File"), browseStart(),
        tr("Datasets (*.csv *.json *.npy *.txt);;All files (*)"));
    if (!path.isEmpty())
        setDataset(path);
}

void NewProjectDialog::browseTruth()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Ground Truth"), browseStart(),
                                                      tr("Labels (*.npy *.csv *.txt);;All files (*)"));
    if (!path.isEmpty())
        truth_->setText(path);
}

void NewProjectDialog::browseProject()
{
    // accept() asks before replacing a file, once, after every choice was made.
    const QString path = QFileDialog::getSaveFileName(this, tr("Project File"), projectPath(),
                                                      tr("Crowdsift projects (*.csift)"), nullptr,
                                                      QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty())
        setProjectPath(path);
}

}  // namespace crowdsift
