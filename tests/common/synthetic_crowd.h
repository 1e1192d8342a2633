#pragma once

// A small crowdsourced dataset with feature vectors, for the learn and CLI tests.

#include "data/dataset.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace crowdsift::testing {

inline constexpr int kItems = 300;
inline constexpr int kClasses = 3;
inline constexpr int kDims = 8;

// 300 items of 3 Gaussian classes in 8-d (well separated, so a model can be right where the
// crowd is not), labelled by 12 annotators of varied quality, 3 distinct annotators per item.
inline Dataset syntheticCrowd()
{
    std::mt19937_64 rng(7);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Dataset d;
    d.name = "synthetic";
    d.source = "synthetic";
    d.classNames = {"a", "b", "c"};
    d.features.resize(kItems, kDims);
    for (int i = 0; i < kItems; ++i) {
        const int label = i % kClasses;
        d.itemKeys.push_back(std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
        d.truth.push_back(label);
        for (int j = 0; j < kDims; ++j)
            d.features(i, j) = noise(rng) + (j % kClasses == label ? 2.5f : 0.0f);
    }
    const std::vector<double> skill = {0.95, 0.9, 0.85, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4, 0.35, 0.35};
    for (std::size_t w = 0; w < skill.size(); ++w)
        d.annotatorIds.push_back("w" + std::to_string(w));
    std::vector<Answer> answers;
    std::vector<int> annotators(skill.size());
    for (int i = 0; i < kItems; ++i) {
        std::iota(annotators.begin(), annotators.end(), 0);
        std::shuffle(annotators.begin(), annotators.end(), rng);
        for (int v = 0; v < 3; ++v) {
            const int w = annotators[static_cast<std::size_t>(v)];
            int label = d.truth[static_cast<std::size_t>(i)];
            if (uniform(rng) > skill[static_cast<std::size_t>(w)])
                label = (label + 1 + static_cast<int>(uniform(rng) * (kClasses - 1))) % kClasses;
            answers.push_back({i, w, label, false});
        }
    }
    d.answers = Answers::fromTriplets(kItems, static_cast<int>(skill.size()), answers);
    d.validate();
    return d;
}

}  // namespace crowdsift::testing
