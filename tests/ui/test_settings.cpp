// For every setting of trainSettings(): the CLI's option of train, crowdlab-loop and identify
// (app/cli/train_options.cpp, compiled in), the Learning form's field and the stored-run decoder
// take the same range and start from the same default.

#include "learnpage.h"
#include "learnpage_p.h"
#include "mainwindow.h"
#include "train_options.h"

#include "learn/trainer.h"
#include "learn_project/train_settings.h"
#include "setting_rows.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QtTest>

#include <CLI/CLI.hpp>

#include <cmath>
#include <sstream>

using namespace crowdsift;
using crowdsift::cli::TrainArgs;

namespace {

bool isNumber(const SettingInfo& setting)
{
    return setting.type == SettingType::Int || setting.type == SettingType::Real;
}

std::string numberArgument(const SettingInfo& setting, double value)
{
    std::ostringstream out;
    if (setting.type == SettingType::Int)
        out << static_cast<long long>(value);
    else
        out << value;
    return out.str();
}

// Parses `arguments` (after the model and device) as a command with the verb's options.
TrainArgs::Resolved resolveCommandLine(unsigned use, const std::string& arguments)
{
    CLI::App app;
    TrainArgs args;
    args.addTo(&app, use);
    app.parse("--model mlp --device cpu " + arguments, false);
    return args.resolve();
}

bool commandLineRejects(unsigned use, const std::string& arguments)
{
    try {
        resolveCommandLine(use, arguments);
    } catch (const CLI::ValidationError&) {
        return true;
    }
    return false;
}

}  // namespace

class TestSettings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cliAgrees_data() { testing::addSettingRows(); }

    // The option exists for the verbs the setting names, starts at the setting's default, takes
    // its bounds and refuses what lies beyond them.
    void cliAgrees()
    {
        const SettingInfo& setting = testing::settingOfRow();
        const QString key = QString::fromLatin1(setting.key);
        for (const unsigned use : {unsigned(UseTrain), unsigned(UseLoop), unsigned(UseIdentify)}) {
            CLI::App app;
            TrainArgs args;
            args.addTo(&app, use);
            const bool offered = setting.option && setting.usedBy(use);
            const std::string names = setting.option ? setting.option : "--none";
            bool found = true;
            try {
                app.get_option(names.substr(names.rfind(',') + 1));
            } catch (const CLI::OptionNotFound&) {
                found = false;
            }
            QCOMPARE(found, offered);
            if (!offered)
                continue;
            const TrainArgs::Resolved defaults = resolveCommandLine(use, "");
            if (key != QLatin1String("model") && key != QLatin1String("device"))
                QCOMPARE(setting.get(defaults).dump(), settingDefault(setting, "mlp", false).dump());
            if (!isNumber(setting))
                continue;
            const std::string option = std::string(setting.option) + " ";
            for (const double bound : {setting.min, setting.max}) {
                const TrainArgs::Resolved taken = resolveCommandLine(use, option + numberArgument(setting, bound));
                QCOMPARE(setting.get(taken).template get<double>(), bound);
            }
            const double step = setting.type == SettingType::Int ? 1.0 : (setting.max - setting.min) / 100.0;
            QVERIFY(commandLineRejects(use, option + numberArgument(setting, setting.max + step)));
            const double below = setting.min - step;
            QCOMPARE(commandLineRejects(use, option + numberArgument(setting, below)),
                     !(setting.offValue && *setting.offValue == below));
        }
    }

    void formAgrees_data() { cliAgrees_data(); }

    // The field exists for the settings the form shows, with the setting's range, decimals,
    // choices, default (of the model the empty form starts with) and help.
    void formAgrees()
    {
        const SettingInfo& setting = testing::settingOfRow();
        const QString key = QString::fromLatin1(setting.key);
        MainWindow window;
        LearnPage* page = window.learnPage();
        QWidget* field = page->settingField(setting.key);
        QCOMPARE(field != nullptr, setting.usedBy(UseForm));
        if (!field)
            return;
        const std::string model = page->modelBox()->currentData().toString().toStdString();
        const nlohmann::json expected = settingDefault(setting, model, cudaAvailable());
        const QString help = QString::fromUtf8(setting.help);
        if (auto* box = qobject_cast<QSpinBox*>(field)) {
            QVERIFY(setting.type == SettingType::Int);
            QCOMPARE(box->minimum(), static_cast<int>(setting.min));
            QCOMPARE(box->maximum(), static_cast<int>(setting.max));
            QCOMPARE(box->value(), expected.get<int>());
            // The image size's tooltip says when the model does not use the pixels.
            if (key != QLatin1String("image_size"))
                QCOMPARE(box->toolTip(), help);
        } else if (auto* real = qobject_cast<QDoubleSpinBox*>(field)) {
            QVERIFY(setting.type == SettingType::Real);
            QCOMPARE(real->decimals(), setting.decimals);
            QCOMPARE(real->minimum(), setting.min);
            QCOMPARE(real->maximum(), setting.max);
            QVERIFY(std::abs(real->value() - expected.get<double>()) < 1e-12);
            QCOMPARE(real->toolTip(), help);
        } else if (auto* check = qobject_cast<QCheckBox*>(field)) {
            QVERIFY(setting.type == SettingType::Bool);
            QCOMPARE(check->isChecked(), expected.get<bool>());
            QCOMPARE(check->toolTip(), help);
        } else if (auto* combo = qobject_cast<QComboBox*>(field)) {
            QVERIFY(setting.type == SettingType::Choice);
            QCOMPARE(combo->count(), static_cast<int>(setting.choices.size()));
            for (int i = 0; i < combo->count(); ++i)
                QCOMPARE(combo->itemData(i, learnpage::kSettingNameRole).toString().toStdString(), setting.choices[i]);
            // The form picks its model from the dataset.
            if (key != QLatin1String("model"))
                QCOMPARE(combo->currentData(learnpage::kSettingNameRole).toString().toStdString(), expected.get<std::string>());
        } else if (auto* edit = qobject_cast<QLineEdit*>(field)) {
            QVERIFY(setting.type == SettingType::Text);
            QCOMPARE(edit->text().toStdString(), expected.get<std::string>());
            QCOMPARE(edit->toolTip(), help);
        } else {
            QFAIL("a field of an unknown kind");
        }
    }
};

QTEST_MAIN(TestSettings)
#include "test_settings.moc"
