#include "targets.h"
#include "targets_internal.h"

#include "project/review.h"
#include "project/review_actions.h"
#include "project/store.h"
#include "util/json.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace fs = std::filesystem;

namespace crowdsift::fuzz {

void fuzzDecisions(std::string_view bytes)
{
    const fs::path file = freshFolder("decisions") / "decisions.csv";
    writeBytes(file, bytes);
    expectInputErrors([&] { decisionsFromCsv(file.string(), smallDataset(), "fuzz"); });
}

// A damaged project file: open (with its schema checks and migrations), then everything `info`
// and the GUI read from it.
void fuzzProject(std::string_view bytes)
{
    const fs::path folder = scratch() / "project";
    fs::create_directories(folder);
    const fs::path file = folder / "p.csift";
    std::error_code ec;
    for (const char* suffix : {"-wal", "-shm", "-journal"})
        fs::remove(file.string() + suffix, ec);
    fs::remove_all(file.string() + ".cache", ec);
    writeBytes(file, bytes);
    try {
        Project::looksLikeProject(file.string());
        Project project = Project::open(file.string());
        project.schemaVersion();
        project.activeRun();
        project.loadDataset(Progress::none());
        for (const RunInfo& run : project.runs()) {
            jsonText(run.params, 2, file.string());
            jsonText(run.summary, 2, file.string());
            for (const std::string& output : run.outputs) {
                try {
                    project.runOutput(run.id, output);
                } catch (const std::invalid_argument&) {
                    // An output name that the run record lists but the outputs table lacks.
                }
            }
        }
        for (const nlohmann::json& source : project.annotatorSources())
            jsonText(source, 2, file.string());
        // The decision log replayed as the Review tab and export do: a damaged row is an
        // InputError naming it.
        expectInputErrors([&] { loadReviewState(project); });
    } catch (const StoreError&) {
    } catch (const InputError&) {
    }
}

std::string projectSeed()
{
    const fs::path folder = freshFolder("seed");
    const fs::path file = folder / "seed.csift";
    {
        Project project = Project::create(file.string(), smallDataset(), Progress::none());
        const std::int64_t run = project.beginRun("aggregate", {{"strategy", "ds"}, {"params", {{"max_iterations", 50}}}});
        const double posteriors[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        project.addRunOutput(run, "posteriors", posteriors, {3, 3});
        project.finishRun(run, "done", {{"iterations", 3}, {"log_likelihood", {-1.5, -1.2}}});
        project.activateIfNone(run);
        Decision decision;
        decision.item = 2;
        decision.label = 1;
        decision.status = "relabel";
        decision.reviewer = "fuzz";
        decision.note = "seed";
        project.appendDecision(decision);
    }
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace crowdsift::fuzz
