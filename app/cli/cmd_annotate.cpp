#ifdef CROWDSIFT_HAVE_LEARN

#include "commands.h"
#include "input.h"
#include "terminal_progress.h"

#include "learn/script_classifier.h"
#include "learn_project/learn_runs.h"
#include "project/machine_annotators.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace crowdsift::cli {

namespace {

struct AnnotateArgs {
    std::string path;
    std::string model;
    bool trustModel = false;
    std::int64_t run = 0;
    int complementary = 0;
    double minConfidence = 0;
    std::string name;
    std::string input = "auto";
    int imageSize = 0;
    bool json = false;
};

// Share of `answers` that agree with the truth (a vote naming it, a "not k" with k not it); NaN
// when no answered item has truth.
double answerAccuracy(const std::vector<Answer>& answers, const std::vector<std::int32_t>& truth)
{
    int known = 0;
    int right = 0;
    for (const Answer& a : answers) {
        if (truth.empty() || truth[static_cast<std::size_t>(a.item)] < 0)
            continue;
        ++known;
        const bool names = a.label == truth[static_cast<std::size_t>(a.item)];
        right += a.complementary ? !names : names;
    }
    return known > 0 ? static_cast<double>(right) / known : std::nan("");
}

}  // namespace

void addAnnotateCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<AnnotateArgs>();
    CLI::App* command = app.add_subcommand("annotate", handedOverDescription("annotate"));
    command->footer(
        "The model answers with its top-1 class, or with --complementary K with the K classes it finds least likely "
        "as complementary answers ('not c'; the j-th least likely is annotator NAME#j). Its answers are stored as a "
        "machine annotator: every aggregation run then estimates its accuracy and confusion matrix like anyone's.\n"
        "--run: a train run of the project answers from its stored probabilities, only for items its model did not "
        "train on (all items of a k-fold run, whose probabilities are out-of-fold; the unlabelled items of a "
        "one-fold run).\n"
        "--model: a TorchScript classifier (forward: float N x C x H x W images in [0, 1], or N x D features -> "
        "N x K logits) answers for every item. A TorchScript file is code and runs with your rights: it is loaded "
        "only with --trust-model.");
    command->add_option("path", args->path, "Project file (.csift)")->required();
    CLI::Option* model = command->add_option("--model", args->model, "TorchScript classifier file (.pt)");
    CLI::Option* run = command->add_option("--run", args->run, "A train run of the project");
    model->excludes(run);
    command->add_flag("--trust-model", args->trustModel, "Load and run the --model file (it is code)");
    command->add_option("--complementary", args->complementary,
                        "Answer with the K least likely classes as complementary answers (0 = top-1 class)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--min-confidence", args->minConfidence,
                        "Answer only when the top-1 probability (or 1 - p of a 'not c') is at least this")
        ->check(CLI::Range(0.0, 1.0));
    command->add_option("--name", args->name, "The annotator's id (default model:<run id> or model:<file stem>)");
    command->add_option("--input", args->input, "--model: what it reads, auto|features|images")->capture_default_str();
    command->add_option("--image-size", args->imageSize, "--model: image side (0 = the image cache's default)")
        ->check(CLI::NonNegativeNumber);
    command->add_flag("--json", args->json, "Print what was added as JSON");

    command->callback([args, &global, &exitCode] {
        if (args->model.empty() && args->run == 0)
            throw InputError("annotate", "", "name the model: --run ID (a train run) or --model FILE.pt --trust-model");
        Project project = openProject(args->path);
        TerminalProgress bar(!global.quiet && !args->json);
        const Dataset dataset = project.loadDataset(bar.token());
        MachineAnswerOptions options;
        options.complementary = args->complementary;
        options.minConfidence = args->minConfidence;
        nlohmann::json source;
        RowMatrixXf probabilities;
        std::vector<char> eligible;
        std::string name = args->name;
        if (args->run != 0) {
            RunPredictions predictions = trainRunPredictions(project, args->run);
            probabilities = std::move(predictions.probabilities);
            eligible = std::move(predictions.outOfSample);
            source = {{"run", args->run}, {"folds", predictions.folds}};
            if (name.empty())
                name = "model:" + std::to_string(args->run);
        } else {
            if (!args->trustModel)
                throw InputError(args->model, "",
                                 "a TorchScript file is code that runs with your rights; pass --trust-model to load it "
                                 "(only for a file you trust)");
            std::fprintf(stderr, "crowdsift-cli: warning: running the TorchScript code in %s (--trust-model)\n",
                         args->model.c_str());
            LearnInputOptions inputOptions;
            inputOptions.kind = parseLearnInputKind(args->input);
            inputOptions.imageSize = args->imageSize;
            const LearnInput learnInput = loadLearnInput(project, dataset, inputOptions, bar.token());
            probabilities = scriptClassifierProbabilities(args->model, learnInput, dataset.classCount(), 256, true, bar.token());
            eligible.assign(static_cast<std::size_t>(dataset.itemCount()), 1);
            source = {{"model", std::filesystem::absolute(args->model).string()}, {"input", args->input}};
            if (name.empty())
                name = "model:" + std::filesystem::path(args->model).stem().string();
        }
        const std::vector<std::vector<Answer>> answers = machineAnswers(probabilities, eligible, options);
        std::vector<int> indices;
        try {
            indices = storeMachineAnnotators(project, name, source, options, answers);
        } catch (const std::invalid_argument& e) {
            throw InputError(args->path, name, e.what());
        }
        bar.finish();

        const Dataset after = project.loadDataset(Progress::none());
        nlohmann::json added = nlohmann::json::array();
        for (std::size_t j = 0; j < indices.size(); ++j) {
            const double acc = answerAccuracy(answers[j], dataset.truth);
            added.push_back({{"id", after.annotatorIds[static_cast<std::size_t>(indices[j])]},
                             {"index", indices[j]},
                             {"answers", answers[j].size()},
                             {"complementary", options.complementary > 0},
                             {"accuracy_against_truth", std::isfinite(acc) ? nlohmann::json(acc) : nlohmann::json(nullptr)}});
        }
        std::size_t eligibleCount = 0;
        for (char e : eligible)
            eligibleCount += e ? 1 : 0;
        const nlohmann::json summary = {{"annotators", added}, {"items_eligible", eligibleCount}, {"source", source}};
        if (args->json) {
            std::printf("%s\n", summary.dump(2).c_str());
        } else if (!global.quiet) {
            std::printf("%zu of %d items eligible (never seen by the model)\n", eligibleCount, dataset.itemCount());
            for (const auto& a : added) {
                std::printf("added machine annotator %s: %zu %s", a["id"].get<std::string>().c_str(),
                            a["answers"].get<std::size_t>(), options.complementary > 0 ? "complementary answers" : "answers");
                if (!a["accuracy_against_truth"].is_null())
                    std::printf(", %.4f right against truth", a["accuracy_against_truth"].get<double>());
                std::printf("\n");
            }
            std::printf("aggregate the project again to weigh its answers like anyone's\n");
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli

#endif  // CROWDSIFT_HAVE_LEARN
