#pragma once

// A TorchScript backbone for the tests of the torchscript model: a fixed random projection
// (seed 7) of the flattened input to 24 features, then ReLU, saved where the test says.

#include <torch/script.h>

#include <cstdint>
#include <string>

namespace crowdsift::testing {

inline void saveProjectionBackbone(const std::string& path, std::int64_t inputs)
{
    torch::jit::Module backbone("Backbone");
    torch::manual_seed(7);
    backbone.register_parameter("projection", torch::randn({24, inputs}), false);
    backbone.define(R"(
def forward(self, x):
    return torch.relu(torch.matmul(x.flatten(1), self.projection.t()))
)");
    backbone.save(path);
}

}  // namespace crowdsift::testing
