#include "learn/trainer_internal.h"

#include "util/error.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <thread>

namespace crowdsift {

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

std::string resolveDevice(const std::string& requested)
{
    if (requested == "auto")
        return cudaAvailable() ? "cuda" : "cpu";
    if (requested == "cpu")
        return "cpu";
    if (requested == "cuda") {
        if (!cudaAvailable())
            throw InputError("device", requested, "CUDA is not available (this LibTorch build or this machine has no GPU)");
        return "cuda";
    }
    throw InputError("device", requested, "unknown device; expected auto, cpu or cuda");
}

void configureTorchThreads(int threads)
{
    static std::mutex mutex;
    static int current = -1;
    const int wanted = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::lock_guard<std::mutex> lock(mutex);
    if (wanted == current)
        return;
    torch::set_num_threads(wanted);
    // OpenBLAS, which Debian's LibTorch calls for matrix products, keeps a thread pool of its own
    // beside torch's OpenMP threads; with both spinning on two cores an mlp ran 2.5x slower on two
    // threads than on one (LabelMe loop: 6.8 s against 2.7 s; 3.0 s with OpenBLAS on one thread).
    // Torch parallelises around its BLAS calls, so BLAS gets one thread. A LibTorch with another
    // BLAS (MKL in PyTorch's wheels) has no such symbol and is left alone.
    using SetBlasThreads = void (*)(int);
    if (auto* setBlasThreads = reinterpret_cast<SetBlasThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        setBlasThreads(1);
    current = wanted;
}

namespace learn {

AutocastScope::AutocastScope(bool enabled) : enabled_(enabled)
{
    if (!enabled_)
        return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    previousEnabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
    previousType_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
#else
    previousEnabled_ = at::autocast::is_enabled();
    previousType_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
#endif
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope()
{
    if (!enabled_)
        return;
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, previousEnabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, previousType_);
#else
    at::autocast::set_enabled(previousEnabled_);
    at::autocast::set_autocast_gpu_dtype(previousType_);
#endif
}

}  // namespace learn

}  // namespace crowdsift
