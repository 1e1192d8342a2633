#pragma once

// A loop configuration for the learn tests that trains on the synthetic crowd in a fraction of a
// second.

#include "synthetic_crowd.h"

#include "learn/crowdlab_loop.h"

namespace crowdsift::testing {

inline LoopConfig smallConfig(int maxIterations)
{
    LoopConfig config;
    config.model.name = "mlp";
    config.model.hidden = {32};
    config.train.epochs = 15;
    config.train.batchSize = 64;
    config.train.optimizer = OptimizerKind::AdamW;
    config.train.learningRate = 1e-2;
    config.train.weightDecay = 1e-4;
    config.train.device = "cpu";
    config.train.threads = 1;
    config.train.seed = 11;
    config.folds = 3;
    config.maxIterations = maxIterations;
    // The tests of the loop's mechanics follow its last iteration; keepBest is tested apart.
    config.keepBest = false;
    return config;
}

}  // namespace crowdsift::testing
