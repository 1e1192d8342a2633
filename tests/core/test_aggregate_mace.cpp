// MACE against crowd-kit's MACE(random_state=0) on the reference datasets.

#include "test_aggregate_common.h"

#include "aggregate/mace.h"
#include "aggregate/registry.h"
#include "aggregate/simulate.h"

#include <QTest>

using namespace crowdsift;
using namespace crowdsift::testing;


class TestAggregateMace : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void digammaValues()
    {
        QVERIFY(std::abs(digamma(1.0) + 0.5772156649015329) < 1e-15);
        QVERIFY(std::abs(digamma(0.5) + 1.9635100260214235) < 1e-15);
        QVERIFY(std::abs(digamma(10.0) - 2.251752589066721) < 1e-15);
        for (double x : {0.1, 3.7, 9.5, 123.25})
            QVERIFY(std::abs(digamma(x + 1) - digamma(x) - 1 / x) < 1e-14);
    }

    // The initial values are numpy's RandomState(0) draws, which crowd-kit stores normalised.
    void initialValuesMatchNumpy_data() { addDatasets(); }
    void initialValuesMatchNumpy()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        const Dataset d = loadReferenceDataset(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_MACE.json");
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_MACE.json");
        AggregationParams p = defaultParams("mace");
        p.restarts = 1;
        p.maxIterations = 0;
        const AggregationResult r = mace(d, p);
        QVERIFY(maxAbsDiff(jsonMatrix(r.extra["spamming"]), jsonMatrix(ref["init_spamming"])) <= 1e-15);
        QVERIFY(maxAbsDiff(jsonMatrix(r.extra["strategy"]), jsonMatrix(ref["init_strategy"])) <= 1e-15);
    }

    // Restart 0 with seed 0 and uniform class priors is crowd-kit's run (all ten of its restarts
    // are that same run): same initial values, same variational updates, 50 iterations. Only the order of floating-point
    // operations differs (we rescale running products where crowd-kit multiplies plainly).
    void crowdkitSingleRestart_data() { addDatasets(); }
    void crowdkitSingleRestart()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_MACE.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_MACE.json");
        AggregationParams p = defaultParams("mace");
        p.restarts = 1;
        p.learnPriors = false;
        const AggregationResult r = mace(d, p);
        QCOMPARE(r.iterations, ref["n_iter_run"].get<int>());
        const double post = maxAbsDiff(r.posteriors, jsonMatrix(ref["posteriors"]));
        const double spam = maxAbsDiff(jsonMatrix(r.extra["spamming"]), jsonMatrix(ref["worker_spamming"]));
        const double strategy = maxAbsDiff(jsonMatrix(r.extra["strategy"]), jsonMatrix(ref["worker_strategy"]));
        qInfo("%s: vs crowd-kit |posterior| %.3g |spamming| %.3g |strategy| %.3g", qPrintable(name), post, spam, strategy);
        QVERIFY(post <= 1e-10);
        QVERIFY(spam <= 1e-10);
        QVERIFY(strategy <= 1e-10);
        QCOMPARE(r.labels, jsonInts(ref["labels"]));
    }

    // Ten restarts from different seeds (crowd-kit repeats one), uniform class priors as in
    // crowd-kit: on every dataset, truth or not, the labels are crowd-kit's; where truth is known,
    // at least as accurate.
    void accuracyAtLeastCrowdkit_data() { addDatasets(); }
    void accuracyAtLeastCrowdkit()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_MACE.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_MACE.json");
        CROWDSIFT_COMPARE_TRUTH(d, ref);
        const AggregationResult r = aggregate("mace", d, {{"learn_priors", false}});
        QCOMPARE(static_cast<int>(r.extra["restart_log_likelihoods"].size()), 10);
        const double best = r.logLikelihood.back();
        for (const auto& ll : r.extra["restart_log_likelihoods"])
            QVERIFY(ll.get<double>() <= best);
        for (int w = 0; w < d.annotatorCount(); ++w) {
            QVERIFY(r.annotatorSkill[w] > 0 && r.annotatorSkill[w] < 1);
            for (int t = 0; t < d.classCount(); ++t)
                QVERIFY(std::abs(r.confusions[static_cast<std::size_t>(w)].row(t).sum() - 1) < 1e-12);
        }
        QCOMPARE(r.labels, jsonInts(ref["labels"]));
        if (d.hasTruth()) {
            qInfo("%s: MACE accuracy %.4f, restart %d won (crowd-kit %.4f)", qPrintable(name),
                  accuracy(r.labels, d.truth), r.extra["restart"].get<int>(), ref["accuracy"].get<double>());
            QVERIFY(accuracy(r.labels, d.truth) >= ref["accuracy"].get<double>());
        }
    }

    // The shape of the collapse seen on a held-out set (8,315 binary items, 3 answers each, 176
    // annotators, most with a handful of answers), with imbalanced classes (80 / 20) drawn from
    // MACE's own model. With the paper's uniform truth, MACE explains the majority class as every
    // good annotator's spamming strategy (competence about 0.6, strategy about 0.99 for class 0),
    // so one minority answer outvotes two majority ones: about 9 points below Dawid-Skene, below
    // even majority vote. Learning the class priors (the default) removes it: MACE is then within
    // a point of Dawid-Skene (the reference) and above majority vote.
    void sparseImbalancedBinaryCrowd()
    {
        CrowdSpec spec;
        spec.items = 8315;
        spec.annotators = 176;
        spec.answersPerItem = 3;
        spec.workloadSkew = 2.0;
        spec.accuracyLow = 0.7;
        spec.accuracyHigh = 0.98;
        spec.spammerShare = 0.15;
        spec.model = CrowdModel::Mace;
        spec.classPriors = {0.8, 0.2};
        spec.seed = 2;
        const Dataset d = simulateCrowd(spec);
        int few = 0;
        for (int w = 0; w < d.annotatorCount(); ++w)
            few += d.answers.countOfAnnotator(w) < 10;
        QVERIFY(few > 100);
        const double ds = accuracy(aggregate("ds", d).labels, d.truth);
        const double mv = accuracy(aggregate("mv", d).labels, d.truth);
        const double fixed = accuracy(aggregate("mace", d).labels, d.truth);
        const double uniform = accuracy(aggregate("mace", d, {{"learn_priors", false}}).labels, d.truth);
        qInfo("MV %.4f DS %.4f MACE %.4f, with uniform priors %.4f", mv, ds, fixed, uniform);
        QVERIFY(std::abs(fixed - ds) <= 0.01);
        QVERIFY(fixed > mv);
        QVERIFY(uniform < ds - 0.05);
    }

    void maximumLikelihoodVariantRuns()
    {
        const Dataset d = loadReferenceDataset("dog");
        const AggregationResult r = aggregate("mace", d, {{"variational", false}, {"restarts", 2}});
        QVERIFY(accuracy(r.labels, d.truth) > 0.8);
        for (int w = 0; w < d.annotatorCount(); ++w) {
            const auto row = r.extra["spamming"][w];
            QVERIFY(std::abs(row[0].get<double>() + row[1].get<double>() - 1) < 1e-12);
        }
    }

    void identicalForAnyThreadCount()
    {
        const Dataset d = loadReferenceDataset("cifar10h500");
        const AggregationResult a = aggregate("mace", d, {{"threads", 1}, {"restarts", 2}});
        const AggregationResult b = aggregate("mace", d, {{"threads", 4}, {"restarts", 2}});
        QVERIFY(a.posteriors == b.posteriors);
        QCOMPARE(a.logLikelihood, b.logLikelihood);
    }
};

QTEST_APPLESS_MAIN(TestAggregateMace)
#include "test_aggregate_mace.moc"
