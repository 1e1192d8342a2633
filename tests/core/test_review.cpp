#include "project/review.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <random>

using namespace crowdsift;

namespace {

// Applies rows with ids 1, 2, ... as the store would assign them.
struct Log {
    ReviewState state;
    std::int64_t next = 1;

    explicit Log(int items) : state(items) {}
    Decision add(Decision d, double time = 0)
    {
        d.id = next++;
        d.time = time;
        state.apply(d);
        return d;
    }
};

std::vector<std::int64_t> ids(const std::vector<Decision>& rows)
{
    std::vector<std::int64_t> out;
    for (const Decision& d : rows)
        out.push_back(d.id);
    return out;
}

Dataset tinyDataset(int items)
{
    Dataset d;
    d.name = "review";
    d.classNames = {"cat", "dog", "bird"};
    std::vector<Answer> triplets;
    for (int i = 0; i < items; ++i) {
        d.itemKeys.push_back("img" + std::to_string(i));
        d.splits.push_back(Split::Train);
        d.imagePaths.emplace_back();
        triplets.push_back({i, 0, i % 3, false});
        triplets.push_back({i, 1, (i + 1) % 3, false});
    }
    d.annotatorIds = {"a", "b"};
    d.answers = Answers::fromTriplets(items, 2, triplets);
    return d;
}

// The state every item should have: its newest effective row, recomputed from scratch.
struct Expected {
    ReviewKind kind = ReviewKind::None;
    int label = -1;
    int decided = -1;
    std::string note;
};

std::vector<Expected> recompute(int items, const std::vector<Decision>& rows, const std::vector<bool>& undone)
{
    std::vector<Expected> out(static_cast<std::size_t>(items));
    std::vector<bool> noteSet(static_cast<std::size_t>(items), false);
    std::vector<bool> decisionSet(static_cast<std::size_t>(items), false);
    for (std::size_t r = rows.size(); r-- > 0;) {
        const Decision& d = rows[r];
        if (undone[r] || d.status == "undo")
            continue;
        Expected& e = out[static_cast<std::size_t>(d.item)];
        if (!noteSet[static_cast<std::size_t>(d.item)]) {
            e.note = d.note;
            noteSet[static_cast<std::size_t>(d.item)] = true;
        }
        if (d.status != "note" && !decisionSet[static_cast<std::size_t>(d.item)]) {
            decisionSet[static_cast<std::size_t>(d.item)] = true;
            e.kind = d.status == "relabel" ? ReviewKind::Relabel : d.status == "accept" ? ReviewKind::Accept : ReviewKind::None;
            e.label = d.status == "relabel" ? d.label : -1;
            e.decided = d.status == "relabel" || d.status == "accept" ? d.label : -1;
        }
    }
    return out;
}

void compareStates(const ReviewState& a, const ReviewState& b)
{
    QCOMPARE(a.itemCount(), b.itemCount());
    for (int i = 0; i < a.itemCount(); ++i) {
        QCOMPARE(a.kindOf(i), b.kindOf(i));
        QCOMPARE(a.decisionOf(i), b.decisionOf(i));
        QCOMPARE(a.decidedLabelOf(i), b.decidedLabelOf(i));
        QCOMPARE(a.noteOf(i), b.noteOf(i));
    }
    QCOMPARE(a.relabelledCount(), b.relabelledCount());
    QCOMPARE(a.acceptedCount(), b.acceptedCount());
    QCOMPARE(a.undoableIds(), b.undoableIds());
    QCOMPARE(a.log().size(), b.log().size());
    for (std::size_t r = 0; r < a.log().size(); ++r) {
        const Decision& x = a.log()[r];
        const Decision& y = b.log()[r];
        QCOMPARE(x.id, y.id);
        QCOMPARE(x.item, y.item);
        QCOMPARE(x.label, y.label);
        QCOMPARE(x.status, y.status);
        QCOMPARE(x.reviewer, y.reviewer);
        QCOMPARE(x.time, y.time);
        QCOMPARE(x.note, y.note);
        QCOMPARE(x.undoes, y.undoes);
    }
}

}  // namespace

class TestReview : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyStateHasNoDecisions()
    {
        const ReviewState state(3);
        QCOMPARE(state.itemCount(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(state.kindOf(i), ReviewKind::None);
            QVERIFY(!state.isDecided(i));
            QCOMPARE(state.decisionOf(i), -1);
            QCOMPARE(state.labelOf(i, 2), 2);
            QVERIFY(state.decisionRow(i) == nullptr);
            QCOMPARE(state.noteOf(i), std::string());
        }
        QCOMPARE(state.decidedCount(), 0);
        QVERIFY(state.undoSteps().empty());
    }

    void relabelAcceptUndoRedo()
    {
        Log log(4);
        const Decision first = log.add(relabelDecision(0, 2, "ann", "blurry"));
        QCOMPARE(log.state.kindOf(0), ReviewKind::Relabel);
        QCOMPARE(log.state.decisionOf(0), 2);
        QCOMPARE(log.state.labelOf(0, 1), 2);
        QCOMPARE(log.state.noteOf(0), std::string("blurry"));
        QCOMPARE(log.state.decisionRow(0)->id, first.id);

        log.add(acceptDecision(1, 2, 7, "ann"));
        QCOMPARE(log.state.kindOf(1), ReviewKind::Accept);
        QCOMPARE(log.state.decisionOf(1), -1);
        // The accept fixed label 2: a later consensus (0) does not move it.
        QCOMPARE(log.state.decidedLabelOf(1), 2);
        QCOMPARE(log.state.labelOf(1, 0), 2);
        QCOMPARE(log.state.decisionRow(1)->run, std::int64_t(7));
        QVERIFY(log.state.isDecided(1));
        QCOMPARE(log.state.relabelledCount(), 1);
        QCOMPARE(log.state.acceptedCount(), 1);

        const Decision second = log.add(relabelDecision(0, 1, "ann", "blurry"));
        QCOMPARE(log.state.decisionOf(0), 1);
        QCOMPARE(log.state.relabelledCount(), 1);

        // Undo takes the second relabel back: the first one holds again.
        log.add(undoDecision(second, "ann"));
        QCOMPARE(log.state.decisionOf(0), 2);
        QVERIFY(log.state.isUndone(second.id));
        QVERIFY(!log.state.isUndone(first.id));

        // Redo is a new row equal to the undone one.
        const Decision redo = log.add(redoDecision(second));
        QCOMPARE(redo.id, std::int64_t(5));
        QCOMPARE(redo.status, second.status);
        QCOMPARE(redo.label, 1);
        QCOMPARE(redo.undoes, std::int64_t(0));
        QCOMPARE(log.state.decisionOf(0), 1);

        log.add(undoDecision(redo, "ann"));
        log.add(undoDecision(first, "ann"));
        QCOMPARE(log.state.kindOf(0), ReviewKind::None);
        QCOMPARE(log.state.noteOf(0), std::string());
        QCOMPARE(log.state.relabelledCount(), 0);
        QCOMPARE(log.state.decidedCount(), 1);
        QCOMPARE(log.state.undoableIds(), (std::vector<std::int64_t>{2}));
        QCOMPARE(ids(log.state.effectiveDecisions()), (std::vector<std::int64_t>{2}));
        QCOMPARE(ids(log.state.historyOf(0)), (std::vector<std::int64_t>{1, 3, 4, 5, 6, 7}));
        QCOMPARE(ids(log.state.historyOf(1)), (std::vector<std::int64_t>{2}));
        QCOMPARE(log.state.log().size(), std::size_t(7));
    }

    void clearAndNotes()
    {
        Log log(2);
        log.add(noteDecision(0, "ann", "check the tail"));
        QCOMPARE(log.state.noteOf(0), std::string("check the tail"));
        QVERIFY(!log.state.isDecided(0));

        const Decision relabel = log.add(relabelDecision(0, 1, "ann", "tail says dog"));
        QCOMPARE(log.state.noteOf(0), std::string("tail says dog"));
        const Decision clear = log.add(clearDecision(0, "ann"));
        QCOMPARE(log.state.kindOf(0), ReviewKind::None);
        QVERIFY(log.state.decisionRow(0) == nullptr);
        QCOMPARE(log.state.noteOf(0), std::string());

        log.add(undoDecision(clear, "ann"));
        QCOMPARE(log.state.decisionOf(0), 1);
        QCOMPARE(log.state.noteOf(0), std::string("tail says dog"));

        log.add(undoDecision(relabel, "ann"));
        QCOMPARE(log.state.kindOf(0), ReviewKind::None);
        QCOMPARE(log.state.noteOf(0), std::string("check the tail"));
        QCOMPARE(log.state.relabelledCount(), 0);

        // A note row leaves the decision alone.
        log.add(acceptDecision(1, 0, 1, "ann", "fine"));
        log.add(noteDecision(1, "ann", "fine, but dark"));
        QCOMPARE(log.state.kindOf(1), ReviewKind::Accept);
        QCOMPARE(log.state.decisionRow(1)->note, std::string("fine"));
        QCOMPARE(log.state.noteOf(1), std::string("fine, but dark"));
    }

    void undoOutOfOrderKeepsTheNewestEffectiveRow()
    {
        Log log(1);
        const Decision a = log.add(relabelDecision(0, 2, "ann"));
        const Decision b = log.add(relabelDecision(0, 1, "ann"));
        log.add(undoDecision(a, "ann"));
        QCOMPARE(log.state.decisionOf(0), 1);
        QCOMPARE(log.state.relabelledCount(), 1);
        log.add(undoDecision(b, "ann"));
        QCOMPARE(log.state.kindOf(0), ReviewKind::None);
        QCOMPARE(log.state.relabelledCount(), 0);
    }

    void badRowsAreRejected_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("item");
        QTest::addColumn<int>("label");
        QTest::addColumn<qint64>("undoes");
        QTest::addColumn<qint64>("id");
        QTest::addColumn<QString>("mentions");
        // The log holds: 1 relabel item 0, 2 relabel item 1, 3 undo of 2.
        QTest::newRow("unknown status") << "approve" << 0 << -1 << qint64(0) << qint64(4) << "unknown status 'approve'";
        QTest::newRow("relabel without class") << "relabel" << 0 << -1 << qint64(0) << qint64(4) << "needs a class";
        QTest::newRow("accept with a bad label") << "accept" << 0 << -2 << qint64(0) << qint64(4) << "an accept needs the label accepted";
        QTest::newRow("clear with a label") << "clear" << 0 << 1 << qint64(0) << qint64(4) << "carries no label";
        QTest::newRow("item out of range") << "relabel" << 3 << 1 << qint64(0) << qint64(4) << "outside the project's 3 items";
        QTest::newRow("undo of nothing") << "undo" << 0 << -1 << qint64(9) << qint64(4) << "not in the log";
        QTest::newRow("undo twice") << "undo" << 1 << -1 << qint64(2) << qint64(4) << "already undone";
        QTest::newRow("undo of an undo") << "undo" << 1 << -1 << qint64(3) << qint64(4) << "itself an undo";
        QTest::newRow("undo of another item") << "undo" << 2 << -1 << qint64(1) << qint64(4) << "not item 2";
        QTest::newRow("relabel naming a row") << "relabel" << 0 << 1 << qint64(1) << qint64(4) << "only an undo row";
        QTest::newRow("id not increasing") << "relabel" << 0 << 1 << qint64(0) << qint64(3) << "ids must increase";
    }

    void badRowsAreRejected()
    {
        QFETCH(QString, status);
        QFETCH(int, item);
        QFETCH(int, label);
        QFETCH(qint64, undoes);
        QFETCH(qint64, id);
        QFETCH(QString, mentions);
        Log log(3);
        log.add(relabelDecision(0, 2, "ann"));
        const Decision second = log.add(relabelDecision(1, 0, "ann"));
        log.add(undoDecision(second, "ann"));

        Decision bad;
        bad.id = id;
        bad.item = item;
        bad.label = label;
        bad.status = status.toStdString();
        bad.undoes = undoes;
        try {
            log.state.apply(bad);
            QFAIL("accepted a bad row");
        } catch (const InputError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(mentions), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).startsWith("decision log: decision " + QString::number(id)), e.what());
        }
        QCOMPARE(log.state.log().size(), std::size_t(3));
        QCOMPARE(log.state.decisionOf(0), 2);
        QCOMPARE(log.state.kindOf(1), ReviewKind::None);
    }

    void undoStepsGroupRowsOfOneAction()
    {
        Log log(5);
        log.add(relabelDecision(0, 1, "ann"), 100.0);
        log.add(relabelDecision(1, 1, "ann"), 100.0);
        const Decision third = log.add(relabelDecision(2, 1, "ann"), 100.0);
        log.add(acceptDecision(3, 1, 1, "ann"), 101.0);
        log.add(acceptDecision(4, 1, 1, "bob"), 101.0);
        auto steps = log.state.undoSteps();
        QCOMPARE(steps.size(), std::size_t(3));
        QCOMPARE(ids(steps[0]), (std::vector<std::int64_t>{1, 2, 3}));
        QCOMPARE(ids(steps[1]), (std::vector<std::int64_t>{4}));
        QCOMPARE(ids(steps[2]), (std::vector<std::int64_t>{5}));

        log.add(undoDecision(third, "ann"), 102.0);
        steps = log.state.undoSteps();
        QCOMPARE(ids(steps[0]), (std::vector<std::int64_t>{1, 2}));

        // Rows without a time never merge.
        Log untimed(2);
        untimed.add(relabelDecision(0, 1, "ann"));
        untimed.add(relabelDecision(1, 1, "ann"));
        QCOMPARE(untimed.state.undoSteps().size(), std::size_t(2));
    }

    // Random relabel / accept / clear / note / undo / redo sequences: the incremental state
    // equals a from-scratch recomputation after every row, and replay() equals both.
    void randomSequencesMatchARecomputation()
    {
        const int items = 6;
        std::mt19937 rng(11);
        Log log(items);
        std::vector<Decision> rows;
        std::vector<bool> undone;
        for (int step = 0; step < 1500; ++step) {
            const int kind = static_cast<int>(rng() % 6);
            const int item = static_cast<int>(rng() % items);
            const std::string note = rng() % 3 == 0 ? "n" + std::to_string(step) : std::string();
            Decision d;
            if (kind == 0)
                d = relabelDecision(item, static_cast<int>(rng() % 3), "r", note);
            else if (kind == 1)
                d = acceptDecision(item, static_cast<int>(rng() % 3), 1, "r", note);
            else if (kind == 2)
                d = clearDecision(item, "r", note);
            else if (kind == 3)
                d = noteDecision(item, "r", note);
            else {
                // Undo (kind 4) or redo (kind 5) a random candidate row.
                std::vector<std::size_t> candidates;
                for (std::size_t r = 0; r < rows.size(); ++r)
                    if (rows[r].status != "undo" && undone[r] == (kind == 5))
                        candidates.push_back(r);
                if (candidates.empty())
                    continue;
                const std::size_t r = candidates[rng() % candidates.size()];
                d = kind == 4 ? undoDecision(rows[r], "r") : redoDecision(rows[r]);
            }
            d = log.add(d);
            if (d.status == "undo")
                undone[static_cast<std::size_t>(d.undoes - 1)] = true;
            rows.push_back(d);
            undone.push_back(false);

            const std::vector<Expected> expected = recompute(items, rows, undone);
            for (int i = 0; i < items; ++i) {
                const Expected& e = expected[static_cast<std::size_t>(i)];
                QCOMPARE(log.state.kindOf(i), e.kind);
                QCOMPARE(log.state.decisionOf(i), e.label);
                QCOMPARE(log.state.decidedLabelOf(i), e.decided);
                QCOMPARE(log.state.noteOf(i), e.note);
            }
        }
        int relabelled = 0;
        for (int i = 0; i < items; ++i)
            relabelled += log.state.kindOf(i) == ReviewKind::Relabel;
        QCOMPARE(log.state.relabelledCount(), relabelled);
        compareStates(ReviewState::replay(items, log.state.log()), log.state);
    }

    void reopeningTheProjectGivesTheSameState()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("review.csift").toStdString();
        ReviewState state;
        {
            Project project = Project::create(path, tinyDataset(5), Progress::none());
            state = loadReviewState(project);
            QCOMPARE(state.itemCount(), 5);
            const std::int64_t a = recordDecision(project, state, relabelDecision(0, 2, "curator", "looks like a bird"));
            recordDecision(project, state, acceptDecision(1, 1, 0, "curator"));
            const std::int64_t c = recordDecision(project, state, relabelDecision(2, 0, "curator"));
            recordDecision(project, state, undoDecision(state.log()[2], "curator"));
            recordDecision(project, state, redoDecision(state.log()[2]));
            recordDecision(project, state, noteDecision(3, "curator", "ask the vet"));
            recordDecision(project, state, undoDecision(state.log()[0], "curator"));
            QCOMPARE(a, std::int64_t(1));
            QCOMPARE(c, std::int64_t(3));

            // A row that fails the check is never written.
            QVERIFY_THROWS_EXCEPTION(InputError, recordDecision(project, state, undoDecision(state.log()[0], "curator")));
            // An accept without its label, or naming a run the project does not hold, neither.
            QVERIFY_THROWS_EXCEPTION(InputError, recordDecision(project, state, acceptDecision(4, -1, 0, "curator")));
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                     recordDecision(project, state, acceptDecision(4, 1, 99, "curator")));
            QCOMPARE(project.decisions().size(), std::size_t(7));
            QCOMPARE(state.log().size(), std::size_t(7));
        }
        const Project reopened = Project::open(path);
        const ReviewState replayed = loadReviewState(reopened);
        compareStates(replayed, state);
        QCOMPARE(replayed.kindOf(0), ReviewKind::None);
        QCOMPARE(replayed.noteOf(0), std::string());
        QCOMPARE(replayed.kindOf(1), ReviewKind::Accept);
        QCOMPARE(replayed.decidedLabelOf(1), 1);
        QCOMPARE(replayed.labelOf(1, 2), 1);
        QCOMPARE(replayed.decisionOf(2), 0);
        QCOMPARE(replayed.noteOf(3), std::string("ask the vet"));
        QCOMPARE(replayed.undoableIds(), (std::vector<std::int64_t>{2, 5, 6}));
        for (const Decision& d : replayed.log())
            QVERIFY(d.time > 1.6e9);
    }
};

QTEST_APPLESS_MAIN(TestReview)
#include "test_review.moc"
