#include "data/formats.h"

#include "data/formats_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <unordered_map>

namespace crowdsift {

namespace fs = std::filesystem;

namespace {

bool integerKey(const std::string& key, long long& value)
{
    const char* last = key.data() + key.size();
    const auto [ptr, ec] = std::from_chars(key.data(), last, value);
    return !key.empty() && ec == std::errc() && ptr == last;
}

// Applies a vector of truths (entry i = truth of the item keyed i, or of item index i when keys
// are not integers). `recordName(i)` names entry i in messages. Items past the end: a warning.
template <class RecordName>
std::vector<std::int32_t> truthFromVector(const Dataset& dataset, const std::string& path,
                                          const std::vector<double>& values, RecordName recordName,
                                          std::vector<ReadWarning>& warnings)
{
    const std::size_t length = values.size();
    const int classCount = dataset.classCount();
    // Checked up front so that any entry can be used below.
    std::vector<std::int32_t> entries(length, -1);
    for (std::size_t e = 0; e < length; ++e) {
        const double v = values[e];
        if (std::isnan(v))
            throw InputError(path, recordName(e), "truth is NaN (use -1 for unknown)");
        if (v != std::floor(v))
            throw InputError(path, recordName(e), "truth " + formats::numberText(v) + " is not an integer");
        if (v < 0)
            continue;
        if (v >= classCount)
            throw InputError(path, recordName(e), "truth " + formats::numberText(v) + " is out of range for "
                                                      + std::to_string(classCount) + " classes");
        entries[e] = static_cast<std::int32_t>(v);
    }

    const std::size_t n = dataset.itemKeys.size();
    std::vector<long long> keys(n);
    bool keyed = true;
    for (std::size_t i = 0; i < n && keyed; ++i)
        keyed = integerKey(dataset.itemKeys[i], keys[i]);
    std::vector<std::int32_t> truth(n, -1);
    if (keyed) {
        std::size_t beyond = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (keys[i] >= 0 && static_cast<unsigned long long>(keys[i]) < length)
                truth[i] = entries[static_cast<std::size_t>(keys[i])];
            else
                ++beyond;
        }
        if (beyond > 0)
            warnings.push_back({path, std::to_string(length) + " entries, no truth for the " + std::to_string(beyond)
                                          + " item(s) whose key lies beyond"});
    } else {
        if (length != n)
            throw InputError(path, "", "has " + std::to_string(length) + " entries for " + std::to_string(n)
                                           + " items (item keys are not integers, so entry i is item i)");
        truth = entries;
    }
    return truth;
}

std::vector<std::int32_t> truthFromNpy(const Dataset& dataset, const std::string& path, std::vector<ReadWarning>& warnings)
{
    const NpyArray array = readNpy(path);
    const bool vector = array.rank() == 1 || (array.rank() == 2 && array.shape[1] == 1);
    if (!vector)
        throw InputError(path, "", "expected a vector of labels, found an array of rank " + std::to_string(array.rank()));
    if (array.type == NpyType::Bool)
        throw InputError(path, "", "a bool array is not a vector of labels");
    return truthFromVector(dataset, path, array.as<double>(),
                           [](std::size_t e) { return "entry " + std::to_string(e); }, warnings);
}

// Rodrigues' labels_train.txt: one label per line, line i + 1 = entry i.
std::vector<std::int32_t> truthFromText(const Dataset& dataset, const std::string& path, std::vector<ReadWarning>& warnings)
{
    const std::string text = readTextFile(path);
    CsvReader reader(text, path, CsvReader::Separator::Whitespace);
    std::vector<std::string_view> fields;
    std::vector<double> values;
    std::vector<long long> lines;
    while (reader.next(fields)) {
        if (fields.size() != 1)
            throw InputError(path, reader.lineName(), "expected one label per line, found " + std::to_string(fields.size()));
        std::int64_t value = 0;
        bool isNan = false;
        if (!formats::parseWholeNumber(fields[0], value, isNan))
            throw InputError(path, reader.lineName(), "truth '" + std::string(fields[0]) + "' is not an integer");
        values.push_back(isNan ? std::nan("") : static_cast<double>(value));
        lines.push_back(reader.line());
    }
    if (values.empty())
        throw InputError(path, "", "file is empty");
    return truthFromVector(dataset, path, values,
                           [&](std::size_t e) { return "line " + std::to_string(lines[e]); }, warnings);
}

}  // namespace

ItemLabels readItemLabelCsv(const Dataset& dataset, const std::string& path, const std::string& what, bool allowEmpty)
{
    const std::string text = readTextFile(path);
    CsvReader reader(text, path);
    std::vector<std::string_view> fields;
    if (!reader.next(fields))
        throw InputError(path, "", "file is empty");
    int taskColumn = -1;
    int labelColumn = -1;
    for (std::size_t c = 0; c < fields.size(); ++c) {
        const std::string name = normalizedName(fields[c]);
        if (taskColumn < 0 && (name == "task" || name == "question" || name == "item"))
            taskColumn = static_cast<int>(c);
        else if (labelColumn < 0 && (name == "label" || name == "truth"))
            labelColumn = static_cast<int>(c);
    }
    if (taskColumn < 0 || labelColumn < 0)
        throw InputError(path, reader.lineName(), "missing header column(s): expected task (or question, item) "
                                                  "and label (or truth)");
    const std::size_t needed = static_cast<std::size_t>(std::max(taskColumn, labelColumn)) + 1;

    std::unordered_map<std::string_view, std::size_t> items;
    items.reserve(dataset.itemKeys.size());
    for (std::size_t i = 0; i < dataset.itemKeys.size(); ++i)
        items.emplace(dataset.itemKeys[i], i);
    ItemLabels result;
    result.labels.assign(dataset.itemKeys.size(), -1);
    std::vector<long long> lineOf(dataset.itemKeys.size(), 0);
    while (reader.next(fields)) {
        if (fields.size() < needed)
            throw InputError(path, reader.lineName(), "expected at least " + std::to_string(needed)
                                                          + " fields, found " + std::to_string(fields.size()));
        const std::string_view task = fields[static_cast<std::size_t>(taskColumn)];
        const auto found = items.find(task);
        if (found == items.end())
            throw InputError(path, reader.lineName(), "task '" + std::string(task) + "' is not in the dataset");
        const std::string_view cell = fields[static_cast<std::size_t>(labelColumn)];
        const std::int32_t label = allowEmpty && cell.empty()
                                       ? -1
                                       : formats::parseLabel(cell, dataset.classCount(), path, reader.lineName());
        const std::size_t i = found->second;
        if (lineOf[i] != 0 && result.labels[i] != label)
            throw InputError(path, "line " + std::to_string(lineOf[i]) + " and " + reader.lineName(),
                             "task '" + std::string(task) + "' has two " + what + "s, "
                                 + std::to_string(result.labels[i]) + " and " + std::to_string(label));
        if (lineOf[i] == 0)
            ++result.itemsWithRow;
        result.labels[i] = label;
        lineOf[i] = reader.line();
    }
    return result;
}


std::vector<ReadWarning> readTruth(Dataset& dataset, const std::string& path)
{
    std::vector<ReadWarning> warnings;
    if (dataset.classCount() <= 0)
        throw InputError(path, "", "the dataset has no classes to check the truth against");
    const std::string extension = normalizedName(fs::path(path).extension().string());
    std::vector<std::int32_t> truth = extension == ".npy"   ? truthFromNpy(dataset, path, warnings)
                                      : extension == ".txt" ? truthFromText(dataset, path, warnings)
                                                            : readItemLabelCsv(dataset, path, "truth", false).labels;
    dataset.truth = std::move(truth);
    return warnings;
}

}  // namespace crowdsift
