#include "output.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace crowdsift::cli {

std::string numberCell(double value, const char* format)
{
    if (!std::isfinite(value))
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

void printStoredAndWritten(const nlohmann::json& summary, const std::string& path, const std::vector<std::string>& written)
{
    if (summary.contains("run"))
        std::printf("stored as run %lld in %s\n", static_cast<long long>(summary["run"].get<std::int64_t>()), path.c_str());
    for (const std::string& file : written)
        std::printf("wrote %s\n", file.c_str());
}

}  // namespace crowdsift::cli
