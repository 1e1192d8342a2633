// Import benchmark: generates a long CSV (task,worker,label) and measures, in one process, reading
// its bytes (the I/O floor), parsing it with readDataset, creating a project from the dataset and
// loading the project back. See bench/README.md.

#include "data/dataset.h"
#include "data/formats.h"
#include "project/store.h"
#include "util/progress.h"
#include "util/random.h"

#include "bench_common.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace crowdsift;
using crowdsift::bench::procStatusMb;

namespace {

constexpr int annotatorsPerItem = 10;
constexpr int annotatorCount = 1000;
constexpr int classCount = 10;
constexpr std::uint64_t seed = 20261122;
constexpr double targetImportSeconds = 3.0;
constexpr double targetPeakMb = 300.0;

struct Options {
    std::int64_t answers = 1000000;
    bool keep = false;
    // Reset the peak before each stage (Linux clear_refs). This also resets ru_maxrss, so the
    // whole-process figures then cover only the last stage; off by default.
    bool stagePeaks = false;
};

[[noreturn]] void usage(const char* program, const std::string& problem)
{
    std::fprintf(stderr, "%s: %s\nusage: %s [--answers N] [--keep] [--stage-peaks]\n", program, problem.c_str(), program);
    std::exit(2);
}

Options parseArgs(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--keep") {
            options.keep = true;
        } else if (arg == "--stage-peaks") {
            options.stagePeaks = true;
        } else if (arg == "--answers" && i + 1 < argc) {
            const std::string value = argv[++i];
            char* end = nullptr;
            const double n = std::strtod(value.c_str(), &end);
            if (end == value.c_str() || *end != '\0' || n < annotatorsPerItem || n > 5e8)
                usage(argv[0], "--answers takes a count from 10 to 5e8 (1e6 and 1000000 both work), got " + value);
            options.answers = static_cast<std::int64_t>(n);
        } else {
            usage(argv[0], "unknown argument " + arg);
        }
    }
    return options;
}

using Rng = PortableRandom;

// answers / 10 items, each labelled by 10 distinct annotators out of 1000 (each right with an
// accuracy drawn from [0.5, 0.95], otherwise uniform), rows item-major, annotators in draw order.
// Returns the item count.
std::int64_t generateCsv(const fs::path& path, std::int64_t answers)
{
    Rng rng(seed);
    std::vector<double> accuracy(annotatorCount);
    for (double& a : accuracy)
        a = 0.5 + 0.45 * rng.uniform();
    const std::int64_t items = (answers + annotatorsPerItem - 1) / annotatorsPerItem;

    std::ofstream out(path, std::ios::binary);
    std::string buffer = "task,worker,label\n";
    buffer.reserve(1 << 20);
    std::int64_t written = 0;
    int chosen[annotatorsPerItem];
    for (std::int64_t item = 0; item < items && written < answers; ++item) {
        const int truth = static_cast<int>(rng.below(classCount));
        const int votes = static_cast<int>(std::min<std::int64_t>(annotatorsPerItem, answers - written));
        for (int v = 0; v < votes; ++v) {
            int worker;
            do
                worker = static_cast<int>(rng.below(annotatorCount));
            while (std::find(chosen, chosen + v, worker) != chosen + v);
            chosen[v] = worker;
            int label = truth;
            if (rng.uniform() >= accuracy[worker]) {
                label = static_cast<int>(rng.below(classCount - 1));
                if (label >= truth)
                    ++label;
            }
            buffer += std::to_string(item);
            buffer += ',';
            buffer += std::to_string(worker);
            buffer += ',';
            buffer += std::to_string(label);
            buffer += '\n';
        }
        written += votes;
        if (buffer.size() > (1u << 20) - 64) {
            out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            buffer.clear();
        }
    }
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    out.close();
    if (!out)
        throw std::runtime_error(path.string() + ": cannot write the generated CSV");
    return items;
}


// Resets VmHWM to the current RSS (Linux >= 4.0), so each stage's peak can be read on its own.
bool resetPeak()
{
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.close();
    return static_cast<bool>(out);
}

double maxRssMb()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KB on Linux
}

// User + system CPU seconds of the process so far.
double cpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

struct Stage {
    std::string name;
    double seconds = 0.0;
    // CPU time of all threads; well below `seconds` on a busy machine or while waiting on fsync.
    double cpuSeconds = 0.0;
    double peakMb = 0.0;     // VmHWM at the end of the stage: since start, or since the stage began
    double rssAfterMb = 0.0; // VmRSS when the stage ended
};

Stage measure(const std::string& name, bool resetFirst, const std::function<void()>& body)
{
    if (resetFirst)
        resetPeak();
    const double cpuStart = cpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    body();
    const auto stop = std::chrono::steady_clock::now();
    Stage stage;
    stage.name = name;
    stage.seconds = std::chrono::duration<double>(stop - start).count();
    stage.cpuSeconds = cpuSeconds() - cpuStart;
    stage.peakMb = procStatusMb("VmHWM");
    stage.rssAfterMb = procStatusMb("VmRSS");
    return stage;
}

void check(bool condition, const std::string& what)
{
    if (!condition)
        throw std::runtime_error("check failed: " + what);
}

}  // namespace

int main(int argc, char** argv)
{
    const Options options = parseArgs(argc, argv);
    std::random_device device;
    const fs::path dir = fs::temp_directory_path() / ("crowdsift-bench-import-" + std::to_string(device()));
    fs::create_directories(dir);
    const fs::path csv = dir / "answers.csv";
    const fs::path project = dir / "bench.csift";

    int status = 0;
    try {
        const auto genStart = std::chrono::steady_clock::now();
        const std::int64_t items = generateCsv(csv, options.answers);
        const double genSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - genStart).count();
        const double fileMb = static_cast<double>(fs::file_size(csv)) / (1024.0 * 1024.0);
        const bool peakResets = options.stagePeaks && resetPeak();
        const double baseRssMb = procStatusMb("VmRSS");

        std::vector<Stage> stages;
        std::size_t bytes = 0;
        stages.push_back(measure("(a) read bytes (I/O floor)", peakResets, [&] {
            std::ifstream in(csv, std::ios::binary);
            std::string content(fs::file_size(csv), '\0');
            in.read(content.data(), static_cast<std::streamsize>(content.size()));
            bytes = static_cast<std::size_t>(in.gcount());
        }));
        check(bytes == fs::file_size(csv), "read every byte");

        Dataset dataset;
        stages.push_back(measure("(b) parse: readDataset", peakResets, [&] {
            ReadOptions readOptions;
            readOptions.format = Format::Csv;
            dataset = readDataset(csv.string(), readOptions);
        }));
        check(static_cast<std::int64_t>(dataset.answers.size()) == options.answers, "answer count");
        check(dataset.itemCount() == items, "item count");

        stages.push_back(measure("(c) create project", peakResets, [&] {
            Project::create(project.string(), dataset, Progress::none());
        }));
        const std::size_t importedAnswers = dataset.answers.size();
        dataset = Dataset();

        Dataset loaded;
        stages.push_back(measure("(d) open + load project", peakResets, [&] {
            const Project opened = Project::open(project.string());
            loaded = opened.loadDataset(Progress::none());
        }));
        check(loaded.answers.size() == importedAnswers, "loaded answer count");
        check(loaded.itemCount() == items, "loaded item count");

        const double floor = std::max(stages[0].seconds, 1e-6);
        const double importSeconds = stages[1].seconds + stages[2].seconds;
        const double importPeak = std::max(stages[1].peakMb, stages[2].peakMb);

        std::printf("crowdsift import benchmark: %lld answers, %lld items, %d annotators, %d classes, "
                    "%d annotators per item, seed %llu\n",
                    static_cast<long long>(options.answers), static_cast<long long>(items), annotatorCount,
                    classCount, annotatorsPerItem, static_cast<unsigned long long>(seed));
        std::printf("CSV %.1f MB generated in %.2f s into %s (page cache warm for every stage)\n", fileMb,
                    genSeconds, dir.string().c_str());
        std::printf("RSS before the stages: %.1f MB; peak RSS = VmHWM at the end of the stage, %s\n\n", baseRssMb,
                    peakResets ? "reset when the stage began" : "since the process started");
        std::printf("%-28s %8s %8s %8s %8s %12s %13s\n", "stage", "wall s", "x (a)", "cpu s", "MB/s",
                    "peak RSS MB", "RSS after MB");
        for (const Stage& s : stages)
            std::printf("%-28s %8.3f %8.1f %8.3f %8.0f %12.1f %13.1f\n", s.name.c_str(), s.seconds, s.seconds / floor,
                        s.cpuSeconds, fileMb / std::max(s.seconds, 1e-9), s.peakMb, s.rssAfterMb);
        std::printf("%-28s %8.3f %8.1f %8.3f %8.0f %12.1f\n", "import = (b) + (c)", importSeconds,
                    importSeconds / floor, stages[1].cpuSeconds + stages[2].cpuSeconds,
                    fileMb / std::max(importSeconds, 1e-9), importPeak);

        const double maxrss = maxRssMb();
        const double hwm = procStatusMb("VmHWM");
        double processPeak = maxrss;
        for (const Stage& s : stages)
            processPeak = std::max(processPeak, s.peakMb);
        std::printf("\npeak RSS of the whole process: getrusage ru_maxrss %.1f MB, /proc/self/status VmHWM %.1f MB%s\n",
                    maxrss, hwm, peakResets ? " (since the last stage began: --stage-peaks resets both)" : "");
        std::printf("targets: import under %.1f s: %s (%.2f s); peak memory under %.0f MB: %s (%.1f MB)\n",
                    targetImportSeconds, importSeconds < targetImportSeconds ? "met" : "MISSED", importSeconds,
                    targetPeakMb, processPeak < targetPeakMb ? "met" : "MISSED", processPeak);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_import: %s\n", error.what());
        status = 1;
    }

    if (options.keep) {
        std::printf("kept %s\n", dir.string().c_str());
    } else {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
    return status;
}
