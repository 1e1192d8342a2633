#include "project/aggregation_runs.h"
#include "project/final_labels.h"
#include "project/review.h"
#include "project/store.h"
#include "data/formats.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace crowdsift;

namespace {

// Six items, two annotators, three classes, an aggregation run given by hand and these
// decisions (ids as the store assigns them):
//   1 relabel a -> bird, note with a comma and quotes      a: decision bird
//   2 accept "b,1"                                         b: decision, the consensus dog
//   3 relabel c -> cat; 4 undo 3; 5 note "odd light"      c: consensus bird, with the note
//   d untouched                                            d: consensus dog
//   6 relabel e -> dog (e has no answers, no consensus)    e: decision dog
//   f untouched, no answers                                f: none
Dataset handDataset()
{
    Dataset d;
    d.name = "final";
    d.classNames = {"cat", "dog", "bird"};
    d.itemKeys = {"a", "b,1", "c", "d", "e", "f"};
    d.splits.assign(6, Split::Train);
    d.imagePaths.assign(6, "");
    d.annotatorIds = {"w1", "w2"};
    d.answers = Answers::fromTriplets(6, 2, {{0, 0, 0}, {0, 1, 0}, {1, 0, 1}, {1, 1, 0}, {2, 0, 2}, {3, 0, 1}, {3, 1, 1}});
    return d;
}

AggregationResult handResult()
{
    AggregationResult r;
    r.strategy = "hand";
    r.labels = {0, 1, 2, 1, -1, -1};
    r.posteriors.resize(6, 3);
    r.posteriors << 0.7, 0.2, 0.1,  //
        0.25, 0.5, 0.25,            //
        0.1, 0.3, 0.6,              //
        0.05, 0.9, 0.05,            //
        0.5, 0.25, 0.25,            //
        0.5, 0.25, 0.25;
    r.classPriors = Eigen::Vector3d(0.5, 0.25, 0.25);
    return r;
}

struct HandProject {
    QTemporaryDir dir;
    std::string path;
    std::int64_t run = 0;
};

void makeHandProject(HandProject& p)
{
    p.path = p.dir.filePath("final.csift").toStdString();
    Project project = Project::create(p.path, handDataset(), Progress::none());
    const Dataset dataset = project.loadDataset(Progress::none());
    p.run = storeAggregationRun(project, dataset, handResult(), {{"strategy", "hand"}}, {{"iterations", 0}});
    ReviewState state = loadReviewState(project);
    recordDecision(project, state, relabelDecision(0, 2, "curator", "wings, \"clearly\""));
    recordDecision(project, state, acceptDecision(1, handResult().labels[1], p.run, "curator"));
    recordDecision(project, state, relabelDecision(2, 0, "curator"));
    recordDecision(project, state, undoDecision(state.log().back(), "curator"));
    recordDecision(project, state, noteDecision(2, "curator", "odd light"));
    recordDecision(project, state, relabelDecision(4, 1, "vet"));
}

struct Loaded {
    Dataset dataset;
    FinalLabels labels;
};

Loaded load(const HandProject& p, LabelQualityMethod method = LabelQualityMethod::SelfConfidence)
{
    const Project project = Project::open(p.path);
    Loaded l;
    l.dataset = project.loadDataset(Progress::none());
    const AggregationResult result = loadAggregationRun(project, l.dataset, latestAggregationRun(project));
    l.labels = finalLabels(l.dataset, result, loadReviewState(project), method, p.run);
    return l;
}

}  // namespace

class TestFinalLabels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void csvRowsAreExact()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p);
        const std::string csv = p.dir.filePath("final.csv").toStdString();
        QCOMPARE(writeFinalLabels(l.dataset, l.labels, csv), std::vector<std::string>{csv});
        QCOMPARE(QString::fromStdString(readFileBytes(csv)),
                 QStringLiteral("task,label,source,posterior,quality,note\n"
                                "a,2,decision,0.1,0.1,\"wings, \"\"clearly\"\"\"\n"
                                "\"b,1\",1,decision,0.5,0.5,\n"
                                "c,2,consensus,0.6,0.6,odd light\n"
                                "d,1,consensus,0.9,0.9,\n"
                                "e,1,decision,0.25,0.25,\n"
                                "f,,none,,,\n"));
        QCOMPARE(l.labels.count(LabelSource::Decision), 3);
        QCOMPARE(l.labels.count(LabelSource::Consensus), 2);
        QCOMPARE(l.labels.count(LabelSource::None), 1);
    }

    void qualityFollowsTheMethod()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p, LabelQualityMethod::NormalizedMargin);
        // (p[label] - max other + 1) / 2
        const std::vector<double> expected{0.2, 0.625, 0.65, 0.925, 0.375};
        for (std::size_t i = 0; i < expected.size(); ++i)
            QVERIFY2(std::abs(l.labels.quality[i] - expected[i]) < 1e-12, qPrintable(QString::number(i)));
        QCOMPARE(l.labels.posterior[0], 0.1);
        QVERIFY(std::isnan(l.labels.quality[5]));
    }

    void jsonCarriesReviewerAndTime()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p);
        const std::string path = p.dir.filePath("final.json").toStdString();
        writeFinalLabels(l.dataset, l.labels, path, p.path);
        const nlohmann::json j = nlohmann::json::parse(readFileBytes(path));
        QCOMPARE(j["project"].get<std::string>(), p.path);
        QCOMPARE(j["run"].get<std::int64_t>(), p.run);
        QCOMPARE(j["strategy"].get<std::string>(), std::string("hand"));
        QCOMPARE(j["quality_method"].get<std::string>(), std::string("self_confidence"));
        QCOMPARE(j["classes"].size(), std::size_t(3));
        QCOMPARE(j["counts"]["decision"].get<int>(), 3);
        QCOMPARE(j["counts"]["relabelled"].get<int>(), 2);
        QCOMPARE(j["counts"]["accepted"].get<int>(), 1);
        QCOMPARE(j["counts"]["consensus"].get<int>(), 2);
        QCOMPARE(j["counts"]["none"].get<int>(), 1);
        const nlohmann::json& items = j["items"];
        QCOMPARE(items.size(), std::size_t(6));

        const nlohmann::json& a = items[0];
        QCOMPARE(a["task"].get<std::string>(), std::string("a"));
        QCOMPARE(a["label"].get<int>(), 2);
        QCOMPARE(a["class"].get<std::string>(), std::string("bird"));
        QCOMPARE(a["source"].get<std::string>(), std::string("decision"));
        QCOMPARE(a["status"].get<std::string>(), std::string("relabel"));
        QCOMPARE(a["reviewer"].get<std::string>(), std::string("curator"));
        QCOMPARE(a["decision"].get<int>(), 1);
        QVERIFY(a["time"].get<double>() > 1.6e9);
        QCOMPARE(a["note"].get<std::string>(), std::string("wings, \"clearly\""));

        QCOMPARE(items[1]["status"].get<std::string>(), std::string("accept"));
        QCOMPARE(items[1]["label"].get<int>(), 1);
        QCOMPARE(items[2]["source"].get<std::string>(), std::string("consensus"));
        QVERIFY(items[2]["status"].is_null());
        QVERIFY(items[2]["reviewer"].is_null());
        QVERIFY(items[2]["time"].is_null());
        QCOMPARE(items[2]["note"].get<std::string>(), std::string("odd light"));
        QCOMPARE(items[4]["reviewer"].get<std::string>(), std::string("vet"));
        QCOMPARE(items[4]["decision"].get<int>(), 6);
        QVERIFY(items[5]["label"].is_null());
        QVERIFY(items[5]["class"].is_null());
        QVERIFY(items[5]["posterior"].is_null());
        QCOMPARE(items[5]["source"].get<std::string>(), std::string("none"));
    }

    void npyFilesReadBack()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p);
        const std::string path = p.dir.filePath("final.npy").toStdString();
        const auto written = writeFinalLabels(l.dataset, l.labels, path);
        const std::string stem = p.dir.filePath("final").toStdString();
        QCOMPARE(written, (std::vector<std::string>{path, stem + ".source.npy", stem + ".posterior.npy",
                                                    stem + ".quality.npy"}));
        const NpyArray labels = readNpy(path);
        QCOMPARE(labels.type, NpyType::Int32);
        QCOMPARE(labels.as<int>(), (std::vector<int>{2, 1, 2, 1, 1, -1}));
        const NpyArray sources = readNpy(stem + ".source.npy");
        QCOMPARE(sources.type, NpyType::UInt8);
        QCOMPARE(sources.as<int>(), (std::vector<int>{2, 2, 1, 1, 2, 0}));
        const std::vector<double> posterior = readNpy(stem + ".posterior.npy").as<double>();
        QCOMPARE(posterior.size(), std::size_t(6));
        QCOMPARE(posterior[3], 0.9);
        QVERIFY(std::isnan(posterior[5]));
        QCOMPARE(readNpy(stem + ".quality.npy").as<double>()[4], 0.25);
    }

    void unknownExtensionIsAnError()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p);
        try {
            writeFinalLabels(l.dataset, l.labels, p.dir.filePath("final.xlsx").toStdString());
            QFAIL("wrote an unknown type");
        } catch (const InputError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("use .csv, .json or .npy"), e.what());
        }
    }

    void mismatchedRunIsAnError()
    {
        AggregationResult r = handResult();
        r.labels.pop_back();
        QVERIFY_THROWS_EXCEPTION(InputError, finalLabels(handDataset(), r, ReviewState(6)));
        QVERIFY_THROWS_EXCEPTION(InputError, finalLabels(handDataset(), handResult(), ReviewState(5)));
    }

    void peerannotRoundTripAddsTheCurator()
    {
        HandProject p;
        makeHandProject(p);
        const Loaded l = load(p);
        const std::string folder = p.dir.filePath("curated").toStdString();
        QCOMPARE(writeCuratedPeerannot(l.dataset, l.labels, folder), std::string("curator"));

        ReadOptions options;
        options.format = Format::Peerannot;
        const Dataset back = readDataset(folder, options);
        QCOMPARE(back.annotatorCount(), l.dataset.annotatorCount() + 1);
        QCOMPARE(back.classNames, l.dataset.classNames);
        QCOMPARE(static_cast<int>(back.answers.size()), static_cast<int>(l.dataset.answers.size()) + 3);
        const auto curator = static_cast<int>(std::find(back.annotatorIds.begin(), back.annotatorIds.end(), "curator")
                                              - back.annotatorIds.begin());
        QVERIFY(curator < back.annotatorCount());
        std::map<std::string, int> curatorAnswers;
        for (const Answers::Entry& e : back.answers.ofAnnotator(curator))
            curatorAnswers[back.itemKeys[static_cast<std::size_t>(e.other)]] = e.label;
        QCOMPARE(curatorAnswers, (std::map<std::string, int>{{"a", 2}, {"b,1", 1}, {"e", 1}}));
        // The original answers are all there, under their own annotators.
        for (int i = 0; i < l.dataset.itemCount(); ++i) {
            const int j = back.itemIndex(l.dataset.itemKeys[static_cast<std::size_t>(i)]);
            for (const Answers::Entry& e : l.dataset.answers.ofItem(i)) {
                const std::string& who = l.dataset.annotatorIds[static_cast<std::size_t>(e.other)];
                bool found = false;
                for (const Answers::Entry& f : back.answers.ofItem(j))
                    found |= back.annotatorIds[static_cast<std::size_t>(f.other)] == who && f.label == e.label;
                QVERIFY2(found, who.c_str());
            }
        }
    }

    void curatorIdIsMadeUnique()
    {
        Dataset d = handDataset();
        QCOMPARE(uniqueAnnotatorId(d, "curator"), std::string("curator"));
        d.annotatorIds = {"curator", "curator-2"};
        QCOMPARE(uniqueAnnotatorId(d, "curator"), std::string("curator-3"));
        const Dataset curated = withCuratorAnnotator(d, finalLabels(d, handResult(), ReviewState(6)));
        QCOMPARE(curated.annotatorIds.back(), std::string("curator-3"));
        // No decision, so the curator answers nothing.
        QCOMPARE(curated.answers.size(), d.answers.size());
        QCOMPARE(curated.answers.countOfAnnotator(2), 0);
    }

    // A dataset with a machine annotator: the curator joins as a person and the marks stay one per
    // annotator (the curated dataset validates).
    void curatorJoinsBesideAMachine()
    {
        Dataset d = handDataset();
        d.machineAnnotators = {0, 1};
        const Dataset curated = withCuratorAnnotator(d, finalLabels(d, handResult(), ReviewState(6)));
        QCOMPARE(curated.machineAnnotators, (std::vector<std::uint8_t>{0, 1, 0}));
        QVERIFY(curated.isMachine(1) && !curated.isMachine(2));
        curated.validate();
    }
};

QTEST_APPLESS_MAIN(TestFinalLabels)
#include "test_final_labels.moc"
