#include "commands.h"

#include "util/error.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv)
{
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
    crowdsift::cli::addReportCommand(app, global, exitCode);
#ifdef CROWDSIFT_HAVE_LEARN
    crowdsift::cli::addTrainCommand(app, global, exitCode);
    crowdsift::cli::addCrowdlabLoopCommand(app, global, exitCode);
    crowdsift::cli::addIdentifyCommand(app, global, exitCode);
#endif
    crowdsift::cli::addDemoCommand(app, global, exitCode);

    app.parse_complete_callback([&] {
        spdlog::set_pattern("%^%l%$: %v");
        spdlog::set_level(global.quiet ? spdlog::level::err : global.verbose ? spdlog::level::debug : spdlog::level::info);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const crowdsift::Cancelled&) {
        std::fprintf(stderr, "crowdsift-cli: cancelled\n");
        return 130;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crowdsift-cli: error: %s\n", e.what());
        return 1;
    }
    return exitCode;
}
