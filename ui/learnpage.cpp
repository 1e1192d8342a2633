#include "learnpage.h"

#include "jobmanager.h"
#include "projectdocument.h"
#include "trainingchart.h"

#include "aggregate/crowdlab.h"
#include "aggregate/registry.h"
#include "project/store.h"
#include "util/progress.h"

#include <QChart>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStringList>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>

namespace crowdsift {

namespace {

const char* const kLoopStrategy = "crowdlab-loop";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A number for the table, "-" where it is not known (no ground truth).
QString numberOrDash(double value, int decimals)
{
    return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("-");
}

double jsonNumber(const nlohmann::json& object, const char* key)
{
    if (!object.is_object())
        return kNaN;
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : kNaN;
}

int jsonInt(const nlohmann::json& object, const char* key)
{
    const double value = jsonNumber(object, key);
    return std::isfinite(value) ? static_cast<int>(std::lround(value)) : 0;
}

bool isLoopRun(const RunInfo& run)
{
    return run.kind == "aggregate" && run.name == kLoopStrategy;
}

bool isLearnRun(const RunInfo& run)
{
    return run.status == "done" && (run.kind == "train" || isLoopRun(run));
}

// A train run's history output: rows of (fold, epoch, train_loss, train_acc, val_loss, val_acc,
// lr, seconds, samples_per_s), grouped by fold (index = fold; folds without rows stay empty).
std::vector<std::vector<EpochRecord>> historyByFold(const NpyArray& array)
{
    constexpr std::size_t columns = 9;
    if (array.rank() != 2 || array.shape[1] != columns)
        throw std::runtime_error("its history is not a table of 9 columns");
    const std::vector<double> values = array.as<double>();
    std::vector<std::vector<EpochRecord>> folds;
    for (std::size_t row = 0; row < array.shape[0]; ++row) {
        const double* v = values.data() + row * columns;
        const int fold = static_cast<int>(v[0]);
        if (fold < 0 || fold > 1000)
            throw std::runtime_error("its history names fold " + std::to_string(fold));
        EpochRecord record;
        record.epoch = static_cast<int>(v[1]);
        record.trainLoss = v[2];
        record.trainAccuracy = v[3];
        record.validationLoss = v[4];
        record.validationAccuracy = v[5];
        record.learningRate = v[6];
        record.seconds = v[7];
        record.samplesPerSecond = v[8];
        if (static_cast<int>(folds.size()) <= fold)
            folds.resize(static_cast<std::size_t>(fold) + 1);
        folds[static_cast<std::size_t>(fold)].push_back(record);
    }
    return folds;
}

// The "loop" table of a crowdlab-loop run's summary (loopSummary()).
std::vector<LoopIteration> iterationsFromSummary(const nlohmann::json& summary)
{
    std::vector<LoopIteration> iterations;
    if (!summary.is_object() || !summary.contains("loop") || !summary["loop"].is_array())
        return iterations;
    for (const nlohmann::json& row : summary["loop"]) {
        LoopIteration it;
        it.iteration = jsonInt(row, "iteration");
        it.changed = jsonInt(row, "changed");
        it.newlyChanged = jsonInt(row, "newly_changed");
        it.consensusAccuracy = jsonNumber(row, "consensus_accuracy");
        it.modelAccuracy = jsonNumber(row, "model_accuracy");
        it.modelWeight = jsonNumber(row, "model_weight");
        it.meanConsensusQuality = jsonNumber(row, "mean_consensus_quality");
        it.seconds = jsonNumber(row, "seconds");
        it.trainSamplesPerSecond = jsonNumber(row, "train_samples_per_s");
        iterations.push_back(it);
    }
    return iterations;
}

QString runTitle(const RunInfo& run)
{
    if (isLoopRun(run))
        return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · CROWDLAB loop").arg(run.id);
    if (run.kind == "train")
        return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · training (%2)")
            .arg(run.id)
            .arg(QString::fromStdString(run.name));
    const auto known = std::find_if(strategies().begin(), strategies().end(),
                                    [&run](const StrategyInfo& info) { return info.name == run.name; });
    const QString name = known == strategies().end() ? QString::fromStdString(run.name)
                                                      : QString::fromStdString(known->title);
    return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · %2").arg(run.id).arg(name);
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

// A stored parameter as the status line quotes it: 'lion', 1, 0.125, [64,32].
QString storedText(const nlohmann::json& value)
{
    return value.is_string() ? QStringLiteral("'%1'").arg(QString::fromStdString(value.get<std::string>()))
                             : QString::fromStdString(value.dump());
}

// Reads a stored run's parameters into the form and into the settings behind it. A parameter
// the run lacks leaves its field alone; one the field cannot take leaves it too, with a line in
// `problems` naming the field, the stored value and what was kept.
class FormFiller {
public:
    FormFiller(std::int64_t run, const nlohmann::json& params) : run_(run), params_(params) {}

    QStringList problems;
    QStringList changed;  // "weight decay 0.01": settings behind the form that differ from before

    const nlohmann::json* find(const char* key) const
    {
        const auto it = params_.find(key);
        return it == params_.end() || it->is_null() ? nullptr : &*it;
    }

    void reject(const QString& field, const nlohmann::json& stored, const QString& why, const QString& kept)
    {
        problems.append(pageTr("Run %1's %2 %3 %4; kept %5").arg(run_).arg(field, storedText(stored), why, kept));
    }

    // The stored number of `key` when it lies in [min, max] (and is whole with `whole`);
    // nothing, with a problem line, otherwise.
    std::optional<double> number(const char* key, const QString& field, double min, double max, bool whole,
                                 const QString& kept)
    {
        const nlohmann::json* value = find(key);
        if (!value)
            return std::nullopt;
        const double number = value->is_number() ? value->get<double>() : kNaN;
        if (!std::isfinite(number) || (whole && number != std::floor(number)))
            reject(field, *value, whole ? pageTr("is not a whole number") : pageTr("is not a number"), kept);
        else if (number < min)
            reject(field, *value, pageTr("is below the minimum %1").arg(min), kept);
        else if (number > max)
            reject(field, *value, pageTr("is above the maximum %1").arg(max), kept);
        else
            return number;
        return std::nullopt;
    }

    void spinBox(const char* key, QSpinBox* box, const QString& field)
    {
        if (const auto value = number(key, field, box->minimum(), box->maximum(), true, box->text()))
            box->setValue(static_cast<int>(*value));
    }

    // The box rounds to its decimals: a value that needs more is not taken.
    void doubleSpinBox(const char* key, QDoubleSpinBox* box, const QString& field)
    {
        const auto value = number(key, field, box->minimum(), box->maximum(), false, box->text());
        if (!value)
            return;
        const double shown = QString::number(*value, 'f', box->decimals()).toDouble();
        if (std::abs(shown - *value) > 1e-12 * std::max(1.0, std::abs(*value)))
            reject(field, *find(key), pageTr("needs more than %1 decimals").arg(box->decimals()), box->text());
        else
            box->setValue(*value);
    }

    void checkBox(const char* key, QCheckBox* box, const QString& field)
    {
        const nlohmann::json* value = find(key);
        if (!value)
            return;
        if (value->is_boolean())
            box->setChecked(value->get<bool>());
        else
            reject(field, *value, pageTr("is not true or false"), box->isChecked() ? pageTr("on") : pageTr("off"));
    }

    // Selects the enabled item whose data `dataOf` gives for the stored name (an invalid QVariant
    // for a name it does not know).
    void comboBox(const char* key, QComboBox* box, const QString& field,
                  const std::function<QVariant(const std::string&)>& dataOf)
    {
        const nlohmann::json* value = find(key);
        if (!value)
            return;
        const QVariant data = value->is_string() ? dataOf(value->get<std::string>()) : QVariant();
        const int index = data.isValid() ? box->findData(data) : -1;
        if (index >= 0 && itemEnabled(box, index))
            box->setCurrentIndex(index);
        else
            reject(field, *value, pageTr("is not available here"), box->currentText());
    }

    void lineEdit(const char* key, QLineEdit* edit, const QString& field)
    {
        const nlohmann::json* value = find(key);
        if (!value)
            return;
        if (value->is_string())
            edit->setText(QFile::decodeName(QByteArray::fromStdString(value->get<std::string>())));
        else
            reject(field, *value, pageTr("is not a file name"), edit->text().isEmpty() ? pageTr("none") : edit->text());
    }

    // A setting behind the form; named in `changed` when it differs from what was there.
    template <class T>
    void hidden(const char* key, const QString& field, T& setting, const T& value)
    {
        if (!(setting == value))
            changed.append(field + QLatin1Char(' ') + storedText(*find(key)));
        setting = value;
    }

private:
    std::int64_t run_;
    const nlohmann::json& params_;
};

// For FormFiller::comboBox over a box whose items hold an enum as int: the enum `parse` (one of
// the CLI's parsers, name and option) reads from a stored name, an invalid QVariant for a name it
// rejects.
template <class Enum>
std::function<QVariant(const std::string&)> enumData(Enum (*parse)(const std::string&, const std::string&))
{
    return [parse](const std::string& name) {
        try {
            return QVariant(static_cast<int>(parse(name, std::string())));
        } catch (const std::exception&) {
            return QVariant();
        }
    };
}

// Takes the stored settings that the form does not show (trainParams()'s momentum, weight_decay,
// schedule, warmup_epochs, augment, flip, val_fraction, patience, seed, and width, hidden, dropout)
// over `config` and `spec`, with the limits of the CLI's options.
void takeHiddenSettings(FormFiller& filler, TrainConfig& config, ModelSpec& spec)
{
    constexpr double unbounded = std::numeric_limits<double>::infinity();
    const double belowOne = std::nextafter(1.0, 0.0);
    if (const auto v = filler.number("momentum", pageTr("momentum"), 0.0, 1.0, false, QString::number(config.momentum)))
        filler.hidden("momentum", pageTr("momentum"), config.momentum, *v);
    if (const auto v = filler.number("weight_decay", pageTr("weight decay"), 0.0, unbounded, false,
                                     QString::number(config.weightDecay)))
        filler.hidden("weight_decay", pageTr("weight decay"), config.weightDecay, *v);
    if (const nlohmann::json* value = filler.find("schedule")) {
        try {
            filler.hidden("schedule", pageTr("schedule"), config.schedule, parseSchedule(value->get<std::string>()));
        } catch (const std::exception&) {
            filler.reject(pageTr("schedule"), *value, pageTr("is not available here"),
                          QString::fromLatin1(scheduleName(config.schedule)));
        }
    }
    if (const auto v = filler.number("warmup_epochs", pageTr("warm-up epochs"), 0.0, unbounded, false,
                                     QString::number(config.warmupEpochs)))
        filler.hidden("warmup_epochs", pageTr("warm-up epochs"), config.warmupEpochs, *v);
    for (const auto& [key, field, setting] : {std::make_tuple("augment", pageTr("augmentation"), &config.augment),
                                              std::make_tuple("flip", pageTr("flips"), &config.flip)}) {
        if (const nlohmann::json* value = filler.find(key)) {
            if (value->is_boolean())
                filler.hidden(key, field, *setting, value->get<bool>());
            else
                filler.reject(field, *value, pageTr("is not true or false"), *setting ? pageTr("on") : pageTr("off"));
        }
    }
    if (const auto v = filler.number("val_fraction", pageTr("validation fraction"), 0.0, 0.9, false,
                                     QString::number(config.validationFraction)))
        filler.hidden("val_fraction", pageTr("validation fraction"), config.validationFraction, *v);
    if (const auto v = filler.number("patience", pageTr("patience"), 0.0, std::numeric_limits<int>::max(), true,
                                     QString::number(config.patience)))
        filler.hidden("patience", pageTr("patience"), config.patience, static_cast<int>(*v));
    // Read as an integer: seeds go beyond a double's 53 bits.
    if (const nlohmann::json* value = filler.find("seed")) {
        if (value->is_number_unsigned() || (value->is_number_integer() && value->get<std::int64_t>() >= 0))
            filler.hidden("seed", pageTr("seed"), config.seed, value->get<std::uint64_t>());
        else
            filler.reject(pageTr("seed"), *value, pageTr("is not a whole number of at least 0"),
                          QString::number(config.seed));
    }
    if (const auto v = filler.number("width", pageTr("width"), 1.0, std::numeric_limits<int>::max(), true,
                                     QString::number(spec.width)))
        filler.hidden("width", pageTr("width"), spec.width, static_cast<int>(*v));
    if (const nlohmann::json* value = filler.find("hidden")) {
        std::vector<int> widths;
        bool valid = value->is_array();
        for (std::size_t i = 0; valid && i < value->size(); ++i) {
            const nlohmann::json& width = (*value)[i];
            valid = width.is_number_integer() && width.get<std::int64_t>() >= 1
                    && width.get<std::int64_t>() <= std::numeric_limits<int>::max();
            if (valid)
                widths.push_back(width.get<int>());
        }
        QStringList kept;
        for (int width : spec.hidden)
            kept.append(QString::number(width));
        if (valid)
            filler.hidden("hidden", pageTr("hidden widths"), spec.hidden, widths);
        else
            filler.reject(pageTr("hidden widths"), *value, pageTr("is not a list of positive layer widths"),
                          kept.isEmpty() ? pageTr("none") : kept.join(QLatin1Char(',')));
    }
    if (const auto v = filler.number("dropout", pageTr("dropout"), 0.0, belowOne, false, QString::number(spec.dropout)))
        filler.hidden("dropout", pageTr("dropout"), spec.dropout, *v);
}

}  // namespace

// What a worker needs, copied on the GUI thread: the document may change while it runs.
struct LearnPage::JobSetup {
    std::string projectPath;
    std::shared_ptr<const Dataset> dataset;
    LearnInputOptions input;
    LoopConfig run;  // model, training, folds, soft targets, and for the loop its iterations
    std::int64_t labelsRun = 0;
    nlohmann::json params;
};

LearnPage::LearnPage(ProjectDocument* document, JobManager* jobs, QWidget* parent)
    : QWidget(parent), document_(document), jobs_(jobs)
{
    model_ = new QComboBox;
    model_->setObjectName(QStringLiteral("learnModel"));
    const std::pair<const char*, const char*> models[] = {
        {"mlp", QT_TR_NOOP("Multi-layer perceptron on the dataset's feature vectors (or its images, flattened)")},
        {"small-cnn", QT_TR_NOOP("A fast small convolutional network for 28-64 px images")},
        {"resnet18", QT_TR_NOOP("ResNet-18 with a CIFAR stem, for small images; slow on a CPU")},
        {"torchscript", QT_TR_NOOP("Your own TorchScript backbone (images -> embeddings), frozen, with a trained head")},
    };
    for (const auto& [name, description] : models) {
        model_->addItem(QString::fromLatin1(name), QString::fromLatin1(name));
        model_->setItemData(model_->count() - 1, tr(description), Qt::ToolTipRole);
    }
    backbone_ = new QLineEdit;
    backbone_->setObjectName(QStringLiteral("backboneFile"));
    backbone_->setPlaceholderText(tr("TorchScript file (.pt)"));
    backbone_->setToolTip(tr("A TorchScript module that maps N x C x H x W float images in [0, 1] to N x D "
                             "embeddings, exported from Python with torch.jit.trace or torch.jit.script"));
    browseBackbone_ = new QPushButton(tr("Browse…"));
    browseBackbone_->setObjectName(QStringLiteral("browseBackbone"));

    epochs_ = new QSpinBox;
    epochs_->setObjectName(QStringLiteral("learnEpochs"));
    epochs_->setRange(1, 1000);
    learningRate_ = new QDoubleSpinBox;
    learningRate_->setObjectName(QStringLiteral("learnRate"));
    learningRate_->setDecimals(5);
    learningRate_->setRange(0.00001, 10.0);
    learningRate_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    learningRate_->setToolTip(tr("Peak learning rate, reached after the warm-up"));
    batchSize_ = new QSpinBox;
    batchSize_->setObjectName(QStringLiteral("learnBatchSize"));
    batchSize_->setRange(1, 65536);
    folds_ = new QSpinBox;
    folds_->setObjectName(QStringLiteral("learnFolds"));
    folds_->setRange(2, 20);
    folds_->setValue(5);
    folds_->setToolTip(tr("Every item's probabilities come from the model that did not train on it"));
    optimizer_ = new QComboBox;
    optimizer_->setObjectName(QStringLiteral("learnOptimizer"));
    optimizer_->addItem(tr("SGD (Nesterov)"), static_cast<int>(OptimizerKind::Sgd));
    optimizer_->addItem(tr("AdamW"), static_cast<int>(OptimizerKind::AdamW));
    labelSmoothing_ = new QDoubleSpinBox;
    labelSmoothing_->setObjectName(QStringLiteral("learnLabelSmoothing"));
    labelSmoothing_->setRange(0.0, 0.5);
    labelSmoothing_->setSingleStep(0.05);
    labelSmoothing_->setDecimals(2);
    softTargets_ = new QCheckBox(tr("Train on posteriors (soft targets)"));
    softTargets_->setObjectName(QStringLiteral("learnSoftTargets"));
    softTargets_->setToolTip(tr("Learn the aggregation's class probabilities instead of its hard labels"));
    device_ = new QComboBox;
    device_->setObjectName(QStringLiteral("learnDevice"));
    device_->addItem(tr("auto"), QStringLiteral("auto"));
    device_->addItem(tr("cpu"), QStringLiteral("cpu"));
    device_->addItem(tr("cuda"), QStringLiteral("cuda"));
    if (cudaAvailable()) {
        device_->setToolTip(tr("auto trains on the GPU"));
    } else {
        const QString why = tr("This build of LibTorch or this machine has no CUDA GPU");
        setItemEnabled(device_, 2, false, why);
        device_->setToolTip(tr("auto trains on the CPU. %1.").arg(why));
    }
    inputKind_ = new QComboBox;
    inputKind_->setObjectName(QStringLiteral("learnInput"));
    inputKind_->addItem(tr("Automatic"), static_cast<int>(LearnInputKind::Auto));
    inputKind_->addItem(tr("Feature vectors"), static_cast<int>(LearnInputKind::Features));
    inputKind_->addItem(tr("Image pixels"), static_cast<int>(LearnInputKind::Images));
    inputKind_->addItem(tr("Scene features (GIST)"), static_cast<int>(LearnInputKind::Scene));
    imageSize_ = new QSpinBox;
    imageSize_->setObjectName(QStringLiteral("learnImageSize"));
    imageSize_->setRange(0, 512);
    imageSize_->setSingleStep(4);
    imageSize_->setSpecialValueText(tr("auto"));
    imageSize_->setSuffix(tr(" px"));
    labels_ = new QComboBox;
    labels_->setObjectName(QStringLiteral("learnLabels"));
    labels_->setToolTip(tr("The finished aggregation run whose labels a training run learns"));
    labels_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    labels_->setMinimumContentsLength(16);
    loopIterations_ = new QSpinBox;
    loopIterations_->setObjectName(QStringLiteral("loopIterations"));
    loopIterations_->setRange(1, 50);
    loopIterations_->setValue(5);
    loopIterations_->setToolTip(tr("The loop also stops once no item changes label for the first time"));

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

    auto* backboneRow = new QHBoxLayout;
    backboneRow->setContentsMargins(0, 0, 0, 0);
    backboneRow->addWidget(backbone_, 1);
    backboneRow->addWidget(browseBackbone_);
    auto* form = new QFormLayout;
    form->addRow(tr("Model:"), model_);
    form->addRow(tr("Input:"), inputKind_);
    form->addRow(tr("Backbone:"), backboneRow);
    form->addRow(tr("Epochs:"), epochs_);
    form->addRow(tr("Learning rate:"), learningRate_);
    form->addRow(tr("Batch size:"), batchSize_);
    form->addRow(tr("Optimizer:"), optimizer_);
    form->addRow(tr("Label smoothing:"), labelSmoothing_);
    form->addRow(tr("Folds:"), folds_);
    form->addRow(tr("Device:"), device_);
    form->addRow(tr("Image size:"), imageSize_);
    form->addRow(QString(), softTargets_);
    auto* settings = new QGroupBox(tr("Model and training"));
    settings->setLayout(form);

    auto* trainForm = new QFormLayout;
    trainForm->addRow(tr("Labels:"), labels_);
    auto* trainBox = new QGroupBox(tr("Train on an aggregation"));
    auto* trainLayout = new QVBoxLayout(trainBox);
    trainLayout->addLayout(trainForm);
    trainLayout->addWidget(trainButton_);

    auto* loopForm = new QFormLayout;
    loopForm->addRow(tr("Max iterations:"), loopIterations_);
    auto* loopBox = new QGroupBox(tr("CROWDLAB loop"));
    auto* loopLayout = new QVBoxLayout(loopBox);
    loopLayout->addLayout(loopForm);
    loopLayout->addWidget(loopButton_);

    auto* jobRow = new QHBoxLayout;
    jobRow->addWidget(progress_, 1);
    jobRow->addWidget(cancelButton_);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(settings);
    leftLayout->addWidget(trainBox);
    leftLayout->addWidget(loopBox);
    leftLayout->addLayout(jobRow);
    leftLayout->addWidget(status_);
    leftLayout->addStretch(1);

    runBox_ = new QComboBox;
    runBox_->setObjectName(QStringLiteral("learnRunBox"));
    runBox_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    runBox_->setToolTip(tr("Show a stored training or CROWDLAB loop run"));
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

    curveChart_ = new TrainingCurveChart;
    curveChart_->setObjectName(QStringLiteral("trainingCurve"));
    loopChart_ = new LoopChart;
    loopChart_->setObjectName(QStringLiteral("loopChart"));
    iterationTable_ = new QTableWidget(0, IterationColumnCount);
    iterationTable_->setObjectName(QStringLiteral("iterationTable"));
    iterationTable_->setHorizontalHeaderLabels({tr("Iteration"), tr("Changed"), tr("Newly changed"),
                                                tr("Consensus acc."), tr("Model acc."), tr("Model weight"),
                                                tr("Seconds")});
    iterationTable_->horizontalHeaderItem(ChangedColumn)
        ->setToolTip(tr("Items whose consensus differs from the previous iteration's"));
    iterationTable_->horizontalHeaderItem(NewlyChangedColumn)
        ->setToolTip(tr("Of those, items that changed for the first time; the loop stops at 0"));
    iterationTable_->horizontalHeaderItem(ConsensusAccuracyColumn)
        ->setToolTip(tr("Accuracy of the consensus against the ground truth"));
    iterationTable_->horizontalHeaderItem(ModelAccuracyColumn)
        ->setToolTip(tr("Accuracy of the out-of-sample model probabilities' argmax against the ground truth"));
    iterationTable_->horizontalHeaderItem(ModelWeightColumn)->setToolTip(tr("CROWDLAB's weight of the model"));
    iterationTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    iterationTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    iterationTable_->verticalHeader()->hide();
    iterationTable_->setAlternatingRowColors(true);
    iterationTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    // Room for five iterations, the loop's default limit, without scrolling.
    iterationTable_->setMinimumHeight(iterationTable_->horizontalHeader()->sizeHint().height()
                                      + 5 * iterationTable_->verticalHeader()->defaultSectionSize() + 4);

    auto* charts = new QSplitter(Qt::Horizontal);
    charts->addWidget(curveChart_);
    charts->addWidget(loopChart_);
    // The loop chart has more to show: five series on two value axes.
    charts->setStretchFactor(0, 4);
    charts->setStretchFactor(1, 5);
    charts->setChildrenCollapsible(false);
    auto* results = new QSplitter(Qt::Vertical);
    results->addWidget(charts);
    results->addWidget(iterationTable_);
    results->setStretchFactor(0, 3);
    results->setStretchFactor(1, 1);
    results->setChildrenCollapsible(false);
    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(showRow);
    rightLayout->addWidget(results, 1);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(left);
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
    connect(cancelButton_, &QPushButton::clicked, this, &LearnPage::cancelJob);
    connect(runBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::onRunBoxChanged);
    connect(useRunSettings_, &QPushButton::clicked, this, [this] {
        if (runBox_->currentIndex() >= 0)
            useRunSettings(runBox_->currentData().toLongLong());
    });
    connect(foldBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::onFoldBoxChanged);
    connect(document_, &ProjectDocument::loaded, this, &LearnPage::onDocumentLoaded);
    connect(document_, &ProjectDocument::aggregationChanged, this, &LearnPage::refreshRuns);
    connect(jobs_, &JobManager::jobChanged, this, &LearnPage::onJobChanged);
    connect(jobs_, &JobManager::jobFinished, this, &LearnPage::onJobFinished);

    onModelChanged();
    clearIterations(false, 0);
    onDocumentLoaded();
}

void LearnPage::onDocumentLoaded()
{
    ++generation_;
    ++liveTicket_;
    shownRun_ = 0;
    labelsActive_ = -1;
    takenSettings_ = nullptr;
    foldHistory_.clear();
    setFoldItems(0);
    curveChart_->clear(tr("No training yet"));
    clearIterations(document_->dataset().hasTruth(), 0);

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

    runBox_->setPlaceholderText(tr("No training or loop run yet"));
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

void LearnPage::onModelChanged()
{
    applyDefaults();
    updateInputFields();
    updateButtons();
}

void LearnPage::applyDefaults()
{
    // A stored run's settings behind the form were those of its model.
    takenSettings_ = nullptr;
    updateDefaults(true);
}

void LearnPage::updateDefaults(bool fillForm)
{
    const std::string model = model_->currentData().toString().toStdString();
    defaults_ = defaultTrainConfig(model, wantsCuda(device_));
    specDefaults_ = defaultModelSpec(model, wantsCuda(device_));
    if (takenSettings_.is_object()) {
        FormFiller taken(0, takenSettings_);
        takeHiddenSettings(taken, defaults_, specDefaults_);
    }
    if (!fillForm)
        return;
    epochs_->setValue(defaults_.epochs);
    learningRate_->setValue(defaults_.learningRate);
    batchSize_->setValue(defaults_.batchSize);
    optimizer_->setCurrentIndex(std::max(0, optimizer_->findData(static_cast<int>(defaults_.optimizer))));
    labelSmoothing_->setValue(defaults_.labelSmoothing);
}

void LearnPage::updateInputFields()
{
    const Dataset& dataset = document_->dataset();
    const bool images = dataset.imageCount() > 0;
    const bool features = dataset.features.size() > 0;
    const bool mlp = model_->currentData().toString() == QLatin1String("mlp");
    setItemEnabled(inputKind_, 1, features, features ? QString() : tr("The dataset has no feature vectors"));
    setItemEnabled(inputKind_, 2, images, images ? QString() : tr("The dataset has no images"));
    setItemEnabled(inputKind_, 3, images, images ? QString() : tr("The dataset has no images"));
    if (!itemEnabled(inputKind_, inputKind_->currentIndex()))
        inputKind_->setCurrentIndex(0);
    inputKind_->setEnabled(currentJob_ == 0 && mlp);
    inputKind_->setToolTip(mlp ? tr("Automatic: the dataset's feature vectors when it has them, else its images. "
                                    "Scene features (GIST) describe photos of scenes far better than raw pixels "
                                    "when there are only a few thousand of them")
                               : tr("The image networks learn from the images"));
    const auto kind = static_cast<LearnInputKind>(inputKind_->currentData().toInt());
    const bool usesImages = images
                            && (!mlp || kind == LearnInputKind::Images || (kind == LearnInputKind::Auto && !features));
    imageSize_->setEnabled(currentJob_ == 0 && usesImages);
    imageSize_->setToolTip(usesImages ? tr("Side of the cached training images; auto = 28 px for images up to "
                                           "28 px, else 32 px")
                                      : tr("This model does not train on the image pixels"));
}

ModelSpec LearnPage::modelSpec() const
{
    ModelSpec spec = specDefaults_;
    if (spec.name == "torchscript")
        spec.backbone = QFile::encodeName(backbone_->text().trimmed()).toStdString();
    return spec;
}

TrainConfig LearnPage::trainConfig() const
{
    TrainConfig config = defaults_;
    config.epochs = epochs_->value();
    config.learningRate = learningRate_->value();
    config.batchSize = batchSize_->value();
    config.optimizer = static_cast<OptimizerKind>(optimizer_->currentData().toInt());
    config.labelSmoothing = labelSmoothing_->value();
    config.device = device_->currentData().toString().toStdString();
    return config;
}

LoopConfig LearnPage::loopConfig() const
{
    return {modelSpec(), trainConfig(), folds_->value(), loopIterations_->value(), softTargets_->isChecked()};
}

LearnInputOptions LearnPage::inputOptions() const
{
    LearnInputOptions options;
    // Only the MLP reads feature vectors; the image networks need the images even when the
    // dataset has features too.
    const bool mlp = model_->currentData().toString() == QLatin1String("mlp");
    options.preferFeatures = mlp;
    options.kind = mlp ? static_cast<LearnInputKind>(inputKind_->currentData().toInt()) : LearnInputKind::Auto;
    options.imageSize = imageSize_->value();
    return options;
}

void LearnPage::chooseBackbone()
{
    const QString start = backbone_->text().isEmpty() ? QString() : QFileInfo(backbone_->text()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(this, tr("TorchScript Backbone"), start,
                                                      tr("TorchScript modules (*.pt *.pth *.ts);;All files (*)"));
    if (!path.isEmpty())
        backbone_->setText(path);
}

void LearnPage::refreshRuns()
{
    std::vector<RunInfo> runs;
    if (Project* project = document_->project()) {
        try {
            runs = project->runs();
        } catch (const std::exception& e) {
            status_->setText(tr("Could not read the runs: %1").arg(QString::fromStdString(e.what())));
        }
    }
    {
        const QSignalBlocker blocker(labels_);
        // The active run is preselected (that is what the Review tab shows) whenever it changes;
        // otherwise the run picked by hand stays.
        const std::int64_t active = document_->aggregationRunId();
        const QVariant picked = active == labelsActive_ ? labels_->currentData() : QVariant();
        labelsActive_ = active;
        labels_->clear();
        for (auto it = runs.rbegin(); it != runs.rend(); ++it)
            if (it->kind == "aggregate" && it->status == "done")
                labels_->addItem(runTitle(*it), static_cast<qlonglong>(it->id));
        int index = picked.isValid() ? labels_->findData(picked) : -1;
        if (index < 0)
            index = labels_->findData(static_cast<qlonglong>(active));
        labels_->setCurrentIndex(index >= 0 ? index : (labels_->count() > 0 ? 0 : -1));
    }
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->clear();
        for (auto it = runs.rbegin(); it != runs.rend(); ++it)
            if (isLearnRun(*it))
                runBox_->addItem(runTitle(*it), static_cast<qlonglong>(it->id));
        runBox_->setCurrentIndex(shownRun_ != 0 ? runBox_->findData(static_cast<qlonglong>(shownRun_)) : -1);
    }
    updateButtons();
}

void LearnPage::onRunBoxChanged()
{
    const std::int64_t run = runBox_->currentIndex() >= 0 ? runBox_->currentData().toLongLong() : 0;
    if (run != 0 && run != shownRun_)
        showRun(run);
    updateButtons();
}

std::optional<RunInfo> LearnPage::storedLearnRun(std::int64_t run) const
{
    Project* project = document_->project();
    if (!project)
        return std::nullopt;
    try {
        RunInfo info = project->run(run);
        if (isLearnRun(info))
            return info;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

bool LearnPage::useRunSettings(std::int64_t run)
{
    if (currentJob_ != 0)
        return false;
    const std::optional<RunInfo> stored = storedLearnRun(run);
    if (!stored)
        return false;
    const RunInfo& info = *stored;
    if (!info.params.is_object()) {
        status_->setText(tr("Run %1 stored no settings to use").arg(run));
        return false;
    }

    FormFiller filler(run, info.params);
    {
        // Without the model's defaults over the form: a field the run lacks keeps its value.
        const QSignalBlocker modelBlocker(model_);
        const QSignalBlocker deviceBlocker(device_);
        filler.comboBox("model", model_, tr("model"),
                        [](const std::string& name) { return QVariant(QString::fromStdString(name)); });
        filler.comboBox("device", device_, tr("device"),
                        [](const std::string& name) { return QVariant(QString::fromStdString(name)); });
    }
    takenSettings_ = nullptr;
    updateDefaults(false);
    takeHiddenSettings(filler, defaults_, specDefaults_);
    takenSettings_ = info.params;

    filler.comboBox("input", inputKind_, tr("input"), enumData(parseLearnInputKind));
    filler.lineEdit("backbone", backbone_, tr("backbone"));
    filler.spinBox("epochs", epochs_, tr("epochs"));
    filler.doubleSpinBox("lr", learningRate_, tr("learning rate"));
    filler.spinBox("batch_size", batchSize_, tr("batch size"));
    filler.comboBox("optimizer", optimizer_, tr("optimizer"), enumData(parseOptimizer));
    filler.doubleSpinBox("label_smoothing", labelSmoothing_, tr("label smoothing"));
    filler.spinBox("folds", folds_, tr("folds"));
    filler.spinBox("image_size", imageSize_, tr("image size"));
    filler.checkBox("soft", softTargets_, tr("soft targets"));
    filler.spinBox("max_iterations", loopIterations_, tr("max iterations"));
    if (info.kind == "train") {
        if (const nlohmann::json* labels = filler.find("labels")) {
            const QString problem = takeLabelsRun(run, *labels);
            if (!problem.isEmpty())
                filler.problems.append(problem);
        }
    }
    updateInputFields();
    updateButtons();

    QString text = tr("Run %1's settings are in the form").arg(run);
    if (!filler.changed.isEmpty())
        text += tr("; also from it, not shown in the form: %1").arg(filler.changed.join(QStringLiteral(", ")));
    QStringList lines{text};
    lines += filler.problems;
    status_->setText(lines.join(QLatin1Char('\n')));
    return true;
}

QString LearnPage::takeLabelsRun(std::int64_t run, const nlohmann::json& labels)
{
    const QString kept = labels_->currentIndex() >= 0 ? labels_->currentText() : tr("none");
    // The GUI stores the run id as a string, the CLI what --labels was: a run id or a file.
    std::int64_t id = 0;
    if (labels.is_number_integer()) {
        id = labels.get<std::int64_t>();
    } else if (labels.is_string()) {
        const std::string text = labels.get<std::string>();
        if (!text.empty() && text.size() < 19
            && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
            id = std::stoll(text);
    }
    if (id <= 0)
        return tr("Run %1 learned the labels of %2, not of a run of this project; kept %3")
            .arg(run)
            .arg(storedText(labels), kept);
    const int index = labels_->findData(static_cast<qlonglong>(id));
    if (index >= 0) {
        labels_->setCurrentIndex(index);
        return {};
    }
    bool exists = true;
    try {
        document_->project()->run(id);
    } catch (const std::exception&) {
        exists = false;
    }
    return exists ? tr("Run %1's labels run %2 is not a finished aggregation run; kept %3").arg(run).arg(id).arg(kept)
                  : tr("Run %1's labels run %2 is no longer in the project; kept %3").arg(run).arg(id).arg(kept);
}

bool LearnPage::showRun(std::int64_t run)
{
    const std::optional<RunInfo> stored = storedLearnRun(run);
    if (!stored)
        return false;
    const RunInfo& info = *stored;
    Project* project = document_->project();

    const Dataset& dataset = document_->dataset();
    // A job still running goes on (its progress stays in the status line), but its epochs and
    // iterations no longer draw over the stored run.
    ++liveTicket_;
    shownRun_ = run;
    shownTitle_ = tr("Run %1").arg(run);
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->setCurrentIndex(runBox_->findData(static_cast<qlonglong>(run)));
    }
    foldHistory_.clear();
    QString curveProblem;
    if (std::find(info.outputs.begin(), info.outputs.end(), "history") != info.outputs.end()) {
        try {
            foldHistory_ = historyByFold(project->runOutput(run, "history"));
        } catch (const std::exception& e) {
            curveProblem = tr("Run %1: could not read the training curves: %2").arg(run).arg(QString::fromStdString(e.what()));
        }
    } else {
        curveProblem = tr("Run %1 stored no training curves").arg(run);
    }
    expectedEpochs_ = 0;
    expectedFolds_ = 0;
    setFoldItems(static_cast<int>(foldHistory_.size()));
    if (foldHistory_.empty())
        curveChart_->clear(curveProblem);
    else
        showFold(static_cast<int>(foldHistory_.size()) - 1);

    if (isLoopRun(info)) {
        const std::vector<LoopIteration> iterations = iterationsFromSummary(info.summary);
        clearIterations(dataset.hasTruth(), 0);
        double majorityVote = jsonNumber(info.summary, "majority_vote_accuracy");
        if (!std::isfinite(majorityVote) && dataset.hasTruth())
            majorityVote = accuracy(cleanlabMajorityVote(dataset), dataset.truth);
        // The loop's own Dawid-Skene reference, else the project's newest Dawid-Skene run.
        const double dawidSkene = jsonNumber(info.summary, "ds_accuracy");
        loopChart_->setReferences(majorityVote, std::isfinite(dawidSkene) ? dawidSkene : dawidSkeneAccuracy());
        for (const LoopIteration& iteration : iterations) {
            loopChart_->addIteration(iteration);
            appendIterationRow(iteration);
        }
    } else {
        clearIterations(dataset.hasTruth(), 0);
        loopChart_->chart()->setTitle(tr("%1 is a training run, not a CROWDLAB loop").arg(shownTitle_));
    }
    updateButtons();
    return true;
}

void LearnPage::setFoldItems(int count)
{
    const QSignalBlocker blocker(foldBox_);
    while (foldBox_->count() > count)
        foldBox_->removeItem(foldBox_->count() - 1);
    while (foldBox_->count() < count)
        foldBox_->addItem(tr("fold %1").arg(foldBox_->count() + 1), foldBox_->count());
    foldBox_->setEnabled(count > 1);
}

QString LearnPage::curveTitle(int fold) const
{
    const int folds = static_cast<int>(foldHistory_.size());
    QString title = shownTitle_;
    if (currentJob_ != 0 && currentIsLoop_ && liveIteration_ > 0)
        title += tr(" · iteration %1").arg(liveIteration_);
    if (folds > 0)
        title += tr(" · fold %1 of %2").arg(fold + 1).arg(std::max(folds, expectedFolds_));
    return title;
}

void LearnPage::showFold(int fold)
{
    if (fold < 0 || fold >= static_cast<int>(foldHistory_.size()))
        return;
    {
        const QSignalBlocker blocker(foldBox_);
        foldBox_->setCurrentIndex(fold);
    }
    curveChart_->setHistory(foldHistory_[static_cast<std::size_t>(fold)], curveTitle(fold), expectedEpochs_);
}

void LearnPage::onFoldBoxChanged()
{
    showFold(foldBox_->currentIndex());
}

void LearnPage::clearIterations(bool truthKnown, int expectedIterations)
{
    loopChart_->clear(truthKnown, expectedIterations);
    iterationTable_->setRowCount(0);
}

void LearnPage::appendIterationRow(const LoopIteration& iteration)
{
    const int row = iterationTable_->rowCount();
    iterationTable_->insertRow(row);
    const QString cells[IterationColumnCount] = {
        QString::number(iteration.iteration),
        QString::number(iteration.changed),
        QString::number(iteration.newlyChanged),
        numberOrDash(iteration.consensusAccuracy, 4),
        numberOrDash(iteration.modelAccuracy, 4),
        numberOrDash(iteration.modelWeight, 3),
        numberOrDash(iteration.seconds, 1),
    };
    for (int column = 0; column < IterationColumnCount; ++column) {
        auto* item = new QTableWidgetItem(cells[column]);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        iterationTable_->setItem(row, column, item);
    }
}

double LearnPage::dawidSkeneAccuracy() const
{
    const Dataset& dataset = document_->dataset();
    Project* project = document_->project();
    if (!project || !dataset.hasTruth())
        return kNaN;
    try {
        const std::vector<RunInfo> runs = project->runs();
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
            if (it->kind != "aggregate" || it->name != "ds" || it->status != "done")
                continue;
            const std::vector<int> labels = project->runOutput(it->id, "labels").as<int>();
            if (static_cast<int>(labels.size()) == dataset.itemCount())
                return accuracy(labels, dataset.truth);
        }
    } catch (const std::exception&) {
        return kNaN;
    }
    return kNaN;
}

bool LearnPage::prepareJob(JobSetup& setup)
{
    if (currentJob_ != 0)
        return false;
    Project* project = document_->project();
    if (!document_->hasDataset() || !project) {
        status_->setText(tr("Training stores its runs in a project: open a .csift project first."));
        return false;
    }
    const LoopConfig run = loopConfig();
    if (run.model.name == "torchscript" && !QFileInfo(backbone_->text().trimmed()).isFile()) {
        status_->setText(tr("Choose the TorchScript backbone file for the torchscript model."));
        return false;
    }
    setup.projectPath = project->path();
    setup.dataset = std::make_shared<const Dataset>(document_->dataset());
    setup.input = inputOptions();
    setup.run = run;
    setup.params = trainParams(run.model, run.train, setup.input);
    setup.params["folds"] = run.folds;
    setup.params["soft"] = run.softTargets;
    return true;
}

int LearnPage::startTraining()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    if (labels_->currentIndex() < 0) {
        status_->setText(tr("Training learns the labels of an aggregation run: run one on the Runs tab first."));
        return 0;
    }
    setup.labelsRun = labels_->currentData().toLongLong();
    setup.params["labels"] = std::to_string(setup.labelsRun);
    const QString title = tr("Train %1 (%2 folds)").arg(QString::fromStdString(setup.run.model.name)).arg(setup.run.folds);
    return launch(title, false, std::move(setup));
}

int LearnPage::startLoop()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    setup.params["strategy"] = kLoopStrategy;
    setup.params["max_iterations"] = setup.run.maxIterations;
    const QString title = tr("CROWDLAB loop with %1").arg(QString::fromStdString(setup.run.model.name));
    return launch(title, true, std::move(setup));
}

int LearnPage::launch(const QString& title, bool loop, JobSetup setup)
{
    const Dataset& dataset = document_->dataset();
    const double majorityVote = loop && dataset.hasTruth() ? accuracy(cleanlabMajorityVote(dataset), dataset.truth) : kNaN;
    beginLive(loop, setup.run.train.epochs, loop ? setup.run.maxIterations : 0, majorityVote, loop ? dawidSkeneAccuracy() : kNaN);

    const QPointer<LearnPage> page(this);
    const int ticket = liveTicket_;
    const int generation = generation_;
    // Reports come from the training thread; each is queued to the GUI thread (the application
    // object outlives every job) and dropped there once this page is gone or runs another job.
    const FoldEpochCallback onEpoch = [page, ticket](int fold, const EpochRecord& record) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [page, ticket, fold, record] {
                if (page && page->liveTicket_ == ticket)
                    page->onLiveEpoch(fold, record);
            },
            Qt::QueuedConnection);
    };
    const IterationCallback onIteration = [page, ticket](const LoopIteration& iteration) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [page, ticket, iteration] {
                if (page && page->liveTicket_ == ticket)
                    page->onLiveIteration(iteration);
            },
            Qt::QueuedConnection);
    };
    // Checked on the GUI thread when the job's result arrives.
    const auto ownerOf = [page, generation]() -> LearnPage* {
        if (!page)
            throw std::runtime_error("the window was closed while the job was going");
        if (generation != page->generation_)
            throw std::runtime_error("another project was opened while the job was going; its result was dropped");
        if (!page->document_->project())
            throw std::runtime_error("the project was closed while the job was going");
        return page.data();
    };

    JobManager::Work work;
    if (!loop) {
        work = [setup, onEpoch, ownerOf](Progress& progress) {
            // A connection of its own: the GUI thread keeps using the document's.
            const Project project = Project::open(setup.projectPath);
            progress.stage("reading the training labels");
            const Targets targets = targetsFromRun(project, *setup.dataset, setup.labelsRun, setup.run.softTargets);
            progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(project, *setup.dataset, setup.input, progress);
            auto outcome = std::make_shared<TrainOutcome>(trainModel(input, targets, setup.dataset->classCount(),
                                                                     setup.run.model, setup.run.train, setup.run.folds, progress,
                                                                     onEpoch));
            const nlohmann::json params = setup.params;
            return JobManager::Completion([outcome, params, ownerOf](QStringList& log) {
                LearnPage* page = ownerOf();
                Project& project = *page->document_->project();
                const std::int64_t run = storeTrainRun(project, params, outcome->result, outcome->model.get());
                const nlohmann::json summary = project.run(run).summary;
                const double acc = jsonNumber(summary, "accuracy");
                QString text = tr("stored as run %1").arg(run);
                if (std::isfinite(acc))
                    text += tr("; out-of-sample accuracy against the ground truth %1%").arg(acc * 100.0, 0, 'f', 2);
                log.append(text);
                page->status_->setText(tr("Training run %1 stored").arg(run)
                                       + (std::isfinite(acc) ? tr(": out-of-sample accuracy %1%").arg(acc * 100.0, 0, 'f', 2)
                                                             : QString()));
                page->refreshRuns();
                page->showRun(run);
                Q_EMIT page->runStored(run);
            });
        };
    } else {
        work = [setup, onEpoch, onIteration, ownerOf](Progress& progress) {
            const Project project = Project::open(setup.projectPath);
            progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(project, *setup.dataset, setup.input, progress);
            auto result = std::make_shared<LoopResult>(
                runCrowdlabLoop(*setup.dataset, input, setup.run, progress, onIteration, onEpoch));
            const nlohmann::json params = setup.params;
            return JobManager::Completion([result, params, ownerOf](QStringList& log) {
                LearnPage* page = ownerOf();
                ProjectDocument* document = page->document_;
                const std::int64_t run = storeLoopRun(*document->project(), document->dataset(), params, *result);
                const LoopIteration* last = result->iterations.empty() ? nullptr : &result->iterations.back();
                QString text = tr("%1 iterations, %2; stored as run %3")
                                   .arg(result->iterations.size())
                                   .arg(result->converged ? tr("converged") : tr("stopped at the iteration limit"))
                                   .arg(run);
                if (last && std::isfinite(last->consensusAccuracy))
                    text += tr("; consensus accuracy %1% (majority vote %2%)")
                                .arg(last->consensusAccuracy * 100.0, 0, 'f', 2)
                                .arg(result->majorityVoteAccuracy * 100.0, 0, 'f', 2);
                log.append(text);
                page->status_->setText(tr("CROWDLAB loop run %1 stored and active: %2").arg(run).arg(text));
                document->setActiveRun(run);
                page->refreshRuns();
                page->showRun(run);
                Q_EMIT page->runStored(run);
            });
        };
    }
    currentJob_ = jobs_->start(title, std::move(work));
    currentIsLoop_ = loop;
    progress_->setValue(0);
    progress_->setTextVisible(true);
    status_->setText(tr("Starting…"));
    updateButtons();
    updateInputFields();
    return currentJob_;
}

void LearnPage::beginLive(bool loop, int expectedEpochs, int expectedIterations, double majorityVote, double dawidSkene)
{
    ++liveTicket_;
    shownRun_ = 0;
    shownTitle_ = loop ? tr("CROWDLAB loop") : tr("Training");
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->setCurrentIndex(-1);
        runBox_->setPlaceholderText(tr("The running job"));
    }
    foldHistory_.clear();
    setFoldItems(0);
    expectedEpochs_ = expectedEpochs;
    expectedFolds_ = folds_->value();
    liveIteration_ = loop ? 1 : 0;
    iterationEnded_ = false;
    curveChart_->clear(tr("%1 · loading the training input").arg(shownTitle_), expectedEpochs);
    clearIterations(document_->dataset().hasTruth(), expectedIterations);
    if (loop)
        loopChart_->setReferences(majorityVote, dawidSkene);
    else
        loopChart_->chart()->setTitle(tr("Training only: no CROWDLAB loop"));
}

void LearnPage::onLiveEpoch(int fold, const EpochRecord& record)
{
    if (fold < 0)
        return;
    if (iterationEnded_) {
        iterationEnded_ = false;
        ++liveIteration_;
        foldHistory_.clear();
        setFoldItems(0);
    }
    const bool newFold = fold >= static_cast<int>(foldHistory_.size());
    if (newFold) {
        foldHistory_.resize(static_cast<std::size_t>(fold) + 1);
        setFoldItems(fold + 1);
    }
    foldHistory_[static_cast<std::size_t>(fold)].push_back(record);
    // Each new fold takes the chart over; a fold picked by hand meanwhile stays until then.
    if (newFold) {
        {
            const QSignalBlocker blocker(foldBox_);
            foldBox_->setCurrentIndex(fold);
        }
        curveChart_->clear(curveTitle(fold), expectedEpochs_);
    }
    if (foldBox_->currentIndex() == fold)
        curveChart_->addEpoch(record);
}

void LearnPage::onLiveIteration(const LoopIteration& iteration)
{
    iterationEnded_ = true;
    loopChart_->addIteration(iteration);
    appendIterationRow(iteration);
    iterationTable_->scrollToBottom();
}

void LearnPage::cancelJob()
{
    if (currentJob_ != 0)
        jobs_->cancel(currentJob_);
}

void LearnPage::onJobChanged(int id)
{
    if (id != currentJob_)
        return;
    progress_->setValue(jobs_->permille(id));
    if (jobs_->isRunning(id))
        status_->setText(jobs_->runningText(id));
}

void LearnPage::onJobFinished(int id, JobStatus status)
{
    if (id != currentJob_)
        return;
    currentJob_ = 0;
    const JobInfo& job = jobs_->job(id);
    switch (status) {
    case JobStatus::Finished:
        // The completion wrote the outcome into the status line.
        break;
    case JobStatus::Cancelled:
        progress_->setValue(0);
        status_->setText(tr("%1 cancelled after %2; nothing was stored").arg(job.title, formatDuration(job.seconds)));
        runBox_->setPlaceholderText(tr("The cancelled job"));
        break;
    case JobStatus::Failed:
        progress_->setValue(0);
        status_->setText(tr("%1 failed: %2").arg(job.title, job.error));
        runBox_->setPlaceholderText(tr("The failed job"));
        break;
    case JobStatus::Running:
        break;
    }
    progress_->setTextVisible(status == JobStatus::Finished);
    updateButtons();
    updateInputFields();
}

void LearnPage::updateButtons()
{
    const bool running = currentJob_ != 0;
    const bool project = document_->project() != nullptr;
    const bool torchscript = model_->currentData().toString() == QLatin1String("torchscript");
    for (QWidget* field : std::initializer_list<QWidget*>{model_, epochs_, learningRate_, batchSize_, folds_, optimizer_,
                                                          labelSmoothing_, softTargets_, device_, labels_,
                                                          loopIterations_})
        field->setEnabled(!running);
    backbone_->setEnabled(!running && torchscript);
    browseBackbone_->setEnabled(!running && torchscript);
    const bool modelUsable = itemEnabled(model_, model_->currentIndex())
                             && (!torchscript || !backbone_->text().trimmed().isEmpty());
    trainButton_->setEnabled(!running && project && modelUsable && labels_->currentIndex() >= 0);
    loopButton_->setEnabled(!running && project && modelUsable);
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
}

}  // namespace crowdsift
