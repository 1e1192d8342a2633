#include "learn/crowdlab_loop.h"

#include "aggregate/common.h"
#include "aggregate/registry.h"
#include "util/error.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace crowdsift {

namespace {

// Share of an iteration's progress slice spent in cross-validation; CROWDLAB takes the rest.
constexpr double trainingShare = 0.95;

// A token for an inner job that reports into [begin, begin + span) of `outer`'s fraction and
// stops when `outer` is cancelled. It forwards every step (no rate limit of its own), so a cancel
// of `outer` is seen at the inner job's next step, i.e. within one batch of training.
class ForwardingProgress {
public:
    ForwardingProgress(Progress& outer, double begin, double span, std::string prefix)
        : token_(
            [&outer, begin, span, prefix = std::move(prefix)](double fraction, const std::string& stage) {
                outer.step(begin + span * fraction, 1.0, prefix + stage);
            },
            0)
    {
    }
    Progress& token() { return token_; }

private:
    Progress token_;
};

// CROWDLAB wants probabilities in [0, 1]; a float softmax may leave a row a rounding error off.
RowMatrixXd asProbabilities(const RowMatrixXf& probabilities)
{
    RowMatrixXd p = probabilities.cast<double>().cwiseMax(0.0).cwiseMin(1.0);
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
        const double sum = p.row(i).sum();
        if (sum > 0)
            p.row(i) /= sum;
        else
            p.row(i).setConstant(1.0 / static_cast<double>(p.cols()));
    }
    return p;
}

// Soft targets from N x K posteriors; items without answers get a zero row (not trained on).
RowMatrixXf softTargets(const RowMatrixXd& posteriors, const std::vector<char>& answered)
{
    RowMatrixXf soft = posteriors.cast<float>();
    for (Eigen::Index i = 0; i < soft.rows(); ++i)
        if (!answered[static_cast<std::size_t>(i)])
            soft.row(i).setZero();
    return soft;
}

double meanQuality(const Eigen::VectorXd& quality, const std::vector<char>& answered)
{
    double sum = 0;
    int count = 0;
    for (Eigen::Index i = 0; i < quality.size(); ++i) {
        if (!answered[static_cast<std::size_t>(i)] || !std::isfinite(quality(i)))
            continue;
        sum += quality(i);
        ++count;
    }
    return count == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / count;
}

}  // namespace

LoopResult runCrowdlabLoop(const Dataset& dataset, const LearnInput& input, const LoopConfig& config,
                           Progress& progress, const IterationCallback& onIteration, const FoldEpochCallback& onEpoch)
{
    return runCrowdlabLoop(dataset, input, config, LoopStart{}, progress, onIteration, onEpoch);
}

LoopResult runCrowdlabLoop(const Dataset& dataset, const LearnInput& input, const LoopConfig& config,
                           const LoopStart& start, Progress& progress, const IterationCallback& onIteration,
                           const FoldEpochCallback& onEpoch)
{
    const std::string source = dataset.source.empty() ? dataset.name : dataset.source;
    if (input.count() != dataset.itemCount())
        throw InputError(source, "learning input",
                         "has " + std::to_string(input.count()) + " rows for " + std::to_string(dataset.itemCount())
                             + " items");
    if (config.folds < 2)
        throw InputError("CROWDLAB loop", "folds " + std::to_string(config.folds),
                         "the loop needs out-of-sample probabilities: use at least 2 folds");
    if (config.maxIterations < 1)
        throw InputError("CROWDLAB loop", "max iterations " + std::to_string(config.maxIterations),
                         "expected at least 1");
    validateModelSpec(config.model, input.hasImages());

    const int n = dataset.itemCount();
    const int k = dataset.classCount();
    const std::vector<char> answered = answeredItems(dataset);

    LoopResult result;
    result.majorityVote = cleanlabMajorityVote(dataset);
    result.majorityVoteAccuracy = accuracy(result.majorityVote, dataset.truth);
    if (dataset.hasTruth())
        result.dawidSkeneAccuracy = accuracy(aggregate("ds", dataset).labels, dataset.truth);

    // Items without answers follow the model (CROWDLAB gives them its argmax): they are never
    // trained on and never counted as changed, so they cannot keep the loop going.
    std::vector<int> current = result.majorityVote;
    RowMatrixXf currentSoft;
    if (config.softTargets)
        currentSoft = softTargets(voteFractions(dataset), answered);
    if (!start.labels.empty()) {
        if (start.labels.size() != static_cast<std::size_t>(n))
            throw InputError("CROWDLAB loop", "start labels",
                             std::to_string(start.labels.size()) + " labels for " + std::to_string(n) + " items");
        for (const int label : start.labels)
            if (label < -1 || label >= k)
                throw InputError("CROWDLAB loop", "start labels", "label " + std::to_string(label) + " is not a class");
        current = start.labels;
        if (config.softTargets) {
            RowMatrixXd initial = RowMatrixXd::Zero(n, k);
            if (start.posteriors.size() > 0) {
                if (start.posteriors.rows() != n || start.posteriors.cols() != k)
                    throw InputError("CROWDLAB loop", "start posteriors", "not one row of " + std::to_string(k)
                                                                             + " classes per item");
                initial = start.posteriors.cast<double>();
            } else {
                for (int i = 0; i < n; ++i)
                    if (current[static_cast<std::size_t>(i)] >= 0)
                        initial(i, current[static_cast<std::size_t>(i)]) = 1;
            }
            currentSoft = softTargets(initial, answered);
        }
    }
    if (start.probabilities.size() > 0
        && (start.probabilities.rows() != n || start.probabilities.cols() != k))
        throw InputError("CROWDLAB loop", "start probabilities", "not one row of " + std::to_string(k) + " classes per item");
    std::vector<char> everChanged(static_cast<std::size_t>(n), 0);

    // The held-out answer score of the start, and of each iteration below (seeded like the
    // folds). Each scores its consensus LABELS (one-hot), not its posteriors: scored with
    // posteriors, a consensus that is merely more confident wins (on the demo the hard-target
    // loop's drifting iterations, 91.5 % -> 87.1 %, scored higher and higher).
    const std::uint64_t scoreSeed = config.train.seed;
    double bestScore = -std::numeric_limits<double>::infinity();
    if (config.keepBest) {
        PosteriorFit startFit = start.refit;
        if (!startFit && start.labels.empty() && start.probabilities.size() == 0)
            startFit = [](const Dataset& train) { return oneHotLabels(cleanlabMajorityVote(train), train.classCount()); };
        if (startFit) {
            // Labels, not posteriors, as for the iterations below.
            progress.stage("scoring the start on held-out answers", 0);
            result.startHeldOutScore
                = heldOutAnswerScore(
                      dataset, [&startFit](const Dataset& train) { return oneHotLabels(rowArgmax(startFit(train)), train.classCount()); },
                      5, scoreSeed)
                      .meanLogLikelihood;
        }
    }

    const double slice = 1.0 / config.maxIterations;
    for (int iteration = 1; iteration <= config.maxIterations; ++iteration) {
        const auto began = std::chrono::steady_clock::now();
        const std::string prefix = "iteration " + std::to_string(iteration) + "/" + std::to_string(config.maxIterations);
        const double begin = (iteration - 1) * slice;
        progress.stage(prefix, begin);

        Targets targets;
        if (config.softTargets) {
            targets.soft = currentSoft;
        } else {
            targets.labels = current;
            for (int i = 0; i < n; ++i)
                if (!answered[static_cast<std::size_t>(i)])
                    targets.labels[static_cast<std::size_t>(i)] = -1;
        }
        TrainConfig train = config.train;
        train.seed = config.train.seed + static_cast<std::uint64_t>(iteration);

        ForwardingProgress training(progress, begin, slice * trainingShare, prefix + ": ");
        CrossValidationResult cv;
        if (iteration == 1 && start.probabilities.size() > 0) {
            cv.probabilities = start.probabilities;
        } else {
            cv = crossValidate(input, targets, k, config.model, train, config.folds, training.token(), onEpoch);
        }
        const RowMatrixXd probabilities = asProbabilities(cv.probabilities);
        ForwardingProgress consensusProgress(progress, begin + slice * trainingShare, slice * (1 - trainingShare),
                                             prefix + ": ");
        CrowdlabResult consensus = crowdlab(dataset, probabilities, CrowdlabOptions{}, consensusProgress.token());

        LoopIteration record;
        record.iteration = iteration;
        for (int i = 0; i < n; ++i) {
            const auto ii = static_cast<std::size_t>(i);
            if (!answered[ii] || consensus.consensusLabel[ii] == current[ii])
                continue;
            ++record.changed;
            if (!everChanged[ii]) {
                ++record.newlyChanged;
                everChanged[ii] = 1;
            }
        }
        record.consensusAccuracy = accuracy(consensus.consensusLabel, dataset.truth);
        record.modelAccuracy = accuracy(rowArgmax(probabilities), dataset.truth);
        record.modelWeight = consensus.modelWeight;
        record.meanConsensusQuality = meanQuality(consensus.consensusQuality, answered);
        record.trainSamplesPerSecond = cv.trainSamplesPerSecond;
        if (config.keepBest) {
            // The model's probabilities stay fixed; CROWDLAB re-weighs the annotators from the
            // answers it keeps. A fold that leaves no item with two answers cannot be scored.
            try {
                record.heldOutScore = heldOutAnswerScore(
                    dataset,
                    [&probabilities, k](const Dataset& train) {
                        return oneHotLabels(crowdlab(train, probabilities).consensusLabel, k);
                    },
                    5, scoreSeed).meanLogLikelihood;
            } catch (const InputError&) {
                record.heldOutScore = std::numeric_limits<double>::quiet_NaN();
            }
        }
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        result.iterations.push_back(record);

        current = consensus.consensusLabel;
        if (config.softTargets)
            currentSoft = softTargets(consensus.posteriors, answered);
        // Kept: the last iteration, or the best scored one so far (NaN scores never replace one).
        const bool keep = !config.keepBest || result.keptIteration == 0
                          || (std::isfinite(record.heldOutScore) && record.heldOutScore > bestScore);
        if (keep) {
            if (std::isfinite(record.heldOutScore))
                bestScore = record.heldOutScore;
            result.keptIteration = iteration;
            result.consensus = std::move(consensus);
            result.probabilities = std::move(cv.probabilities);
            result.lastHistory = std::move(cv.history);
            result.embeddings = std::move(cv.embeddings);
        }
        if (onIteration)
            onIteration(record);
        if (record.newlyChanged == 0) {
            result.converged = true;
            break;
        }
    }
    result.startScoresBetter = config.keepBest && std::isfinite(result.startHeldOutScore)
                               && !(bestScore >= result.startHeldOutScore);
    progress.step(1, 1, "CROWDLAB loop done");
    return result;
}

}  // namespace crowdsift
