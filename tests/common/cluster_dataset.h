#pragma once

// Items in well separated Gaussian clusters, one per class (class = item % K), for the tests that
// train a model on feature vectors and compare it with the crowd: the caller says who answers what.

#include "data/dataset.h"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace crowdsift::testing {

struct ClusterSpec {
    std::string name;
    std::vector<std::string> classNames;
    std::vector<std::string> annotatorIds;
    int items = 0;
    int features = 0;  // 0: no feature vectors
    std::uint64_t seed = 0;
    float noise = 0.6f;  // standard deviation around a cluster centre of 2.5 on the class's features
};

// Appends item `item`'s answers (true class `label`); draws from `random` after the item's features.
using ClusterAnswers = std::function<void(int item, int label, std::mt19937_64& random, std::vector<Answer>& answers)>;

// Item i: class i % K, feature f = 2.5 where f % K is the class, plus N(0, noise); truth set.
// Features and answers are drawn item by item from one generator, so a seed gives one dataset.
inline Dataset clusterDataset(const ClusterSpec& spec, const ClusterAnswers& answersOf)
{
    std::mt19937_64 random(spec.seed);
    std::normal_distribution<float> noise(0.0f, spec.noise);
    const int k = static_cast<int>(spec.classNames.size());
    Dataset d;
    d.name = spec.name;
    d.source = spec.name;
    d.classNames = spec.classNames;
    d.annotatorIds = spec.annotatorIds;
    if (spec.features > 0)
        d.features.resize(spec.items, spec.features);
    std::vector<Answer> answers;
    for (int i = 0; i < spec.items; ++i) {
        const int label = i % k;
        d.itemKeys.push_back(std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
        d.truth.push_back(label);
        for (int f = 0; f < spec.features; ++f)
            d.features(i, f) = (f % k == label ? 2.5f : 0.0f) + noise(random);
        answersOf(i, label, random, answers);
    }
    d.answers = Answers::fromTriplets(spec.items, static_cast<int>(spec.annotatorIds.size()), answers);
    d.validate();
    return d;
}

}  // namespace crowdsift::testing
