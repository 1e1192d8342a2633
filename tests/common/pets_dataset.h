#pragma once

// Five pet photos, three annotators, three classes, built by hand for the GUI tests; every count
// the tests check is counted by hand here:
//   annotator "1":  img-1 cat, img-2 dog, img-3 bird, img-4 cat, img-5 dog   (5 labels, 3 classes)
//   annotator "2":  img-1 cat, img-2 dog, img-3 dog                          (3 labels, 2 classes)
//   annotator "10": img-1 bird                                               (1 label,  1 class)
// Votes: cat 3, dog 4, bird 2. Truth: cat, dog, bird, cat, unknown -> cat 2, dog 1, bird 1.

#include "data/dataset.h"

#include <string>
#include <vector>

namespace crowdsift::testing {

inline Dataset petsDataset(const std::string& name = "pets-test")
{
    Dataset d;
    d.name = name;
    d.source = "built by hand in tests/common/pets_dataset.h";
    d.format = "test";
    d.classNames = {"cat", "dog", "bird"};
    d.itemKeys = {"img-1", "img-2", "img-3", "img-4", "img-5"};
    d.splits.assign(5, Split::Train);
    d.imagePaths.assign(5, "");
    d.annotatorIds = {"1", "2", "10"};
    d.truth = {0, 1, 2, 0, -1};
    const std::vector<Answer> answers = {
        {0, 0, 0}, {1, 0, 1}, {2, 0, 2}, {3, 0, 0}, {4, 0, 1},
        {0, 1, 0}, {1, 1, 1}, {2, 1, 1},
        {0, 2, 2},
    };
    d.answers = Answers::fromTriplets(5, 3, answers);
    d.validate();
    return d;
}

}  // namespace crowdsift::testing
