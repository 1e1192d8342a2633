#include "aggregate/registry.h"

#include "aggregate/chooser.h"
#include "aggregate/common.h"
#include "aggregate/complementary.h"
#include "aggregate/dawid_skene.h"
#include "aggregate/glad.h"
#include "aggregate/mace.h"
#include "aggregate/majority.h"
#include "util/error.h"

#include <algorithm>

namespace crowdsift {

namespace {

AggregationParams withIterations(int maxIterations, double tolerance)
{
    AggregationParams p;
    p.maxIterations = maxIterations;
    p.tolerance = tolerance;
    return p;
}

std::vector<std::string> priorKeysOfDs(std::vector<std::string> keys)
{
    keys.push_back("prior_strength");
    return keys;
}

std::vector<StrategyInfo> makeStrategies()
{
    const std::vector<std::string> votes = {"threads", "seed", "random_ties"};
    const std::vector<std::string> em = {"max_iterations", "tolerance", "threads"};

    std::vector<StrategyInfo> s;
    s.push_back({"auto", "Automatic (held-out likelihood)",
                 "ds-prior, unless another candidate predicts held-out answers better by more than margin standard errors (no truth needed)",
                 "that of the chosen strategy", {"folds", "margin", "seed", "threads"}, AggregationParams(), false, &autoAggregate});
    s.push_back({"mv", "Majority vote", "most voted class; posteriors are the vote fractions",
                 "agreement with the majority-vote labels", votes, AggregationParams(), false, &majorityVote});
    s.push_back({"naive-soft", "NaiveSoft", "vote fractions as soft labels (peerannot NaiveSoft)",
                 "agreement with the majority-vote labels", votes, AggregationParams(), false, &naiveSoft});
    s.push_back({"wawa", "Wawa", "vote weighted by each annotator's agreement with the majority vote",
                 "agreement with the majority-vote labels", votes, AggregationParams(), false, &wawa});
    // Tolerances are per answer on the marginal log-likelihood (sklearn's GaussianMixture stops
    // at 1e-3 per sample). DS stops at 1e-4: on sparse data its later iterations overfit the
    // confusion matrices (LabelMe: 80.4 % after 13 iterations, 78.9 % after 100).
    s.push_back({"ds", "Dawid-Skene", "per-annotator confusion matrices and class priors by EM",
                 "expected accuracy, sum over classes of prior x confusion diagonal", priorKeysOfDs(em), withIterations(100, 1e-4),
                 true, &dawidSkene});
    std::vector<std::string> priorKeys = em;
    priorKeys.push_back("prior_strength");
    AggregationParams priorDefaults = withIterations(100, 1e-4);
    priorDefaults.priorStrength = 2.0;
    s.push_back({"ds-prior", "Dawid-Skene, Dirichlet prior",
                 "Dawid-Skene by MAP EM, confusions pulled to the pooled one (prior_strength pseudo-answers)",
                 "expected accuracy, sum over classes of prior x confusion diagonal", priorKeys, priorDefaults, true,
                 &dawidSkenePrior});
    s.push_back({"cc-ds", "Class-conditional Dawid-Skene",
                 "one accuracy per annotator and true class, errors uniform over the other classes",
                 "expected accuracy, sum over classes of prior x accuracy", priorKeys, withIterations(100, 1e-4), true,
                 &classConditionalDawidSkene});
    s.push_back({"one-coin-ds", "One-coin Dawid-Skene", "one skill per annotator, errors uniform over other classes",
                 "probability of naming the true class", em, withIterations(100, 1e-5), true, &oneCoinDawidSkene});
    // As peerannot: Dawid-Skene run to convergence, at most 50 iterations, then the weighting.
    std::vector<std::string> wdsKeys = em;
    wdsKeys.insert(wdsKeys.end(), {"seed", "random_ties"});
    s.push_back({"wds", "Weighted Dawid-Skene", "votes weighted by each annotator's Dawid-Skene confusion diagonal",
                 "expected accuracy from the Dawid-Skene run", wdsKeys, withIterations(50, 1e-7), true,
                 &weightedDawidSkene});
    std::vector<std::string> gladKeys = em;
    gladKeys.insert(gladKeys.end(), {"m_step_iterations", "m_step_tolerance"});
    s.push_back({"glad", "GLAD", "annotator ability and item difficulty (Whitehill et al. 2009) by EM",
                 "ability alpha (0 = random, negative = adversarial)", gladKeys, withIterations(100, 1e-5), true,
                 &glad});
    AggregationParams maceDefaults = withIterations(50, -1.0);
    s.push_back({"mace", "MACE", "annotator competence and spamming strategy (Hovy et al. 2013)",
                 "competence, probability of answering knowingly",
                 {"max_iterations", "tolerance", "threads", "seed", "restarts", "variational", "spam_alpha", "spam_beta",
                  "strategy_prior", "default_noise", "smoothing", "learn_priors"},
                 maceDefaults, true, &mace});
    s.push_back({"comp-vote", "Complementary vote count",
                 "votes plus complementary answers, each 'not k' spreading one vote over the other classes",
                 "agreement of votes and 'not k' answers with the hard labels", votes, AggregationParams(), false,
                 &complementaryVote, true});
    AggregationParams compDefaults = withIterations(100, 1e-5);
    compDefaults.priorStrength = 1.0;
    s.push_back({"comp-ds", "Dawid-Skene with complementary transitions",
                 "Dawid-Skene whose annotators also have a complementary transition matrix P(says 'not k' | true y)",
                 "expected accuracy of the votes (of the 'not k' answers for complementary-only annotators)",
                 {"max_iterations", "tolerance", "threads", "prior_strength"}, compDefaults, true, &complementaryDawidSkene,
                 true});
    return s;
}

}  // namespace

const std::vector<StrategyInfo>& strategies()
{
    static const std::vector<StrategyInfo> all = makeStrategies();
    return all;
}

std::vector<std::string> strategyNames()
{
    std::vector<std::string> names;
    for (const StrategyInfo& s : strategies())
        names.push_back(s.name);
    return names;
}

const StrategyInfo& strategyInfo(const std::string& name)
{
    for (const StrategyInfo& s : strategies())
        if (s.name == name)
            return s;
    std::string known;
    for (const StrategyInfo& s : strategies())
        known += (known.empty() ? "" : ", ") + s.name;
    throw InputError("aggregation strategy", name, "unknown strategy; known strategies: " + known);
}

AggregationParams defaultParams(const std::string& name)
{
    return strategyInfo(name).defaults;
}

void warnComplementarySkipped(AggregationResult& result, const Dataset& dataset)
{
    const std::int64_t complementary = complementaryAnswerCount(dataset);
    if (complementary == 0)
        return;
    if (!result.extra.is_object())
        result.extra = nlohmann::json::object();
    // Said once: "auto" runs its choice through aggregate(), which warned already.
    if (result.extra.contains("warnings"))
        for (const auto& warning : result.extra["warnings"])
            if (warning.is_string() && warning.get<std::string>().find("complementary") != std::string::npos)
                return;
    result.extra["skipped_complementary_answers"] = complementary;
    result.extra["warnings"].push_back(result.strategy + " cannot use complementary ('not class k') answers: "
                                       + std::to_string(complementary) + " ignored; comp-vote and comp-ds read them");
}

AggregationResult aggregate(const std::string& name, const Dataset& dataset, const nlohmann::json& params,
                            Progress& progress)
{
    const StrategyInfo& info = strategyInfo(name);
    if (params.is_object())
        for (const auto& item : params.items())
            if (std::find(info.parameters.begin(), info.parameters.end(), item.key()) == info.parameters.end()) {
                std::string known;
                for (const std::string& k : info.parameters)
                    known += (known.empty() ? "" : ", ") + k;
                throw InputError("aggregation parameters", item.key(),
                                 "not a parameter of " + name + "; it reads: " + known);
            }
    const AggregationParams effective = AggregationParams::fromJson(params, info.defaults);
    if (!info.readsComplementary && usableAnswerCount(dataset) == 0) {
        const std::int64_t complementary = complementaryAnswerCount(dataset);
        if (complementary > 0)
            throw InputError(dataset.source.empty() ? dataset.name : dataset.source, "answers",
                             name + " reads only votes ('class k'), and all " + std::to_string(complementary)
                                 + " answers are complementary ('not class k'): aggregate with comp-ds or comp-vote");
    }
    AggregationResult r = info.run(dataset, effective, progress);
    r.strategy = name;
    if (!info.readsComplementary)
        warnComplementarySkipped(r, dataset);
    return r;
}

}  // namespace crowdsift
