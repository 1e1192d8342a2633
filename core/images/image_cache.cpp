#include "images/image_cache.h"

#include "images/image_files.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/parallel.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <system_error>

namespace crowdsift {

namespace fs = std::filesystem;

using namespace imagefiles;

int defaultImageCacheSize(const Dataset& dataset)
{
    for (int i = 0; i < dataset.itemCount(); ++i) {
        if (dataset.imagePaths[static_cast<std::size_t>(i)].empty())
            continue;
        const cv::Mat image = decodeImage(dataset, i);
        return std::max(image.cols, image.rows) <= 28 ? 28 : 32;
    }
    throw InputError(dataset.source, "images", "the dataset has no images");
}

ImageCache buildImageCache(const Dataset& dataset, const std::string& cacheDir, const ImageCacheOptions& options,
                           Progress& progress)
{
    if (options.size < 1 || options.size > 1024)
        throw InputError("image cache", "size " + std::to_string(options.size), "the image side must lie in 1..1024 px");
    if (options.channels != 0 && options.channels != 1 && options.channels != 3)
        throw InputError("image cache", "channels " + std::to_string(options.channels), "expected 0 (auto), 1 or 3");
    const int n = dataset.itemCount();
    if (dataset.imageCount() == 0)
        throw InputError(dataset.source, "images", "the dataset has no images");

    ThreadPool pool(options.threads);
    ImageCache cache;
    // Version tag first: a change of the decoding rules must give new keys.
    cache.key = imageContentKey(dataset, "crowdsift-image-cache-1",
                                {static_cast<std::uint64_t>(options.size), static_cast<std::uint64_t>(options.channels)},
                                pool, progress, cache.missingImages);
    cache.path = (fs::path(cacheDir) / ("images-" + cache.key + ".npy")).string();
    cache.count = n;
    cache.height = cache.width = options.size;

    std::vector<std::size_t> shape;
    const auto side = static_cast<std::size_t>(options.size);
    if (readNpyShape(cache.path, "|u1", 1, shape) && shape.size() == 4 && shape[0] == static_cast<std::size_t>(n)
        && shape[1] == side && shape[2] == side
        && (options.channels == 0 ? shape[3] == 1 || shape[3] == 3 : shape[3] == static_cast<std::size_t>(options.channels))) {
        cache.channels = static_cast<int>(shape[3]);
        cache.reused = true;
        return cache;
    }

    std::error_code ec;
    fs::create_directories(cacheDir, ec);
    if (ec)
        throw InputError(cacheDir, "", "cannot create the cache folder: " + ec.message());

    // Auto channels decode to RGB and drop to one channel at the end when every image was gray.
    const int decodeChannels = options.channels == 1 ? 1 : 3;
    const std::size_t pixels = side * side;
    std::vector<std::uint8_t> tensor(static_cast<std::size_t>(n) * pixels * static_cast<std::size_t>(decodeChannels), 0);
    std::vector<char> gray(static_cast<std::size_t>(n), 1);
    forEachChunk(n, pool, progress, "decoding images", [&](int item) {
        if (dataset.imagePaths[static_cast<std::size_t>(item)].empty())
            return;
        const cv::Mat image = decodeImage(dataset, item);
        gray[static_cast<std::size_t>(item)] = image.channels() == 1;
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(options.size, options.size), 0, 0, cv::INTER_AREA);
        cv::Mat target(options.size, options.size, CV_8UC(decodeChannels),
                       tensor.data() + static_cast<std::size_t>(item) * pixels * static_cast<std::size_t>(decodeChannels));
        if (decodeChannels == 1 && resized.channels() == 3)
            cv::cvtColor(resized, target, cv::COLOR_BGR2GRAY);
        else if (decodeChannels == 3 && resized.channels() == 1)
            cv::cvtColor(resized, target, cv::COLOR_GRAY2RGB);
        else if (decodeChannels == 3)
            cv::cvtColor(resized, target, cv::COLOR_BGR2RGB);
        else
            resized.copyTo(target);
    });

    cache.channels = decodeChannels;
    if (options.channels == 0 && std::all_of(gray.begin(), gray.end(), [](char g) { return g != 0; })) {
        for (std::size_t p = 0; p < static_cast<std::size_t>(n) * pixels; ++p)
            tensor[p] = tensor[p * 3];
        tensor.resize(static_cast<std::size_t>(n) * pixels);
        cache.channels = 1;
    }
    writeNpy(cache.path, tensor.data(), {static_cast<std::size_t>(n), side, side, static_cast<std::size_t>(cache.channels)});
    return cache;
}

}  // namespace crowdsift
