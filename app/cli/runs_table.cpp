#include "runs_table.h"

#include "output.h"
#include "project/aggregation_runs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace crowdsift::cli {

nlohmann::json runsJson(const Project& project)
{
    nlohmann::json runs = nlohmann::json::array();
    const std::int64_t active = project.activeRun();
    for (const RunInfo& run : project.runs()) {
        nlohmann::json entry = {{"id", run.id},         {"kind", run.kind},         {"name", run.name},
                                {"status", run.status}, {"created", run.created},   {"finished", run.finished},
                                {"active", run.id == active},
                                {"parent", run.parent != 0 ? nlohmann::json(run.parent) : nlohmann::json(nullptr)}};
        // An automatic aggregation: the strategy it chose.
        if (const std::string chosen = automaticChoice(run); !chosen.empty())
            entry["chosen"] = chosen;
        if (run.summary.is_object()) {
            if (run.summary.contains("accuracy") && run.summary["accuracy"].is_number())
                entry["accuracy"] = run.summary["accuracy"];
            if (run.summary.contains("error") && run.summary["error"].is_string())
                entry["error"] = run.summary["error"];
        }
        runs.push_back(std::move(entry));
    }
    return runs;
}

void printRuns(const nlohmann::json& runs)
{
    std::printf("\nRuns\n");
    if (runs.empty()) {
        std::printf("  none yet (aggregate, train or crowdlab-loop store one)\n");
        return;
    }
    // The name column is as wide as its longest name ("conal[scale=1e-05] mlp", "auto -> ds-prior").
    const auto displayName = [](const nlohmann::json& run) {
        std::string name = run["name"].get<std::string>();
        if (run.contains("chosen") && run["chosen"].is_string())
            name += " -> " + run["chosen"].get<std::string>();  // "auto -> ds-prior"
        return name;
    };
    int nameWidth = 16;
    for (const nlohmann::json& run : runs)
        nameWidth = std::max(nameWidth, static_cast<int>(displayName(run).size()));
    std::printf("  %8s  %-15s  %-*s  %-9s  %-16s  %8s\n", "id", "kind", nameWidth, "name", "status", "created (UTC)",
                "accuracy");
    bool anyActive = false;
    bool anyParent = false;
    for (const nlohmann::json& run : runs) {
        const auto created = static_cast<std::time_t>(run["created"].get<double>());
        char when[32] = "-";
        if (std::tm utc{}; gmtime_r(&created, &utc))
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &utc);
        const bool active = run.value("active", false);
        anyActive |= active;
        // "4 <- 3": run 4 was derived from run 3.
        std::string id = std::to_string(run["id"].get<std::int64_t>());
        if (run.contains("parent") && run["parent"].is_number_integer()) {
            id += " <- " + std::to_string(run["parent"].get<std::int64_t>());
            anyParent = true;
        }
        const std::string name = displayName(run);
        std::printf("%s %8s  %-15s  %-*s  %-9s  %-16s  %8s\n", active ? "*" : " ", id.c_str(),
                    run["kind"].get<std::string>().c_str(), nameWidth, name.c_str(),
                    run["status"].get<std::string>().c_str(), when,
                    numberCell(run.value("accuracy", std::nan("")), "%.4f").c_str());
        if (run.contains("error"))
            std::printf("        %s\n", run["error"].get<std::string>().c_str());
    }
    if (anyActive)
        std::printf("  * the active run: the review and export use its consensus\n");
    if (anyParent)
        std::printf("  a <- b: run a was derived from run b (a retrain without the items b's ranking put on top)\n");
}

}  // namespace crowdsift::cli
