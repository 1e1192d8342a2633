#include "analysis/triage.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crowdsift {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kRuleName = "triage rule";

std::string fixed(double value, int decimals)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string percent(double fraction)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f%%", fraction * 100.0);
    return buffer;
}

void requireFraction(double value, const char* key)
{
    if (!(value >= 0.0 && value <= 1.0))
        throw InputError(kRuleName, key, "must lie in [0, 1], got " + std::to_string(value));
}

}  // namespace

const char* triageName(Triage triage)
{
    switch (triage) {
    case Triage::Easy: return "easy";
    case Triage::NeedReview: return "need_review";
    case Triage::Hard: return "hard";
    }
    return "need_review";
}

TriageScale triageScaleOf(const nlohmann::json& json, const char* rule)
{
    if (!json.is_object())
        throw InputError(rule, "", "expected a JSON object, got " + json.dump());
    const auto it = json.find("scale");
    if (it == json.end() || *it == "posterior")
        return TriageScale::Posterior;
    if (*it == "rank")
        return TriageScale::Rank;
    throw InputError(rule, "scale", "expected \"posterior\" or \"rank\", got " + it->dump());
}

double ruleNumber(const nlohmann::json& value, const char* rule, const std::string& key)
{
    if (!value.is_number())
        throw InputError(rule, key, "expected a number, got " + value.dump());
    return value.get<double>();
}

const char* triageScaleName(TriageScale scale)
{
    return scale == TriageScale::Rank ? "rank" : "posterior";
}

TriageScale naturalTriageScale(const std::string& strategy)
{
    return strategy == "crowdlab" || strategy == "crowdlab-loop" ? TriageScale::Rank : TriageScale::Posterior;
}

TriageRule TriageRule::defaults(TriageScale scale)
{
    TriageRule rule;
    rule.scale = scale;
    if (scale == TriageScale::Rank) {
        rule.easyPosterior = 0.5;
        rule.hardPosterior = 0.1;
    }
    return rule;
}

void TriageRule::validate() const
{
    requireFraction(easyPosterior, "easy_posterior");
    requireFraction(easyAgreement, "easy_agreement");
    requireFraction(hardPosterior, "hard_posterior");
    requireFraction(hardAgreement, "hard_agreement");
    if (easyMinAnswers < 0)
        throw InputError(kRuleName, "easy_min_answers", "must not be negative, got " + std::to_string(easyMinAnswers));
    if (hardPosterior > easyPosterior)
        throw InputError(kRuleName, "hard_posterior",
                         "must not exceed easy_posterior (" + std::to_string(hardPosterior) + " > "
                             + std::to_string(easyPosterior) + ")");
    if (hardAgreement > easyAgreement)
        throw InputError(kRuleName, "hard_agreement",
                         "must not exceed easy_agreement (" + std::to_string(hardAgreement) + " > "
                             + std::to_string(easyAgreement) + ")");
}

std::string TriageRule::describe() const
{
    const bool rank = scale == TriageScale::Rank;
    std::string easy = rank ? "easy: posterior in the top " + percent(1.0 - easyPosterior) + " of the run"
                            : "easy: posterior >= " + fixed(easyPosterior, 2);
    easy += ", agreement >= " + percent(easyAgreement);
    if (easyMinAnswers > 0)
        easy += ", >= " + std::to_string(easyMinAnswers) + (easyMinAnswers == 1 ? " answer" : " answers");
    std::string hard = rank ? "hard: no consensus, or posterior in the lowest " + percent(hardPosterior)
                            : "hard: no consensus, or posterior < " + fixed(hardPosterior, 2);
    if (hardAgreement > 0)
        hard += ", or agreement < " + percent(hardAgreement);
    return easy + "; " + hard + "; need review: the rest";
}

nlohmann::json TriageRule::toJson() const
{
    return {{"scale", triageScaleName(scale)},
            {"easy_posterior", easyPosterior},
            {"easy_agreement", easyAgreement},
            {"easy_min_answers", easyMinAnswers},
            {"hard_posterior", hardPosterior},
            {"hard_agreement", hardAgreement}};
}

TriageRule TriageRule::fromJson(const nlohmann::json& json)
{
    const TriageScale scale = triageScaleOf(json, kRuleName);
    TriageRule rule = defaults(scale);
    for (const auto& [key, value] : json.items()) {
        if (key == "scale")
            continue;
        double* fraction = key == "easy_posterior"   ? &rule.easyPosterior
                           : key == "easy_agreement" ? &rule.easyAgreement
                           : key == "hard_posterior" ? &rule.hardPosterior
                           : key == "hard_agreement" ? &rule.hardAgreement
                                                     : nullptr;
        if (fraction) {
            *fraction = ruleNumber(value, kRuleName, key);
        } else if (key == "easy_min_answers") {
            if (!value.is_number_integer())
                throw InputError(kRuleName, key, "expected an integer, got " + value.dump());
            rule.easyMinAnswers = value.get<int>();
        } else {
            throw InputError(kRuleName, key,
                             "unknown setting; known: scale, easy_posterior, easy_agreement, easy_min_answers, "
                             "hard_posterior, hard_agreement");
        }
    }
    rule.validate();
    return rule;
}

bool TriageRule::operator==(const TriageRule& other) const
{
    return scale == other.scale && easyPosterior == other.easyPosterior && easyAgreement == other.easyAgreement
           && easyMinAnswers == other.easyMinAnswers && hardPosterior == other.hardPosterior
           && hardAgreement == other.hardAgreement;
}

std::vector<double> consensusAgreement(const Dataset& dataset, const std::vector<int>& labels)
{
    const int n = dataset.itemCount();
    if (static_cast<int>(labels.size()) != n)
        throw InputError("consensus agreement", "labels",
                         std::to_string(labels.size()) + " labels for " + std::to_string(n) + " items");
    std::vector<double> agreement(static_cast<std::size_t>(n), kNaN);
    for (int i = 0; i < n; ++i) {
        const int label = labels[static_cast<std::size_t>(i)];
        if (label < 0)
            continue;
        int usable = 0;
        int agree = 0;
        for (const Answers::Entry& e : dataset.answers.ofItem(i)) {
            if (e.complementary())
                continue;
            ++usable;
            agree += e.label == label;
        }
        if (usable > 0)
            agreement[static_cast<std::size_t>(i)] = static_cast<double>(agree) / usable;
    }
    return agreement;
}

TriageEvidence triageEvidence(const Dataset& dataset, const AggregationResult& result)
{
    const int n = dataset.itemCount();
    const int k = dataset.classCount();
    if (result.itemCount() != n || result.posteriors.rows() != n || result.classCount() != k)
        throw InputError("triage", result.strategy.empty() ? std::string("aggregation result") : result.strategy,
                         "the result covers " + std::to_string(result.itemCount()) + " items and "
                             + std::to_string(result.classCount()) + " classes, the dataset "
                             + std::to_string(n) + " items and " + std::to_string(k) + " classes");
    TriageEvidence evidence;
    evidence.labels = result.labels;
    evidence.agreement = consensusAgreement(dataset, result.labels);
    evidence.posterior.assign(static_cast<std::size_t>(n), kNaN);
    evidence.answers.assign(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
        const int label = result.labels[static_cast<std::size_t>(i)];
        if (label >= k)
            throw InputError("triage", "item " + std::to_string(i),
                             "label " + std::to_string(label) + " is outside the " + std::to_string(k) + " classes");
        if (label >= 0)
            evidence.posterior[static_cast<std::size_t>(i)] = result.posteriors(i, label);
        int usable = 0;
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            usable += !e.complementary();
        evidence.answers[static_cast<std::size_t>(i)] = usable;
    }
    evidence.rank = posteriorRanks(evidence.posterior);
    return evidence;
}

std::vector<double> posteriorRanks(const std::vector<double>& posterior)
{
    std::vector<std::size_t> order;
    order.reserve(posterior.size());
    for (std::size_t i = 0; i < posterior.size(); ++i)
        if (!std::isnan(posterior[i]))
            order.push_back(i);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return posterior[a] < posterior[b]; });
    std::vector<double> rank(posterior.size(), kNaN);
    const double count = static_cast<double>(order.size());
    for (std::size_t first = 0; first < order.size();) {
        std::size_t last = first + 1;
        while (last < order.size() && posterior[order[last]] == posterior[order[first]])
            ++last;
        // Items [first, last) share one value: first items lie below it, last - first on it.
        const double value = (static_cast<double>(first) + 0.5 * static_cast<double>(last - first)) / count;
        for (std::size_t j = first; j < last; ++j)
            rank[order[j]] = value;
        first = last;
    }
    return rank;
}

std::vector<Triage> triage(const TriageEvidence& evidence, const TriageRule& rule)
{
    rule.validate();
    const std::size_t n = evidence.labels.size();
    std::vector<double> computedRank;
    const std::vector<double>* score = &evidence.posterior;
    if (rule.scale == TriageScale::Rank) {
        if (evidence.rank.size() != n)
            computedRank = posteriorRanks(evidence.posterior);
        score = evidence.rank.size() == n ? &evidence.rank : &computedRank;
    }
    std::vector<Triage> out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = rule.classify(evidence.labels[i], (*score)[i], evidence.agreement[i], evidence.answers[i]);
    return out;
}

std::vector<Triage> triage(const Dataset& dataset, const AggregationResult& result, const TriageRule& rule)
{
    rule.validate();
    return triage(triageEvidence(dataset, result), rule);
}

std::vector<int> triageCounts(const std::vector<Triage>& categories)
{
    std::vector<int> counts(3, 0);
    for (Triage t : categories)
        ++counts[static_cast<std::size_t>(t)];
    return counts;
}

std::vector<int> reviewOrder(const TriageEvidence& evidence, std::vector<int> items)
{
    // NaN (no consensus) sorts as -1, below every probability.
    const auto key = [](double v) { return std::isnan(v) ? -1.0 : v; };
    std::sort(items.begin(), items.end(), [&](int a, int b) {
        const auto ia = static_cast<std::size_t>(a);
        const auto ib = static_cast<std::size_t>(b);
        const double pa = key(evidence.posterior[ia]);
        const double pb = key(evidence.posterior[ib]);
        if (pa != pb)
            return pa < pb;
        const double aa = key(evidence.agreement[ia]);
        const double ab = key(evidence.agreement[ib]);
        if (aa != ab)
            return aa < ab;
        return a < b;
    });
    return items;
}

}  // namespace crowdsift
