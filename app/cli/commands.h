#pragma once

#include <CLI/CLI.hpp>

namespace crowdsift::cli {

// Each verb registers its subcommand and options on the app; the callback runs the verb and
// returns the process exit code through CLI11's exception-free path in main.
struct GlobalOptions {
    bool quiet = false;
    bool verbose = false;
};

// The verbs that need LibTorch or OpenCV, which crowdsift-cli hands over to crowdsift-cli-full
// (main.cpp, app/CMakeLists.txt), with the one-line descriptions both list.
struct HandedOverVerb {
    const char* name;
    const char* description;
};
inline constexpr HandedOverVerb kHandedOverVerbs[] = {
    {"train", "Train a classifier on aggregated labels; out-of-sample probabilities by k-fold cross-validation"},
    {"crowdlab-loop",
     "Iterate majority vote -> cross-validated model -> CROWDLAB consensus -> retrain, until no new item changes"},
    {"identify", "Train with Data Parameters (learned per-item and per-class temperatures): items whose sigma grows "
                 "are likely mislabelled"},
    {"learn-from-crowds", "Train one network end to end on every annotator's votes (CrowdLayer, CoNAL) and read "
                          "each annotator's confusion, and the common one, back out of it"},
    {"demo", "Build the built-in demo: Fashion-MNIST test images with a simulated, seeded crowd (peerannot layout)"},
    {"report", "Draw per-class triage figures: representative easy, need-review and hard images as PNGs"},
    {"annotate", "Run a model over the dataset as one more annotator, marked machine: a train run's out-of-fold "
                 "probabilities or a trusted TorchScript classifier"},
};
// The description of handed-over verb `name` (std::logic_error for another name).
const char* handedOverDescription(const char* name);

void addImportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addInfoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addDemoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addAggregateCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addAnnotatorsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addExportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addDecideCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addUndoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addRunsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addTriageCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addReportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addTsneCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
#ifdef CROWDSIFT_HAVE_LEARN
void addTrainCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addCrowdlabLoopCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addIdentifyCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addLearnFromCrowdsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addAnnotateCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
#endif

}  // namespace crowdsift::cli
