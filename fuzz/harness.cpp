// One libFuzzer harness: CROWDSIFT_FUZZ_TARGET names the target of fuzz/targets.cpp it runs.

#include "targets.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    crowdsift::fuzz::runTarget(CROWDSIFT_FUZZ_TARGET, data, size);
    return 0;
}
