#include "learn_project/train_settings.h"

#include "util/error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace crowdsift {

namespace {

using json = nlohmann::json;

constexpr unsigned kRun = UseTrain | UseLoop;
constexpr unsigned kFormField = kRun | UseForm | UseStored;
constexpr unsigned kBehindForm = kRun | UseStored;

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

std::vector<SettingInfo> makeSettings()
{
    std::vector<SettingInfo> s;
    const auto add = [&s](const char* key, const char* option, const char* label, SettingType type, double min,
                          double max, const char* help) -> SettingInfo& {
        SettingInfo& info = s.emplace_back();
        info.key = key;
        info.option = option;
        info.label = label;
        info.type = type;
        info.min = min;
        info.max = max;
        info.help = help;
        return info;
    };
    SettingInfo* i = nullptr;

    i = &add("model", "-m,--model", "model", SettingType::Choice, 0, 0, "Network");
    i->choices = modelNames();
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.spec.name); };
    i->set = [](TrainSettings& t, const json& v) { t.spec.name = v.get<std::string>(); };

    i = &add("backbone", "--backbone", "backbone", SettingType::Text, 0, 0,
              "torchscript: the backbone, a TorchScript module (.pt) that maps N x C x H x W float images in [0, 1] "
              "to N x D embeddings, exported from Python with torch.jit.trace or torch.jit.script");
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.spec.backbone); };
    i->set = [](TrainSettings& t, const json& v) { t.spec.backbone = v.get<std::string>(); };

    i = &add("device", "--device", "device", SettingType::Choice, 0, 0, "Where to train");
    i->choices = {"auto", "cpu", "cuda"};
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.device); };
    i->set = [](TrainSettings& t, const json& v) { t.device = v.get<std::string>(); };

    i = &add("threads", "--threads", "threads", SettingType::Int, 0, 1024, "CPU threads for LibTorch (0 = every core)");
    i->uses = kRun;
    i->get = [](const TrainSettings& t) { return json(t.config.threads); };
    i->set = [](TrainSettings& t, const json& v) { t.config.threads = v.get<int>(); };

    i = &add("image_size", "--image-size", "image size", SettingType::Int, 0, 512,
              "Side of the cached training images in px (0 = auto: 28 for images up to 28 px, else 32)");
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.input.imageSize); };
    i->set = [](TrainSettings& t, const json& v) { t.input.imageSize = v.get<int>(); };

    i = &add("input", "--input", "input", SettingType::Choice, 0, 0,
              "What the model learns from: auto (mlp: the dataset's feature vectors when it has them, else "
              "images), features, images, or gist (GIST scene features of the images, for mlp)");
    i->choices = inputKindNames();
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(learnInputKindName(t.input.kind)); };
    i->set = [](TrainSettings& t, const json& v) { t.input.kind = parseLearnInputKind(v.get<std::string>()); };

    i = &add("soft", "--soft", "soft targets", SettingType::Bool, 0, 0,
              "Train on soft labels (posteriors) instead of hard labels");
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.soft); };
    i->set = [](TrainSettings& t, const json& v) { t.soft = v.get<bool>(); };

    i = &add("epochs", "--epochs", "epochs", SettingType::Int, 1, 1000, "Training epochs");
    i->perModel = true;
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.config.epochs); };
    i->set = [](TrainSettings& t, const json& v) { t.config.epochs = v.get<int>(); };

    i = &add("lr", "--lr", "learning rate", SettingType::Real, 1e-5, 10, "Peak learning rate, reached after the warm-up");
    i->decimals = 5;
    i->perModel = true;
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.config.learningRate); };
    i->set = [](TrainSettings& t, const json& v) { t.config.learningRate = v.get<double>(); };

    i = &add("batch_size", "--batch-size", "batch size", SettingType::Int, 1, 65536, "Batch size");
    i->perModel = true;
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.config.batchSize); };
    i->set = [](TrainSettings& t, const json& v) { t.config.batchSize = v.get<int>(); };

    i = &add("optimizer", "--optimizer", "optimizer", SettingType::Choice, 0, 0, "SGD (Nesterov momentum) or AdamW");
    i->choices = {optimizerName(OptimizerKind::Sgd), optimizerName(OptimizerKind::AdamW)};
    i->perModel = true;
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(optimizerName(t.config.optimizer)); };
    i->set = [](TrainSettings& t, const json& v) { t.config.optimizer = parseOptimizer(v.get<std::string>()); };

    i = &add("momentum", "--momentum", "momentum", SettingType::Real, 0, 1, "SGD: Nesterov momentum");
    i->decimals = 3;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.momentum); };
    i->set = [](TrainSettings& t, const json& v) { t.config.momentum = v.get<double>(); };

    i = &add("weight_decay", "--weight-decay", "weight decay", SettingType::Real, 0, 1, "Weight decay");
    i->decimals = 6;
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.weightDecay); };
    i->set = [](TrainSettings& t, const json& v) { t.config.weightDecay = v.get<double>(); };

    i = &add("schedule", "--schedule", "schedule", SettingType::Choice, 0, 0, "Learning rate after the warm-up");
    i->choices = {scheduleName(ScheduleKind::Cosine), scheduleName(ScheduleKind::Step), scheduleName(ScheduleKind::Constant)};
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(scheduleName(t.config.schedule)); };
    i->set = [](TrainSettings& t, const json& v) { t.config.schedule = parseSchedule(v.get<std::string>()); };

    i = &add("warmup_epochs", "--warmup", "warm-up epochs", SettingType::Real, 0, 1000,
              "Warm-up epochs (linear, from 0 to the peak learning rate)");
    i->decimals = 2;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.warmupEpochs); };
    i->set = [](TrainSettings& t, const json& v) { t.config.warmupEpochs = v.get<double>(); };

    i = &add("label_smoothing", "--label-smoothing", "label smoothing", SettingType::Real, 0, 0.5,
              "Label smoothing: weight of the uniform distribution in the targets");
    i->decimals = 2;
    i->perModel = true;
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.config.labelSmoothing); };
    i->set = [](TrainSettings& t, const json& v) { t.config.labelSmoothing = v.get<double>(); };

    i = &add("augment", nullptr, "augmentation", SettingType::Bool, 0, 0, "Images: random pad-crop");
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.augment); };
    i->set = [](TrainSettings& t, const json& v) { t.config.augment = v.get<bool>(); };

    i = &add("flip", nullptr, "flips", SettingType::Bool, 0, 0, "Images: random horizontal flips");
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.flip); };
    i->set = [](TrainSettings& t, const json& v) { t.config.flip = v.get<bool>(); };

    i = &add("val_fraction", "--val-fraction", "validation fraction", SettingType::Real, 0, 0.9,
              "Held-out validation fraction of the training rows");
    i->decimals = 2;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.validationFraction); };
    i->set = [](TrainSettings& t, const json& v) { t.config.validationFraction = v.get<double>(); };

    i = &add("patience", "--patience", "patience", SettingType::Int, 0, 1000,
              "Early stopping: epochs without a better validation loss (0 = off)");
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.patience); };
    i->set = [](TrainSettings& t, const json& v) { t.config.patience = v.get<int>(); };

    i = &add("seed", "--seed", "seed", SettingType::Seed, 0, 0, "Seed of initialisation, folds, shuffles and augmentation");
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.config.seed); };
    i->set = [](TrainSettings& t, const json& v) { t.config.seed = v.get<std::uint64_t>(); };

    i = &add("width", "--width", "width", SettingType::Int, 1, 1024, "small-cnn: channels of the first block");
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.spec.width); };
    i->set = [](TrainSettings& t, const json& v) { t.spec.width = v.get<int>(); };

    i = &add("hidden", "--hidden", "hidden widths", SettingType::Widths, 1, 65536,
              "mlp / torchscript head: hidden widths, e.g. 256 or 512,128 (0 = linear)");
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.spec.hidden); };
    i->set = [](TrainSettings& t, const json& v) { t.spec.hidden = v.get<std::vector<int>>(); };

    i = &add("dropout", "--dropout", "dropout", SettingType::Real, 0, 0.99,
              "mlp / torchscript head: dropout after each hidden layer");
    i->decimals = 2;
    i->perModel = true;
    i->uses = kBehindForm;
    i->get = [](const TrainSettings& t) { return json(t.spec.dropout); };
    i->set = [](TrainSettings& t, const json& v) { t.spec.dropout = v.get<double>(); };

    i = &add("folds", "--folds", "folds", SettingType::Int, 2, 20,
              "Cross-validation folds: every item's probabilities come from a model that did not train on it");
    i->offValue = 1;
    i->offHelp = "train: 1 = no cross-validation, one model trained on every item";
    i->uses = kFormField;
    i->get = [](const TrainSettings& t) { return json(t.folds); };
    i->set = [](TrainSettings& t, const json& v) { t.folds = v.get<int>(); };

    i = &add("max_iterations", "--max-iter", "max iterations", SettingType::Int, 1, 50,
              "The CROWDLAB loop's iteration limit; it also stops once no item changes label for the first time");
    i->uses = UseLoop | UseForm | UseStored;
    i->get = [](const TrainSettings& t) { return json(t.maxIterations); };
    i->set = [](TrainSettings& t, const json& v) { t.maxIterations = v.get<int>(); };
    return s;
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
