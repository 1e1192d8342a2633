#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace crowdsift {

// A decoded, downscaled image ready to be wrapped by a GUI image type without copying, or the
// reason it could not be decoded. Immutable once published, so any thread may read it.
struct Thumbnail {
    enum class Format {
        Gray8,  // 1 byte per pixel
        Rgb8,   // 3 bytes per pixel, R G B
        Rgba8,  // 4 bytes per pixel, R G B A, alpha not premultiplied
    };

    int width = 0;   // pixels; 0 when failed
    int height = 0;  // pixels; 0 when failed
    int stride = 0;  // bytes per row, a multiple of 4 (what QImage asks of external data)
    Format format = Format::Rgb8;
    std::vector<std::uint8_t> pixels;  // height x stride bytes, row-major, top row first
    std::string error;                 // non-empty when the image could not be decoded

    bool failed() const { return !error.empty(); }
    // Bytes this entry holds, charged against the cache bound.
    std::size_t byteCount() const;
};

struct ThumbnailDecodeOptions {
    // Longest side of the thumbnail, pixels. Larger images are shrunk to fit a size x size box
    // keeping their aspect ratio; images that already fit keep their size (the view scales).
    int size = 128;
    // Lets libjpeg decode JPEGs at 1/2, 1/4 or 1/8 scale (IMREAD_REDUCED_*) when the reduced
    // image still covers the thumbnail. Off only to measure the full-size decode it replaces.
    bool reducedJpegDecode = true;
};

// Decodes the image at `path` into a thumbnail. Never throws for bad input: a missing,
// unreadable or unsupported file gives a failed Thumbnail whose error names the file and the
// problem. Thread-safe. Colour images become Rgb8 (Rgba8 with alpha), grayscale ones Gray8;
// 16-bit and float images are scaled to 8 bits; JPEG EXIF orientation is applied.
std::shared_ptr<Thumbnail> decodeThumbnail(const std::string& path, const ThumbnailDecodeOptions& options = {});
// decodeThumbnail with the default options at `size` pixels: ThumbnailLoader's default decoder.
std::shared_ptr<Thumbnail> decodeThumbnailAt(const std::string& path, int size);

// Asynchronous thumbnail decoding for a grid that shows a window onto many images.
//
// The caller names the items it needs, most urgent first (the viewport, then what lies just
// beyond it); each request replaces the previous one, so work for rows scrolled out of view is
// dropped before it is decoded. Worker threads decode into an LRU cache bounded in bytes;
// undecodable images are cached as failed entries, so they are not retried while the source
// stays the same. onReady runs on a worker thread after an entry (ready or failed) enters the
// cache; the GUI adapter turns it into a queued signal.
//
// All methods are thread-safe. The destructor drops pending work, waits for the items being
// decoded and joins the workers; no callback runs after it returns. A callback must therefore
// not block on the thread that destroys the loader.
class ThumbnailLoader {
public:
    using ReadyCallback = std::function<void(int item)>;
    // Decodes one image at full path; the default is decodeThumbnail. A custom decoder lets
    // tests observe and pace the workers. It must not throw.
    using Decoder = std::function<std::shared_ptr<Thumbnail>(const std::string& path, int size)>;

    struct Stats {
        long long decoded = 0;   // decoder calls, whatever their outcome
        long long failed = 0;    // items that ended as failed entries (decoder or missing path)
        long long dropped = 0;   // queued items a newer request removed before decoding
        long long stale = 0;     // decoded for an earlier source, discarded
        long long cacheHits = 0; // thumbnail() calls and requested items found in the cache
        long long evicted = 0;   // entries removed to honour the byte bound
    };

    static constexpr std::size_t defaultCacheBytes = std::size_t(256) << 20;

    // threads >= 1 workers; cacheBytes bounds the cache (the newest entry is always kept, even
    // alone above the bound); size is the thumbnail's longest side in pixels (>= 1).
    // The default decoder is decodeThumbnailAt (OpenCV); an empty one throws
    // std::invalid_argument.
    explicit ThumbnailLoader(int threads = 2, std::size_t cacheBytes = defaultCacheBytes, int size = 128,
                             Decoder decoder = decodeThumbnailAt);
    ~ThumbnailLoader();

    ThumbnailLoader(const ThumbnailLoader&) = delete;
    ThumbnailLoader& operator=(const ThumbnailLoader&) = delete;

    // Item i shows the image imagePaths[i], taken relative to root unless absolute; an empty
    // path means the item has no image (a failed entry, no decode). Clears the cache and the
    // queue; results still being decoded for the previous source are discarded.
    void setSource(const std::string& root, std::vector<std::string> imagePaths);
    int itemCount() const;

    // Replaces the queue with `items`, most urgent first, minus those cached or being decoded.
    // Cached ones are marked recently used so the visible page outlives prefetched rows.
    // Throws std::out_of_range for an item outside [0, itemCount()).
    void request(const std::vector<int>& items);
    // Drops the queue; items being decoded still finish and enter the cache.
    void cancelPending();

    // The cached entry (ready or failed), marked recently used; null when not decoded yet.
    std::shared_ptr<const Thumbnail> thumbnail(int item);
    // Why `item` failed; empty when it did not fail or is not decoded yet.
    std::string failureReason(int item);

    // Called on a worker thread; replaces the previous callback. Set it before requesting.
    void setOnReady(ReadyCallback callback);

    // Blocks until the queue is empty and no item is being decoded, or timeoutMs passed
    // (negative: no limit). True when idle. For batch callers and tests, not for the GUI.
    bool waitUntilIdle(int timeoutMs = -1);

    int thumbnailSize() const { return size_; }
    int threadCount() const { return static_cast<int>(workers_.size()); }
    std::size_t cacheBytes() const;  // bytes held by cached entries now
    std::size_t cacheLimit() const { return cacheLimit_; }
    std::size_t cachedCount() const;
    Stats stats() const;

private:
    struct Entry {
        int item;
        std::shared_ptr<const Thumbnail> thumbnail;
    };

    void workerLoop();
    void insertLocked(int item, std::shared_ptr<const Thumbnail> thumbnail);
    std::string pathOfLocked(int item) const;

    const int size_;
    const std::size_t cacheLimit_;
    const Decoder decoder_;

    mutable std::mutex mutex_;
    std::condition_variable workAvailable_;
    std::condition_variable idle_;
    bool stopping_ = false;
    std::uint64_t generation_ = 0;  // bumped by setSource; stale results are discarded

    std::string root_;
    std::vector<std::string> paths_;  // itemCount() entries

    std::deque<int> queue_;           // most urgent first
    std::unordered_set<int> inFlight_;
    // LRU: front = most recently used.
    std::list<Entry> lru_;
    std::unordered_map<int, std::list<Entry>::iterator> index_;
    std::size_t bytes_ = 0;
    Stats stats_;
    std::shared_ptr<const ReadyCallback> onReady_;

    std::vector<std::thread> workers_;
};

}  // namespace crowdsift
