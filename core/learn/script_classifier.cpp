#include "learn/script_classifier.h"

#include "learn/torch_models.h"
#include "learn/trainer_internal.h"
#include "util/error.h"

#include <algorithm>
#include <numeric>

namespace crowdsift {

RowMatrixXf scriptClassifierProbabilities(const std::string& path, const LearnInput& input, int classes, int batchSize,
                                          bool cuda, Progress& progress)
{
    const torch::Device device = cuda && torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    learn::Backbone module(path, device);
    const int n = input.count();
    RowMatrixXf probabilities(n, classes);
    progress.stage("running the TorchScript classifier");
    batchSize = std::max(1, batchSize);
    for (int start = 0; start < n; start += batchSize) {
        progress.check();
        const int end = std::min(n, start + batchSize);
        std::vector<int> rows(static_cast<std::size_t>(end - start));
        std::iota(rows.begin(), rows.end(), start);
        torch::Tensor x = learn::gatherRows(input, rows).to(device);
        if (input.hasImages())
            x = x.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);
        const torch::Tensor logits = module.embed(x);
        if (logits.dim() != 2 || logits.size(0) != end - start || logits.size(1) != classes)
            throw InputError(path, "forward", "the classifier must return N x " + std::to_string(classes)
                                                  + " logits, it returned shape " + c10::str(logits.sizes()));
        const torch::Tensor p = torch::softmax(logits.to(torch::kCPU).to(torch::kFloat), 1).contiguous();
        std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(), probabilities.data() + static_cast<std::size_t>(start) * classes);
        progress.step(end, n, "running the TorchScript classifier");
    }
    return probabilities;
}

}  // namespace crowdsift
