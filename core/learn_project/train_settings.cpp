#include "learn_project/train_settings.h"

#include "util/error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace crowdsift {

namespace {

using json = nlohmann::json;

constexpr unsigned kRun = UseTrain | UseLoop | UseIdentify;
constexpr unsigned kFormField = kRun | UseForm | UseStored;
constexpr unsigned kBehindForm = kRun | UseStored;
constexpr unsigned kDataParamsField = UseIdentify | UseForm | UseStored;

// %g: 0.0001, 0.5, 2, 1e-05.
std::string numberText(double value)
{
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string joinChoices(const std::vector<std::string>& names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i)
        text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return text;
}

std::vector<std::string> inputKindNames()
{
    std::vector<std::string> names;
    for (LearnInputKind kind : {LearnInputKind::Auto, LearnInputKind::Features, LearnInputKind::Images, LearnInputKind::Scene})
        names.emplace_back(learnInputKindName(kind));
    return names;
}

// Reads and writes one member of TrainSettings (`part` then `field`, or `field` alone) as JSON.
template <auto Part, auto Field>
json getMember(const TrainSettings& t)
{
    return json((t.*Part).*Field);
}

template <auto Part, auto Field>
void setMember(TrainSettings& t, const json& v)
{
    auto& member = (t.*Part).*Field;
    member = v.get<std::decay_t<decltype(member)>>();
}

template <auto Field>
json getTop(const TrainSettings& t)
{
    return json(t.*Field);
}

template <auto Field>
void setTop(TrainSettings& t, const json& v)
{
    t.*Field = v.get<std::decay_t<decltype(t.*Field)>>();
}

// One row of the table: the setting, then what differs from the plain case.
struct Row {
    SettingInfo info;

    Row(const char* key, const char* option, const char* label, SettingType type, double min, double max,
        const char* help, unsigned uses)
    {
        info.key = key;
        info.option = option;
        info.label = label;
        info.type = type;
        info.min = min;
        info.max = max;
        info.help = help;
        info.uses = uses;
    }
    Row& perModel()
    {
        info.perModel = true;
        return *this;
    }
    Row& decimals(int digits)
    {
        info.decimals = digits;
        return *this;
    }
    Row& choices(std::vector<std::string> names)
    {
        info.choices = std::move(names);
        return *this;
    }
    Row& perRun()
    {
        info.perRun = true;
        return *this;
    }
    Row& dataParams()
    {
        info.dataParams = true;
        return *this;
    }
    Row& models(std::vector<std::string> names)
    {
        info.models = std::move(names);
        return *this;
    }
    Row& off(double value, const char* help)
    {
        info.offValue = value;
        info.offHelp = help;
        return *this;
    }
    template <auto Part, auto Field>
    Row& member()
    {
        info.get = &getMember<Part, Field>;
        info.set = &setMember<Part, Field>;
        return *this;
    }
    template <auto Field>
    Row& top()
    {
        info.get = &getTop<Field>;
        info.set = &setTop<Field>;
        return *this;
    }
    Row& access(json (*get)(const TrainSettings&), void (*set)(TrainSettings&, const json&))
    {
        info.get = get;
        info.set = set;
        return *this;
    }
};

constexpr auto kSpec = &TrainSettings::spec;
constexpr auto kConfig = &TrainSettings::config;
constexpr auto kInput = &TrainSettings::input;
constexpr auto kDataParams = &TrainSettings::dataParams;
using Type = SettingType;

std::vector<SettingInfo> makeSettings()
{
    const Row rows[] = {
        Row("model", "-m,--model", "model", Type::Choice, 0, 0, "Network", kFormField)
            .choices(modelNames())
            .member<kSpec, &ModelSpec::name>(),
        Row("backbone", "--backbone", "backbone", Type::Text, 0, 0,
            "torchscript: the backbone, a TorchScript module (.pt) that maps N x C x H x W float images in [0, 1] "
            "to N x D embeddings, exported from Python with torch.jit.trace or torch.jit.script",
            kFormField)
            .models({"torchscript"})
            .member<kSpec, &ModelSpec::backbone>(),
        Row("device", "--device", "device", Type::Choice, 0, 0, "Where to train", kFormField)
            .choices({"auto", "cpu", "cuda"})
            .top<&TrainSettings::device>(),
        Row("threads", "--threads", "threads", Type::Int, 0, 1024, "CPU threads for LibTorch (0 = every core)", kRun)
            .member<kConfig, &TrainConfig::threads>(),
        Row("image_size", "--image-size", "image size", Type::Int, 0, 512,
            "Side of the cached training images in px (0 = auto: 28 for images up to 28 px, else 32)", kFormField)
            .member<kInput, &LearnInputOptions::imageSize>(),
        Row("input", "--input", "input", Type::Choice, 0, 0,
            "What the model learns from: auto (mlp: the dataset's feature vectors when it has them, else "
            "images), features, images, or gist (GIST scene features of the images, for mlp)",
            kFormField)
            .choices(inputKindNames())
            .access([](const TrainSettings& t) { return json(learnInputKindName(t.input.kind)); },
                    [](TrainSettings& t, const json& v) { t.input.kind = parseLearnInputKind(v.get<std::string>()); }),
        Row("soft", "--soft", "soft targets", Type::Bool, 0, 0, "Train on soft labels (posteriors) instead of hard labels",
            kFormField)
            .perRun()
            .top<&TrainSettings::soft>(),
        Row("epochs", "--epochs", "epochs", Type::Int, 1, 1000, "Training epochs", kFormField)
            .perModel()
            .member<kConfig, &TrainConfig::epochs>(),
        Row("lr", "--lr", "learning rate", Type::Real, 1e-5, 10, "Peak learning rate, reached after the warm-up", kFormField)
            .perModel()
            .decimals(5)
            .member<kConfig, &TrainConfig::learningRate>(),
        Row("batch_size", "--batch-size", "batch size", Type::Int, 1, 65536, "Batch size", kFormField)
            .perModel()
            .member<kConfig, &TrainConfig::batchSize>(),
        Row("optimizer", "--optimizer", "optimizer", Type::Choice, 0, 0, "SGD (Nesterov momentum) or AdamW", kFormField)
            .perModel()
            .choices({optimizerName(OptimizerKind::Sgd), optimizerName(OptimizerKind::AdamW)})
            .access([](const TrainSettings& t) { return json(optimizerName(t.config.optimizer)); },
                    [](TrainSettings& t, const json& v) { t.config.optimizer = parseOptimizer(v.get<std::string>()); }),
        Row("momentum", "--momentum", "momentum", Type::Real, 0, 1, "SGD: Nesterov momentum", kBehindForm)
            .decimals(3)
            .member<kConfig, &TrainConfig::momentum>(),
        Row("weight_decay", "--weight-decay", "weight decay", Type::Real, 0, 1, "Weight decay", kBehindForm)
            .perModel()
            .decimals(6)
            .member<kConfig, &TrainConfig::weightDecay>(),
        Row("schedule", "--schedule", "schedule", Type::Choice, 0, 0, "Learning rate after the warm-up", kBehindForm)
            .choices({scheduleName(ScheduleKind::Cosine), scheduleName(ScheduleKind::Step),
                      scheduleName(ScheduleKind::Constant)})
            .access([](const TrainSettings& t) { return json(scheduleName(t.config.schedule)); },
                    [](TrainSettings& t, const json& v) { t.config.schedule = parseSchedule(v.get<std::string>()); }),
        Row("warmup_epochs", "--warmup", "warm-up epochs", Type::Real, 0, 1000,
            "Warm-up epochs (linear, from 0 to the peak learning rate)", kBehindForm)
            .decimals(2)
            .member<kConfig, &TrainConfig::warmupEpochs>(),
        Row("label_smoothing", "--label-smoothing", "label smoothing", Type::Real, 0, 0.5,
            "Label smoothing: weight of the uniform distribution in the targets", kFormField)
            .perModel()
            .decimals(2)
            .member<kConfig, &TrainConfig::labelSmoothing>(),
        Row("augment", nullptr, "augmentation", Type::Bool, 0, 0, "Images: random pad-crop", kBehindForm)
            .perModel()
            .member<kConfig, &TrainConfig::augment>(),
        Row("flip", nullptr, "flips", Type::Bool, 0, 0, "Images: random horizontal flips", kBehindForm)
            .perModel()
            .member<kConfig, &TrainConfig::flip>(),
        Row("patience", "--patience", "patience", Type::Int, 0, 1000,
            "Early stopping: epochs without a better validation loss (0 = off)", kBehindForm)
            .member<kConfig, &TrainConfig::patience>(),
        Row("val_fraction", "--val-fraction", "validation fraction", Type::Real, 0, 0.9,
            "Held-out validation fraction of the training rows", kBehindForm)
            .decimals(2)
            .member<kConfig, &TrainConfig::validationFraction>(),
        Row("seed", "--seed", "seed", Type::Seed, 0, 0, "Seed of initialisation, folds, shuffles and augmentation", kBehindForm)
            .member<kConfig, &TrainConfig::seed>(),
        Row("width", "--width", "width", Type::Int, 1, 1024, "small-cnn: channels of the first block", kBehindForm)
            .perModel()
            .models({"small-cnn"})
            .member<kSpec, &ModelSpec::width>(),
        Row("hidden", "--hidden", "hidden widths", Type::Widths, 1, 65536,
            "mlp / torchscript head: hidden widths, e.g. 256 or 512,128 (0 = linear)", kBehindForm)
            .perModel()
            .models({"mlp", "torchscript"})
            .member<kSpec, &ModelSpec::hidden>(),
        Row("dropout", "--dropout", "dropout", Type::Real, 0, 0.99, "mlp / torchscript head: dropout after each hidden layer",
            kBehindForm)
            .perModel()
            .models({"mlp", "torchscript"})
            .decimals(2)
            .member<kSpec, &ModelSpec::dropout>(),
        Row("folds", "--folds", "folds", Type::Int, 2, 20,
            "Cross-validation folds: every item's probabilities come from a model that did not train on it",
            kFormField & ~UseIdentify)
            .perRun()
            .off(1, "train: 1 = no cross-validation, one model trained on every item")
            .top<&TrainSettings::folds>(),
        Row("max_iterations", "--max-iter", "max iterations", Type::Int, 1, 50,
            "The CROWDLAB loop's iteration limit; it also stops once no item changes label for the first time",
            UseLoop | UseForm | UseStored)
            .perRun()
            .top<&TrainSettings::maxIterations>(),
        // Data Parameters (identify); the ranges are the CLI's since it has had these options.
        Row("instance", "--instance", "instance level", Type::Bool, 0, 0,
            "Learn one sigma per item (the level learned when neither --instance nor --class is given)",
            kDataParamsField)
            .dataParams()
            .member<kDataParams, &DataParamsConfig::instanceLevel>(),
        Row("class", "--class", "class level", Type::Bool, 0, 0, "Learn one sigma per class", kDataParamsField)
            .dataParams()
            .member<kDataParams, &DataParamsConfig::classLevel>(),
        Row("init_instance", "--init-inst", "item sigma at the start", Type::Real, 1.0 / 20.0, 20.0,
            "Item sigma at the start", kDataParamsField)
            .dataParams()
            .decimals(3)
            .member<kDataParams, &DataParamsConfig::initInstance>(),
        Row("init_class", "--init-class", "class sigma at the start", Type::Real, 1.0 / 20.0, 20.0,
            "Class sigma at the start", kDataParamsField)
            .dataParams()
            .decimals(3)
            .member<kDataParams, &DataParamsConfig::initClass>(),
        Row("lr_instance", "--lr-inst", "item sigma learning rate", Type::Real, 0, 100,
            "Learning rate of the item sigmas (log space)", kDataParamsField)
            .dataParams()
            .decimals(4)
            .member<kDataParams, &DataParamsConfig::lrInstance>(),
        Row("lr_class", "--lr-class", "class sigma learning rate", Type::Real, 0, 100,
            "Learning rate of the class sigmas (log space)", kDataParamsField)
            .dataParams()
            .decimals(4)
            .member<kDataParams, &DataParamsConfig::lrClass>(),
        Row("wd_instance", "--wd-inst", "item sigma weight decay", Type::Real, 0, 10,
            "Weight decay of the item sigmas in a batch (log space)", kDataParamsField)
            .dataParams()
            .decimals(5)
            .member<kDataParams, &DataParamsConfig::weightDecayInstance>(),
        Row("wd_class", "--wd-class", "class sigma weight decay", Type::Real, 0, 10,
            "Weight decay of the class sigmas in a batch (log space)", kDataParamsField)
            .dataParams()
            .decimals(5)
            .member<kDataParams, &DataParamsConfig::weightDecayClass>(),
        Row("dp_momentum", nullptr, "sigma momentum", Type::Real, 0, 0.999,
            "Heavy-ball momentum of the sigmas' SGD", UseIdentify | UseStored)
            .dataParams()
            .decimals(3)
            .member<kDataParams, &DataParamsConfig::momentum>(),
    };
    std::vector<SettingInfo> settings;
    for (const Row& row : rows)
        settings.push_back(row.info);
    return settings;
}

bool whole(double value)
{
    return std::isfinite(value) && value == std::floor(value);
}

std::string rangeProblem(const SettingInfo& setting, double value)
{
    if (value < setting.min)
        return "is below the minimum " + numberText(setting.min);
    if (value > setting.max)
        return "is above the maximum " + numberText(setting.max);
    return {};
}

}  // namespace

DataParamsConfig defaultDataParams()
{
    DataParamsConfig config;
    config.instanceLevel = true;
    return config;
}

bool SettingInfo::appliesTo(const std::string& model) const
{
    return models.empty() || std::find(models.begin(), models.end(), model) != models.end();
}

TrainSettings defaultTrainSettings(const std::string& model, bool cuda)
{
    TrainSettings settings;
    settings.spec = defaultModelSpec(model, cuda);
    settings.config = defaultTrainConfig(model, cuda);
    return settings;
}

const std::vector<SettingInfo>& trainSettings()
{
    static const std::vector<SettingInfo> settings = makeSettings();
    return settings;
}

const SettingInfo& trainSetting(const std::string& key)
{
    for (const SettingInfo& setting : trainSettings())
        if (key == setting.key)
            return setting;
    throw std::invalid_argument("no training setting '" + key + "'");
}

json settingDefault(const SettingInfo& setting, const std::string& model, bool cuda)
{
    return setting.get(defaultTrainSettings(model, cuda));
}

std::string settingProblem(const SettingInfo& setting, const json& value, bool allowOff)
{
    switch (setting.type) {
    case SettingType::Int:
    case SettingType::Real: {
        const bool isInt = setting.type == SettingType::Int;
        const double number = value.is_number() ? value.get<double>() : std::nan("");
        if (!std::isfinite(number) || (isInt && !whole(number)))
            return isInt ? "is not a whole number" : "is not a number";
        if (allowOff && setting.offValue && number == *setting.offValue)
            return {};
        return rangeProblem(setting, number);
    }
    case SettingType::Bool:
        return value.is_boolean() ? std::string() : "is not true or false";
    case SettingType::Choice:
        if (value.is_string()
            && std::find(setting.choices.begin(), setting.choices.end(), value.get<std::string>()) != setting.choices.end())
            return {};
        return "is not available here";
    case SettingType::Text:
        return value.is_string() ? std::string() : "is not a file name";
    case SettingType::Widths: {
        bool valid = value.is_array();
        for (std::size_t i = 0; valid && i < value.size(); ++i)
            valid = value[i].is_number_integer() && rangeProblem(setting, value[i].get<double>()).empty();
        return valid ? std::string() : "is not a list of positive layer widths";
    }
    case SettingType::Seed:
        if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0))
            return {};
        return "is not a whole number of at least 0";
    }
    return "is not available here";
}

std::string settingExpected(const SettingInfo& setting)
{
    const std::string range = "[" + numberText(setting.min) + ", " + numberText(setting.max) + "]";
    switch (setting.type) {
    case SettingType::Int: return "expected a whole number in " + range;
    case SettingType::Real: return "expected a number in " + range;
    case SettingType::Bool: return "expected true or false";
    case SettingType::Choice: return "expected " + joinChoices(setting.choices);
    case SettingType::Text: return "expected a file name";
    case SettingType::Widths: return "expected positive layer widths in " + range + " separated by commas, e.g. 256 or 512,128";
    case SettingType::Seed: return "expected a whole number of at least 0";
    }
    return {};
}

std::string settingText(const SettingInfo& setting, const json& value)
{
    switch (setting.type) {
    case SettingType::Int: return value.is_number() ? std::to_string(value.get<long long>()) : value.dump();
    case SettingType::Real: return value.is_number() ? numberText(value.get<double>()) : value.dump();
    case SettingType::Bool: return value.is_boolean() ? (value.get<bool>() ? "on" : "off") : value.dump();
    case SettingType::Choice:
    case SettingType::Text:
        if (!value.is_string())
            return value.dump();
        return value.get<std::string>().empty() && setting.type == SettingType::Text ? "none" : value.get<std::string>();
    case SettingType::Widths: {
        if (!value.is_array())
            return value.dump();
        std::string text;
        for (const json& width : value)
            text += (text.empty() ? "" : ",") + width.dump();
        return text.empty() ? "none" : text;
    }
    case SettingType::Seed: return value.dump();
    }
    return value.dump();
}

json parseSettingText(const SettingInfo& setting, const std::string& text)
{
    std::string option = setting.option ? setting.option : setting.key;
    option = option.substr(option.rfind(',') + 1);
    const auto bad = [&]() { return InputError(option, text, settingExpected(setting)); };
    const char* first = text.data();
    const char* last = text.data() + text.size();
    switch (setting.type) {
    case SettingType::Int: {
        long long value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc() || end != last)
            throw bad();
        return value;
    }
    case SettingType::Real: {
        char* end = nullptr;
        const double value = text.empty() ? std::nan("") : std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
            throw bad();
        return value;
    }
    case SettingType::Bool:
        if (text == "true" || text == "1" || text.empty())
            return true;
        if (text == "false" || text == "0")
            return false;
        throw bad();
    case SettingType::Choice:
    case SettingType::Text: return text;
    case SettingType::Widths: {
        json widths = json::array();
        if (text.empty() || text == "0" || text == "none")
            return widths;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            const std::size_t comma = std::min(text.find(',', pos), text.size());
            long long width = 0;
            const auto [end, error] = std::from_chars(text.data() + pos, text.data() + comma, width);
            if (error != std::errc() || end != text.data() + comma)
                throw bad();
            widths.push_back(width);
            pos = comma + 1;
        }
        return widths;
    }
    case SettingType::Seed: {
        std::uint64_t value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc() || end != last)
            throw bad();
        return value;
    }
    }
    throw bad();
}

std::vector<DecodedSetting> decodeTrainSettings(const json& params, TrainSettings& settings,
                                                const std::function<bool(const SettingInfo&)>& which, bool allowOff)
{
    std::vector<DecodedSetting> decoded;
    if (!params.is_object())
        return decoded;
    for (const SettingInfo& setting : trainSettings()) {
        if (!setting.usedBy(UseStored) || (which && !which(setting)))
            continue;
        const auto it = params.find(setting.key);
        if (it == params.end() || it->is_null())
            continue;
        DecodedSetting d{&setting, *it, settingProblem(setting, *it, allowOff)};
        if (d.problem.empty()) {
            const json before = setting.get(settings);
            setting.set(settings, *it);
            d.changed = setting.get(settings) != before;
        }
        decoded.push_back(std::move(d));
    }
    return decoded;
}

TrainSettings trainSettingsFromParams(const json& params, bool cuda, const std::string& source)
{
    if (!params.is_object())
        throw InputError(source, "parameters", "expected an object of settings");
    const SettingInfo& model = trainSetting("model");
    const auto it = params.find("model");
    if (it == params.end() || !settingProblem(model, *it).empty())
        throw InputError(source, "model " + (it == params.end() ? std::string("(none)") : it->dump()),
                         "is not available here; " + settingExpected(model));
    TrainSettings settings = defaultTrainSettings(it->get<std::string>(), cuda);
    for (const DecodedSetting& d : decodeTrainSettings(params, settings))
        if (!d.problem.empty())
            throw InputError(source, std::string(d.setting->label) + " " + d.stored.dump(),
                             d.problem + "; " + settingExpected(*d.setting));
    return settings;
}

}  // namespace crowdsift
