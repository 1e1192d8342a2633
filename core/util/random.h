#pragma once

#include <cstdint>
#include <random>

namespace crowdsift {

// Seeded draws derived from the raw std::mt19937_64 output (whose sequence the standard fixes),
// never from std:: distributions (whose output differs between standard libraries), so that the
// demo crowd and the benchmark data are identical on every platform.
class PortableRandom {
public:
    explicit PortableRandom(std::uint64_t seed) : engine_(seed) {}

    // Uniform in [0, 1), 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }

    // Uniform integer in [0, n), unbiased by rejection.
    std::uint64_t below(std::uint64_t n)
    {
        const std::uint64_t threshold = (0 - n) % n;
        for (;;) {
            const std::uint64_t x = engine_();
            if (x >= threshold)
                return x % n;
        }
    }

    std::uint64_t next() { return engine_(); }

private:
    std::mt19937_64 engine_;
};

}  // namespace crowdsift
