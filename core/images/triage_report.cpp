#include "images/triage_report.h"

#include "images/image_files.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

// The Review tab's frame colours (ui/thumbnaildelegate.cpp), as BGR.
const cv::Scalar bandColours[3] = {cv::Scalar(0x43, 0xa0, 0x2e), cv::Scalar(0x00, 0x8c, 0xf0),
                                   cv::Scalar(0x2f, 0x2f, 0xd0)};
const char* const bandTitles[3] = {"Easy", "Need review", "Hard"};

const cv::Scalar white(255, 255, 255);
const cv::Scalar ink(34, 34, 34);
const cv::Scalar muted(115, 115, 115);
const cv::Scalar placeholder(232, 232, 232);

constexpr int margin = 28;
constexpr int gap = 12;
constexpr int minContentWidth = 600;

const int headingFont = cv::FONT_HERSHEY_DUPLEX;
const int textFont = cv::FONT_HERSHEY_SIMPLEX;

std::string errnoText(int error)
{
    return std::error_code(error, std::generic_category()).message();
}

bool startsWith(const std::string& text, const std::string& prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

// Hershey fonts draw ASCII only: one '?' per other UTF-8 character.
std::string asciiText(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80)
            out += byte >= 0x20 ? c : ' ';
        else if (byte >= 0xc0)
            out += '?';
    }
    return out;
}

struct TextStyle {
    int font;
    double scale;
    int thickness;
    cv::Scalar colour;
};

const TextStyle titleStyle{headingFont, 1.05, 1, ink};
const TextStyle subtitleStyle{textFont, 0.55, 1, muted};
const TextStyle bandStyle{headingFont, 0.75, 1, ink};
const TextStyle countStyle{textFont, 0.6, 1, ink};
const TextStyle hintStyle{textFont, 0.45, 1, muted};
const TextStyle captionStyle{textFont, 0.4, 1, muted};
const TextStyle noneStyle{textFont | cv::FONT_ITALIC, 0.6, 1, muted};

cv::Size textSize(const std::string& text, const TextStyle& style, int* baseline = nullptr)
{
    int base = 0;
    const cv::Size size = cv::getTextSize(text, style.font, style.scale, style.thickness, &base);
    if (baseline)
        *baseline = base;
    return size;
}

// Draws `text` with its baseline at y.
void drawText(cv::Mat& canvas, const std::string& text, int x, int y, const TextStyle& style)
{
    cv::putText(canvas, text, cv::Point(x, y), style.font, style.scale, style.colour, style.thickness, cv::LINE_AA);
}

// `text` shortened with ".." until it fits `width` pixels.
std::string fitted(std::string text, int width, const TextStyle& style)
{
    if (textSize(text, style).width <= width)
        return text;
    while (!text.empty() && textSize(text + "..", style).width > width)
        text.pop_back();
    return text + "..";
}

// Words of `text` in lines of at most `width` pixels (a longer word gets a line of its own).
std::vector<std::string> wrapped(const std::string& text, int width, const TextStyle& style)
{
    std::vector<std::string> lines;
    std::string line;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string::npos)
            end = text.size();
        const std::string word = text.substr(start, end - start);
        start = end + 1;
        if (word.empty())
            continue;
        const std::string longer = line.empty() ? word : line + " " + word;
        if (!line.empty() && textSize(longer, style).width > width) {
            lines.push_back(line);
            line = word;
        } else {
            line = longer;
        }
    }
    if (!line.empty())
        lines.push_back(line);
    return lines;
}

std::string itemsText(int count)
{
    return std::to_string(count) + (count == 1 ? " item" : " items");
}

// How the shown images were chosen, for the right end of a band's heading.
std::string choiceText(ReportBandKind band, int count, int perRow)
{
    if (count <= perRow)
        return band == ReportBandKind::Easy ? "all, most typical first" : "all, worst first";
    switch (band) {
    case ReportBandKind::Easy:
        return "the " + std::to_string(perRow) + " most typical";
    case ReportBandKind::NeedReview:
        return std::to_string(perRow) + " spread through the band, worst first";
    case ReportBandKind::Hard:
        return "the " + std::to_string(perRow) + " most extreme";
    }
    return {};
}

// The item's image scaled into a tile x tile square (centred on white), or a grey tile saying
// why there is none.
void drawTile(cv::Mat& canvas, const Dataset& dataset, int item, cv::Rect area)
{
    cv::Mat image;
    std::string problem;
    if (dataset.imagePaths[static_cast<std::size_t>(item)].empty()) {
        problem = "no image";
    } else {
        try {
            image = imagefiles::decodeImage(dataset, item);
        } catch (const InputError&) {
            problem = "unreadable";
        }
    }
    cv::Mat tile = canvas(area);
    if (!problem.empty()) {
        tile.setTo(placeholder);
        const cv::Size size = textSize(problem, captionStyle);
        drawText(canvas, problem, area.x + (area.width - size.width) / 2, area.y + (area.height + size.height) / 2,
                 captionStyle);
        return;
    }
    if (image.channels() == 1)
        cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);
    const int side = std::max(image.cols, image.rows);
    cv::Mat scaled;
    if (side <= area.width) {
        const int factor = area.width / side;
        cv::resize(image, scaled, cv::Size(image.cols * factor, image.rows * factor), 0, 0, cv::INTER_NEAREST);
    } else {
        const double scale = static_cast<double>(area.width) / side;
        const int w = std::max(1, static_cast<int>(std::lround(image.cols * scale)));
        const int h = std::max(1, static_cast<int>(std::lround(image.rows * scale)));
        cv::resize(image, scaled, cv::Size(std::min(w, area.width), std::min(h, area.height)), 0, 0, cv::INTER_AREA);
    }
    tile.setTo(white);
    scaled.copyTo(tile(cv::Rect((area.width - scaled.cols) / 2, (area.height - scaled.rows) / 2, scaled.cols,
                                scaled.rows)));
}

void checkReport(const Dataset& dataset, const ClassReport& report)
{
    if (report.classIndex < 0 || report.classIndex >= dataset.classCount())
        throw InputError("triage report", "class " + std::to_string(report.classIndex),
                         "is not a class of the dataset (" + std::to_string(dataset.classCount()) + " classes)");
    if (dataset.imagePaths.size() != static_cast<std::size_t>(dataset.itemCount()))
        throw InputError("triage report", "dataset", "has no image path per item");
    for (int b = 0; b < 3; ++b) {
        const ReportBand& band = report.bands[static_cast<std::size_t>(b)];
        const std::string what = "class " + std::to_string(report.classIndex) + " " + bandTitles[b];
        if (band.count != static_cast<int>(band.items.size()))
            throw InputError("triage report", what,
                             "counts " + std::to_string(band.count) + " items but lists " + std::to_string(band.items.size()));
        for (const int item : band.items)
            if (item < 0 || item >= dataset.itemCount())
                throw InputError("triage report", what,
                                 "item " + std::to_string(item) + " is not in the dataset (" + std::to_string(dataset.itemCount())
                                     + " items)");
    }
    const ReportMap& map = report.map;
    if (map.coords.size() != 2 * map.band.size())
        throw InputError("triage report", "class " + std::to_string(report.classIndex) + " map",
                         std::to_string(map.coords.size()) + " coordinates for " + std::to_string(map.band.size()) + " points");
    for (const int band : map.band)
        if (band < -1 || band > 2)
            throw InputError("triage report", "class " + std::to_string(report.classIndex) + " map",
                             "band " + std::to_string(band) + " is neither -1 nor a band");
}

// Draws `map` into `panel` of `canvas`: a frame, then the points (see ReportMap).
void drawMap(cv::Mat& canvas, const ReportMap& map, const cv::Rect& panel)
{
    cv::rectangle(canvas, panel, placeholder, 1);
    const std::size_t n = map.band.size();
    bool anyOwn = false;
    for (const int band : map.band)
        anyOwn = anyOwn || band >= 0;
    float minX = std::numeric_limits<float>::infinity(), maxX = -minX, minY = minX, maxY = -minX;
    for (std::size_t i = 0; i < n; ++i) {
        if (anyOwn && map.band[i] < 0)
            continue;
        const float x = map.coords[2 * i], y = map.coords[2 * i + 1];
        if (!std::isfinite(x) || !std::isfinite(y))
            continue;
        minX = std::min(minX, x), maxX = std::max(maxX, x), minY = std::min(minY, y), maxY = std::max(maxY, y);
    }
    if (!(minX <= maxX))
        return;
    // One scale for both axes (a map's distances mean the same in x and y), 4 % padding.
    const float span = std::max({maxX - minX, maxY - minY, 1e-6f}) * 1.08f;
    const float scale = static_cast<float>(panel.width - 8) / span;
    const float centreX = 0.5f * (minX + maxX), centreY = 0.5f * (minY + maxY);
    auto at = [&](std::size_t i) {
        return cv::Point(panel.x + panel.width / 2 + static_cast<int>(std::lround((map.coords[2 * i] - centreX) * scale)),
                         panel.y + panel.height / 2 - static_cast<int>(std::lround((map.coords[2 * i + 1] - centreY) * scale)));
    };
    const cv::Rect inside(panel.x + 1, panel.y + 1, panel.width - 2, panel.height - 2);
    const cv::Scalar others(215, 215, 215);
    const int radius = n > 20000 ? 1 : 2;
    for (const int layer : {-1, 0, 1, 2})
        for (std::size_t i = 0; i < n; ++i) {
            if (map.band[i] != layer || !std::isfinite(map.coords[2 * i]) || !std::isfinite(map.coords[2 * i + 1]))
                continue;
            const cv::Point p = at(i);
            if (inside.contains(p))
                cv::circle(canvas, p, layer < 0 ? 1 : radius, layer < 0 ? others : bandColours[layer], cv::FILLED,
                           cv::LINE_AA);
        }
}

// Writes `bytes` to `path` through a temporary file created exclusively beside it.
void writeBytesAtomically(const std::string& path, const std::vector<unsigned char>& bytes)
{
    const fs::path target(path);
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string name = (folder / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0)
        throw InputError(path, "", "cannot write: " + errnoText(errno));
    const auto fail = [&](int error, const char* what) {
        ::close(fd);
        ::unlink(name.c_str());
        throw InputError(path, "", std::string(what) + errnoText(error));
    };
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (wrote < 0) {
            if (errno == EINTR)
                continue;
            fail(errno, "cannot write: ");
        }
        done += static_cast<std::size_t>(wrote);
    }
    // mkstemp makes the file private; a report is an ordinary document.
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0)
        fail(errno, "cannot write: ");
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(name.c_str());
        throw InputError(path, "", "cannot write: " + errnoText(error));
    }
    if (::rename(name.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(name.c_str());
        throw InputError(path, "", "cannot replace the file: " + errnoText(error));
    }
}

void syncFolder(const std::string& folder)
{
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

nlohmann::json estimateJson(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

void ReportOptions::validate() const
{
    if (perRow < 1 || perRow > 64)
        throw InputError("triage report", "per_row", "must be in [1, 64], not " + std::to_string(perRow));
    if (tileSize < 16 || tileSize > 512)
        throw InputError("triage report", "tile_size", "must be in [16, 512], not " + std::to_string(tileSize));
    if (border < 1 || border > 32)
        throw InputError("triage report", "border", "must be in [1, 32], not " + std::to_string(border));
    if (mapSize < 120 || mapSize > 2048)
        throw InputError("triage report", "map_size", "must be in [120, 2048], not " + std::to_string(mapSize));
}

std::vector<int> representativeItems(const std::vector<int>& items, ReportBandKind band, int count)
{
    const int n = static_cast<int>(items.size());
    const int shown = std::max(0, std::min(n, count));
    std::vector<int> out;
    out.reserve(static_cast<std::size_t>(shown));
    switch (band) {
    case ReportBandKind::Easy:
        for (int j = 0; j < shown; ++j)
            out.push_back(items[static_cast<std::size_t>(n - 1 - j)]);
        break;
    case ReportBandKind::Hard:
        out.assign(items.begin(), items.begin() + shown);
        break;
    case ReportBandKind::NeedReview:
        // The middle of each of `shown` equal slices: distinct, and all items when n <= count.
        for (int j = 0; j < shown; ++j) {
            const long long index = (2LL * j + 1) * n / (2LL * shown);
            out.push_back(items[static_cast<std::size_t>(index)]);
        }
        break;
    }
    return out;
}

cv::Mat renderClassReport(const Dataset& dataset, const ClassReport& report, const ReportOptions& options,
                          std::array<std::vector<cv::Rect>, 3>* tiles)
{
    options.validate();
    checkReport(dataset, report);
    const int framed = options.tileSize + 2 * options.border;
    const int rowWidth = options.perRow * framed + (options.perRow - 1) * gap;
    const int contentWidth = std::max(rowWidth, minContentWidth);
    const bool hasMap = !report.map.band.empty();
    const int mapWidth = hasMap ? options.mapSize + 2 * gap : 0;
    const int width = contentWidth + mapWidth + 2 * margin;

    const std::string className = asciiText(dataset.classNames[static_cast<std::size_t>(report.classIndex)]);
    const std::string title = fitted(
        startsWith(className, std::to_string(report.classIndex) + "_")
            ? className
            : className + "  (class " + std::to_string(report.classIndex) + ")",
        contentWidth, titleStyle);
    std::string subtitle = itemsText(report.itemCount());
    if (!report.source.empty())
        subtitle = asciiText(report.source) + "  -  " + subtitle;
    subtitle = fitted(subtitle, contentWidth, subtitleStyle);
    const std::vector<std::string> noteLines = wrapped(asciiText(report.note), contentWidth, hintStyle);

    const int titleHeight = textSize(title, titleStyle).height;
    const int subtitleHeight = textSize(subtitle, subtitleStyle).height;
    const int bandHeight = textSize("Need review", bandStyle).height;
    const int captionHeight = textSize("Ag", captionStyle).height;
    const int noteHeight = textSize("Ag", hintStyle).height;
    const int lineGap = 8;

    // One pass to measure, then one to draw on a canvas of that height.
    int height = 0;
    cv::Mat canvas;
    if (tiles)
        *tiles = {};
    for (const bool draw : {false, true}) {
        if (draw)
            canvas = cv::Mat(height, width, CV_8UC3, white);
        int y = margin + titleHeight;
        if (draw)
            drawText(canvas, title, margin, y, titleStyle);
        y += lineGap + 4 + subtitleHeight;
        if (draw)
            drawText(canvas, subtitle, margin, y, subtitleStyle);
        y += 22;
        const int mapTop = y + 10;
        for (int b = 0; b < 3; ++b) {
            const auto kind = static_cast<ReportBandKind>(b);
            const ReportBand& band = report.bands[static_cast<std::size_t>(b)];
            y += bandHeight + 10;
            if (draw) {
                const int swatch = bandHeight;
                cv::rectangle(canvas, cv::Rect(margin, y - swatch, swatch, swatch), bandColours[b], cv::FILLED);
                int x = margin + swatch + 10;
                drawText(canvas, bandTitles[b], x, y, bandStyle);
                x += textSize(bandTitles[b], bandStyle).width + 14;
                std::string counts = itemsText(band.count);
                if (std::isfinite(band.estimatedWrong))
                    counts += "  (est. " + estimateText(band.estimatedWrong) + " wrong)";
                drawText(canvas, counts, x, y, countStyle);
                x += textSize(counts, countStyle).width;
                if (band.count > 0) {
                    const std::string hint = choiceText(kind, band.count, options.perRow);
                    const int hintWidth = textSize(hint, hintStyle).width;
                    if (margin + contentWidth - hintWidth >= x + 20)
                        drawText(canvas, hint, margin + contentWidth - hintWidth, y, hintStyle);
                }
            }
            y += 12;
            if (band.count == 0) {
                const int noneHeight = textSize("none", noneStyle).height;
                y += noneHeight + 6;
                if (draw)
                    drawText(canvas, "none", margin + 4, y, noneStyle);
                y += 20;
                continue;
            }
            if (draw) {
                const std::vector<int> shown = representativeItems(band.items, kind, options.perRow);
                for (std::size_t j = 0; j < shown.size(); ++j) {
                    const int x = margin + static_cast<int>(j) * (framed + gap);
                    cv::rectangle(canvas, cv::Rect(x, y, framed, framed), bandColours[b], cv::FILLED);
                    if (tiles)
                        (*tiles)[static_cast<std::size_t>(b)].emplace_back(x, y, framed, framed);
                    drawTile(canvas, dataset, shown[j],
                             cv::Rect(x + options.border, y + options.border, options.tileSize, options.tileSize));
                    const std::string key = fitted(asciiText(dataset.itemKeys[static_cast<std::size_t>(shown[j])]),
                                                   framed, captionStyle);
                    const int keyWidth = textSize(key, captionStyle).width;
                    drawText(canvas, key, x + (framed - keyWidth) / 2, y + framed + 6 + captionHeight, captionStyle);
                }
            }
            y += framed + 6 + captionHeight + 22;
        }
        if (hasMap) {
            const cv::Rect panel(margin + contentWidth + 2 * gap, mapTop, options.mapSize, options.mapSize);
            const std::string caption = fitted(asciiText(report.map.caption), options.mapSize, hintStyle);
            const int captionBottom = panel.y + panel.height + 8 + noteHeight;
            if (draw) {
                drawMap(canvas, report.map, panel);
                drawText(canvas, caption, panel.x, captionBottom, hintStyle);
            }
            y = std::max(y, captionBottom + 12);
        }
        if (!noteLines.empty()) {
            y += 4;
            for (const std::string& line : noteLines) {
                y += noteHeight;
                if (draw)
                    drawText(canvas, line, margin, y, hintStyle);
                y += 7;
            }
        }
        height = y + margin;
    }
    return canvas;
}

std::string estimateText(double share)
{
    if (!std::isfinite(share))
        return {};
    const double percent = 100.0 * share;
    char buffer[32];
    if (percent <= 0.0)
        std::snprintf(buffer, sizeof buffer, "0 %%");
    else if (percent < 0.1)
        std::snprintf(buffer, sizeof buffer, "< 0.1 %%");
    else if (percent < 10.0)
        std::snprintf(buffer, sizeof buffer, "%.1f %%", percent);
    else
        std::snprintf(buffer, sizeof buffer, "%.0f %%", percent);
    return buffer;
}

std::string sanitizedFileStem(const std::string& name)
{
    std::string out;
    for (const char c : name) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                          || c == '_' || c == '.';
        if (keep)
            out += c;
        else if (out.empty() || out.back() != '_')
            out += '_';
    }
    const std::size_t first = out.find_first_not_of("_.");
    if (first == std::string::npos)
        return "class";
    out = out.substr(first, out.find_last_not_of("_.") - first + 1);
    if (out.size() > 60)
        out.resize(60);
    return out;
}

std::string reportFileName(const Dataset& dataset, int classIndex)
{
    if (classIndex < 0 || classIndex >= dataset.classCount())
        throw InputError("triage report", "class " + std::to_string(classIndex),
                         "is not a class of the dataset (" + std::to_string(dataset.classCount()) + " classes)");
    const std::string stem = sanitizedFileStem(dataset.classNames[static_cast<std::size_t>(classIndex)]);
    const std::string prefix = std::to_string(classIndex) + "_";
    return (startsWith(stem, prefix) ? stem : prefix + stem) + ".png";
}

void writeClassReport(const Dataset& dataset, const ClassReport& report, const std::string& path,
                      const ReportOptions& options)
{
    const cv::Mat image = renderClassReport(dataset, report, options);
    std::vector<unsigned char> png;
    // zlib's default level: under a third of the size of OpenCV's fastest, still instant here.
    if (!cv::imencode(".png", image, png, {cv::IMWRITE_PNG_COMPRESSION, 6}))
        throw InputError(path, "", "the PNG encoder failed");
    writeBytesAtomically(path, png);
}

std::vector<std::string> writeClassReports(const Dataset& dataset, const std::vector<ClassReport>& reports,
                                           const std::string& folder, const ReportOptions& options, Progress& progress)
{
    options.validate();
    if (folder.empty())
        throw InputError("triage report", "", "no output folder given");
    std::vector<std::string> names;
    for (const ClassReport& report : reports) {
        checkReport(dataset, report);
        names.push_back(reportFileName(dataset, report.classIndex));
        if (std::count(names.begin(), names.end(), names.back()) > 1)
            throw InputError("triage report", "class " + std::to_string(report.classIndex), "is listed twice");
    }

    std::error_code error;
    const fs::file_status status = fs::status(folder, error);
    const bool created = !fs::exists(status);
    if (created) {
        if (!fs::create_directories(folder, error) && error)
            throw InputError(folder, "", "cannot create the folder: " + error.message());
    } else if (!fs::is_directory(status)) {
        throw InputError(folder, "", "exists and is not a folder");
    }
    std::string staging = (fs::path(folder) / ".report-XXXXXX").string();
    if (!::mkdtemp(staging.data())) {
        const int problem = errno;
        if (created)
            fs::remove(folder, error);
        throw InputError(folder, "", "cannot write into the folder: " + errnoText(problem));
    }

    std::vector<std::string> written;
    std::size_t moved = 0;
    try {
        nlohmann::ordered_json index;
        index["source"] = reports.empty() ? std::string() : reports.front().source;
        index["note"] = reports.empty() ? std::string() : reports.front().note;
        index["per_row"] = options.perRow;
        index["classes"] = nlohmann::json::array();
        for (std::size_t r = 0; r < reports.size(); ++r) {
            const ClassReport& report = reports[r];
            const std::string& className = dataset.classNames[static_cast<std::size_t>(report.classIndex)];
            progress.step(static_cast<double>(r), static_cast<double>(reports.size()), "drawing " + className);
            writeClassReport(dataset, report, (fs::path(staging) / names[r]).string(), options);
            nlohmann::ordered_json entry;
            entry["class"] = report.classIndex;
            entry["name"] = className;
            entry["file"] = names[r];
            entry["items"] = report.itemCount();
            const char* keys[3] = {"easy", "need_review", "hard"};
            for (int b = 0; b < 3; ++b) {
                const ReportBand& band = report.bands[static_cast<std::size_t>(b)];
                entry[keys[b]] = {{"count", band.count}, {"estimated_wrong", estimateJson(band.estimatedWrong)}};
            }
            index["classes"].push_back(entry);
        }
        const std::string text = index.dump(2) + "\n";
        names.push_back("report.json");
        writeBytesAtomically((fs::path(staging) / names.back()).string(),
                             std::vector<unsigned char>(text.begin(), text.end()));
        progress.check();
        for (; moved < names.size(); ++moved) {
            const fs::path target = fs::path(folder) / names[moved];
            fs::rename(fs::path(staging) / names[moved], target);
            written.push_back(target.string());
        }
        fs::remove(staging, error);
        syncFolder(folder);
    } catch (const fs::filesystem_error& e) {
        // Only a rename can throw this: the files already moved are whole, the rest are dropped.
        fs::remove_all(staging, error);
        throw InputError(folder, "", std::string("cannot move the report into place: ") + e.what());
    } catch (...) {
        fs::remove_all(staging, error);
        if (created)
            fs::remove(folder, error);
        throw;
    }
    progress.step(1, 1, "report written");
    return written;
}

}  // namespace crowdsift
