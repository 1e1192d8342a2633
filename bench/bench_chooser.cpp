// The strategy chooser (-s auto) against every single strategy, by accuracy against truth, on the
// real datasets of ../shared (reference answers) and on simulated crowds of the shapes where a
// fixed strategy failed on held-out real sets.
//
//   bench_chooser [--reference DIR] [--strategies a,b,...] [--only NAME]
//
// For each dataset: the accuracy of every strategy, of auto, auto's choice and each candidate's
// held-out log-likelihood per answer, and whether auto is at least majority vote's accuracy and
// within 0.5 points of the best single candidate.

#include "aggregate/registry.h"
#include "aggregate/simulate.h"
#include "data/formats.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

struct Case {
    std::string name;
    Dataset dataset;
};

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

std::vector<Case> simulatedCases()
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
    out.push_back({a.name, simulateCrowd(a)});
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
    out.push_back({b.name, simulateCrowd(b)});
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
    out.push_back({c.name, simulateCrowd(c)});
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

}  // namespace

int main(int argc, char** argv)
{
    std::string reference = CROWDSIFT_BENCH_SHARED_DIR "/reference";
    std::vector<std::string> names = {"mv", "wawa", "ds", "ds-prior", "cc-ds", "one-coin-ds", "wds", "glad", "mace", "auto"};
    std::string only;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg == "--reference" && a + 1 < argc)
            reference = argv[++a];
        else if (arg == "--strategies" && a + 1 < argc)
            names = split(argv[++a]);
        else if (arg == "--only" && a + 1 < argc)
            only = argv[++a];
        else {
            std::fprintf(stderr, "usage: %s [--reference DIR] [--strategies a,b,...] [--only NAME]\n", argv[0]);
            return 2;
        }
    }
    std::vector<Case> cases;
    for (const char* name : {"dog", "bluebirds", "labelme", "cifar10h500"})
        if (only.empty() || only == name)
            cases.push_back({name, readReference(reference + "/" + name, name)});
    for (Case& c : simulatedCases())
        if (only.empty() || only == c.name)
            cases.push_back(std::move(c));

    for (const Case& c : cases) {
        const Dataset& d = c.dataset;
        std::printf("\n%s: %d items, %d annotators, %zu answers, K = %d%s\n", c.name.c_str(), d.itemCount(),
                    d.annotatorCount(), d.answers.size(), d.classCount(), d.hasTruth() ? "" : " (no truth)");
        for (const std::string& name : names) {
            const auto start = std::chrono::steady_clock::now();
            const AggregationResult r = aggregate(name, d);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double acc = accuracy(r.labels, d.truth);
            std::printf("  %-12s %8s  it=%-4d %7.3f s", name.c_str(),
                        std::isfinite(acc) ? (std::to_string(100 * acc).substr(0, 5) + " %").c_str() : "-", r.iterations,
                        seconds);
            if (r.extra.contains("chooser"))
                std::printf("  chose %s  %s", r.extra["chooser"]["chosen"].get<std::string>().c_str(),
                            r.extra["chooser"]["held_out_log_likelihood"].dump().c_str());
            std::printf("\n");
        }
    }
    return 0;
}
