// Project store speed: create (import) and loadDataset of a synthetic crowd of 100,000 items,
// 1,000 annotators and 1,000,000 answers, against a baseline in the same process: the same
// answers written and read back as one int32 N x 3 .npy file (the cost of the bytes alone).
// Each figure is the best of three rounds, since the machine is shared.
//
//   bench_store [folder] [items] [annotators] [answers per item]

#include "data/dataset.h"
#include "project/store.h"
#include "util/npy.h"
#include "util/progress.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace crowdsift;

namespace {

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Dataset synthetic(int items, int annotators, int perItem, int classes)
{
    Dataset d;
    d.name = "bench";
    for (int k = 0; k < classes; ++k)
        d.classNames.push_back("class " + std::to_string(k));
    for (int i = 0; i < items; ++i) {
        d.itemKeys.push_back("item-" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.push_back("train/" + std::to_string(i % classes) + "/img-" + std::to_string(i) + ".png");
        d.truth.push_back(i % classes);
    }
    for (int w = 0; w < annotators; ++w)
        d.annotatorIds.push_back(std::to_string(w));
    std::vector<Answer> triplets;
    triplets.reserve(static_cast<std::size_t>(items) * perItem);
    const int stride = annotators / perItem;
    for (int i = 0; i < items; ++i)
        for (int j = 0; j < perItem; ++j)
            triplets.push_back({i, (i * 17 + j * stride) % annotators, (i * 31 + j * 7) % classes, false});
    d.answers = Answers::fromTriplets(items, annotators, triplets);
    return d;
}

}  // namespace

int main(int argc, char** argv)
{
    namespace fs = std::filesystem;
    const fs::path folder = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "crowdsift-bench-store";
    const int items = argc > 2 ? std::atoi(argv[2]) : 100000;
    const int annotators = argc > 3 ? std::atoi(argv[3]) : 1000;
    const int perItem = argc > 4 ? std::atoi(argv[4]) : 10;
    fs::create_directories(folder);
    const std::string path = (folder / "bench.csift").string();
    const std::string baseline = (folder / "answers.npy").string();

    const Dataset dataset = synthetic(items, annotators, perItem, 10);
    std::printf("%d items, %d annotators, %zu answers\n", items, annotators, dataset.answers.size());

    std::vector<std::int32_t> flat;
    flat.reserve(dataset.answers.size() * 3);
    for (const Answer& a : dataset.answers.triplets()) {
        flat.push_back(a.item);
        flat.push_back(a.annotator);
        flat.push_back(a.label);
    }
    double npyWrite = 1e9, npyRead = 1e9, create = 1e9, load = 1e9;
    std::size_t loadedAnswers = 0;
    for (int round = 0; round < 3; ++round) {
        auto start = std::chrono::steady_clock::now();
        writeNpy(baseline, flat.data(), {dataset.answers.size(), 3});
        npyWrite = std::min(npyWrite, secondsSince(start));
        start = std::chrono::steady_clock::now();
        const NpyArray back = readNpy(baseline);
        npyRead = std::min(npyRead, secondsSince(start));

        start = std::chrono::steady_clock::now();
        const Project project = Project::create(path, dataset, Progress::none(), true);
        create = std::min(create, secondsSince(start));
        start = std::chrono::steady_clock::now();
        const Dataset loaded = project.loadDataset(Progress::none());
        load = std::min(load, secondsSince(start));
        loadedAnswers = loaded.answers.size();
    }

    Project project = Project::open(path);
    auto start = std::chrono::steady_clock::now();
    Decision decision;
    decision.status = "relabel";
    decision.label = 1;
    const int appends = 200;
    for (int i = 0; i < appends; ++i) {
        decision.item = i;
        project.appendDecision(decision);
    }
    const double append = secondsSince(start) / appends;

    std::printf("baseline npy write %.3f s, read %.3f s\n", npyWrite, npyRead);
    std::printf("create      %.3f s  (%.1fx the npy write), file %.1f MB\n", create, create / npyWrite,
                static_cast<double>(fs::file_size(path)) / 1e6);
    std::printf("loadDataset %.3f s  (%.1fx the npy read), %zu answers\n", load, load / npyRead, loadedAnswers);
    std::printf("appendDecision %.2f ms each (durable, fsync per call)\n", append * 1e3);
    fs::remove(baseline);
    return 0;
}
