#include "commands.h"
#include "input.h"
#include "output.h"
#include "terminal_progress.h"

#include "analysis/tsne.h"
#include "project/store.h"
#include "project/tsne_runs.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/npy.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

namespace crowdsift::cli {

namespace {

struct TsneArgs {
    std::string path;
    std::string input = "trajectories";
    std::int64_t run = 0;
    std::string mappedClass;
    std::int64_t classRun = 0;
    TsneOptions options;
    std::string method = "auto";
    std::string output;
    bool json = false;
};

// Ctrl-C cancels the map through its progress token: the run ends "cancelled" and the verb exits
// 130 (main). Progress::cancel is a lock-free atomic store, safe in a signal handler.
std::atomic<Progress*> interruptTarget{nullptr};

extern "C" void cancelOnInterrupt(int)
{
    if (Progress* progress = interruptTarget.load())
        progress->cancel();
}

class InterruptCancels {
public:
    explicit InterruptCancels(Progress& progress)
    {
        interruptTarget.store(&progress);
        previous_ = std::signal(SIGINT, cancelOnInterrupt);
    }
    ~InterruptCancels()
    {
        std::signal(SIGINT, previous_);
        interruptTarget.store(nullptr);
    }
    InterruptCancels(const InterruptCancels&) = delete;
    InterruptCancels& operator=(const InterruptCancels&) = delete;

private:
    void (*previous_)(int) = SIG_DFL;
};

// --class: a class name of the dataset or its index.
int parseClass(const Dataset& dataset, const std::string& text)
{
    if (text.empty())
        return -1;
    for (int k = 0; k < dataset.classCount(); ++k)
        if (dataset.classNames[static_cast<std::size_t>(k)] == text)
            return k;
    try {
        std::size_t used = 0;
        const int k = std::stoi(text, &used);
        if (used == text.size() && k >= 0 && k < dataset.classCount())
            return k;
    } catch (const std::exception&) {
    }
    throw InputError("--class", text,
                     "not a class of the dataset (a name or an index below " + std::to_string(dataset.classCount()) + ")");
}

void writeCoordinates(const std::string& path, const Dataset& dataset, const TsneInput& input,
                      const std::vector<float>& coords)
{
    const std::string extension = std::filesystem::path(path).extension().string();
    if (extension == ".npy") {
        writeNpy(path, coords.data(), {input.items.size(), 2});
        return;
    }
    std::ostringstream csv;
    csv << "item,x,y\n";
    for (std::size_t r = 0; r < input.items.size(); ++r)
        csv << csvField(dataset.itemKeys[static_cast<std::size_t>(input.items[r])]) << ',' << csvNumber(coords[2 * r])
            << ',' << csvNumber(coords[2 * r + 1]) << '\n';
    writeFileAtomically(path, csv.str());
}

}  // namespace

void addTsneCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<TsneArgs>();
    CLI::App* command = app.add_subcommand(
        "tsne", "Draw a t-SNE map of trajectories, model embeddings, feature vectors or GIST features; stored as a run");
    command->footer(
        "Inputs: trajectories (log sigma of a data-parameters run, `identify`), embeddings (the embeddings output of a "
        "train or loop run), features (the dataset's feature vectors), gist (the GIST features cached by `train --input "
        "gist`). --run picks the source run (default: the newest). --class maps only the items whose consensus label "
        "in --class-run (default: the active aggregation run) is that class. Exact gradients below 1,000 points, "
        "FFT-accelerated interpolation (FIt-SNE) above. Ctrl-C cancels; the run is then stored as cancelled.");
    command->add_option("path", args->path, "Project file (.csift)")->required();
    command->add_option("--input", args->input, "trajectories, embeddings, features or gist")
        ->check(CLI::IsMember(tsneInputNames()))
        ->capture_default_str();
    command->add_option("--run", args->run, "Source run of trajectories or embeddings (default: the newest)");
    command->add_option("--class", args->mappedClass, "Map only this class (name or index)");
    command->add_option("--class-run", args->classRun, "Aggregation run whose consensus picks --class's items "
                                                       "(default: the active run)");
    command->add_option("--perplexity", args->options.perplexity, "Perplexity of the affinities")
        ->check(CLI::Range(1.0, 1000.0))
        ->capture_default_str();
    command->add_option("--iterations", args->options.iterations, "Iterations, early exaggeration included")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    command->add_option("--early-iterations", args->options.earlyIterations, "Iterations with early exaggeration 12")
        ->check(CLI::Range(0, 100000))
        ->capture_default_str();
    command->add_option("--seed", args->options.seed, "Seed of the neighbour graph (and a random initialisation)")
        ->capture_default_str();
    command->add_option("--method", args->method, "auto, exact or fft")
        ->check(CLI::IsMember({"auto", "exact", "fft"}))
        ->capture_default_str();
    command->add_option("--threads", args->options.threads, "Threads (0 = every core; the map does not depend on it)")
        ->capture_default_str();
    command->add_option("-o,--output", args->output, "Write the map: .npy (points x 2 float32) or .csv (item,x,y)");
    command->add_flag("--json", args->json, "Print the run summary as JSON");

    command->callback([args, &global, &exitCode] {
        const std::string extension = std::filesystem::path(args->output).extension().string();
        if (!args->output.empty() && extension != ".npy" && extension != ".csv")
            throw InputError("-o", args->output, "the map is written as .npy or .csv");
        requireWritableOutput("-o", args->output, {args->path});
        Project project = openProject(args->path);
        TerminalProgress bar(!global.quiet && !args->json);
        const Dataset dataset = project.loadDataset(bar.token());
        args->options.method = args->method == "exact" ? TsneMethod::Exact
                               : args->method == "fft" ? TsneMethod::Fft
                                                       : TsneMethod::Auto;
        const TsneInput input = gatherTsneInput(project, dataset, args->input, args->run,
                                                parseClass(dataset, args->mappedClass), args->classRun);
        if (!global.quiet && !args->json)
            std::fprintf(stderr, "mapping %zu items: %s\n", input.items.size(), input.source.c_str());
        TsneResult map;
        std::int64_t run = 0;
        {
            InterruptCancels interrupt(bar.token());
            run = runTsne(project, input, args->options, bar.token(), &map);
        }
        bar.finish();
        nlohmann::json summary = project.run(run).summary;
        summary["run"] = run;
        std::vector<std::string> written;
        if (!args->output.empty()) {
            writeCoordinates(args->output, dataset, input, map.coords);
            written.push_back(args->output);
        }
        summary["outputs"] = written;
        if (args->json) {
            std::printf("%s\n", summary.dump(2).c_str());
        } else if (!global.quiet) {
            std::printf("t-SNE (%s) of %zu items, %zu dimensions, perplexity %g: KL %.4f after %d iterations in %.1f s\n",
                        map.exact ? "exact" : "FFT-accelerated", input.items.size(), input.dimension, map.perplexity,
                        map.kl.empty() ? 0.0 : map.kl.back(), args->options.iterations,
                        summary.value("seconds", 0.0));
            printStoredAndWritten(summary, args->path, written);
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
