#include "analysis/trajectory_triage.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crowdsift {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTinyIqr = 1e-6;
const char* const kRuleName = "trajectory triage rule";

// Linear-interpolation quantile of sorted, non-empty `v`.
double sortedQuantile(const std::vector<double>& v, double q)
{
    const double x = q * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(x);
    if (i + 1 >= v.size())
        return v.back();
    const double f = x - static_cast<double>(i);
    return v[i] * (1.0 - f) + v[i + 1] * f;
}

double normalDensity(double x, double mean, double variance)
{
    const double d = x - mean;
    return std::exp(-0.5 * d * d / variance) / std::sqrt(2.0 * M_PI * variance);
}

// EM for a two-component 1-D Gaussian mixture on `x` (finite values), started at the median and
// the 95th percentile with the variance of the central half; returns each value's responsibility
// of the upper component (the one with the larger mean).
std::vector<double> upperResponsibility(const std::vector<double>& x)
{
    const std::size_t n = x.size();
    std::vector<double> r(n, 0.0);
    if (n < 2)
        return r;
    std::vector<double> sorted = x;
    std::sort(sorted.begin(), sorted.end());
    const double iqr = sortedQuantile(sorted, 0.75) - sortedQuantile(sorted, 0.25);
    double mean[2] = {sortedQuantile(sorted, 0.5), sortedQuantile(sorted, 0.95)};
    const double floorVariance = std::max(1e-12, 1e-6 * iqr * iqr);
    double variance[2] = {std::max(floorVariance, iqr * iqr / 1.82), std::max(floorVariance, iqr * iqr / 1.82)};
    double weight[2] = {0.9, 0.1};
    if (mean[1] <= mean[0])
        return r;  // no upper tail at all: nothing is noisy
    double previous = -std::numeric_limits<double>::infinity();
    for (int iteration = 0; iteration < 500; ++iteration) {
        double logLikelihood = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double a = weight[0] * normalDensity(x[i], mean[0], variance[0]);
            const double b = weight[1] * normalDensity(x[i], mean[1], variance[1]);
            const double total = a + b;
            r[i] = total > 0.0 ? b / total : (x[i] > mean[1] ? 1.0 : 0.0);
            logLikelihood += std::log(std::max(total, 1e-300));
        }
        double s[2] = {0, 0}, m[2] = {0, 0};
        for (std::size_t i = 0; i < n; ++i) {
            s[1] += r[i];
            s[0] += 1.0 - r[i];
            m[1] += r[i] * x[i];
            m[0] += (1.0 - r[i]) * x[i];
        }
        if (s[0] <= 0.0 || s[1] <= 0.0)
            break;
        for (int k = 0; k < 2; ++k) {
            mean[k] = m[k] / s[k];
            weight[k] = s[k] / static_cast<double>(n);
        }
        double v[2] = {0, 0};
        for (std::size_t i = 0; i < n; ++i) {
            v[1] += r[i] * (x[i] - mean[1]) * (x[i] - mean[1]);
            v[0] += (1.0 - r[i]) * (x[i] - mean[0]) * (x[i] - mean[0]);
        }
        for (int k = 0; k < 2; ++k)
            variance[k] = std::max(floorVariance, v[k] / s[k]);
        if (logLikelihood - previous < 1e-9 * std::abs(logLikelihood))
            break;
        previous = logLikelihood;
    }
    if (mean[1] < mean[0])
        for (double& value : r)
            value = 1.0 - value;
    return r;
}

std::string oneDecimal(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

}  // namespace

TrajectoryTriageRule TrajectoryTriageRule::defaults(TriageScale scale)
{
    TrajectoryTriageRule rule;
    rule.scale = scale;
    if (scale == TriageScale::Rank)
        rule.easyPosterior = 0.5;
    return rule;
}

void TrajectoryTriageRule::validate() const
{
    if (!(window > 0.0 && window <= 1.0))
        throw InputError(kRuleName, "window", "must lie in (0, 1], got " + std::to_string(window));
    if (!std::isfinite(easySpread))
        throw InputError(kRuleName, "easy_spread", "must be a finite number");
    if (!std::isfinite(hardSpread) || !(hardSpread > easySpread))
        throw InputError(kRuleName, "hard_spread",
                         "must exceed easy_spread (" + std::to_string(hardSpread) + " <= " + std::to_string(easySpread)
                             + ")");
    if (!(easyPosterior >= 0.0 && easyPosterior <= 1.0))
        throw InputError(kRuleName, "easy_posterior", "must lie in [0, 1], got " + std::to_string(easyPosterior));
}

std::string TrajectoryTriageRule::describe() const
{
    char window_[32];
    std::snprintf(window_, sizeof window_, "%.0f%%", window * 100.0);
    std::string easy = "easy: spread <= " + oneDecimal(easySpread) + " class IQR";
    if (useCrowd) {
        char score[64];
        if (scale == TriageScale::Rank)
            std::snprintf(score, sizeof score, " and posterior in the top %.0f%% of the run", (1.0 - easyPosterior) * 100.0);
        else
            std::snprintf(score, sizeof score, " and posterior >= %.2f", easyPosterior);
        easy += score;
    }
    return std::string("reads the first ") + window_ + " of the epochs; " + easy + "; hard: no label, or spread >= "
           + oneDecimal(hardSpread) + "; need review: the rest";
}

nlohmann::json TrajectoryTriageRule::toJson() const
{
    return {{"window", window},
            {"easy_spread", easySpread},
            {"hard_spread", hardSpread},
            {"use_crowd", useCrowd},
            {"scale", triageScaleName(scale)},
            {"easy_posterior", easyPosterior}};
}

TrajectoryTriageRule TrajectoryTriageRule::fromJson(const nlohmann::json& json)
{
    TrajectoryTriageRule rule = defaults(triageScaleOf(json, kRuleName));
    for (const auto& [key, value] : json.items()) {
        if (key == "scale")
            continue;
        double* number = key == "window"           ? &rule.window
                         : key == "easy_spread"    ? &rule.easySpread
                         : key == "hard_spread"    ? &rule.hardSpread
                         : key == "easy_posterior" ? &rule.easyPosterior
                                                   : nullptr;
        if (number) {
            *number = ruleNumber(value, kRuleName, key);
        } else if (key == "use_crowd") {
            if (!value.is_boolean())
                throw InputError(kRuleName, key, "expected true or false, got " + value.dump());
            rule.useCrowd = value.get<bool>();
        } else {
            throw InputError(kRuleName, key,
                             "unknown setting; known: window, easy_spread, hard_spread, use_crowd, scale, "
                             "easy_posterior");
        }
    }
    rule.validate();
    return rule;
}

bool TrajectoryTriageRule::operator==(const TrajectoryTriageRule& other) const
{
    return window == other.window && easySpread == other.easySpread && hardSpread == other.hardSpread
           && useCrowd == other.useCrowd && scale == other.scale && easyPosterior == other.easyPosterior;
}

int windowEpochs(double window, std::size_t epochs)
{
    const double read = std::ceil(window * static_cast<double>(epochs) - 1e-9);
    return static_cast<int>(std::clamp(read, 1.0, static_cast<double>(std::max<std::size_t>(epochs, 1))));
}

namespace {

void checkTrajectory(const std::vector<float>& sigma, std::size_t epochs, const std::vector<int>& labels,
                     int classes, const char* what)
{
    if (epochs == 0)
        throw InputError(what, "sigma_instance", "the trajectory has no epochs");
    if (sigma.size() != labels.size() * epochs)
        throw InputError(what, "sigma_instance",
                         std::to_string(sigma.size()) + " values for " + std::to_string(labels.size()) + " items x "
                             + std::to_string(epochs) + " epochs");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= classes)
            throw InputError(what, "item " + std::to_string(i),
                             "label " + std::to_string(labels[i]) + " is outside the " + std::to_string(classes)
                                 + " classes");
}

// Items of each class with a finite first sigma (trained on).
std::vector<std::vector<std::size_t>> itemsByClass(const std::vector<float>& sigma, std::size_t epochs,
                                                   const std::vector<int>& labels, int classes)
{
    std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(std::max(classes, 0)));
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= 0 && std::isfinite(sigma[i * epochs]))
            members[static_cast<std::size_t>(labels[i])].push_back(i);
    return members;
}

}  // namespace

TrajectoryScores trajectoryScores(const std::vector<float>& sigma, std::size_t epochs, const std::vector<int>& labels,
                                  int classes, double window)
{
    checkTrajectory(sigma, epochs, labels, classes, "trajectory triage");
    if (!(window > 0.0 && window <= 1.0))
        throw InputError(kRuleName, "window", "must lie in (0, 1], got " + std::to_string(window));
    const std::size_t n = labels.size();
    TrajectoryScores scores;
    scores.epochsRead = windowEpochs(window, epochs);
    scores.labels.assign(n, -1);
    scores.level.assign(n, kNaN);
    scores.spread.assign(n, kNaN);
    scores.noisyProbability.assign(n, kNaN);
    const auto read = static_cast<std::size_t>(scores.epochsRead);
    std::vector<double> spreads;
    std::vector<std::size_t> scored;
    for (const std::vector<std::size_t>& members : itemsByClass(sigma, epochs, labels, classes)) {
        if (members.empty())
            continue;
        std::vector<double> levels;
        levels.reserve(members.size());
        for (std::size_t i : members) {
            double sum = 0.0;
            for (std::size_t e = 0; e < read; ++e)
                sum += std::log(std::max(static_cast<double>(sigma[i * epochs + e]), 1e-30));
            scores.labels[i] = labels[i];
            scores.level[i] = sum / static_cast<double>(read);
            levels.push_back(scores.level[i]);
        }
        std::sort(levels.begin(), levels.end());
        const double median = sortedQuantile(levels, 0.5);
        const double iqr = std::max(kTinyIqr, sortedQuantile(levels, 0.75) - sortedQuantile(levels, 0.25));
        for (std::size_t i : members) {
            scores.spread[i] = (scores.level[i] - median) / iqr;
            spreads.push_back(scores.spread[i]);
            scored.push_back(i);
        }
    }
    const std::vector<double> upper = upperResponsibility(spreads);
    for (std::size_t j = 0; j < scored.size(); ++j)
        scores.noisyProbability[scored[j]] = upper[j];
    return scores;
}

std::vector<Triage> trajectoryTriage(const TrajectoryScores& scores, const TriageEvidence* crowd,
                                     const TrajectoryTriageRule& rule)
{
    rule.validate();
    const std::size_t n = scores.labels.size();
    if (crowd && crowd->labels.size() != n)
        throw InputError("trajectory triage", "crowd evidence",
                         std::to_string(crowd->labels.size()) + " items, the trajectories " + std::to_string(n));
    const bool useCrowd = crowd && rule.useCrowd;
    std::vector<double> computedRank;
    const std::vector<double>* crowdScore = nullptr;
    if (useCrowd) {
        crowdScore = &crowd->posterior;
        if (rule.scale == TriageScale::Rank) {
            if (crowd->rank.size() != n)
                computedRank = posteriorRanks(crowd->posterior);
            crowdScore = crowd->rank.size() == n ? &crowd->rank : &computedRank;
        }
    }
    std::vector<Triage> out(n, Triage::NeedReview);
    for (std::size_t i = 0; i < n; ++i) {
        const double spread = scores.spread[i];
        if (scores.labels[i] < 0 || (useCrowd && crowd->labels[i] < 0) || !(spread < rule.hardSpread))
            out[i] = Triage::Hard;
        else if (spread <= rule.easySpread && (!useCrowd || (*crowdScore)[i] >= rule.easyPosterior))
            out[i] = Triage::Easy;
    }
    return out;
}

std::vector<double> wrongProbability(const TrajectoryScores& scores, const TriageEvidence* crowd)
{
    const std::size_t n = scores.labels.size();
    if (crowd && crowd->labels.size() != n)
        throw InputError("trajectory triage", "crowd evidence",
                         std::to_string(crowd->labels.size()) + " items, the trajectories " + std::to_string(n));
    std::vector<double> p(n, kNaN);
    for (std::size_t i = 0; i < n; ++i) {
        if (scores.labels[i] < 0)
            continue;
        const double trajectory = scores.noisyProbability[i];
        if (crowd && crowd->labels[i] >= 0 && std::isfinite(crowd->posterior[i]))
            p[i] = 0.5 * (trajectory + (1.0 - crowd->posterior[i]));
        else
            p[i] = trajectory;
    }
    return p;
}

std::vector<BandEstimate> bandEstimates(const std::vector<Triage>& categories, const std::vector<double>& probability)
{
    if (categories.size() != probability.size())
        throw InputError("trajectory triage", "band estimates",
                         std::to_string(categories.size()) + " categories, " + std::to_string(probability.size())
                             + " probabilities");
    std::vector<BandEstimate> bands(3);
    std::vector<double> sum(3, 0.0);
    std::vector<int> counted(3, 0);
    for (std::size_t i = 0; i < categories.size(); ++i) {
        const auto b = static_cast<std::size_t>(categories[i]);
        ++bands[b].count;
        if (std::isfinite(probability[i])) {
            sum[b] += probability[i];
            ++counted[b];
        }
    }
    for (std::size_t b = 0; b < 3; ++b)
        bands[b].estimatedWrong = counted[b] > 0 ? sum[b] / counted[b] : kNaN;
    return bands;
}

std::vector<int> trajectoryReviewOrder(const TrajectoryScores& scores, std::vector<int> items)
{
    const auto key = [&](int i) {
        const double s = scores.spread[static_cast<std::size_t>(i)];
        return std::isnan(s) ? std::numeric_limits<double>::infinity() : s;
    };
    std::sort(items.begin(), items.end(), [&](int a, int b) {
        const double ka = key(a);
        const double kb = key(b);
        if (ka != kb)
            return ka > kb;
        return a < b;
    });
    return items;
}

ClassSigmaQuartiles classSigmaQuartiles(const std::vector<float>& sigma, std::size_t epochs,
                                        const std::vector<int>& labels, int classes)
{
    checkTrajectory(sigma, epochs, labels, classes, "class sigma quartiles");
    ClassSigmaQuartiles out;
    out.epochs = epochs;
    const std::size_t cells = static_cast<std::size_t>(std::max(classes, 0)) * epochs;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    out.q25.assign(cells, nan);
    out.median.assign(cells, nan);
    out.q75.assign(cells, nan);
    const std::vector<std::vector<std::size_t>> members = itemsByClass(sigma, epochs, labels, classes);
    std::vector<double> column;
    for (std::size_t c = 0; c < members.size(); ++c) {
        if (members[c].empty())
            continue;
        for (std::size_t e = 0; e < epochs; ++e) {
            column.clear();
            for (std::size_t i : members[c])
                column.push_back(sigma[i * epochs + e]);
            std::sort(column.begin(), column.end());
            out.q25[c * epochs + e] = static_cast<float>(sortedQuantile(column, 0.25));
            out.median[c * epochs + e] = static_cast<float>(sortedQuantile(column, 0.5));
            out.q75[c * epochs + e] = static_cast<float>(sortedQuantile(column, 0.75));
        }
    }
    return out;
}

}  // namespace crowdsift
