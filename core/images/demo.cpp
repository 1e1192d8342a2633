#include "images/demo.h"


#include "images/idx.h"
#include "util/error.h"
#include "util/random.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

constexpr const char* generatorName = "crowdsift-demo";
constexpr int classCount = 10;
constexpr int imageSide = 28;
constexpr int upperBody[] = {0, 2, 4, 6};

constexpr double reliableLow = 0.85, reliableHigh = 0.95;
constexpr double sloppyLow = 0.60, sloppyHigh = 0.70;
constexpr double confuserLow = 0.88, confuserHigh = 0.95;
constexpr double confuserGroupLow = 0.10, confuserGroupHigh = 0.30;
constexpr double reliableWeightLow = 0.3, reliableWeightHigh = 1.0;
constexpr double sloppyWeightLow = 1.0, sloppyWeightHigh = 2.5;
constexpr double confuserWeightLow = 0.5, confuserWeightHigh = 2.0;
constexpr double spammerWeight = 2.0;

using Rng = PortableRandom;

struct Composition {
    int reliable = 0, sloppy = 0, confusers = 0, randomSpammers = 1, constantSpammers = 1;
};

Composition composition(int annotatorCount)
{
    Composition c;
    c.confusers = static_cast<int>(std::lround(annotatorCount * 0.3));
    c.sloppy = static_cast<int>(std::lround(annotatorCount * 0.4));
    c.reliable = annotatorCount - c.confusers - c.sloppy - c.randomSpammers - c.constantSpammers;
    return c;
}

bool isUpperBody(int label)
{
    return std::find(std::begin(upperBody), std::end(upperBody), label) != std::end(upperBody);
}

void validateOptions(const DemoOptions& options)
{
    const std::string file = "demo options";
    if (options.itemCount < 1)
        throw InputError(file, "item count", "must be at least 1, got " + std::to_string(options.itemCount));
    if (options.annotatorCount < 8 || options.annotatorCount > 100000)
        throw InputError(file, "annotator count",
                         "must lie in [8, 100000], got " + std::to_string(options.annotatorCount));
    if (options.minVotes < 1 || options.maxVotes < options.minVotes || options.maxVotes > options.annotatorCount)
        throw InputError(file, "votes per image",
                         "need 1 <= min <= max <= annotator count, got " + std::to_string(options.minVotes)
                             + ".." + std::to_string(options.maxVotes));
}

int wrongLabel(Rng& rng, int truth)
{
    const int other = static_cast<int>(rng.below(classCount - 1));
    return other >= truth ? other + 1 : other;
}

int vote(const DemoAnnotator& annotator, int truth, Rng& rng)
{
    switch (annotator.kind) {
    case DemoAnnotatorKind::RandomSpammer:
        return static_cast<int>(rng.below(classCount));
    case DemoAnnotatorKind::ConstantSpammer:
        return annotator.constantLabel;
    case DemoAnnotatorKind::Confuser:
        if (isUpperBody(truth))
            return rng.uniform() < annotator.groupAccuracy ? truth : annotator.confusedWith[truth];
        break;
    case DemoAnnotatorKind::Reliable:
    case DemoAnnotatorKind::Sloppy:
        break;
    }
    return rng.uniform() < annotator.accuracy ? truth : wrongLabel(rng, truth);
}

// Identity outside the upper body, a derangement (no class maps to itself) inside it.
std::vector<int> drawConfusion(Rng& rng)
{
    constexpr int n = static_cast<int>(std::size(upperBody));
    int order[n];
    for (;;) {
        std::copy(std::begin(upperBody), std::end(upperBody), order);
        for (int i = n; i > 1; --i)
            std::swap(order[i - 1], order[rng.below(i)]);
        bool deranged = true;
        for (int i = 0; i < n; ++i)
            deranged = deranged && order[i] != upperBody[i];
        if (deranged)
            break;
    }
    std::vector<int> confusion(classCount);
    for (int k = 0; k < classCount; ++k)
        confusion[k] = k;
    for (int i = 0; i < n; ++i)
        confusion[upperBody[i]] = order[i];
    return confusion;
}

std::vector<DemoAnnotator> drawAnnotators(Rng& rng, int annotatorCount)
{
    const Composition c = composition(annotatorCount);
    std::vector<DemoAnnotator> annotators;
    annotators.reserve(annotatorCount);
    auto add = [&](DemoAnnotatorKind kind, int count, double low, double high, double weightLow,
                   double weightHigh) {
        for (int i = 0; i < count; ++i) {
            DemoAnnotator a;
            a.kind = kind;
            a.accuracy = rng.uniform(low, high);
            a.weight = rng.uniform(weightLow, weightHigh);
            annotators.push_back(a);
        }
    };
    add(DemoAnnotatorKind::Reliable, c.reliable, reliableLow, reliableHigh, reliableWeightLow, reliableWeightHigh);
    add(DemoAnnotatorKind::Sloppy, c.sloppy, sloppyLow, sloppyHigh, sloppyWeightLow, sloppyWeightHigh);
    const std::size_t firstConfuser = annotators.size();
    add(DemoAnnotatorKind::Confuser, c.confusers, confuserLow, confuserHigh, confuserWeightLow, confuserWeightHigh);
    for (std::size_t i = firstConfuser; i < annotators.size(); ++i) {
        annotators[i].groupAccuracy = rng.uniform(confuserGroupLow, confuserGroupHigh);
        annotators[i].confusedWith = drawConfusion(rng);
    }
    for (int i = 0; i < c.randomSpammers; ++i) {
        DemoAnnotator a;
        a.kind = DemoAnnotatorKind::RandomSpammer;
        a.accuracy = 1.0 / classCount;
        a.weight = spammerWeight;
        annotators.push_back(a);
    }
    for (int i = 0; i < c.constantSpammers; ++i) {
        DemoAnnotator a;
        a.kind = DemoAnnotatorKind::ConstantSpammer;
        a.constantLabel = static_cast<int>(rng.below(classCount));
        a.weight = spammerWeight;
        annotators.push_back(a);
    }
    for (std::size_t i = annotators.size(); i > 1; --i)
        std::swap(annotators[i - 1], annotators[rng.below(i)]);
    return annotators;
}

std::string formatFixed(double value, int decimals)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

struct FashionTest {
    std::vector<std::uint8_t> pixels;  // N x 28 x 28, row-major
    std::vector<std::int32_t> labels;  // N
};

FashionTest readFashionTest(const std::string& dir, int itemCount)
{
    const std::string imagesPath = (fs::path(dir) / "t10k-images-idx3-ubyte.gz").string();
    const std::string labelsPath = (fs::path(dir) / "t10k-labels-idx1-ubyte.gz").string();
    for (const std::string& path : {imagesPath, labelsPath}) {
        std::error_code error;
        if (!fs::is_regular_file(path, error))
            throw InputError(path, "",
                             "Fashion-MNIST file not found; install the Debian package dataset-fashion-mnist "
                             "or point the demo at a folder holding the t10k IDX files");
    }
    IdxArray images = readIdxUbyte(imagesPath, 3);
    const IdxArray labels = readIdxUbyte(labelsPath, 1);
    if (images.dims[1] != imageSide || images.dims[2] != imageSide)
        throw InputError(imagesPath, "header",
                         "images are " + std::to_string(images.dims[1]) + " x " + std::to_string(images.dims[2])
                             + ", expected 28 x 28");
    if (images.dims[0] != labels.dims[0])
        throw InputError(labelsPath, "header",
                         std::to_string(labels.dims[0]) + " labels for " + std::to_string(images.dims[0]) + " images");
    if (itemCount > images.dims[0])
        throw InputError(imagesPath, "",
                         "holds " + std::to_string(images.dims[0]) + " images, fewer than the "
                             + std::to_string(itemCount) + " asked for");

    FashionTest data;
    data.labels.resize(itemCount);
    for (int i = 0; i < itemCount; ++i) {
        const int label = labels.data[i];
        if (label >= classCount)
            throw InputError(labelsPath, "label " + std::to_string(i),
                             "value " + std::to_string(label) + " is not a Fashion-MNIST class (0..9)");
        data.labels[i] = label;
    }
    images.data.resize(static_cast<std::size_t>(itemCount) * imageSide * imageSide);
    data.pixels = std::move(images.data);
    return data;
}

void writeText(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out)
        throw InputError(path.string(), "", "cannot write");
}

std::string imageName(const std::string& className, int task)
{
    return className + "-" + std::to_string(task) + ".png";
}

// Writes the PNGs on `threads` threads (the calling one included); only the calling thread
// reports progress, so the callback runs where Progress promises.
void writeImages(const fs::path& root, const FashionTest& data, const std::vector<std::string>& classNames,
                 int threads, Progress& progress)
{
    const int n = static_cast<int>(data.labels.size());
    constexpr int chunk = 64;
    const std::vector<int> pngParams = {cv::IMWRITE_PNG_COMPRESSION, 6};
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::atomic<bool> stop{false};
    std::exception_ptr failure;
    std::mutex failureMutex;

    auto fail = [&](std::exception_ptr error) {
        std::lock_guard<std::mutex> lock(failureMutex);
        if (!failure)
            failure = error;
        stop.store(true);
    };
    auto runChunk = [&]() -> bool {
        const int begin = next.fetch_add(chunk);
        if (begin >= n)
            return false;
        const int end = std::min(begin + chunk, n);
        for (int i = begin; i < end; ++i) {
            const std::string& className = classNames[data.labels[i]];
            const fs::path path = root / className / imageName(className, i);
            const cv::Mat image(imageSide, imageSide, CV_8UC1,
                                const_cast<std::uint8_t*>(data.pixels.data() + std::size_t(i) * imageSide * imageSide));
            bool written = false;
            try {
                written = cv::imwrite(path.string(), image, pngParams);
            } catch (const cv::Exception& error) {
                throw InputError(path.string(), "", std::string("cannot write PNG: ") + error.what());
            }
            if (!written)
                throw InputError(path.string(), "", "cannot write PNG");
        }
        done.fetch_add(end - begin);
        return true;
    };
    auto worker = [&]() {
        try {
            while (!stop.load() && !progress.isCancelled() && runChunk()) {
            }
        } catch (...) {
            fail(std::current_exception());
        }
    };

    std::vector<std::thread> helpers;
    try {
        for (int t = 1; t < threads; ++t)
            helpers.emplace_back(worker);
        progress.step(0, n, "writing images");
        while (!stop.load() && runChunk())
            progress.step(done.load(), n, "writing images");
    } catch (...) {
        fail(std::current_exception());
    }
    for (std::thread& helper : helpers)
        helper.join();
    if (failure)
        std::rethrow_exception(failure);
    progress.step(n, n, "writing images");
}

std::string partialToken()
{
    std::random_device device;
    const std::uint64_t value = (std::uint64_t(device()) << 32) ^ device();
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
    return buffer;
}

bool isEarlierDemo(const fs::path& folder)
{
    std::ifstream in(folder / "crowd.json");
    if (!in)
        return false;
    const nlohmann::json crowd = nlohmann::json::parse(in, nullptr, false);
    return crowd.is_object() && crowd.value("generator", std::string()) == generatorName;
}

enum class Target { Absent, EmptyFolder, EarlierDemo };

// What is at outFolder now, or throws when it must not be touched.
Target inspectTarget(const fs::path& out, bool replaceExisting)
{
    std::error_code error;
    const fs::file_status status = fs::status(out, error);
    if (!fs::exists(status))
        return Target::Absent;
    if (!fs::is_directory(status))
        throw InputError(out.string(), "", "exists and is not a folder; choose another output folder");
    if (fs::is_empty(out, error) && !error)
        return Target::EmptyFolder;
    if (!replaceExisting)
        throw InputError(out.string(), "",
                         "folder exists and is not empty; choose a new folder, or allow replacing an earlier demo");
    if (!isEarlierDemo(out))
        throw InputError(out.string(), "",
                         "folder is not an earlier Crowdsift demo (no crowd.json from this generator); "
                         "refusing to replace it");
    return Target::EarlierDemo;
}

void commit(const fs::path& partial, const fs::path& out, bool replaceExisting)
{
    switch (inspectTarget(out, replaceExisting)) {
    case Target::Absent:
        fs::rename(partial, out);
        break;
    case Target::EmptyFolder:
        fs::remove(out);
        fs::rename(partial, out);
        break;
    case Target::EarlierDemo: {
        fs::path old = out;
        old += ".old-" + partialToken();
        fs::rename(out, old);
        fs::rename(partial, out);
        std::error_code ignored;
        fs::remove_all(old, ignored);
        break;
    }
    }
}

// {task: {worker: label}} laid out as nlohmann's dump(2), written directly: ids are decimal
// integers, so nothing needs escaping, and building an ordered_json of 10k tasks costs quadratic
// key look-ups.
std::string answersJson(const std::vector<Answer>& answers)
{
    std::string text = "{";
    for (std::size_t k = 0; k < answers.size(); ++k) {
        const Answer& answer = answers[k];
        const bool firstOfItem = k == 0 || answers[k - 1].item != answer.item;
        if (firstOfItem)
            text += std::string(k == 0 ? "" : "\n  },") + "\n  \"" + std::to_string(answer.item) + "\": {";
        text += std::string(firstOfItem ? "" : ",") + "\n    \"" + std::to_string(answer.annotator)
            + "\": " + std::to_string(answer.label);
    }
    text += answers.empty() ? "}\n" : "\n  }\n}\n";
    return text;
}

nlohmann::ordered_json crowdJson(const DemoOptions& options, const DemoCrowd& crowd, const std::string& source,
                                 double mvAccuracy)
{
    std::vector<int> answerCounts(crowd.annotators.size(), 0);
    for (const Answer& answer : crowd.answers)
        ++answerCounts[answer.annotator];

    nlohmann::ordered_json annotators = nlohmann::ordered_json::array();
    for (std::size_t a = 0; a < crowd.annotators.size(); ++a) {
        const DemoAnnotator& annotator = crowd.annotators[a];
        nlohmann::ordered_json entry;
        entry["id"] = std::to_string(a);
        entry["kind"] = demoAnnotatorKindName(annotator.kind);
        switch (annotator.kind) {
        case DemoAnnotatorKind::Reliable:
        case DemoAnnotatorKind::Sloppy:
        case DemoAnnotatorKind::RandomSpammer:
            entry["accuracy"] = annotator.accuracy;
            break;
        case DemoAnnotatorKind::Confuser:
            entry["accuracy"] = annotator.accuracy;
            entry["upper_body_accuracy"] = annotator.groupAccuracy;
            for (int k : upperBody)
                entry["confuses"][std::to_string(k)] = annotator.confusedWith[k];
            break;
        case DemoAnnotatorKind::ConstantSpammer:
            entry["label"] = annotator.constantLabel;
            break;
        }
        entry["weight"] = annotator.weight;
        entry["answers"] = answerCounts[a];
        annotators.push_back(entry);
    }

    nlohmann::ordered_json json;
    json["generator"] = generatorName;
    json["version"] = 1;
    json["seed"] = options.seed;
    json["source"] = source;
    json["items"] = options.itemCount;
    json["classes"] = demoClassNames();
    json["upper_body_classes"] = demoUpperBodyClasses();
    json["votes_per_item"] = {options.minVotes, options.maxVotes};
    json["majority_vote_accuracy"] = mvAccuracy;
    json["annotators"] = annotators;
    json["description"] = demoCrowdDescription(options);
    return json;
}

}  // namespace

const char* demoAnnotatorKindName(DemoAnnotatorKind kind)
{
    switch (kind) {
    case DemoAnnotatorKind::Reliable: return "reliable";
    case DemoAnnotatorKind::Sloppy: return "sloppy";
    case DemoAnnotatorKind::Confuser: return "confuser";
    case DemoAnnotatorKind::RandomSpammer: return "random_spammer";
    case DemoAnnotatorKind::ConstantSpammer: return "constant_spammer";
    }
    return "unknown";
}

std::vector<std::string> demoClassNames()
{
    return {"0_tshirt_top", "1_trouser", "2_pullover", "3_dress", "4_coat",
            "5_sandal", "6_shirt", "7_sneaker", "8_bag", "9_ankle_boot"};
}

std::vector<int> demoUpperBodyClasses()
{
    return {std::begin(upperBody), std::end(upperBody)};
}

std::string demoCrowdDescription(const DemoOptions& options)
{
    const Composition c = composition(options.annotatorCount);
    auto range = [](double low, double high) { return "U[" + formatFixed(low, 2) + ", " + formatFixed(high, 2) + "]"; };
    auto row = [](const std::string& kind, const std::string& count, const std::string& right,
                  const std::string& wrong, const std::string& weight) {
        char buffer[256];
        std::snprintf(buffer, sizeof buffer, "  %-17s %5s  %-30s %-22s %s", kind.c_str(), count.c_str(), right.c_str(),
                      wrong.c_str(), weight.c_str());
        std::string line = buffer;
        line.erase(line.find_last_not_of(' ') + 1);
        return line + "\n";
    };

    std::ostringstream text;
    text << "Fashion-MNIST demo: the first " << options.itemCount
         << " t10k test images, labelled by a simulated crowd of " << options.annotatorCount
         << " annotators (seed " << options.seed << "). Each image gets " << options.minVotes << " to "
         << options.maxVotes
         << " votes from distinct annotators, drawn in proportion to each annotator's workload weight. "
            "\"Upper body\" is T-shirt/top, Pullover, Coat and Shirt (labels 0, 2, 4, 6). Confusers are good "
            "elsewhere, but on an upper-body image they mostly answer with their own fixed swap of these four "
            "classes (a derangement drawn by the seed, e.g. Shirt -> Coat, Coat -> T-shirt/top). Majority vote "
            "loses much of the upper-body classes; a per-annotator confusion model (Dawid-Skene) recovers them.\n\n";
    const std::string uniformOther = "uniform, other 9";
    text << row("kind", "count", "right answer with probability", "wrong answers", "weight");
    text << row("reliable", std::to_string(c.reliable), range(reliableLow, reliableHigh), uniformOther,
                range(reliableWeightLow, reliableWeightHigh));
    text << row("sloppy", std::to_string(c.sloppy), range(sloppyLow, sloppyHigh), uniformOther,
                range(sloppyWeightLow, sloppyWeightHigh));
    text << row("confuser", std::to_string(c.confusers), range(confuserLow, confuserHigh) + " elsewhere",
                uniformOther, range(confuserWeightLow, confuserWeightHigh));
    text << row("", "", range(confuserGroupLow, confuserGroupHigh) + " upper body", "its own swap", "");
    text << row("random spammer", std::to_string(c.randomSpammers), "0.10 (every label alike)", "-",
                formatFixed(spammerWeight, 2));
    text << row("constant spammer", std::to_string(c.constantSpammers), "one label, drawn by the seed", "-",
                formatFixed(spammerWeight, 2));
    return text.str();
}

DemoCrowd simulateDemoCrowd(const std::vector<std::int32_t>& truth, const DemoOptions& options)
{
    validateOptions(options);
    Rng rng(options.seed);
    DemoCrowd crowd;
    crowd.annotators = drawAnnotators(rng, options.annotatorCount);

    const int m = options.annotatorCount;
    const int spread = options.maxVotes - options.minVotes + 1;
    std::vector<double> weights(m);
    std::vector<int> chosen;
    crowd.answers.reserve(truth.size() * static_cast<std::size_t>(options.maxVotes));
    for (std::size_t item = 0; item < truth.size(); ++item) {
        const int label = truth[item];
        if (label < 0 || label >= classCount)
            throw std::invalid_argument("simulateDemoCrowd: truth label out of [0, 10)");
        const int votes = options.minVotes + static_cast<int>(rng.below(spread));
        double total = 0.0;
        for (int a = 0; a < m; ++a) {
            weights[a] = crowd.annotators[a].weight;
            total += weights[a];
        }
        chosen.clear();
        for (int v = 0; v < votes; ++v) {
            const double target = rng.uniform() * total;
            double cumulative = 0.0;
            int pick = -1;
            for (int a = 0; a < m; ++a) {
                if (weights[a] <= 0.0)
                    continue;
                pick = a;
                cumulative += weights[a];
                if (target < cumulative)
                    break;
            }
            total -= weights[pick];
            weights[pick] = 0.0;
            chosen.push_back(pick);
        }
        std::sort(chosen.begin(), chosen.end());
        for (int a : chosen)
            crowd.answers.push_back({static_cast<std::int32_t>(item), a, vote(crowd.annotators[a], label, rng), false});
    }
    return crowd;
}

double majorityVoteAccuracy(const std::vector<Answer>& answers, const std::vector<std::int32_t>& truth,
                            int classCount)
{
    if (truth.empty())
        return 0.0;
    std::vector<int> counts(static_cast<std::size_t>(classCount) * truth.size(), 0);
    for (const Answer& answer : answers)
        if (!answer.complementary)
            ++counts[std::size_t(answer.item) * classCount + answer.label];
    double correct = 0.0;
    for (std::size_t item = 0; item < truth.size(); ++item) {
        const int* row = counts.data() + item * classCount;
        const int best = *std::max_element(row, row + classCount);
        if (best == 0 || row[truth[item]] != best)
            continue;
        correct += 1.0 / static_cast<double>(std::count(row, row + classCount, best));
    }
    return correct / static_cast<double>(truth.size());
}

DemoResult buildDemo(const std::string& outFolder, const DemoOptions& options, Progress& progress)
{
    validateOptions(options);
    fs::path out = fs::absolute(fs::path(outFolder)).lexically_normal();
    if (out.filename().empty())
        out = out.parent_path();
    inspectTarget(out, options.replaceExisting);

    progress.stage("reading Fashion-MNIST");
    const FashionTest data = readFashionTest(options.fashionDir, options.itemCount);
    progress.stage("simulating the crowd");
    const DemoCrowd crowd = simulateDemoCrowd(data.labels, options);
    const double mvAccuracy = majorityVoteAccuracy(crowd.answers, data.labels, classCount);
    const std::vector<std::string> classNames = demoClassNames();

    fs::path partial = out.parent_path() / ("." + out.filename().string() + ".partial-" + partialToken());
    try {
        std::error_code error;
        fs::create_directories(out.parent_path(), error);
        if (!fs::create_directory(partial, error) || error)
            throw InputError(partial.string(), "", "cannot create folder: " + error.message());
        for (const std::string& name : classNames)
            fs::create_directories(partial / "train" / name);

        progress.stage("writing answers");
        writeText(partial / "answers.json", answersJson(crowd.answers));

        nlohmann::ordered_json metadata;
        metadata["name"] = "fashion-mnist-demo";
        metadata["n_classes"] = classCount;
        metadata["n_workers"] = options.annotatorCount;
        metadata["n_tasks"] = options.itemCount;
        writeText(partial / "metadata.json", metadata.dump(2) + "\n");

        std::string truthCsv = "task,label\n";
        for (int i = 0; i < options.itemCount; ++i)
            truthCsv += std::to_string(i) + "," + std::to_string(data.labels[i]) + "\n";
        writeText(partial / "truth.csv", truthCsv);

        const std::string source = (fs::path(options.fashionDir) / "t10k-images-idx3-ubyte.gz").string();
        writeText(partial / "crowd.json", crowdJson(options, crowd, source, mvAccuracy).dump(2) + "\n");

        writeImages(partial / "train", data, classNames, std::max(1, options.threads), progress);
        progress.check();
        commit(partial, out, options.replaceExisting);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        throw;
    }

    DemoResult result;
    result.items = options.itemCount;
    result.annotators = options.annotatorCount;
    result.answers = static_cast<int>(crowd.answers.size());
    result.classes = classCount;
    result.majorityVoteAccuracy = mvAccuracy;
    result.folder = out.string();
    return result;
}

}  // namespace crowdsift
