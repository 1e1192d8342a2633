#pragma once

// CROWDLAB (Goh, Tkachenko, Mueller 2022): consensus labels and quality scores from the answers
// and out-of-sample model probabilities, the same quantities as cleanlab's
// multiannotator.get_label_quality_multiannotator with consensus_method = "best_quality" and
// calibrate_probs = False. Complementary answers are skipped.

#include "aggregate/label_quality.h"
#include "aggregate/result.h"
#include "data/dataset.h"
#include "util/progress.h"

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace crowdsift {

enum class ConsensusQuality {
    // Weighted ensemble of the model and the annotators (cleanlab's default "crowdlab").
    Crowdlab,
    // Fraction of annotators who agree ("agreement"), with per-item vote counts indexed by class.
    // cleanlab >= 2.6.5 misplaces those counts whenever an item's annotators did not use every
    // class (its value_counts drops missing classes); this is the intended method, as in the
    // reference files *_agreement_fixedcounts.json.
    Agreement,
};

struct CrowdlabOptions {
    ConsensusQuality quality = ConsensusQuality::Crowdlab;
    // Score of a label under the ensemble posteriors (cleanlab's label_quality_score_kwargs).
    LabelQualityMethod labelQuality = LabelQualityMethod::SelfConfidence;
    int threads = 0;  // 0 = every core; results do not depend on it
};

struct CrowdlabResult {
    // Per item (N). Items without answers get the model's argmax as consensus, the model's
    // probabilities as posteriors, their label quality under them as consensus quality, and
    // agreement NaN; they take no part in the statistics below (cleanlab rejects such items).
    std::vector<int> consensusLabel;
    Eigen::VectorXd consensusQuality;    // in [0, 1], lower = consensus more likely wrong
    Eigen::VectorXd annotatorAgreement;  // fraction of the item's annotators who gave the consensus
    std::vector<int> numAnnotations;
    RowMatrixXd posteriors;  // N x K: crowdlab's weighted ensemble (agreement: vote fractions)

    // Per answer, in the order of dataset.answers.byItem() (item-major, annotators ascending):
    // quality of that annotator's label under `posteriors`. NaN for complementary answers.
    Eigen::VectorXd answerQuality;

    // Per annotator (M).
    Eigen::VectorXd annotatorQuality;        // NaN when undefined (see cleanlab)
    Eigen::VectorXd agreementWithConsensus;  // fraction of the annotator's labels equal to the consensus
    std::vector<int> worstClass;             // class with the lowest agreement, -1 without answers
    std::vector<int> numExamplesLabeled;

    // Crowdlab only: the model's weight and each annotator's weight in the ensemble.
    double modelWeight = std::numeric_limits<double>::quiet_NaN();
    Eigen::VectorXd annotatorWeight;

    // Items whose initial majority vote stayed tied after every tie-break (model probabilities,
    // rarer class, annotator agreement); they got the smallest tied class where cleanlab draws at
    // random.
    std::vector<int> unresolvedTies;
};

// cleanlab's get_majority_vote_label: the most voted class; ties broken by the largest model
// probability (when `probabilities` is given, N x K), then the class with fewer votes overall,
// then the higher mean agreement (with the untied majority vote) of the annotators who voted for
// it, then the smallest class. Items without answers get -1 (with probabilities: the model's
// argmax). `unresolved`, when given, receives the items that needed the last rule.
std::vector<int> cleanlabMajorityVote(const Dataset& dataset, const RowMatrixXd* probabilities = nullptr,
                                      std::vector<int>* unresolved = nullptr);

// Throws InputError when `probabilities` is not N x K with rows in [0, 1], when no item has two or
// more answers (the weights are estimated from such items), or when K < 2.
CrowdlabResult crowdlab(const Dataset& dataset, const RowMatrixXd& probabilities, const CrowdlabOptions& options = {},
                        Progress& progress = Progress::none());

// CROWDLAB's consensus in the shape every strategy returns, so that outputs and the store treat it
// alike: strategy "crowdlab", labels, posteriors, confusions estimated from the posteriors, class
// priors over answered items, annotator quality as skill and extra {"model_weight"}.
AggregationResult crowdlabAsAggregation(const Dataset& dataset, const CrowdlabResult& result,
                                        const nlohmann::json& params);

// The per-item and per-answer vectors an aggregation run stores beside the common outputs:
// consensus_quality (N), annotator_agreement (N), answer_quality (one per answer, by-item order).
std::map<std::string, Eigen::VectorXd> crowdlabRunOutputs(const CrowdlabResult& result);

}  // namespace crowdsift
