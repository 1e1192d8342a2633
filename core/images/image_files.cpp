#include "images/image_files.h"

#include "util/error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <system_error>

namespace crowdsift::imagefiles {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t fnvPrime = 1099511628211ull;

}  // namespace

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

std::string hexKey(std::uint64_t key)
{
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key));
    return hex;
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

std::uint64_t imageHash(const Dataset& dataset, int item)
{
    if (dataset.imagePaths[static_cast<std::size_t>(item)].empty())
        return 0;
    const std::string bytes = readImageBytes(dataset, item);
    return fnv1a(fnv1a(fnvOffset, bytes.size()), bytes.data(), bytes.size());
}

cv::Mat decodeImage(const Dataset& dataset, int item)
{
    const std::string bytes = readImageBytes(dataset, item);
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    const std::string path = imageFile(dataset, item);
    cv::Mat image;
    try {
        image = bytes.empty() ? cv::Mat() : cv::imdecode(raw, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& error) {
        // e.g. a PNG header claiming 100000 x 100000 pixels (OpenCV refuses more than 2^30)
        throw InputError(path, itemRecord(dataset, item), "cannot decode the image (" + error.err + ")");
    } catch (const std::bad_alloc&) {
        throw InputError(path, itemRecord(dataset, item), "cannot decode the image: it needs more memory than there is");
    }
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

bool readNpyShape(const std::string& path, const std::string& descr, std::size_t elementSize,
                  std::vector<std::size_t>& shape)
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
    if (header.find("'" + descr + "'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
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
    std::size_t elements = 1;
    for (std::size_t d : shape)
        elements *= d;
    const auto dataStart = static_cast<std::size_t>(magic[6] == 1 ? 10 : 12) + headerLength;
    return static_cast<std::size_t>(in.tellg()) == dataStart + elements * elementSize;
}

std::string imageContentKey(const Dataset& dataset, const std::string& tag, const std::vector<std::uint64_t>& parameters,
                            ThreadPool& pool, Progress& progress, std::vector<int>& missingImages)
{
    const int n = dataset.itemCount();
    std::vector<std::uint64_t> itemHashes(static_cast<std::size_t>(n), 0);
    missingImages.clear();
    for (int i = 0; i < n; ++i)
        if (dataset.imagePaths[static_cast<std::size_t>(i)].empty())
            missingImages.push_back(i);
    forEachChunk(n, pool, progress, "hashing images",
                 [&](int item) { itemHashes[static_cast<std::size_t>(item)] = imageHash(dataset, item); });
    std::uint64_t key = fnv1a(fnvOffset, tag.data(), tag.size());
    for (std::uint64_t value : parameters)
        key = fnv1a(key, value);
    key = fnv1a(key, static_cast<std::uint64_t>(n));
    for (int i = 0; i < n; ++i) {
        key = fnv1a(key, static_cast<std::uint64_t>(i));
        key = fnv1a(key, dataset.imagePaths[static_cast<std::size_t>(i)].empty() ? 0 : 1);
        key = fnv1a(key, itemHashes[static_cast<std::size_t>(i)]);
    }
    return hexKey(key);
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

}  // namespace crowdsift::imagefiles
