#pragma once

// Plain-text output shared by the verbs.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace crowdsift::cli {

// `value` printed with the printf `format` ("%.4f"), or "-" when it is not finite (NaN = not known).
std::string numberCell(double value, const char* format = "%.4f");

// The closing lines of a verb that stores a run and writes files: "stored as run N in <path>"
// when `summary` has a "run", then "wrote <file>" per file.
void printStoredAndWritten(const nlohmann::json& summary, const std::string& path, const std::vector<std::string>& written);

}  // namespace crowdsift::cli
