// The Learning tab's settings form: one field per setting of trainSettings() that the form
// shows (range, default, decimals, choices and tooltip from there), the Data Parameters box, the
// defaults of the chosen model, and what the form asks for.

#include "learnpage.h"
#include "learnpage_p.h"

#include "projectdocument.h"

#include "learn/complementary.h"
#include "learn/crowd_layers.h"
#include "util/error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

namespace crowdsift {

using namespace learnpage;

namespace {

template <class Field>
Field* registerField(std::map<std::string, QWidget*>& fields, const char* key, const char* objectName, Field* field)
{
    field->setObjectName(QLatin1String(objectName));
    field->setToolTip(QString::fromUtf8(trainSetting(key).help));
    fields[key] = field;
    return field;
}

QSpinBox* spinField(std::map<std::string, QWidget*>& fields, const char* key, const char* objectName)
{
    const SettingInfo& setting = trainSetting(key);
    auto* box = registerField(fields, key, objectName, new QSpinBox);
    box->setRange(static_cast<int>(setting.min), static_cast<int>(setting.max));
    box->setValue(settingDefault(setting).get<int>());
    return box;
}

QDoubleSpinBox* realField(std::map<std::string, QWidget*>& fields, const char* key, const char* objectName)
{
    const SettingInfo& setting = trainSetting(key);
    auto* box = registerField(fields, key, objectName, new QDoubleSpinBox);
    box->setDecimals(setting.decimals);
    box->setRange(setting.min, setting.max);
    box->setValue(settingDefault(setting).get<double>());
    return box;
}

// One item per choice: its text and data from `item`, its stored name under kSettingNameRole.
QComboBox* choiceField(std::map<std::string, QWidget*>& fields, const char* key, const char* objectName,
                       const std::function<std::pair<QString, QVariant>(const std::string&)>& item)
{
    auto* box = registerField(fields, key, objectName, new QComboBox);
    for (const std::string& name : trainSetting(key).choices) {
        const auto [text, data] = item(name);
        box->addItem(text, data);
        box->setItemData(box->count() - 1, QString::fromStdString(name), kSettingNameRole);
    }
    setFieldValue(box, settingDefault(trainSetting(key)));
    return box;
}

// An item that shows and holds the stored name.
std::pair<QString, QVariant> nameItem(const std::string& name)
{
    return {QString::fromStdString(name), QString::fromStdString(name)};
}

}  // namespace

namespace learnpage {

void setFieldValue(QWidget* field, const nlohmann::json& value)
{
    if (auto* box = qobject_cast<QSpinBox*>(field))
        box->setValue(value.get<int>());
    else if (auto* real = qobject_cast<QDoubleSpinBox*>(field))
        real->setValue(value.get<double>());
    else if (auto* check = qobject_cast<QCheckBox*>(field))
        check->setChecked(value.get<bool>());
    else if (auto* edit = qobject_cast<QLineEdit*>(field))
        edit->setText(QFile::decodeName(QByteArray::fromStdString(value.get<std::string>())));
    else if (auto* combo = qobject_cast<QComboBox*>(field))
        combo->setCurrentIndex(std::max(0, combo->findData(QString::fromStdString(value.get<std::string>()), kSettingNameRole)));
}

nlohmann::json fieldValue(const QWidget* field)
{
    if (const auto* box = qobject_cast<const QSpinBox*>(field))
        return box->value();
    if (const auto* real = qobject_cast<const QDoubleSpinBox*>(field))
        return real->value();
    if (const auto* check = qobject_cast<const QCheckBox*>(field))
        return check->isChecked();
    if (const auto* edit = qobject_cast<const QLineEdit*>(field))
        return QFile::encodeName(edit->text()).toStdString();
    if (const auto* combo = qobject_cast<const QComboBox*>(field))
        return combo->currentData(kSettingNameRole).toString().toStdString();
    return nullptr;
}

}  // namespace learnpage

QGroupBox* LearnPage::createSettingsForm()
{
    const std::map<std::string, const char*> modelToolTips = {
        {"mlp", QT_TR_NOOP("Multi-layer perceptron on the dataset's feature vectors (or its images, flattened)")},
        {"small-cnn", QT_TR_NOOP("A fast small convolutional network for 28-64 px images")},
        {"resnet18", QT_TR_NOOP("ResNet-18 with a CIFAR stem, for small images; slow on a CPU")},
        {"torchscript", QT_TR_NOOP("Your own TorchScript backbone (images -> embeddings), frozen, with a trained head")},
    };
    model_ = choiceField(fields_, "model", "learnModel", nameItem);
    for (int i = 0; i < model_->count(); ++i) {
        const auto tip = modelToolTips.find(model_->itemData(i).toString().toStdString());
        if (tip != modelToolTips.end())
            model_->setItemData(i, tr(tip->second), Qt::ToolTipRole);
    }
    backbone_ = registerField(fields_, "backbone", "backboneFile", new QLineEdit);
    backbone_->setPlaceholderText(tr("TorchScript file (.pt)"));
    browseBackbone_ = new QPushButton(tr("Browse…"));
    browseBackbone_->setObjectName(QStringLiteral("browseBackbone"));

    epochs_ = spinField(fields_, "epochs", "learnEpochs");
    learningRate_ = realField(fields_, "lr", "learnRate");
    learningRate_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    batchSize_ = spinField(fields_, "batch_size", "learnBatchSize");
    folds_ = spinField(fields_, "folds", "learnFolds");
    optimizer_ = choiceField(fields_, "optimizer", "learnOptimizer", [this](const std::string& name) {
        const OptimizerKind kind = parseOptimizer(name);
        return std::make_pair(kind == OptimizerKind::AdamW ? tr("AdamW") : tr("SGD (Nesterov)"),
                              QVariant(static_cast<int>(kind)));
    });
    labelSmoothing_ = realField(fields_, "label_smoothing", "learnLabelSmoothing");
    labelSmoothing_->setSingleStep(0.05);
    softTargets_ = registerField(fields_, "soft", "learnSoftTargets", new QCheckBox(tr("Train on posteriors (soft targets)")));
    device_ = choiceField(fields_, "device", "learnDevice", nameItem);
    const int cuda = device_->findData(QStringLiteral("cuda"));
    if (cudaAvailable()) {
        device_->setToolTip(tr("auto trains on the GPU"));
    } else {
        const QString why = tr("This build of LibTorch or this machine has no CUDA GPU");
        setItemEnabled(device_, cuda, false, why);
        device_->setToolTip(tr("auto trains on the CPU. %1.").arg(why));
    }
    inputKind_ = choiceField(fields_, "input", "learnInput", [this](const std::string& name) {
        const LearnInputKind kind = parseLearnInputKind(name);
        const QString text = kind == LearnInputKind::Features ? tr("Feature vectors")
                             : kind == LearnInputKind::Images ? tr("Image pixels")
                             : kind == LearnInputKind::Scene  ? tr("Scene features (GIST)")
                                                              : tr("Automatic");
        return std::make_pair(text, QVariant(static_cast<int>(kind)));
    });
    imageSize_ = spinField(fields_, "image_size", "learnImageSize");
    imageSize_->setSingleStep(4);
    imageSize_->setSpecialValueText(tr("auto"));
    imageSize_->setSuffix(tr(" px"));
    loopIterations_ = spinField(fields_, "max_iterations", "loopIterations");

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
    return settings;
}

QGroupBox* LearnPage::createCrowdBox()
{
    crowdStrategy_ = new QComboBox;
    crowdStrategy_->setObjectName(QStringLiteral("crowdStrategy"));
    crowdStrategy_->addItem(tr("CrowdLayer, matrix per annotator"), QStringLiteral("crowdlayer[mw]"));
    crowdStrategy_->addItem(tr("CrowdLayer, vector per annotator"), QStringLiteral("crowdlayer[vw]"));
    crowdStrategy_->addItem(tr("CrowdLayer, bias per annotator"), QStringLiteral("crowdlayer[vb]"));
    crowdStrategy_->addItem(tr("CoNAL (common + per-annotator confusion)"), QStringLiteral("conal"));
    crowdStrategy_->setCurrentIndex(crowdStrategy_->findData(QStringLiteral("conal")));
    crowdStrategy_->setToolTip(tr("CrowdLayer (Rodrigues & Pereira, AAAI 2018): a matrix, a vector of weights or a bias "
                                  "per annotator on the classifier's probabilities. CoNAL (Chu, Ma & Wang, AAAI "
                                  "2021): per-annotator confusions plus one common confusion, mixed by a gate"));
    crowdScale_ = new QLineEdit(QStringLiteral("1e-05"));
    crowdScale_->setObjectName(QStringLiteral("crowdScale"));
    crowdScale_->setToolTip(tr("CoNAL: the weight of the regulariser that pulls the annotator confusions away from the "
                               "common one (the authors' 1e-05)"));
    crowdButton_ = new QPushButton(tr("Learn from crowds"));
    crowdButton_->setObjectName(QStringLiteral("crowdButton"));
    auto* form = new QFormLayout;
    form->addRow(tr("Strategy:"), crowdStrategy_);
    form->addRow(tr("CoNAL scale:"), crowdScale_);
    auto* note = new QLabel(tr("Trains on every annotator's raw votes, no aggregation first; the learned confusions "
                               "appear on the Annotators tab."));
    note->setWordWrap(true);
    note->setEnabled(false);  // greyed: a remark, not a field
    auto* box = new QGroupBox(tr("Learn from crowds"));
    auto* layout = new QVBoxLayout(box);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(crowdButton_);
    connect(crowdStrategy_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::updateButtons);
    return box;
}

QGroupBox* LearnPage::createComplementaryBox()
{
    complementaryLoss_ = new QComboBox;
    complementaryLoss_->setObjectName(QStringLiteral("complementaryLoss"));
    for (const std::string& name : complementaryLossNames())
        complementaryLoss_->addItem(QString::fromStdString(name), QString::fromStdString(name));
    complementaryLoss_->setToolTip(tr("The complementary-label loss (README, Learning from complementary labels): "
                                      "scl-nl/scl-exp (Chou et al. 2020), ure-* (Ishida et al. 2019; for labels "
                                      "drawn uniformly), fwd (Yu et al. 2018), dm (Gao & Zhang 2021), cpe-* (Lin & "
                                      "Lin 2023), mcl-* (Feng et al. 2020)"));
    complementaryTransition_ = new QComboBox;
    complementaryTransition_->setObjectName(QStringLiteral("complementaryTransition"));
    complementaryTransition_->addItem(tr("uniform"), QStringLiteral("uniform"));
    complementaryTransition_->addItem(tr("estimated from the data (anchors)"), QStringLiteral("anchors"));
    complementaryTransition_->addItem(tr("counted against the ground truth"), QStringLiteral("truth"));
    complementaryTransition_->setToolTip(tr("T[y][k] = P(\"not k\" | class y) for ure-tnn, ure-tga, fwd and cpe-*: "
                                            "uniform, Yu et al.'s anchor estimate (a first cpe-i training, "
                                            "cross-fitted), or counted against the truth (an oracle)"));
    complementaryButton_ = new QPushButton(tr("Learn from complementary labels"));
    complementaryButton_->setObjectName(QStringLiteral("complementaryButton"));
    auto* form = new QFormLayout;
    form->addRow(tr("Loss:"), complementaryLoss_);
    form->addRow(tr("Transition:"), complementaryTransition_);
    auto* box = new QGroupBox(tr("Complementary labels"));
    auto* layout = new QVBoxLayout(box);
    layout->addLayout(form);
    layout->addWidget(complementaryButton_);
    connect(complementaryLoss_, qOverload<int>(&QComboBox::currentIndexChanged), this, &LearnPage::updateButtons);
    return box;
}

std::string LearnPage::crowdStrategyText() const
{
    const std::string strategy = crowdStrategy_->currentData().toString().toStdString();
    if (strategy != "conal")
        return strategy;
    bool ok = false;
    const double scale = crowdScale_->text().trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(scale) || scale < 0.0)
        throw InputError("CoNAL scale", crowdScale_->text().toStdString(), "not a number >= 0");
    // The text as parseCrowdStrategy() reads it, and as the CLI's --strategy takes it.
    CrowdConfig conal;
    conal.kind = CrowdLayerKind::Conal;
    conal.conalScale = scale;
    return crowdStrategyName(conal);
}

QGroupBox* LearnPage::createDataParamsBox()
{
    // Two columns, the item level and the class level, each switched on by its check box.
    auto* instance = registerField(fields_, "instance", "dataParamsInstance", new QCheckBox(tr("Item sigmas")));
    auto* classLevel = registerField(fields_, "class", "dataParamsClass", new QCheckBox(tr("Class sigmas")));
    instance->setChecked(settingDefault(trainSetting("instance")).get<bool>());
    classLevel->setChecked(settingDefault(trainSetting("class")).get<bool>());
    auto* grid = new QGridLayout;
    grid->addWidget(instance, 0, 1);
    grid->addWidget(classLevel, 0, 2);
    const struct {
        const char* label;
        const char* instanceKey;
        const char* classKey;
    } rows[] = {
        {QT_TR_NOOP("Sigma at start:"), "init_instance", "init_class"},
        {QT_TR_NOOP("Learning rate:"), "lr_instance", "lr_class"},
        {QT_TR_NOOP("Weight decay:"), "wd_instance", "wd_class"},
    };
    int row = 1;
    for (const auto& r : rows) {
        grid->addWidget(new QLabel(tr(r.label)), row, 0);
        int column = 1;
        for (const char* key : {r.instanceKey, r.classKey}) {
            QDoubleSpinBox* box = realField(fields_, key, (std::string("dataParams_") + key).c_str());
            if (std::string(key).rfind("lr_", 0) == 0)
                box->setSingleStep(0.05);
            grid->addWidget(box, row, column++);
        }
        ++row;
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(2, 1);

    dataParamsButton_ = new QPushButton(tr("Train with Data Parameters"));
    dataParamsButton_->setObjectName(QStringLiteral("dataParamsButton"));
    auto* note = new QLabel(tr("One model on every item with a label of the run above; items whose sigma grows "
                               "fight their labels."));
    note->setWordWrap(true);
    note->setEnabled(false);  // greyed: a remark, not a field
    auto* box = new QGroupBox(tr("Data Parameters"));
    box->setToolTip(tr("Saxena, Tuzel & DeCoste (NeurIPS 2019): while training, each item's logits are divided by a "
                       "learned temperature, its class's sigma plus its own; stored as a data-parameters run"));
    auto* layout = new QVBoxLayout(box);
    layout->addLayout(grid);
    layout->addWidget(note);
    layout->addWidget(dataParamsButton_);
    connect(instance, &QCheckBox::toggled, this, &LearnPage::updateButtons);
    connect(classLevel, &QCheckBox::toggled, this, &LearnPage::updateButtons);
    return box;
}

void LearnPage::updateDataParamsFields()
{
    const bool idle = job_ == nullptr;
    for (const char* level : {"instance", "class"}) {
        const bool on = qobject_cast<QCheckBox*>(fields_.at(level))->isChecked();
        fields_.at(level)->setEnabled(idle);
        const std::string suffix = std::string("_") + level;
        for (const char* prefix : {"init", "lr", "wd"})
            fields_.at(prefix + suffix)->setEnabled(idle && on);
    }
}

DataParamsConfig LearnPage::dataParamsConfig() const
{
    TrainSettings settings;
    settings.dataParams = dataParamsDefaults_;
    for (const SettingInfo& setting : trainSettings())
        if (setting.dataParams && setting.usedBy(UseForm))
            setting.set(settings, fieldValue(fields_.at(setting.key)));
    return settings.dataParams;
}

QWidget* LearnPage::settingField(const std::string& key) const
{
    const auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : it->second;
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
    TrainSettings defaults = defaultTrainSettings(model, wantsCuda(device_));
    if (takenSettings_.is_object())
        decodeBehindForm(takenSettings_, defaults);
    defaults_ = defaults.config;
    specDefaults_ = defaults.spec;
    dataParamsDefaults_ = defaults.dataParams;
    if (!fillForm)
        return;
    for (const SettingInfo& setting : trainSettings())
        if (setting.perModel && setting.usedBy(UseForm))
            setFieldValue(fields_.at(setting.key), setting.get(defaults));
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
    inputKind_->setEnabled(job_ == nullptr && mlp);
    inputKind_->setToolTip(mlp ? tr("Automatic: the dataset's feature vectors when it has them, else its images. "
                                    "Scene features (GIST) describe photos of scenes far better than raw pixels "
                                    "when there are only a few thousand of them")
                               : tr("The image networks learn from the images"));
    const auto kind = static_cast<LearnInputKind>(inputKind_->currentData().toInt());
    const bool usesImages = images
                            && (!mlp || kind == LearnInputKind::Images || (kind == LearnInputKind::Auto && !features));
    imageSize_->setEnabled(job_ == nullptr && usesImages);
    imageSize_->setToolTip(usesImages ? QString::fromUtf8(trainSetting("image_size").help)
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

}  // namespace crowdsift
