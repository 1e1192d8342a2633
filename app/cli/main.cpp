#include "commands.h"
#include "terminal_progress.h"

#include "util/error.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#ifdef CROWDSIFT_CLI_LIGHT
// The verbs that need LibTorch or OpenCV live in crowdsift-cli-full (app/CMakeLists.txt); this
// executable lists them in its help and hands every call of one over, unchanged, to that program.
#include <cerrno>
#include <filesystem>
#include <unistd.h>
#endif

namespace {

#ifdef CROWDSIFT_CLI_LIGHT
bool handedOver(const char* verb)
{
    for (const crowdsift::cli::HandedOverVerb& v : crowdsift::cli::kHandedOverVerbs)
        if (std::strcmp(v.name, verb) == 0)
            return true;
    return false;
}

// The verb of the command line: its first argument that is not a global flag; nullptr for none.
const char* verbOf(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (argv[i][0] != '-')
            return argv[i];
    return nullptr;
}

// crowdsift-cli-full: $CROWDSIFT_CLI_FULL, else beside this executable (the build tree), else
// where the package installs it relative to bin/.
std::string fullProgram()
{
    if (const char* set = std::getenv("CROWDSIFT_CLI_FULL"); set && *set)
        return set;
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        return "crowdsift-cli-full";
    const std::filesystem::path dir = self.parent_path();
    for (const std::filesystem::path& candidate : {dir / "crowdsift-cli-full", dir / CROWDSIFT_CLI_FULL_INSTALLED})
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.lexically_normal().string();
    return (dir / "crowdsift-cli-full").string();
}

[[noreturn]] void handOver(char** argv, const char* verb)
{
    const std::string program = fullProgram();
    ::execv(program.c_str(), argv);
    std::fprintf(stderr, "crowdsift-cli: error: %s: `%s` runs in this program, which could not be started (%s)\n",
                 program.c_str(), verb, std::strerror(errno));
    std::exit(1);
}
#endif

}  // namespace

namespace crowdsift::cli {

const char* handedOverDescription(const char* name)
{
    for (const HandedOverVerb& v : kHandedOverVerbs)
        if (std::strcmp(v.name, name) == 0)
            return v.description;
    throw std::logic_error(std::string("no handed-over verb ") + name);
}

}  // namespace crowdsift::cli

int main(int argc, char** argv)
{
#ifdef CROWDSIFT_CLI_LIGHT
    if (const char* verb = verbOf(argc, argv); verb && handedOver(verb))
        handOver(argv, verb);
#endif
    crowdsift::cli::installInterruptHandlers();
    CLI::App app{"crowdsift-cli: aggregate, inspect and curate crowdsourced image labels (headless)"};
    app.set_version_flag("--version", "crowdsift-cli " CROWDSIFT_VERSION);
    app.require_subcommand(1);

    crowdsift::cli::GlobalOptions global;
    app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
    app.add_flag("-v,--verbose", global.verbose, "Debug logging");

    int exitCode = 0;
    crowdsift::cli::addImportCommand(app, global, exitCode);
    crowdsift::cli::addInfoCommand(app, global, exitCode);
    crowdsift::cli::addAggregateCommand(app, global, exitCode);
    crowdsift::cli::addAnnotatorsCommand(app, global, exitCode);
    crowdsift::cli::addExportCommand(app, global, exitCode);
    crowdsift::cli::addDecideCommand(app, global, exitCode);
    crowdsift::cli::addUndoCommand(app, global, exitCode);
    crowdsift::cli::addRunsCommand(app, global, exitCode);
    crowdsift::cli::addTriageCommand(app, global, exitCode);
    crowdsift::cli::addTsneCommand(app, global, exitCode);
#ifdef CROWDSIFT_CLI_LIGHT
    // Listed for --help only: main() has handed these verbs over before parsing.
    for (const crowdsift::cli::HandedOverVerb& v : crowdsift::cli::kHandedOverVerbs)
        app.add_subcommand(v.name, v.description)->allow_extras();
#else
    crowdsift::cli::addReportCommand(app, global, exitCode);
#ifdef CROWDSIFT_HAVE_LEARN
    crowdsift::cli::addTrainCommand(app, global, exitCode);
    crowdsift::cli::addCrowdlabLoopCommand(app, global, exitCode);
    crowdsift::cli::addIdentifyCommand(app, global, exitCode);
    crowdsift::cli::addLearnFromCrowdsCommand(app, global, exitCode);
    crowdsift::cli::addAnnotateCommand(app, global, exitCode);
#endif
    crowdsift::cli::addDemoCommand(app, global, exitCode);
#endif

    app.parse_complete_callback([&] {
        // Logs go to stderr: stdout carries only results (--json documents, tables).
        spdlog::set_default_logger(spdlog::stderr_color_mt("crowdsift-cli"));
        spdlog::set_pattern("%^%l%$: %v");
        spdlog::set_level(global.quiet ? spdlog::level::err : global.verbose ? spdlog::level::debug : spdlog::level::info);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const crowdsift::Cancelled&) {
        const int signal = crowdsift::cli::interruptSignal();
        std::fprintf(stderr, "crowdsift-cli: cancelled%s\n", signal ? " (interrupted); nothing was left half done" : "");
        return 128 + (signal ? signal : 2);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crowdsift-cli: error: %s\n", e.what());
        return 1;
    }
    return exitCode;
}
