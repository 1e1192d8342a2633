#pragma once

// A dataset whose items show image files, for the image cache and scene feature tests.

#include "data/dataset.h"

#include <string>
#include <vector>

namespace crowdsift::testing {

// Items "item0", "item1", ... (train split, classes "a" and "b", no answers) showing `images`,
// paths relative to `root`; "" = an item without an image.
inline Dataset imageDataset(const std::string& root, const std::vector<std::string>& images)
{
    Dataset d;
    d.name = "images";
    d.source = root;
    d.root = root;
    d.classNames = {"a", "b"};
    for (std::size_t i = 0; i < images.size(); ++i) {
        d.itemKeys.push_back("item" + std::to_string(i));
        d.splits.push_back(Split::Train);
    }
    d.imagePaths = images;
    return d;
}

}  // namespace crowdsift::testing
