// The strategy registry and the contract every strategy's result keeps: shapes, normalisation,
// labels consistent with posteriors, items without answers, parameters as JSON, and results that
// do not depend on the thread count.

#include "test_aggregate_common.h"

#include "aggregate/registry.h"
#include "util/error.h"

#include <QTest>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

// Dog with three extra items: one without answers, one with only a complementary answer, one
// with a complementary answer next to a normal one.
Dataset dogWithGaps()
{
    Dataset d = loadReferenceDataset("dog");
    std::vector<Answer> triplets = d.answers.triplets();
    const int n = d.itemCount();
    triplets.push_back({n + 1, 0, 2, true});
    triplets.push_back({n + 2, 1, 3, true});
    triplets.push_back({n + 2, 2, 1, false});
    for (int i = n; i < n + 3; ++i) {
        d.itemKeys.push_back("extra" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
        d.truth.push_back(-1);
    }
    d.answers = Answers::fromTriplets(n + 3, d.annotatorCount(), triplets);
    d.validate();
    return d;
}

}  // namespace

class TestAggregateRegistry : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesAndDescriptions()
    {
        QVERIFY(strategyNames()
                == (std::vector<std::string>{"auto", "mv", "naive-soft", "wawa", "ds", "ds-prior", "cc-ds", "one-coin-ds", "wds", "glad", "mace", "comp-vote", "comp-ds"}));
        for (const StrategyInfo& s : strategies()) {
            QVERIFY(!s.title.empty());
            QVERIFY(!s.description.empty());
            QVERIFY(s.description.find('\n') == std::string::npos);
            QVERIFY(!s.skill.empty());
            QVERIFY(s.run != nullptr);
            for (const std::string& key : s.parameters) {
                const auto keys = AggregationParams::keys();
                QVERIFY2(std::find(keys.begin(), keys.end(), key) != keys.end(), key.c_str());
            }
        }
        QVERIFY(strategyInfo("glad").title == "GLAD");
    }

    void unknownNamesAndParametersAreInputErrors()
    {
        const Dataset d = loadReferenceDataset("bluebirds");
        try {
            aggregate("dawid-skene", d);
            QFAIL("expected InputError");
        } catch (const InputError& e) {
            QVERIFY(std::string(e.what()).find("known strategies: auto, mv, naive-soft") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(InputError, aggregate("mv", d, {{"max_iterations", 3}}));
        QVERIFY_THROWS_EXCEPTION(InputError, aggregate("ds", d, {{"max_iterations", -1}}));
        QVERIFY_THROWS_EXCEPTION(InputError, aggregate("ds", d, {{"tolerance", "small"}}));
        QVERIFY_THROWS_EXCEPTION(InputError, aggregate("ds", d, {{"max_iteration", 3}}));
        QVERIFY_THROWS_EXCEPTION(InputError, AggregationParams::fromJson({{"bogus", 1}}));
        QVERIFY_THROWS_EXCEPTION(InputError, AggregationParams::fromJson(nlohmann::json::array()));
    }

    void parametersRoundTripAsJson()
    {
        AggregationParams p = defaultParams("mace");
        p.seed = 42;
        p.randomTies = true;
        p.spamAlpha = 0.25;
        const AggregationParams q = AggregationParams::fromJson(p.toJson());
        QVERIFY(q.toJson() == p.toJson());
        const Dataset d = loadReferenceDataset("bluebirds");
        const AggregationResult r = aggregate("ds", d, {{"max_iterations", 3}, {"tolerance", -1.0}});
        QVERIFY(r.strategy == "ds");
        QCOMPARE(r.params["max_iterations"].get<int>(), 3);
        QCOMPARE(r.iterations, 3);
        QCOMPARE(AggregationParams::fromJson(r.params).maxIterations, 3);
    }

    void everyStrategyKeepsTheContract_data()
    {
        QTest::addColumn<QString>("strategy");
        for (const std::string& name : strategyNames())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void everyStrategyKeepsTheContract()
    {
        QFETCH(QString, strategy);
        const Dataset d = dogWithGaps();
        const int n = d.itemCount();
        const int m = d.annotatorCount();
        const int k = d.classCount();
        const AggregationResult r = aggregate(strategy.toStdString(), d);
        QCOMPARE(r.itemCount(), n);
        QCOMPARE(r.classCount(), k);
        QCOMPARE(static_cast<int>(r.posteriors.rows()), n);
        QCOMPARE(static_cast<int>(r.classPriors.size()), k);
        QCOMPARE(static_cast<int>(r.annotatorSkill.size()), m);
        QCOMPARE(static_cast<int>(r.confusions.size()), m);
        QVERIFY(std::abs(r.classPriors.sum() - 1) < 1e-9);
        for (int i = 0; i < n; ++i) {
            QVERIFY(std::abs(r.posteriors.row(i).sum() - 1) < 1e-9);
            QVERIFY(r.posteriors.row(i).minCoeff() >= 0);
            // Item n - 3 has no answer; n - 2 only a complementary one, which only the strategies
            // that read complementary answers use.
            if (i == n - 3 || (i == n - 2 && !strategyInfo(strategy.toStdString()).readsComplementary)) {
                QCOMPARE(r.labels[static_cast<std::size_t>(i)], -1);
                continue;
            }
            const int label = r.labels[static_cast<std::size_t>(i)];
            QVERIFY(label >= 0 && label < k);
            QCOMPARE(r.posteriors(i, label), r.posteriors.row(i).maxCoeff());
        }
        for (const Eigen::MatrixXd& c : r.confusions) {
            QCOMPARE(static_cast<int>(c.rows()), k);
            QCOMPARE(static_cast<int>(c.cols()), k);
            for (int t = 0; t < k; ++t) {
                const double sum = c.row(t).sum();
                QVERIFY(std::abs(sum - 1) < 1e-9 || sum == 0);
            }
        }
        if (strategyInfo(strategy.toStdString()).readsComplementary) {
            QVERIFY(!r.extra.contains("warnings"));
            QCOMPARE(r.labels[static_cast<std::size_t>(n - 2)] == 2, false);  // "not 2" is no vote for 2
        } else {
            QCOMPARE(r.extra["skipped_complementary_answers"].get<int>(), 2);
            QCOMPARE(r.extra["warnings"].size(), std::size_t{1});
        }
        QVERIFY(accuracy(r.labels, d.truth) > 0.8);
        if (strategyInfo(strategy.toStdString()).iterative) {
            QVERIFY(r.iterations > 0);
            QCOMPARE(static_cast<int>(r.logLikelihood.size()), r.iterations);
        }
        if (strategy == "glad")
            QCOMPARE(static_cast<int>(r.itemDifficulty.size()), n);
    }

    // Annotators without answers change nothing. With 8,000 of them the EM strategies switch to
    // their low-memory paths for per-annotator sums (no per-block tables when those would
    // outgrow the answers), so this also checks that both paths agree.
    void silentAnnotatorsChangeNothing_data() { everyStrategyKeepsTheContract_data(); }
    void silentAnnotatorsChangeNothing()
    {
        QFETCH(QString, strategy);
        const Dataset d = loadReferenceDataset("dog");
        Dataset wide = d;
        for (int w = 0; w < 8000; ++w)
            wide.annotatorIds.push_back("silent" + std::to_string(w));
        wide.answers = Answers::fromTriplets(d.itemCount(), wide.annotatorCount(), d.answers.triplets());
        wide.validate();
        const AggregationResult a = aggregate(strategy.toStdString(), d);
        const AggregationResult b = aggregate(strategy.toStdString(), wide);
        QCOMPARE(a.labels, b.labels);
        QCOMPARE(a.iterations, b.iterations);
        QVERIFY(maxAbsDiff(a.posteriors, b.posteriors) <= 1e-12);
        QVERIFY(maxAbsDiff(a.annotatorSkill, b.annotatorSkill.head(d.annotatorCount())) <= 1e-12);
    }

    void everyStrategyIgnoresTheThreadCount_data() { everyStrategyKeepsTheContract_data(); }
    void everyStrategyIgnoresTheThreadCount()
    {
        QFETCH(QString, strategy);
        const Dataset d = loadReferenceDataset("labelme");
        const AggregationResult a = aggregate(strategy.toStdString(), d, {{"threads", 1}});
        const AggregationResult b = aggregate(strategy.toStdString(), d, {{"threads", 3}});
        QVERIFY(a.posteriors == b.posteriors);
        QCOMPARE(a.labels, b.labels);
        QCOMPARE(a.logLikelihood, b.logLikelihood);
        for (std::size_t w = 0; w < a.confusions.size(); ++w)
            QVERIFY(a.confusions[w] == b.confusions[w]);
    }
};

QTEST_APPLESS_MAIN(TestAggregateRegistry)
#include "test_aggregate_registry.moc"
