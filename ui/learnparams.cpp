// A stored train, loop or Data Parameters run's parameters back into the Learning form: the fields from the
// run's values (each checked by trainSettings() and by what its field can show), the settings
// the form does not show kept behind it, the labels run, and a learn-from-crowds run's strategy.

#include "learnpage.h"
#include "learnpage_p.h"

#include "projectdocument.h"

#include "learn/crowd_layers.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStringList>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace crowdsift {

using namespace learnpage;

namespace {

// A stored parameter as the status line quotes it: 'lion', 1, 0.125, [64,32].
QString storedText(const nlohmann::json& value)
{
    return value.is_string() ? QStringLiteral("'%1'").arg(QString::fromStdString(value.get<std::string>()))
                             : QString::fromStdString(value.dump());
}

// What a field shows, for "kept ...".
QString fieldText(const QWidget* field)
{
    if (const auto* box = qobject_cast<const QAbstractSpinBox*>(field))
        return box->text();
    if (const auto* check = qobject_cast<const QCheckBox*>(field))
        return check->isChecked() ? pageTr("on") : pageTr("off");
    if (const auto* edit = qobject_cast<const QLineEdit*>(field))
        return edit->text().isEmpty() ? pageTr("none") : edit->text();
    if (const auto* combo = qobject_cast<const QComboBox*>(field))
        return combo->currentText();
    return {};
}

// Why a field cannot show `value`, a value of its setting: a number with more decimals than
// the box shows, a choice whose item is disabled (a model that needs images the dataset lacks).
QString fieldProblem(const QWidget* field, const nlohmann::json& value)
{
    if (const auto* box = qobject_cast<const QDoubleSpinBox*>(field)) {
        const double number = value.get<double>();
        const double shown = QString::number(number, 'f', box->decimals()).toDouble();
        if (std::abs(shown - number) > 1e-12 * std::max(1.0, std::abs(number)))
            return pageTr("needs more than %1 decimals").arg(box->decimals());
    }
    if (const auto* combo = qobject_cast<const QComboBox*>(field)) {
        const int index = combo->findData(QString::fromStdString(value.get<std::string>()), kSettingNameRole);
        if (!itemEnabled(combo, index))
            return pageTr("is not available here");
    }
    return {};
}

// Reads a stored run's parameters into the form's fields. A parameter the run lacks leaves its
// field alone; one the field cannot take leaves it too, with a line in `problems` naming the
// field, the stored value and what was kept.
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

    // The stored value of `setting` into `field`.
    void field(const SettingInfo& setting, QWidget* field)
    {
        const nlohmann::json* value = find(setting.key);
        if (!value)
            return;
        QString problem = QString::fromStdString(settingProblem(setting, *value, false));
        if (problem.isEmpty())
            problem = fieldProblem(field, *value);
        if (problem.isEmpty())
            setFieldValue(field, *value);
        else
            reject(QString::fromUtf8(setting.label), *value, problem, fieldText(field));
    }

    // The settings behind the form: named in `changed` when they differ from what was there.
    void behind(TrainSettings& settings)
    {
        for (const DecodedSetting& d : decodeBehindForm(params_, settings)) {
            const QString label = QString::fromUtf8(d.setting->label);
            if (!d.problem.empty()) {
                reject(label, d.stored, QString::fromStdString(d.problem),
                       QString::fromStdString(settingText(*d.setting, d.setting->get(settings))));
            } else if (d.changed) {
                changed.append(label + QLatin1Char(' ') + storedText(d.stored));
            }
        }
    }

private:
    std::int64_t run_;
    const nlohmann::json& params_;
};

}  // namespace

namespace learnpage {

std::vector<DecodedSetting> decodeBehindForm(const nlohmann::json& params, TrainSettings& settings)
{
    return decodeTrainSettings(params, settings, [](const SettingInfo& setting) { return !setting.usedBy(UseForm); });
}

}  // namespace learnpage

bool LearnPage::useRunSettings(std::int64_t run)
{
    if (job_ != nullptr)
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
        filler.field(trainSetting("model"), model_);
        filler.field(trainSetting("device"), device_);
    }
    takenSettings_ = nullptr;
    updateDefaults(false);
    TrainSettings behind;
    behind.config = defaults_;
    behind.spec = specDefaults_;
    behind.dataParams = dataParamsDefaults_;
    filler.behind(behind);
    defaults_ = behind.config;
    specDefaults_ = behind.spec;
    dataParamsDefaults_ = behind.dataParams;
    takenSettings_ = info.params;

    for (const SettingInfo& setting : trainSettings())
        if (setting.usedBy(UseForm) && std::string(setting.key) != "model" && std::string(setting.key) != "device")
            filler.field(setting, fields_.at(setting.key));
    const bool complementary = info.kind == "train" && info.params.value("complementary", false) == true;
    if (complementary) {
        // A complementary-label run: its loss and transition into the "Complementary labels" box.
        const std::string loss = info.params.value("strategy", std::string());
        const std::string transition = info.params.value("transition", std::string("uniform"));
        const int lossIndex = complementaryLoss_->findData(QString::fromStdString(loss));
        if (lossIndex >= 0)
            complementaryLoss_->setCurrentIndex(lossIndex);
        else
            filler.problems.append(tr("Run %1's loss %2 is not one of the complementary-label losses; kept %3")
                                       .arg(run)
                                       .arg(QString::fromStdString(loss), complementaryLoss_->currentText()));
        const int transitionIndex = complementaryTransition_->findData(QString::fromStdString(transition));
        if (transitionIndex >= 0)
            complementaryTransition_->setCurrentIndex(transitionIndex);
        else
            filler.problems.append(tr("Run %1's transition %2 cannot be chosen in the form (a matrix file); kept %3")
                                       .arg(run)
                                       .arg(QString::fromStdString(transition), complementaryTransition_->currentText()));
    } else if (info.kind == "train") {
        // A learn-from-crowds run: its strategy into the "Learn from crowds" box.
        const auto strategy = info.params.find("strategy");
        if (strategy != info.params.end() && strategy->is_string()) {
            try {
                CrowdConfig crowd = parseCrowdStrategy(strategy->get<std::string>(), "strategy");
                // The box has no learning rate of the crowd layers: a run with another than the
                // default says so, and the box takes its variant.
                if (crowd.learningRate != CrowdConfig().learningRate) {
                    filler.problems.append(tr("Run %1's crowd layers learned at lr=%2; the Learn from crowds box uses "
                                              "the default %3 (the CLI's strategy takes lr=)")
                                               .arg(run)
                                               .arg(crowd.learningRate)
                                               .arg(CrowdConfig().learningRate));
                    crowd.learningRate = CrowdConfig().learningRate;
                }
                crowdStrategy_->setCurrentIndex(crowdStrategy_->findData(
                    crowd.kind == CrowdLayerKind::Conal ? QStringLiteral("conal")
                                                        : QString::fromStdString(crowdStrategyName(crowd))));
                if (crowd.kind == CrowdLayerKind::Conal)
                    crowdScale_->setText(QString::number(crowd.conalScale, 'g', 6));
            } catch (const std::exception& e) {
                filler.problems.append(tr("Run %1's strategy %2 is not one of Learn from crowds: %3")
                                           .arg(run)
                                           .arg(QString::fromStdString(strategy->get<std::string>()), QString::fromUtf8(e.what())));
            }
        }
    }
    if (isLoopRun(info)) {
        // The loop's start (no "start": majority vote).
        const nlohmann::json* start = filler.find("start");
        const qlonglong id = start && start->is_number_integer() ? start->get<qlonglong>() : 0;
        const int index = loopStart_->findData(id);
        if (index >= 0)
            loopStart_->setCurrentIndex(index);
        else
            filler.problems.append(tr("Run %1 started from run %2, which is no longer a finished run of this project; kept %3")
                                       .arg(run)
                                       .arg(id)
                                       .arg(loopStart_->currentText()));
    }
    if (info.kind == "train" || isDataParamsRun(info)) {
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

}  // namespace crowdsift
