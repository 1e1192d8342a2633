#include "train_options.h"

#ifdef CROWDSIFT_HAVE_LEARN

#include "util/error.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

namespace crowdsift::cli {

namespace {

std::vector<int> parseHidden(const std::string& text)
{
    std::vector<int> widths;
    if (text.empty() || text == "0" || text == "none")
        return widths;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        int width = 0;
        const char* first = text.data() + pos;
        const char* last = text.data() + comma;
        const auto [end, error] = std::from_chars(first, last, width);
        if (error != std::errc() || end != last || width < 1)
            throw InputError("--hidden", text, "expected positive layer widths separated by commas, e.g. 256 or 512,128");
        widths.push_back(width);
        pos = comma + 1;
    }
    return widths;
}

const char* optimizerName(OptimizerKind kind)
{
    return kind == OptimizerKind::AdamW ? "adamw" : "sgd";
}

const char* scheduleName(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::Step: return "step";
    case ScheduleKind::Constant: return "constant";
    case ScheduleKind::Cosine: break;
    }
    return "cosine";
}

}  // namespace

void TrainArgs::addTo(CLI::App* command)
{
    command_ = command;
    command->add_option("-m,--model", model, "Network: mlp|small-cnn|resnet18|torchscript")->required();
    command->add_option("--backbone", backbone, "torchscript: the exported TorchScript backbone (.pt)");
    command->add_option("--device", device, "auto|cpu|cuda")->capture_default_str();
    command->add_option("--threads", threads, "CPU threads for LibTorch (0 = every core)")->check(CLI::NonNegativeNumber);
    command->add_option("--image-size", imageSize, "Side of the cached images in px (default: 28 for images up to "
                                                   "28 px, else 32)")
        ->check(CLI::Range(1, 1024));
    command->add_flag("--soft", soft, "Train on soft labels (posteriors) instead of hard labels");
    command->add_option("--epochs", epochs, "Training epochs (default per model)")->check(CLI::PositiveNumber);
    command->add_option("--lr", learningRate, "Peak learning rate (default per model)")->check(CLI::PositiveNumber);
    command->add_option("--batch-size", batchSize, "Batch size (default per model)")->check(CLI::PositiveNumber);
    command->add_option("--optimizer", optimizer, "sgd|adamw (default per model)");
    command->add_option("--schedule", schedule, "cosine|step|constant, after the warm-up");
    command->add_option("--warmup", warmupEpochs, "Warm-up epochs (linear)")->check(CLI::NonNegativeNumber);
    command->add_option("--label-smoothing", labelSmoothing, "Label smoothing in [0, 1)")->check(CLI::Range(0.0, 0.999));
    command->add_option("--weight-decay", weightDecay, "Weight decay")->check(CLI::NonNegativeNumber);
    command->add_option("--val-fraction", validationFraction, "Held-out validation fraction of the training rows")
        ->check(CLI::Range(0.0, 0.9));
    command->add_option("--patience", patience, "Early stopping: epochs without a better validation loss (0 = off)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--seed", seed, "Seed of initialisation, folds, shuffles and augmentation");
    command->add_option("--width", width, "small-cnn: channels of the first block")->check(CLI::PositiveNumber);
    command->add_option("--hidden", hidden, "mlp / torchscript head: hidden widths, e.g. 256 or 512,128 (0 = linear)");
}

bool TrainArgs::given(const char* name) const
{
    return command_ && command_->get_option(name)->count() > 0;
}

TrainArgs::Resolved TrainArgs::resolve() const
{
    const std::vector<std::string> names = modelNames();
    if (std::find(names.begin(), names.end(), model) == names.end())
        throw InputError("--model", model, "unknown model; expected mlp, small-cnn, resnet18 or torchscript");
    Resolved r;
    r.cuda = resolveDevice(device) == "cuda";
    r.spec = defaultModelSpec(model, r.cuda);
    r.config = defaultTrainConfig(model, r.cuda);
    r.spec.backbone = backbone;
    if (given("--hidden"))
        r.spec.hidden = parseHidden(hidden);
    if (given("--width"))
        r.spec.width = width;
    r.config.threads = threads;
    if (given("--epochs"))
        r.config.epochs = epochs;
    if (given("--lr"))
        r.config.learningRate = learningRate;
    if (given("--batch-size"))
        r.config.batchSize = batchSize;
    if (given("--optimizer")) {
        if (optimizer == "sgd")
            r.config.optimizer = OptimizerKind::Sgd;
        else if (optimizer == "adamw")
            r.config.optimizer = OptimizerKind::AdamW;
        else
            throw InputError("--optimizer", optimizer, "expected sgd or adamw");
    }
    if (given("--schedule")) {
        if (schedule == "cosine")
            r.config.schedule = ScheduleKind::Cosine;
        else if (schedule == "step")
            r.config.schedule = ScheduleKind::Step;
        else if (schedule == "constant")
            r.config.schedule = ScheduleKind::Constant;
        else
            throw InputError("--schedule", schedule, "expected cosine, step or constant");
    }
    if (given("--warmup"))
        r.config.warmupEpochs = warmupEpochs;
    if (given("--label-smoothing"))
        r.config.labelSmoothing = labelSmoothing;
    if (given("--weight-decay"))
        r.config.weightDecay = weightDecay;
    if (given("--val-fraction"))
        r.config.validationFraction = validationFraction;
    if (given("--patience"))
        r.config.patience = patience;
    if (given("--seed"))
        r.config.seed = seed;
    r.input.imageSize = imageSize;
    return r;
}

nlohmann::json trainParams(const TrainArgs::Resolved& r)
{
    nlohmann::json params = {{"model", r.spec.name},
                             {"device", r.config.device},
                             {"epochs", r.config.epochs},
                             {"batch_size", r.config.batchSize},
                             {"optimizer", optimizerName(r.config.optimizer)},
                             {"lr", r.config.learningRate},
                             {"momentum", r.config.momentum},
                             {"weight_decay", r.config.weightDecay},
                             {"schedule", scheduleName(r.config.schedule)},
                             {"warmup_epochs", r.config.warmupEpochs},
                             {"label_smoothing", r.config.labelSmoothing},
                             {"augment", r.config.augment},
                             {"flip", r.config.flip},
                             {"val_fraction", r.config.validationFraction},
                             {"patience", r.config.patience},
                             {"seed", r.config.seed},
                             {"image_size", r.input.imageSize}};
    if (r.spec.name == "small-cnn")
        params["width"] = r.spec.width;
    if (r.spec.name == "mlp" || r.spec.name == "torchscript") {
        params["hidden"] = r.spec.hidden;
        params["dropout"] = r.spec.dropout;
    }
    if (r.spec.name == "torchscript")
        params["backbone"] = r.spec.backbone;
    return params;
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
