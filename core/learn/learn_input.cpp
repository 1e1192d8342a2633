#include "learn/learn_input.h"

#include "util/error.h"
#include "util/npy.h"

#include <algorithm>
#include <cstring>

namespace crowdsift {

int LearnInput::count() const
{
    if (hasImages()) {
        const std::size_t perImage = static_cast<std::size_t>(height) * width * channels;
        return perImage == 0 ? 0 : static_cast<int>(images.size() / perImage);
    }
    return static_cast<int>(features.rows());
}

LearnInput learnInputFromNpy(const std::string& path)
{
    const NpyArray array = readNpy(path);
    LearnInput input;
    if (array.type == NpyType::UInt8 && (array.rank() == 3 || array.rank() == 4)) {
        if (array.count() == 0)
            throw InputError(path, "shape", "the image tensor is empty");
        input.height = static_cast<int>(array.shape[1]);
        input.width = static_cast<int>(array.shape[2]);
        input.channels = array.rank() == 4 ? static_cast<int>(array.shape[3]) : 1;
        if (input.channels != 1 && input.channels != 3)
            throw InputError(path, "shape", "expected 1 or 3 channels, found " + std::to_string(input.channels));
        input.images.assign(array.bytes.begin(), array.bytes.end());
        return input;
    }
    if (npyIsFloat(array.type) && array.rank() == 2) {
        const auto rows = static_cast<Eigen::Index>(array.shape[0]);
        const auto cols = static_cast<Eigen::Index>(array.shape[1]);
        if (rows == 0 || cols == 0)
            throw InputError(path, "shape", "the feature matrix is empty");
        const std::vector<float> values = array.as<float>();
        input.features = Eigen::Map<const RowMatrixXf>(values.data(), rows, cols);
        return input;
    }
    throw InputError(path, std::string("dtype ") + npyDescr(array.type) + ", rank " + std::to_string(array.rank()),
                     "expected uint8 images (N x H x W or N x H x W x C) or float features (N x D)");
}

LearnInput learnInputFromFeatures(const Dataset& dataset)
{
    if (dataset.features.rows() == 0)
        throw InputError(dataset.source, "features", "the dataset has no feature vectors");
    LearnInput input;
    input.features = dataset.features;
    return input;
}

std::vector<int> Targets::hardLabels() const
{
    if (!isSoft())
        return labels;
    std::vector<int> hard(static_cast<std::size_t>(soft.rows()), -1);
    for (Eigen::Index i = 0; i < soft.rows(); ++i) {
        Eigen::Index best = 0;
        const float top = soft.row(i).maxCoeff(&best);
        if (top > 0)
            hard[static_cast<std::size_t>(i)] = static_cast<int>(best);
    }
    return hard;
}

}  // namespace crowdsift
