#pragma once

// The Review tab's query, without widgets: which items of a run each class and triage band shows,
// under the filters (one annotator's items, disagreement only, decided / undecided, an explicit
// item list) and in which order. The GUI draws what it returns; crowdsift-cli or a script can ask
// the same questions.
//
// Cost model, so that a GUI can call it on its own thread: the per-run data (triage evidence,
// label quality, disagreement, id order) is computed once, in the constructor. A rule change is
// one pass (triage) and buckets the items by class and band; a bucket is sorted on first use
// under the current sort order and kept sorted. bands() of one class then reads only that
// class's items, and counts() reads no item at all while no filter is set; with a filter it
// takes one pass over the items.
//
// The bands come from the crowd rule (setRule) or, while one is set, from a triage of Data
// Parameter trajectories (setTrajectoryTriage): the classes stay the run's consensus labels, only
// the band of each item and the review order change.

#include "aggregate/result.h"
#include "analysis/trajectory_triage.h"
#include "analysis/triage.h"
#include "data/dataset.h"

#include <array>
#include <functional>
#include <memory>
#include <vector>

namespace crowdsift {

enum class ReviewSort {
    Review,        // reviewOrder(): consensus posterior, then agreement ascending; no consensus first;
                   // under a trajectory triage trajectoryReviewOrder(): spread descending
    LabelQuality,  // labelQuality() ascending, no consensus (NaN) first, ties by index
    ItemId,        // the item keys in naturalIdOrder
};

enum class DecidedFilter { All, Decided, Undecided };

// Whether the curator has decided item i (ReviewState::isDecided); called only under
// DecidedFilter::Decided or Undecided.
using IsDecided = std::function<bool(int item)>;

// Items of one class (or of all classes) per band, indexed by Triage (easy, need review, hard).
using ReviewBands = std::array<std::vector<int>, 3>;
using BandCounts = std::array<int, 3>;

class ReviewQuery {
public:
    // The class argument of bands() that lifts the consensus-label filter.
    static constexpr int AllClasses = -2;
    // The class of the items without consensus (no usable answer).
    static constexpr int NoConsensus = -1;

    // An empty query: no items, every list empty.
    ReviewQuery() = default;
    // The per-run data of `run` over `dataset`, under TriageRule() and ReviewSort::Review with no
    // filter. Throws InputError when the run does not match the dataset's items and classes.
    // Keeps no reference to either.
    ReviewQuery(const Dataset& dataset, const AggregationResult& run);

    int itemCount() const { return evidence_.itemCount(); }
    int classCount() const { return classCount_; }
    const TriageEvidence& evidence() const { return evidence_; }
    // N entries: the sort key of ReviewSort::LabelQuality in [0, 1], NaN without consensus: the
    // self-confidence of the consensus label under the run's model probabilities when it has them
    // (AggregationResult::hasModelProbabilities), else under its posteriors.
    const std::vector<double>& labelQuality() const { return labelQuality_; }
    // N entries: the triage of every item under rule(), or the trajectory triage while one is set.
    const std::vector<Triage>& categories() const { return categories_; }

    // Validates `rule` (throws InputError, leaving the query unchanged) and re-triages every item,
    // unless a trajectory triage is set: then the rule is kept for clearTrajectoryTriage().
    void setRule(const TriageRule& rule);
    const TriageRule& rule() const { return rule_; }

    // Triage from Data Parameter trajectories instead of rule(): `categories` (N entries, e.g.
    // trajectoryTriage over `scores`) place the items in the bands, ReviewSort::Review orders a
    // band by trajectoryReviewOrder over `scores` (N items), and `wrongProbability` (N entries, NaN
    // = unknown; e.g. analysis wrongProbability) is what the band estimates average. InputError
    // when a size is not N, leaving the query unchanged. One pass over the items, as setRule.
    void setTrajectoryTriage(std::shared_ptr<const TrajectoryScores> scores, std::vector<Triage> categories,
                             std::vector<double> wrongProbability);
    // Back to rule(), re-triaging every item; no-op without a trajectory triage.
    void clearTrajectoryTriage();
    bool hasTrajectoryTriage() const { return trajectory_ != nullptr; }
    // The scores of the trajectory triage; null without one.
    const TrajectoryScores* trajectoryScores() const { return trajectory_.get(); }
    // N entries: each item's probability that its label is wrong, NaN where unknown: under the
    // crowd rule 1 - the consensus posterior (NaN without consensus), under a trajectory triage the
    // probabilities given with it. An estimate, not a calibrated probability (triage.h, trajectory_triage.h).
    const std::vector<double>& wrongProbability() const
    {
        return trajectory_ ? trajectoryWrong_ : crowdWrong_;
    }
    // Per band (indexed by Triage): how many items `bands` holds and the mean wrongProbability()
    // over them (bandEstimates; NaN for a band without a known probability). O(items in `bands`).
    std::array<BandEstimate, 3> estimates(const ReviewBands& bands) const;
    void setSort(ReviewSort sort);
    ReviewSort sort() const { return sort_; }

    // Only the items that `annotator` answered in `dataset` (the dataset of the constructor);
    // -1 = any. Throws std::out_of_range for an index outside [-1, M).
    void setAnnotator(const Dataset& dataset, int annotator);
    int annotator() const { return annotator_; }
    // Only items whose usable answers are not all equal to the consensus (agreement < 1).
    void setDisagreementOnly(bool on) { disagreementOnly_ = on; }
    bool disagreementOnly() const { return disagreementOnly_; }
    void setDecided(DecidedFilter filter) { decided_ = filter; }
    DecidedFilter decided() const { return decided_; }
    // Only `items` (indices outside [0, N) and duplicates ignored); returns how many it keeps.
    int setItems(const std::vector<int>& items);
    void clearItems() { itemMask_.clear(); }
    bool hasItemFilter() const { return !itemMask_.empty(); }
    // True when any filter above narrows the items.
    bool filtered() const;
    // Takes the sort order and the filters of `other`, a query over the same `dataset` (e.g. of
    // the run active before); the rule stays.
    void copyFilters(const Dataset& dataset, const ReviewQuery& other);

    // True when `item` passes every filter (the class is no filter here).
    bool passes(int item, const IsDecided& isDecided) const;
    // Per class, K + 1 rows: row 0 the items without consensus, row k + 1 class k; each row the
    // counts per band of the items passing the filters.
    std::vector<BandCounts> counts(const IsDecided& isDecided) const;
    // The items of class `label` (AllClasses: every class, NoConsensus: the items without
    // consensus) passing the filters, per band, in sort() order.
    ReviewBands bands(int label, const IsDecided& isDecided);

private:
    void fillBuckets();
    std::vector<int>& sortedBucket(std::size_t bucket, std::size_t band);
    void sortItems(std::vector<int>& items) const;

    int classCount_ = 0;
    TriageEvidence evidence_;
    std::vector<double> labelQuality_;
    std::vector<char> disagrees_;  // N: agreement < 1
    std::vector<int> idRank_;      // N: position in naturalIdOrder of the item keys
    TriageRule rule_;
    std::vector<Triage> categories_;
    std::vector<double> crowdWrong_;  // N: 1 - posterior
    std::shared_ptr<const TrajectoryScores> trajectory_;
    std::vector<double> trajectoryWrong_;
    // buckets_[0] every item, buckets_[label + 2] the items with consensus `label` (label -1:
    // without), each per band in index order until sorted (sorted_ marks which are).
    std::vector<ReviewBands> buckets_;
    std::vector<std::array<bool, 3>> sorted_;
    ReviewSort sort_ = ReviewSort::Review;
    int annotator_ = -1;
    std::vector<char> annotatorMask_;  // N when annotator_ >= 0
    std::vector<char> itemMask_;       // N when an item filter is set
    bool disagreementOnly_ = false;
    DecidedFilter decided_ = DecidedFilter::All;
};

}  // namespace crowdsift
