#include "learn/trainer.h"

#include "util/error.h"

namespace crowdsift {

const char* optimizerName(OptimizerKind kind)
{
    return kind == OptimizerKind::AdamW ? "adamw" : "sgd";
}

const char* scheduleName(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::Step: return "step";
    case ScheduleKind::Constant: return "constant";
    case ScheduleKind::Cosine: break;
    }
    return "cosine";
}

OptimizerKind parseOptimizer(const std::string& name, const std::string& option)
{
    for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::AdamW})
        if (name == optimizerName(kind))
            return kind;
    throw InputError(option, name, "expected sgd or adamw");
}

ScheduleKind parseSchedule(const std::string& name, const std::string& option)
{
    for (ScheduleKind kind : {ScheduleKind::Cosine, ScheduleKind::Step, ScheduleKind::Constant})
        if (name == scheduleName(kind))
            return kind;
    throw InputError(option, name, "expected cosine, step or constant");
}

ModelSpec defaultModelSpec(const std::string& modelName, bool cuda)
{
    ModelSpec spec;
    spec.name = modelName;
    if (modelName == "mlp") {
        spec.hidden = {256};
        spec.dropout = 0.2;
    } else if (modelName == "torchscript") {
        spec.hidden = {};
    } else {
        spec.width = cuda ? 64 : 16;
    }
    return spec;
}

TrainConfig defaultTrainConfig(const std::string& modelName, bool cuda)
{
    TrainConfig config;
    config.device = cuda ? "cuda" : "cpu";
    if (modelName == "mlp" || modelName == "torchscript") {
        // Small data on cheap inputs (features, cached embeddings): AdamW converges without tuning.
        config.optimizer = OptimizerKind::AdamW;
        config.learningRate = 1e-3;
        config.weightDecay = 1e-4;
        config.epochs = modelName == "mlp" ? 20 : 30;
        config.batchSize = 128;
        config.augment = false;
        config.flip = false;
    } else if (modelName == "resnet18") {
        config.optimizer = OptimizerKind::Sgd;
        config.learningRate = cuda ? 0.1 : 0.05;
        config.epochs = cuda ? 15 : 3;
        config.batchSize = cuda ? 256 : 128;
        config.labelSmoothing = 0.1;
    } else {
        config.optimizer = OptimizerKind::Sgd;
        config.learningRate = cuda ? 0.2 : 0.05;
        config.epochs = cuda ? 15 : 6;
        config.batchSize = cuda ? 512 : 128;
        config.labelSmoothing = 0.1;
    }
    return config;
}

}  // namespace crowdsift
