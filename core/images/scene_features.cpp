#include "images/scene_features.h"

#include "images/image_files.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/parallel.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

constexpr double pi = 3.14159265358979323846;
// Prefilter: half amplitude at this many cycles per image; the contrast normaliser's offset keeps
// flat regions (tiny local energy) from being amplified into noise.
constexpr double prefilterCycles = 4.0;
constexpr float contrastOffset = 0.2f;
constexpr double finestFrequency = 0.32;  // cycles per pixel, scale 0

void checkRange(int value, int low, int high, const char* field, const char* unit)
{
    if (value < low || value > high)
        throw InputError("scene features", std::string(field) + " " + std::to_string(value),
                         "must lie in " + std::to_string(low) + ".." + std::to_string(high) + unit);
}

// Multiplies a complex spectrum (CV_32FC2) by a real transfer function of the same size.
void multiplySpectrum(const cv::Mat& spectrum, const std::vector<float>& filter, cv::Mat& out)
{
    out.create(spectrum.size(), CV_32FC2);
    const auto count = static_cast<std::size_t>(spectrum.rows) * static_cast<std::size_t>(spectrum.cols);
    const auto* in = spectrum.ptr<float>();
    auto* o = out.ptr<float>();
    for (std::size_t i = 0; i < count; ++i) {
        o[2 * i] = in[2 * i] * filter[i];
        o[2 * i + 1] = in[2 * i + 1] * filter[i];
    }
}

}  // namespace

int SceneFeatureOptions::dimension() const
{
    return scales * orientations * grid * grid + (colour ? 3 * grid * grid : 0);
}

void validateSceneFeatureOptions(const SceneFeatureOptions& options)
{
    checkRange(options.size, 32, 1024, "size", " px");
    checkRange(options.scales, 1, 6, "scales", "");
    checkRange(options.orientations, 1, 16, "orientations", "");
    checkRange(options.grid, 1, 16, "grid", "");
}

struct SceneDescriptor::Impl {
    SceneFeatureOptions options;
    int pad = 0;           // mirror padding before the image (top and left)
    int side = 0;          // P: the DFT side
    std::vector<float> lowPass;               // P x P, row-major, DFT frequency order
    std::vector<std::vector<float>> gabors;   // scales * orientations filters of P x P

    explicit Impl(const SceneFeatureOptions& o) : options(o)
    {
        validateSceneFeatureOptions(options);
        side = cv::getOptimalDFTSize(options.size + 2 * std::max(4, options.size / 8));
        pad = (side - options.size) / 2;
        const std::size_t cells = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
        lowPass.resize(cells);
        const double s = prefilterCycles / options.size / std::sqrt(std::log(2.0));
        const double sr = std::log(2.0) / 2.0 / std::sqrt(2.0 * std::log(2.0));
        const double st = pi / options.orientations / 2.0 / std::sqrt(2.0 * std::log(2.0));
        gabors.assign(static_cast<std::size_t>(options.scales * options.orientations), std::vector<float>(cells));
        for (int y = 0; y < side; ++y) {
            const double fy = (y < (side + 1) / 2 ? y : y - side) / static_cast<double>(side);
            for (int x = 0; x < side; ++x) {
                const double fx = (x < (side + 1) / 2 ? x : x - side) / static_cast<double>(side);
                const auto at = static_cast<std::size_t>(y * side + x);
                const double r2 = fx * fx + fy * fy;
                lowPass[at] = static_cast<float>(std::exp(-r2 / (s * s)));
                if (r2 == 0.0)
                    continue;
                const double r = std::sqrt(r2);
                const double angle = std::atan2(fy, fx);
                for (int sc = 0; sc < options.scales; ++sc) {
                    const double lr = std::log(r / (finestFrequency / std::ldexp(1.0, sc)));
                    const double radial = std::exp(-lr * lr / (2.0 * sr * sr));
                    for (int o = 0; o < options.orientations; ++o) {
                        double d = angle - pi * o / options.orientations;
                        d = std::remainder(d, 2.0 * pi);
                        gabors[static_cast<std::size_t>(sc * options.orientations + o)][at]
                            = static_cast<float>(radial * std::exp(-d * d / (2.0 * st * st)));
                    }
                }
            }
        }
    }

    // Mean of `values` (size x size floats, row-major) per grid cell, written to out[cell * step].
    void cellMeans(const cv::Mat& values, int channel, int channels, float* out, int step) const
    {
        const int grid = options.grid;
        const int n = options.size;
        for (int cr = 0; cr < grid; ++cr) {
            const int y0 = cr * n / grid, y1 = (cr + 1) * n / grid;
            for (int cc = 0; cc < grid; ++cc) {
                const int x0 = cc * n / grid, x1 = (cc + 1) * n / grid;
                double sum = 0;
                for (int y = y0; y < y1; ++y) {
                    const float* row = values.ptr<float>(y);
                    for (int x = x0; x < x1; ++x)
                        sum += row[x * channels + channel];
                }
                out[(cr * grid + cc) * step] = static_cast<float>(sum / ((y1 - y0) * (x1 - x0)));
            }
        }
    }

    void compute(const cv::Mat& image, float* out) const
    {
        const int n = options.size;
        cv::Mat resized;
        cv::resize(image, resized, cv::Size(n, n), 0, 0, cv::INTER_AREA);
        cv::Mat gray;
        if (resized.channels() == 3)
            cv::cvtColor(resized, gray, cv::COLOR_BGR2GRAY);
        else
            gray = resized;
        cv::Mat logImage;
        gray.convertTo(logImage, CV_32F);
        cv::log(logImage + 1.0f, logImage);
        cv::Mat padded;
        cv::copyMakeBorder(logImage, padded, pad, side - n - pad, pad, side - n - pad, cv::BORDER_REFLECT_101);

        cv::Mat spectrum, filtered, low;
        cv::dft(padded, spectrum, cv::DFT_COMPLEX_OUTPUT);
        multiplySpectrum(spectrum, lowPass, filtered);
        cv::dft(filtered, low, cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
        const cv::Mat white = padded - low;
        cv::Mat energy, localEnergy;
        cv::dft(white.mul(white), spectrum, cv::DFT_COMPLEX_OUTPUT);
        multiplySpectrum(spectrum, lowPass, filtered);
        cv::dft(filtered, localEnergy, cv::DFT_INVERSE | cv::DFT_SCALE | cv::DFT_REAL_OUTPUT);
        cv::sqrt(cv::max(localEnergy, 0.0f), localEnergy);
        const cv::Mat normalised = white / (localEnergy + contrastOffset);

        cv::dft(normalised, spectrum, cv::DFT_COMPLEX_OUTPUT);
        cv::Mat response, magnitude(n, n, CV_32F);
        const cv::Rect crop(pad, pad, n, n);
        const int cells = options.grid * options.grid;
        for (std::size_t f = 0; f < gabors.size(); ++f) {
            multiplySpectrum(spectrum, gabors[f], filtered);
            cv::dft(filtered, response, cv::DFT_INVERSE | cv::DFT_SCALE);
            const cv::Mat inside = response(crop);
            for (int y = 0; y < n; ++y) {
                const float* row = inside.ptr<float>(y);
                float* m = magnitude.ptr<float>(y);
                for (int x = 0; x < n; ++x)
                    m[x] = std::sqrt(row[2 * x] * row[2 * x] + row[2 * x + 1] * row[2 * x + 1]);
            }
            cellMeans(magnitude, 0, 1, out + f * static_cast<std::size_t>(cells), 1);
        }

        if (!options.colour)
            return;
        cv::Mat colour;
        if (resized.channels() == 1)
            cv::cvtColor(resized, colour, cv::COLOR_GRAY2BGR);
        else
            colour = resized;
        colour.convertTo(colour, CV_32F, 1.0 / 255.0);
        cv::cvtColor(colour, colour, cv::COLOR_BGR2Lab);
        float* lab = out + gabors.size() * static_cast<std::size_t>(cells);
        for (int c = 0; c < 3; ++c)
            cellMeans(colour, c, 3, lab + c, 3);
    }
};

SceneDescriptor::SceneDescriptor(const SceneFeatureOptions& options) : impl_(std::make_unique<Impl>(options)) {}
SceneDescriptor::~SceneDescriptor() = default;
SceneDescriptor::SceneDescriptor(SceneDescriptor&&) noexcept = default;
SceneDescriptor& SceneDescriptor::operator=(SceneDescriptor&&) noexcept = default;

int SceneDescriptor::dimension() const
{
    return impl_->options.dimension();
}

int SceneDescriptor::gistIndex(int scale, int orientation, int cellRow, int cellCol) const
{
    const SceneFeatureOptions& o = impl_->options;
    return ((scale * o.orientations + orientation) * o.grid + cellRow) * o.grid + cellCol;
}

void SceneDescriptor::compute(const std::uint8_t* pixels, int height, int width, int channels, float* out,
                              std::size_t stride) const
{
    if (channels != 1 && channels != 3)
        throw InputError("scene features", "channels " + std::to_string(channels), "expected 1 (gray) or 3 (BGR)");
    if (height < 1 || width < 1)
        throw InputError("scene features", std::to_string(width) + " x " + std::to_string(height) + " px",
                         "empty image");
    const cv::Mat image(height, width, CV_8UC(channels), const_cast<std::uint8_t*>(pixels),
                        stride == 0 ? static_cast<std::size_t>(cv::Mat::AUTO_STEP) : stride);
    impl_->compute(image, out);
}

SceneFeatures buildSceneFeatures(const Dataset& dataset, const std::string& cacheDir,
                                 const SceneFeatureOptions& options, Progress& progress)
{
    using namespace imagefiles;
    const SceneDescriptor descriptor(options);
    const int n = dataset.itemCount();
    if (dataset.imageCount() == 0)
        throw InputError(dataset.source, "images", "the dataset has no images");

    ThreadPool pool(options.threads);
    SceneFeatures result;
    // Version tag first: a change of the descriptor's definition must give new keys.
    std::vector<std::uint64_t> parameters;
    for (int value : {options.size, options.scales, options.orientations, options.grid, options.colour ? 1 : 0})
        parameters.push_back(static_cast<std::uint64_t>(value));
    result.key = imageContentKey(dataset, "crowdsift-gist-1", parameters, pool, progress, result.missingImages);
    result.path = (fs::path(cacheDir) / ("gist-" + result.key + ".npy")).string();

    const int dim = descriptor.dimension();
    std::vector<std::size_t> shape;
    if (readNpyShape(result.path, "<f4", sizeof(float), shape)
        && shape == std::vector<std::size_t>{static_cast<std::size_t>(n), static_cast<std::size_t>(dim)}) {
        const NpyArray stored = readNpy(result.path);
        result.features.resize(n, dim);
        std::memcpy(result.features.data(), stored.bytes.data(), stored.bytes.size());
        result.reused = true;
        return result;
    }

    std::error_code ec;
    fs::create_directories(cacheDir, ec);
    if (ec)
        throw InputError(cacheDir, "", "cannot create the cache folder: " + ec.message());

    result.features.setZero(n, dim);
    forEachChunk(n, pool, progress, "computing scene features", [&](int item) {
        if (dataset.imagePaths[static_cast<std::size_t>(item)].empty())
            return;
        const cv::Mat image = decodeImage(dataset, item);
        descriptor.compute(image.ptr<std::uint8_t>(), image.rows, image.cols, image.channels(),
                           result.features.row(item).data(), image.step);
    });
    writeNpy(result.path, result.features.data(), {static_cast<std::size_t>(n), static_cast<std::size_t>(dim)});
    return result;
}

}  // namespace crowdsift
