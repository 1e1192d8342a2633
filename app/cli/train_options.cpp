#include "train_options.h"

#ifdef CROWDSIFT_HAVE_LEARN

#include "input.h"

#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace crowdsift::cli {

namespace {

// The option's help: the setting's, its choices and whether its default depends on the model.
std::string optionHelp(const SettingInfo& setting)
{
    std::string help = setting.help;
    if (setting.type == SettingType::Choice) {
        std::string names;
        for (const std::string& name : setting.choices)
            names += (names.empty() ? "" : "|") + name;
        help += ": " + names;
    }
    if (setting.offHelp)
        help += std::string(" (") + setting.offHelp + ")";
    if (setting.perModel)
        help += " (default per model)";
    return help;
}

// CLI11's range check of a number setting; offValue passes too.
CLI::Validator rangeCheck(const SettingInfo& setting)
{
    if (setting.type == SettingType::Real)
        return CLI::Range(setting.min, setting.max);
    CLI::Validator range = CLI::Range(static_cast<long long>(setting.min), static_cast<long long>(setting.max));
    if (setting.offValue)
        range = range | CLI::Range(static_cast<long long>(*setting.offValue), static_cast<long long>(*setting.offValue));
    return range;
}

const char* typeName(SettingType type)
{
    switch (type) {
    case SettingType::Int: return "INT";
    case SettingType::Real: return "FLOAT";
    case SettingType::Seed: return "UINT";
    case SettingType::Widths: return "INT,...";
    case SettingType::Text: return "FILE";
    case SettingType::Choice:
    case SettingType::Bool: break;
    }
    return "NAME";
}

// "--lr" of "--lr", "--model" of "-m,--model": how messages name the option.
std::string longName(const SettingInfo& setting)
{
    const std::string names = setting.option;
    return names.substr(names.rfind(',') + 1);
}

bool isRunId(const std::string& text)
{
    return !text.empty() && text.size() < 19
           && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

void TrainArgs::addTo(CLI::App* command, unsigned use, const std::vector<std::string>& except)
{
    for (const SettingInfo& setting : trainSettings()) {
        if (!setting.option || !setting.usedBy(use)
            || std::find(except.begin(), except.end(), setting.key) != except.end())
            continue;
        CLI::Option* option = nullptr;
        if (setting.type == SettingType::Bool) {
            option = command->add_flag(setting.option, flags_[setting.key], optionHelp(setting));
        } else {
            option = command->add_option(setting.option, text_[setting.key], optionHelp(setting));
            option->type_name(typeName(setting.type));
            if (setting.type == SettingType::Int || setting.type == SettingType::Real)
                option->check(rangeCheck(setting));
            // A default to show: not for the model (required), a file or one that depends on the model.
            if (!setting.perModel && setting.type != SettingType::Text && std::string(setting.key) != "model")
                option->default_str(settingText(setting, settingDefault(setting)));
        }
        if (std::string(setting.key) == "model")
            option->required();
        options_[setting.key] = option;
    }
}

std::optional<std::string> TrainArgs::given(const std::string& key) const
{
    const auto option = options_.find(key);
    if (option == options_.end() || option->second->count() == 0)
        return std::nullopt;
    const auto flag = flags_.find(key);
    return flag != flags_.end() ? std::string(flag->second ? "true" : "false") : text_.at(key);
}

TrainArgs::Resolved TrainArgs::resolve() const
{
    const SettingInfo& modelSetting = trainSetting("model");
    const std::string model = given("model").value_or(std::string());
    if (!settingProblem(modelSetting, model).empty())
        throw InputError(longName(modelSetting), model, "unknown model; " + settingExpected(modelSetting));
    Resolved r;
    const std::string device = given("device").value_or(settingDefault(trainSetting("device")).get<std::string>());
    r.cuda = resolveDevice(device) == "cuda";
    static_cast<TrainSettings&>(r) = defaultTrainSettings(model, r.cuda);
    r.device = device;
    for (const SettingInfo& setting : trainSettings()) {
        const std::string key = setting.key;
        const std::optional<std::string> text = key == "model" || key == "device" ? std::nullopt : given(key);
        if (!text)
            continue;
        const nlohmann::json value = parseSettingText(setting, *text);
        const std::string problem = settingProblem(setting, value);
        if (!problem.empty())
            throw InputError(longName(setting), *text, problem + "; " + settingExpected(setting));
        setting.set(r, value);
    }
    // Only the mlp reads feature vectors; the image networks need the images even when the
    // dataset has features too.
    r.input.preferFeatures = model == "mlp";
    return r;
}

Targets loadTargets(const std::string& labels, const Input& input, bool soft)
{
    const bool exists = std::filesystem::exists(labels);
    if (isRunId(labels) && !exists) {
        if (!input.project)
            throw InputError("--labels", labels,
                             "a run id needs a project; with a dataset path pass a labels file (CSV from "
                             "`aggregate -o`, or .npy)");
        return targetsFromRun(*input.project, input.dataset, std::stoll(labels), soft);
    }
    if (!exists)
        throw InputError(labels, "", "no such labels file (or, with a project, a run id)");
    Targets targets = targetsFromFile(labels, input.dataset);
    if (soft && !targets.isSoft())
        throw InputError(labels, "", "--soft needs soft labels: an aggregation run id or an N x K float .npy");
    return targets;
}

nlohmann::json trainParams(const TrainArgs::Resolved& r)
{
    return trainParams(r.spec, r.config, r.input);
}

LearnInput loadLearnInputFor(const Input& input, const TrainArgs::Resolved& settings, Progress& progress)
{
    LearnInput learnInput = input.project ? loadLearnInput(*input.project, input.dataset, settings.input, progress)
                                          : loadLearnInput(datasetCacheDir(), input.dataset, settings.input, progress);
    validateModelSpec(settings.spec, learnInput.hasImages());
    return learnInput;
}

void printRunHeader(const TrainArgs::Resolved& settings, const LearnInput& learnInput, int classes, int folds)
{
    // folds 0: one training on every item (no cross-validation to speak of).
    const std::string split = folds > 0 ? ", " + std::to_string(folds) + " fold(s)" : std::string();
    std::printf("%s on %s, %d classes%s, %s\n", settings.spec.name.c_str(), describeInput(learnInput).c_str(), classes,
                split.c_str(), settings.config.device.c_str());
}

std::string describeInput(const LearnInput& input)
{
    if (input.hasImages())
        return std::to_string(input.count()) + " images of " + std::to_string(input.height) + " x "
               + std::to_string(input.width) + " x " + std::to_string(input.channels);
    return std::to_string(input.count()) + " feature vectors of " + std::to_string(input.featureSize());
}

std::string datasetCacheDir()
{
    namespace fs = std::filesystem;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "crowdsift" / "images").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".cache" / "crowdsift" / "images").string();
    return (fs::temp_directory_path() / "crowdsift-images").string();
}

}  // namespace crowdsift::cli

#endif
