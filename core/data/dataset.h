#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

enum class Split : std::uint8_t { Train = 0, Val = 1, Test = 2 };
const char* splitName(Split split);

// One crowd answer: `annotator` said `label` about `item` (or, when complementary, "not `label`").
struct Answer {
    std::int32_t item = 0;
    std::int32_t annotator = 0;
    std::int32_t label = 0;
    bool complementary = false;
};

// Sparse answers held twice, in compressed-row form by item and by annotator, so that EM sweeps
// over items and over annotators both read contiguous memory. 16 bytes per answer in all.
// Immutable once built; build with fromTriplets().
class Answers {
public:
    // In the by-item order `other` is the annotator, in the by-annotator order it is the item.
    struct Entry {
        std::int32_t other = 0;
        std::int16_t label = 0;
        std::uint16_t flags = 0;  // bit 0: complementary
        bool complementary() const { return flags & 1u; }
    };
    struct Range {
        const Entry* first = nullptr;
        const Entry* last = nullptr;
        const Entry* begin() const { return first; }
        const Entry* end() const { return last; }
        std::size_t size() const { return static_cast<std::size_t>(last - first); }
        bool empty() const { return first == last; }
    };

    Answers() = default;
    // Triplets in any order; entries within an item are sorted by annotator and within an
    // annotator by item. Duplicates must have been resolved by the caller (readers do).
    // Indices must lie in [0, nItems), [0, nAnnotators), labels in [0, 32767].
    static Answers fromTriplets(int nItems, int nAnnotators, const std::vector<Answer>& triplets);

    int itemCount() const { return static_cast<int>(itemOffsets_.size()) - 1; }
    int annotatorCount() const { return static_cast<int>(annotatorOffsets_.size()) - 1; }
    std::size_t size() const { return byItem_.size(); }
    bool empty() const { return byItem_.empty(); }

    Range ofItem(int item) const;            // entries: (annotator, label), sorted by annotator
    Range ofAnnotator(int annotator) const;  // entries: (item, label), sorted by item
    int countOfItem(int item) const { return static_cast<int>(ofItem(item).size()); }
    int countOfAnnotator(int annotator) const { return static_cast<int>(ofAnnotator(annotator).size()); }

    // All answers as triplets, item-major (the by-item order).
    std::vector<Answer> triplets() const;

    // Raw compressed arrays (offsets: count + 1 entries), for kernels and the store.
    const std::vector<std::int64_t>& itemOffsets() const { return itemOffsets_; }
    const std::vector<Entry>& byItem() const { return byItem_; }
    const std::vector<std::int64_t>& annotatorOffsets() const { return annotatorOffsets_; }
    const std::vector<Entry>& byAnnotator() const { return byAnnotator_; }

private:
    std::vector<std::int64_t> itemOffsets_{0};
    std::vector<Entry> byItem_;
    std::vector<std::int64_t> annotatorOffsets_{0};
    std::vector<Entry> byAnnotator_;
};

// A crowdsourced classification dataset: N items, M annotators, K classes.
struct Dataset {
    std::string name;
    // Folder that relative image paths are resolved against (absolute, or empty when no images).
    std::string root;
    // Where the data came from (file or folder) and which reader read it, for reports.
    std::string source;
    std::string format;

    std::vector<std::string> classNames;  // K; label k is displayed as classNames[k]
    std::vector<std::string> itemKeys;    // N external ids, unique
    std::vector<Split> splits;            // N
    std::vector<std::string> imagePaths;  // N, relative to root, "" = no image
    std::vector<std::string> annotatorIds;  // M external ids, unique
    // M entries, or empty when every annotator is a person: 1 marks a machine annotator (a
    // model run over the dataset, `crowdsift-cli annotate`), whose answers are judged like anyone's.
    std::vector<std::uint8_t> machineAnnotators;

    Answers answers;

    // Optional N x D feature vectors (row-major), e.g. Rodrigues' precomputed features.
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> features;
    // Optional N x K vote counts without annotator ids (CIFAR-10H counts). Empty otherwise.
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> voteCounts;
    // Optional ground truth, N entries, -1 = unknown. Used for evaluation only, never as a label.
    std::vector<std::int32_t> truth;

    int itemCount() const { return static_cast<int>(itemKeys.size()); }
    int annotatorCount() const { return static_cast<int>(annotatorIds.size()); }
    int classCount() const { return static_cast<int>(classNames.size()); }
    bool hasTruth() const;
    bool isMachine(int annotator) const
    {
        return !machineAnnotators.empty() && machineAnnotators[static_cast<std::size_t>(annotator)] != 0;
    }
    int imageCount() const;
    int itemIndex(const std::string& key) const;  // -1 if absent (linear; build a map for bulk use)

    // Throws std::logic_error when the parts disagree in size or an index is out of range.
    void validate() const;
};

// Per-class vote totals over all answers (complementary answers excluded), K entries.
std::vector<std::int64_t> classVoteCounts(const Dataset& dataset);

// Sorts string ids the way the reference files index them: numerically when every id is an
// integer, otherwise lexicographically. Returns the permutation (sorted position -> input index).
std::vector<int> naturalIdOrder(const std::vector<std::string>& ids);

}  // namespace crowdsift
