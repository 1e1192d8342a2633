#include "aggregate/chooser.h"

#include "aggregate/common.h"
#include "aggregate/heldout.h"
#include "aggregate/registry.h"
#include "util/error.h"
#include "util/json.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace crowdsift {

namespace {

constexpr double kFloor = 1e-6;
constexpr const char* kDefaultCandidate = "ds-prior";

// Per annotator of `train`: P(given | true) as K x K, [true][given], with the pooled model for
// annotators without answers. GLAD is handled apart (its model depends on the item too).
std::vector<Eigen::MatrixXd> annotatorModels(const std::string& strategy, const Dataset& train,
                                             const AggregationResult& r)
{
    const int m = train.annotatorCount();
    const int k = train.classCount();
    std::vector<Eigen::MatrixXd> models(static_cast<std::size_t>(m));
    if (strategy == "mv") {
        std::int64_t agree = 0;
        std::int64_t total = 0;
        for (int i = 0; i < train.itemCount(); ++i)
            for (const Answers::Entry& e : train.answers.ofItem(i))
                if (!e.complementary()) {
                    ++total;
                    agree += e.label == r.labels[static_cast<std::size_t>(i)];
                }
        const double a = std::clamp((static_cast<double>(agree) + 1) / (static_cast<double>(total) + 2),
                                    1.0 / k + 1e-6, 1 - 1e-6);
        Eigen::MatrixXd symmetric = Eigen::MatrixXd::Constant(k, k, (1 - a) / (k - 1));
        symmetric.diagonal().setConstant(a);
        std::fill(models.begin(), models.end(), symmetric);
        return models;
    }
    Eigen::MatrixXd pooled = Eigen::MatrixXd::Zero(k, k);
    double weight = 0;
    for (int w = 0; w < m; ++w) {
        const int n = train.answers.countOfAnnotator(w);
        if (n == 0 || static_cast<std::size_t>(w) >= r.confusions.size())
            continue;
        models[static_cast<std::size_t>(w)] = r.confusions[static_cast<std::size_t>(w)];
        pooled += n * r.confusions[static_cast<std::size_t>(w)];
        weight += n;
    }
    pooled = weight > 0 ? Eigen::MatrixXd(pooled / weight) : Eigen::MatrixXd::Constant(k, k, 1.0 / k);
    for (int w = 0; w < m; ++w)
        if (train.answers.countOfAnnotator(w) == 0 || models[static_cast<std::size_t>(w)].size() == 0)
            models[static_cast<std::size_t>(w)] = pooled;
    return models;
}

// log sigmoid(x), stable for large |x|.
double logSigmoid(double x)
{
    return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

// The joint weights of (beta on its grid, class) given an item's training answers under GLAD,
// normalised; gladPredictive() in two steps, so that an item's held-out answers share one joint.
class GladItem {
public:
    static constexpr int kPoints = 241;  // beta on 1 +- 6, step 0.05

    GladItem(int k, const std::vector<double>& alphas, const std::vector<int>& labels)
        : k_(k), scale_(kPoints), weight_(static_cast<std::size_t>(kPoints) * k)
    {
        const double logWrongShare = std::log(static_cast<double>(k - 1));
        for (int g = 0; g < kPoints; ++g) {
            const double beta = 1.0 + 12.0 * g / (kPoints - 1) - 6.0;
            scale_[static_cast<std::size_t>(g)] = std::exp(beta);
            for (int t = 0; t < k; ++t)
                weight_[static_cast<std::size_t>(g) * k + t] = -0.5 * (beta - 1.0) * (beta - 1.0);
        }
        for (std::size_t a = 0; a < alphas.size(); ++a)
            for (int g = 0; g < kPoints; ++g) {
                const double x = alphas[a] * scale_[static_cast<std::size_t>(g)];
                const double right = logSigmoid(x);
                const double wrong = logSigmoid(-x) - logWrongShare;
                for (int t = 0; t < k; ++t)
                    weight_[static_cast<std::size_t>(g) * k + t] += t == labels[a] ? right : wrong;
            }
        const double top = *std::max_element(weight_.begin(), weight_.end());
        double norm = 0;
        for (double& w : weight_)
            norm += w = std::exp(w - top);
        for (double& w : weight_)
            w /= norm;
    }

    double predictive(double alpha, int label) const
    {
        double prob = 0;
        for (int g = 0; g < kPoints; ++g) {
            const double right = std::exp(logSigmoid(alpha * scale_[static_cast<std::size_t>(g)]));
            const double wrong = (1 - right) / (k_ - 1);
            for (int t = 0; t < k_; ++t)
                prob += weight_[static_cast<std::size_t>(g) * k_ + t] * (t == label ? right : wrong);
        }
        return prob;
    }

private:
    int k_;
    std::vector<double> scale_;
    std::vector<double> weight_;  // kPoints x K
};

double gladItemHeldOut(const Dataset& full, const std::vector<int>& fold, int f, int i, const Dataset& train,
                       const AggregationResult& r, double pooledAlpha, std::int64_t& count)
{
    const auto alphaOf = [&](int w) { return train.answers.countOfAnnotator(w) > 0 ? r.annotatorSkill[w] : pooledAlpha; };
    std::vector<double> alphas;
    std::vector<int> labels;
    const std::int64_t begin = full.answers.itemOffsets()[static_cast<std::size_t>(i)];
    const std::int64_t end = full.answers.itemOffsets()[static_cast<std::size_t>(i) + 1];
    for (std::int64_t p = begin; p < end; ++p) {
        if (fold[static_cast<std::size_t>(p)] == f || fold[static_cast<std::size_t>(p)] < 0)
            continue;
        const Answers::Entry& e = full.answers.byItem()[static_cast<std::size_t>(p)];
        alphas.push_back(alphaOf(e.other));
        labels.push_back(e.label);
    }
    double sum = 0;
    std::optional<GladItem> item;
    for (std::int64_t p = begin; p < end; ++p) {
        if (fold[static_cast<std::size_t>(p)] != f)
            continue;
        if (!item)
            item.emplace(full.classCount(), alphas, labels);
        const Answers::Entry& e = full.answers.byItem()[static_cast<std::size_t>(p)];
        const double prob = item->predictive(alphaOf(e.other), e.label);
        sum += std::log(std::max(prob, kFloor));
        ++count;
    }
    return sum;
}

// Adds log P(label) of each held-out answer (fold `f`) under the fit `r` on `train` to its item's
// entry of `perItem`; returns their sum.
double heldOutLogLikelihood(const std::string& strategy, const Dataset& full, const std::vector<int>& fold, int f,
                            const Dataset& train, const AggregationResult& r, std::int64_t& count,
                            std::vector<double>& perItem)
{
    const int k = full.classCount();
    if (strategy == "glad") {
        double pooledAlpha = 0;
        double weight = 0;
        for (int w = 0; w < train.annotatorCount(); ++w) {
            const int n = train.answers.countOfAnnotator(w);
            if (n > 0) {
                pooledAlpha += n * r.annotatorSkill[w];
                weight += n;
            }
        }
        pooledAlpha = weight > 0 ? pooledAlpha / weight : 1.0;
        double sum = 0;
        for (int i = 0; i < full.itemCount(); ++i) {
            const double item = gladItemHeldOut(full, fold, f, i, train, r, pooledAlpha, count);
            perItem[static_cast<std::size_t>(i)] += item;
            sum += item;
        }
        return sum;
    }
    const std::vector<Eigen::MatrixXd> models = annotatorModels(strategy, train, r);
    double sum = 0;
    for (int i = 0; i < full.itemCount(); ++i) {
        for (std::int64_t p = full.answers.itemOffsets()[static_cast<std::size_t>(i)];
             p < full.answers.itemOffsets()[static_cast<std::size_t>(i) + 1]; ++p) {
            if (fold[static_cast<std::size_t>(p)] != f)
                continue;
            const Answers::Entry& e = full.answers.byItem()[static_cast<std::size_t>(p)];
            const Eigen::MatrixXd& c = models[static_cast<std::size_t>(e.other)];
            double prob = 0;
            for (int t = 0; t < k; ++t)
                prob += r.posteriors(i, t) * c(t, e.label);
            const double logProb = std::log(std::max(prob, kFloor));
            perItem[static_cast<std::size_t>(i)] += logProb;
            sum += logProb;
            ++count;
        }
    }
    return sum;
}

// Items whose usable answers (at least two) all name one class: that class, else -1.
std::vector<int> unanimousLabels(const Dataset& d)
{
    std::vector<int> out(static_cast<std::size_t>(d.itemCount()), -1);
    for (int i = 0; i < d.itemCount(); ++i) {
        int label = -1;
        int n = 0;
        bool same = true;
        for (const Answers::Entry& e : d.answers.ofItem(i)) {
            if (e.complementary())
                continue;
            if (n++ == 0)
                label = e.label;
            else if (e.label != label)
                same = false;
        }
        if (n >= 2 && same)
            out[static_cast<std::size_t>(i)] = label;
    }
    return out;
}

}  // namespace

double pairedStandardErrors(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& answersOf)
{
    double diff = 0;
    double answers = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff += a[i] - b[i];
        answers += answersOf[i];
    }
    if (answers == 0)
        return 0;
    const double mean = diff / answers;
    double spread = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = a[i] - b[i] - mean * answersOf[i];
        spread += d * d;
    }
    const double se = std::sqrt(spread) / answers;
    if (se == 0)
        return mean == 0 ? 0 : std::copysign(INFINITY, mean);
    return mean / se;
}

double gladPredictive(int k, const std::vector<double>& alphas, const std::vector<int>& labels, double alpha, int label)
{
    return GladItem(k, alphas, labels).predictive(alpha, label);
}

CandidateSpec parseCandidate(const std::string& candidate)
{
    CandidateSpec spec;
    spec.params = nlohmann::json::object();
    const std::size_t colon = candidate.find(':');
    spec.strategy = candidate.substr(0, colon);
    std::size_t at = colon;
    while (at != std::string::npos) {
        const std::size_t next = candidate.find(':', at + 1);
        const std::string part = candidate.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
        const std::size_t eq = part.find('=');
        if (eq == std::string::npos || eq == 0)
            throw InputError("auto", candidate, "candidate parameter '" + part + "' is not key=value");
        nlohmann::json value = nlohmann::json::parse(part.substr(eq + 1), nullptr, false);
        if (value.is_discarded())
            value = part.substr(eq + 1);
        spec.params[part.substr(0, eq)] = value;
        at = next;
    }
    strategyInfo(spec.strategy);  // throws for an unknown strategy
    AggregationParams::fromJson(spec.params);  // throws for an unknown key or a bad value
    return spec;
}

const std::vector<std::string>& chooserCandidates()
{
    static const std::vector<std::string> names = {"mv", "ds", "ds-prior", "cc-ds", "one-coin-ds", "wds", "glad", "mace"};
    return names;
}

nlohmann::json ChooserReport::toJson() const
{
    nlohmann::json scoresJson = nlohmann::json::object();
    nlohmann::json disagreement = nlohmann::json::object();
    nlohmann::json excluded = nlohmann::json::object();
    nlohmann::json names = nlohmann::json::array();
    nlohmann::json z = nlohmann::json::object();
    for (const CandidateScore& s : scores) {
        names.push_back(s.strategy);
        z[s.strategy] = finiteOrNull(s.zOverDefault);
        scoresJson[s.strategy] = s.heldOutLogLikelihood;
        disagreement[s.strategy] = s.unanimousDisagreement;
        if (s.excluded)
            excluded[s.strategy] = s.reason;
    }
    return {{"chosen", chosen},
            {"candidates", names},
            {"folds", folds},
            {"seed", seed},
            {"held_out_log_likelihood", scoresJson},
            {"unanimous_disagreement", disagreement},
            {"excluded", excluded},
            {"default", defaultCandidate.empty() ? nlohmann::json() : nlohmann::json(defaultCandidate)},
            {"margin", margin},
            {"z_over_default", z}};
}

ChooserReport chooseStrategy(const Dataset& dataset, const AggregationParams& params, AggregationResult& result,
                             Progress& progress, const std::vector<std::string>& candidates)
{
    checkAggregationInput(dataset, "auto", 2);
    if (candidates.empty())
        throw InputError("auto", "", "no candidate strategies");
    ChooserReport report;
    report.folds = std::max(params.folds, 2);
    report.seed = params.seed;
    std::vector<CandidateSpec> specs;
    for (const std::string& c : candidates) {
        specs.push_back(parseCandidate(c));
        specs.back().params["threads"] = params.threads;
    }
    const nlohmann::json threads = {{"threads", params.threads}};
    const std::vector<int> fold = answerFolds(dataset.answers, report.folds, params.seed);

    std::vector<double> sums(candidates.size(), 0.0);
    std::vector<std::int64_t> counts(candidates.size(), 0);
    std::vector<std::vector<double>> perItem(candidates.size(),
                                             std::vector<double>(static_cast<std::size_t>(dataset.itemCount()), 0.0));
    const double steps = static_cast<double>(candidates.size()) * (report.folds + 1);
    for (int f = 0; f < report.folds; ++f) {
        const Dataset train = withoutFold(dataset, fold, f);
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            progress.step(static_cast<double>(f * candidates.size() + c), steps,
                          "auto: fold " + std::to_string(f + 1) + " of " + std::to_string(report.folds) + ", "
                              + candidates[c]);
            const AggregationResult r = aggregate(specs[c].strategy, train, specs[c].params, Progress::none());
            progress.check();
            sums[c] += heldOutLogLikelihood(specs[c].strategy, dataset, fold, f, train, r, counts[c], perItem[c]);
        }
    }

    const std::vector<int> unanimous = unanimousLabels(dataset);
    std::vector<AggregationResult> fits(candidates.size());
    int best = -1;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        progress.step(static_cast<double>(report.folds * candidates.size() + c), steps,
                      "auto: " + candidates[c] + " on all answers");
        fits[c] = aggregate(specs[c].strategy, dataset, specs[c].params, Progress::none());
        progress.check();
        CandidateScore s;
        s.strategy = candidates[c];
        s.heldOutAnswers = counts[c];
        s.heldOutLogLikelihood = counts[c] > 0 ? sums[c] / static_cast<double>(counts[c]) : -INFINITY;
        std::int64_t items = 0;
        std::int64_t differ = 0;
        for (std::size_t i = 0; i < unanimous.size(); ++i)
            if (unanimous[i] >= 0) {
                ++items;
                differ += fits[c].labels[i] != unanimous[i];
            }
        s.unanimousDisagreement = items > 0 ? static_cast<double>(differ) / static_cast<double>(items) : 0.0;
        if (s.unanimousDisagreement > 0.5) {
            s.excluded = true;
            s.reason = "disagrees with the unanimous vote on most unanimous items";
        } else if (!std::isfinite(s.heldOutLogLikelihood)) {
            s.excluded = true;
            s.reason = "no finite held-out likelihood";
        }
        if (!s.excluded && (best < 0 || s.heldOutLogLikelihood > report.scores[static_cast<std::size_t>(best)].heldOutLogLikelihood))
            best = static_cast<int>(c);
        report.scores.push_back(s);
    }
    const auto kept = std::find(candidates.begin(), candidates.end(), kDefaultCandidate);
    if (kept != candidates.end() && !report.scores[static_cast<std::size_t>(kept - candidates.begin())].excluded
        && params.margin > 0) {
        const std::size_t d = static_cast<std::size_t>(kept - candidates.begin());
        report.defaultCandidate = candidates[d];
        report.margin = params.margin;
        best = static_cast<int>(d);
        std::vector<double> heldOut(static_cast<std::size_t>(dataset.itemCount()), 0.0);
        for (int i = 0; i < dataset.itemCount(); ++i)
            for (std::int64_t p = dataset.answers.itemOffsets()[static_cast<std::size_t>(i)];
                 p < dataset.answers.itemOffsets()[static_cast<std::size_t>(i) + 1]; ++p)
                heldOut[static_cast<std::size_t>(i)] += fold[static_cast<std::size_t>(p)] >= 0;
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            CandidateScore& s = report.scores[c];
            s.zOverDefault = c == d ? 0.0 : pairedStandardErrors(perItem[c], perItem[d], heldOut);
            if (!s.excluded && c != d && s.zOverDefault > params.margin
                && s.heldOutLogLikelihood > report.scores[static_cast<std::size_t>(best)].heldOutLogLikelihood)
                best = static_cast<int>(c);
        }
    }
    if (best < 0) {
        // Every candidate was excluded: majority vote, the one that cannot contradict the votes.
        const auto mv = std::find(candidates.begin(), candidates.end(), "mv");
        best = mv != candidates.end() ? static_cast<int>(mv - candidates.begin()) : 0;
        if (mv == candidates.end())
            fits[static_cast<std::size_t>(best)] = aggregate("mv", dataset, threads, Progress::none());
    }
    report.chosen = candidates[static_cast<std::size_t>(best)];
    result = std::move(fits[static_cast<std::size_t>(best)]);
    progress.step(steps, steps, "auto: chose " + report.chosen);
    return report;
}

AggregationResult autoAggregate(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    AggregationResult r;
    const ChooserReport report = chooseStrategy(dataset, params, r, progress);
    const nlohmann::json chosenParams = r.params;
    r.params = {{"chosen", report.chosen}, {"folds", report.folds}, {"seed", report.seed},
                {"threads", params.threads}, {"chosen_params", chosenParams}};
    if (!r.extra.is_object())
        r.extra = nlohmann::json::object();
    r.extra["chooser"] = report.toJson();
    return r;
}

}  // namespace crowdsift
