#include "data/dataset.h"
#include "data/summary.h"
#include "util/progress.h"
#include "util/error.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace crowdsift;

class TestDataset : public QObject {
    Q_OBJECT

private:
    static Dataset smallDataset()
    {
        // 4 items, 3 annotators, 3 classes; annotator 2 only labels item 3.
        Dataset d;
        d.name = "small";
        d.classNames = {"a", "b", "c"};
        d.itemKeys = {"10", "11", "12", "13"};
        d.splits.assign(4, Split::Train);
        d.imagePaths = {"x/10.png", "", "x/12.png", ""};
        d.annotatorIds = {"w1", "w2", "w3"};
        d.truth = {0, 1, -1, 2};
        d.answers = Answers::fromTriplets(4, 3, {{3, 2, 2}, {0, 1, 0}, {0, 0, 0}, {1, 0, 1}, {1, 1, 2}, {3, 0, 2}, {2, 1, 1}});
        return d;
    }

private Q_SLOTS:
    void compressedOrdersAgree()
    {
        const Dataset d = smallDataset();
        d.validate();
        const Answers& a = d.answers;
        QCOMPARE(a.size(), std::size_t{7});
        QCOMPARE(a.itemCount(), 4);
        QCOMPARE(a.annotatorCount(), 3);
        // Within an item, entries are sorted by annotator.
        const auto item0 = a.ofItem(0);
        QCOMPARE(item0.size(), std::size_t{2});
        QCOMPARE(item0.begin()[0].other, 0);
        QCOMPARE(item0.begin()[1].other, 1);
        QCOMPARE(a.countOfItem(2), 1);
        QCOMPARE(a.countOfAnnotator(0), 3);
        QCOMPARE(a.countOfAnnotator(2), 1);
        // Every by-item entry appears once in the by-annotator order with the same label.
        for (int i = 0; i < a.itemCount(); ++i)
            for (const auto& e : a.ofItem(i)) {
                int found = 0;
                for (const auto& f : a.ofAnnotator(e.other))
                    if (f.other == i) {
                        ++found;
                        QCOMPARE(f.label, e.label);
                    }
                QCOMPARE(found, 1);
            }
        const auto triplets = a.triplets();
        QCOMPARE(triplets.size(), std::size_t{7});
        QCOMPARE(triplets.front().item, 0);
        QCOMPARE(triplets.back().item, 3);
    }

    void complementaryFlagSurvives()
    {
        Answer t{0, 0, 2, true};
        const Answers a = Answers::fromTriplets(1, 1, {t});
        QVERIFY(a.ofItem(0).begin()->complementary());
        QVERIFY(a.triplets().front().complementary);
    }

    void outOfRangeTripletIsRejected()
    {
        QVERIFY_THROWS_EXCEPTION(std::logic_error, Answers::fromTriplets(2, 2, {{2, 0, 0}}));
        QVERIFY_THROWS_EXCEPTION(std::logic_error, Answers::fromTriplets(2, 2, {{0, -1, 0}}));
    }

    void validateCatchesMismatch()
    {
        Dataset d = smallDataset();
        d.truth = {0, 1};
        QVERIFY_THROWS_EXCEPTION(std::logic_error, d.validate());
        d = smallDataset();
        d.classNames = {"a", "b"};
        QVERIFY_THROWS_EXCEPTION(std::logic_error, d.validate());
    }

    void summaryCounts()
    {
        const DatasetSummary s = summarize(smallDataset());
        QCOMPARE(s.items, 4);
        QCOMPARE(s.annotators, 3);
        QCOMPARE(s.answers, std::int64_t{7});
        QCOMPARE(s.classes, 3);
        QCOMPARE(s.votesPerClass, (std::vector<std::int64_t>{2, 2, 3}));
        QCOMPARE(s.answersPerItem.min, std::int64_t{1});
        QCOMPARE(s.answersPerItem.median, std::int64_t{2});
        QCOMPARE(s.answersPerItem.max, std::int64_t{2});
        QCOMPARE(s.answersPerAnnotator.median, std::int64_t{3});
        QCOMPARE(s.itemsWithImages, 2);
        QVERIFY(s.truthPresent);
        QCOMPARE(s.itemsWithTruth, 3);
        QCOMPARE(s.truthPerClass, (std::vector<std::int64_t>{1, 1, 1}));
        QCOMPARE(s.annotatorTable[0].labels, std::int64_t{3});
        QCOMPARE(s.annotatorTable[0].classesUsed, 3);  // w1: a (item 10), b (item 11), c (item 13)
    }

    void summaryJsonHasIntegerFields()
    {
        const auto j = toJson(summarize(smallDataset()));
        QVERIFY(j["items"].is_number_integer());
        QVERIFY(j["annotators"].is_number_integer());
        QVERIFY(j["answers"].is_number_integer());
        QVERIFY(j["classes"].is_number_integer());
        QCOMPARE(j["answers"].get<int>(), 7);
    }

    void naturalOrderIsNumericWhenAllIdsAreIntegers()
    {
        const auto order = naturalIdOrder({"10", "9", "100", "-1"});
        QCOMPARE(order, (std::vector<int>{3, 1, 0, 2}));
        const auto lexical = naturalIdOrder({"b10", "b9", "a"});
        QCOMPARE(lexical, (std::vector<int>{2, 0, 1}));
    }

    void progressCancelStopsAJob()
    {
        Progress progress;
        std::atomic<int> steps{0};
        std::thread job([&] {
            try {
                for (int i = 0;; ++i) {
                    progress.step(i, 1e9);
                    ++steps;
                }
            } catch (const Cancelled&) {
            }
        });
        while (steps.load() < 1000)
            std::this_thread::yield();
        progress.cancel();
        job.join();
        QVERIFY(progress.isCancelled());
        QVERIFY_THROWS_EXCEPTION(Cancelled, progress.check());
    }

    void progressRateLimitsCallbacks()
    {
        int calls = 0;
        Progress progress([&](double, const std::string&) { ++calls; }, 100000);
        for (int i = 0; i < 1000; ++i)
            progress.step(i, 1000, "work");
        progress.step(1000, 1000);
        // First call, then only the final one (done == total).
        QCOMPARE(calls, 2);
    }
};

QTEST_APPLESS_MAIN(TestDataset)
#include "test_dataset.moc"
