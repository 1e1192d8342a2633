#pragma once

// The bodies of the fuzz harnesses, one per reader: each writes the input where the reader
// expects a file, reads it, and lets through only what a reader may throw on bad input
// (InputError, and StoreError for a project). Anything else escapes: a crash, a sanitizer
// report, or an exception of another type (std::bad_alloc, std::length_error, nlohmann's
// type_error: each a message that does not name the file and the problem) is a finding.
//
// Built twice: into the libFuzzer harnesses (fuzz/harness.cpp, clang, -DCROWDSIFT_FUZZ=ON) and
// into the normal test suite (tests/core/test_fuzz_corpus.cpp), which replays the committed
// seeds and every crash input found (fuzz/corpus/<target>/) so that a fix stays fixed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift::fuzz {

// csv, matrix_csv, npy, peerannot, cifar10h, rodrigues, truth, json, decisions, project
const std::vector<std::string>& targetNames();

// Runs one input through target `name`; std::invalid_argument for an unknown name.
void runTarget(const std::string& name, const std::uint8_t* data, std::size_t size);

// The peerannot target reads its input as metadata.json, a line "#answers.json" and
// answers.json (no such line: the whole input is answers.json, without metadata).
constexpr const char* kAnswersMarker = "\n#answers.json\n";

// The rodrigues target reads its input as answers.txt, a line "#features.npy" and the
// features.npy beside it (no such line: answers.txt alone).
constexpr const char* kFeaturesMarker = "\n#features.npy\n";

// A small real project file (the bytes of a .csift with a run, its params and summary, and
// decisions), the seed of the project target.
std::string projectSeed();

}  // namespace crowdsift::fuzz
