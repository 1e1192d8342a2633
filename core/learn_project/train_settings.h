#pragma once

// The one description of every model, training and input setting of a train, loop or Data
// Parameters run: its key in a run's stored parameters (trainParams(), dataParamsParams()), its
// command-line option, its type, range, default and help. The CLI's options
// (app/cli/train_options.cpp), the Learning form's fields (ui/learnform.cpp) and the reading of
// stored parameters (decodeTrainSettings) are all derived from trainSettings(), so that they
// cannot disagree. Plain C++: no Qt, no torch headers.

#include "learn_project/learn_runs.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace crowdsift {

// The Data Parameters a `data-parameters` run starts from: DataParamsConfig's defaults with the
// instance level on (`identify` without --instance and --class).
DataParamsConfig defaultDataParams();

// Everything a train, loop or Data Parameters run is configured by.
struct TrainSettings {
    ModelSpec spec;
    TrainConfig config;
    LearnInputOptions input;
    std::string device = "auto";  // asked for: auto | cpu | cuda (config.device: where it trains)
    int folds = 5;           // cross-validation folds; 1 (the train verb only) = no cross-validation
    int maxIterations = 5;   // the CROWDLAB loop's iteration limit
    bool soft = false;       // train on posteriors instead of hard labels
    // What a Data Parameters run puts into config.dataParams; train and loop runs leave that off
    // whatever this holds.
    DataParamsConfig dataParams = defaultDataParams();
};

// defaultModelSpec() and defaultTrainConfig() of `model` on the device (cuda or not), the rest
// as TrainSettings and LearnInputOptions start.
TrainSettings defaultTrainSettings(const std::string& model, bool cuda);

enum class SettingType {
    Int,     // whole number in [min, max]
    Real,    // number in [min, max]
    Bool,    // true or false
    Choice,  // one of `choices`
    Text,    // any string (a file name)
    Widths,  // list of whole numbers, each in [min, max]; empty = none
    Seed,    // whole number in [0, 2^64): stored as an integer, never through a double
};

// Where a setting is offered (a bit set).
enum SettingUse : unsigned {
    UseTrain = 1u << 0,  // the CLI's `train`
    UseLoop = 1u << 1,   // the CLI's `crowdlab-loop`
    UseForm = 1u << 2,   // a field of the Learning form (else the form keeps it behind, as stored)
    UseStored = 1u << 3, // part of a run's stored parameters
    UseIdentify = 1u << 4,  // the CLI's `identify` (Data Parameters)
};

struct SettingInfo {
    const char* key = "";           // in a run's parameters: "lr"
    const char* option = nullptr;   // the CLI's option: "--lr"; nullptr where the CLI has none
    const char* label = "";         // in messages: "learning rate"
    SettingType type = SettingType::Int;
    double min = 0;      // Int, Real, Widths (each width): inclusive range
    double max = 0;
    const char* help = "";  // the CLI's help and the form's tooltip
    std::vector<std::string> choices;  // Choice: the accepted names, as stored
    int decimals = 0;    // Real: the digits the form shows after the point
    bool perModel = false;  // the default depends on the model and device (defaultTrainSettings)
    // A value below min with a meaning of its own that only the CLI's `train` takes (folds 1:
    // train on every item without cross-validation); the form and the loop do not.
    std::optional<double> offValue;
    const char* offHelp = nullptr;  // what offValue means, for the CLI's help
    unsigned uses = 0;   // SettingUse bits
    // Stored by the verbs beside trainParams() (folds, soft, max_iterations), not by it.
    bool perRun = false;
    // A Data Parameters setting (TrainSettings::dataParams): stored by dataParamsParams() only,
    // shown in the Learning form's Data Parameters box.
    bool dataParams = false;
    std::vector<std::string> models;  // the models it applies to (trainParams() stores it for them); empty = all
    nlohmann::json (*get)(const TrainSettings&) = nullptr;
    void (*set)(TrainSettings&, const nlohmann::json&) = nullptr;  // a value settingProblem() accepts

    bool usedBy(unsigned use) const { return (uses & use) != 0; }
    bool appliesTo(const std::string& model) const;
};

// Every setting, in the order the CLI's help lists them.
const std::vector<SettingInfo>& trainSettings();
// The setting stored under `key`; std::invalid_argument for a key that is not one.
const SettingInfo& trainSetting(const std::string& key);

// The value of `setting` in defaultTrainSettings(model, cuda).
nlohmann::json settingDefault(const SettingInfo& setting, const std::string& model = "mlp", bool cuda = false);

// Why `value` is not a value of `setting`, as the end of a sentence that starts with the setting
// and the value ("is above the maximum 0.5", "is not a whole number", "is not available here");
// empty when it is one. With allowOff, offValue counts as in range.
std::string settingProblem(const SettingInfo& setting, const nlohmann::json& value, bool allowOff = true);
// "expected sgd or adamw", "expected a whole number in [1, 1000]": what the setting accepts.
std::string settingExpected(const SettingInfo& setting);

// A value as messages show it: 0.0001, cosine, on / off, 512,128 or none.
std::string settingText(const SettingInfo& setting, const nlohmann::json& value);
// Reads a command-line value (Bool: true/false; Widths: "512,128", "0" or "none" = none);
// InputError naming the option when the text is not a value of the setting.
nlohmann::json parseSettingText(const SettingInfo& setting, const std::string& text);

// One stored setting read by decodeTrainSettings().
struct DecodedSetting {
    const SettingInfo* setting;
    nlohmann::json stored;
    std::string problem;   // empty: taken
    bool changed = false;  // taken and different from what `settings` held
};

// Reads the stored settings of `params` (a run's parameters) that `which` picks (all without it)
// into `settings`: every key present and not null. Keys that are no setting (labels, strategy,
// ...) are ignored; a value the setting cannot take leaves `settings` alone and is reported with
// its problem.
std::vector<DecodedSetting> decodeTrainSettings(const nlohmann::json& params, TrainSettings& settings,
                                                const std::function<bool(const SettingInfo&)>& which = {},
                                                bool allowOff = true);

// The settings stored in `params` over defaultTrainSettings(params "model", cuda); InputError
// (source, "<label> <value>", problem and what is expected) for the first value it cannot take.
TrainSettings trainSettingsFromParams(const nlohmann::json& params, bool cuda, const std::string& source);

}  // namespace crowdsift
