#pragma once

// Learning from crowds end to end: one classifier trained on every annotator's raw votes through
// a layer per annotator, whose weights are read back as that annotator's confusion. No torch
// types here (see learn/torch_crowd.h for the layers themselves).
//
//   CrowdLayer (Rodrigues & Pereira, "Deep Learning from Crowds", AAAI 2018): the classifier's
//   softmax output p (1 x K) goes through annotator r's layer, whose output is taken as logits of
//   what r answers, and the loss is the cross entropy over the observed (item, annotator, label)
//   votes only (the paper's masked loss):
//     mw  p W_r,        W_r K x K, initialised at the identity;
//     vw  p * w_r,      w_r K, initialised at ones;
//     vb  p + b_r,      b_r K, initialised at zeros.
//   CoNAL (Chu, Ma & Wang, "Learning from Crowds by Modeling Common Confusions", AAAI 2021):
//   annotator r answers item x from logits
//     g(x, r) p W_c + (1 - g(x, r)) p W_r,   W_r and the common W_c K x K at the identity,
//     g(x, r) = sigmoid(<normalize(A2 A1 x), normalize(U e_r)>),
//   with A1: D -> 128 and A2: 128 -> E linear layers on the standardised input (flattened images,
//   features, or a TorchScript backbone's embeddings), U: M -> E on the annotator's one-hot
//   vector, E = 20 (the authors' code); the loss subtracts scale x sum_r ||W_r - W_c||_F, the
//   regulariser that pulls the annotator matrices away from the common one.
// The classifier is any model of the trainer (ModelSpec), trained with its TrainConfig
// (optimizer, schedule, epochs, seed; no validation split). The crowd parameters (the matrices,
// vectors or biases, and CoNAL's common matrix and gate embeddings) are a parameter group of their
// own: Adam at CrowdConfig::learningRate (default 0.01, `lr=` in the strategy's brackets),
// constant, without weight decay. Sharing the classifier's settings kept them at the identity:
// softmax(I) has a diagonal of e / (e + K - 1) (0.23 for 10 classes), and reaching a diagonal of
// 0.8 takes log-odds moves of several units, which Adam at the mlp's 1e-3 under a cosine schedule
// does not make in 20 epochs (the learned matrices' error stayed near that of the identity), and
// weight decay pulls them toward zero, i.e. toward uniform answers. Predictions are the
// classifier's alone.
//
// What is read back, per annotator r and true class k, is the distribution of r's answer when the
// classifier is certain of k (p = e_k): row k of softmax(W_r) for mw and CoNAL, softmax(w_r[k]
// e_k) for vw, softmax(e_k + b_r) for vb; for CoNAL also softmax of W_c's rows (the common
// confusion) and the mean gate g over r's training votes.

#include "learn/learn_input.h"
#include "learn/trainer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace crowdsift {

enum class CrowdLayerKind { MW, VW, VB, Conal };

struct CrowdConfig {
    CrowdLayerKind kind = CrowdLayerKind::MW;
    double conalScale = 1e-5;  // CoNAL: weight of the regulariser (the authors' 1e-5)
    int embeddingSize = 20;    // CoNAL: E, the instance and annotator embeddings
    int embeddingHidden = 128; // CoNAL: A1's width
    // The crowd parameters' own learning rate (Adam, constant, no weight decay); see above.
    double learningRate = 0.01;
};

// Reads a strategy as the CLI names it: "crowdlayer" (= mw), "crowdlayer[mw]", "crowdlayer[vw]",
// "crowdlayer[vb]", "conal", "conal[scale=1e-4]", each with an optional "lr=<x>" among the
// comma-separated settings ("crowdlayer[mw,lr=0.05]", "conal[lr=0.02]"). InputError(option,
// text, what is accepted).
CrowdConfig parseCrowdStrategy(const std::string& text, const std::string& option = "strategy");
// The canonical name: "crowdlayer[mw]", ..., "conal[scale=1e-05]"; ",lr=<x>" before the closing
// bracket when the learning rate is not the default.
std::string crowdStrategyName(const CrowdConfig& config);

// The votes one fit learns from, read from a dataset's answers: complementary answers and labels
// outside [0, K) are left out (they say nothing of what the annotator saw).
struct CrowdVotes {
    int items = 0;
    int annotators = 0;
    std::vector<std::int64_t> offsets;  // items + 1: item i's votes are [offsets[i], offsets[i + 1])
    std::vector<std::int32_t> annotator;
    std::vector<std::int32_t> label;

    int countOf(int item) const { return static_cast<int>(offsets[static_cast<std::size_t>(item) + 1] - offsets[static_cast<std::size_t>(item)]); }
};
CrowdVotes crowdVotes(const Dataset& dataset);

// What one fit learned. Confusions are M x K x K row-major (annotator, true class, answer), rows
// summing to 1; an annotator without votes among the training rows gets NaN rows.
struct CrowdFitResult {
    TrainResult fit;                // history (train loss = the crowd loss; accuracy of the
                                    // classifier's argmax against the majority of the votes)
    std::vector<float> confusions;  // M x K x K
    std::vector<float> common;      // K x K, CoNAL only
    std::vector<float> gate;        // M, CoNAL only: mean g over the annotator's training votes (NaN without)
    std::vector<std::int64_t> votesSeen;  // M: training votes per annotator
};

class CrowdModel {
public:
    // The classifier of `spec` for `input` and `classes`, and the crowd layers of `crowd` for
    // `annotators` annotators, from config.seed. InputError for a validation split or no annotator.
    CrowdModel(const ModelSpec& spec, const LearnInput& input, int classes, int annotators, const TrainConfig& config,
               const CrowdConfig& crowd);
    ~CrowdModel();
    CrowdModel(CrowdModel&&) noexcept;
    CrowdModel& operator=(CrowdModel&&) noexcept;

    // Trains on the votes of rows `rows` (rows without votes are skipped). Progress per batch,
    // Cancelled within one batch of a cancel. InputError when no row has a vote, or the votes do
    // not match the input or this model's annotators and classes.
    CrowdFitResult fit(const LearnInput& input, const std::vector<int>& rows, const CrowdVotes& votes,
                       Progress& progress = Progress::none(), const EpochCallback& onEpoch = {});

    // The classifier's softmax probabilities for `rows`: rows.size() x K.
    RowMatrixXf predict(const LearnInput& input, const std::vector<int>& rows, Progress& progress = Progress::none()) const;

    std::string device() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Out-of-sample learning from crowds. folds >= 2: items are dealt to folds stratified by their
// majority vote (ties to the lowest class; items without votes get fold -1 and are predicted by
// fold 0's model), each fold's model is trained on the other folds' votes and predicts its own
// fold. folds = 1: one model trained on every vote predicts every item (in-sample).
// The read-back matrices are the means over the folds in which the annotator (or, for the common
// confusion, anyone) had training votes; gate likewise. Folds train side by side on the CPU as
// crossValidate's do (crossValidationWorkers: one torch thread each on two cores); the result
// depends only on the threads each fold gets, not on how many run at once.
struct CrowdCrossValidation {
    RowMatrixXf probabilities;  // N x K
    std::vector<int> fold;      // N
    std::vector<std::vector<EpochRecord>> history;  // per fold
    std::vector<float> confusions;  // M x K x K (NaN rows: no votes in any fold's training)
    std::vector<float> common;      // K x K, CoNAL only
    std::vector<float> gate;        // M, CoNAL only
    std::vector<std::int64_t> votes;  // M: the annotator's votes
    double seconds = 0;
    double trainSamplesPerSecond = 0;
};

using CrowdFoldEpochCallback = std::function<void(int fold, const EpochRecord&)>;

CrowdCrossValidation crossValidateCrowd(const LearnInput& input, const CrowdVotes& votes, int classes,
                                        const ModelSpec& spec, const TrainConfig& config, const CrowdConfig& crowd,
                                        int folds, Progress& progress = Progress::none(),
                                        const CrowdFoldEpochCallback& onEpoch = {});

// The majority vote of each item (ties to the lowest class; -1 without votes): N labels.
std::vector<int> crowdMajority(const CrowdVotes& votes, int classes);

}  // namespace crowdsift
