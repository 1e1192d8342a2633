#pragma once

// Shared by the image-derived caches (image_cache.cpp, scene_features.cpp); not part of the
// public API. Reading and decoding item images, content hashing for cache keys, and probing an
// existing .npy cache file without reading its data.

#include "data/dataset.h"
#include "util/parallel.h"
#include "util/progress.h"

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace crowdsift::imagefiles {

constexpr std::uint64_t fnvOffset = 14695981039346656037ull;

// 64-bit FNV-1a over `size` bytes, continuing from `hash` (start from fnvOffset).
std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size);
std::uint64_t fnv1a(std::uint64_t hash, std::uint64_t value);
// 16 lower-case hex digits.
std::string hexKey(std::uint64_t key);

// The item's image path, resolved against dataset.root when relative.
std::string imageFile(const Dataset& dataset, int item);
// "item '<key>'", the record part of an InputError about the item.
std::string itemRecord(const Dataset& dataset, int item);

// The raw bytes of the item's image file. Throws InputError naming the file and the item when the
// file is missing, not a regular file, or unreadable.
std::string readImageBytes(const Dataset& dataset, int item);
// The FNV-1a hash of the item's image file (its size, then its bytes); 0 for an item without an
// image. Throws as readImageBytes does.
std::uint64_t imageHash(const Dataset& dataset, int item);

// The key of a cache derived from every item's image: FNV-1a over `tag` (a version: a change of
// the derivation must give new keys), `parameters`, the item count and, per item, its index,
// whether it has an image and imageHash(). Hashes the images on `pool` (progress stage "hashing
// images"); `missingImages` receives the items without an image. 16 hex digits.
std::string imageContentKey(const Dataset& dataset, const std::string& tag, const std::vector<std::uint64_t>& parameters,
                            ThreadPool& pool, Progress& progress, std::vector<int>& missingImages);

// Decodes the item's image to 8 bits per channel with 1 (gray) or 3 (BGR) channels: 16-bit and
// float images are scaled, alpha is dropped. Throws InputError naming the file and the item for
// an unknown format, a damaged file, or an unsupported pixel type or channel count.
cv::Mat decodeImage(const Dataset& dataset, int item);

// The shape of an existing C-order .npy file whose dtype is `descr` (e.g. "|u1", "<f4", with
// elements of `elementSize` bytes), read from the header alone, so that cache reuse does not read
// the data. False when the file is missing, of another dtype, or not exactly as long as its shape.
bool readNpyShape(const std::string& path, const std::string& descr, std::size_t elementSize,
                  std::vector<std::size_t>& shape);

// Items are processed in chunks so that progress and cancellation are seen between chunks while
// the pool keeps every core busy inside one. Calls body(item) for every item in [0, count).
constexpr int chunkSize = 256;
void forEachChunk(int count, ThreadPool& pool, Progress& progress, const std::string& stage,
                  const std::function<void(int item)>& body);

}  // namespace crowdsift::imagefiles
