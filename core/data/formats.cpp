#include "data/formats.h"

#include "data/formats_internal.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/progress.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace crowdsift {

namespace fs = std::filesystem;

namespace formats {

std::int32_t IdIndex::intern(std::string_view key)
{
    if (slots_.empty())
        slots_.assign(64, -1);
    const auto hash = static_cast<std::uint32_t>(std::hash<std::string_view>{}(key));
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash & mask;
    while (slots_[slot] >= 0) {
        const auto id = static_cast<std::size_t>(slots_[slot]);
        if (hashes_[id] == hash && views_[id] == key)
            return slots_[slot];
        slot = (slot + 1) & mask;
    }
    if (views_.size() >= static_cast<std::size_t>(INT32_MAX))
        throw std::length_error("more than 2^31 distinct ids");
    const auto id = static_cast<std::int32_t>(views_.size());
    keys_.emplace_back(key);
    views_.emplace_back(keys_.back());
    hashes_.push_back(hash);
    slots_[slot] = id;
    if (views_.size() * 2 > slots_.size())
        rehash(slots_.size() * 2);
    return id;
}

void IdIndex::rehash(std::size_t slotCount)
{
    slots_.assign(slotCount, -1);
    const std::size_t mask = slotCount - 1;
    for (std::size_t id = 0; id < views_.size(); ++id) {
        std::size_t slot = hashes_[id] & mask;
        while (slots_[slot] >= 0)
            slot = (slot + 1) & mask;
        slots_[slot] = static_cast<std::int32_t>(id);
    }
}

std::vector<std::string> IdIndex::takeKeys()
{
    std::vector<std::string> keys(std::make_move_iterator(keys_.begin()), std::make_move_iterator(keys_.end()));
    keys_.clear();
    views_.clear();
    hashes_.clear();
    slots_.clear();
    return keys;
}

AnswerCollector::AnswerCollector(std::string file, Describe describe)
    : file_(std::move(file)), describe_(std::move(describe))
{
}

std::int32_t AnswerCollector::item(std::string_view key)
{
    // Long files are usually grouped by task: most lookups repeat the previous key.
    if (lastItem_ >= 0 && key == lastItemKey_)
        return lastItem_;
    lastItem_ = items_.intern(key);
    lastItemKey_ = items_.key(lastItem_);
    return lastItem_;
}

std::int32_t AnswerCollector::annotator(std::string_view key)
{
    return annotators_.intern(key);
}

void AnswerCollector::reserve(std::size_t answers)
{
    answers_.reserve(answers);
    records_.reserve(answers);
}

static std::string answerText(std::int32_t label, bool complementary)
{
    return (complementary ? "not " : "") + std::to_string(label);
}

static std::vector<std::int32_t> orderKeys(IdIndex& index, std::vector<std::string>& sorted)
{
    std::vector<std::string> input = index.takeKeys();
    const std::vector<int> order = naturalIdOrder(input);
    std::vector<std::int32_t> position(input.size());
    sorted.resize(input.size());
    for (std::size_t p = 0; p < order.size(); ++p) {
        position[static_cast<std::size_t>(order[p])] = static_cast<std::int32_t>(p);
        sorted[p] = std::move(input[static_cast<std::size_t>(order[p])]);
    }
    return position;
}

AnswerCollector::Result AnswerCollector::finish(std::vector<ReadWarning>& warnings)
{
    lastItem_ = -1;
    Result result;
    result.itemIndex = orderKeys(items_, result.itemKeys);
    result.annotatorIndex = orderKeys(annotators_, result.annotatorIds);
    const auto n = static_cast<int>(result.itemKeys.size());
    const auto m = static_cast<int>(result.annotatorIds.size());
    for (Answer& a : answers_) {
        a.item = result.itemIndex[static_cast<std::size_t>(a.item)];
        a.annotator = result.annotatorIndex[static_cast<std::size_t>(a.annotator)];
    }
    // Duplicates are rare: build first, and only when an item lists an annotator twice take
    // the slow path that keeps records to name both lines.
    result.answers = Answers::fromTriplets(n, m, answers_);
    bool repeated = false;
    for (int i = 0; i < n && !repeated; ++i) {
        const Answers::Range range = result.answers.ofItem(i);
        for (const Answers::Entry* e = range.begin(); e != range.end() && !repeated; ++e)
            repeated = e != range.begin() && (e - 1)->other == e->other;
    }
    if (repeated) {
        result.answers = Answers();
        result.answers = resolveDuplicates(result, result.repeats);
    }
    std::vector<Answer>().swap(answers_);
    std::vector<std::uint32_t>().swap(records_);
    if (result.repeats > 0)
        warnings.push_back({file_, std::to_string(result.repeats)
                                       + " repeated answer(s) (same item, annotator and label) kept once"});
    return result;
}

Answers AnswerCollector::resolveDuplicates(const Result& result, std::size_t& repeats)
{
    struct Pending {
        std::int32_t item;
        std::int32_t annotator;
        std::int32_t label;
        std::uint32_t record;
        bool complementary;
    };
    const std::size_t n = result.itemKeys.size();
    std::vector<std::int64_t> offsets(n + 1, 0);
    for (const Answer& a : answers_)
        ++offsets[static_cast<std::size_t>(a.item) + 1];
    for (std::size_t i = 0; i < n; ++i)
        offsets[i + 1] += offsets[i];
    std::vector<Pending> bucketed(answers_.size());
    {
        std::vector<std::int64_t> fill(offsets.begin(), offsets.end() - 1);
        for (std::size_t k = 0; k < answers_.size(); ++k) {
            const Answer& a = answers_[k];
            bucketed[static_cast<std::size_t>(fill[static_cast<std::size_t>(a.item)]++)] =
                Pending{a.item, a.annotator, a.label, records_[k], a.complementary};
        }
    }
    std::vector<Answer> triplets;
    triplets.reserve(bucketed.size());
    const auto byAnnotator = [](const Pending& x, const Pending& y) {
        return x.annotator != y.annotator ? x.annotator < y.annotator : x.record < y.record;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const auto first = bucketed.begin() + offsets[i];
        const auto last = bucketed.begin() + offsets[i + 1];
        std::sort(first, last, byAnnotator);
        for (auto it = first; it != last; ++it) {
            if (it != first && (it - 1)->annotator == it->annotator) {
                const Pending& kept = *(it - 1);
                if (kept.label == it->label && kept.complementary == it->complementary) {
                    ++repeats;
                    continue;
                }
                std::string record;
                if (describe_) {
                    const std::string a = describe_(kept.record);
                    if (!a.empty())
                        record = a + " and " + describe_(it->record);
                }
                throw InputError(file_, record,
                                 "annotator '" + result.annotatorIds[static_cast<std::size_t>(it->annotator)]
                                     + "' labelled item '" + result.itemKeys[i] + "' twice, with "
                                     + answerText(kept.label, kept.complementary) + " and "
                                     + answerText(it->label, it->complementary));
            }
            triplets.push_back(Answer{it->item, it->annotator, it->label, it->complementary});
        }
    }
    return Answers::fromTriplets(static_cast<int>(n), static_cast<int>(result.annotatorIds.size()), triplets);
}

bool parseWholeNumber(std::string_view text, std::int64_t& value, bool& isNan)
{
    isNan = false;
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    if (text.empty())
        return false;
    const char* first = text.data();
    const char* last = first + text.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc() && ptr == last)
        return true;
    if (ec == std::errc::result_out_of_range && ptr == last) {  // an integer beyond 64 bits
        value = *first == '-' ? INT64_MIN : INT64_MAX;
        return true;
    }
    double d = 0.0;
    auto [dptr, dec] = std::from_chars(first, last, d);
    if (dec != std::errc() || dptr != last)
        return false;
    if (std::isnan(d)) {
        isNan = true;
        return true;
    }
    if (!std::isfinite(d) || d != std::floor(d))
        return false;
    value = std::fabs(d) > 9.0e18 ? (d < 0 ? INT64_MIN : INT64_MAX) : static_cast<std::int64_t>(d);
    return true;
}

std::int32_t checkLabel(std::int64_t value, int classCount, const std::string& file, const std::string& record,
                        std::string_view shown)
{
    const std::string text = shown.empty() ? std::to_string(value) : std::string(shown);
    if (value < 0)
        throw InputError(file, record, "label " + text + " is negative");
    if (classCount > 0 && value >= classCount)
        throw InputError(file, record, "label " + text + " is out of range for " + std::to_string(classCount) + " classes");
    if (value > 32767)
        throw InputError(file, record, "label " + text + " is too large (at most 32767)");
    return static_cast<std::int32_t>(value);
}

std::int32_t parseLabel(std::string_view text, int classCount, const std::string& file, const std::string& record)
{
    if (text.empty())
        throw InputError(file, record, "label is missing");
    std::int64_t value = 0;
    bool isNan = false;
    if (!parseWholeNumber(text, value, isNan))
        throw InputError(file, record, "label '" + std::string(text) + "' is not an integer");
    if (isNan)
        throw InputError(file, record, "label is NaN");
    return checkLabel(value, classCount, file, record, text);
}

int resolveClassCount(int declared, int own, const std::string& ownWhat, std::int32_t maxLabel,
                      const std::string& file, const std::string& maxLabelRecord)
{
    if (declared > kMaxClasses)
        throw InputError(file, "", "the declared class count " + std::to_string(declared) + " is above the limit of "
                                       + std::to_string(kMaxClasses) + " classes");
    if (declared > 0 && own > 0 && declared != own)
        throw InputError(file, "", "the declared class count " + std::to_string(declared) + " disagrees with "
                                       + ownWhat + " (" + std::to_string(own) + ")");
    const int count = declared > 0 ? declared : own > 0 ? own : maxLabel + 1;
    if (count <= 0)
        throw InputError(file, "", "holds no labels, so the class count is unknown; declare it");
    if (maxLabel >= count)
        throw InputError(file, maxLabelRecord, "label " + std::to_string(maxLabel) + " is out of range for "
                                                   + std::to_string(count) + " classes");
    if (declared <= 0 && own <= 0 && count > kMaxInferredClasses)
        throw InputError(file, maxLabelRecord,
                         "label " + std::to_string(maxLabel) + " would make " + std::to_string(count)
                             + " classes; more than " + std::to_string(kMaxInferredClasses)
                             + " classes are read only when declared (--classes K, at most "
                             + std::to_string(kMaxClasses) + ")");
    return count;
}

std::string AnswerCollector::maxLabelRecord() const
{
    if (maxLabel_ < 0)
        return {};
    if (describe_) {
        const std::string named = describe_(records_[maxLabelAt_]);
        if (!named.empty())
            return named;
    }
    const Answer& a = answers_[maxLabelAt_];
    return "item '" + std::string(items_.key(a.item)) + "', annotator '" + std::string(annotators_.key(a.annotator)) + "'";
}

std::string numberText(double value)
{
    char buffer[64];
    const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc() ? std::string(buffer, ptr) : std::to_string(value);
}

std::vector<std::string> numberedNames(int count)
{
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(std::max(count, 0)));
    for (int k = 0; k < count; ++k)
        names.push_back(std::to_string(k));
    return names;
}

const std::vector<std::string>& cifar10Names()
{
    static const std::vector<std::string> names{"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};
    return names;
}

std::string nameFromPath(const std::string& path)
{
    fs::path p = fs::absolute(fs::path(path)).lexically_normal();
    if (!p.has_filename())
        p = p.parent_path();
    std::error_code ec;
    if (fs::is_directory(p, ec))
        return p.filename().string();
    const std::string stem = normalizedName(p.stem().string());
    const bool generic = stem.rfind("answer", 0) == 0 || stem == "labels" || stem == "data" || stem == "matrix"
                         || stem == "label_matrix" || stem == "truth";
    if (generic && p.has_parent_path() && p.parent_path().has_filename())
        return p.parent_path().filename().string();
    return p.stem().string();
}

Dataset assemble(AnswerCollector::Result&& result, int classCount)
{
    Dataset dataset;
    const std::size_t n = result.itemKeys.size();
    dataset.itemKeys = std::move(result.itemKeys);
    dataset.annotatorIds = std::move(result.annotatorIds);
    dataset.answers = std::move(result.answers);
    dataset.splits.assign(n, Split::Train);
    dataset.imagePaths.assign(n, std::string());
    dataset.classNames = numberedNames(classCount);
    return dataset;
}

void Ticker::report(double done, double total)
{
    if (progress_)
        progress_->step(done, total, stage_);
}


bool parseFlag(std::string_view text, const std::string& file, const std::string& record, const char* column)
{
    const std::string value = normalizedName(text);
    if (value.empty() || value == "0" || value == "false" || value == "no" || value == "0.0")
        return false;
    if (value == "1" || value == "true" || value == "yes" || value == "1.0")
        return true;
    throw InputError(file, record, std::string(column) + " '" + std::string(text) + "' is neither 0 nor 1");
}

}  // namespace formats

namespace {

struct FormatEntry {
    Format format;
    const char* name;
};

constexpr FormatEntry kFormats[] = {
    {Format::Auto, "auto"},         {Format::Peerannot, "peerannot"}, {Format::Csv, "csv"},
    {Format::Matrix, "matrix"},     {Format::Cifar10h, "cifar10h"},   {Format::Rodrigues, "rodrigues"},
    {Format::Counts, "counts"},
};

std::string extensionOf(const fs::path& path)
{
    return normalizedName(path.extension().string());
}

// The first record of a CSV file, read from a prefix of the file.
std::vector<std::string> csvHeader(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, "", "cannot open");
    std::string prefix(1 << 16, '\0');
    in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    prefix.resize(static_cast<std::size_t>(in.gcount()));
    const std::size_t newline = prefix.find('\n');
    if (newline != std::string::npos)
        prefix.resize(newline);
    CsvReader reader(prefix, path);
    std::vector<std::string_view> fields;
    if (!reader.next(fields))
        throw InputError(path, "", "file is empty");
    std::vector<std::string> names;
    for (std::string_view f : fields)
        names.push_back(normalizedName(f));
    return names;
}

bool hasAny(const std::vector<std::string>& names, std::initializer_list<const char*> wanted)
{
    for (const char* w : wanted)
        if (std::find(names.begin(), names.end(), w) != names.end())
            return true;
    return false;
}

}  // namespace

Format parseFormat(const std::string& name)
{
    const std::string wanted = normalizedName(name);
    for (const FormatEntry& entry : kFormats)
        if (wanted == entry.name)
            return entry.format;
    throw InputError("unknown format '" + name + "'; use auto, peerannot, csv, matrix, cifar10h, rodrigues or counts");
}

const char* formatName(Format format)
{
    for (const FormatEntry& entry : kFormats)
        if (entry.format == format)
            return entry.name;
    return "auto";
}

Format detectFormat(const std::string& path)
{
    const fs::path p(path);
    std::error_code ec;
    if (!fs::exists(p, ec))
        throw InputError(path, "", "no such file or folder");
    if (fs::is_directory(p, ec)) {
        if (fs::exists(p / "answers.json", ec))
            return Format::Peerannot;
        if (fs::exists(p / "answers.txt", ec))
            return Format::Rodrigues;
        throw InputError(path, "", "folder holds neither answers.json (peerannot) nor answers.txt (Rodrigues)");
    }
    // Sniffing a FIFO's header would wait for a writer; a device (/dev/zero) never ends.
    if (!fs::is_regular_file(p, ec))
        throw InputError(path, "", "is not a regular file (a pipe, a device or a socket); give a file");
    const std::string extension = extensionOf(p);
    if (extension == ".json")
        return Format::Peerannot;
    if (extension == ".txt")
        return Format::Rodrigues;
    if (extension == ".csv") {
        const std::vector<std::string> names = csvHeader(path);
        if (hasAny(names, {"annotator_id"}) && hasAny(names, {"chosen_label"})
            && hasAny(names, {"cifar10_test_test_idx"}))
            return Format::Cifar10h;
        if (hasAny(names, {"task", "question", "item"}) && hasAny(names, {"worker", "annotator"})
            && hasAny(names, {"label", "answer"}))
            return Format::Csv;
        return Format::Matrix;
    }
    if (extension == ".npy") {
        if (normalizedName(p.filename().string()).find("count") != std::string::npos)
            return Format::Counts;
        const NpyArray array = readNpy(path);
        const std::vector<double> values = array.as<double>();
        const bool missing = std::any_of(values.begin(), values.end(),
                                         [](double v) { return std::isnan(v) || v < 0.0; });
        if (array.rank() == 2 && missing)
            return Format::Matrix;
        throw InputError(path, "", "cannot tell a label matrix from vote counts; give the format "
                                   "(matrix or counts)");
    }
    throw InputError(path, "", "cannot tell the format from the extension '" + p.extension().string()
                                   + "'; give the format explicitly");
}

DatasetRead readDatasetWithWarnings(const std::string& path, const ReadOptions& options)
{
    const Format format = options.format == Format::Auto ? detectFormat(path) : options.format;
    if (options.truthFromFolders && format != Format::Peerannot)
        throw InputError(path, "", "truth from image folders needs a peerannot folder");
    if (options.truthFromFolders && !options.truthPath.empty())
        throw InputError(options.truthPath, "", "give either a truth file or truth from image folders, not both");
    DatasetRead read;
    Dataset& dataset = read.dataset;
    std::vector<ReadWarning>& warnings = read.warnings;
    switch (format) {
    case Format::Peerannot: dataset = formats::readPeerannot(path, options, warnings); break;
    case Format::Csv: dataset = formats::readLongCsv(path, options, warnings); break;
    case Format::Matrix: dataset = formats::readMatrix(path, options, warnings); break;
    case Format::Cifar10h: dataset = formats::readCifar10hRaw(path, options, warnings); break;
    case Format::Rodrigues: dataset = formats::readRodrigues(path, options, warnings); break;
    case Format::Counts: dataset = formats::readCounts(path, options, warnings); break;
    case Format::Auto: break;
    }
    dataset.source = fs::absolute(fs::path(path)).lexically_normal().string();
    dataset.format = formatName(format);
    if (!options.truthPath.empty()) {
        std::vector<ReadWarning> truthWarnings = readTruth(dataset, options.truthPath);
        warnings.insert(warnings.end(), truthWarnings.begin(), truthWarnings.end());
    }
    dataset.validate();
    return read;
}

Dataset readDataset(const std::string& path, const ReadOptions& options)
{
    return readDatasetWithWarnings(path, options).dataset;
}

}  // namespace crowdsift
