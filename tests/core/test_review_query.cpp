#include "analysis/review_query.h"
#include "util/error.h"

#include <QTest>

#include <cmath>
#include <set>
#include <stdexcept>

using namespace crowdsift;

namespace {

// 6 items with numeric keys, 2 annotators, 2 classes, a run with model probabilities; every list
// below is computed by hand under the default rule (easy: posterior >= 0.9, agreement 1, >= 2
// answers; hard: no consensus or posterior < 0.6):
//   item  key  answers (w0 w1)  label  posterior  agreement  band         model p(label)  id rank
//   0     30   0  0             0      0.95       1          easy         0.6             4
//   1     4    0  1             0      0.70       1/2        need review  0.9             0
//   2     12   1  1             1      0.92       1          easy         0.7             3
//   3     7    -  1             1      0.99       1          need review  0.8             2
//                                                            (one answer)
//   4     100  -  -            -1      -          -          hard         NaN             5
//   5     5    1  0             1      0.55       1/2        hard         0.6             1
Dataset handDataset()
{
    Dataset d;
    d.name = "review query";
    d.classNames = {"cat", "dog"};
    d.itemKeys = {"30", "4", "12", "7", "100", "5"};
    d.splits.assign(6, Split::Train);
    d.imagePaths.assign(6, std::string());
    d.annotatorIds = {"w0", "w1"};
    d.answers = Answers::fromTriplets(6, 2, {{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {1, 1, 1}, {2, 0, 1}, {2, 1, 1},
                                             {3, 1, 1}, {5, 0, 1}, {5, 1, 0}});
    d.validate();
    return d;
}

AggregationResult handRun(bool withModel = true)
{
    AggregationResult r;
    r.strategy = "hand";
    r.labels = {0, 0, 1, 1, -1, 1};
    r.posteriors.resize(6, 2);
    r.posteriors << 0.95, 0.05, 0.70, 0.30, 0.08, 0.92, 0.01, 0.99, 0.5, 0.5, 0.45, 0.55;
    if (withModel) {
        r.modelProbabilities.resize(6, 2);
        r.modelProbabilities << 0.6, 0.4, 0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.5, 0.5, 0.4, 0.6;
    }
    return r;
}

const IsDecided kNoneDecided = [](int) { return false; };

using Items = std::vector<int>;

}  // namespace

class TestReviewQuery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void perRunDataIsHandComputed()
    {
        const ReviewQuery query(handDataset(), handRun());
        QCOMPARE(query.itemCount(), 6);
        QCOMPARE(query.categories(), std::vector<Triage>({Triage::Easy, Triage::NeedReview, Triage::Easy,
                                                          Triage::NeedReview, Triage::Hard, Triage::Hard}));
        // Self-confidence under the model's probabilities, not the posteriors.
        const std::vector<double>& quality = query.labelQuality();
        QCOMPARE(quality[0], 0.6);
        QCOMPARE(quality[1], 0.9);
        QCOMPARE(quality[2], 0.7);
        QCOMPARE(quality[3], 0.8);
        QVERIFY(std::isnan(quality[4]));
        QCOMPARE(quality[5], 0.6);
    }

    void labelQualityFallsBackToThePosterior()
    {
        const ReviewQuery query(handDataset(), handRun(false));
        QCOMPARE(query.labelQuality()[1], 0.70);
        QCOMPARE(query.labelQuality()[5], 0.55);
    }

    void countsPerClassAndBand()
    {
        const ReviewQuery query(handDataset(), handRun());
        // Row 0: no consensus; row 1: cat; row 2: dog. Columns: easy, need review, hard.
        QCOMPARE(query.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 1}, {1, 1, 0}, {1, 1, 1}}));
    }

    void reviewOrder()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        // Posterior of the consensus ascending, no consensus first.
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{1, 3}, Items{4, 5}}));
        QCOMPARE(query.bands(1, kNoneDecided), ReviewBands({Items{2}, Items{3}, Items{5}}));
        QCOMPARE(query.bands(0, kNoneDecided), ReviewBands({Items{0}, Items{1}, Items{}}));
        QCOMPARE(query.bands(ReviewQuery::NoConsensus, kNoneDecided), ReviewBands({Items{}, Items{}, Items{4}}));
        // A class that does not exist shows nothing.
        QCOMPARE(query.bands(2, kNoneDecided), ReviewBands());
    }

    void labelQualityOrder()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        query.bands(ReviewQuery::AllClasses, kNoneDecided);  // sorted once under Review
        query.setSort(ReviewSort::LabelQuality);
        // 0.6 < 0.7 (easy), 0.8 < 0.9 (review), NaN first then 0.6 (hard).
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{0, 2}, Items{3, 1}, Items{4, 5}}));
        // Back to review order: the same lists as before.
        query.setSort(ReviewSort::Review);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{1, 3}, Items{4, 5}}));
    }

    void itemIdOrder()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        query.setSort(ReviewSort::ItemId);
        // Keys numerically: 4 (1), 5 (5), 7 (3), 12 (2), 30 (0), 100 (4).
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{1, 3}, Items{5, 4}}));
    }

    void annotatorFilter()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        query.setAnnotator(dataset, 0);  // answered items 0, 1, 2, 5
        QVERIFY(query.filtered());
        QCOMPARE(query.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 0}, {1, 1, 0}, {1, 0, 1}}));
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{1}, Items{5}}));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, query.setAnnotator(dataset, 2));
        query.setAnnotator(dataset, -1);
        QVERIFY(!query.filtered());
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{1, 3}, Items{4, 5}}));
    }

    void disagreementOnly()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        query.setDisagreementOnly(true);
        // Agreement below 1: items 1 and 5; item 4 has no answer to disagree with.
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{}, Items{1}, Items{5}}));
    }

    void decidedFilter()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        const std::set<int> decided{0, 5};
        const IsDecided isDecided = [&decided](int item) { return decided.count(item) > 0; };
        query.setDecided(DecidedFilter::Decided);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, isDecided), ReviewBands({Items{0}, Items{}, Items{5}}));
        QCOMPARE(query.counts(isDecided), std::vector<BandCounts>({{0, 0, 0}, {1, 0, 0}, {0, 0, 1}}));
        query.setDecided(DecidedFilter::Undecided);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, isDecided), ReviewBands({Items{2}, Items{1, 3}, Items{4}}));
        query.setDecided(DecidedFilter::All);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, isDecided), ReviewBands({Items{2, 0}, Items{1, 3}, Items{4, 5}}));
    }

    void itemFilterCombinesWithTheOthers()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        // Duplicates and indices outside [0, N) are ignored.
        QCOMPARE(query.setItems({5, 0, 0, 99, -1, 1}), 3);
        QVERIFY(query.hasItemFilter());
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{0}, Items{1}, Items{5}}));
        QCOMPARE(query.bands(1, kNoneDecided), ReviewBands({Items{}, Items{}, Items{5}}));
        query.setDisagreementOnly(true);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{}, Items{1}, Items{5}}));
        QVERIFY(query.passes(1, kNoneDecided));
        QVERIFY(!query.passes(0, kNoneDecided));
        query.clearItems();
        QVERIFY(!query.hasItemFilter());
        QCOMPARE(query.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 0}, {0, 1, 0}, {0, 0, 1}}));
    }

    void ruleChangeRebuckets()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        query.setSort(ReviewSort::ItemId);
        TriageRule strict;
        strict.hardPosterior = 0.8;  // item 1 (0.70) becomes hard
        query.setRule(strict);
        QCOMPARE(query.categories()[1], Triage::Hard);
        QCOMPARE(query.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 1}, {1, 0, 1}, {1, 1, 1}}));
        // Id ranks 0 (1), 1 (5), 5 (4).
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{3}, Items{1, 5, 4}}));
        // An invalid rule changes nothing.
        TriageRule invalid;
        invalid.hardPosterior = 0.95;  // above easyPosterior
        QVERIFY_THROWS_EXCEPTION(InputError, query.setRule(invalid));
        QCOMPARE(query.rule(), strict);
        QCOMPARE(query.categories()[1], Triage::Hard);
    }

    void filtersCarryOverToAnotherRun()
    {
        const Dataset dataset = handDataset();
        ReviewQuery before(dataset, handRun());
        before.setSort(ReviewSort::LabelQuality);
        before.setAnnotator(dataset, 1);
        before.setItems({0, 1, 3});
        before.setDecided(DecidedFilter::Undecided);
        ReviewQuery after(dataset, handRun());
        after.copyFilters(dataset, before);
        QCOMPARE(after.sort(), ReviewSort::LabelQuality);
        QCOMPARE(after.annotator(), 1);
        QVERIFY(after.hasItemFilter());
        QCOMPARE(after.decided(), DecidedFilter::Undecided);
        QCOMPARE(after.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{0}, Items{3, 1}, Items{}}));
    }

    // A trajectory triage replaces the rule's bands and the review order; the classes stay the
    // run's consensus. Spreads 0.5, 4, -1, 2, (no label), 3.5.
    void trajectoryTriageReplacesTheRule()
    {
        const Dataset dataset = handDataset();
        ReviewQuery query(dataset, handRun());
        const double nan = std::nan("");
        auto scores = std::make_shared<TrajectoryScores>();
        scores->labels = {0, 0, 1, 1, -1, 1};
        scores->spread = {0.5, 4.0, -1.0, 2.0, nan, 3.5};
        scores->level = scores->spread;
        scores->noisyProbability = {0.0, 1.0, 0.0, 0.2, nan, 0.9};
        const std::vector<Triage> categories{Triage::Easy, Triage::Hard,       Triage::Easy,
                                             Triage::NeedReview, Triage::Hard, Triage::Hard};
        // Under the rule: 1 - posterior.
        QVERIFY(std::abs(query.wrongProbability()[1] - 0.3) < 1e-12);
        QVERIFY(std::isnan(query.wrongProbability()[4]));

        QVERIFY_THROWS_EXCEPTION(InputError, query.setTrajectoryTriage(scores, {Triage::Easy}, {0.1}));
        QVERIFY(!query.hasTrajectoryTriage());
        query.setTrajectoryTriage(scores, categories, {0.1, 0.9, 0.0, 0.4, nan, 0.7});
        QVERIFY(query.hasTrajectoryTriage());
        QCOMPARE(query.trajectoryScores(), scores.get());
        QCOMPARE(query.categories(), categories);
        QCOMPARE(query.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 1}, {1, 0, 1}, {1, 1, 1}}));
        // Worst first: no label, then spread descending.
        const ReviewBands all = query.bands(ReviewQuery::AllClasses, kNoneDecided);
        QCOMPARE(all, ReviewBands({Items{0, 2}, Items{3}, Items{4, 1, 5}}));
        QCOMPARE(query.bands(1, kNoneDecided), ReviewBands({Items{2}, Items{3}, Items{5}}));
        const std::array<BandEstimate, 3> estimates = query.estimates(all);
        QCOMPARE(estimates[0].count, 2);
        QCOMPARE(estimates[0].estimatedWrong, 0.05);
        QCOMPARE(estimates[1].estimatedWrong, 0.4);
        QCOMPARE(estimates[2].count, 3);
        QCOMPARE(estimates[2].estimatedWrong, 0.8);  // item 4's unknown probability left out
        // The other orders are the query's own.
        query.setSort(ReviewSort::ItemId);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands({Items{2, 0}, Items{3}, Items{1, 5, 4}}));
        query.setSort(ReviewSort::Review);

        // A rule set meanwhile waits for the way back.
        TriageRule strict;
        strict.hardPosterior = 0.8;
        query.setRule(strict);
        QCOMPARE(query.categories(), categories);
        query.clearTrajectoryTriage();
        QVERIFY(!query.hasTrajectoryTriage());
        QCOMPARE(query.rule(), strict);
        QCOMPARE(query.categories()[1], Triage::Hard);
        QCOMPARE(query.categories()[3], Triage::NeedReview);
        QCOMPARE(query.bands(ReviewQuery::AllClasses, kNoneDecided)[0], (Items{2, 0}));  // posterior ascending again
        QVERIFY(std::abs(query.wrongProbability()[1] - 0.3) < 1e-12);
    }

    void emptyAndMismatchedRuns()
    {
        ReviewQuery empty;
        QCOMPARE(empty.itemCount(), 0);
        QCOMPARE(empty.bands(ReviewQuery::AllClasses, kNoneDecided), ReviewBands());
        QCOMPARE(empty.counts(kNoneDecided), std::vector<BandCounts>({{0, 0, 0}}));

        AggregationResult shorter = handRun();
        shorter.labels.pop_back();
        QVERIFY_THROWS_EXCEPTION(InputError, ReviewQuery(handDataset(), shorter));
    }
};

QTEST_APPLESS_MAIN(TestReviewQuery)
#include "test_review_query.moc"
