#pragma once

// Closed-form vote aggregation. Complementary answers are skipped.

#include "aggregate/params.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

namespace crowdsift {

// Majority vote. posteriors = vote fractions; labels = most voted class, exact ties to the
// smallest class index (crowd-kit's MajorityVote) or, with params.randomTies, to a seeded
// uniform draw among the tied classes (peerannot's MV draws at random too). annotatorSkill =
// fraction of each annotator's answers equal to the label (crowd-kit's skills_).
// Reads: threads, seed, random_ties.
AggregationResult majorityVote(const Dataset& dataset, const AggregationParams& params,
                               Progress& progress = Progress::none());

// NaiveSoft (peerannot): the vote fractions are the product, as soft labels. Hard labels, skills
// and ties as majorityVote().
AggregationResult naiveSoft(const Dataset& dataset, const AggregationParams& params,
                            Progress& progress = Progress::none());

// Wawa, "worker agreement with aggregate" (crowd-kit): skill = agreement of each annotator with
// the majority vote labels, then a vote weighted by skill; posteriors = weighted vote fractions
// (the plain vote fractions for an item whose voters all have skill 0). Ties as majorityVote().
AggregationResult wawa(const Dataset& dataset, const AggregationParams& params,
                       Progress& progress = Progress::none());

}  // namespace crowdsift
