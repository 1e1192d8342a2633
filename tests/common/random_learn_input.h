#pragma once

// Seeded random training inputs for the trainer's tests: only memorisation separates them.

#include "learn/learn_input.h"
#include "learn/trainer.h"

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace crowdsift::testing {

// n random images (uint8, n x side x side x channels).
inline LearnInput randomImages(int n, int side, int channels, std::uint32_t seed)
{
    LearnInput input;
    input.height = side;
    input.width = side;
    input.channels = channels;
    input.images.resize(static_cast<std::size_t>(n) * side * side * channels);
    std::mt19937 random(seed);
    for (std::uint8_t& value : input.images)
        value = static_cast<std::uint8_t>(random() & 0xFF);
    return input;
}

// n standard-normal feature vectors of `dimensions`.
inline LearnInput randomFeatures(int n, int dimensions, std::uint32_t seed)
{
    LearnInput input;
    input.features.resize(n, dimensions);
    std::mt19937 random(seed);
    std::normal_distribution<float> normal;
    for (Eigen::Index i = 0; i < input.features.size(); ++i)
        input.features.data()[i] = normal(random);
    return input;
}

// n labels uniform in [0, classes).
inline Targets randomLabels(int n, int classes, std::uint32_t seed)
{
    Targets targets;
    std::mt19937 random(seed);
    for (int i = 0; i < n; ++i)
        targets.labels.push_back(static_cast<int>(random() % static_cast<unsigned>(classes)));
    return targets;
}

// 0 .. n-1.
inline std::vector<int> allRows(int n)
{
    std::vector<int> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

}  // namespace crowdsift::testing
