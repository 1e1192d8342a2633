#pragma once

// Scene features: the GIST descriptor of Oliva & Torralba ("Modeling the shape of the scene",
// IJCV 2001) plus an optional coarse colour layout, for every item of a dataset with images,
// cached in one float32 .npy (N x D) beside the image cache. A small mlp on these separates
// outdoor scene classes (LabelMe) far better than a CNN trained from scratch on a thousand images.
//
// For one image:
//  1. Gray (OpenCV's BGR -> gray weights), resized to size x size (INTER_AREA, aspect ratio not
//     kept), intensities v in 0..255 mapped to log(1 + v), padded by size / 8 px on each side
//     (mirror) and zero-padded to a fast DFT size P.
//  2. Prefiltering in the Fourier domain with the Gaussian low-pass g(f) = exp(-|f|^2 / s^2),
//     s = (4 / size) / sqrt(ln 2) cycles per pixel (half amplitude at 4 cycles per image):
//     whitening x' = x - g * x, then local contrast normalisation x'' = x' / (0.2 + sqrt(g * x'^2)).
//     A uniform image becomes 0 (up to rounding).
//  3. A bank of one-sided (analytic) Gabor filters, real transfer functions on the frequency plane:
//     G(s, o)(f) = exp(-ln(|f| / f_s)^2 / (2 sr^2)) * exp(-d(angle(f), theta_o)^2 / (2 st^2))
//     with centre frequency f_s = 0.32 / 2^s cycles per pixel (s = 0 finest), frequency direction
//     theta_o = o * 180 / orientations degrees, measured from the x axis towards the y axis (y
//     pointing down the image): o = 0 is horizontal frequency (vertical stripes), o =
//     orientations / 2 vertical frequency (horizontal stripes); d is the angular difference
//     wrapped to (-180, 180] degrees,
//     and bandwidths sr = ln 2 / 2 / sqrt(2 ln 2) (half amplitude half an octave from f_s) and
//     st = (180 / orientations / 2) / sqrt(2 ln 2) degrees (half amplitude halfway to the next
//     orientation). G is 0 at f = 0.
//  4. The magnitude of each complex response, cropped to the image, averaged over a grid x grid
//     layout of cells.
//  5. With colour: the mean CIE L*a*b* (OpenCV float ranges: L 0..100, a and b about -127..127)
//     of the resized colour image per cell; gray images give a = b = 0.
//
// Feature layout per row: GIST first, index ((s * orientations + o) * grid + cellRow) * grid +
// cellCol; then, with colour, 3 values (L, a, b) per cell, cells row-major. Values are not
// standardised: the trainer standardises every feature with the training rows' mean and standard
// deviation (see learn/models.h), as any consumer with a scale-sensitive method should.

#include "data/dataset.h"
#include "util/progress.h"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace crowdsift {

struct SceneFeatureOptions {
    int size = 128;         // side in px of the square image the descriptor is computed at, 32..1024
    int scales = 4;         // Gabor scales, 1..6 (centre frequencies 0.32 / 2^s cycles per pixel)
    int orientations = 8;   // Gabor orientations per scale, 1..16
    int grid = 4;           // cells per side over which the responses are averaged, 1..16
    bool colour = true;     // append the mean L*a*b* per cell
    int threads = 0;        // items computed in parallel; 0 = every core. The result does not depend on it.

    // scales * orientations * grid^2 + (colour ? 3 * grid^2 : 0).
    int dimension() const;
};

// Throws InputError naming the field for an option out of its range.
void validateSceneFeatureOptions(const SceneFeatureOptions& options);

// The descriptor for single images: the filter bank is built once, compute() may then be called
// from several threads at once.
class SceneDescriptor {
public:
    explicit SceneDescriptor(const SceneFeatureOptions& options);  // validates the options
    ~SceneDescriptor();
    SceneDescriptor(SceneDescriptor&&) noexcept;
    SceneDescriptor& operator=(SceneDescriptor&&) noexcept;

    int dimension() const;
    // Index of the GIST value of scale s, orientation o, cell (row, col) in a descriptor.
    int gistIndex(int scale, int orientation, int cellRow, int cellCol) const;

    // `pixels`: height x width x channels uint8, row-major, channels 1 (gray) or 3 (BGR, OpenCV's
    // order), rows `stride` bytes apart (0 = width * channels). Writes dimension() floats to `out`.
    void compute(const std::uint8_t* pixels, int height, int width, int channels, float* out,
                 std::size_t stride = 0) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct SceneFeatures {
    std::string path;        // <cacheDir>/gist-<key>.npy, float32 N x D
    std::string key;         // 16 hex digits: hash of the options (not threads) and of every image file's bytes
    bool reused = false;     // true when an identical cache file already existed
    std::vector<int> missingImages;  // items without an image: all-zero rows
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> features;  // N x D, row-major
};

// Computes (or reuses, when the key matches) the scene features of every item of `dataset` and
// caches them in `cacheDir` (created when missing); the file is written atomically. Reports
// progress per chunk of items and throws Cancelled between chunks once cancelled. Throws
// InputError naming the image file and the item for an image that cannot be read or decoded,
// when the dataset has no image at all, and for invalid options.
SceneFeatures buildSceneFeatures(const Dataset& dataset, const std::string& cacheDir,
                                 const SceneFeatureOptions& options, Progress& progress = Progress::none());

}  // namespace crowdsift
