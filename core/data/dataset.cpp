#include "data/dataset.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <stdexcept>

namespace crowdsift {

const char* splitName(Split split)
{
    switch (split) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
    }
    return "train";
}

Answers Answers::fromTriplets(int nItems, int nAnnotators, const std::vector<Answer>& triplets)
{
    if (nItems < 0 || nAnnotators < 0)
        throw std::logic_error("Answers: negative size");
    Answers a;
    a.itemOffsets_.assign(static_cast<std::size_t>(nItems) + 1, 0);
    a.annotatorOffsets_.assign(static_cast<std::size_t>(nAnnotators) + 1, 0);
    for (const Answer& t : triplets) {
        if (t.item < 0 || t.item >= nItems || t.annotator < 0 || t.annotator >= nAnnotators
            || t.label < 0 || t.label > 32767)
            throw std::logic_error("Answers: triplet out of range");
        ++a.itemOffsets_[t.item + 1];
        ++a.annotatorOffsets_[t.annotator + 1];
    }
    std::partial_sum(a.itemOffsets_.begin(), a.itemOffsets_.end(), a.itemOffsets_.begin());
    std::partial_sum(a.annotatorOffsets_.begin(), a.annotatorOffsets_.end(), a.annotatorOffsets_.begin());

    a.byItem_.resize(triplets.size());
    a.byAnnotator_.resize(triplets.size());
    std::vector<std::int64_t> itemFill(a.itemOffsets_.begin(), a.itemOffsets_.end() - 1);
    std::vector<std::int64_t> annotatorFill(a.annotatorOffsets_.begin(), a.annotatorOffsets_.end() - 1);
    for (const Answer& t : triplets) {
        const auto flags = static_cast<std::uint16_t>(t.complementary ? 1u : 0u);
        const auto label = static_cast<std::int16_t>(t.label);
        a.byItem_[itemFill[t.item]++] = Entry{t.annotator, label, flags};
        a.byAnnotator_[annotatorFill[t.annotator]++] = Entry{t.item, label, flags};
    }
    const auto byOther = [](const Entry& x, const Entry& y) { return x.other < y.other; };
    for (int i = 0; i < nItems; ++i) {
        auto* first = a.byItem_.data() + a.itemOffsets_[i];
        auto* last = a.byItem_.data() + a.itemOffsets_[i + 1];
        if (!std::is_sorted(first, last, byOther))
            std::sort(first, last, byOther);
    }
    for (int w = 0; w < nAnnotators; ++w) {
        auto* first = a.byAnnotator_.data() + a.annotatorOffsets_[w];
        auto* last = a.byAnnotator_.data() + a.annotatorOffsets_[w + 1];
        if (!std::is_sorted(first, last, byOther))
            std::sort(first, last, byOther);
    }
    return a;
}

Answers::Range Answers::ofItem(int item) const
{
    const Entry* base = byItem_.data();
    return {base + itemOffsets_[item], base + itemOffsets_[item + 1]};
}

Answers::Range Answers::ofAnnotator(int annotator) const
{
    const Entry* base = byAnnotator_.data();
    return {base + annotatorOffsets_[annotator], base + annotatorOffsets_[annotator + 1]};
}

std::vector<Answer> Answers::triplets() const
{
    std::vector<Answer> out;
    out.reserve(size());
    for (int i = 0; i < itemCount(); ++i)
        for (const Entry& e : ofItem(i))
            out.push_back(Answer{i, e.other, e.label, e.complementary()});
    return out;
}

bool Dataset::hasTruth() const
{
    return std::any_of(truth.begin(), truth.end(), [](std::int32_t t) { return t >= 0; });
}

int Dataset::imageCount() const
{
    return static_cast<int>(std::count_if(imagePaths.begin(), imagePaths.end(),
                                          [](const std::string& p) { return !p.empty(); }));
}

int Dataset::itemIndex(const std::string& key) const
{
    const auto it = std::find(itemKeys.begin(), itemKeys.end(), key);
    return it == itemKeys.end() ? -1 : static_cast<int>(it - itemKeys.begin());
}

void Dataset::validate() const
{
    const std::size_t n = itemKeys.size();
    if (splits.size() != n || imagePaths.size() != n)
        throw std::logic_error("Dataset: splits / imagePaths do not have one entry per item");
    if (!truth.empty() && truth.size() != n)
        throw std::logic_error("Dataset: truth does not have one entry per item");
    if (features.size() != 0 && static_cast<std::size_t>(features.rows()) != n)
        throw std::logic_error("Dataset: features do not have one row per item");
    if (voteCounts.size() != 0
        && (static_cast<std::size_t>(voteCounts.rows()) != n || voteCounts.cols() != classCount()))
        throw std::logic_error("Dataset: vote counts are not N x K");
    if (!machineAnnotators.empty() && machineAnnotators.size() != annotatorIds.size())
        throw std::logic_error("Dataset: machineAnnotators does not have one entry per annotator");
    if (answers.itemCount() != static_cast<int>(n) || answers.annotatorCount() != annotatorCount())
        throw std::logic_error("Dataset: answers are not sized N x M");
    for (const auto& e : answers.byItem())
        if (e.label >= classCount())
            throw std::logic_error("Dataset: answer label out of range");
    for (std::int32_t t : truth)
        if (t >= classCount())
            throw std::logic_error("Dataset: truth label out of range");
}

std::vector<std::int64_t> classVoteCounts(const Dataset& dataset)
{
    std::vector<std::int64_t> counts(static_cast<std::size_t>(dataset.classCount()), 0);
    for (const auto& e : dataset.answers.byItem())
        if (!e.complementary() && e.label < dataset.classCount())
            ++counts[static_cast<std::size_t>(e.label)];
    return counts;
}

static bool parseInteger(const std::string& s, long long& value)
{
    if (s.empty())
        return false;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    return ec == std::errc() && ptr == last;
}

std::vector<int> naturalIdOrder(const std::vector<std::string>& ids)
{
    std::vector<int> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::vector<long long> numbers(ids.size());
    bool allNumeric = true;
    for (std::size_t i = 0; i < ids.size() && allNumeric; ++i)
        allNumeric = parseInteger(ids[i], numbers[i]);
    if (allNumeric)
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return numbers[a] < numbers[b]; });
    else
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return ids[a] < ids[b]; });
    return order;
}

}  // namespace crowdsift
