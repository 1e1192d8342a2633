#pragma once

// Easy / need-review / hard triage of items from an aggregation run, until model-based triage
// (Data Parameter trajectories) exists. The rule reads a few numbers per item, computed once per
// run (TriageEvidence), so the GUI can re-apply it on every slider move: 100k items take well
// under a millisecond.
//
// The rule, in this order:
//   hard         the item has no consensus label (no usable answer), or its score is below
//                hardPosterior, or its agreement is below hardAgreement;
//   easy         score >= easyPosterior, agreement >= easyAgreement and at least easyMinAnswers
//                usable answers;
//   need review  every other item.
// "Consensus posterior" is the run's posterior probability of its own hard label; "agreement" is
// the fraction of the item's usable (non-complementary) answers equal to that label. The score is
// the consensus posterior itself (scale "posterior") or its rank among the run's items (scale
// "rank"): the fraction of items with consensus whose posterior is lower, ties counted half, in
// (0, 1). Dawid-Skene-like strategies give calibrated, sharp posteriors, where absolute thresholds
// mean what they say. CROWDLAB's consensus quality is a weighted average of the model's probability
// and per-annotator likelihoods: it ranks items well but rarely exceeds 0.8, and after soft-target
// training it is flatter still (mean 0.45 on the demo loop, where every item with a score above
// 0.5 is correct), so absolute thresholds put nearly every item in one band; a rank of 0.1 always
// means "the lowest tenth of this run".

#include "aggregate/result.h"
#include "data/dataset.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

enum class Triage : std::uint8_t { Easy = 0, NeedReview = 1, Hard = 2 };

// "easy", "need_review", "hard".
const char* triageName(Triage triage);

// What easyPosterior and hardPosterior are compared with.
enum class TriageScale : std::uint8_t { Posterior = 0, Rank = 1 };

// "posterior", "rank".
const char* triageScaleName(TriageScale scale);

// What the JSON form of a triage rule (TriageRule, TrajectoryTriageRule) says of its scale: its
// "scale" key, Posterior when absent. InputError naming `rule` when `json` is no object or the
// scale is neither "posterior" nor "rank".
TriageScale triageScaleOf(const nlohmann::json& json, const char* rule);
// `value` as the number of a rule's setting `key`; InputError naming `rule` and `key` otherwise.
double ruleNumber(const nlohmann::json& value, const char* rule, const std::string& key);

// The scale that suits the posteriors of a run of `strategy` (a registry name or "crowdlab-loop"):
// Rank for "crowdlab" and "crowdlab-loop", Posterior for every other.
TriageScale naturalTriageScale(const std::string& strategy);

struct TriageRule {
    TriageScale scale = TriageScale::Posterior;
    double easyPosterior = 0.9;  // in [0, 1]
    double easyAgreement = 1.0;  // in [0, 1]; 1 = unanimous
    int easyMinAnswers = 2;      // >= 0; a single answer is never "unanimous" evidence by default
    double hardPosterior = 0.6;  // in [0, 1], at most easyPosterior
    double hardAgreement = 0.0;  // in [0, 1], at most easyAgreement; 0 = agreement never makes an item hard

    // The default rule of a scale: the members' defaults above for Posterior; for Rank the same
    // but easyPosterior 0.5 (the better half of the run) and hardPosterior 0.1 (its lowest tenth).
    static TriageRule defaults(TriageScale scale);

    // Throws InputError naming the offending field when a threshold is out of range or the hard
    // thresholds exceed the easy ones (an item could then be both).
    void validate() const;
    // One line for the UI, e.g. "easy: posterior >= 0.90, agreement >= 100%, >= 2 answers;
    // hard: no consensus, or posterior < 0.60; need review: the rest", or with the rank scale
    // "easy: posterior in the top 50% of the run, ...; hard: no consensus, or posterior in the
    // lowest 10%; ...".
    std::string describe() const;
    // {"scale", "easy_posterior", "easy_agreement", "easy_min_answers", "hard_posterior",
    // "hard_agreement"}; "scale" is "posterior" or "rank".
    nlohmann::json toJson() const;
    // Keys missing from `json` keep the defaults of its scale (defaults(scale); "posterior" when
    // absent); unknown keys, wrong types and invalid values throw InputError, so a mistyped
    // setting never goes unnoticed.
    static TriageRule fromJson(const nlohmann::json& json);

    bool operator==(const TriageRule& other) const;
    bool operator!=(const TriageRule& other) const { return !(*this == other); }

    // The rule for one item (no checks). `score` is the item's consensus posterior or its rank,
    // as `scale` says; `score` and `agreement` are NaN when `label` < 0.
    Triage classify(int label, double score, double agreement, int answers) const
    {
        if (label < 0 || !(score >= hardPosterior) || !(agreement >= hardAgreement))
            return Triage::Hard;
        if (score >= easyPosterior && agreement >= easyAgreement && answers >= easyMinAnswers)
            return Triage::Easy;
        return Triage::NeedReview;
    }
};

// What the rule reads, per item, N entries each.
struct TriageEvidence {
    std::vector<int> labels;          // the run's consensus label, -1 = no usable answer
    std::vector<double> posterior;    // posterior of that label; NaN when -1
    std::vector<double> agreement;    // fraction of usable answers equal to it; NaN when -1
    std::vector<int> answers;         // usable (non-complementary) answers
    // rank of the posterior among the items with consensus (posteriorRanks); may be left empty,
    // triage() then computes it when a rule asks for the rank scale
    std::vector<double> rank;

    int itemCount() const { return static_cast<int>(labels.size()); }
};

// One pass over the answers. Throws InputError when `result` does not match the dataset's
// items and classes.
TriageEvidence triageEvidence(const Dataset& dataset, const AggregationResult& result);

// N entries: fraction of item i's usable answers equal to labels[i]; NaN when labels[i] < 0 or
// the item has no usable answer. `labels` has N entries.
std::vector<double> consensusAgreement(const Dataset& dataset, const std::vector<int>& labels);

// N entries: the fraction of the non-NaN entries of `posterior` below entry i, plus half the
// fraction equal to it (mid-rank), in (0, 1); NaN where `posterior` is NaN. O(N log N).
std::vector<double> posteriorRanks(const std::vector<double>& posterior);

// The rule applied to every item (N entries). The rule is validated first.
std::vector<Triage> triage(const TriageEvidence& evidence, const TriageRule& rule);
std::vector<Triage> triage(const Dataset& dataset, const AggregationResult& result, const TriageRule& rule);

// Number of items per category, indexed by Triage (easy, need review, hard).
std::vector<int> triageCounts(const std::vector<Triage>& categories);

// `items` sorted worst first, for showing a band: by consensus posterior ascending (the
// self-confidence label-quality score of the consensus label), then agreement ascending, then
// index; items without consensus come first.
std::vector<int> reviewOrder(const TriageEvidence& evidence, std::vector<int> items);

}  // namespace crowdsift
