// Data Parameters on Fashion-MNIST with uniform label noise (issue 12): does the instance sigma
// find the wrong labels, and does training without the items it ranks highest beat training on
// everything? All on the 60,000 training images, evaluated on the 10,000 t10k images with their
// true labels.
//
//   bench_dataparams [--fashion DIR] [--noise 0.4] [--seed S] [--model mlp|small-cnn] [--epochs E]
//                    [--hidden 256] [--width W] [--batch-size B] [--lr X] [--threads T]
//                    [--lr-inst X] [--init-inst X] [--wd-inst X] [--class] [--lr-class X]
//                    [--fractions 0.4,0.2] [--folds 4] [--cv-threads 2] [--no-cv] [--no-oracle] [--limit N]
//                    [--json FILE] [--quiet]
//
// Noise: round(noise x N) items, drawn with the seed, get a label drawn uniformly from the nine
// other classes (the paper's "uniform noise" flips to a different class), so exactly that share
// of the labels is wrong. Parts, each timed, all with the same model, epochs, batches and seed:
//   (a) plain training on the noisy labels (trainModel, one model on every item);
//   (b) the same training with instance-level Data Parameters (trainDataParams);
//   (c) the AUROC of the sigma ranking for "this label is wrong": the last epoch's sigma, every
//       epoch's (the best one reported), and the mean over epochs of log sigma;
//   (d) the AUROC of self-confidence, 1 - p[noisy label], from k-fold out-of-fold probabilities
//       (trainModel with --folds, --cv-threads folds side by side with one torch thread each;
//       labelQualityScores);
//   (e) the subset retrains: plain training without the top fraction by the last epoch's sigma
//       (topSigmaItems, withoutItems), for each --fractions, and at the first fraction also by the
//       mean log sigma; then, for reference, without exactly the mislabelled items (the oracle).
// Prints the parts as they finish and a markdown table at the end.

#include "aggregate/label_quality.h"
#include "images/idx.h"
#include "learn/learn_input.h"
#include "learn/trainer.h"
#include "learn_project/data_params_runs.h"
#include "learn_project/learn_runs.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;
using json = nlohmann::ordered_json;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpuNow()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Options {
    std::string fashionDir = "/usr/share/datasets/fashion-mnist";
    std::string jsonPath;
    double noise = 0.4;
    std::uint64_t noiseSeed = 20191208;  // the labels' noise; --seed sets the training seed
    std::vector<double> fractions{0.4};
    int folds = 4;
    int cvThreads = 2;  // crossValidate trains this many folds side by side, one thread each
    int limit = 0;
    bool cv = true;
    bool oracle = true;
    bool quiet = false;
    ModelSpec spec;
    TrainConfig train;
};

[[noreturn]] void usage(const std::string& why)
{
    std::fprintf(stderr,
                 "bench_dataparams: %s\n"
                 "usage: bench_dataparams [--fashion DIR] [--noise 0.4] [--noise-seed S] [--seed S] [--model mlp|small-cnn]\n"
                 "                        [--epochs E] [--hidden 256[,128]] [--width W] [--dropout X] [--batch-size B] [--lr X]\n"
                 "                        [--threads T] [--lr-inst X] [--init-inst X] [--wd-inst X] [--class] [--lr-class X]\n"
                 "                        [--fractions 0.4[,0.2]] [--folds 4] [--cv-threads 2] [--no-cv] [--no-oracle] [--limit N]\n"
                 "                        [--json FILE] [--quiet]\n",
                 why.c_str());
    std::exit(2);
}

std::vector<double> numberList(const std::string& text)
{
    std::vector<double> values;
    std::stringstream in(text);
    std::string part;
    while (std::getline(in, part, ','))
        values.push_back(std::stod(part));
    return values;
}

Options parseOptions(int argc, char** argv)
{
    std::string model = "mlp";
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--model")
            model = argv[i + 1];
    if (model != "mlp" && model != "small-cnn")
        usage("--model mlp or small-cnn");
    Options options;
    options.spec = defaultModelSpec(model, false);
    options.train = defaultTrainConfig(model, false);
    options.train.device = "cpu";
    // One torch thread: on a machine shared with other work, two spinning intra-op threads made
    // the mlp up to 10x slower than one (measured while builds ran beside it).
    options.train.threads = 1;
    options.train.dataParams.instanceLevel = true;  // used by (b) only
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(arg + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--fashion")
                options.fashionDir = value();
            else if (arg == "--noise")
                options.noise = std::stod(value());
            else if (arg == "--noise-seed")
                options.noiseSeed = std::stoull(value());
            else if (arg == "--seed")
                options.train.seed = std::stoull(value());
            else if (arg == "--model")
                value();
            else if (arg == "--epochs")
                options.train.epochs = std::stoi(value());
            else if (arg == "--hidden") {
                options.spec.hidden.clear();
                for (double h : numberList(value()))
                    options.spec.hidden.push_back(static_cast<int>(h));
            } else if (arg == "--width")
                options.spec.width = std::stoi(value());
            else if (arg == "--dropout")
                options.spec.dropout = std::stod(value());
            else if (arg == "--batch-size")
                options.train.batchSize = std::stoi(value());
            else if (arg == "--lr")
                options.train.learningRate = std::stod(value());
            else if (arg == "--threads")
                options.train.threads = std::stoi(value());
            else if (arg == "--lr-inst")
                options.train.dataParams.lrInstance = std::stod(value());
            else if (arg == "--init-inst")
                options.train.dataParams.initInstance = std::stod(value());
            else if (arg == "--wd-inst")
                options.train.dataParams.weightDecayInstance = std::stod(value());
            else if (arg == "--class")
                options.train.dataParams.classLevel = true;
            else if (arg == "--lr-class")
                options.train.dataParams.lrClass = std::stod(value());
            else if (arg == "--fractions")
                options.fractions = numberList(value());
            else if (arg == "--folds")
                options.folds = std::stoi(value());
            else if (arg == "--cv-threads")
                options.cvThreads = std::stoi(value());
            else if (arg == "--no-cv")
                options.cv = false;
            else if (arg == "--no-oracle")
                options.oracle = false;
            else if (arg == "--limit")
                options.limit = std::stoi(value());
            else if (arg == "--json")
                options.jsonPath = value();
            else if (arg == "--quiet")
                options.quiet = true;
            else
                usage("unknown option " + arg);
        } catch (const std::logic_error&) {
            usage("bad value for " + arg);
        }
    }
    if (!(options.noise > 0 && options.noise < 0.9) || options.train.epochs < 1 || options.folds < 2
        || options.fractions.empty() || options.limit < 0)
        usage("--noise in (0, 0.9), --epochs >= 1, --folds >= 2, at least one fraction");
    for (double f : options.fractions)
        if (!(f > 0 && f < 1))
            usage("each fraction in (0, 1)");
    return options;
}

struct FashionSplit {
    LearnInput input;
    std::vector<int> truth;
};

// The images as N x 28 x 28 x 1 uint8, or with `asFeatures` as N x 784 floats in [0, 1] (what an
// mlp flattens them to; the feature path batches without the image path's conversions).
FashionSplit readSplit(const std::string& folder, const std::string& prefix, int limit, bool asFeatures)
{
    const IdxArray images = readIdxUbyte(folder + "/" + prefix + "-images-idx3-ubyte.gz", 3);
    const IdxArray labels = readIdxUbyte(folder + "/" + prefix + "-labels-idx1-ubyte.gz", 1);
    if (images.dims[0] != labels.dims[0])
        throw InputError(folder, prefix, "images and labels differ in count");
    const std::int64_t n = limit > 0 ? std::min<std::int64_t>(limit, images.dims[0]) : images.dims[0];
    const std::size_t pixels = static_cast<std::size_t>(images.dims[1] * images.dims[2]);
    FashionSplit split;
    if (asFeatures) {
        split.input.features.resize(n, static_cast<Eigen::Index>(pixels));
        for (std::size_t v = 0; v < pixels * static_cast<std::size_t>(n); ++v)
            split.input.features.data()[v] = static_cast<float>(images.data[v]) / 255.0f;
    } else {
        split.input.height = static_cast<int>(images.dims[1]);
        split.input.width = static_cast<int>(images.dims[2]);
        split.input.channels = 1;
        split.input.images.assign(images.data.begin(),
                                  images.data.begin() + static_cast<std::ptrdiff_t>(pixels * static_cast<std::size_t>(n)));
    }
    split.truth.assign(labels.data.begin(), labels.data.begin() + n);
    return split;
}

// round(noise x N) items, drawn with `seed`, get one of the other classes, uniformly.
std::vector<int> noisyLabels(const std::vector<int>& truth, int classes, double noise, std::uint64_t seed,
                             std::vector<bool>& wrong)
{
    std::mt19937_64 random(seed);
    std::vector<int> order(truth.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), random);
    const auto flips = static_cast<std::size_t>(std::llround(noise * static_cast<double>(truth.size())));
    std::vector<int> labels = truth;
    wrong.assign(truth.size(), false);
    std::uniform_int_distribution<int> other(1, classes - 1);
    for (std::size_t r = 0; r < flips; ++r) {
        const auto i = static_cast<std::size_t>(order[r]);
        labels[i] = (truth[i] + other(random)) % classes;
        wrong[i] = true;
    }
    return labels;
}

// Area under the ROC curve of `score` for `positive`, ties counted half (the Mann-Whitney U
// statistic from average ranks).
double auroc(const std::vector<double>& score, const std::vector<bool>& positive)
{
    std::vector<std::size_t> order(score.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
    double rankSum = 0, positives = 0;
    for (std::size_t start = 0; start < order.size();) {
        std::size_t end = start;
        while (end < order.size() && score[order[end]] == score[order[start]])
            ++end;
        const double rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of ranks start+1 .. end
        for (std::size_t r = start; r < end; ++r)
            if (positive[order[r]]) {
                rankSum += rank;
                positives += 1;
            }
        start = end;
    }
    const double negatives = static_cast<double>(score.size()) - positives;
    return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

double accuracy(const RowMatrixXf& probabilities, const std::vector<int>& truth)
{
    const std::vector<int> predicted = rowArgmax(probabilities);
    std::size_t right = 0;
    for (std::size_t i = 0; i < truth.size(); ++i)
        right += predicted[i] == truth[i] ? 1 : 0;
    return static_cast<double>(right) / static_cast<double>(truth.size());
}

std::vector<int> allRows(int n)
{
    std::vector<int> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

double share(const std::vector<int>& items, const std::vector<bool>& wrong)
{
    std::size_t hits = 0;
    for (int i : items)
        hits += wrong[static_cast<std::size_t>(i)] ? 1 : 0;
    return items.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(items.size());
}

struct Row {
    std::string what;
    int trainedOn = 0;
    double testAccuracy = std::nan("");
    double auroc = std::nan("");
    double excludedWrong = std::nan("");  // share of the left-out items whose label is wrong
    double seconds = 0;
    double cpuSeconds = 0;
};

std::string percent(double value, int digits = 2)
{
    if (!std::isfinite(value))
        return "";
    char text[32];
    std::snprintf(text, sizeof text, "%.*f %%", digits, 100.0 * value);
    return text;
}

std::string fixed(double value, int digits)
{
    if (!std::isfinite(value))
        return "";
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

std::string thousands(long long value)
{
    std::string digits = std::to_string(value), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    try {
        configureTorchThreads(options.train.threads);
        const double loadStart = now();
        const FashionSplit train = readSplit(options.fashionDir, "train", options.limit, options.spec.name == "mlp");
        const FashionSplit test = readSplit(options.fashionDir, "t10k", 0, options.spec.name == "mlp");
        const int classes = 10;
        const int n = train.input.count();
        std::vector<bool> wrong;
        Targets noisy;
        noisy.labels = noisyLabels(train.truth, classes, options.noise, options.noiseSeed, wrong);
        const auto wrongCount = std::count(wrong.begin(), wrong.end(), true);
        const double loadSeconds = now() - loadStart;

        TrainConfig plain = options.train;
        plain.dataParams = DataParamsConfig{};
        const TrainConfig withDp = options.train;
        const DataParamsConfig& dp = withDp.dataParams;
        std::string model = options.spec.name;
        if (model == "mlp") {
            model += " ";
            for (std::size_t h = 0; h < options.spec.hidden.size(); ++h)
                model += (h ? "-" : "") + std::to_string(options.spec.hidden[h]);
        } else {
            model += " width " + std::to_string(options.spec.width);
        }
        std::printf("Fashion-MNIST: %s training images (%lld labels flipped to another class, %.1f %%, noise seed %llu), "
                    "%s test images; read in %.2f s\n",
                    thousands(n).c_str(), static_cast<long long>(wrongCount), 100.0 * static_cast<double>(wrongCount) / n,
                    static_cast<unsigned long long>(options.noiseSeed), thousands(test.input.count()).c_str(), loadSeconds);
        std::printf("model %s, %s lr %g, batch %d, %d epochs, seed %llu, %d torch thread(s); Data Parameters: instance "
                    "(init %g, lr %g, wd %g)%s\n",
                    model.c_str(), optimizerName(plain.optimizer), plain.learningRate, plain.batchSize, plain.epochs,
                    static_cast<unsigned long long>(plain.seed), plain.threads, dp.initInstance, dp.lrInstance,
                    dp.weightDecayInstance, dp.classLevel ? (" + class (lr " + fixed(dp.lrClass, 3) + ")").c_str() : "");
        std::fflush(stdout);

        std::vector<Row> rows;
        json report = {{"noise", options.noise},
                       {"wrong_labels", wrongCount},
                       {"train_items", n},
                       {"model", model},
                       {"epochs", plain.epochs}};
        auto timed = [&](Row row, const auto& work) {
            const double start = now(), cpuStart = cpuNow();
            work(row);
            row.seconds = now() - start;
            row.cpuSeconds = cpuNow() - cpuStart;
            if (!options.quiet) {
                std::printf("  %-58s %6s items  test %8s  AUROC %6s  left-out wrong %8s  %7.1f s\n", row.what.c_str(),
                            thousands(row.trainedOn).c_str(), percent(row.testAccuracy).c_str(), fixed(row.auroc, 4).c_str(),
                            percent(row.excludedWrong, 1).c_str(), row.seconds);
                std::fflush(stdout);
            }
            rows.push_back(row);
            return rows.back();
        };
        auto retrain = [&](const std::string& what, const std::vector<int>& leftOut) {
            timed({what}, [&](Row& row) {
                const Targets kept = withoutItems(noisy, leftOut);
                const TrainOutcome outcome = trainModel(train.input, kept, classes, options.spec, plain, 1);
                row.trainedOn = n - static_cast<int>(leftOut.size());
                row.testAccuracy = accuracy(outcome.model->predict(test.input, allRows(test.input.count())), test.truth);
                row.excludedWrong = share(leftOut, wrong);
            });
        };

        // (a) plain training on the noisy labels.
        timed({"plain training on the noisy labels"}, [&](Row& row) {
            const TrainOutcome outcome = trainModel(train.input, noisy, classes, options.spec, plain, 1);
            row.trainedOn = n;
            row.testAccuracy = accuracy(outcome.model->predict(test.input, allRows(test.input.count())), test.truth);
        });

        // (b) Data Parameters, (c) the AUROC of its sigma rankings.
        TrainResult dpFit;
        timed({"Data Parameters (instance" + std::string(dp.classLevel ? " + class" : "") + ")"}, [&](Row& row) {
            const DataParamsOutcome outcome = trainDataParams(train.input, noisy, classes, options.spec, withDp);
            row.trainedOn = n;
            row.testAccuracy = accuracy(outcome.model->predict(test.input, allRows(test.input.count())), test.truth);
            dpFit = outcome.fit;
        });
        const std::size_t epochs = dpFit.history.size();
        std::vector<double> perEpochAuroc;
        std::vector<double> meanLog(static_cast<std::size_t>(n), 0.0);
        const double aurocStart = now();
        for (std::size_t e = 0; e < epochs; ++e) {
            std::vector<double> column(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < column.size(); ++i) {
                column[i] = dpFit.instanceSigma[i * epochs + e];
                meanLog[i] += std::log(column[i]) / static_cast<double>(epochs);
            }
            perEpochAuroc.push_back(auroc(column, wrong));
        }
        const double meanLogAuroc = auroc(meanLog, wrong);
        const double aurocSeconds = now() - aurocStart;
        const auto bestEpoch = static_cast<std::size_t>(
            std::max_element(perEpochAuroc.begin(), perEpochAuroc.end()) - perEpochAuroc.begin());
        std::printf("\n  epoch  train loss  train acc (noisy)  sigma AUROC  median sigma wrong / right\n");
        for (std::size_t e = 0; e < epochs; ++e) {
            std::vector<float> wrongSigma, rightSigma;
            for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
                (wrong[i] ? wrongSigma : rightSigma).push_back(dpFit.instanceSigma[i * epochs + e]);
            auto median = [](std::vector<float>& v) {
                std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
                return static_cast<double>(v[v.size() / 2]);
            };
            const EpochRecord& record = dpFit.history[e];
            std::printf("  %5d  %10.4f  %17.4f  %11.4f  %8.3f / %.3f\n", record.epoch, record.trainLoss,
                        record.trainAccuracy, perEpochAuroc[e], median(wrongSigma), median(rightSigma));
        }
        std::printf("  AUROC of the sigma ranking: last epoch %.4f, best epoch %zu %.4f, mean log sigma over epochs %.4f "
                    "(%.2f s for all)\n\n",
                    perEpochAuroc.back(), bestEpoch + 1, perEpochAuroc[bestEpoch], meanLogAuroc, aurocSeconds);
        rows.push_back({"sigma ranking, last epoch", n, std::nan(""), perEpochAuroc.back()});
        rows.push_back({"sigma ranking, epoch " + std::to_string(bestEpoch + 1) + " (best)", n, std::nan(""),
                        perEpochAuroc[bestEpoch]});
        rows.push_back({"sigma ranking, mean log sigma over epochs", n, std::nan(""), meanLogAuroc, std::nan(""),
                        aurocSeconds});
        report["sigma_auroc_per_epoch"] = perEpochAuroc;

        // (d) self-confidence from out-of-fold probabilities.
        if (options.cv) {
            timed({"self-confidence, " + std::to_string(options.folds) + "-fold out-of-fold 1 - p[label]"}, [&](Row& row) {
                TrainConfig crossValidation = plain;
                crossValidation.threads = options.cvThreads;
                const TrainOutcome outcome =
                    trainModel(train.input, noisy, classes, options.spec, crossValidation, options.folds);
                const ProbabilityMatrix p = outcome.result.probabilities.cast<double>();
                const Eigen::VectorXd quality = labelQualityScores(noisy.labels, p, LabelQualityMethod::SelfConfidence);
                std::vector<double> score(static_cast<std::size_t>(n));
                for (int i = 0; i < n; ++i)
                    score[static_cast<std::size_t>(i)] = 1.0 - quality[i];
                row.trainedOn = n;
                row.auroc = auroc(score, wrong);
            });
        }

        // (e) the subset retrains.
        for (std::size_t f = 0; f < options.fractions.size(); ++f) {
            const double fraction = options.fractions[f];
            retrain("retrain without the top " + fixed(100 * fraction, 0) + " % by last-epoch sigma",
                    topSigmaItems(dpFit.instanceSigma, epochs, fraction, 0));
            if (f == 0) {
                const std::vector<float> meanLogColumn(meanLog.begin(), meanLog.end());
                retrain("retrain without the top " + fixed(100 * fraction, 0) + " % by mean log sigma",
                        topSigmaItems(meanLogColumn, 1, fraction, 0));
            }
        }
        if (options.oracle) {
            std::vector<int> mislabelled;
            for (int i = 0; i < n; ++i)
                if (wrong[static_cast<std::size_t>(i)])
                    mislabelled.push_back(i);
            retrain("oracle: retrain without exactly the mislabelled items", mislabelled);
        }

        std::printf("\n| part | items trained on | clean test accuracy | AUROC (label is wrong) | left out that are wrong | "
                    "seconds | CPU s |\n|---|---:|---:|---:|---:|---:|---:|\n");
        json table = json::array();
        for (const Row& row : rows) {
            std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", row.what.c_str(), thousands(row.trainedOn).c_str(),
                        percent(row.testAccuracy).c_str(), fixed(row.auroc, 4).c_str(), percent(row.excludedWrong, 1).c_str(),
                        row.seconds > 0 ? fixed(row.seconds, 1).c_str() : "",
                        row.cpuSeconds > 0 ? fixed(row.cpuSeconds, 1).c_str() : "");
            table.push_back({{"part", row.what},
                             {"trained_on", row.trainedOn},
                             {"test_accuracy", std::isfinite(row.testAccuracy) ? json(row.testAccuracy) : json(nullptr)},
                             {"auroc", std::isfinite(row.auroc) ? json(row.auroc) : json(nullptr)},
                             {"left_out_wrong", std::isfinite(row.excludedWrong) ? json(row.excludedWrong) : json(nullptr)},
                             {"seconds", row.seconds},
                             {"cpu_seconds", row.cpuSeconds}});
        }
        double total = 0;
        for (const Row& row : rows)
            total += row.seconds;
        std::printf("\ntotal %.1f s; AUROC target >= 0.95: %s (best sigma ranking %.4f)\n", total,
                    std::max({perEpochAuroc[bestEpoch], meanLogAuroc}) >= 0.95 ? "met" : "not met",
                    std::max({perEpochAuroc[bestEpoch], meanLogAuroc}));
        report["rows"] = table;
        report["total_seconds"] = total;
        if (!options.jsonPath.empty()) {
            std::ofstream out(options.jsonPath);
            out << report.dump(2) << "\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_dataparams: %s\n", e.what());
        return 1;
    }
}
