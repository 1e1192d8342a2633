#pragma once

#include "data/formats.h"

#include <CLI/CLI.hpp>

#include <string>

namespace crowdsift::cli {

// The dataset-reading options shared by every verb that accepts a dataset path.
struct ReadArgs {
    std::string format = "auto";
    std::string truth;
    bool truthFromFolders = false;
    int classes = 0;
    bool complementaryMatrix = false;

    void addTo(CLI::App* command);
    ReadOptions toOptions() const;
};

}  // namespace crowdsift::cli
