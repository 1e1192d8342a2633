#pragma once

// Machine annotators: a model run over the dataset as one more annotator, whose answers are stored
// with annotators.kind 'machine' (Project::addMachineAnnotator) and then judged like anyone's
// (accuracy, spammer score, confusion matrix from every aggregation run).

#include "project/store.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

struct MachineAnswerOptions {
    // 0: answer with the top-1 class. k >= 1: answer with the k classes the model finds least
    // likely, as complementary answers ("not c"); the j-th least likely (j = 1..k) is the answer of
    // annotator "<name>#j", since an annotator gives one answer per item.
    int complementary = 0;
    // Answer only when confident: top-1 when its probability >= minConfidence; "not c" when
    // 1 - p(c) >= minConfidence. 0 = always.
    double minConfidence = 0.0;
};

// The answers a model with N x K class probabilities gives (row-major, rows summing to 1) for the
// items with eligible[i] != 0: one vector per machine annotator (1 for top-1, k for complementary
// answers), Answer::annotator = 0. Ties go to the smaller class index (top-1, and the order of
// the least likely classes).
std::vector<std::vector<Answer>> machineAnswers(const Eigen::Ref<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>& probabilities,
                                                const std::vector<char>& eligible, const MachineAnswerOptions& options);

// The items a train run's stored probabilities may answer for without having seen them: every item
// of a cross-validated run (folds >= 2: each item's row comes from the model of the other folds,
// and items without a label were in no fold), only the items outside training (fold -1) of a plain
// one (folds = 1). N entries. InputError naming the run when it is not a finished train run with
// probabilities and fold outputs of the project's shape.
struct RunPredictions {
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> probabilities;  // N x K
    std::vector<char> outOfSample;                                                       // N
    int folds = 0;
};
RunPredictions trainRunPredictions(const Project& project, std::int64_t run);

// Stores the answers as machine annotator(s) `name` (or "<name>#1".."<name>#k" for k
// complementary answers), with `source` plus the options as each one's source JSON. Returns the
// new annotator indices. std::invalid_argument when a name is taken (nothing is stored then:
// every name is checked first); each annotator is one transaction.
std::vector<int> storeMachineAnnotators(Project& project, const std::string& name, const nlohmann::json& source,
                                        const MachineAnswerOptions& options, const std::vector<std::vector<Answer>>& answers);

}  // namespace crowdsift
