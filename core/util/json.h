#pragma once

// JSON from users' files and options, and JSON written for them: the checks nlohmann/json does
// not make (its parser and dump recurse once per level and overflow the stack near 70,000
// levels; its dump throws a bare type_error.316 on text that is not UTF-8).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace crowdsift {

// The deepest nesting of arrays and objects read; deeper input is refused before parsing.
constexpr int kMaxJsonDepth = 256;

// Refuses, before anything parses it, `text` nested deeper than kMaxJsonDepth: InputError
// naming `file`, the line and the limit. Brackets inside strings do not count.
void requireJsonDepth(std::string_view text, const std::string& file);

// `value` as text (nlohmann's dump with `indent`); InputError naming `file` and the problem when
// a string in it is not valid UTF-8, which JSON cannot hold.
std::string jsonText(const nlohmann::json& value, int indent, const std::string& file);

// `value`, or null when it is NaN or infinite (which JSON cannot hold).
nlohmann::json finiteOrNull(double value);

}  // namespace crowdsift
