#include "analysis/triage.h"
#include "aggregate/registry.h"
#include "util/error.h"

#include "test_aggregate_common.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace crowdsift;

namespace {

// 7 items, 3 annotators, 3 classes; the consensus and its posterior are given, so every
// category below is computed by hand:
//   item  answers (w0 w1 w2)   label  posterior  agreement  usable  default category
//   0     0  0  0              0      0.95       1          3       easy
//   1     1  1  2              1      0.80       2/3        3       need review (posterior)
//   2     2  1  -              2      0.50       1/2        2       hard (posterior < 0.6)
//   3     1  -  -              1      0.99       1          1       need review (one answer)
//   4     -  -  -             -1      priors     NaN        0       hard (no consensus)
//   5     0  0  not-2          0      0.90       1          2       easy (posterior == 0.9)
//   6     0  1  -              0      0.60       1/2        2       need review (== 0.6 is not hard)
struct Fixture {
    Dataset dataset;
    AggregationResult result;
};

Fixture fixture()
{
    Fixture f;
    Dataset& d = f.dataset;
    d.name = "triage";
    d.classNames = {"a", "b", "c"};
    for (int i = 0; i < 7; ++i) {
        d.itemKeys.push_back("t" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
    }
    d.annotatorIds = {"w0", "w1", "w2"};
    d.answers = Answers::fromTriplets(7, 3,
                                      {{0, 0, 0}, {0, 1, 0}, {0, 2, 0}, {1, 0, 1}, {1, 1, 1}, {1, 2, 2}, {2, 0, 2},
                                       {2, 1, 1}, {3, 0, 1}, {5, 0, 0}, {5, 1, 0}, {5, 2, 2, true}, {6, 0, 0},
                                       {6, 1, 1}});
    d.validate();

    AggregationResult& r = f.result;
    r.strategy = "hand";
    r.labels = {0, 1, 2, 1, -1, 0, 0};
    r.posteriors.resize(7, 3);
    r.posteriors << 0.95, 0.03, 0.02,  //
        0.1, 0.8, 0.1,                 //
        0.1, 0.4, 0.5,                 //
        0.005, 0.99, 0.005,            //
        0.5, 0.3, 0.2,                 //
        0.9, 0.0, 0.1,                 //
        0.6, 0.4, 0.0;
    return f;
}

QString letters(const std::vector<Triage>& categories)
{
    QString s;
    for (Triage t : categories)
        s += t == Triage::Easy ? 'E' : t == Triage::Hard ? 'H' : 'N';
    return s;
}

}  // namespace

class TestTriage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void evidenceIsHandComputed()
    {
        const Fixture f = fixture();
        const TriageEvidence e = triageEvidence(f.dataset, f.result);
        QCOMPARE(e.itemCount(), 7);
        QCOMPARE(e.labels, f.result.labels);
        QCOMPARE(e.answers, (std::vector<int>{3, 3, 2, 1, 0, 2, 2}));
        const std::vector<double> posterior{0.95, 0.8, 0.5, 0.99, NAN, 0.9, 0.6};
        const std::vector<double> agreement{1.0, 2.0 / 3.0, 0.5, 1.0, NAN, 1.0, 0.5};
        for (int i = 0; i < 7; ++i) {
            const auto u = static_cast<std::size_t>(i);
            if (std::isnan(posterior[u])) {
                QVERIFY(std::isnan(e.posterior[u]));
                QVERIFY(std::isnan(e.agreement[u]));
            } else {
                QCOMPARE(e.posterior[u], posterior[u]);
                QCOMPARE(e.agreement[u], agreement[u]);
            }
        }
    }

    void rules_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("defaults") << "{}" << "ENHNHEN";
        QTest::newRow("one answer suffices") << R"({"easy_min_answers": 1})" << "ENHEHEN";
        QTest::newRow("looser easy") << R"({"easy_posterior": 0.8, "easy_agreement": 0.6})" << "EEHNHEN";
        QTest::newRow("hard below 0.5 only") << R"({"hard_posterior": 0.5})" << "ENNNHEN";
        QTest::newRow("hard on a split vote") << R"({"hard_agreement": 0.6})" << "ENHNHEH";
        QTest::newRow("split vote exactly at the bar") << R"({"hard_agreement": 0.5})" << "ENHNHEN";
        QTest::newRow("hard up to the easy bar") << R"({"hard_posterior": 0.9})" << "EHHNHEH";
        QTest::newRow("everything answered is easy")
            << R"({"easy_posterior": 0, "easy_agreement": 0, "easy_min_answers": 0, "hard_posterior": 0})"
            << "EEEEHEE";
        // Ranks of the fixture's posteriors among its 6 items with consensus (mid-rank / 6):
        // item 2 0.083, 6 0.25, 1 0.417, 5 0.583, 0 0.75, 3 0.917.
        QTest::newRow("rank defaults") << R"({"scale": "rank"})" << "ENHNHEN";
        QTest::newRow("rank: lowest 30% hard") << R"({"scale": "rank", "hard_posterior": 0.3})" << "ENHNHEH";
        QTest::newRow("rank: easy from 0.6") << R"({"scale": "rank", "easy_posterior": 0.6})" << "ENHNHNN";
        QTest::newRow("rank: hard below 0.05 only") << R"({"scale": "rank", "hard_posterior": 0.05})" << "ENNNHEN";
    }

    void rules()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const Fixture f = fixture();
        const TriageRule rule = TriageRule::fromJson(nlohmann::json::parse(json.toStdString()));
        const std::vector<Triage> categories = triage(f.dataset, f.result, rule);
        QCOMPARE(letters(categories), expected);
        const std::vector<int> counts = triageCounts(categories);
        QCOMPARE(counts[0], static_cast<int>(expected.count('E')));
        QCOMPARE(counts[1], static_cast<int>(expected.count('N')));
        QCOMPARE(counts[2], static_cast<int>(expected.count('H')));
    }

    void ranksAreMidRanksOverItemsWithConsensus()
    {
        const std::vector<double> ranks = posteriorRanks({0.3, NAN, 0.1, 0.3, 0.9});
        QCOMPARE(ranks.size(), std::size_t(5));
        QCOMPARE(ranks[2], 0.125);
        QCOMPARE(ranks[0], 0.5);
        QCOMPARE(ranks[3], 0.5);
        QCOMPARE(ranks[4], 0.875);
        QVERIFY(std::isnan(ranks[1]));
        QVERIFY(posteriorRanks({}).empty());
        const Fixture f = fixture();
        const TriageEvidence e = triageEvidence(f.dataset, f.result);
        QCOMPARE(e.rank[2], 0.5 / 6);
        QCOMPARE(e.rank[3], 5.5 / 6);
        QVERIFY(std::isnan(e.rank[4]));
    }

    void naturalScaleFollowsTheStrategy()
    {
        QCOMPARE(naturalTriageScale("crowdlab"), TriageScale::Rank);
        QCOMPARE(naturalTriageScale("crowdlab-loop"), TriageScale::Rank);
        for (const char* strategy : {"ds", "mv", "glad", "naive-soft", "mace", "one-coin-ds", "wds", "wawa"})
            QCOMPARE(naturalTriageScale(strategy), TriageScale::Posterior);
        QCOMPARE(QString::fromLatin1(triageScaleName(TriageScale::Rank)), QStringLiteral("rank"));
        QCOMPARE(QString::fromLatin1(triageScaleName(TriageScale::Posterior)), QStringLiteral("posterior"));
    }

    // A CROWDLAB-like run: every posterior in [0.3, 0.55). The posterior scale's defaults put all
    // of it in one band; the rank scale's put the lowest tenth in hard and the better half of
    // the unanimous items in easy, whatever the posteriors' level. The evidence is built by hand
    // without ranks, so triage() computes them.
    void rankScaleSplitsAFlatRun()
    {
        const int n = 10000;
        TriageEvidence e;
        std::mt19937 rng(11);
        std::uniform_real_distribution<double> flat(0.3, 0.55);
        for (int i = 0; i < n; ++i) {
            e.labels.push_back(i % 4);
            e.posterior.push_back(flat(rng));
            e.agreement.push_back(i % 3 == 0 ? 0.5 : 1.0);
            e.answers.push_back(3);
        }
        const std::vector<int> absolute = triageCounts(triage(e, TriageRule{}));
        QCOMPARE(absolute[2], n);
        const TriageRule rule = TriageRule::defaults(TriageScale::Rank);
        const std::vector<Triage> categories = triage(e, rule);
        const std::vector<int> counts = triageCounts(categories);
        QCOMPARE(counts[2], n / 10);
        double highestHard = 0;
        double lowestEasy = 1;
        for (int i = 0; i < n; ++i) {
            const auto u = static_cast<std::size_t>(i);
            if (categories[u] == Triage::Hard)
                highestHard = std::max(highestHard, e.posterior[u]);
            if (categories[u] == Triage::Easy) {
                lowestEasy = std::min(lowestEasy, e.posterior[u]);
                QCOMPARE(e.agreement[u], 1.0);
            }
        }
        QVERIFY(highestHard < lowestEasy);
        // Half of the items rank >= 0.5, two thirds of those are unanimous.
        QVERIFY(std::abs(counts[0] - n / 3) < n / 50);
    }

    void reviewOrderPutsTheWorstFirst()
    {
        const Fixture f = fixture();
        const TriageEvidence e = triageEvidence(f.dataset, f.result);
        QCOMPARE(reviewOrder(e, {0, 1, 2, 3, 4, 5, 6}), (std::vector<int>{4, 2, 6, 1, 5, 0, 3}));
        QCOMPARE(reviewOrder(e, {3, 0, 6}), (std::vector<int>{6, 0, 3}));
    }

    void reviewOrderBreaksPosteriorTiesByAgreement()
    {
        TriageEvidence e;
        e.labels = {0, 0, 0};
        e.posterior = {0.7, 0.7, 0.7};
        e.agreement = {1.0, 0.5, 0.5};
        e.answers = {2, 2, 2};
        QCOMPARE(reviewOrder(e, {0, 1, 2}), (std::vector<int>{1, 2, 0}));
    }

    void describeShowsTheThresholds()
    {
        QCOMPARE(QString::fromStdString(TriageRule{}.describe()),
                 QStringLiteral("easy: posterior >= 0.90, agreement >= 100%, >= 2 answers; hard: no consensus, or "
                                "posterior < 0.60; need review: the rest"));
        TriageRule rule;
        rule.easyAgreement = 0.75;
        rule.easyMinAnswers = 0;
        rule.hardAgreement = 0.5;
        QCOMPARE(QString::fromStdString(rule.describe()),
                 QStringLiteral("easy: posterior >= 0.90, agreement >= 75%; hard: no consensus, or posterior < "
                                "0.60, or agreement < 50%; need review: the rest"));
    }

    void jsonRoundTrips()
    {
        TriageRule rule;
        rule.easyPosterior = 0.85;
        rule.easyAgreement = 0.7;
        rule.easyMinAnswers = 3;
        rule.hardPosterior = 0.4;
        rule.hardAgreement = 0.25;
        const nlohmann::json j = rule.toJson();
        QCOMPARE(j.size(), std::size_t(6));
        QCOMPARE(j["easy_min_answers"].get<int>(), 3);
        QCOMPARE(j["scale"].get<std::string>(), std::string("posterior"));
        QVERIFY(TriageRule::fromJson(j) == rule);
        rule.scale = TriageScale::Rank;
        QVERIFY(TriageRule::fromJson(rule.toJson()) == rule);
        QVERIFY(TriageRule::fromJson(rule.toJson()) != TriageRule::fromJson(j));
        // Missing keys take the defaults of the rule's scale.
        QVERIFY(TriageRule::fromJson({{"scale", "rank"}}) == TriageRule::defaults(TriageScale::Rank));
        QVERIFY(TriageRule::fromJson(nlohmann::json::object()) == TriageRule{});
        const TriageRule partial = TriageRule::fromJson({{"hard_posterior", 0.5}});
        QCOMPARE(partial.hardPosterior, 0.5);
        QCOMPARE(partial.easyPosterior, 0.9);
    }

    void badRulesAreRejected_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("typo") << R"({"easy_posteriour": 0.8})" << "easy_posteriour";
        QTest::newRow("above 1") << R"({"easy_posterior": 1.5})" << "easy_posterior";
        QTest::newRow("negative") << R"({"hard_agreement": -0.1})" << "hard_agreement";
        QTest::newRow("hard above easy") << R"({"hard_posterior": 0.95})" << "must not exceed easy_posterior";
        QTest::newRow("hard agreement above easy")
            << R"({"easy_agreement": 0.5, "hard_agreement": 0.6})" << "must not exceed easy_agreement";
        QTest::newRow("fractional count") << R"({"easy_min_answers": 1.5})" << "easy_min_answers";
        QTest::newRow("negative count") << R"({"easy_min_answers": -1})" << "easy_min_answers";
        QTest::newRow("string") << R"({"hard_posterior": "0.5"})" << "expected a number";
        QTest::newRow("not an object") << "[0.9]" << "expected a JSON object";
        QTest::newRow("unknown scale") << R"({"scale": "percentile"})" << "scale";
        QTest::newRow("scale not a string") << R"({"scale": 1})" << "expected \"posterior\" or \"rank\"";
    }

    void badRulesAreRejected()
    {
        QFETCH(QString, json);
        QFETCH(QString, mentions);
        try {
            TriageRule::fromJson(nlohmann::json::parse(json.toStdString()));
            QFAIL("accepted a bad rule");
        } catch (const InputError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(mentions), e.what());
        }
    }

    void invalidRuleIsRejectedByTriage()
    {
        const Fixture f = fixture();
        TriageRule rule;
        rule.hardPosterior = NAN;
        QVERIFY_THROWS_EXCEPTION(InputError, triage(f.dataset, f.result, rule));
    }

    void mismatchedResultIsRejected()
    {
        Fixture f = fixture();
        f.result.labels.pop_back();
        QVERIFY_THROWS_EXCEPTION(InputError, triageEvidence(f.dataset, f.result));
        Fixture g = fixture();
        g.result.labels[1] = 3;
        QVERIFY_THROWS_EXCEPTION(InputError, triageEvidence(g.dataset, g.result));
    }

    // cleanlab's annotator_agreement is the same statistic: the fraction of an item's annotators
    // who gave its consensus label.
    void agreementMatchesCleanlab_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("dog") << "dog";
        QTest::newRow("labelme") << "labelme";
    }

    void agreementMatchesCleanlab()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdlab_dirichlet_crowdlab.json");
        const Dataset dataset = testing::loadReferenceDataset(name);
        const nlohmann::json quality = testing::loadReferenceJson(name, "crowdlab_dirichlet_crowdlab.json")["label_quality"];
        const std::vector<int> consensus = testing::jsonInts(quality["consensus_label"]);
        const std::vector<double> agreement = consensusAgreement(dataset, consensus);
        QCOMPARE(static_cast<int>(agreement.size()), dataset.itemCount());
        double worst = 0;
        for (int i = 0; i < dataset.itemCount(); ++i) {
            const auto u = static_cast<std::size_t>(i);
            worst = std::max(worst, std::abs(agreement[u] - quality["annotator_agreement"][u].get<double>()));
            QCOMPARE(dataset.answers.countOfItem(i), quality["num_annotations"][u].get<int>());
        }
        QVERIFY2(worst < 1e-12, qPrintable(QString::number(worst)));
    }

    // With naive-soft the posterior of the consensus label is its vote share, i.e. the agreement.
    void naiveSoftPosteriorIsTheAgreement()
    {
        CROWDSIFT_REQUIRE_SHARED("reference/dog/answers.csv");
        const Dataset dataset = testing::loadReferenceDataset("dog");
        const AggregationResult result = aggregate("naive-soft", dataset);
        const TriageEvidence e = triageEvidence(dataset, result);
        for (int i = 0; i < dataset.itemCount(); ++i)
            QVERIFY(std::abs(e.posterior[static_cast<std::size_t>(i)] - e.agreement[static_cast<std::size_t>(i)]) < 1e-12);
        const std::vector<int> counts = triageCounts(triage(e, TriageRule{}));
        QCOMPARE(counts[0] + counts[1] + counts[2], dataset.itemCount());
        // Agreement 1 means posterior 1, so easy = unanimous with at least two answers.
        int unanimous = 0;
        for (int i = 0; i < dataset.itemCount(); ++i)
            unanimous += e.agreement[static_cast<std::size_t>(i)] == 1.0 && e.answers[static_cast<std::size_t>(i)] >= 2;
        QCOMPARE(counts[0], unanimous);
    }

    // The GUI re-runs the rule on every slider move: on 200k items it must agree item by item
    // with classify() and every category must obey its definition.
    void largeRunObeysTheRule()
    {
        const int n = 200000;
        TriageEvidence e;
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        for (int i = 0; i < n; ++i) {
            const bool answered = i % 50 != 0;
            e.labels.push_back(answered ? i % 10 : -1);
            e.posterior.push_back(answered ? unit(rng) : NAN);
            e.agreement.push_back(answered ? std::round(unit(rng) * 5) / 5 : NAN);
            e.answers.push_back(answered ? 1 + i % 5 : 0);
        }
        TriageRule rule;
        rule.easyPosterior = 0.7;
        rule.easyAgreement = 0.8;
        rule.hardAgreement = 0.2;
        const std::vector<Triage> categories = triage(e, rule);
        QCOMPARE(static_cast<int>(categories.size()), n);
        for (int i = 0; i < n; ++i) {
            const auto u = static_cast<std::size_t>(i);
            const Triage t = categories[u];
            if (t == Triage::Easy)
                QVERIFY(e.posterior[u] >= 0.7 && e.agreement[u] >= 0.8 && e.answers[u] >= 2);
            else if (t == Triage::Hard)
                QVERIFY(e.labels[u] < 0 || e.posterior[u] < 0.6 || e.agreement[u] < 0.2);
            else
                QVERIFY(e.posterior[u] >= 0.6 && e.agreement[u] >= 0.2);
        }
        const std::vector<int> counts = triageCounts(categories);
        QVERIFY(counts[0] > 0 && counts[1] > 0 && counts[2] > n / 50);
    }
};

QTEST_APPLESS_MAIN(TestTriage)
#include "test_triage.moc"
