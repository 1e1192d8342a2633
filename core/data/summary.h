#pragma once

#include "data/dataset.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// Min / median / max of a count distribution (median of an even count is the lower middle).
struct CountStats {
    std::int64_t min = 0;
    std::int64_t median = 0;
    std::int64_t max = 0;
    double mean = 0.0;
};
CountStats countStats(std::vector<std::int64_t> counts);

// Per-annotator figures shown by `crowdsift-cli info`, the GUI annotator table and later reports.
struct AnnotatorSummary {
    std::string id;
    std::int64_t labels = 0;      // answers given (votes and complementary answers)
    std::int64_t complementary = 0;  // of which complementary ("not class k")
    bool machine = false;         // a machine annotator (a model's answers)
    int classesUsed = 0;          // distinct labels given
};

// What `crowdsift-cli info` prints and the GUI's summary panel shows.
struct DatasetSummary {
    std::string name;
    std::string source;
    std::string format;
    int items = 0;
    int annotators = 0;
    std::int64_t answers = 0;
    std::int64_t complementaryAnswers = 0;        // of `answers`, those saying "not class k"
    int classes = 0;
    std::vector<std::string> classNames;          // K
    std::vector<std::int64_t> votesPerClass;      // K, over the votes (complementary answers excluded)
    std::vector<std::int64_t> notPerClass;        // K, complementary answers "not k"
    std::vector<std::int64_t> truthPerClass;      // K, empty without truth
    CountStats answersPerItem;
    CountStats answersPerAnnotator;
    int itemsWithImages = 0;
    int itemsWithoutAnswers = 0;
    bool truthPresent = false;
    int itemsWithTruth = 0;
    bool hasFeatures = false;
    int featureDim = 0;
    bool hasVoteCounts = false;
    double voteCountTotal = 0.0;
    std::vector<AnnotatorSummary> annotatorTable;  // M
};

DatasetSummary summarize(const Dataset& dataset);

// JSON object with at least the integer fields items, annotators, answers, classes.
nlohmann::json toJson(const DatasetSummary& summary, bool withAnnotators = false);
// Human-readable multi-line report.
std::string toText(const DatasetSummary& summary);

}  // namespace crowdsift
