// Majority vote, NaiveSoft and Wawa: hand-computed cases, then crowd-kit's and peerannot's outputs
// on the four reference datasets (closed form, so to 1e-12).

#include "test_aggregate_common.h"

#include "aggregate/majority.h"
#include "util/error.h"

#include <QTest>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

Dataset tinyDataset(int items, int annotators, int classes, const std::vector<Answer>& answers)
{
    Dataset d;
    d.name = "tiny";
    for (int i = 0; i < items; ++i)
        d.itemKeys.push_back("i" + std::to_string(i));
    for (int w = 0; w < annotators; ++w)
        d.annotatorIds.push_back("w" + std::to_string(w));
    for (int c = 0; c < classes; ++c)
        d.classNames.push_back("c" + std::to_string(c));
    d.splits.assign(static_cast<std::size_t>(items), Split::Train);
    d.imagePaths.assign(static_cast<std::size_t>(items), std::string());
    d.answers = Answers::fromTriplets(items, annotators, answers);
    return d;
}

}  // namespace

class TestAggregateVotes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handComputed()
    {
        // item 0: 0,0,1 -> 0; item 1: 1,2 tie -> 1 (smallest); item 2: no answers;
        // item 3: one complementary answer only (skipped) -> no answers.
        Dataset d = tinyDataset(4, 3, 3,
                                {{0, 0, 0, false}, {0, 1, 0, false}, {0, 2, 1, false}, {1, 0, 2, false},
                                 {1, 1, 1, false}, {3, 2, 1, true}});
        const AggregationResult r = majorityVote(d, AggregationParams());
        QCOMPARE(r.labels, (std::vector<int>{0, 1, -1, -1}));
        QCOMPARE(r.tiedItems, (std::vector<int>{1}));
        QCOMPARE(r.posteriors(0, 0), 2.0 / 3.0);
        QCOMPARE(r.posteriors(0, 1), 1.0 / 3.0);
        QCOMPARE(r.posteriors(1, 1), 0.5);
        QCOMPARE(r.posteriors(1, 2), 0.5);
        // unanswered items get the class priors = mean posterior over answered items
        QCOMPARE(r.classPriors[0], (2.0 / 3.0) / 2);
        QCOMPARE(r.posteriors(2, 0), r.classPriors[0]);
        QCOMPARE(r.extra["skipped_complementary_answers"].get<int>(), 1);
        // w0 said 0 (agrees), 2 (tie went to 1: disagrees); w1 said 0, 1 (both agree); w2 said 1 on
        // item 0 (disagrees), its complementary answer does not count.
        QCOMPARE(r.annotatorSkill[0], 0.5);
        QCOMPARE(r.annotatorSkill[1], 1.0);
        QCOMPARE(r.annotatorSkill[2], 0.0);
        QCOMPARE(static_cast<int>(r.confusions.size()), 3);
        // w2's one answer (label 1 on item 0, posterior 2/3, 1/3, 0): rows normalised
        QCOMPARE(r.confusions[2](0, 1), 1.0);
        QCOMPARE(r.confusions[2](2, 1), 0.0);
    }

    void randomTiesAreSeededAndPerItem()
    {
        std::vector<Answer> answers;
        for (int i = 0; i < 200; ++i) {
            answers.push_back({i, 0, 0, false});
            answers.push_back({i, 1, 1, false});
        }
        Dataset d = tinyDataset(200, 2, 2, answers);
        AggregationParams p;
        p.randomTies = true;
        p.seed = 7;
        const AggregationResult a = majorityVote(d, p);
        const AggregationResult b = majorityVote(d, p);
        QCOMPARE(a.labels, b.labels);
        QCOMPARE(static_cast<int>(a.tiedItems.size()), 200);
        const int ones = static_cast<int>(std::count(a.labels.begin(), a.labels.end(), 1));
        QVERIFY(ones > 60 && ones < 140);
        p.seed = 8;
        QVERIFY(majorityVote(d, p).labels != a.labels);
        p.threads = 1;
        QCOMPARE(majorityVote(d, p).labels, majorityVote(d, AggregationParams::fromJson({{"threads", 2}}, p)).labels);
    }

    void wawaWeightsBySkill()
    {
        // w0 and w1 agree on items 0-2, w2 disagrees everywhere; on item 3 w0 and w2 tie 1:1, the
        // majority vote takes class 0 (w0's), and the weighted vote follows w0 (skill 1 against 0).
        Dataset d = tinyDataset(4, 3, 2,
                                {{0, 0, 0, false}, {0, 1, 0, false}, {0, 2, 1, false}, {1, 0, 1, false},
                                 {1, 1, 1, false}, {1, 2, 0, false}, {2, 0, 0, false}, {2, 1, 0, false},
                                 {2, 2, 1, false}, {3, 0, 0, false}, {3, 2, 1, false}});
        const AggregationResult r = wawa(d, AggregationParams());
        QCOMPARE(r.annotatorSkill[0], 1.0);  // item 3 is a tie, MV takes class 0 = w0's label
        QCOMPARE(r.annotatorSkill[2], 0.0);
        QCOMPARE(r.labels[3], 0);
        QCOMPARE(r.posteriors(3, 0), 1.0);
    }

    void rejectsLabelsOutOfRange()
    {
        Dataset d = tinyDataset(1, 1, 2, {{0, 0, 5, false}});
        QVERIFY_THROWS_EXCEPTION(InputError, majorityVote(d, AggregationParams()));
    }

    void crowdkitMajorityVote_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString& name : referenceDatasets())
            QTest::newRow(qPrintable(name)) << name;
    }

    void crowdkitMajorityVote()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_MajorityVote.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_MajorityVote.json");
        const AggregationResult r = majorityVote(d, AggregationParams());
        QVERIFY(maxAbsDiff(r.posteriors, jsonMatrix(ref["posteriors"])) <= 1e-12);
        QCOMPARE(r.labels, jsonInts(ref["labels"]));
        QCOMPARE(r.tiedItems, jsonInts(ref["tied_tasks"]));
        QVERIFY(maxAbsDiff(r.annotatorSkill, jsonVector(ref["worker_skills"])) <= 1e-12);
        CROWDSIFT_COMPARE_TRUTH(d, ref);
        if (d.hasTruth())
            QCOMPARE(accuracy(r.labels, d.truth), ref["accuracy"].get<double>());
    }

    void crowdkitWawa_data() { crowdkitMajorityVote_data(); }

    void crowdkitWawa()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_Wawa.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_Wawa.json");
        const AggregationResult r = wawa(d, AggregationParams());
        QVERIFY(maxAbsDiff(r.posteriors, jsonMatrix(ref["posteriors"])) <= 1e-12);
        QCOMPARE(r.labels, jsonInts(ref["labels"]));
        QCOMPARE(r.tiedItems, jsonInts(ref["tied_tasks"]));
        QVERIFY(maxAbsDiff(r.annotatorSkill, jsonVector(ref["worker_skills"])) <= 1e-12);
    }

    void peerannotNaiveSoftAndMv_data() { crowdkitMajorityVote_data(); }

    void peerannotNaiveSoftAndMv()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/peerannot_NaiveSoft.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json soft = loadReferenceJson(name, "peerannot_NaiveSoft.json");
        const AggregationResult r = naiveSoft(d, AggregationParams());
        QVERIFY(maxAbsDiff(r.posteriors, jsonMatrix(soft["posteriors"])) <= 1e-12);
        QCOMPARE(r.labels, jsonInts(soft["labels"]));
        QCOMPARE(r.tiedItems, jsonInts(soft["tied_tasks"]));

        // peerannot's MV breaks ties at random: compare outside its tied tasks, and the counts.
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/peerannot_MV.json");
        const nlohmann::json mv = loadReferenceJson(name, "peerannot_MV.json");
        const std::vector<int> refLabels = jsonInts(mv["labels"]);
        const std::vector<int> tied = jsonInts(mv["tied_tasks"]);
        QCOMPARE(tied, r.tiedItems);
        AggregationParams random;
        random.randomTies = true;
        const AggregationResult m = majorityVote(d, random);
        for (int i = 0; i < d.itemCount(); ++i) {
            if (std::binary_search(tied.begin(), tied.end(), i)) {
                QVERIFY(m.posteriors(i, m.labels[i]) == m.posteriors.row(i).maxCoeff());
                continue;
            }
            QCOMPARE(m.labels[static_cast<std::size_t>(i)], refLabels[static_cast<std::size_t>(i)]);
        }
        const RowMatrixXd counts = jsonMatrix(mv["vote_counts"]);
        for (int i = 0; i < d.itemCount(); ++i)
            QVERIFY((counts.row(i) / counts.row(i).sum() - r.posteriors.row(i)).cwiseAbs().maxCoeff() <= 1e-12);
    }
};

QTEST_APPLESS_MAIN(TestAggregateVotes)
#include "test_aggregate_votes.moc"
