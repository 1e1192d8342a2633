// Triage report figures (images/triage_report.h), the project triage they are drawn from
// (project/triage_source.h) and the report of a project (report/project_report.h).

#include "image_dataset.h"
#include "report_project.h"

#include "images/triage_report.h"
#include "project/run_service.h"
#include "project/triage_source.h"
#include "project/tsne_runs.h"
#include "report/project_report.h"
#include "util/error.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

using namespace crowdsift;
namespace fs = std::filesystem;

namespace {

const cv::Vec3b green(0x43, 0xa0, 0x2e);
const cv::Vec3b orange(0x00, 0x8c, 0xf0);
const cv::Vec3b red(0x2f, 0x2f, 0xd0);

// Six items of classes a, b; item i shows a 28 px gray image of value 20 + 30 i, item 5 none.
Dataset sixImages(const std::string& root)
{
    std::vector<std::string> paths;
    for (int i = 0; i < 6; ++i) {
        if (i == 5) {
            paths.emplace_back();
            continue;
        }
        paths.push_back("i" + std::to_string(i) + ".png");
        cv::imwrite(root + "/" + paths.back(), cv::Mat(28, 28, CV_8UC1, cv::Scalar(20 + 30 * i)));
    }
    return testing::imageDataset(root, paths);
}

ReportBand band(std::vector<int> items, double wrong)
{
    ReportBand b;
    b.count = static_cast<int>(items.size());
    b.items = std::move(items);
    b.estimatedWrong = wrong;
    return b;
}

// Class a: easy 0, 1, 2 (worst first), need review 3, hard 4, 5.
ClassReport classA()
{
    ClassReport report;
    report.classIndex = 0;
    report.source = "hand-made";
    report.note = "Rule: a test";
    report.bands = {band({0, 1, 2}, 0.004), band({3}, 0.2), band({4, 5}, 0.75)};
    return report;
}

ClassReport classB()
{
    ClassReport report;
    report.classIndex = 1;
    report.source = "hand-made";
    report.bands = {band({1}, 0.0), band({}, std::nan("")), band({2}, std::nan(""))};
    return report;
}

std::vector<std::string> folderEntries(const std::string& folder)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

class TestTriageReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void representativesFollowTheBand()
    {
        const std::vector<int> items{10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
        QCOMPARE(representativeItems(items, ReportBandKind::Hard, 3), (std::vector<int>{10, 11, 12}));
        QCOMPARE(representativeItems(items, ReportBandKind::Easy, 3), (std::vector<int>{19, 18, 17}));
        // The middle of each of 4 slices of 10: 1.25, 3.75, 6.25, 8.75.
        QCOMPARE(representativeItems(items, ReportBandKind::NeedReview, 4), (std::vector<int>{11, 13, 16, 18}));
        QCOMPARE(representativeItems(items, ReportBandKind::NeedReview, 20), items);
        QCOMPARE(representativeItems({}, ReportBandKind::Easy, 8), std::vector<int>());
    }

    void writesReadablePngWithColouredFrames()
    {
        const std::string root = dir_.filePath("one").toStdString();
        fs::create_directories(root);
        const Dataset dataset = sixImages(root);
        ReportOptions options;
        options.perRow = 4;
        std::array<std::vector<cv::Rect>, 3> tiles;
        const cv::Mat drawn = renderClassReport(dataset, classA(), options, &tiles);
        QCOMPARE(tiles[0].size(), std::size_t(3));
        QCOMPARE(tiles[1].size(), std::size_t(1));
        QCOMPARE(tiles[2].size(), std::size_t(2));

        const std::string path = root + "/a.png";
        writeClassReport(dataset, classA(), path, options);
        const cv::Mat png = cv::imread(path, cv::IMREAD_COLOR);
        QVERIFY(!png.empty());
        QCOMPARE(png.cols, drawn.cols);
        QCOMPARE(png.rows, drawn.rows);
        const int framed = options.tileSize + 2 * options.border;
        QCOMPARE(tiles[0][0].width, framed);
        QVERIFY(png.cols >= 4 * framed);

        // Frames: the border pixels; inside, the item's image scaled up.
        const auto frame = [&](const cv::Rect& tile) { return png.at<cv::Vec3b>(tile.y + 2, tile.x + tile.width / 2); };
        const auto centre = [&](const cv::Rect& tile) {
            return png.at<cv::Vec3b>(tile.y + tile.height / 2, tile.x + tile.width / 2);
        };
        QCOMPARE(frame(tiles[0][0]), green);
        QCOMPARE(frame(tiles[1][0]), orange);
        QCOMPARE(frame(tiles[2][0]), red);
        QCOMPARE(png.at<cv::Vec3b>(tiles[2][1].y + tiles[2][1].height - 2, tiles[2][1].x + 1), red);
        // Easy shows its most typical item first (the last of the order), hard its worst first.
        QCOMPARE(centre(tiles[0][0]), cv::Vec3b(80, 80, 80));  // item 2
        QCOMPARE(centre(tiles[2][0]), cv::Vec3b(140, 140, 140));  // item 4
        // A 28 px image fills the 112 px tile at 4x.
        QCOMPARE(png.at<cv::Vec3b>(tiles[0][0].y + options.border, tiles[0][0].x + options.border),
                 cv::Vec3b(80, 80, 80));
        // Item 5 has no image: a grey placeholder, still framed red.
        QCOMPARE(frame(tiles[2][1]), red);
        QVERIFY(centre(tiles[2][1]) != cv::Vec3b(255, 255, 255));

        // No temporary file is left beside it.
        for (const std::string& name : folderEntries(root))
            QVERIFY2(name.front() != '.', name.c_str());
    }

    // The class's map to the right of the rows: points in the band colours where the coordinates
    // put them (y up), other classes' points grey, and the canvas wider by the panel.
    void mapBesideTheRows()
    {
        const std::string root = dir_.filePath("map").toStdString();
        fs::create_directories(root);
        const Dataset dataset = sixImages(root);
        ReportOptions options;
        options.perRow = 4;
        const cv::Mat plain = renderClassReport(dataset, classA(), options);
        ClassReport report = classA();
        report.map.caption = "a hand-made map";
        report.map.coords = {0, 0, 10, 0, 0, 10, 5, 5, 100, 100};
        report.map.band = {0, 2, 1, -1, -1};
        const cv::Mat drawn = renderClassReport(dataset, report, options);
        QCOMPARE(drawn.cols, plain.cols + options.mapSize + 24);
        QVERIFY(drawn.rows >= options.mapSize);

        // Where each colour lies in the panel (right of the rows): the mean of its pixels.
        const auto centroid = [&](const cv::Vec3b& colour, int& count) {
            cv::Point2d sum(0, 0);
            count = 0;
            for (int y = 0; y < drawn.rows; ++y)
                for (int x = plain.cols - 28; x < drawn.cols; ++x)
                    if (drawn.at<cv::Vec3b>(y, x) == colour) {
                        sum += cv::Point2d(x, y);
                        ++count;
                    }
            return count > 0 ? sum / count : sum;
        };
        int easy = 0, hard = 0, review = 0, grey = 0;
        const cv::Point2d e = centroid(green, easy), h = centroid(red, hard), r = centroid(orange, review);
        const cv::Point2d g = centroid(cv::Vec3b(215, 215, 215), grey);
        QVERIFY(easy > 0 && hard > 0 && review > 0 && grey > 0);
        // Hard at x = 10 lies right of easy at x = 0 on the same row; need review (y = 10) above.
        QVERIFY(h.x > e.x + 100);
        QVERIFY(std::abs(h.y - e.y) < 3);
        QVERIFY(r.y < e.y - 100);
        QVERIFY(std::abs(r.x - e.x) < 3);
        // The view fits the class's points: the grey one between them shows, the far one not.
        QVERIFY(g.x > e.x && g.x < h.x && g.y < e.y && g.y > r.y);

        report.map.band.pop_back();
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, report, options));
        report.map.band.push_back(3);
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, report, options));
    }

    void checksItsInput()
    {
        const std::string root = dir_.filePath("bad").toStdString();
        fs::create_directories(root);
        const Dataset dataset = sixImages(root);
        ClassReport report = classA();
        report.bands[2].items.push_back(6);
        report.bands[2].count = 3;
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, report));
        report = classA();
        report.bands[0].count = 5;
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, report));
        report = classA();
        report.classIndex = 2;
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, report));
        ReportOptions options;
        options.perRow = 0;
        QVERIFY_THROWS_EXCEPTION(InputError, renderClassReport(dataset, classA(), options));
        QVERIFY_THROWS_EXCEPTION(InputError, writeClassReport(dataset, classA(), root + "/missing/a.png"));
        QVERIFY(!fs::exists(root + "/missing"));
    }

    void classNamesBecomeFileNames()
    {
        QCOMPARE(sanitizedFileStem("t-shirt/top"), std::string("t-shirt_top"));
        QCOMPARE(sanitizedFileStem("  \xc3\xbc" "ber cat "), std::string("ber_cat"));
        QCOMPARE(sanitizedFileStem("../.."), std::string("class"));
        QCOMPARE(sanitizedFileStem(""), std::string("class"));
        QCOMPARE(sanitizedFileStem(std::string(80, 'x')).size(), std::size_t(60));
        Dataset dataset;
        dataset.classNames = {"t-shirt/top", "1_trouser", "3_dress"};
        QCOMPARE(reportFileName(dataset, 0), std::string("0_t-shirt_top.png"));
        QCOMPARE(reportFileName(dataset, 1), std::string("1_trouser.png"));
        QCOMPARE(reportFileName(dataset, 2), std::string("2_3_dress.png"));
        QVERIFY_THROWS_EXCEPTION(InputError, reportFileName(dataset, 3));
    }

    void everyClassWithAnIndex()
    {
        const std::string root = dir_.filePath("all").toStdString();
        fs::create_directories(root);
        const Dataset dataset = sixImages(root);
        const std::string out = root + "/report";
        const std::vector<std::string> written = writeClassReports(dataset, {classA(), classB()}, out);
        QCOMPARE(written, (std::vector<std::string>{out + "/0_a.png", out + "/1_b.png", out + "/report.json"}));
        QCOMPARE(folderEntries(out), (std::vector<std::string>{"0_a.png", "1_b.png", "report.json"}));
        for (const std::string& png : {written[0], written[1]})
            QVERIFY(!cv::imread(png).empty());
        std::ifstream in(written[2]);
        const nlohmann::json index = nlohmann::json::parse(in);
        QCOMPARE(index["source"].get<std::string>(), std::string("hand-made"));
        QCOMPARE(index["classes"].size(), std::size_t(2));
        const nlohmann::json& a = index["classes"][0];
        QCOMPARE(a["name"].get<std::string>(), std::string("a"));
        QCOMPARE(a["file"].get<std::string>(), std::string("0_a.png"));
        QCOMPARE(a["items"].get<int>(), 6);
        QCOMPARE(a["hard"]["count"].get<int>(), 2);
        QCOMPARE(a["easy"]["estimated_wrong"].get<double>(), 0.004);
        QVERIFY(index["classes"][1]["need_review"]["estimated_wrong"].is_null());
    }

    void failureLeavesNoFile()
    {
        const std::string root = dir_.filePath("cancel").toStdString();
        fs::create_directories(root);
        const Dataset dataset = sixImages(root);

        // Cancelled while drawing the second class: the first is drawn already, yet nothing stays.
        const std::string existing = root + "/existing";
        fs::create_directories(existing);
        Progress progress;
        progress.setCallback(
            [&progress](double, const std::string& stage) {
                if (stage == "drawing b")
                    progress.cancel();
            },
            0);
        QVERIFY_THROWS_EXCEPTION(Cancelled, writeClassReports(dataset, {classA(), classB()}, existing, {}, progress));
        QCOMPARE(folderEntries(existing), std::vector<std::string>());

        // A folder made for the report goes again.
        Progress again;
        again.setCallback(
            [&again](double, const std::string& stage) {
                if (stage == "drawing b")
                    again.cancel();
            },
            0);
        QVERIFY_THROWS_EXCEPTION(Cancelled,
                                 writeClassReports(dataset, {classA(), classB()}, root + "/fresh", {}, again));
        QVERIFY(!fs::exists(root + "/fresh"));

        // A bad class is found before anything is written.
        ClassReport bad = classB();
        bad.bands[0].items = {9};
        QVERIFY_THROWS_EXCEPTION(InputError, writeClassReports(dataset, {classA(), bad}, root + "/bad"));
        QVERIFY(!fs::exists(root + "/bad"));
    }

    void projectTriageFromDataParameters()
    {
        const std::string folder = dir_.filePath("dp").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, true);
        const Project project = Project::open(made.path);
        const Dataset dataset = project.loadDataset(Progress::none());
        const ProjectTriage triage = projectTriage(project, dataset, {});
        QVERIFY(triage.trajectory);
        QCOMPARE(triage.run, made.dataParametersRun);
        QCOMPARE(triage.source, "Data Parameters run " + std::to_string(made.dataParametersRun));
        QVERIFY(triage.fallback.empty());
        QCOMPARE(triage.bands.size(), std::size_t(3));
        for (int k = 0; k < 3; ++k) {
            const auto& bands = triage.bands[static_cast<std::size_t>(k)];
            QCOMPARE(int(bands[0].size() + bands[1].size() + bands[2].size()), 10);
            // The far item leads the hard band; item k*10 + 8, a little above, is no easy item.
            QVERIFY(!bands[2].empty());
            QCOMPARE(bands[2].front(), 10 * k + 9);
            QVERIFY(std::find(bands[0].begin(), bands[0].end(), 10 * k + 8) == bands[0].end());
            QVERIFY(!bands[0].empty());
            QVERIFY(std::isfinite(triage.estimatedWrong[static_cast<std::size_t>(k)][0]));
        }

        // Rule changes reach the trajectory rule; an unknown key is refused.
        TriageSourceOptions options;
        options.trajectoryRuleChanges = {{"hard_spread", 1000.0}};
        const ProjectTriage lenient = projectTriage(project, dataset, options);
        QVERIFY(lenient.bands[0][2].empty());
        options.trajectoryRuleChanges = {{"hard_sprad", 2.0}};
        QVERIFY_THROWS_EXCEPTION(InputError, projectTriage(project, dataset, options));

        // The crowd rule on request: majority vote's unanimous items are easy, the split ones not.
        TriageSourceOptions crowd;
        crowd.kind = TriageSourceKind::Crowd;
        const ProjectTriage byCrowd = projectTriage(project, dataset, crowd);
        QVERIFY(!byCrowd.trajectory);
        QCOMPARE(byCrowd.run, made.crowdRun);
        QCOMPARE(byCrowd.bands[0][0].size(), std::size_t(9));
        QCOMPARE(byCrowd.bands[0][1], std::vector<int>{9});
        crowd.trajectoryRuleChanges = {{"window", 0.3}};
        QVERIFY_THROWS_EXCEPTION(InputError, projectTriage(project, dataset, crowd));
    }

    void projectReportFallsBackToTheCrowd()
    {
        const std::string folder = dir_.filePath("crowd").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, false);
        const Project project = Project::open(made.path);
        const Dataset dataset = project.loadDataset(Progress::none());
        TriageSourceOptions trajectory;
        trajectory.kind = TriageSourceKind::Trajectory;
        QVERIFY_THROWS_EXCEPTION(InputError, projectTriage(project, dataset, trajectory));

        ProjectReportOptions options;
        const ProjectReport report = writeProjectReport(project, dataset, folder + "/out", options);
        QVERIFY(!report.triage.trajectory);
        QVERIFY(!report.triage.fallback.empty());
        QCOMPARE(report.files.size(), std::size_t(4));
        QCOMPARE(folderEntries(folder + "/out"),
                 (std::vector<std::string>{"0_t-shirt_top.png", "1_dress.png", "2_bag.png", "report.json"}));

        options.classIndex = 1;
        const ProjectReport one = writeProjectReport(project, dataset, folder + "/one", options);
        QCOMPARE(one.files, std::vector<std::string>{folder + "/one/1_dress.png"});
        const cv::Mat png = cv::imread(one.files.front());
        QVERIFY(!png.empty());
        options.classIndex = 3;
        QVERIFY_THROWS_EXCEPTION(InputError, writeProjectReport(project, dataset, folder + "/three", options));
        QVERIFY(!fs::exists(folder + "/three"));
    }

    // A whole-dataset map run puts every class's map beside its rows: its own items in their
    // bands, the others grey; a class's own map wins over the whole dataset's.
    void projectReportDrawsTheMaps()
    {
        const std::string folder = dir_.filePath("maps").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, false);
        Project project = Project::open(made.path);
        const Dataset dataset = project.loadDataset(Progress::none());
        const auto storeMap = [&](int mappedClass, std::vector<std::int32_t> items) {
            std::vector<float> coords;
            for (const std::int32_t item : items)
                coords.insert(coords.end(), {static_cast<float>(item % 7), static_cast<float>(item / 7)});
            return recordRun(project, "tsne", {{"input", "features"}, {"source_run", 0}, {"class", mappedClass}}, "tsne",
                             [&](std::int64_t run) {
                                 writeTsneOutputs(project, run, items, coords, {1.5}, {50});
                                 return nlohmann::json::object();
                             });
        };
        std::vector<std::int32_t> all(static_cast<std::size_t>(dataset.itemCount()));
        std::iota(all.begin(), all.end(), 0);
        const std::int64_t whole = storeMap(-1, all);
        const std::int64_t ofClass1 = storeMap(1, {10, 11, 12});

        const ProjectTriage triage = projectTriage(project, dataset, {});
        std::vector<ClassReport> reports = classReports(triage, {0, 1});
        attachMaps(project, triage, reports);
        QCOMPARE(reports[0].map.band.size(), all.size());
        QVERIFY(reports[0].map.caption.find("run " + std::to_string(whole)) != std::string::npos);
        for (std::size_t i = 0; i < all.size(); ++i)
            QCOMPARE(reports[0].map.band[i],
                     triage.classOf[i] == 0 ? static_cast<int>(triage.categories[i]) : -1);
        QCOMPARE(reports[1].map.band.size(), std::size_t(3));
        QVERIFY(reports[1].map.caption.find("run " + std::to_string(ofClass1)) != std::string::npos);

        ProjectReportOptions options;
        options.classIndex = 0;
        const cv::Mat withMap = cv::imread(writeProjectReport(project, dataset, folder + "/with", options).files.front());
        options.maps = false;
        const cv::Mat without = cv::imread(writeProjectReport(project, dataset, folder + "/without", options).files.front());
        QCOMPARE(withMap.cols, without.cols + options.figure.mapSize + 24);
    }
};

QTEST_MAIN(TestTriageReport)
#include "test_triage_report.moc"
