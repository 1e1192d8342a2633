#pragma once

#ifdef CROWDSIFT_HAVE_LEARN

#include "learn_project/learn_runs.h"
#include "learn_project/train_settings.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crowdsift::cli {

struct Input;

// The model, training, input and Data Parameters options of `train`, `crowdlab-loop` and
// `identify`, one per setting of trainSettings() that the verb uses (its option, help, range and
// default from there). Options not given keep defaultTrainSettings() of the model and the
// resolved device.
struct TrainArgs {
    // use: UseTrain, UseLoop or UseIdentify; `except`: setting keys the verb does not offer.
    void addTo(CLI::App* command, unsigned use, const std::vector<std::string>& except = {});

    struct Resolved : TrainSettings {
        bool cuda = false;
    };
    // Resolves the device (InputError for cuda without CUDA) and applies the defaults and the
    // options given. InputError naming the option for an unknown model, optimizer, schedule or
    // input and for bad numbers.
    Resolved resolve() const;
    // Whether the option of setting `key` was given on the command line.
    bool isGiven(const std::string& key) const { return given(key).has_value(); }

private:
    // The text given for setting `key`, nothing when its option was not given.
    std::optional<std::string> given(const std::string& key) const;
    std::map<std::string, std::string> text_;    // by setting key
    std::map<std::string, bool> flags_;          // Bool settings
    std::map<std::string, CLI::Option*> options_;
};

// Training targets from --labels: an aggregation run id of the project (its labels, or with
// `soft` its posteriors) or a labels file (targetsFromFile). InputError otherwise.
Targets loadTargets(const std::string& labels, const Input& input, bool soft);

// The effective settings, as stored in a run's parameters.
nlohmann::json trainParams(const TrainArgs::Resolved& resolved);

// "1000 feature vectors of 8192", "200 images of 28 x 28 x 1": the input line of both verbs.
std::string describeInput(const LearnInput& input);

// What the model of `settings` learns from: the project's (or the dataset's) features or cached
// images; InputError when the model cannot take them.
LearnInput loadLearnInputFor(const Input& input, const TrainArgs::Resolved& settings, Progress& progress);

// "mlp on 1000 feature vectors of 8192, 10 classes, 5 fold(s), cpu", the first line the training verbs
// print; `folds` 0 (identify: one training on every item) leaves the folds out.
void printRunHeader(const TrainArgs::Resolved& settings, const LearnInput& learnInput, int classes, int folds);

// Where a dataset read without a project keeps its image cache: $XDG_CACHE_HOME/crowdsift/images
// (else ~/.cache/crowdsift/images), shared by runs since each file is keyed by content.
std::string datasetCacheDir();

}  // namespace crowdsift::cli

#endif
