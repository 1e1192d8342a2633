#pragma once

// Shared by targets.cpp (the readers) and targets_project.cpp (what needs core/project).

#include "data/dataset.h"
#include "util/error.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace crowdsift::fuzz {

// This process's own folder under the temporary folder, removed at exit.
const std::filesystem::path& scratch();
void writeBytes(const std::filesystem::path& path, std::string_view bytes);
// A fresh folder `name` in the scratch folder, emptied of what the last input left.
std::filesystem::path freshFolder(const std::string& name);
// Three items keyed 0, 1 and 7 (so that truth by integer key and by index differ), classes
// 0..2, two annotators.
const Dataset& smallDataset();

// Everything a reader may throw on bad input; other exceptions escape to the fuzzer.
template <class F>
void expectInputErrors(F&& read)
{
    try {
        read();
    } catch (const InputError&) {
    }
}

void fuzzDecisions(std::string_view bytes);
void fuzzProject(std::string_view bytes);

}  // namespace crowdsift::fuzz
