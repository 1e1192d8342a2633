#include "learn_project/data_params_runs.h"
#include "learn_project/train_settings.h"
#include "setting_rows.h"

#include "util/error.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <string>

using namespace crowdsift;

namespace {

// A step just outside a setting's range: 1 for whole numbers, a hundredth of the range else.
double outside(const SettingInfo& setting)
{
    return setting.type == SettingType::Real ? (setting.max - setting.min) / 100.0 : 1.0;
}

bool isNumber(const SettingInfo& setting)
{
    return setting.type == SettingType::Int || setting.type == SettingType::Real;
}

// The parameters a train and a loop run store for these settings.
nlohmann::json storedParams(const TrainSettings& settings)
{
    nlohmann::json params = trainParams(settings.spec, settings.config, settings.input);
    params["folds"] = settings.folds;
    params["soft"] = settings.soft;
    params["max_iterations"] = settings.maxIterations;
    return params;
}

QString messageOf(const std::exception& e)
{
    return QString::fromStdString(e.what());
}

}  // namespace

class TestTrainSettings : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // What a run stores is read back as it was, for every model.
    void storedParamsComeBack()
    {
        for (const std::string& model : modelNames()) {
            TrainSettings settings = defaultTrainSettings(model, false);
            settings.config.epochs = 7;
            settings.config.seed = 12345678901234567ULL;
            settings.spec.hidden = {64, 32};
            settings.input.kind = LearnInputKind::Features;
            settings.folds = 3;
            settings.maxIterations = 2;
            settings.soft = true;
            const nlohmann::json params = storedParams(settings);
            const TrainSettings read = trainSettingsFromParams(params, false, "run 1");
            QCOMPARE(storedParams(read).dump(), params.dump());
        }
    }

    // A Data Parameters run's settings (identify, the Learning tab's Data Parameters job) come
    // back from its stored parameters: the levels, inits, learning rates, weight decays and
    // momentum into TrainSettings::dataParams, the training settings as for a train run.
    void dataParamsComeBack()
    {
        TrainSettings settings = defaultTrainSettings("mlp", false);
        settings.config.epochs = 9;
        DataParamsConfig& d = settings.config.dataParams;
        d.instanceLevel = false;
        d.classLevel = true;
        d.initInstance = 2.5;
        d.initClass = 0.25;
        d.lrInstance = 0.3;
        d.lrClass = 1.5;
        d.weightDecayInstance = 0.001;
        d.weightDecayClass = 0.02;
        d.momentum = 0.5;
        nlohmann::json params = dataParamsParams(settings.spec, settings.config, settings.input);
        for (const char* key : {"instance", "class", "init_instance", "init_class", "lr_instance", "lr_class",
                                "wd_instance", "wd_class", "dp_momentum"}) {
            QVERIFY2(params.contains(key), key);
            QVERIFY(trainSetting(key).dataParams);
        }
        params["labels"] = "3";
        params["soft"] = false;
        const TrainSettings read = trainSettingsFromParams(params, false, "run 5");
        QCOMPARE(read.config.epochs, 9);
        QCOMPARE(read.dataParams.instanceLevel, false);
        QCOMPARE(read.dataParams.classLevel, true);
        QCOMPARE(read.dataParams.initInstance, 2.5);
        QCOMPARE(read.dataParams.initClass, 0.25);
        QCOMPARE(read.dataParams.lrInstance, 0.3);
        QCOMPARE(read.dataParams.lrClass, 1.5);
        QCOMPARE(read.dataParams.weightDecayInstance, 0.001);
        QCOMPARE(read.dataParams.weightDecayClass, 0.02);
        QCOMPARE(read.dataParams.momentum, 0.5);
        // Read settings give the same parameters again; the run's own config stays off until a
        // Data Parameters job copies them in.
        QVERIFY(!read.config.dataParams.enabled());
        TrainConfig again = read.config;
        again.dataParams = read.dataParams;
        nlohmann::json stored = dataParamsParams(read.spec, again, read.input);
        stored["labels"] = "3";
        stored["soft"] = false;
        QCOMPARE(stored.dump(), params.dump());

        // A train run stores none of them and leaves the instance level, the default, on.
        const TrainSettings plain = trainSettingsFromParams(storedParams(defaultTrainSettings("mlp", false)), false, "run 1");
        QVERIFY(plain.dataParams.instanceLevel);
        QVERIFY(!plain.dataParams.classLevel);
        const nlohmann::json trainStored = trainParams(plain.spec, plain.config, plain.input);
        for (const auto& item : trainStored.items())
            QVERIFY2(!trainSetting(item.key()).dataParams, item.key().c_str());

        // A stored sigma out of its range is named like any setting.
        params["init_class"] = 25;
        try {
            trainSettingsFromParams(params, false, "run 5");
            QFAIL("no error");
        } catch (const InputError& e) {
            QVERIFY2(messageOf(e).contains(QStringLiteral("class sigma at the start 25: is above the maximum 20")), e.what());
        }
    }

    void everySetting_data() { testing::addSettingRows(); }

    // The table itself: a key once, the default a value of the setting, every stored key read back.
    void everySetting()
    {
        const SettingInfo& setting = testing::settingOfRow();
        QCOMPARE(&trainSetting(setting.key), &setting);
        int same = 0;
        for (const SettingInfo& other : trainSettings())
            same += std::string(setting.key) == other.key;
        QCOMPARE(same, 1);
        QVERIFY(setting.label && *setting.label);
        QVERIFY(setting.help && *setting.help);
        for (const std::string& model : modelNames()) {
            const nlohmann::json value = settingDefault(setting, model, false);
            QVERIFY2(settingProblem(setting, value).empty(), qPrintable(QString::fromStdString(model + ": " + value.dump())));
        }
        if (setting.type == SettingType::Choice)
            QVERIFY(!setting.choices.empty());
        if (isNumber(setting)) {
            QVERIFY(setting.min < setting.max);
            QVERIFY(!setting.offValue || *setting.offValue < setting.min);
        }
    }

    void rangeIsChecked_data() { everySetting_data(); }

    // The decoder takes a number setting's bounds and rejects what lies beyond them, naming the bound.
    void rangeIsChecked()
    {
        const SettingInfo& setting = testing::settingOfRow();
        if (!isNumber(setting) || !setting.usedBy(UseStored))
            QSKIP("not a stored number");
        for (const double bound : {setting.min, setting.max}) {
            TrainSettings settings;
            const std::vector<DecodedSetting> decoded = decodeTrainSettings({{setting.key, bound}}, settings);
            QCOMPARE(decoded.size(), std::size_t(1));
            QVERIFY2(decoded[0].problem.empty(), decoded[0].problem.c_str());
            QCOMPARE(setting.get(settings).get<double>(), bound);
        }
        const double above = setting.max + outside(setting);
        TrainSettings settings;
        const TrainSettings before = settings;
        std::vector<DecodedSetting> decoded = decodeTrainSettings({{setting.key, above}}, settings);
        QCOMPARE(decoded.size(), std::size_t(1));
        QVERIFY2(decoded[0].problem.rfind("is above the maximum ", 0) == 0, decoded[0].problem.c_str());
        QCOMPARE(setting.get(settings).dump(), setting.get(before).dump());
        const double below = setting.min - outside(setting);
        decoded = decodeTrainSettings({{setting.key, below}}, settings, {}, false);
        QVERIFY2(decoded[0].problem.rfind("is below the minimum ", 0) == 0, decoded[0].problem.c_str());
        // The value below the range that means something (folds 1) only where it is allowed.
        if (setting.offValue) {
            QVERIFY(decodeTrainSettings({{setting.key, *setting.offValue}}, settings)[0].problem.empty());
            QVERIFY(!decodeTrainSettings({{setting.key, *setting.offValue}}, settings, {}, false)[0].problem.empty());
        }
    }

    // The keys a run stores are those runs have always stored: per model only what applies to it.
    void storedKeysPerModel()
    {
        const std::string common = "augment,batch_size,device,epochs,flip,image_size,input,label_smoothing,lr,model,"
                                   "momentum,optimizer,patience,schedule,seed,val_fraction,warmup_epochs,weight_decay";
        const std::pair<std::string, std::string> expected[] = {
            {"mlp", "dropout,hidden"},
            {"small-cnn", "width"},
            {"resnet18", ""},
            {"torchscript", "backbone,dropout,hidden"},
        };
        for (const auto& [model, own] : expected) {
            const TrainSettings settings = defaultTrainSettings(model, false);
            const nlohmann::json params = trainParams(settings.spec, settings.config, settings.input);
            std::string keys;
            for (const auto& item : params.items())
                keys += (keys.empty() ? "" : ",") + item.key();
            std::string all = common + (own.empty() ? "" : "," + own);
            std::vector<std::string> sorted;
            for (std::size_t pos = 0; pos <= all.size();) {
                const std::size_t comma = std::min(all.find(',', pos), all.size());
                sorted.push_back(all.substr(pos, comma - pos));
                pos = comma + 1;
            }
            std::sort(sorted.begin(), sorted.end());
            std::string want;
            for (const std::string& key : sorted)
                want += (want.empty() ? "" : ",") + key;
            QCOMPARE(QString::fromStdString(keys), QString::fromStdString(want));
        }
    }

    void storedProblemIsNamed_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("stored");    // JSON
        QTest::addColumn<QString>("expected");  // in the message
        QTest::newRow("lr above") << "lr" << "20" << "learning rate 20: is above the maximum 10";
        QTest::newRow("epochs below") << "epochs" << "0" << "epochs 0: is below the minimum 1";
        QTest::newRow("folds above") << "folds" << "21" << "folds 21: is above the maximum 20";
        QTest::newRow("whole number") << "batch_size" << "12.5" << "batch size 12.5: is not a whole number";
        QTest::newRow("unknown optimizer") << "optimizer" << R"("lion")"
                                           << R"(optimizer "lion": is not available here; expected sgd or adamw)";
        QTest::newRow("unknown schedule") << "schedule" << R"("onecycle")"
                                          << "is not available here; expected cosine, step or constant";
        QTest::newRow("hidden widths") << "hidden" << "[64, 0]" << "hidden widths [64,0]: is not a list of positive";
        QTest::newRow("negative seed") << "seed" << "-3" << "seed -3: is not a whole number of at least 0";
        QTest::newRow("unknown model") << "model" << R"("vit")" << R"(model "vit": is not available here)";
    }

    // A stored value out of range or unknown is reported by the setting's name.
    void storedProblemIsNamed()
    {
        QFETCH(QString, key);
        QFETCH(QString, stored);
        QFETCH(QString, expected);
        nlohmann::json params = storedParams(defaultTrainSettings("mlp", false));
        params[key.toStdString()] = nlohmann::json::parse(stored.toStdString());
        try {
            trainSettingsFromParams(params, false, "run 4");
            QFAIL("no error");
        } catch (const InputError& e) {
            QVERIFY2(messageOf(e).contains(expected), e.what());
            QVERIFY2(messageOf(e).contains(QStringLiteral("run 4")), e.what());
        }
    }

    // Keys that are not settings (labels, strategy) are no error; null keeps the default.
    void otherKeysAreIgnored()
    {
        nlohmann::json params = storedParams(defaultTrainSettings("mlp", false));
        params["labels"] = "votes.csv";
        params["strategy"] = "crowdlab-loop";
        params["epochs"] = nullptr;
        const TrainSettings read = trainSettingsFromParams(params, false, "run 2");
        QCOMPARE(read.config.epochs, defaultTrainConfig("mlp", false).epochs);
    }

    // What a command line gives: numbers, lists, seeds beyond a double's precision; errors name the option.
    void commandLineText()
    {
        QCOMPARE(parseSettingText(trainSetting("hidden"), "512,128").dump(), std::string("[512,128]"));
        QCOMPARE(parseSettingText(trainSetting("hidden"), "0").dump(), std::string("[]"));
        QCOMPARE(parseSettingText(trainSetting("seed"), "18446744073709551615").get<std::uint64_t>(),
                 18446744073709551615ULL);
        QCOMPARE(parseSettingText(trainSetting("lr"), "0.003").get<double>(), 0.003);
        try {
            parseSettingText(trainSetting("epochs"), "ten");
            QFAIL("no error");
        } catch (const InputError& e) {
            QVERIFY2(messageOf(e).contains(QStringLiteral("--epochs")), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestTrainSettings)
#include "test_train_settings.moc"
