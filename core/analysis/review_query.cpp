#include "analysis/review_query.h"

#include "aggregate/label_quality.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace crowdsift {

ReviewQuery::ReviewQuery(const Dataset& dataset, const AggregationResult& run)
    : classCount_(dataset.classCount()), evidence_(triageEvidence(dataset, run))
{
    const int count = evidence_.itemCount();
    // Once per run, so that switching to the rank scale re-sorts nothing.
    if (evidence_.rank.empty())
        evidence_.rank = posteriorRanks(evidence_.posterior);
    labelQuality_.resize(static_cast<std::size_t>(count));
    crowdWrong_.resize(static_cast<std::size_t>(count));
    disagrees_.resize(static_cast<std::size_t>(count));
    const int classes = run.classCount();
    const double* scores = run.hasModelProbabilities() ? run.modelProbabilities.data() : run.posteriors.data();
    for (int item = 0; item < count; ++item) {
        const auto i = static_cast<std::size_t>(item);
        const int label = evidence_.labels[i];
        labelQuality_[i] = label < 0 ? std::numeric_limits<double>::quiet_NaN()
                                     : labelQualityScore(label, scores + i * static_cast<std::size_t>(classes),
                                                         classes, LabelQualityMethod::SelfConfidence);
        disagrees_[i] = evidence_.agreement[i] < 1.0;
        crowdWrong_[i] = 1.0 - evidence_.posterior[i];  // NaN without consensus
    }
    const std::vector<int> order = naturalIdOrder(dataset.itemKeys);
    idRank_.resize(order.size());
    for (std::size_t position = 0; position < order.size(); ++position)
        idRank_[static_cast<std::size_t>(order[position])] = static_cast<int>(position);
    setRule(TriageRule());
}

void ReviewQuery::setRule(const TriageRule& rule)
{
    rule.validate();
    rule_ = rule;
    if (trajectory_)
        return;
    categories_ = triage(evidence_, rule_);
    fillBuckets();
}

void ReviewQuery::setTrajectoryTriage(std::shared_ptr<const TrajectoryScores> scores, std::vector<Triage> categories,
                                      std::vector<double> wrongProbability)
{
    const auto n = static_cast<std::size_t>(itemCount());
    if (!scores || scores->labels.size() != n || scores->spread.size() != n || categories.size() != n
        || wrongProbability.size() != n)
        throw InputError("review query", "trajectory triage",
                         "the trajectories, categories and probabilities must have one entry per item ("
                             + std::to_string(n) + ")");
    trajectory_ = std::move(scores);
    trajectoryWrong_ = std::move(wrongProbability);
    categories_ = std::move(categories);
    fillBuckets();
}

void ReviewQuery::clearTrajectoryTriage()
{
    if (!trajectory_)
        return;
    trajectory_.reset();
    trajectoryWrong_.clear();
    categories_ = triage(evidence_, rule_);
    fillBuckets();
}

std::array<BandEstimate, 3> ReviewQuery::estimates(const ReviewBands& bands) const
{
    std::vector<Triage> categories;
    std::vector<double> probability;
    const std::vector<double>& wrong = wrongProbability();
    for (std::size_t band = 0; band < 3; ++band) {
        for (int item : bands[band]) {
            categories.push_back(static_cast<Triage>(band));
            probability.push_back(wrong[static_cast<std::size_t>(item)]);
        }
    }
    const std::vector<BandEstimate> all = bandEstimates(categories, probability);
    return {all[0], all[1], all[2]};
}

void ReviewQuery::fillBuckets()
{
    buckets_.assign(static_cast<std::size_t>(classCount_) + 2, ReviewBands());
    sorted_.assign(buckets_.size(), {false, false, false});
    for (int item = 0; item < itemCount(); ++item) {
        const auto i = static_cast<std::size_t>(item);
        const auto band = static_cast<std::size_t>(categories_[i]);
        buckets_[0][band].push_back(item);
        buckets_[static_cast<std::size_t>(evidence_.labels[i] + 2)][band].push_back(item);
    }
}

void ReviewQuery::setSort(ReviewSort sort)
{
    if (sort == sort_)
        return;
    sort_ = sort;
    // Back to index order, the order every sort below starts from (ties keep it).
    for (std::size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
        for (std::size_t band = 0; band < 3; ++band) {
            if (sorted_[bucket][band])
                std::sort(buckets_[bucket][band].begin(), buckets_[bucket][band].end());
            sorted_[bucket][band] = false;
        }
    }
}

void ReviewQuery::setAnnotator(const Dataset& dataset, int annotator)
{
    if (annotator < -1 || annotator >= dataset.annotatorCount())
        throw std::out_of_range("annotator filter: no annotator " + std::to_string(annotator));
    annotator_ = annotator;
    annotatorMask_.clear();
    if (annotator < 0)
        return;
    annotatorMask_.assign(static_cast<std::size_t>(dataset.itemCount()), 0);
    for (const Answers::Entry& entry : dataset.answers.ofAnnotator(annotator))
        annotatorMask_[static_cast<std::size_t>(entry.other)] = 1;
}

void ReviewQuery::copyFilters(const Dataset& dataset, const ReviewQuery& other)
{
    setSort(other.sort_);
    setAnnotator(dataset, other.annotator_);
    itemMask_ = other.itemMask_.size() == static_cast<std::size_t>(itemCount()) ? other.itemMask_ : std::vector<char>();
    disagreementOnly_ = other.disagreementOnly_;
    decided_ = other.decided_;
}

int ReviewQuery::setItems(const std::vector<int>& items)
{
    itemMask_.assign(static_cast<std::size_t>(itemCount()), 0);
    int kept = 0;
    for (int item : items) {
        if (item >= 0 && item < itemCount() && !itemMask_[static_cast<std::size_t>(item)]) {
            itemMask_[static_cast<std::size_t>(item)] = 1;
            ++kept;
        }
    }
    return kept;
}

bool ReviewQuery::filtered() const
{
    return !itemMask_.empty() || !annotatorMask_.empty() || disagreementOnly_ || decided_ != DecidedFilter::All;
}

bool ReviewQuery::passes(int item, const IsDecided& isDecided) const
{
    const auto i = static_cast<std::size_t>(item);
    if (!itemMask_.empty() && !itemMask_[i])
        return false;
    if (!annotatorMask_.empty() && !annotatorMask_[i])
        return false;
    if (disagreementOnly_ && !disagrees_[i])
        return false;
    if (decided_ != DecidedFilter::All && isDecided(item) != (decided_ == DecidedFilter::Decided))
        return false;
    return true;
}

std::vector<BandCounts> ReviewQuery::counts(const IsDecided& isDecided) const
{
    std::vector<BandCounts> rows(static_cast<std::size_t>(classCount_) + 1, {0, 0, 0});
    if (buckets_.empty())
        return rows;
    if (!filtered()) {
        for (std::size_t row = 0; row < rows.size(); ++row) {
            for (std::size_t band = 0; band < 3; ++band)
                rows[row][band] = static_cast<int>(buckets_[row + 1][band].size());
        }
        return rows;
    }
    for (int item = 0; item < itemCount(); ++item) {
        const auto i = static_cast<std::size_t>(item);
        if (passes(item, isDecided))
            ++rows[static_cast<std::size_t>(evidence_.labels[i] + 1)][static_cast<std::size_t>(categories_[i])];
    }
    return rows;
}

ReviewBands ReviewQuery::bands(int label, const IsDecided& isDecided)
{
    ReviewBands result;
    if (buckets_.empty() || label < AllClasses || label >= classCount_)
        return result;
    const auto bucket = static_cast<std::size_t>(label == AllClasses ? 0 : label + 2);
    for (std::size_t band = 0; band < 3; ++band) {
        const std::vector<int>& items = sortedBucket(bucket, band);
        if (!filtered()) {
            result[band] = items;
            continue;
        }
        for (int item : items) {
            if (passes(item, isDecided))
                result[band].push_back(item);
        }
    }
    return result;
}

std::vector<int>& ReviewQuery::sortedBucket(std::size_t bucket, std::size_t band)
{
    std::vector<int>& items = buckets_[bucket][band];
    if (!sorted_[bucket][band]) {
        sortItems(items);
        sorted_[bucket][band] = true;
    }
    return items;
}

void ReviewQuery::sortItems(std::vector<int>& items) const
{
    // `items` arrive in index order; every order is total or stable, so that filtering a sorted
    // bucket gives the same list as sorting the filtered items.
    switch (sort_) {
    case ReviewSort::Review:
        items = trajectory_ ? trajectoryReviewOrder(*trajectory_, std::move(items))
                            : reviewOrder(evidence_, std::move(items));
        return;
    case ReviewSort::LabelQuality:
        std::stable_sort(items.begin(), items.end(), [this](int a, int b) {
            const double qa = labelQuality_[static_cast<std::size_t>(a)];
            const double qb = labelQuality_[static_cast<std::size_t>(b)];
            if (std::isnan(qa) || std::isnan(qb))
                return std::isnan(qa) && !std::isnan(qb);
            return qa < qb;
        });
        return;
    case ReviewSort::ItemId:
        std::sort(items.begin(), items.end(), [this](int a, int b) {
            return idRank_[static_cast<std::size_t>(a)] < idRank_[static_cast<std::size_t>(b)];
        });
        return;
    }
}

}  // namespace crowdsift
