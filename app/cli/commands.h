#pragma once

#include <CLI/CLI.hpp>

namespace crowdsift::cli {

// Each verb registers its subcommand and options on the app; the callback runs the verb and
// returns the process exit code through CLI11's exception-free path in main.
struct GlobalOptions {
    bool quiet = false;
    bool verbose = false;
};

void addImportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addInfoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addDemoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addAggregateCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addAnnotatorsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addExportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addDecideCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addUndoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addRunsCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addReportCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
#ifdef CROWDSIFT_HAVE_LEARN
void addTrainCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addCrowdlabLoopCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
void addIdentifyCommand(CLI::App& app, const GlobalOptions& global, int& exitCode);
#endif

}  // namespace crowdsift::cli
