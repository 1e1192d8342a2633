#include "util/json.h"

#include "util/error.h"

#include <cstddef>
#include <cmath>
#include <string>

namespace crowdsift {

namespace {

// The problem an nlohmann/json exception states, without its "[json.exception.type_error.316] "
// prefix.
std::string jsonProblem(const nlohmann::json::exception& e)
{
    const std::string what = e.what();
    const std::size_t end = what.find("] ");
    return what.compare(0, 1, "[") == 0 && end != std::string::npos ? what.substr(end + 2) : what;
}

}  // namespace

void requireJsonDepth(std::string_view text, const std::string& file)
{
    int depth = 0;
    std::size_t line = 1;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n')
            ++line;
        if (inString) {
            if (c == '\\')
                ++i;  // the escaped character never ends the string
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                throw InputError(file, "line " + std::to_string(line),
                                 "JSON nested deeper than " + std::to_string(kMaxJsonDepth)
                                     + " levels of arrays and objects; no Crowdsift file needs more than a few");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

std::string jsonText(const nlohmann::json& value, int indent, const std::string& file)
{
    try {
        return value.dump(indent);
    } catch (const nlohmann::json::type_error& e) {
        // 316: invalid UTF-8; nlohmann names the byte but not the text it is in.
        throw InputError(file, "", "a name or id is not valid UTF-8 text, which JSON cannot hold (" + jsonProblem(e)
                                       + "); recode the dataset's ids as UTF-8");
    }
}

nlohmann::json finiteOrNull(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace crowdsift
