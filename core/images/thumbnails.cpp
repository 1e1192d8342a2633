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

std::shared_ptr<Thumbnail> decodeThumbnailAt(const std::string& path, int size)
{
    ThumbnailDecodeOptions options;
    options.size = size;
    return decodeThumbnail(path, options);
}

}  // namespace crowdsift
