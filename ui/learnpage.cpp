#include "learnpage.h"
#include "learnpage_p.h"

#include "jobmanager.h"
#include "projectdocument.h"
#include "runjob.h"
#include "trainingchart.h"

#include "learn/complementary.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <initializer_list>

namespace crowdsift {

namespace {

// Scrolls vertically only: as wide as its form needs (plus the scroll bar), however short.
class FormScrollArea : public QScrollArea {
public:
    QSize minimumSizeHint() const override
    {
        const QSize base = QScrollArea::minimumSizeHint();
        if (!widget())
            return base;
        return {widget()->minimumSizeHint().width() + verticalScrollBar()->sizeHint().width() + 2 * frameWidth(),
                base.height()};
    }
};

}  // namespace

namespace learnpage {

double jsonNumber(const nlohmann::json& object, const char* key)
{
    if (!object.is_object())
        return kNaN;
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : kNaN;
}

bool isLoopRun(const RunInfo& run)
{
    return run.kind == "aggregate" && run.name == kLoopStrategy;
}

bool isDataParamsRun(const RunInfo& run)
{
    return run.kind == kDataParamsKind;
}

bool isLearnRun(const RunInfo& run)
{
    return run.status == "done" && (run.kind == "train" || isLoopRun(run) || isDataParamsRun(run));
}

// Whether the device box asks for the GPU ("auto" does where there is one).
bool wantsCuda(const QComboBox* device)
{
    const QString name = device->currentData().toString();
    return name == QLatin1String("cuda") || (name == QLatin1String("auto") && cudaAvailable());
}

void setItemEnabled(QComboBox* box, int index, bool enabled, const QString& toolTip)
{
    auto* model = qobject_cast<QStandardItemModel*>(box->model());
    if (!model || index < 0)
        return;
    QStandardItem* item = model->item(index);
    item->setEnabled(enabled);
    item->setToolTip(toolTip);
}

bool itemEnabled(const QComboBox* box, int index)
{
    const auto* model = qobject_cast<const QStandardItemModel*>(box->model());
    return model && index >= 0 && model->item(index)->isEnabled();
}

// The page's tr() for the helpers below, which are not its members.
QString pageTr(const char* text)
{
    return QCoreApplication::translate("crowdsift::LearnPage", text);
}


}  // namespace learnpage

using namespace learnpage;

LearnPage::LearnPage(ProjectDocument* document, JobManager* jobs, QWidget* parent)
    : QWidget(parent), document_(document), jobs_(jobs)
{
    QGroupBox* settings = createSettingsForm();
    labels_ = new QComboBox;
    labels_->setObjectName(QStringLiteral("learnLabels"));
    labels_->setToolTip(tr("The finished aggregation run whose labels a training run learns"));
    labels_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    labels_->setMinimumContentsLength(16);

    trainButton_ = new QPushButton(tr("Train (cross-validated)"));
    trainButton_->setObjectName(QStringLiteral("trainButton"));
    trainButton_->setToolTip(tr("Train one model per fold on the chosen labels and store the out-of-sample "
                                "probabilities as a run"));
    loopButton_ = new QPushButton(tr("Run CROWDLAB loop"));
    loopButton_->setObjectName(QStringLiteral("loopButton"));
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setObjectName(QStringLiteral("cancelLearnButton"));
    progress_ = new QProgressBar;
    progress_->setObjectName(QStringLiteral("learnProgress"));
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setTextVisible(false);
    status_ = new QLabel;
    status_->setObjectName(QStringLiteral("learnStatus"));
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* trainForm = new QFormLayout;
    trainForm->addRow(tr("Labels:"), labels_);
    auto* trainBox = new QGroupBox(tr("Train on an aggregation"));
    auto* trainLayout = new QVBoxLayout(trainBox);
    trainLayout->addLayout(trainForm);
    trainLayout->addWidget(trainButton_);

    loopStart_ = new QComboBox;
    loopStart_->setObjectName(QStringLiteral("loopStart"));
    loopStart_->setToolTip(tr("Where the loop starts: majority vote, the labels of an aggregation run (e.g. "
                              "Dawid-Skene), or a learn-from-crowds or training run's out-of-sample probabilities. "
                              "The loop keeps the iteration whose consensus best predicts held-out answers and says "
                              "when its start predicts them better"));
    loopStart_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    loopStart_->setMinimumContentsLength(16);
    auto* loopForm = new QFormLayout;
    loopForm->addRow(tr("Start from:"), loopStart_);
    loopForm->addRow(tr("Max iterations:"), loopIterations_);
    auto* loopBox = new QGroupBox(tr("CROWDLAB loop"));
    auto* loopLayout = new QVBoxLayout(loopBox);
    loopLayout->addLayout(loopForm);
    loopLayout->addWidget(loopButton_);

    QGroupBox* dataParamsBox = createDataParamsBox();
    QGroupBox* crowdBox = createCrowdBox();
    QGroupBox* complementaryBox = createComplementaryBox();

    auto* jobRow = new QHBoxLayout;
    jobRow->addWidget(progress_, 1);
    jobRow->addWidget(cancelButton_);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(settings);
    leftLayout->addWidget(trainBox);
    leftLayout->addWidget(loopBox);
    leftLayout->addWidget(dataParamsBox);
    leftLayout->addWidget(crowdBox);
    leftLayout->addWidget(complementaryBox);
    leftLayout->addLayout(jobRow);
    leftLayout->addWidget(status_);
    leftLayout->addStretch(1);

    runBox_ = new QComboBox;
    runBox_->setObjectName(QStringLiteral("learnRunBox"));
    runBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    runBox_->setToolTip(tr("Show a stored training, CROWDLAB loop or Data Parameters run"));
    foldBox_ = new QComboBox;
    foldBox_->setObjectName(QStringLiteral("learnFoldBox"));
    foldBox_->setToolTip(tr("The fold whose training curve is shown"));
    useRunSettings_ = new QPushButton(tr("Use these settings"));
    useRunSettings_->setObjectName(QStringLiteral("useRunSettingsButton"));
    useRunSettings_->setToolTip(tr("Put this run's model, input, training settings, folds, labels and iteration "
                                   "limit into the form on the left, to run it again as it was or with changes"));
    auto* showRow = new QHBoxLayout;
    showRow->addWidget(new QLabel(tr("Run:")));
    showRow->addWidget(runBox_);
    showRow->addWidget(useRunSettings_);
    showRow->addSpacing(12);
    showRow->addWidget(new QLabel(tr("Curve of:")));
    showRow->addWidget(foldBox_);
    showRow->addStretch(1);

    QWidget* results = createCharts();
    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(showRow);
    rightLayout->addWidget(results, 1);

    // The form scrolls rather than making the window taller than a 1366 x 768 laptop's screen.
    auto* leftScroll = new FormScrollArea;
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(leftScroll);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(model_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::onModelChanged);
    connect(inputKind_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::updateInputFields);
    // The device changes the settings the form does not show (mixed precision); what the user
    // typed stays.
    connect(device_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { updateDefaults(false); });
    connect(browseBackbone_, &QPushButton::clicked, this, &LearnPage::chooseBackbone);
    connect(backbone_, &QLineEdit::textChanged, this, &LearnPage::updateButtons);
    connect(labels_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::updateButtons);
    connect(trainButton_, &QPushButton::clicked, this, &LearnPage::startTraining);
    connect(loopButton_, &QPushButton::clicked, this, &LearnPage::startLoop);
    connect(dataParamsButton_, &QPushButton::clicked, this, &LearnPage::startDataParams);
    connect(crowdButton_, &QPushButton::clicked, this, &LearnPage::startLearnFromCrowds);
    connect(complementaryButton_, &QPushButton::clicked, this, &LearnPage::startComplementary);
    connect(cancelButton_, &QPushButton::clicked, this, &LearnPage::cancelJob);
    connect(runBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::onRunBoxChanged);
    connect(useRunSettings_, &QPushButton::clicked, this, [this] {
        if (runBox_->currentIndex() >= 0)
            useRunSettings(runBox_->currentData().toLongLong());
    });
    connect(foldBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::onFoldBoxChanged);
    connect(document_, &ProjectDocument::loaded, this, &LearnPage::onDocumentLoaded);
    connect(document_, &ProjectDocument::aggregationChanged, this, &LearnPage::refreshRuns);
    connect(document_, &ProjectDocument::runsChanged, this, &LearnPage::refreshRuns);

    onModelChanged();
    clearIterations(false, 0);
    onDocumentLoaded();
}

int LearnPage::currentJob() const
{
    return job_ ? job_->jobId() : 0;
}

void LearnPage::onDocumentLoaded()
{
    ++liveTicket_;
    shownRun_ = 0;
    labelsActive_ = -1;
    takenSettings_ = nullptr;
    foldHistory_.clear();
    setFoldItems(0);
    curveChart_->clear(tr("No training yet"));
    clearIterations(document_->dataset().hasTruth(), 0);
    showDataParamsCharts(false);

    const Dataset& dataset = document_->dataset();
    const bool images = dataset.imageCount() > 0;
    for (int i = 0; i < model_->count(); ++i) {
        const bool imageModel = model_->itemData(i).toString() != QLatin1String("mlp");
        setItemEnabled(model_, i, !imageModel || images || !document_->hasDataset(),
                       imageModel && !images ? tr("The dataset has no images") : model_->itemData(i, Qt::ToolTipRole).toString());
    }
    // Feature vectors train an MLP in seconds. Images want a convolutional network, but on a CPU
    // its loop over a few thousand images takes hours where the MLP's takes minutes.
    const bool cnn = images && dataset.features.size() == 0 && cudaAvailable();
    const QString preferred = cnn ? QStringLiteral("small-cnn") : QStringLiteral("mlp");
    model_->setCurrentIndex(std::max(0, model_->findData(preferred)));

    runBox_->setPlaceholderText(tr("No training, loop or Data Parameters run yet"));
    if (!document_->project())
        status_->setText(tr("Open a project to train models on it, or make one with File > New Project from "
                            "Dataset."));
    else
        status_->clear();
    refreshRuns();
    // The newest stored learning run, so that its curves are back after reopening the project.
    if (runBox_->count() > 0)
        runBox_->setCurrentIndex(0);
    updateInputFields();
    updateButtons();
}

void LearnPage::updateButtons()
{
    const bool running = job_ != nullptr;
    // A read-only project cannot store the runs these buttons make.
    const bool project = document_->project() != nullptr && !document_->isReadOnly();
    const bool torchscript = model_->currentData().toString() == QLatin1String("torchscript");
    for (QWidget* field : std::initializer_list<QWidget*>{model_, epochs_, learningRate_, batchSize_, folds_, optimizer_,
                                                          labelSmoothing_, softTargets_, device_, labels_,
                                                          loopIterations_, crowdStrategy_, complementaryLoss_})
        field->setEnabled(!running);
    crowdScale_->setEnabled(!running && crowdStrategy_->currentData().toString() == QLatin1String("conal"));
    backbone_->setEnabled(!running && torchscript);
    browseBackbone_->setEnabled(!running && torchscript);
    const bool modelUsable = itemEnabled(model_, model_->currentIndex())
                             && (!torchscript || !backbone_->text().trimmed().isEmpty());
    trainButton_->setEnabled(!running && project && modelUsable && labels_->currentIndex() >= 0);
    loopButton_->setEnabled(!running && project && modelUsable);
    const DataParamsConfig dataParams = dataParamsConfig();
    dataParamsButton_->setEnabled(!running && project && modelUsable && labels_->currentIndex() >= 0
                                  && dataParams.enabled());
    updateDataParamsFields();
    cancelButton_->setEnabled(running);
    useRunSettings_->setEnabled(!running && runBox_->currentIndex() >= 0);
    const QString noProject = tr("Training stores its runs in a project: open one, or make one with File > New "
                                 "Project from Dataset");
    loopButton_->setToolTip(project ? tr("Majority vote, then cross-validated model -> CROWDLAB consensus -> retrain, "
                                         "until no item changes label for the first time; the consensus becomes the "
                                         "active run")
                                    : noProject);
    if (!project)
        trainButton_->setToolTip(noProject);
    else if (labels_->count() == 0)
        trainButton_->setToolTip(tr("Training learns the labels of an aggregation run: run one on the Runs tab first"));
    else
        trainButton_->setToolTip(tr("Train one model per fold on the chosen labels and store the out-of-sample "
                                    "probabilities as a run"));
    if (!project)
        dataParamsButton_->setToolTip(noProject);
    else if (labels_->count() == 0)
        dataParamsButton_->setToolTip(tr("Data Parameters learn the labels of an aggregation run: run one on the Runs "
                                         "tab first"));
    else if (!dataParams.enabled())
        dataParamsButton_->setToolTip(tr("Choose item sigmas, class sigmas or both"));
    else
        dataParamsButton_->setToolTip(tr("Train one model on every labelled item with the chosen labels, learning the "
                                         "sigmas per epoch, and store them as a data-parameters run (no consensus: the "
                                         "active run stays)"));
    const bool votes = document_->hasDataset() && document_->dataset().answers.size() > 0;
    crowdButton_->setEnabled(!running && project && modelUsable && votes);
    if (!project)
        crowdButton_->setToolTip(noProject);
    else if (!votes)
        crowdButton_->setToolTip(tr("The dataset has no votes to learn from"));
    else
        crowdButton_->setToolTip(tr("Train one model per fold end to end on every annotator's votes through a layer per "
                                    "annotator (no aggregation first) and store its probabilities and the learned "
                                    "confusions as a training run"));
    const bool complementary = document_->hasDataset()
                               && std::any_of(document_->dataset().answers.byItem().begin(),
                                              document_->dataset().answers.byItem().end(),
                                              [](const Answers::Entry& e) { return e.complementary(); });
    const bool transition = usesTransition(parseComplementaryLoss(complementaryLoss_->currentData().toString().toStdString()));
    complementaryTransition_->setEnabled(!running && transition);
    complementaryButton_->setEnabled(!running && project && modelUsable && complementary);
    if (!project)
        complementaryButton_->setToolTip(noProject);
    else if (!complementary)
        complementaryButton_->setToolTip(tr("The dataset has no complementary (\"not class k\") answers to learn from"));
    else
        complementaryButton_->setToolTip(tr("Train one model on every answered item from its complementary and ordinary "
                                            "answers with the chosen loss, and store its probabilities and transition "
                                            "matrices as a training run"));
}

}  // namespace crowdsift
