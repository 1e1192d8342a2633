// Speed and memory of the review grid's thumbnail pipeline (images/thumbnails.h).
//
//   bench_thumbnails [SHARED_DIR] [--items N] [--size PX] [--cache-mib M]
//
// SHARED_DIR defaults to $CROWDSIFT_SHARED, else ../shared. Images: the 1000 LabelMe JPEGs
// (256 x 256) under SHARED_DIR/datasets/labelme/datasets/labelme/train, read once beforehand so
// that every mode finds them in the page cache.
//
// Part 1, decoding 1000 images into PX-pixel thumbnails (128 by default):
//   baseline      decodeThumbnail with reducedJpegDecode off (full-size imread + INTER_AREA), 1 thread
//   reduced       decodeThumbnail (libjpeg DCT scaling), 1 thread, called directly
//   loader x1/x2  ThumbnailLoader with 1 and 2 workers: request all, wait until idle
// Wall and CPU time (all threads) for each; the ratio column is baseline wall / wall (higher =
// faster). On a shared machine the CPU ratio, baseline over reduced, is the steadier figure.
// The loaders keep their 1000 thumbnails (49 MiB of fresh memory, whose first touch cost about
// 0.13 ms per image on the 2-core machine); the direct calls free each one as they go.
//
// Part 2, a grid of N items (200,000 by default) whose item i shows JPEG i mod 1000, decoded by a
// 2-worker loader with an M MiB cache (256 by default), in pages of 200 items:
//   first page    request page 0, wait until its 200 thumbnails are decoded
//   fling         request 1000 successive pages without waiting (a fast scroll), then wait for
//                 the last one: only it and the items already in flight are decoded
//   cached page   once 20 pages are decoded, what the view does per repaint of a cached page:
//                 request(page) + thumbnail(item) for its 200 items; mean over 10,000 pages
// Memory: peak resident set (VmHWM) of the process and the bytes the cache holds.
// Targets (issue 4): first page under 1 s, every cached page under 50 ms, memory under 1 GB.

#include "images/thumbnails.h"

#include "bench_common.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace crowdsift;
using crowdsift::bench::procStatusMb;
namespace fs = std::filesystem;

namespace {

constexpr int kPage = 200;

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double cpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}


std::vector<int> page(int first, int count, int limit)
{
    std::vector<int> items;
    for (int i = first; i < std::min(first + count, limit); ++i)
        items.push_back(i);
    return items;
}

int usage(const char* program)
{
    std::fprintf(stderr, "usage: %s [SHARED_DIR] [--items N] [--size PX] [--cache-mib M]\n", program);
    return 2;
}

}  // namespace

int main(int argc, char** argv)
{
    const char* env = std::getenv("CROWDSIFT_SHARED");
    std::string shared = env && *env ? env : "../shared";
    int items = 200000;
    int size = 128;
    std::size_t cacheMiB = 256;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--items" && hasValue)
            items = std::atoi(argv[++i]);
        else if (arg == "--size" && hasValue)
            size = std::atoi(argv[++i]);
        else if (arg == "--cache-mib" && hasValue)
            cacheMiB = std::strtoull(argv[++i], nullptr, 10);
        else if (!arg.empty() && arg[0] != '-')
            shared = arg;
        else
            return usage(argv[0]);
    }
    if (items < kPage * 40 || size < 1 || cacheMiB < 1)
        return usage(argv[0]);

    const fs::path train = fs::path(shared) / "datasets/labelme/datasets/labelme/train";
    std::vector<std::string> images;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(train, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".jpg")
            images.push_back(it->path().string());
    std::sort(images.begin(), images.end());
    if (images.size() != 1000) {
        std::fprintf(stderr, "%s: expected 1000 LabelMe JPEGs, found %zu\n", train.string().c_str(), images.size());
        return 1;
    }
    std::size_t fileBytes = 0;
    for (const std::string& path : images) {
        std::ifstream in(path, std::ios::binary);
        fileBytes += std::string(std::istreambuf_iterator<char>(in), {}).size();
    }
    std::printf("1000 LabelMe JPEGs, %.1f MiB, thumbnails of %d px\n\n", fileBytes / 1048576.0, size);

    // Part 1.
    ThumbnailDecodeOptions full;
    full.size = size;
    full.reducedJpegDecode = false;
    ThumbnailDecodeOptions reduced;
    reduced.size = size;

    struct Timing {
        double wall = 0.0;
        double cpu = 0.0;
    };
    auto measure = [](auto&& work) {
        const auto wallStart = std::chrono::steady_clock::now();
        const double cpuStart = cpuSeconds();
        work();
        return Timing{seconds(wallStart), cpuSeconds() - cpuStart};
    };

    int failures = 0;
    const Timing baseline = measure([&] {
        for (const std::string& path : images)
            failures += decodeThumbnail(path, full)->failed();
    });
    const Timing direct = measure([&] {
        for (const std::string& path : images)
            failures += decodeThumbnail(path, reduced)->failed();
    });
    Timing loaderTimes[2];
    for (int threads = 1; threads <= 2; ++threads) {
        ThumbnailLoader loader(threads, std::size_t(1) << 30, size);
        loader.setSource("", images);
        loaderTimes[threads - 1] = measure([&] {
            loader.request(page(0, 1000, 1000));
            loader.waitUntilIdle();
        });
        failures += static_cast<int>(loader.stats().failed);
    }
    if (failures) {
        std::fprintf(stderr, "%d images failed to decode\n", failures);
        return 1;
    }

    std::printf("%-34s %9s %9s %13s %11s\n", "decode 1000 images", "wall s", "CPU s", "ms per image",
                "x baseline");
    auto row = [&](const char* name, const Timing& t) {
        std::printf("%-34s %9.3f %9.3f %13.3f %11.2f\n", name, t.wall, t.cpu, t.wall * 1e3 / images.size(),
                    baseline.wall / t.wall);
    };
    row("baseline: full imread + resize", baseline);
    row("reduced decode, direct", direct);
    row("loader, 1 thread", loaderTimes[0]);
    row("loader, 2 threads", loaderTimes[1]);
    std::printf("CPU per image, baseline over reduced: %.2fx; wall, 2 threads over 1: %.2fx\n\n",
                baseline.cpu / direct.cpu, loaderTimes[0].wall / loaderTimes[1].wall);

    // Part 2.
    std::vector<std::string> paths(static_cast<std::size_t>(items));
    for (int i = 0; i < items; ++i)
        paths[i] = images[i % images.size()];
    ThumbnailLoader loader(2, cacheMiB << 20, size);
    loader.setSource("", std::move(paths));

    auto start = std::chrono::steady_clock::now();
    loader.request(page(0, kPage, items));
    loader.waitUntilIdle();
    const double firstPage = seconds(start);

    const long long decodedBefore = loader.stats().decoded;
    const int flingPages = std::min(1000, items / kPage - 1);
    start = std::chrono::steady_clock::now();
    for (int p = 1; p <= flingPages; ++p)
        loader.request(page(p * kPage, kPage, items));
    loader.waitUntilIdle();
    const double fling = seconds(start);
    const long long flingDecoded = loader.stats().decoded - decodedBefore;

    const int cachedPages = 20;
    const int base = items / 2 / kPage * kPage;
    for (int p = 0; p < cachedPages; ++p) {
        loader.request(page(base + p * kPage, kPage, items));
        loader.waitUntilIdle();
    }
    const int lookups = 10000;
    long long missing = 0;
    start = std::chrono::steady_clock::now();
    for (int l = 0; l < lookups; ++l) {
        const std::vector<int> shown = page(base + (l % cachedPages) * kPage, kPage, items);
        loader.request(shown);
        for (int item : shown)
            missing += loader.thumbnail(item) == nullptr;
    }
    const double cachedPage = seconds(start) / lookups;
    loader.waitUntilIdle();

    std::printf("grid of %d items, 2 threads, %zu MiB cache, pages of %d\n", items, cacheMiB, kPage);
    std::printf("  first page (cold)            %10.1f ms   target < 1000 ms\n", firstPage * 1e3);
    std::printf("  fling over %4d pages + land  %10.1f ms   decoded %lld of %d items requested\n", flingPages,
                fling * 1e3, flingDecoded, flingPages * kPage);
    std::printf("  cached page (request+lookup) %10.1f us   target < 50 ms, misses %lld\n", cachedPage * 1e6,
                missing);
    std::printf("  cache: %zu entries, %.1f MiB, evicted %lld\n", loader.cachedCount(),
                loader.cacheBytes() / 1048576.0, loader.stats().evicted);
    std::printf("peak RSS %.1f MiB   target < 1024 MiB\n", procStatusMb("VmHWM"));

    const bool met = firstPage < 1.0 && cachedPage < 0.05 && procStatusMb("VmHWM") < 1024.0 && missing == 0;
    std::printf("targets %s\n", met ? "met" : "NOT met");
    return met ? 0 : 1;
}
