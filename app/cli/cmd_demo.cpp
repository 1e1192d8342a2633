#include "commands.h"
#include "terminal_progress.h"

#include "images/demo.h"

#include <cstdio>
#include <memory>

namespace crowdsift::cli {

namespace {
struct DemoArgs {
    std::string output;
    DemoOptions options;
    bool describe = false;
};
}  // namespace

void addDemoCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<DemoArgs>();
    CLI::App* command = app.add_subcommand(
        "demo", handedOverDescription("demo"));
    command->add_option("-o,--output", args->output, "Folder to write the demo dataset into");
    command->add_option("--seed", args->options.seed, "Seed of the simulated crowd")->capture_default_str();
    command->add_option("--items", args->options.itemCount, "Number of images (first N of the test set)")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    command->add_option("--fashion-dir", args->options.fashionDir, "Folder with Fashion-MNIST's t10k IDX files")
        ->capture_default_str();
    command->add_flag("-f,--force", args->options.replaceExisting, "Replace an earlier demo in the output folder");
    command->add_flag("--describe", args->describe, "Print how the crowd is simulated and exit");

    command->callback([args, &global, &exitCode] {
        if (args->describe) {
            std::printf("%s\n", demoCrowdDescription(args->options).c_str());
            exitCode = 0;
            return;
        }
        if (args->output.empty())
            throw CLI::RequiredError("--output");
        TerminalProgress bar(!global.quiet);
        const DemoResult result = buildDemo(args->output, args->options, bar.token());
        bar.finish();
        if (!global.quiet)
            std::printf("Demo written to %s: %d images, %d simulated annotators, %d answers "
                        "(majority vote accuracy %.3f; truth in truth.csv, for evaluation only)\n",
                        result.folder.c_str(), result.items, result.annotators, result.answers,
                        result.majorityVoteAccuracy);
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
