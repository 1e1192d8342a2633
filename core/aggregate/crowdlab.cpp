#include "aggregate/crowdlab.h"

#include "aggregate/common.h"
#include "util/error.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>

namespace crowdsift {

namespace {

// cleanlab's CLIPPING_LOWER_BOUND.
constexpr double kClip = 1e-6;
constexpr std::int64_t kItemBlock = 4096;
constexpr std::int64_t kAnnotatorBlock = 64;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The answers as CROWDLAB sees them: the usable (non-complementary) answers, read in place from
// the dataset's two compressed orders. Vote counts are recounted from an item's few answers
// when needed rather than stored (N x K integers would be a third of the answers' size).
struct Crowd {
    explicit Crowd(const Answers& a) : answers(a) {}

    const Answers& answers;
    int n = 0;
    int m = 0;
    int k = 0;
    std::vector<int> counts;  // N: usable answers per item

    int count(std::int64_t i) const { return counts[static_cast<std::size_t>(i)]; }
    Answers::Range ofItem(std::int64_t i) const { return answers.ofItem(static_cast<int>(i)); }
    Answers::Range ofAnnotator(int w) const { return answers.ofAnnotator(w); }
    // Number of usable answers of item i that name class c.
    int vote(std::int64_t i, int c) const
    {
        int v = 0;
        for (const Answers::Entry& e : ofItem(i))
            v += !e.complementary() && e.label == c ? 1 : 0;
        return v;
    }
    // All K vote counts of item i into out.
    void votes(std::int64_t i, int* out) const
    {
        std::fill(out, out + k, 0);
        for (const Answers::Entry& e : ofItem(i))
            if (!e.complementary())
                ++out[e.label];
    }
};

Crowd buildCrowd(const Dataset& dataset)
{
    Crowd c(dataset.answers);
    c.n = dataset.itemCount();
    c.m = dataset.annotatorCount();
    c.k = dataset.classCount();
    c.counts.assign(static_cast<std::size_t>(c.n), 0);
    for (int i = 0; i < c.n; ++i)
        for (const Answers::Entry& e : c.ofItem(i))
            if (!e.complementary())
                ++c.counts[static_cast<std::size_t>(i)];
    return c;
}

int argmaxRow(const double* row, int k)
{
    int best = 0;
    for (int c = 1; c < k; ++c)
        if (row[c] > row[best])
            best = c;
    return best;
}

// Mean of the finite entries (NaN when none).
double finiteMean(const Eigen::VectorXd& v)
{
    double sum = 0;
    int count = 0;
    for (Eigen::Index i = 0; i < v.size(); ++i)
        if (std::isfinite(v[i])) {
            sum += v[i];
            ++count;
        }
    return count == 0 ? kNaN : sum / count;
}

std::vector<int> majorityVoteOf(const Crowd& c, const RowMatrixXd* probabilities, std::vector<int>* unresolved)
{
    std::vector<int> label(static_cast<std::size_t>(c.n), -1);
    std::vector<char> untied(static_cast<std::size_t>(c.n), 0);
    std::vector<double> classVotes(static_cast<std::size_t>(c.k), 0.0);
    for (const Answers::Entry& e : c.answers.byItem())
        if (!e.complementary())
            classVotes[static_cast<std::size_t>(e.label)] += 1;

    // Items whose most voted class is shared, with their remaining candidate classes.
    std::vector<std::pair<int, std::vector<int>>> open;
    std::vector<int> votes(static_cast<std::size_t>(c.k));
    for (int i = 0; i < c.n; ++i) {
        if (c.count(i) == 0) {
            if (probabilities)
                label[static_cast<std::size_t>(i)] = argmaxRow(probabilities->row(i).data(), c.k);
            continue;
        }
        c.votes(i, votes.data());
        const int top = *std::max_element(votes.begin(), votes.end());
        std::vector<int> modes;
        for (int k = 0; k < c.k; ++k)
            if (votes[static_cast<std::size_t>(k)] == top)
                modes.push_back(k);
        if (modes.size() == 1) {
            label[static_cast<std::size_t>(i)] = modes[0];
            untied[static_cast<std::size_t>(i)] = 1;
        } else {
            open.emplace_back(i, std::move(modes));
        }
    }

    // Keeps the candidates with the best score (largest, or smallest with `lowest`) and drops the
    // items that are decided.
    const auto narrow = [&](const auto& scoreOf, bool lowest) {
        std::vector<std::pair<int, std::vector<int>>> still;
        for (auto& [i, modes] : open) {
            std::vector<double> score;
            for (int k : modes)
                score.push_back(scoreOf(i, k));
            double best = score[0];
            for (double s : score)
                best = lowest ? std::min(best, s) : std::max(best, s);
            std::vector<int> kept;
            for (std::size_t j = 0; j < modes.size(); ++j)
                if (score[j] == best)
                    kept.push_back(modes[j]);
            if (kept.size() == 1)
                label[static_cast<std::size_t>(i)] = kept[0];
            else
                still.emplace_back(i, std::move(kept));
        }
        open = std::move(still);
    };

    if (probabilities)
        narrow([&](int i, int k) { return (*probabilities)(i, k); }, false);
    if (!open.empty())
        narrow([&](int, int k) { return classVotes[static_cast<std::size_t>(k)]; }, true);
    if (!open.empty()) {
        // Each annotator's agreement with the majority vote of the items that had a single mode.
        Eigen::VectorXd agreement(c.m);
        for (int w = 0; w < c.m; ++w) {
            int total = 0;
            int agree = 0;
            for (const Answers::Entry& e : c.ofAnnotator(w)) {
                if (e.complementary() || !untied[static_cast<std::size_t>(e.other)])
                    continue;
                ++total;
                agree += e.label == label[static_cast<std::size_t>(e.other)] ? 1 : 0;
            }
            agreement[w] = total == 0 ? kNaN : static_cast<double>(agree) / total;
        }
        const double average = finiteMean(agreement);
        for (int w = 0; w < c.m; ++w)
            if (!std::isfinite(agreement[w]))
                agreement[w] = average;
        narrow(
            [&](int i, int k) {
                double sum = 0;
                int voters = 0;
                for (const Answers::Entry& e : c.ofItem(i))
                    if (!e.complementary() && e.label == k) {
                        sum += agreement[e.other];
                        ++voters;
                    }
                return sum / voters;
            },
            false);
    }
    if (unresolved)
        unresolved->clear();
    for (const auto& [i, modes] : open) {
        label[static_cast<std::size_t>(i)] = modes[0];
        if (unresolved)
            unresolved->push_back(i);
    }
    return label;
}

// The ensemble of model and annotators for one consensus: per-item agreement, the weights, and
// the posteriors row by row.
class Ensemble {
public:
    Ensemble(const Crowd& crowd, const RowMatrixXd& probabilities, const CrowdlabOptions& options,
             const Eigen::VectorXd& agreementWithAnnotators, double meanAnnotations, const std::vector<int>& consensus)
        : c_(crowd), pred_(probabilities), options_(options), consensus_(consensus)
    {
        agreement_ = Eigen::VectorXd::Constant(c_.n, kNaN);
        for (int i = 0; i < c_.n; ++i)
            if (c_.count(i) > 0)
                agreement_[i] = static_cast<double>(c_.vote(i, consensus[static_cast<std::size_t>(i)])) / c_.count(i);
        if (options_.quality != ConsensusQuality::Crowdlab)
            return;

        double agreementSum = 0;
        int multi = 0;
        std::vector<int> consensusCounts(static_cast<std::size_t>(c_.k), 0);
        for (int i = 0; i < c_.n; ++i) {
            if (c_.count(i) < 2)
                continue;
            agreementSum += agreement_[i];
            ++multi;
            ++consensusCounts[static_cast<std::size_t>(consensus[static_cast<std::size_t>(i)])];
        }
        consensusLikelihood_ = agreementSum / multi;
        nonConsensusLikelihood_ = (1 - consensusLikelihood_) / (c_.k - 1);
        const int commonest = static_cast<int>(
            std::max_element(consensusCounts.begin(), consensusCounts.end()) - consensusCounts.begin());
        int notCommonest = 0;
        int modelWrong = 0;
        for (int i = 0; i < c_.n; ++i) {
            if (c_.count(i) < 2)
                continue;
            const int label = consensus[static_cast<std::size_t>(i)];
            notCommonest += label != commonest ? 1 : 0;
            modelWrong += argmaxRow(pred_.row(i).data(), c_.k) != label ? 1 : 0;
        }
        const double commonestError = std::max(static_cast<double>(notCommonest) / multi, kClip);
        annotatorWeight_.resize(c_.m);
        for (int w = 0; w < c_.m; ++w)
            annotatorWeight_[w] = std::max(1 - (1 - agreementWithAnnotators[w]) / commonestError, kClip);
        const double modelError = static_cast<double>(modelWrong) / multi;
        modelWeight_ = std::max(1 - modelError / commonestError, kClip) * std::sqrt(meanAnnotations);
    }

    // Row i of the posteriors (K values). Items without answers get the model's probabilities.
    void posterior(std::int64_t i, double* out) const
    {
        const double* prior = pred_.row(i).data();
        if (c_.count(i) == 0) {
            std::copy(prior, prior + c_.k, out);
            return;
        }
        if (options_.quality == ConsensusQuality::Agreement) {
            std::fill(out, out + c_.k, 0.0);
            for (const Answers::Entry& e : c_.ofItem(i))
                if (!e.complementary())
                    out[e.label] += 1;
            for (int k = 0; k < c_.k; ++k)
                out[k] /= c_.count(i);
            return;
        }
        // cleanlab's order of operations: model term, then the annotators in index order, then
        // one division by the total weight.
        double total = 0;
        for (const Answers::Entry& e : c_.ofItem(i))
            if (!e.complementary())
                total += annotatorWeight_[e.other];
        total += modelWeight_;
        for (int k = 0; k < c_.k; ++k) {
            double v = prior[k] * modelWeight_;
            for (const Answers::Entry& e : c_.ofItem(i)) {
                if (e.complementary())
                    continue;
                const double aw = annotatorWeight_[e.other];
                v += e.label == k ? aw * consensusLikelihood_ : aw * nonConsensusLikelihood_;
            }
            out[k] = v / total;
        }
    }

    // Quality of the consensus of item i given its posterior row.
    double quality(std::int64_t i, const double* posterior) const
    {
        if (options_.quality == ConsensusQuality::Agreement)
            return agreement_[i];
        return labelQualityScore(consensus_[static_cast<std::size_t>(i)], posterior, c_.k, options_.labelQuality);
    }

    const Eigen::VectorXd& agreement() const { return agreement_; }
    double modelWeight() const { return modelWeight_; }
    const Eigen::VectorXd& annotatorWeight() const { return annotatorWeight_; }

private:
    const Crowd& c_;
    const RowMatrixXd& pred_;
    const CrowdlabOptions& options_;
    const std::vector<int>& consensus_;
    Eigen::VectorXd agreement_;  // N
    double consensusLikelihood_ = kNaN;
    double nonConsensusLikelihood_ = kNaN;
    double modelWeight_ = kNaN;
    Eigen::VectorXd annotatorWeight_;  // M
};

// cleanlab's _get_annotator_agreement_with_annotators: for each annotator, the fraction of the
// other annotators of its items who gave the same label, weighted by their number; annotators who
// never share an item get the mean of the others.
Eigen::VectorXd agreementWithAnnotators(const Crowd& c)
{
    Eigen::VectorXd a(c.m);
    for (int w = 0; w < c.m; ++w) {
        double agree = 0;
        double others = 0;
        for (const Answers::Entry& e : c.ofAnnotator(w)) {
            const int n = c.count(e.other);
            if (e.complementary() || n < 2)
                continue;
            agree += (c.vote(e.other, e.label) - 1.0) / (n - 1) * (n - 1);
            others += n - 1;
        }
        a[w] = others > 0 ? agree / others : kNaN;
    }
    const double average = finiteMean(a);
    for (int w = 0; w < c.m; ++w)
        if (!std::isfinite(a[w]))
            a[w] = average;
    return a;
}

// cleanlab's _get_single_annotator_worst_class: among the classes the annotator used, the one whose
// labels agree least with the consensus; ties to the class it used most, then to the higher mean
// consensus quality of its items with that label, then to the smallest class.
int worstClass(const Crowd& c, int w, const std::vector<int>& consensus, const Eigen::VectorXd& consensusQuality)
{
    std::vector<int> used(static_cast<std::size_t>(c.k), 0);
    std::vector<int> agree(static_cast<std::size_t>(c.k), 0);
    std::vector<double> quality(static_cast<std::size_t>(c.k), 0.0);
    for (const Answers::Entry& e : c.ofAnnotator(w)) {
        if (e.complementary())
            continue;
        const auto l = static_cast<std::size_t>(e.label);
        ++used[l];
        agree[l] += e.label == consensus[static_cast<std::size_t>(e.other)] ? 1 : 0;
        quality[l] += consensusQuality[e.other];
    }
    std::vector<int> candidates;
    double lowest = INFINITY;
    for (int k = 0; k < c.k; ++k) {
        const auto kk = static_cast<std::size_t>(k);
        if (used[kk] == 0)
            continue;
        const double accuracy = static_cast<double>(agree[kk]) / used[kk];
        if (accuracy < lowest) {
            lowest = accuracy;
            candidates.assign(1, k);
        } else if (accuracy == lowest) {
            candidates.push_back(k);
        }
    }
    if (candidates.empty())
        return -1;
    if (candidates.size() > 1) {
        int most = 0;
        for (int k : candidates)
            most = std::max(most, used[static_cast<std::size_t>(k)]);
        std::vector<int> kept;
        for (int k : candidates)
            if (used[static_cast<std::size_t>(k)] == most)
                kept.push_back(k);
        candidates = kept;
    }
    if (candidates.size() > 1) {
        double best = -INFINITY;
        std::vector<int> kept;
        for (int k : candidates) {
            const double q = quality[static_cast<std::size_t>(k)] / used[static_cast<std::size_t>(k)];
            if (q > best) {
                best = q;
                kept.assign(1, k);
            } else if (q == best) {
                kept.push_back(k);
            }
        }
        candidates = kept;
    }
    return candidates[0];
}

void checkProbabilities(const Dataset& dataset, const RowMatrixXd& p)
{
    const std::string what = "model probabilities";
    if (p.rows() != dataset.itemCount() || p.cols() != dataset.classCount())
        throw InputError(what, "shape",
                         "expected " + std::to_string(dataset.itemCount()) + " x " + std::to_string(dataset.classCount())
                             + " (items x classes), got " + std::to_string(p.rows()) + " x " + std::to_string(p.cols()));
    for (Eigen::Index i = 0; i < p.rows(); ++i)
        for (Eigen::Index k = 0; k < p.cols(); ++k)
            if (!(p(i, k) >= 0 && p(i, k) <= 1))
                throw InputError(what, "item " + dataset.itemKeys[static_cast<std::size_t>(i)],
                                 "probability " + std::to_string(p(i, k)) + " of class " + std::to_string(k)
                                     + " is outside [0, 1]");
}

void checkLabels(const Dataset& dataset)
{
    const std::string source = dataset.source.empty() ? dataset.name : dataset.source;
    if (dataset.classCount() < 2)
        throw InputError(source, "classes", "CROWDLAB needs at least 2 classes");
    for (int i = 0; i < dataset.itemCount(); ++i)
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (e.label < 0 || e.label >= dataset.classCount())
                throw InputError(source, "item " + dataset.itemKeys[static_cast<std::size_t>(i)],
                                 "label " + std::to_string(e.label) + " is outside the "
                                     + std::to_string(dataset.classCount()) + " classes");
}

}  // namespace

std::vector<int> cleanlabMajorityVote(const Dataset& dataset, const RowMatrixXd* probabilities,
                                      std::vector<int>* unresolved)
{
    checkLabels(dataset);
    if (probabilities)
        checkProbabilities(dataset, *probabilities);
    return majorityVoteOf(buildCrowd(dataset), probabilities, unresolved);
}

CrowdlabResult crowdlab(const Dataset& dataset, const RowMatrixXd& probabilities, const CrowdlabOptions& options,
                        Progress& progress)
{
    checkLabels(dataset);
    checkProbabilities(dataset, probabilities);
    progress.stage("CROWDLAB: majority vote");
    const Crowd c = buildCrowd(dataset);
    int labelled = 0;
    double annotations = 0;
    bool anyShared = false;
    for (int i = 0; i < c.n; ++i) {
        if (c.count(i) == 0)
            continue;
        ++labelled;
        annotations += c.count(i);
        anyShared = anyShared || c.count(i) >= 2;
    }
    if (!anyShared)
        throw InputError(dataset.source.empty() ? dataset.name : dataset.source, "answers",
                         "CROWDLAB estimates annotator and model weights from items with two or more answers; "
                         "no item has more than one");
    const double meanAnnotations = annotations / labelled;

    CrowdlabResult r;
    const std::vector<int> mv = majorityVoteOf(c, &probabilities, &r.unresolvedTies);
    ThreadPool pool(options.threads);
    const BlockPartition items(c.n, kItemBlock);
    const Eigen::VectorXd withAnnotators =
        options.quality == ConsensusQuality::Crowdlab ? agreementWithAnnotators(c) : Eigen::VectorXd();

    // Consensus ("best_quality"): the ensemble's most probable class under the majority-vote
    // weights, the majority vote where that maximum is shared.
    progress.stage("CROWDLAB: consensus", 0.3);
    std::vector<int> consensus(mv);
    {
        const Ensemble first(c, probabilities, options, withAnnotators, meanAnnotations, mv);
        pool.run(items.blocks(), [&](std::int64_t b) {
            std::vector<double> row(static_cast<std::size_t>(c.k));
            for (std::int64_t i = items.begin(b); i < items.end(b); ++i) {
                if (c.count(i) == 0)
                    continue;
                first.posterior(i, row.data());
                const auto top = std::max_element(row.begin(), row.end());
                if (std::count(row.begin(), row.end(), *top) == 1)
                    consensus[static_cast<std::size_t>(i)] = static_cast<int>(top - row.begin());
            }
        });
    }

    progress.stage("CROWDLAB: label quality", 0.6);
    const Ensemble ensemble(c, probabilities, options, withAnnotators, meanAnnotations, consensus);
    r.posteriors.resize(c.n, c.k);
    r.consensusQuality.resize(c.n);
    r.answerQuality = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(dataset.answers.size()), kNaN);
    pool.run(items.blocks(), [&](std::int64_t b) {
        for (std::int64_t i = items.begin(b); i < items.end(b); ++i) {
            double* row = r.posteriors.row(i).data();
            ensemble.posterior(i, row);
            r.consensusQuality[i] =
                c.count(i) > 0 ? ensemble.quality(i, row)
                               : (options.quality == ConsensusQuality::Agreement
                                      ? kNaN
                                      : labelQualityScore(consensus[static_cast<std::size_t>(i)], row, c.k,
                                                          options.labelQuality));
            std::int64_t p = dataset.answers.itemOffsets()[static_cast<std::size_t>(i)];
            for (const Answers::Entry& e : c.ofItem(i)) {
                if (!e.complementary())
                    r.answerQuality[p] = labelQualityScore(e.label, row, c.k, options.labelQuality);
                ++p;
            }
        }
    });
    r.consensusLabel = std::move(consensus);
    r.annotatorAgreement = ensemble.agreement();
    r.numAnnotations = c.counts;
    r.modelWeight = ensemble.modelWeight();
    r.annotatorWeight = ensemble.annotatorWeight();

    progress.stage("CROWDLAB: annotators", 0.8);
    r.annotatorQuality.resize(c.m);
    r.agreementWithConsensus.resize(c.m);
    r.worstClass.resize(static_cast<std::size_t>(c.m));
    r.numExamplesLabeled.resize(static_cast<std::size_t>(c.m));
    double weightShare = kNaN;
    if (options.quality == ConsensusQuality::Crowdlab) {
        const double adjusted = r.annotatorWeight.sum() * (meanAnnotations / c.m);
        weightShare = r.modelWeight / (r.modelWeight + adjusted);
    }
    const BlockPartition annotators(c.m, kAnnotatorBlock);
    pool.run(annotators.blocks(), [&](std::int64_t b) {
        for (std::int64_t ww = annotators.begin(b); ww < annotators.end(b); ++ww) {
            const int w = static_cast<int>(ww);
            int total = 0;
            int agree = 0;
            int sharedTotal = 0;
            int sharedAgree = 0;
            double qualitySum = 0;
            for (const Answers::Entry& e : c.ofAnnotator(w)) {
                if (e.complementary())
                    continue;
                const bool same = e.label == r.consensusLabel[static_cast<std::size_t>(e.other)];
                ++total;
                agree += same ? 1 : 0;
                qualitySum += labelQualityScore(e.label, r.posteriors.row(e.other).data(), c.k, options.labelQuality);
                if (c.count(e.other) != 1) {
                    ++sharedTotal;
                    sharedAgree += same ? 1 : 0;
                }
            }
            r.numExamplesLabeled[static_cast<std::size_t>(w)] = total;
            r.agreementWithConsensus[w] = total > 0 ? static_cast<double>(agree) / total : kNaN;
            const double sharedAgreement = sharedTotal > 0 ? static_cast<double>(sharedAgree) / sharedTotal : kNaN;
            if (options.quality == ConsensusQuality::Crowdlab) {
                const double meanQuality = total > 0 ? qualitySum / total : kNaN;
                r.annotatorQuality[w] = weightShare * meanQuality + (1 - weightShare) * sharedAgreement;
            } else {
                r.annotatorQuality[w] = sharedAgreement;
            }
            r.worstClass[static_cast<std::size_t>(w)] = worstClass(c, w, r.consensusLabel, r.consensusQuality);
        }
    });
    progress.stage("CROWDLAB: done", 1.0);
    return r;
}

AggregationResult crowdlabAsAggregation(const Dataset& dataset, const CrowdlabResult& result,
                                        const nlohmann::json& params)
{
    AggregationResult r;
    r.strategy = "crowdlab";
    r.params = params;
    r.labels = result.consensusLabel;
    r.posteriors = result.posteriors;
    r.confusions = confusionsFromPosteriors(dataset, result.posteriors);
    r.classPriors = meanPosterior(result.posteriors, answeredItems(dataset));
    r.annotatorSkill = result.annotatorQuality;
    r.extra = {{"model_weight", result.modelWeight}};
    return r;
}

std::map<std::string, Eigen::VectorXd> crowdlabRunOutputs(const CrowdlabResult& result)
{
    return {{"consensus_quality", result.consensusQuality},
            {"annotator_agreement", result.annotatorAgreement},
            {"answer_quality", result.answerQuality}};
}

}  // namespace crowdsift
