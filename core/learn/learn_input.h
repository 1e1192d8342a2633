#pragma once

// What a model learns from, in plain C++ (no torch): N images or N feature vectors.

#include "data/dataset.h"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct LearnInput {
    // Images: N x H x W x C uint8, row-major (HWC per image), as written by the image cache.
    std::vector<std::uint8_t> images;
    int height = 0;
    int width = 0;
    int channels = 0;
    // Feature vectors: N x D, row-major. Used when `images` is empty.
    RowMatrixXf features;

    int count() const;
    bool hasImages() const { return !images.empty(); }
    int featureSize() const { return static_cast<int>(features.cols()); }
};

// Reads an image tensor (uint8, rank 3 = N x H x W, or rank 4 = N x H x W x C) or a feature
// matrix (float32 / float64, rank 2 = N x D) from a .npy file. Throws InputError naming the file
// for any other dtype or rank.
LearnInput learnInputFromNpy(const std::string& path);

// The dataset's own feature vectors (dataset.features). Throws InputError when it has none.
LearnInput learnInputFromFeatures(const Dataset& dataset);

// Per row of an N x K matrix (probabilities), the column of its largest entry, the first among
// equals: N class labels.
template <class Derived>
std::vector<int> rowArgmax(const Eigen::MatrixBase<Derived>& p)
{
    std::vector<int> labels(static_cast<std::size_t>(p.rows()), -1);
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
        Eigen::Index best = 0;
        p.row(i).maxCoeff(&best);
        labels[static_cast<std::size_t>(i)] = static_cast<int>(best);
    }
    return labels;
}

// Soft or hard training targets for N rows: either `labels` (N class indices in [0, K); -1 =
// excluded from training) or `soft` (N x K, rows summing to 1; a row of zeros = excluded).
struct Targets {
    std::vector<int> labels;
    RowMatrixXf soft;

    bool isSoft() const { return soft.size() > 0; }
    int count() const { return isSoft() ? static_cast<int>(soft.rows()) : static_cast<int>(labels.size()); }
    // argmax per row for soft targets (-1 for an all-zero row); the labels themselves otherwise.
    std::vector<int> hardLabels() const;
};

}  // namespace crowdsift
