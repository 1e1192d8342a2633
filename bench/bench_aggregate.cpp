// Speed and memory of the aggregation strategies and CROWDLAB.
//
//   bench_aggregate [--answers N[,N...]] [--threads T] [--reference DIR] [--strategies a,b,...]
//
// Synthetic data: N answers on N / 10 items, 10 distinct annotators per item out of 1,000,
// K = 10 classes, uniform true classes, and for every annotator a random confusion matrix (a
// diagonal between 0.3 and 0.95, the rest spread by random weights). Model probabilities for
// CROWDLAB: 0.5 one-hot(truth) + 0.5 random, normalised. Each measurement runs in a forked child
// so that its peak resident memory (VmHWM) is its own; "extra" is that peak minus the resident
// size at the fork (the data set already loaded), "data" what generating the data set added to
// the resident size (answers in both orders, 16 bytes each, model probabilities, item keys),
// "raw" the answers as (item, annotator, label) 32-bit triplets. "CPU seconds" sums all threads. DS runs exactly 50 EM iterations; the other
// strategies run with their defaults, except MACE with one restart (of its default ten; each
// restart costs the same). With --reference, also times every strategy on the
// reference data sets (answers.csv under DIR/<name>/).

#include "aggregate/crowdlab.h"
#include "aggregate/registry.h"
#include "data/dataset.h"
#include "data/formats.h"

#include "bench_common.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace crowdsift;
using crowdsift::bench::procStatusMb;

namespace {

struct Synthetic {
    Dataset dataset;
    RowMatrixXd probabilities;
};

Synthetic generate(std::int64_t answers, std::uint64_t seed)
{
    const int k = 10;
    const int m = 1000;
    const int perItem = 10;
    const int n = static_cast<int>(answers / perItem);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    std::vector<double> confusion(static_cast<std::size_t>(m) * k * k);
    for (int w = 0; w < m; ++w) {
        const double diagonal = 0.3 + 0.65 * unit(rng);
        for (int t = 0; t < k; ++t) {
            double* row = &confusion[(static_cast<std::size_t>(w) * k + t) * k];
            double rest = 0;
            for (int o = 0; o < k; ++o) {
                row[o] = o == t ? 0.0 : unit(rng);
                rest += row[o];
            }
            for (int o = 0; o < k; ++o)
                row[o] = o == t ? diagonal : (1 - diagonal) * row[o] / rest;
            for (int o = 1; o < k; ++o)
                row[o] += row[o - 1];  // cumulative, for sampling
        }
    }

    Synthetic s;
    Dataset& d = s.dataset;
    d.name = "synthetic";
    for (int c = 0; c < k; ++c)
        d.classNames.push_back("c" + std::to_string(c));
    d.itemKeys.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        d.itemKeys[static_cast<std::size_t>(i)] = std::to_string(i);
    for (int w = 0; w < m; ++w)
        d.annotatorIds.push_back(std::to_string(w));
    d.splits.assign(static_cast<std::size_t>(n), Split::Train);
    d.imagePaths.assign(static_cast<std::size_t>(n), std::string());
    d.truth.resize(static_cast<std::size_t>(n));
    s.probabilities.resize(n, k);

    std::vector<Answer> triplets;
    triplets.reserve(static_cast<std::size_t>(n) * perItem);
    std::uniform_int_distribution<int> annotator(0, m - 1);
    std::uniform_int_distribution<int> cls(0, k - 1);
    for (int i = 0; i < n; ++i) {
        const int truth = cls(rng);
        d.truth[static_cast<std::size_t>(i)] = truth;
        int chosen[perItem];
        for (int j = 0; j < perItem; ++j) {
            int w = 0;
            bool again = true;
            while (again) {
                w = annotator(rng);
                again = std::find(chosen, chosen + j, w) != chosen + j;
            }
            chosen[j] = w;
            const double* row = &confusion[(static_cast<std::size_t>(w) * k + truth) * k];
            const double u = unit(rng);
            int label = 0;
            while (label < k - 1 && u > row[label])
                ++label;
            triplets.push_back({i, w, label, false});
        }
        double sum = 0;
        for (int c = 0; c < k; ++c) {
            const double v = 0.5 * unit(rng) + (c == truth ? 0.5 : 0.0);
            s.probabilities(i, c) = v;
            sum += v;
        }
        s.probabilities.row(i) /= sum;
    }
    d.answers = Answers::fromTriplets(n, m, triplets);
    return s;
}


struct Measure {
    double seconds = 0;
    double cpuSeconds = 0;  // user + system time of all the child's threads
    double accuracy = NAN;
    int iterations = 0;
    double extraMb = 0;
    bool ok = false;
};

// Runs `work` in a forked child; the child reports time, accuracy, iterations and its peak
// resident memory above the resident size at the fork.
template <class Work>
Measure measure(Work work)
{
    int pipeFd[2];
    if (pipe(pipeFd) != 0)
        return {};
    const double baseMb = procStatusMb("VmRSS");
    const pid_t pid = fork();
    if (pid == 0) {
        close(pipeFd[0]);
        Measure r;
        const auto start = std::chrono::steady_clock::now();
        work(r);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // A forked child starts with zero resource usage, so this is the work's own.
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        r.cpuSeconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                       + 1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
        r.extraMb = procStatusMb("VmHWM") - baseMb;
        r.ok = true;
        const ssize_t written = write(pipeFd[1], &r, sizeof r);
        _exit(written == static_cast<ssize_t>(sizeof r) ? 0 : 1);
    }
    close(pipeFd[1]);
    Measure r;
    if (read(pipeFd[0], &r, sizeof r) != static_cast<ssize_t>(sizeof r))
        r.ok = false;
    close(pipeFd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return r;
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

// A reference dataset (answers.csv with 0-based task/worker indices, truth.csv when present).
Dataset readReference(const std::string& dir)
{
    ReadOptions options;
    options.format = Format::Csv;
    if (std::ifstream(dir + "/truth.csv"))
        options.truthPath = dir + "/truth.csv";
    Dataset d = readDataset(dir + "/answers.csv", options);
    d.name = dir;
    return d;
}

}  // namespace

int main(int argc, char** argv)
{
    std::vector<std::int64_t> sizes = {10000, 100000, 1000000, 10000000};
    std::vector<std::string> names = {"mv", "wawa", "ds", "one-coin-ds", "wds", "glad", "mace", "crowdlab"};
    int threads = 0;
    std::string reference;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        const bool hasValue = a + 1 < argc;
        if (arg == "--answers" && hasValue) {
            sizes.clear();
            for (const std::string& s : split(argv[++a]))
                sizes.push_back(std::stoll(s));
        } else if (arg == "--threads" && hasValue) {
            threads = std::stoi(argv[++a]);
        } else if (arg == "--reference" && hasValue) {
            reference = argv[++a];
        } else if (arg == "--strategies" && hasValue) {
            names = split(argv[++a]);
        } else {
            std::fprintf(stderr, "usage: %s [--answers N,...] [--threads T] [--reference DIR] [--strategies a,b,...]\n",
                         argv[0]);
            return 2;
        }
    }

    std::printf("| answers | items | strategy | seconds | CPU seconds | iterations | accuracy | extra MB | data MB | raw MB |\n");
    std::printf("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::int64_t size : sizes) {
        const double before = procStatusMb("VmRSS");
        const Synthetic s = generate(size, 20240601);
        const double dataMb = procStatusMb("VmRSS") - before;
        // Raw size: one (item, annotator, label) triplet of 32-bit integers per answer.
        const double rawMb = static_cast<double>(s.dataset.answers.size()) * 12 / (1024.0 * 1024.0);
        for (const std::string& name : names) {
            const Measure r = measure([&](Measure& out) {
                if (name == "crowdlab") {
                    CrowdlabOptions options;
                    options.threads = threads;
                    const CrowdlabResult c = crowdlab(s.dataset, s.probabilities, options);
                    out.accuracy = accuracy(c.consensusLabel, s.dataset.truth);
                    return;
                }
                nlohmann::json params = {{"threads", threads}};
                if (name == "ds")
                    params.update({{"max_iterations", 50}, {"tolerance", -1.0}});
                if (name == "mace")
                    params.update({{"restarts", 1}});
                const AggregationResult a = aggregate(name, s.dataset, params);
                out.accuracy = accuracy(a.labels, s.dataset.truth);
                out.iterations = a.iterations;
            });
            std::printf("| %lld | %d | %s | %.3f | %.3f | %d | %.4f | %.1f | %.1f | %.1f |\n", static_cast<long long>(size),
                        s.dataset.itemCount(), name.c_str(), r.seconds, r.cpuSeconds, r.iterations, r.accuracy,
                        r.extraMb, dataMb, rawMb);
            std::fflush(stdout);
        }
    }

    if (!reference.empty()) {
        std::printf("\n| dataset | answers | strategy | seconds | iterations | accuracy |\n|---|---:|---|---:|---:|---:|\n");
        for (const char* ds : {"dog", "bluebirds", "labelme", "cifar10h500"}) {
            const Dataset d = readReference(reference + "/" + ds);
            for (const std::string& name : strategyNames()) {
                const auto start = std::chrono::steady_clock::now();
                const AggregationResult a = aggregate(name, d, {{"threads", threads}});
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                std::printf("| %s | %zu | %s | %.4f | %d | %.4f |\n", ds, d.answers.size(), name.c_str(), seconds,
                            a.iterations, accuracy(a.labels, d.truth));
            }
            // CROWDLAB's cost does not depend on the probabilities' values: time it with made-up
            // ones (the accuracy column is therefore left out).
            RowMatrixXd probabilities(d.itemCount(), d.classCount());
            for (int i = 0; i < d.itemCount(); ++i)
                for (int c = 0; c < d.classCount(); ++c)
                    probabilities(i, c) = static_cast<double>((i * 7 + c * 3) % 11 + 1);
            for (int i = 0; i < d.itemCount(); ++i)
                probabilities.row(i) /= probabilities.row(i).sum();
            CrowdlabOptions options;
            options.threads = threads;
            const auto start = std::chrono::steady_clock::now();
            const CrowdlabResult c = crowdlab(d, probabilities, options);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::printf("| %s | %zu | crowdlab | %.4f | 0 | - |\n", ds, d.answers.size(), seconds);
        }
    }
    return 0;
}
