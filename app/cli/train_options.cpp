#include "train_options.h"

#ifdef CROWDSIFT_HAVE_LEARN

#include "input.h"

#include "util/error.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
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
    command->add_option("--input", inputKind,
                        "What the model learns from: auto (mlp: the dataset's feature vectors when it has them, "
                        "else images), features, images, or gist (GIST scene features of the images, for mlp)")
        ->capture_default_str();
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

template <class T>
void TrainArgs::overrideIfGiven(const char* name, T& setting, const T& value) const
{
    if (given(name))
        setting = value;
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
    overrideIfGiven("--width", r.spec.width, width);
    r.config.threads = threads;
    overrideIfGiven("--epochs", r.config.epochs, epochs);
    overrideIfGiven("--lr", r.config.learningRate, learningRate);
    overrideIfGiven("--batch-size", r.config.batchSize, batchSize);
    if (given("--optimizer"))
        r.config.optimizer = parseOptimizer(optimizer, "--optimizer");
    if (given("--schedule"))
        r.config.schedule = parseSchedule(schedule, "--schedule");
    overrideIfGiven("--warmup", r.config.warmupEpochs, warmupEpochs);
    overrideIfGiven("--label-smoothing", r.config.labelSmoothing, labelSmoothing);
    overrideIfGiven("--weight-decay", r.config.weightDecay, weightDecay);
    overrideIfGiven("--val-fraction", r.config.validationFraction, validationFraction);
    overrideIfGiven("--patience", r.config.patience, patience);
    overrideIfGiven("--seed", r.config.seed, seed);
    r.input.kind = parseLearnInputKind(inputKind, "--input");
    // Only the mlp reads feature vectors; the image networks need the images even when the
    // dataset has features too.
    r.input.preferFeatures = model == "mlp";
    r.input.imageSize = imageSize;
    return r;
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
    std::printf("%s on %s, %d classes, %d fold(s), %s\n", settings.spec.name.c_str(), describeInput(learnInput).c_str(),
                classes, folds, settings.config.device.c_str());
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
