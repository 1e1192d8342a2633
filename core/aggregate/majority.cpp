#include "aggregate/majority.h"

#include "aggregate/common.h"

namespace crowdsift {

namespace {

AggregationResult voteResult(const Dataset& dataset, const AggregationParams& params, const char* name,
                             RowMatrixXd posteriors, const std::vector<char>& answered)
{
    AggregationResult r;
    r.strategy = name;
    r.params = params.toJson();
    HardLabels hard = hardLabels(posteriors, answered, params.randomTies, params.seed);
    r.labels = std::move(hard.labels);
    r.tiedItems = std::move(hard.tied);
    r.classPriors = meanPosterior(posteriors, answered);
    r.posteriors = std::move(posteriors);
    for (int i = 0; i < dataset.itemCount(); ++i)
        if (!answered[static_cast<std::size_t>(i)])
            r.posteriors.row(i) = r.classPriors.transpose();
    r.confusions = confusionsFromPosteriors(dataset, r.posteriors);
    r.extra["skipped_complementary_answers"] =
        static_cast<std::int64_t>(dataset.answers.size()) - usableAnswerCount(dataset);
    return r;
}

AggregationResult plainVote(const Dataset& dataset, const AggregationParams& params, Progress& progress,
                            const char* name)
{
    checkAggregationInput(dataset, name, 1);
    progress.stage("counting votes");
    const std::vector<char> answered = answeredItems(dataset);
    AggregationResult r = voteResult(dataset, params, name, voteFractions(dataset), answered);
    r.annotatorSkill = agreementWithLabels(dataset, r.labels);
    return r;
}

}  // namespace

AggregationResult majorityVote(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    return plainVote(dataset, params, progress, "mv");
}

AggregationResult naiveSoft(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    return plainVote(dataset, params, progress, "naive-soft");
}

AggregationResult wawa(const Dataset& dataset, const AggregationParams& params, Progress& progress)
{
    checkAggregationInput(dataset, "wawa", 1);
    progress.stage("majority vote");
    const std::vector<char> answered = answeredItems(dataset);
    const int k = dataset.classCount();
    RowMatrixXd posteriors = voteFractions(dataset);
    const HardLabels mv = hardLabels(posteriors, answered, params.randomTies, params.seed);
    const Eigen::VectorXd skill = agreementWithLabels(dataset, mv.labels);

    progress.stage("weighted vote");
    std::vector<double> weighted(static_cast<std::size_t>(k));
    for (int i = 0; i < dataset.itemCount(); ++i) {
        std::fill(weighted.begin(), weighted.end(), 0.0);
        for (const Answers::Entry& e : dataset.answers.ofItem(i))
            if (!e.complementary())
                weighted[static_cast<std::size_t>(e.label)] += skill[e.other];
        double sum = 0;
        for (double v : weighted)
            sum += v;
        if (sum > 0)
            for (int c = 0; c < k; ++c)
                posteriors(i, c) = weighted[static_cast<std::size_t>(c)] / sum;
    }
    AggregationResult r = voteResult(dataset, params, "wawa", std::move(posteriors), answered);
    r.annotatorSkill = skill;
    return r;
}

}  // namespace crowdsift
