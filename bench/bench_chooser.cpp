// The strategy chooser (-s auto) against every single strategy, by accuracy against truth, on the
// real datasets of ../shared (reference answers) and on simulated crowds of the shapes where a
// fixed strategy failed on held-out real sets.
//
//   bench_chooser [--reference DIR] [--strategies a,b,...] [--only NAME] [--seeds N]
//                 [--candidates a,b:key=value,...] [--folds F] [--margin Z]
//
// --seeds N: each simulated crowd is drawn with N seeds (its own, then the next N - 1), so that a
// figure is not one lucky draw; a summary per shape gives the mean accuracy of every strategy and
// how often auto met the target. --candidates: auto chooses among these (chooser.h's candidate
// specs) instead of its default ones; --folds F: auto's folds of answers (default 5); --margin Z:
// the standard errors by which a candidate must beat ds-prior's held-out score (default 2; 0: the
// highest score wins).
// For each dataset: the accuracy of every strategy, of auto, auto's choice and each candidate's
// held-out log-likelihood per answer, and whether auto is at least majority vote's accuracy and
// within 0.5 points of the best single candidate.

#include "aggregate/chooser.h"
#include "aggregate/registry.h"
#include "aggregate/simulate.h"
#include "data/formats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

struct Case {
    std::string name;   // the shape's name
    Dataset dataset;
    std::uint64_t seed = 0;  // simulated: the seed drawn
};

// The shape `spec` drawn with seeds spec.seed, spec.seed + 1, ...
void addSeeds(std::vector<Case>& out, CrowdSpec spec, int seeds)
{
    const std::uint64_t first = spec.seed;
    for (int s = 0; s < seeds; ++s) {
        spec.seed = first + static_cast<std::uint64_t>(s);
        out.push_back({spec.name, simulateCrowd(spec), spec.seed});
    }
}

Dataset readReference(const std::string& dir, const std::string& name)
{
    ReadOptions options;
    options.format = Format::Csv;
    if (std::ifstream(dir + "/truth.csv"))
        options.truthPath = dir + "/truth.csv";
    Dataset d = readDataset(dir + "/answers.csv", options);
    d.name = name;
    return d;
}

std::vector<Case> simulatedCases(int seeds)
{
    std::vector<Case> out;
    CrowdSpec a;  // binary, 8,315 items x 3 answers, 176 annotators, most with few answers
    a.name = "sim-sparse-binary";
    a.items = 8315;
    a.annotators = 176;
    a.answersPerItem = 3;
    a.workloadSkew = 2.0;
    a.accuracyLow = 0.7;
    a.accuracyHigh = 0.98;
    a.spammerShare = 0.15;
    a.model = CrowdModel::Mace;
    a.classPriors = {0.8, 0.2};
    a.seed = 2;
    addSeeds(out, a, seeds);
    CrowdSpec b;  // binary, 240 items, 39 annotators, weak and uneven
    b.name = "sim-small-binary";
    b.items = 240;
    b.annotators = 39;
    b.answersPerItem = 5;
    b.workloadSkew = 1.0;
    b.accuracyLow = 0.5;
    b.accuracyHigh = 0.85;
    b.spammerShare = 0.2;
    b.model = CrowdModel::Confusion;
    b.seed = 3;
    addSeeds(out, b, seeds);
    CrowdSpec c;  // 10 classes, many annotators answering few items
    c.name = "sim-sparse-10class";
    c.items = 2000;
    c.classes = 10;
    c.annotators = 1500;
    c.answersPerItem = 6;
    c.workloadSkew = 0.3;
    c.accuracyLow = 0.55;
    c.accuracyHigh = 0.95;
    c.spammerShare = 0.05;
    c.model = CrowdModel::Confusion;
    c.seed = 4;
    addSeeds(out, c, seeds);
    return out;
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ','))
        if (!part.empty())
            out.push_back(part);
    return out;
}

// "strategy:key=value:key=value" -> the strategy and its parameters (numbers only).
std::string strategyOf(const std::string& spec)
{
    return spec.substr(0, spec.find(':'));
}

nlohmann::json paramsOf(const std::string& spec)
{
    nlohmann::json params = nlohmann::json::object();
    std::size_t at = spec.find(':');
    while (at != std::string::npos) {
        const std::size_t next = spec.find(':', at + 1);
        const std::string part = spec.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
        const std::size_t eq = part.find('=');
        if (eq != std::string::npos)
            params[part.substr(0, eq)] = nlohmann::json::parse(part.substr(eq + 1));
        at = next;
    }
    return params;
}

}  // namespace

// Per shape: the sums of every strategy's accuracy over its draws, and auto's record.
struct Summary {
    std::string name;
    int draws = 0;
    std::vector<double> sums;
    std::vector<int> nearBest;  // per strategy: draws where it was within 0.5 of the best single one
    int aboveMv = 0;
    int significantlyBelowMv = 0;  // draws where McNemar's test puts auto below majority vote
    int withinBest = 0;
    double worstGap = 0;  // largest (best single strategy - auto), points
};

int main(int argc, char** argv)
{
    std::string reference = CROWDSIFT_BENCH_SHARED_DIR "/reference";
    std::vector<std::string> names = {"mv", "wawa", "ds", "ds-prior", "cc-ds", "one-coin-ds", "wds", "glad", "mace", "auto"};
    std::string only;
    int seeds = 1;
    int folds = AggregationParams().folds;
    double margin = AggregationParams().margin;
    std::vector<std::string> candidates = chooserCandidates();
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg == "--reference" && a + 1 < argc)
            reference = argv[++a];
        else if (arg == "--strategies" && a + 1 < argc)
            names = split(argv[++a]);
        else if (arg == "--only" && a + 1 < argc)
            only = argv[++a];
        else if (arg == "--candidates" && a + 1 < argc)
            candidates = split(argv[++a]);
        else if (arg == "--folds" && a + 1 < argc)
            folds = std::max(2, std::atoi(argv[++a]));
        else if (arg == "--margin" && a + 1 < argc)
            margin = std::max(0.0, std::atof(argv[++a]));
        else if (arg == "--seeds" && a + 1 < argc)
            seeds = std::max(1, std::atoi(argv[++a]));
        else {
            std::fprintf(stderr, "usage: %s [--reference DIR] [--strategies a,b,...] [--only NAME] [--seeds N] [--candidates a,b,...] [--folds F] [--margin Z]\n",
                         argv[0]);
            return 2;
        }
    }
    std::vector<Case> cases;
    for (const char* name : {"dog", "bluebirds", "labelme", "cifar10h500"})
        if (only.empty() || only == name)
            cases.push_back({name, readReference(reference + "/" + name, name)});
    for (Case& c : simulatedCases(seeds))
        if (only.empty() || only == c.name)
            cases.push_back(std::move(c));

    std::vector<Summary> summaries;
    for (const Case& c : cases) {
        const Dataset& d = c.dataset;
        std::printf("\n%s%s: %d items, %d annotators, %zu answers, K = %d%s\n", c.name.c_str(),
                    c.seed > 0 ? (" seed " + std::to_string(c.seed)).c_str() : "", d.itemCount(), d.annotatorCount(),
                    d.answers.size(), d.classCount(), d.hasTruth() ? "" : " (no truth)");
        std::vector<double> acc(names.size(), NAN);
        std::vector<int> mvLabels;
        std::vector<int> autoLabels;
        for (std::size_t s = 0; s < names.size(); ++s) {
            const std::string& name = names[s];
            const auto start = std::chrono::steady_clock::now();
            AggregationResult r;
            if (name == "auto") {
                AggregationParams chooserParams;
                chooserParams.folds = folds;
                chooserParams.margin = margin;
                const ChooserReport report = chooseStrategy(d, chooserParams, r, Progress::none(), candidates);
                r.extra["chooser"] = report.toJson();
            } else {
                r = aggregate(strategyOf(name), d, paramsOf(name));
            }
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            acc[s] = 100 * accuracy(r.labels, d.truth);
            if (name == "mv")
                mvLabels = r.labels;
            else if (name == "auto")
                autoLabels = r.labels;
            char shown[32] = "-";
            if (std::isfinite(acc[s]))
                std::snprintf(shown, sizeof shown, "%.2f %%", acc[s]);
            std::printf("  %-12s %8s  it=%-4d %7.3f s", name.c_str(), shown, r.iterations, seconds);
            if (r.extra.contains("chooser"))
                std::printf("  chose %s  %s  z %s", r.extra["chooser"]["chosen"].get<std::string>().c_str(),
                            r.extra["chooser"]["held_out_log_likelihood"].dump().c_str(),
                            r.extra["chooser"]["z_over_default"].dump().c_str());
            std::printf("\n");
        }
        if (!d.hasTruth())
            continue;
        if (summaries.empty() || summaries.back().name != c.name)
            summaries.push_back({c.name, 0, std::vector<double>(names.size(), 0.0), std::vector<int>(names.size(), 0)});
        Summary& sum = summaries.back();
        ++sum.draws;
        double best = -1;
        double automatic = NAN;
        double mv = NAN;
        for (std::size_t s = 0; s < names.size(); ++s) {
            sum.sums[s] += acc[s];
            if (names[s] == "auto")
                automatic = acc[s];
            else
                best = std::max(best, acc[s]);
            if (names[s] == "mv")
                mv = acc[s];
        }
        for (std::size_t s = 0; s < names.size(); ++s)
            sum.nearBest[s] += acc[s] >= best - 0.5 - 1e-9;
        if (std::isfinite(automatic)) {
            sum.aboveMv += !(automatic < mv - 1e-9);
            if (!mvLabels.empty() && !autoLabels.empty()) {
                // McNemar's test on the items where auto and majority vote differ: auto is
                // significantly below (two-sided 5 %, continuity-corrected) when majority vote is
                // right on more of them by (|c - b| - 1)^2 / (b + c) > 3.84.
                int b = 0;  // auto right, majority vote wrong
                int c = 0;  // the reverse
                for (std::size_t i = 0; i < autoLabels.size(); ++i) {
                    if (d.truth[i] < 0 || autoLabels[i] == mvLabels[i])
                        continue;
                    b += autoLabels[i] == d.truth[i];
                    c += mvLabels[i] == d.truth[i];
                }
                const double chi = b + c > 0 ? std::pow(std::abs(c - b) - 1.0, 2) / (b + c) : 0.0;
                sum.significantlyBelowMv += c > b && chi > 3.84;
                std::printf("  auto against mv: %d items differ, auto right on %d, mv on %d%s\n", b + c, b, c,
                            c > b && chi > 3.84 ? " (significantly below, McNemar p < 0.05)" : "");
            }
            sum.withinBest += automatic >= best - 0.5 - 1e-9;
            sum.worstGap = std::max(sum.worstGap, best - automatic);
        }
    }
    if (seeds > 1) {
        std::printf("\nmean accuracy over the draws (%%):\n  %-20s", "shape");
        for (const std::string& name : names)
            std::printf(" %11s", name.c_str());
        std::printf("   auto >= mv  significantly < mv  within 0.5 of best  worst gap\n");
        for (const Summary& s : summaries) {
            std::printf("  %-20s", s.name.c_str());
            for (double v : s.sums)
                std::printf(" %11.2f", v / s.draws);
            std::printf("   %d/%d        %d/%d              %d/%d               %.2f\n", s.aboveMv, s.draws,
                        s.significantlyBelowMv, s.draws, s.withinBest, s.draws, s.worstGap);
            std::printf("  %-20s", "  within 0.5 of best");
            for (int v : s.nearBest)
                std::printf(" %8d/%-2d", v, s.draws);
            std::printf("\n");
        }
    }
    return 0;
}
