#include "data/summary.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace crowdsift {

CountStats countStats(std::vector<std::int64_t> counts)
{
    CountStats s;
    if (counts.empty())
        return s;
    std::sort(counts.begin(), counts.end());
    s.min = counts.front();
    s.max = counts.back();
    s.median = counts[(counts.size() - 1) / 2];
    s.mean = static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}))
             / static_cast<double>(counts.size());
    return s;
}

DatasetSummary summarize(const Dataset& dataset)
{
    DatasetSummary s;
    s.name = dataset.name;
    s.source = dataset.source;
    s.format = dataset.format;
    s.items = dataset.itemCount();
    s.annotators = dataset.annotatorCount();
    s.answers = static_cast<std::int64_t>(dataset.answers.size());
    s.classes = dataset.classCount();
    s.classNames = dataset.classNames;
    s.votesPerClass = classVoteCounts(dataset);
    s.notPerClass.assign(static_cast<std::size_t>(s.classes), 0);
    for (const auto& e : dataset.answers.byItem())
        if (e.complementary()) {
            ++s.complementaryAnswers;
            if (e.label < s.classes)
                ++s.notPerClass[static_cast<std::size_t>(e.label)];
        }

    std::vector<std::int64_t> perItem(static_cast<std::size_t>(s.items));
    for (int i = 0; i < s.items; ++i) {
        perItem[i] = dataset.answers.countOfItem(i);
        if (perItem[i] == 0)
            ++s.itemsWithoutAnswers;
    }
    s.answersPerItem = countStats(std::move(perItem));

    std::vector<std::int64_t> perAnnotator(static_cast<std::size_t>(s.annotators));
    s.annotatorTable.resize(static_cast<std::size_t>(s.annotators));
    std::vector<char> used(static_cast<std::size_t>(std::max(s.classes, 1)));
    for (int w = 0; w < s.annotators; ++w) {
        const auto range = dataset.answers.ofAnnotator(w);
        perAnnotator[w] = static_cast<std::int64_t>(range.size());
        std::fill(used.begin(), used.end(), 0);
        int distinct = 0;
        std::int64_t complementary = 0;
        for (const auto& e : range) {
            complementary += e.complementary() ? 1 : 0;
            if (e.label < s.classes && !used[e.label]) {
                used[e.label] = 1;
                ++distinct;
            }
        }
        s.annotatorTable[w] = AnnotatorSummary{dataset.annotatorIds[w], perAnnotator[w], complementary, dataset.isMachine(w), distinct};
    }
    s.answersPerAnnotator = countStats(std::move(perAnnotator));

    s.itemsWithImages = dataset.imageCount();
    s.truthPresent = dataset.hasTruth();
    if (s.truthPresent) {
        s.truthPerClass.assign(static_cast<std::size_t>(s.classes), 0);
        for (std::int32_t t : dataset.truth)
            if (t >= 0 && t < s.classes) {
                ++s.truthPerClass[t];
                ++s.itemsWithTruth;
            }
    }
    s.hasFeatures = dataset.features.size() > 0;
    s.featureDim = static_cast<int>(dataset.features.cols());
    s.hasVoteCounts = dataset.voteCounts.size() > 0;
    s.voteCountTotal = s.hasVoteCounts ? static_cast<double>(dataset.voteCounts.cast<double>().sum()) : 0.0;
    return s;
}

static nlohmann::json statsJson(const CountStats& s)
{
    return {{"min", s.min}, {"median", s.median}, {"max", s.max}, {"mean", s.mean}};
}

nlohmann::json toJson(const DatasetSummary& s, bool withAnnotators)
{
    nlohmann::json classes = nlohmann::json::array();
    for (int k = 0; k < s.classes; ++k) {
        nlohmann::json c = {{"index", k}, {"name", s.classNames[k]}, {"votes", s.votesPerClass[k]},
                            {"complementary", s.notPerClass[k]}};
        if (!s.truthPerClass.empty())
            c["truth"] = s.truthPerClass[k];
        classes.push_back(std::move(c));
    }
    nlohmann::json j = {
        {"name", s.name},
        {"source", s.source},
        {"format", s.format},
        {"items", s.items},
        {"annotators", s.annotators},
        {"answers", s.answers},
        {"votes", s.answers - s.complementaryAnswers},
        {"complementary_answers", s.complementaryAnswers},
        {"classes", s.classes},
        {"class_table", std::move(classes)},
        {"answers_per_item", statsJson(s.answersPerItem)},
        {"answers_per_annotator", statsJson(s.answersPerAnnotator)},
        {"items_with_images", s.itemsWithImages},
        {"items_without_answers", s.itemsWithoutAnswers},
        {"truth_present", s.truthPresent},
        {"items_with_truth", s.itemsWithTruth},
        {"feature_dim", s.featureDim},
        {"vote_counts_total", s.voteCountTotal},
    };
    if (withAnnotators) {
        nlohmann::json table = nlohmann::json::array();
        for (const auto& a : s.annotatorTable)
            table.push_back({{"id", a.id}, {"labels", a.labels}, {"complementary", a.complementary},
                             {"kind", a.machine ? "machine" : "human"}, {"classes_used", a.classesUsed}});
        j["annotator_table"] = std::move(table);
    }
    return j;
}

static std::string statsText(const CountStats& s)
{
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "min %lld, median %lld, max %lld (mean %.2f)",
                  static_cast<long long>(s.min), static_cast<long long>(s.median),
                  static_cast<long long>(s.max), s.mean);
    return buffer;
}

std::string toText(const DatasetSummary& s)
{
    std::ostringstream out;
    const auto row = [&out](const char* label, const std::string& value) {
        char head[32];
        std::snprintf(head, sizeof head, "%-15s", label);
        out << head << value << "\n";
    };
    row("Dataset", s.name.empty() ? "(unnamed)" : s.name);
    if (!s.source.empty())
        row("Source", s.source + " (" + s.format + ")");
    row("Items", std::to_string(s.items));
    row("Annotators", std::to_string(s.annotators));
    row("Answers", std::to_string(s.answers)
                       + (s.complementaryAnswers > 0 ? " (" + std::to_string(s.answers - s.complementaryAnswers) + " votes, "
                                                           + std::to_string(s.complementaryAnswers) + " complementary 'not k')"
                                                     : std::string()));
    row("Classes", std::to_string(s.classes));
    row("Per item", statsText(s.answersPerItem));
    row("Per annotator", statsText(s.answersPerAnnotator));
    row("Images", std::to_string(s.itemsWithImages) + " of " + std::to_string(s.items) + " items");
    row("Truth", s.truthPresent ? std::to_string(s.itemsWithTruth) + " items (evaluation only)" : std::string("none"));
    if (s.itemsWithoutAnswers > 0)
        row("Unanswered", std::to_string(s.itemsWithoutAnswers) + " items");
    if (s.hasFeatures)
        row("Features", std::to_string(s.featureDim) + " per item");
    if (s.hasVoteCounts)
        row("Vote counts", std::to_string(static_cast<long long>(s.voteCountTotal)) + " votes without annotator ids");
    out << "\n  #  class                      votes";
    if (s.complementaryAnswers > 0)
        out << "     not k";
    if (s.truthPresent)
        out << "     truth";
    out << "\n";
    for (int k = 0; k < s.classes; ++k) {
        char line[160];
        std::snprintf(line, sizeof line, "%3d  %-24s %8lld", k, s.classNames[k].c_str(),
                      static_cast<long long>(s.votesPerClass[k]));
        out << line;
        if (s.complementaryAnswers > 0)
            out << "  " << std::string(8 - std::min<std::size_t>(8, std::to_string(s.notPerClass[k]).size()), ' ')
                << s.notPerClass[k];
        if (s.truthPresent)
            out << "  " << std::string(8 - std::min<std::size_t>(8, std::to_string(s.truthPerClass[k]).size()), ' ')
                << s.truthPerClass[k];
        out << "\n";
    }
    return out.str();
}

}  // namespace crowdsift
