// CROWDLAB, cleanlab's majority vote and label-quality scores against cleanlab 2.9.0's outputs on
// the reference datasets. Everything here is closed form given the stored probability matrices,
// so values must agree to rounding (checked at 1e-9; the requirement is 1e-6).

#include "test_aggregate_common.h"

#include "aggregate/crowdlab.h"
#include "aggregate/label_quality.h"
#include "util/error.h"

#include <QTest>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

constexpr double kTolerance = 1e-9;

void addDatasetsAndProbabilities()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("pred");
    for (const QString& name : referenceDatasets())
        for (const QString pred : {"dirichlet", "informative"})
            QTest::newRow(qPrintable(name + "/" + pred)) << name << pred;
}

RowMatrixXd loadProbabilities(const QString& name, const QString& pred)
{
    return loadNpyMatrix(sharedPath("reference/" + name + "/pred_probs_" + pred + ".npy"));
}

void compareCrowdlab(const QString& name, const QString& pred, const QString& file, ConsensusQuality quality)
{
    CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/" + file);
    const Dataset d = loadReferenceDataset(name);
    CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/pred_probs_" + pred + ".npy");
    const RowMatrixXd probabilities = loadProbabilities(name, pred);
    const nlohmann::json ref = loadReferenceJson(name, file);
    CrowdlabOptions options;
    options.quality = quality;
    const CrowdlabResult r = crowdlab(d, probabilities, options);

    const nlohmann::json& lq = ref["label_quality"];
    QCOMPARE(r.consensusLabel, jsonInts(lq["consensus_label"]));
    QCOMPARE(r.numAnnotations, jsonInts(lq["num_annotations"]));
    QVERIFY(maxAbsDiff(r.consensusQuality, jsonVector(lq["consensus_quality_score"])) <= kTolerance);
    QVERIFY(maxAbsDiff(r.annotatorAgreement, jsonVector(lq["annotator_agreement"])) <= kTolerance);
    QVERIFY(maxAbsDiff(r.answerQuality, jsonVector(ref["detailed_label_quality_by_answer"])) <= kTolerance);

    const nlohmann::json& stats = ref["annotator_stats"];
    QVERIFY(maxAbsDiff(r.annotatorQuality, jsonVector(stats["annotator_quality"])) <= kTolerance);
    QVERIFY(maxAbsDiff(r.agreementWithConsensus, jsonVector(stats["agreement_with_consensus"])) <= kTolerance);
    QCOMPARE(r.worstClass, jsonInts(stats["worst_class"]));
    QCOMPARE(r.numExamplesLabeled, jsonInts(stats["num_examples_labeled"]));
    if (quality == ConsensusQuality::Crowdlab) {
        QVERIFY(std::abs(r.modelWeight - ref["model_weight"].get<double>()) <= kTolerance);
        QVERIFY(maxAbsDiff(r.annotatorWeight, jsonVector(ref["annotator_weight"])) <= kTolerance);
    }
    QVERIFY(r.unresolvedTies.empty());
    CROWDSIFT_COMPARE_TRUTH(d, ref);
    if (d.hasTruth())
        QCOMPARE(accuracy(r.consensusLabel, d.truth), ref["accuracy"].get<double>());
}

}  // namespace

class TestAggregateCrowdlab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void crowdlabMethod_data() { addDatasetsAndProbabilities(); }
    void crowdlabMethod()
    {
        QFETCH(QString, name);
        QFETCH(QString, pred);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        compareCrowdlab(name, pred, "crowdlab_" + pred + "_crowdlab.json", ConsensusQuality::Crowdlab);
    }

    void agreementMethod_data() { addDatasetsAndProbabilities(); }
    void agreementMethod()
    {
        QFETCH(QString, name);
        QFETCH(QString, pred);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        compareCrowdlab(name, pred, "crowdlab_" + pred + "_agreement_fixedcounts.json", ConsensusQuality::Agreement);
    }

    void cleanlabMajorityVote_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString& name : referenceDatasets())
            QTest::newRow(qPrintable(name)) << name;
    }
    void cleanlabMajorityVote()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        const Dataset d = loadReferenceDataset(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/cleanlab_majority_vote.json");
        const nlohmann::json ref = loadReferenceJson(name, "cleanlab_majority_vote.json");
        std::vector<int> unresolved;
        QCOMPARE(crowdsift::cleanlabMajorityVote(d, nullptr, &unresolved), jsonInts(ref["labels_without_pred_probs"]));
        QVERIFY(unresolved.empty());
        for (const QString pred : {"dirichlet", "informative"}) {
            CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/pred_probs_" + pred + ".npy");
            const RowMatrixXd p = loadProbabilities(name, pred);
            QCOMPARE(crowdsift::cleanlabMajorityVote(d, &p), jsonInts(ref["labels_with_pred_probs_" + pred.toStdString()]));
        }
    }

    void labelQualityScores_data() { addDatasetsAndProbabilities(); }
    void labelQualityScores()
    {
        QFETCH(QString, name);
        QFETCH(QString, pred);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        const Dataset d = loadReferenceDataset(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/" + "label_quality_scores_" + pred + ".json");
        const nlohmann::json ref = loadReferenceJson(name, "label_quality_scores_" + pred + ".json");
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/pred_probs_" + pred + ".npy");
        const RowMatrixXd p = loadProbabilities(name, pred);
        const std::vector<int> labels = jsonInts(ref["labels"]);
        QCOMPARE(crowdsift::cleanlabMajorityVote(d, &p), labels);
        for (LabelQualityMethod m : {LabelQualityMethod::SelfConfidence, LabelQualityMethod::NormalizedMargin,
                                     LabelQualityMethod::ConfidenceWeightedEntropy}) {
            const Eigen::VectorXd scores = crowdsift::labelQualityScores(labels, p, m);
            const double diff = maxAbsDiff(scores, jsonVector(ref[labelQualityMethodName(m)]));
            if (diff > kTolerance)
                QFAIL(qPrintable(QString("%1: max difference %2").arg(labelQualityMethodName(m)).arg(diff)));
        }
    }

    void labelQualityHandComputed()
    {
        ProbabilityMatrix p(2, 3);
        p << 0.7, 0.2, 0.1, 0.25, 0.5, 0.25;
        const std::vector<int> labels{0, 2};
        const Eigen::VectorXd sc = crowdsift::labelQualityScores(labels, p, LabelQualityMethod::SelfConfidence);
        QCOMPARE(sc[0], 0.7);
        QCOMPARE(sc[1], 0.25);
        const Eigen::VectorXd nm = crowdsift::labelQualityScores(labels, p, LabelQualityMethod::NormalizedMargin);
        QCOMPARE(nm[0], (0.7 - 0.2 + 1) / 2);
        QCOMPARE(nm[1], (0.25 - 0.5 + 1) / 2);
        const Eigen::VectorXd cwe = crowdsift::labelQualityScores(labels, p, LabelQualityMethod::ConfidenceWeightedEntropy);
        const double h = -(0.25 * std::log(0.25) * 2 + 0.5 * std::log(0.5)) / std::log(3.0);
        const double s = h / 0.25;
        QVERIFY(std::abs(cwe[1] - std::log(s + 1) / s) < 1e-15);
        QCOMPARE(parseLabelQualityMethod("normalized_margin"), LabelQualityMethod::NormalizedMargin);
        QVERIFY_THROWS_EXCEPTION(InputError, parseLabelQualityMethod("margin"));
        QVERIFY_THROWS_EXCEPTION(InputError, crowdsift::labelQualityScores({3, 0}, p));
    }

    void rejectsBadProbabilities()
    {
        const Dataset d = loadReferenceDataset("bluebirds");
        RowMatrixXd p = RowMatrixXd::Constant(d.itemCount(), 3, 1.0 / 3);
        QVERIFY_THROWS_EXCEPTION(InputError, crowdlab(d, p));
        p = RowMatrixXd::Constant(d.itemCount(), 2, 0.5);
        p(4, 1) = 1.5;
        QVERIFY_THROWS_EXCEPTION(InputError, crowdlab(d, p));
    }

    void identicalForAnyThreadCount()
    {
        const Dataset d = loadReferenceDataset("cifar10h500");
        const RowMatrixXd p = loadProbabilities("cifar10h500", "dirichlet");
        CrowdlabOptions one;
        one.threads = 1;
        CrowdlabOptions three;
        three.threads = 3;
        const CrowdlabResult a = crowdlab(d, p, one);
        const CrowdlabResult b = crowdlab(d, p, three);
        QVERIFY(a.posteriors == b.posteriors);
        QVERIFY(a.annotatorQuality.cwiseEqual(b.annotatorQuality).count() == a.annotatorQuality.size()
                || maxAbsDiff(a.annotatorQuality, b.annotatorQuality) == 0);
    }
};

QTEST_APPLESS_MAIN(TestAggregateCrowdlab)
#include "test_aggregate_crowdlab.moc"
