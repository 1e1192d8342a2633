#pragma once

// A user-supplied TorchScript classifier run over a dataset, for machine annotators
// (`crowdsift-cli annotate --model F.pt --trust-model`). A TorchScript file is code: it is loaded
// only on the user's explicit request.

#include "learn/learn_input.h"
#include "util/progress.h"

#include <string>

namespace crowdsift {

// N x K class probabilities (softmax of the module's output) of every row of `input`, in batches
// of `batchSize` on the CPU, or on CUDA when `cuda` and available. The module's forward takes
// images as float N x C x H x W in [0, 1] (the image cache's uint8 N x H x W x C, divided by 255)
// or feature vectors as float N x D, and returns N x K logits. InputError naming the file when it
// cannot be loaded, fails on a batch, or returns other than `classes` columns.
RowMatrixXf scriptClassifierProbabilities(const std::string& path, const LearnInput& input, int classes,
                                          int batchSize = 256, bool cuda = true, Progress& progress = Progress::none());

}  // namespace crowdsift
