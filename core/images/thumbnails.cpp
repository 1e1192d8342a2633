#include "images/thumbnails.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

// Entry bookkeeping (list node, hash node, shared_ptr control block), charged with the pixels
// so that a cache full of failed entries is bounded too.
constexpr std::size_t entryOverhead = 160;

struct JpegHeader {
    int width = 0;
    int height = 0;
    int components = 0;
};

// Reads the frame header of a JPEG file without decoding it: markers from SOI up to the first
// SOFn. False when the file is not a JPEG or the header is not found before the scan data.
bool readJpegHeader(const std::string& path, JpegHeader& header)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    unsigned char soi[2];
    if (!in.read(reinterpret_cast<char*>(soi), 2) || soi[0] != 0xFF || soi[1] != 0xD8)
        return false;
    for (int segment = 0; segment < 1000; ++segment) {
        int byte = in.get();
        if (byte != 0xFF)
            return false;
        int marker = 0xFF;
        while (marker == 0xFF) {
            marker = in.get();
            if (marker == EOF)
                return false;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
            continue;
        if (marker == 0xD9 || marker == 0xDA)
            return false;
        unsigned char lengthBytes[2];
        if (!in.read(reinterpret_cast<char*>(lengthBytes), 2))
            return false;
        const int length = (lengthBytes[0] << 8) | lengthBytes[1];
        if (length < 2)
            return false;
        const bool startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                                  && marker != 0xCC;
        if (startOfFrame) {
            unsigned char frame[6];
            if (length < 8 || !in.read(reinterpret_cast<char*>(frame), 6))
                return false;
            header.height = (frame[1] << 8) | frame[2];
            header.width = (frame[3] << 8) | frame[4];
            header.components = frame[5];
            return header.width > 0 && header.height > 0;
        }
        in.seekg(length - 2, std::ios::cur);
        if (!in)
            return false;
    }
    return false;
}

// The largest libjpeg scale-down (1, 2, 4 or 8) whose output still covers a size-pixel side.
int jpegReduction(const JpegHeader& header, int size)
{
    const int longSide = std::max(header.width, header.height);
    int factor = 1;
    while (factor < 8 && longSide / (factor * 2) >= size)
        factor *= 2;
    return factor;
}

int reducedFlag(int factor, bool gray)
{
    switch (factor) {
    case 2:
        return gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
    case 4:
        return gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
    case 8:
        return gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
    default:
        return gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
    }
}

std::shared_ptr<Thumbnail> failure(const std::string& path, const std::string& problem)
{
    auto thumbnail = std::make_shared<Thumbnail>();
    thumbnail->error = path + ": " + problem;
    return thumbnail;
}

// Brings any decoded depth to 8 bits per channel; false for depths we do not interpret.
bool toEightBit(cv::Mat& image)
{
    switch (image.depth()) {
    case CV_8U:
        return true;
    case CV_16U:
        image.convertTo(image, CV_8U, 1.0 / 257.0);
        return true;
    case CV_32F:
    case CV_64F:
        image.convertTo(image, CV_8U, 255.0);
        return true;
    default:
        return false;
    }
}

std::string decodeToThumbnail(const std::string& path, const ThumbnailDecodeOptions& options, Thumbnail& out)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return "file not found";
    if (fs::is_directory(path, ec))
        return "is a folder, not an image";

    cv::Mat image;
    JpegHeader jpeg;
    if (readJpegHeader(path, jpeg)) {
        const bool gray = jpeg.components == 1;
        const int factor = options.reducedJpegDecode ? jpegReduction(jpeg, options.size) : 1;
        image = cv::imread(path, reducedFlag(factor, gray));
    } else {
        image = cv::imread(path, cv::IMREAD_UNCHANGED);
    }
    if (image.empty())
        return "not a readable image (unknown format or damaged file)";
    if (!toEightBit(image))
        return "unsupported pixel type (" + std::to_string(image.depth()) + ")";
    if (image.channels() == 2) {
        cv::Mat gray;
        cv::extractChannel(image, gray, 0);
        image = gray;
    }

    const int channels = image.channels();
    if (channels != 1 && channels != 3 && channels != 4)
        return "unsupported channel count " + std::to_string(channels);

    const int longSide = std::max(image.cols, image.rows);
    int width = image.cols;
    int height = image.rows;
    if (longSide > options.size) {
        const double scale = double(options.size) / longSide;
        width = std::max(1, static_cast<int>(std::lround(image.cols * scale)));
        height = std::max(1, static_cast<int>(std::lround(image.rows * scale)));
    }

    out.width = width;
    out.height = height;
    out.format = channels == 1 ? Thumbnail::Format::Gray8
                 : channels == 3 ? Thumbnail::Format::Rgb8
                                 : Thumbnail::Format::Rgba8;
    out.stride = (width * channels + 3) / 4 * 4;
    out.pixels.assign(std::size_t(out.stride) * height, 0);
    cv::Mat target(height, width, CV_8UC(channels), out.pixels.data(), std::size_t(out.stride));

    cv::Mat scaled = image;
    if (width != image.cols || height != image.rows)
        cv::resize(image, scaled, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    if (channels == 3)
        cv::cvtColor(scaled, target, cv::COLOR_BGR2RGB);
    else if (channels == 4)
        cv::cvtColor(scaled, target, cv::COLOR_BGRA2RGBA);
    else
        scaled.copyTo(target);
    if (target.data != out.pixels.data())
        return "internal error: thumbnail buffer was reallocated";
    return {};
}

}  // namespace

std::size_t Thumbnail::byteCount() const
{
    return pixels.capacity() + error.capacity() + sizeof(Thumbnail) + entryOverhead;
}

std::shared_ptr<Thumbnail> decodeThumbnail(const std::string& path, const ThumbnailDecodeOptions& options)
{
    auto thumbnail = std::make_shared<Thumbnail>();
    std::string problem;
    try {
        problem = decodeToThumbnail(path, options, *thumbnail);
    } catch (const cv::Exception& error) {
        problem = "cannot decode: " + error.err;
    } catch (const std::bad_alloc&) {
        problem = "out of memory while decoding";
    } catch (const std::exception& error) {
        problem = std::string("cannot decode: ") + error.what();
    }
    if (!problem.empty())
        return failure(path, problem);
    return thumbnail;
}

ThumbnailLoader::ThumbnailLoader(int threads, std::size_t cacheBytes, int size, Decoder decoder)
    : size_(size)
    , cacheLimit_(cacheBytes)
    , decoder_(decoder ? std::move(decoder) : Decoder([](const std::string& path, int side) {
          ThumbnailDecodeOptions options;
          options.size = side;
          return decodeThumbnail(path, options);
      }))
{
    if (threads < 1)
        throw std::invalid_argument("ThumbnailLoader: threads must be at least 1, got " + std::to_string(threads));
    if (size < 1)
        throw std::invalid_argument("ThumbnailLoader: size must be at least 1 pixel, got " + std::to_string(size));
    workers_.reserve(threads);
    for (int i = 0; i < threads; ++i)
        workers_.emplace_back([this] { workerLoop(); });
}

ThumbnailLoader::~ThumbnailLoader()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        stats_.dropped += static_cast<long long>(queue_.size());
        queue_.clear();
    }
    workAvailable_.notify_all();
    idle_.notify_all();
    for (std::thread& worker : workers_)
        worker.join();
}

void ThumbnailLoader::setSource(const std::string& root, std::vector<std::string> imagePaths)
{
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    root_ = root;
    paths_ = std::move(imagePaths);
    queue_.clear();
    lru_.clear();
    index_.clear();
    bytes_ = 0;
    idle_.notify_all();
}

int ThumbnailLoader::itemCount() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(paths_.size());
}

void ThumbnailLoader::request(const std::vector<int>& items)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const int count = static_cast<int>(paths_.size());
        for (int item : items) {
            if (item < 0 || item >= count)
                throw std::out_of_range("ThumbnailLoader::request: item " + std::to_string(item)
                                        + " outside the source's " + std::to_string(count) + " items");
        }
        if (!queue_.empty()) {
            const std::unordered_set<int> wanted(items.begin(), items.end());
            for (int item : queue_)
                stats_.dropped += wanted.count(item) ? 0 : 1;
            queue_.clear();
        }
        // Walk backwards so that bumping cached items leaves the first-named one most recent.
        for (auto it = items.rbegin(); it != items.rend(); ++it) {
            const auto found = index_.find(*it);
            if (found != index_.end()) {
                lru_.splice(lru_.begin(), lru_, found->second);
                ++stats_.cacheHits;
            }
        }
        std::unordered_set<int> queued;
        for (int item : items) {
            if (index_.count(item) || inFlight_.count(item) || !queued.insert(item).second)
                continue;
            queue_.push_back(item);
        }
    }
    workAvailable_.notify_all();
}

void ThumbnailLoader::cancelPending()
{
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.dropped += static_cast<long long>(queue_.size());
    queue_.clear();
    idle_.notify_all();
}

std::shared_ptr<const Thumbnail> ThumbnailLoader::thumbnail(int item)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = index_.find(item);
    if (found == index_.end())
        return nullptr;
    lru_.splice(lru_.begin(), lru_, found->second);
    ++stats_.cacheHits;
    return found->second->thumbnail;
}

std::string ThumbnailLoader::failureReason(int item)
{
    const std::shared_ptr<const Thumbnail> entry = thumbnail(item);
    return entry ? entry->error : std::string();
}

void ThumbnailLoader::setOnReady(ReadyCallback callback)
{
    auto shared = callback ? std::make_shared<const ReadyCallback>(std::move(callback)) : nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    onReady_ = std::move(shared);
}

bool ThumbnailLoader::waitUntilIdle(int timeoutMs)
{
    std::unique_lock<std::mutex> lock(mutex_);
    const auto isIdle = [this] { return stopping_ || (queue_.empty() && inFlight_.empty()); };
    if (timeoutMs < 0) {
        idle_.wait(lock, isIdle);
        return true;
    }
    return idle_.wait_for(lock, std::chrono::milliseconds(timeoutMs), isIdle);
}

std::size_t ThumbnailLoader::cacheBytes() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
}

std::size_t ThumbnailLoader::cachedCount() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return lru_.size();
}

ThumbnailLoader::Stats ThumbnailLoader::stats() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
}

std::string ThumbnailLoader::pathOfLocked(int item) const
{
    const std::string& relative = paths_[item];
    if (relative.empty())
        return {};
    const fs::path path(relative);
    if (path.is_absolute() || root_.empty())
        return relative;
    return (fs::path(root_) / path).string();
}

void ThumbnailLoader::insertLocked(int item, std::shared_ptr<const Thumbnail> thumbnail)
{
    bytes_ += thumbnail->byteCount();
    lru_.push_front(Entry{item, std::move(thumbnail)});
    index_[item] = lru_.begin();
    while (bytes_ > cacheLimit_ && lru_.size() > 1) {
        const Entry& oldest = lru_.back();
        bytes_ -= oldest.thumbnail->byteCount();
        index_.erase(oldest.item);
        lru_.pop_back();
        ++stats_.evicted;
    }
}

void ThumbnailLoader::workerLoop()
{
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        workAvailable_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_)
            return;
        const int item = queue_.front();
        queue_.pop_front();
        if (index_.count(item) || inFlight_.count(item)) {
            if (queue_.empty() && inFlight_.empty())
                idle_.notify_all();
            continue;
        }
        inFlight_.insert(item);
        const std::uint64_t generation = generation_;
        const std::string path = pathOfLocked(item);

        lock.unlock();
        std::shared_ptr<Thumbnail> result;
        if (path.empty()) {
            result = std::make_shared<Thumbnail>();
            result->error = "item " + std::to_string(item) + ": no image path";
        } else {
            try {
                result = decoder_(path, size_);
            } catch (const std::exception& error) {
                result = failure(path, std::string("decoder failed: ") + error.what());
            }
            if (!result) {
                result = std::make_shared<Thumbnail>();
                result->error = path + ": decoder returned nothing";
            }
        }
        lock.lock();

        if (!path.empty())
            ++stats_.decoded;
        if (generation != generation_) {
            ++stats_.stale;
        } else {
            if (result->failed())
                ++stats_.failed;
            insertLocked(item, std::move(result));
            const std::shared_ptr<const ReadyCallback> callback = onReady_;
            if (callback && !stopping_) {
                lock.unlock();
                (*callback)(item);
                lock.lock();
            }
        }
        // Cleared only after the callback, so waitUntilIdle() also waits for callbacks.
        inFlight_.erase(item);
        if (queue_.empty() && inFlight_.empty())
            idle_.notify_all();
    }
}

}  // namespace crowdsift
