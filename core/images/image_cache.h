#pragma once

// The image tensor cache: every item's image decoded and resized once (OpenCV) into one uint8
// .npy (N x H x W x C) that core/learn reads without OpenCV.

#include "data/dataset.h"
#include "util/progress.h"

#include <string>
#include <vector>

namespace crowdsift {

struct ImageCacheOptions {
    int size = 32;      // images are resized (INTER_AREA, aspect ratio not kept) to size x size
    int channels = 0;   // 1 (gray) or 3 (RGB); 0 = 1 when every image is gray, else 3
    int threads = 0;    // decoders; 0 = every core. The file does not depend on it.
};

struct ImageCache {
    std::string path;   // <cacheDir>/images-<key>.npy
    std::string key;    // 16 hex digits: hash of the options and of every image file's bytes
    int count = 0, height = 0, width = 0, channels = 0;
    bool reused = false;             // true when an identical cache file already existed
    std::vector<int> missingImages;  // items without an image: all-zero pixels in the tensor
};

// Builds (or reuses, when the key matches) the cache file for `dataset` in `cacheDir` (created
// when missing). The file is written atomically. Throws InputError naming the image file and the
// item for an image that cannot be read or decoded, and when the dataset has no image at all.
ImageCache buildImageCache(const Dataset& dataset, const std::string& cacheDir, const ImageCacheOptions& options,
                           Progress& progress = Progress::none());

// The side learn uses when none is asked for: 28 when the dataset's first image is at most 28 px
// on its longer side (MNIST-like data keeps its resolution), else 32. Decodes that one image;
// throws InputError as buildImageCache does.
int defaultImageCacheSize(const Dataset& dataset);

}  // namespace crowdsift
