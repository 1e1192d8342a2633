#pragma once

// Shared by the formats*.cpp readers and writers; not part of the public API.

#include "data/dataset.h"
#include "data/formats.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace crowdsift {

class Progress;

namespace formats {

// Interns string ids: index by first appearance, open addressing over views of stable copies
// (no node per id, unlike std::unordered_map; lookups dominate reading long files).
class IdIndex {
public:
    std::int32_t intern(std::string_view key);
    std::size_t size() const { return views_.size(); }
    std::string_view key(std::int32_t id) const { return views_[static_cast<std::size_t>(id)]; }
    std::vector<std::string> takeKeys();  // in index order; clears the index

private:
    void rehash(std::size_t slotCount);

    std::deque<std::string> keys_;
    std::vector<std::string_view> views_;
    std::vector<std::uint32_t> hashes_;
    std::vector<std::int32_t> slots_;  // id or -1; size is a power of two
};

// Interns external ids, gathers answers with the record each came from, and builds the
// naturally ordered, de-duplicated Answers.
class AnswerCollector {
public:
    // Names a record for error messages ("line 17"); null or "" falls back to the ids.
    using Describe = std::function<std::string(std::int64_t record)>;

    AnswerCollector(std::string file, Describe describe);

    std::int32_t item(std::string_view key);       // provisional index, by first appearance
    std::int32_t annotator(std::string_view key);
    void reserve(std::size_t answers);
    // `record` (a line number, ...) is kept modulo 2^32, only for messages. `complementary`: the
    // answer says "not `label`".
    void add(std::int32_t item, std::int32_t annotator, std::int32_t label, std::int64_t record,
             bool complementary = false)
    {
        answers_.push_back(Answer{item, annotator, label, complementary});
        records_.push_back(static_cast<std::uint32_t>(record));
        if (label > maxLabel_) {
            maxLabel_ = label;
            maxLabelAt_ = answers_.size() - 1;
        }
    }

    std::size_t answerCount() const { return answers_.size(); }
    std::size_t itemCount() const { return items_.size(); }
    std::int32_t maxLabel() const { return maxLabel_; }  // -1 without answers
    // The first record with maxLabel(), named for messages ("line 3", else "item 'a', annotator
    // 'w'"); "" without answers.
    std::string maxLabelRecord() const;

    struct Result {
        std::vector<std::string> itemKeys;          // N, natural order
        std::vector<std::string> annotatorIds;      // M, natural order
        std::vector<std::int32_t> itemIndex;        // provisional -> final item index
        std::vector<std::int32_t> annotatorIndex;   // provisional -> final annotator index
        Answers answers;
        std::size_t repeats = 0;                    // identical duplicate answers dropped
    };
    // Throws InputError when one annotator gave one item two different answers (labels, or the same
    // label once as a vote and once as "not"). Appends a warning
    // when it dropped repeated answers. Invalidates the collector.
    Result finish(std::vector<ReadWarning>& warnings);

private:
    Answers resolveDuplicates(const Result& result, std::size_t& repeats);

    std::string file_;
    Describe describe_;
    IdIndex items_;
    IdIndex annotators_;
    std::string_view lastItemKey_;
    std::int32_t lastItem_ = -1;
    std::vector<Answer> answers_;           // provisional indices until finish()
    std::vector<std::uint32_t> records_;    // parallel to answers_
    std::int32_t maxLabel_ = -1;
    std::size_t maxLabelAt_ = 0;
};

// Parses an integer written as "3", "+3" or an integral float ("3.0", "3e0"). Sets `isNan` for
// NaN. Returns false for anything else.
// An integer too large for 64 bits reads as INT64_MAX (INT64_MIN when negative), so that the
// caller's range check calls it too large rather than "not an integer".
bool parseWholeNumber(std::string_view text, std::int64_t& value, bool& isNan);

// A label from text: an integer in [0, classCount) (classCount 0 = no bound known yet, only
// the storage limit 32767). Throws InputError(file, record, problem) otherwise.
std::int32_t parseLabel(std::string_view text, int classCount, const std::string& file, const std::string& record);
// The same checks for a numeric value.
// `shown` is the label as the file wrote it, for the message (default: `value`).
std::int32_t checkLabel(std::int64_t value, int classCount, const std::string& file, const std::string& record,
                        std::string_view shown = {});
// True when checkLabel() would accept `value` (lets hot loops skip building the record name).
inline bool labelInRange(std::int64_t value, int classCount)
{
    return value >= 0 && value < (classCount > 0 ? classCount : 32768);
}

// K from the declared count, the format's own count (0 = none) and the largest label
// (`maxLabelRecord` names the record that holds it). A count taken from the largest label alone
// may be at most kMaxInferredClasses: one stray large label must not make tens of thousands of
// classes (and K x K confusion matrices per annotator) silently.
int resolveClassCount(int declared, int own, const std::string& ownWhat, std::int32_t maxLabel,
                      const std::string& file, const std::string& maxLabelRecord = {});

// Shortest text that reads back as `value` ("2.5", "-1", "nan"), for messages.
std::string numberText(double value);

std::vector<std::string> numberedNames(int count);  // "0".."count-1"
const std::vector<std::string>& cifar10Names();     // airplane .. truck

// A dataset name from a path: the file stem, or the parent folder's name for generic stems
// (answer, answers, labels, ...).
std::string nameFromPath(const std::string& path);

// Items, annotators and answers from a finished collector; every item in split Train, without
// image; class names "0".."K-1".
Dataset assemble(AnswerCollector::Result&& result, int classCount);

// Calls progress->step() every 65536 ticks (no-op without a token).
class Ticker {
public:
    Ticker(Progress* progress, std::string stage) : progress_(progress), stage_(std::move(stage)) {}
    void tick(std::size_t count, double done, double total)
    {
        if (progress_ && (count & 0xFFFF) == 0)
            report(done, total);
    }
    void report(double done, double total);

private:
    Progress* progress_;
    std::string stage_;
};


// Parses a 0/1 flag cell ("0", "1", "true", "false", "yes", "no", empty = 0, any case). Throws
// InputError(file, record, ...) otherwise.
bool parseFlag(std::string_view text, const std::string& file, const std::string& record, const char* column);

// Each reader appends what it dropped or changed to `warnings`.
Dataset readPeerannot(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);
Dataset readLongCsv(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);
Dataset readCifar10hRaw(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);
Dataset readMatrix(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);
Dataset readRodrigues(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);
Dataset readCounts(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings);

}  // namespace formats
}  // namespace crowdsift
