#pragma once

// The aggregation strategies by name, for the CLI (`crowdsift-cli aggregate --strategy NAME`),
// the GUI and the project store (which keeps a run's name and parameters as JSON).

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crowdsift {

struct StrategyInfo {
    using Run = AggregationResult (*)(const Dataset&, const AggregationParams&, Progress&);

    std::string name;         // "ds"
    std::string title;        // "Dawid-Skene"
    std::string description;  // one line, for --help
    std::string skill;        // what AggregationResult::annotatorSkill means for this strategy
    std::vector<std::string> parameters;  // the AggregationParams JSON keys it reads
    AggregationParams defaults;
    bool iterative = false;   // EM: iterations, convergence and an objective are reported
    Run run = nullptr;
    // Reads complementary ("not class k") answers; the others skip them, and aggregate() then
    // puts a warning in the result's extra["warnings"].
    bool readsComplementary = false;
};

// All strategies, in the order a menu shows them: auto (chooser.h), mv, naive-soft, wawa, ds, ds-prior, cc-ds,
// one-coin-ds, wds, glad, mace, comp-vote, comp-ds (complementary.h).
const std::vector<StrategyInfo>& strategies();
std::vector<std::string> strategyNames();

// Throws InputError naming the known strategies when `name` is not one of them.
const StrategyInfo& strategyInfo(const std::string& name);
AggregationParams defaultParams(const std::string& name);

// Runs strategy `name` with its defaults overridden by `params` (a JSON object with the keys of
// AggregationParams; keys the strategy does not read are rejected, so a typo never goes
// unnoticed). A strategy that cannot read complementary answers skips them and says so: the
// result's extra["warnings"] (an array of strings) names how many it ignored and the strategies
// that read them; when every answer of `dataset` is complementary such a strategy has nothing to
// read, and InputError says to use those (no silent run that labels nothing). Throws InputError
// for a bad name or parameter, Cancelled when `progress` is cancelled.
// Adds the warning above to `result` when `dataset` has complementary answers (for strategies run
// outside aggregate(), such as CROWDLAB, that skip them too).
void warnComplementarySkipped(AggregationResult& result, const Dataset& dataset);

AggregationResult aggregate(const std::string& name, const Dataset& dataset,
                            const nlohmann::json& params = nlohmann::json::object(),
                            Progress& progress = Progress::none());

}  // namespace crowdsift
