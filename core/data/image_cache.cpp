#include "data/image_cache.h"

#include "util/error.h"
#include "util/npy.h"
#include "util/parallel.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <system_error>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t fnvOffset = 14695981039346656037ull;
constexpr std::uint64_t fnvPrime = 1099511628211ull;

// Items are hashed and decoded in chunks so that progress and cancellation are seen between
// chunks while the pool keeps every core busy inside one.
constexpr int chunkSize = 256;

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size)
{
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= fnvPrime;
    }
    return hash;
}

std::uint64_t fnv1a(std::uint64_t hash, std::uint64_t value)
{
    return fnv1a(hash, &value, sizeof value);
}

std::string imageFile(const Dataset& dataset, int item)
{
    const fs::path path(dataset.imagePaths[static_cast<std::size_t>(item)]);
    return (path.is_absolute() || dataset.root.empty() ? path : fs::path(dataset.root) / path).string();
}

std::string itemRecord(const Dataset& dataset, int item)
{
    return "item '" + dataset.itemKeys[static_cast<std::size_t>(item)] + "'";
}

std::string readImageBytes(const Dataset& dataset, int item)
{
    const std::string path = imageFile(dataset, item);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw InputError(path, itemRecord(dataset, item), fs::exists(path, ec) ? "is not a file" : "image file not found");
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw InputError(path, itemRecord(dataset, item), "cannot read the image file");
    return bytes;
}

// Decodes to 8 bits per channel with 1 (gray) or 3 (BGR) channels, as the file stores it.
cv::Mat decodeImage(const Dataset& dataset, int item)
{
    const std::string bytes = readImageBytes(dataset, item);
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat image = bytes.empty() ? cv::Mat() : cv::imdecode(raw, cv::IMREAD_UNCHANGED);
    const std::string path = imageFile(dataset, item);
    if (image.empty())
        throw InputError(path, itemRecord(dataset, item), "not a readable image (unknown format or damaged file)");
    switch (image.depth()) {
    case CV_8U:
        break;
    case CV_16U:
        image.convertTo(image, CV_8U, 1.0 / 257.0);
        break;
    case CV_32F:
    case CV_64F:
        image.convertTo(image, CV_8U, 255.0);
        break;
    default:
        throw InputError(path, itemRecord(dataset, item), "unsupported pixel type (" + std::to_string(image.depth()) + ")");
    }
    cv::Mat out;
    switch (image.channels()) {
    case 1:
    case 3:
        return image;
    case 2:  // gray + alpha
        cv::extractChannel(image, out, 0);
        return out;
    case 4:
        cv::cvtColor(image, out, cv::COLOR_BGRA2BGR);
        return out;
    default:
        throw InputError(path, itemRecord(dataset, item),
                         "unsupported channel count " + std::to_string(image.channels()));
    }
}

// Shape of an existing cache file from its header alone, so that reuse does not read the pixels.
bool readNpyShape(const std::string& path, std::vector<std::size_t>& shape)
{
    std::ifstream in(path, std::ios::binary);
    char magic[10];
    if (!in.read(magic, 10) || std::string(magic, 6) != "\x93NUMPY")
        return false;
    std::size_t headerLength = static_cast<unsigned char>(magic[8]) | (static_cast<unsigned char>(magic[9]) << 8);
    if (magic[6] != 1) {
        char more[2];
        if (!in.read(more, 2))
            return false;
        headerLength |= (static_cast<std::size_t>(static_cast<unsigned char>(more[0])) << 16)
                        | (static_cast<std::size_t>(static_cast<unsigned char>(more[1])) << 24);
    }
    std::string header(headerLength, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(headerLength)))
        return false;
    if (header.find("'|u1'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
        return false;
    const auto open = header.find("'shape': (");
    const auto close = header.find(')', open);
    if (open == std::string::npos || close == std::string::npos)
        return false;
    shape.clear();
    std::size_t pos = open + 10;
    while (pos < close) {
        std::size_t used = 0;
        try {
            shape.push_back(std::stoull(header.substr(pos, close - pos), &used));
        } catch (const std::exception&) {
            return false;
        }
        pos += used;
        while (pos < close && (header[pos] == ',' || header[pos] == ' '))
            ++pos;
    }
    in.seekg(0, std::ios::end);
    std::size_t pixels = 1;
    for (std::size_t d : shape)
        pixels *= d;
    const auto dataStart = static_cast<std::size_t>(magic[6] == 1 ? 10 : 12) + headerLength;
    return static_cast<std::size_t>(in.tellg()) == dataStart + pixels;
}

void forEachChunk(int count, ThreadPool& pool, Progress& progress, const std::string& stage,
                  const std::function<void(int item)>& body)
{
    progress.stage(stage);
    for (int first = 0; first < count; first += chunkSize) {
        const int last = std::min(count, first + chunkSize);
        pool.run(last - first, [&](std::int64_t block) { body(first + static_cast<int>(block)); });
        progress.step(last, count, stage);
    }
}

}  // namespace

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
    std::vector<std::uint64_t> itemHashes(static_cast<std::size_t>(n), 0);
    ImageCache cache;
    for (int i = 0; i < n; ++i)
        if (dataset.imagePaths[static_cast<std::size_t>(i)].empty())
            cache.missingImages.push_back(i);
    forEachChunk(n, pool, progress, "hashing images", [&](int item) {
        if (dataset.imagePaths[static_cast<std::size_t>(item)].empty())
            return;
        const std::string bytes = readImageBytes(dataset, item);
        itemHashes[static_cast<std::size_t>(item)] = fnv1a(fnv1a(fnvOffset, bytes.size()), bytes.data(), bytes.size());
    });

    // Version tag first: a change of the decoding rules must give new keys.
    const std::string tag = "crowdsift-image-cache-1";
    std::uint64_t key = fnv1a(fnvOffset, tag.data(), tag.size());
    key = fnv1a(key, static_cast<std::uint64_t>(options.size));
    key = fnv1a(key, static_cast<std::uint64_t>(options.channels));
    key = fnv1a(key, static_cast<std::uint64_t>(n));
    for (int i = 0; i < n; ++i) {
        const bool missing = dataset.imagePaths[static_cast<std::size_t>(i)].empty();
        key = fnv1a(key, static_cast<std::uint64_t>(i));
        key = fnv1a(key, missing ? 0 : 1);
        key = fnv1a(key, itemHashes[static_cast<std::size_t>(i)]);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key));
    cache.key = hex;
    cache.path = (fs::path(cacheDir) / ("images-" + cache.key + ".npy")).string();
    cache.count = n;
    cache.height = cache.width = options.size;

    std::vector<std::size_t> shape;
    const auto side = static_cast<std::size_t>(options.size);
    if (readNpyShape(cache.path, shape) && shape.size() == 4 && shape[0] == static_cast<std::size_t>(n)
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
