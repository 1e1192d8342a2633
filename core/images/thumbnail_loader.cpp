// ThumbnailLoader: the queue, the workers and the LRU cache. Decoding is the Decoder's business,
// so this file uses no OpenCV: a program that passes its own decoder (the GUI decodes with Qt)
// does not load OpenCV for thumbnails.
#include "images/thumbnails.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

// Entry bookkeeping (list node, hash node, shared_ptr control block), charged with the pixels
// so that a cache full of failed entries is bounded too.
constexpr std::size_t entryOverhead = 160;

std::shared_ptr<Thumbnail> failure(const std::string& path, const std::string& problem)
{
    auto thumbnail = std::make_shared<Thumbnail>();
    thumbnail->error = path + ": " + problem;
    return thumbnail;
}

}  // namespace

std::size_t Thumbnail::byteCount() const
{
    return pixels.capacity() + error.capacity() + sizeof(Thumbnail) + entryOverhead;
}

ThumbnailLoader::ThumbnailLoader(int threads, std::size_t cacheBytes, int size, Decoder decoder)
    : size_(size)
    , cacheLimit_(cacheBytes)
    , decoder_(std::move(decoder))
{
    if (!decoder_)
        throw std::invalid_argument("ThumbnailLoader: no decoder given");
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
