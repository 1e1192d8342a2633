#pragma once

// Helpers shared by the benchmark programs.

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace crowdsift::bench {

// A field of /proc/self/status in MB, e.g. "VmRSS" (resident now) or "VmHWM" (peak resident
// since start or since the last reset); 0 when unavailable.
inline double procStatusMb(const char* key)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::size_t keyLength = std::strlen(key);
    while (std::getline(in, line))
        if (line.compare(0, keyLength, key) == 0 && line.size() > keyLength && line[keyLength] == ':')
            return std::strtod(line.c_str() + keyLength + 1, nullptr) / 1024.0;
    return 0.0;
}

}  // namespace crowdsift::bench
