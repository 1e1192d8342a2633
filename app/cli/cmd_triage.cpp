#include "commands.h"
#include "input.h"
#include "output.h"
#include "read_options.h"
#include "terminal_progress.h"

#include "analysis/trajectory_triage.h"
#include "analysis/triage.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "project/trajectory_runs.h"
#include "project/triage_source.h"
#include "util/csv.h"
#include "util/error.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

namespace crowdsift::cli {

namespace {

struct TriageArgs {
    std::string path;
    std::int64_t run = 0;
    std::string rule = "auto";
    double window = -1, easySpread = NAN, hardSpread = NAN, easyPosterior = -1;
    bool noCrowd = false;
    std::string output;
    bool json = false;
    ReadArgs read;
};

// What `triage` computed, whichever rule, with the bands over the whole project.
struct Triaged : ProjectTriage {
    std::vector<BandEstimate> bands;
};

Triaged triaged(const Project& project, const Dataset& dataset, const TriageArgs& args, bool trajectory)
{
    TriageSourceOptions options;
    options.kind = trajectory ? TriageSourceKind::Trajectory : TriageSourceKind::Crowd;
    if (trajectory) {
        options.run = args.run;
        nlohmann::json& changes = options.trajectoryRuleChanges;
        if (args.window >= 0)
            changes["window"] = args.window;
        if (!std::isnan(args.easySpread))
            changes["easy_spread"] = args.easySpread;
        if (!std::isnan(args.hardSpread))
            changes["hard_spread"] = args.hardSpread;
        if (args.easyPosterior >= 0)
            changes["easy_posterior"] = args.easyPosterior;
        if (args.noCrowd)
            changes["use_crowd"] = false;
    }
    Triaged t;
    static_cast<ProjectTriage&>(t) = projectTriage(project, dataset, options);
    t.bands = bandEstimates(t.categories, t.wrongProbability);
    return t;
}

// Per band: items whose label differs from the truth, over the items with truth.
struct TruthBand {
    int known = 0;
    int wrong = 0;
};

std::vector<TruthBand> truthBands(const Dataset& dataset, const Triaged& t)
{
    std::vector<TruthBand> bands(3);
    if (!dataset.hasTruth())
        return bands;
    for (std::size_t i = 0; i < t.categories.size(); ++i) {
        const int truth = dataset.truth[i];
        if (truth < 0)
            continue;
        TruthBand& band = bands[static_cast<std::size_t>(t.categories[i])];
        ++band.known;
        band.wrong += t.classOf[i] != truth;
    }
    return bands;
}

std::string percentCell(double fraction)
{
    return std::isfinite(fraction) ? numberCell(100.0 * fraction, "%.1f %%") : "-";
}

std::string triageCsv(const Dataset& dataset, const Triaged& t)
{
    std::ostringstream csv;
    csv << "item,class,category," << (t.trajectory ? "spread" : "posterior") << ",wrong_probability\n";
    for (std::size_t i = 0; i < t.categories.size(); ++i) {
        const int label = t.classOf[i];
        csv << csvField(dataset.itemKeys[i]) << ',' << (label >= 0 ? csvField(dataset.classNames[static_cast<std::size_t>(label)]) : "")
            << ',' << triageName(t.categories[i]) << ',' << csvNumber(t.score[i]) << ','
            << csvNumber(t.wrongProbability[i]) << '\n';
    }
    return csv.str();
}

}  // namespace

void addTriageCommand(CLI::App& app, const GlobalOptions& global, int& exitCode)
{
    auto args = std::make_shared<TriageArgs>();
    CLI::App* command = app.add_subcommand(
        "triage", "Easy / need review / hard per item, from Data Parameter trajectories (else the crowd's posteriors)");
    command->footer(
        "With a data-parameters run (`identify`), an item's level is its mean log sigma over the first --window of the "
        "epochs, its spread (level - class median) / class IQR: hard from --hard-spread up, easy up to --easy-spread "
        "when the crowd's consensus score also reaches --easy-posterior. Without one (or with --rule crowd), the "
        "posterior rule on the active aggregation run. Prints each band's size and estimated share of wrong labels "
        "(and the true share when the project has truth).");
    command->add_option("path", args->path, "Project file (.csift)")->required();
    command->add_option("--run", args->run, "Data-parameters run to read (default: the newest)");
    command->add_option("--rule", args->rule, "auto (trajectory when a data-parameters run exists), trajectory or crowd")
        ->check(CLI::IsMember({"auto", "trajectory", "crowd"}))
        ->capture_default_str();
    const TrajectoryTriageRule defaults;
    command->add_option("--window", args->window, "Fraction of the epochs read, from the first (default "
                                                      + numberCell(defaults.window, "%.2f") + ")")
        ->check(CLI::Range(1e-9, 1.0));
    command->add_option("--easy-spread", args->easySpread,
                        "Easy up to this spread (default " + numberCell(defaults.easySpread, "%.1f") + ")");
    command->add_option("--hard-spread", args->hardSpread,
                        "Hard from this spread up (default " + numberCell(defaults.hardSpread, "%.1f") + ")");
    command->add_option("--easy-posterior", args->easyPosterior,
                        "Easy needs the crowd's consensus score at least this (default 0.9; 0.5 of the rank for "
                        "CROWDLAB runs)")
        ->check(CLI::Range(0.0, 1.0));
    command->add_flag("--no-crowd", args->noCrowd, "Trajectory rule without the crowd's consensus score");
    command->add_option("-o,--output", args->output, "Write item,class,category,score,wrong_probability (.csv)");
    command->add_flag("--json", args->json, "Print the bands as JSON");
    args->read.addTo(command);

    command->callback([args, &global, &exitCode] {
        if (!args->output.empty() && std::filesystem::path(args->output).extension() != ".csv")
            throw InputError("-o", args->output, "the triage is written as .csv");
        TerminalProgress bar(!global.quiet && !args->json);
        Input input = openInput(args->path, args->read, bar, global);
        if (!input.project)
            throw InputError(args->path, "", "triage reads the runs of a project; import the dataset first");
        const Project& project = *input.project;
        const Dataset& dataset = input.dataset;
        bar.finish();
        const bool trajectory = args->rule == "trajectory"
                                || (args->rule == "auto" && (args->run != 0 || latestTrajectoryRun(project) != 0));
        if (args->rule == "crowd" && args->run != 0)
            throw InputError("--run", std::to_string(args->run), "the crowd rule reads the active aggregation run");
        const Triaged t = triaged(project, dataset, *args, trajectory);
        const std::vector<TruthBand> truth = truthBands(dataset, t);
        const int n = dataset.itemCount();

        if (!args->output.empty())
            writeFileAtomically(args->output, triageCsv(dataset, t));
        if (args->json) {
            nlohmann::json bands = nlohmann::json::object();
            for (std::size_t b = 0; b < 3; ++b) {
                nlohmann::json band = {{"items", t.bands[b].count},
                                       {"estimated_wrong", std::isfinite(t.bands[b].estimatedWrong)
                                                               ? nlohmann::json(t.bands[b].estimatedWrong)
                                                               : nlohmann::json()}};
                if (dataset.hasTruth())
                    band["wrong"] = truth[b].known > 0 ? nlohmann::json(static_cast<double>(truth[b].wrong) / truth[b].known)
                                                       : nlohmann::json();
                bands[triageName(static_cast<Triage>(b))] = band;
            }
            std::printf("%s\n", nlohmann::json({{"rule", t.trajectory ? "trajectory" : "crowd"},
                                                {"source", t.detail},
                                                {"description", t.rule},
                                                {"settings", t.settings},
                                                {"items", n},
                                                {"bands", bands}})
                                    .dump(2)
                                    .c_str());
        } else if (!global.quiet) {
            std::printf("Triage from %s\n%s\n\n", t.detail.c_str(), t.rule.c_str());
            std::printf("%-12s %8s %8s %12s%s\n", "band", "items", "share", "est. wrong",
                        dataset.hasTruth() ? "   wrong (truth)" : "");
            for (std::size_t b = 0; b < 3; ++b) {
                const int count = t.bands[b].count;
                std::printf("%-12s %8d %8s %12s", b == 0 ? "easy" : b == 1 ? "need review" : "hard", count,
                            percentCell(n > 0 ? static_cast<double>(count) / n : NAN).c_str(),
                            percentCell(t.bands[b].estimatedWrong).c_str());
                if (dataset.hasTruth())
                    std::printf("   %8s (%d)",
                                percentCell(truth[b].known > 0 ? static_cast<double>(truth[b].wrong) / truth[b].known : NAN)
                                    .c_str(),
                                truth[b].wrong);
                std::printf("\n");
            }
            if (!args->output.empty())
                std::printf("wrote %s\n", args->output.c_str());
        }
        exitCode = 0;
    });
}

}  // namespace crowdsift::cli
