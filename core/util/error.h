#pragma once

#include <stdexcept>
#include <string>

namespace crowdsift {

// Bad user input: a file that does not parse, a label out of range, a missing image.
// The message names the file, the record (line, key or index) and the problem, so the user can
// act on it without a debugger.
class InputError : public std::runtime_error {
public:
    InputError(const std::string& file, const std::string& record, const std::string& problem);
    explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// A project file that is not ours, damaged, or from a newer schema.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown by a long job whose progress token was cancelled.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace crowdsift
