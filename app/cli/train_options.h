#pragma once

#ifdef CROWDSIFT_HAVE_LEARN

#include "learn_project/learn_runs.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace crowdsift::cli {

struct Input;

// The model and training options shared by `train` and `crowdlab-loop`. Options not given keep
// defaultModelSpec() / defaultTrainConfig() for the model and the resolved device.
struct TrainArgs {
    std::string model;
    std::string backbone;
    std::string device = "auto";
    int threads = 0;
    int imageSize = 0;
    std::string inputKind = "auto";
    bool soft = false;

    int epochs = 0;
    double learningRate = 0;
    int batchSize = 0;
    std::string optimizer;
    std::string schedule;
    double warmupEpochs = 0;
    double labelSmoothing = 0;
    double weightDecay = 0;
    double validationFraction = 0;
    int patience = 0;
    std::uint64_t seed = 0;
    int width = 0;
    std::string hidden;

    void addTo(CLI::App* command);

    struct Resolved {
        ModelSpec spec;
        TrainConfig config;
        LearnInputOptions input;
        bool cuda = false;
    };
    // Resolves the device (InputError for cuda without CUDA) and applies the defaults and the
    // options given. InputError for an unknown model, optimizer or schedule and bad numbers.
    Resolved resolve() const;

private:
    bool given(const char* name) const;
    // setting = value when option `name` was given on the command line (else the default stays).
    template <class T>
    void overrideIfGiven(const char* name, T& setting, const T& value) const;
    CLI::App* command_ = nullptr;
};

// The effective settings, as stored in a run's parameters.
nlohmann::json trainParams(const TrainArgs::Resolved& resolved);

// "1000 feature vectors of 8192", "200 images of 28 x 28 x 1": the input line of both verbs.
std::string describeInput(const LearnInput& input);

// What the model of `settings` learns from: the project's (or the dataset's) features or cached
// images; InputError when the model cannot take them.
LearnInput loadLearnInputFor(const Input& input, const TrainArgs::Resolved& settings, Progress& progress);

// "mlp on 1000 feature vectors of 8192, 10 classes, 5 fold(s), cpu", the first line both verbs print.
void printRunHeader(const TrainArgs::Resolved& settings, const LearnInput& learnInput, int classes, int folds);

// Where a dataset read without a project keeps its image cache: $XDG_CACHE_HOME/crowdsift/images
// (else ~/.cache/crowdsift/images), shared by runs since each file is keyed by content.
std::string datasetCacheDir();

}  // namespace crowdsift::cli

#endif
