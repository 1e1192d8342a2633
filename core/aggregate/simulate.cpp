#include "aggregate/simulate.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace crowdsift {

namespace {

// Uniform in [0, 1) from 53 raw bits, the same on every standard library.
double uniform(std::mt19937_64& g)
{
    return static_cast<double>(g() >> 11) * (1.0 / 9007199254740992.0);
}

// Standard normal by Box-Muller from uniform().
double normal(std::mt19937_64& g)
{
    const double u = 1.0 - uniform(g);
    const double v = uniform(g);
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

int drawFrom(const std::vector<double>& cumulative, std::mt19937_64& g)
{
    const double u = uniform(g) * cumulative.back();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    return std::min(static_cast<int>(it - cumulative.begin()), static_cast<int>(cumulative.size()) - 1);
}

// Dirichlet(1, ..., 1) over K entries, entry `skip` (if >= 0) forced to 0; as a cumulative table.
std::vector<double> randomCumulative(int k, int skip, std::mt19937_64& g)
{
    std::vector<double> c(static_cast<std::size_t>(k));
    double total = 0;
    for (int l = 0; l < k; ++l) {
        total += l == skip ? 0.0 : -std::log(1.0 - uniform(g));
        c[static_cast<std::size_t>(l)] = total;
    }
    return c;
}

}  // namespace

Dataset simulateCrowd(const CrowdSpec& spec)
{
    const int n = spec.items;
    const int m = spec.annotators;
    const int k = spec.classes;
    if (n < 1 || m < 1 || k < 2 || spec.answersPerItem < 1 || spec.answersPerItem > m)
        throw std::invalid_argument("simulateCrowd: need items >= 1, classes >= 2, 1 <= answersPerItem <= annotators");
    std::mt19937_64 g(spec.seed);

    std::vector<double> priors = spec.classPriors;
    if (priors.empty())
        priors.assign(static_cast<std::size_t>(k), 1.0);
    std::vector<double> priorCumulative(priors.size());
    double sum = 0;
    for (std::size_t c = 0; c < priors.size(); ++c)
        priorCumulative[c] = sum += priors[c];

    std::vector<double> workload(static_cast<std::size_t>(m));
    sum = 0;
    for (int j = 0; j < m; ++j)
        workload[static_cast<std::size_t>(j)] = sum += std::pow(static_cast<double>(j + 1), -spec.workloadSkew);

    // Per annotator: accuracy per true class (a single value repeated for one-coin models), the
    // error distributions per true class, a spammer flag.
    const auto accuracyDraw = [&] { return spec.accuracyLow + (spec.accuracyHigh - spec.accuracyLow) * uniform(g); };
    std::vector<std::vector<double>> accuracy(static_cast<std::size_t>(m));
    std::vector<std::vector<std::vector<double>>> errors(static_cast<std::size_t>(m));
    std::vector<char> spammer(static_cast<std::size_t>(m), 0);
    for (int j = 0; j < m; ++j) {
        auto& a = accuracy[static_cast<std::size_t>(j)];
        auto& e = errors[static_cast<std::size_t>(j)];
        spammer[static_cast<std::size_t>(j)] = uniform(g) < spec.spammerShare;
        if (spec.model == CrowdModel::Confusion) {
            for (int t = 0; t < k; ++t) {
                a.push_back(accuracyDraw());
                e.push_back(randomCumulative(k, t, g));
            }
        } else {
            a.assign(static_cast<std::size_t>(k), accuracyDraw());
            if (spec.model == CrowdModel::Mace)
                e.assign(static_cast<std::size_t>(k), randomCumulative(k, -1, g));
            else
                for (int t = 0; t < k; ++t) {
                    std::vector<double> c(static_cast<std::size_t>(k));
                    double total = 0;
                    for (int l = 0; l < k; ++l)
                        c[static_cast<std::size_t>(l)] = total += l == t ? 0.0 : 1.0;
                    e.push_back(c);
                }
        }
    }
    std::vector<double> alpha(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) {
        const double a = std::clamp(accuracy[static_cast<std::size_t>(j)][0], 1e-3, 1 - 1e-3);
        alpha[static_cast<std::size_t>(j)] = std::log(a / (1 - a));
    }
    std::vector<double> uniformCumulative(static_cast<std::size_t>(k));
    for (int l = 0; l < k; ++l)
        uniformCumulative[static_cast<std::size_t>(l)] = l + 1.0;

    Dataset d;
    d.name = spec.name;
    d.source = "simulated";
    d.format = "simulated";
    for (int c = 0; c < k; ++c)
        d.classNames.push_back("c" + std::to_string(c));
    for (int i = 0; i < n; ++i)
        d.itemKeys.push_back(std::to_string(i));
    d.splits.assign(static_cast<std::size_t>(n), Split::Train);
    d.imagePaths.assign(static_cast<std::size_t>(n), "");
    for (int j = 0; j < m; ++j)
        d.annotatorIds.push_back("w" + std::to_string(j));
    d.truth.resize(static_cast<std::size_t>(n));

    std::vector<Answer> triplets;
    triplets.reserve(static_cast<std::size_t>(n) * spec.answersPerItem);
    std::vector<int> chosen;
    for (int i = 0; i < n; ++i) {
        const int truth = drawFrom(priorCumulative, g);
        d.truth[static_cast<std::size_t>(i)] = truth;
        const double beta = spec.difficultySpread * normal(g);
        chosen.clear();
        while (static_cast<int>(chosen.size()) < spec.answersPerItem) {
            const int j = drawFrom(workload, g);
            if (std::find(chosen.begin(), chosen.end(), j) == chosen.end())
                chosen.push_back(j);
        }
        for (int j : chosen) {
            const auto js = static_cast<std::size_t>(j);
            int label = 0;
            if (spammer[js]) {
                label = drawFrom(uniformCumulative, g);
            } else if (spec.model == CrowdModel::Glad) {
                const double p = 1.0 / (1.0 + std::exp(-alpha[js] * std::exp(beta)));
                label = uniform(g) < p ? truth : drawFrom(errors[js][static_cast<std::size_t>(truth)], g);
            } else if (spec.model == CrowdModel::Mace) {
                label = uniform(g) < accuracy[js][0] ? truth : drawFrom(errors[js][0], g);
            } else {
                const auto t = static_cast<std::size_t>(truth);
                label = uniform(g) < accuracy[js][t] ? truth : drawFrom(errors[js][t], g);
            }
            triplets.push_back({i, j, label, false});
        }
    }
    d.answers = Answers::fromTriplets(n, m, triplets);
    d.validate();
    return d;
}

}  // namespace crowdsift
