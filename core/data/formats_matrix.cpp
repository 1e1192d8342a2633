#include "data/formats.h"

#include "data/formats_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

std::string lineName(std::int64_t line)
{
    return "line " + std::to_string(line);
}

std::string cellName(long long line, std::size_t column)
{
    return "line " + std::to_string(line) + ", column " + std::to_string(column + 1);
}

std::string shapeText(const std::vector<std::size_t>& shape)
{
    std::string out = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + (shape.size() == 1 ? ",)" : ")");
}

bool isNumber(std::string_view text)
{
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    double value = 0.0;
    const char* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), last, value);
    return !text.empty() && ec == std::errc() && ptr == last;
}

bool isItemIdName(std::string_view cell)
{
    const std::string name = normalizedName(cell);
    return name.empty() || name == "task" || name == "item" || name == "question" || name == "id"
           || name == "index" || name == "image";
}

Dataset readMatrixCsv(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    const std::string text = readTextFile(path);
    CsvReader reader(text, path);
    std::vector<std::string_view> fields;
    if (!reader.next(fields))
        throw InputError(path, "", "file is empty");
    const bool hasHeader = std::any_of(fields.begin(), fields.end(),
                                       [](std::string_view c) { return !c.empty() && !isNumber(c); });
    const bool hasIds = hasHeader && isItemIdName(fields[0]);
    const std::size_t width = fields.size();
    const std::size_t firstLabel = hasIds ? 1 : 0;
    if (width <= firstLabel)
        throw InputError(path, reader.lineName(), "no annotator columns");

    formats::AnswerCollector collector(path, lineName);
    std::vector<std::int32_t> columnAnnotator(width, -1);
    for (std::size_t c = firstLabel; c < width; ++c) {
        const std::string id = hasHeader ? std::string(fields[c]) : std::to_string(c - firstLabel);
        if (id.empty())
            throw InputError(path, cellName(reader.line(), c), "annotator id in the header is empty");
        const std::int32_t a = collector.annotator(id);
        if (a != static_cast<std::int32_t>(c - firstLabel))
            throw InputError(path, cellName(reader.line(), c), "annotator id '" + id + "' appears twice in the header");
        columnAnnotator[c] = a;
    }

    std::vector<std::int64_t> itemLine;
    formats::Ticker ticker(options.progress, "reading label matrix");
    std::size_t rows = 0;
    const auto readRow = [&]() {
        if (fields.size() != width)
            throw InputError(path, reader.lineName(), "has " + std::to_string(fields.size()) + " cells, expected "
                                                          + std::to_string(width) + " (as on the first line)");
        std::string generated;
        std::string_view key;
        if (hasIds) {
            key = fields[0];
            if (key.empty())
                throw InputError(path, reader.lineName(), "item id is empty");
        } else {
            generated = std::to_string(rows);
            key = generated;
        }
        const std::int32_t item = collector.item(key);
        if (static_cast<std::size_t>(item) < itemLine.size())
            throw InputError(path, lineName(itemLine[static_cast<std::size_t>(item)]) + " and " + reader.lineName(),
                             "item id '" + std::string(key) + "' appears twice");
        itemLine.push_back(reader.line());
        for (std::size_t c = firstLabel; c < width; ++c) {
            const std::string_view cell = fields[c];
            if (cell.empty())
                continue;
            std::int64_t value = 0;
            bool isNan = false;
            if (!formats::parseWholeNumber(cell, value, isNan))
                throw InputError(path, cellName(reader.line(), c), "label '" + std::string(cell) + "' is not an integer");
            if (isNan)
                continue;
            if (value < 0)
                throw InputError(path, cellName(reader.line(), c), "label " + std::string(cell)
                                                                       + " is negative (leave the cell empty or NaN "
                                                                         "when not labelled)");
            const std::int32_t label = formats::labelInRange(value, options.classCount)
                                           ? static_cast<std::int32_t>(value)
                                           : formats::checkLabel(value, options.classCount, path, cellName(reader.line(), c), cell);
            collector.add(item, columnAnnotator[c], label, reader.line(), options.complementary);
        }
        ++rows;
        ticker.tick(rows, static_cast<double>(reader.offset()), static_cast<double>(reader.size()));
    };
    if (!hasHeader)
        readRow();
    while (reader.next(fields))
        readRow();
    if (rows == 0)
        throw InputError(path, "", "has a header but no rows");
    const int classCount = formats::resolveClassCount(options.classCount, 0, "", collector.maxLabel(), path, collector.maxLabelRecord());
    Dataset dataset = formats::assemble(collector.finish(warnings), classCount);
    dataset.name = formats::nameFromPath(path);
    return dataset;
}

// Items "0".."rows-1" and annotators "0".."columns-1", interned in order.
void internNumbered(formats::AnswerCollector& collector, std::size_t rows, std::size_t columns)
{
    for (std::size_t i = 0; i < rows; ++i)
        collector.item(std::to_string(i));
    for (std::size_t j = 0; j < columns; ++j)
        collector.annotator(std::to_string(j));
}

std::string entryName(std::size_t row, std::size_t column)
{
    return "row " + std::to_string(row) + ", column " + std::to_string(column) + " (0-based)";
}

Dataset readMatrixNpy(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    const NpyArray array = readNpy(path);
    if (array.rank() != 2)
        throw InputError(path, "", "expected an N x M label matrix, found shape " + shapeText(array.shape));
    if (array.type == NpyType::Bool)
        throw InputError(path, "", "a bool array is not a label matrix");
    const std::size_t n = array.shape[0];
    const std::size_t m = array.shape[1];
    if (n > static_cast<std::size_t>(INT32_MAX) || m > static_cast<std::size_t>(INT32_MAX))
        throw InputError(path, "", "the matrix is too large");
    // With no columns no data bounds the row count: a 128-byte file could ask for 2e9 items.
    if (n == 0 || m == 0)
        throw InputError(path, "header", "shape " + shapeText(array.shape) + " holds no answers (an N x M label "
                                         "matrix needs at least one item and one annotator)");
    formats::AnswerCollector collector(path, nullptr);
    internNumbered(collector, n, m);
    const bool isFloat = npyIsFloat(array.type);
    const std::vector<double> values = array.as<double>();
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < m; ++j) {
            const double v = values[i * m + j];
            if (std::isnan(v) || (!isFloat && v < 0))
                continue;
            if (!std::isfinite(v))
                throw InputError(path, entryName(i, j), "label " + formats::numberText(v) + " is not a finite number");
            if (v != std::floor(v))
                throw InputError(path, entryName(i, j), "label " + formats::numberText(v) + " is not an integer");
            if (v < 0)
                throw InputError(path, entryName(i, j), "label " + formats::numberText(v)
                                                            + " is negative (NaN means not labelled)");
            const double capped = std::min(v, 1.0e9);
            const std::int32_t label = formats::checkLabel(static_cast<std::int64_t>(capped), options.classCount,
                                                           path, entryName(i, j), formats::numberText(v));
            collector.add(static_cast<std::int32_t>(i), static_cast<std::int32_t>(j), label,
                          static_cast<std::int64_t>(i * m + j), options.complementary);
        }
    }
    const int classCount = formats::resolveClassCount(options.classCount, 0, "", collector.maxLabel(), path, collector.maxLabelRecord());
    Dataset dataset = formats::assemble(collector.finish(warnings), classCount);
    dataset.name = formats::nameFromPath(path);
    return dataset;
}

// The first sibling feature file: features.npy, else data_train*.npy in name order.
fs::path findFeatureFile(const fs::path& folder)
{
    std::error_code ec;
    if (fs::is_regular_file(folder / "features.npy", ec))
        return folder / "features.npy";
    std::vector<fs::path> candidates;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("data_train", 0) == 0 && entry.path().extension() == ".npy")
            candidates.push_back(entry.path());
    }
    std::sort(candidates.begin(), candidates.end());
    return candidates.empty() ? fs::path() : candidates.front();
}

// Fills dataset.features from `featureFile` when it has one row per item (other dimensions
// flattened), else warns and leaves them empty.
void loadFeatures(Dataset& dataset, const fs::path& featureFile, std::size_t rows, std::vector<ReadWarning>& warnings)
{
    const NpyArray features = readNpy(featureFile.string());
    if (features.rank() >= 1 && features.shape[0] == rows && rows > 0) {
        const std::size_t dims = features.count() / rows;
        const std::vector<float> values = features.as<float>();
        dataset.features.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(dims));
        std::copy(values.begin(), values.end(), dataset.features.data());
    } else {
        warnings.push_back({featureFile.string(), "shape " + shapeText(features.shape) + " does not have one row per item ("
                                                      + std::to_string(rows) + "); features not loaded"});
    }
}

}  // namespace

namespace formats {

Dataset readMatrix(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    const std::string extension = normalizedName(fs::path(path).extension().string());
    if (extension != ".npy")
        return readMatrixCsv(path, options, warnings);
    Dataset dataset = readMatrixNpy(path, options, warnings);
    // An ACL-style cl_labels.npy has no features of its own: a features.npy beside it (items in
    // the matrix's row order) gives the models of `train` something to learn from.
    const fs::path file = fs::absolute(fs::path(path)).lexically_normal();
    const fs::path featureFile = file.parent_path() / "features.npy";
    std::error_code ec;
    if (file.filename() != "features.npy" && fs::is_regular_file(featureFile, ec))
        loadFeatures(dataset, featureFile, static_cast<std::size_t>(dataset.itemCount()), warnings);
    return dataset;
}

Dataset readRodrigues(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    fs::path file = fs::absolute(fs::path(path)).lexically_normal();
    if (!file.has_filename())
        file = file.parent_path();
    std::error_code ec;
    if (fs::is_directory(file, ec))
        file /= "answers.txt";
    const std::string name = file.string();
    const std::string text = readTextFile(name);
    CsvReader reader(text, name, CsvReader::Separator::Whitespace);
    std::vector<std::string_view> fields;
    AnswerCollector collector(name, lineName);
    std::size_t width = 0;
    std::size_t rows = 0;
    Ticker ticker(options.progress, "reading answers");
    while (reader.next(fields)) {
        if (rows == 0) {
            width = fields.size();
            for (std::size_t j = 0; j < width; ++j)
                collector.annotator(std::to_string(j));
        } else if (fields.size() != width) {
            throw InputError(name, reader.lineName(), "has " + std::to_string(fields.size()) + " values, the first line has "
                                                          + std::to_string(width));
        }
        const std::int32_t item = collector.item(std::to_string(rows));
        for (std::size_t j = 0; j < width; ++j) {
            std::int64_t value = 0;
            bool isNan = false;
            if (!parseWholeNumber(fields[j], value, isNan))
                throw InputError(name, cellName(reader.line(), j), "'" + std::string(fields[j]) + "' is not an integer label");
            if (isNan)
                throw InputError(name, cellName(reader.line(), j), "NaN is not allowed (-1 means not labelled)");
            if (value == -1)
                continue;
            if (value < 0)
                throw InputError(name, cellName(reader.line(), j),
                                 "label " + std::string(fields[j]) + " is negative (-1 means not labelled)");
            const std::int32_t label = labelInRange(value, options.classCount)
                                           ? static_cast<std::int32_t>(value)
                                           : checkLabel(value, options.classCount, name, cellName(reader.line(), j), fields[j]);
            collector.add(item, static_cast<std::int32_t>(j), label, reader.line());
        }
        ++rows;
        ticker.tick(rows, static_cast<double>(reader.offset()), static_cast<double>(reader.size()));
    }
    if (rows == 0)
        throw InputError(name, "", "file is empty");
    const int classCount = resolveClassCount(options.classCount, 0, "", collector.maxLabel(), name, collector.maxLabelRecord());
    Dataset dataset = assemble(collector.finish(warnings), classCount);
    dataset.name = nameFromPath(name);

    const fs::path featureFile = findFeatureFile(file.parent_path());
    if (!featureFile.empty())
        loadFeatures(dataset, featureFile, rows, warnings);
    return dataset;
}

Dataset readCounts(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& /*warnings*/)
{
    const NpyArray array = readNpy(path);
    if (array.rank() != 2)
        throw InputError(path, "", "expected an N x K array of vote counts, found shape " + shapeText(array.shape));
    const std::size_t n = array.shape[0];
    const std::size_t k = array.shape[1];
    if (n > static_cast<std::size_t>(INT32_MAX) || k > 32768 || k == 0)
        throw InputError(path, "", "shape " + shapeText(array.shape) + " is not a plausible N x K count matrix");
    const int classCount =
        resolveClassCount(options.classCount, static_cast<int>(k), "the array's column count", -1, path);
    const std::vector<double> values = array.as<double>();
    Dataset dataset;
    dataset.voteCounts.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(k));
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < k; ++j) {
            const double v = values[i * k + j];
            if (!std::isfinite(v) || v < 0)
                throw InputError(path, entryName(i, j), "count " + numberText(v) + " is not a non-negative number");
            dataset.voteCounts(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = static_cast<float>(v);
        }
    }
    dataset.itemKeys = numberedNames(static_cast<int>(n));
    dataset.splits.assign(n, Split::Train);
    dataset.imagePaths.assign(n, std::string());
    dataset.answers = Answers::fromTriplets(static_cast<int>(n), 0, {});
    const std::string fileName = normalizedName(fs::path(path).filename().string());
    const bool cifar = classCount == 10 && (fileName.find("cifar10") != std::string::npos
                                            || fileName.find("cifar-10") != std::string::npos);
    dataset.classNames = cifar ? cifar10Names() : numberedNames(classCount);
    dataset.name = nameFromPath(path);
    return dataset;
}

}  // namespace formats

void writeMatrix(const Dataset& dataset, const std::string& path)
{
    const auto& entries = dataset.answers.byItem();
    const std::size_t complementary = static_cast<std::size_t>(
        std::count_if(entries.begin(), entries.end(), [](const Answers::Entry& e) { return e.complementary(); }));
    if (complementary > 0 && complementary < entries.size())
        throw InputError(path, "", "a label matrix holds either votes or complementary ('not class k') answers; this dataset "
                                   "has " + std::to_string(entries.size() - complementary) + " votes and "
                                   + std::to_string(complementary) + " complementary answers (write a long CSV or "
                                   "peerannot folder instead)");
    const std::string extension = normalizedName(fs::path(path).extension().string());
    const std::size_t n = static_cast<std::size_t>(dataset.itemCount());
    const std::size_t m = static_cast<std::size_t>(dataset.annotatorCount());
    if (extension == ".npy") {
        std::vector<double> values(n * m, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& e : dataset.answers.ofItem(static_cast<int>(i)))
                values[i * m + static_cast<std::size_t>(e.other)] = e.label;
        writeNpy(path, values.data(), {n, m});
        return;
    }
    if (extension != ".csv")
        throw InputError(path, "", "a label matrix is written as .csv or .npy");
    std::string out = "task";
    for (const std::string& id : dataset.annotatorIds)
        out += "," + csvField(id);
    out += '\n';
    std::vector<int> row(m, -1);
    for (std::size_t i = 0; i < n; ++i) {
        std::fill(row.begin(), row.end(), -1);
        for (const auto& e : dataset.answers.ofItem(static_cast<int>(i)))
            row[static_cast<std::size_t>(e.other)] = e.label;
        out += csvField(dataset.itemKeys[i]);
        for (int label : row) {
            out += ',';
            if (label >= 0)
                out += std::to_string(label);
        }
        out += '\n';
    }
    writeFileAtomically(path, out);
}

}  // namespace crowdsift
