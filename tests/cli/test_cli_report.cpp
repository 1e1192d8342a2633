// End-to-end tests of `crowdsift-cli report`: the real executable on a small project with a
// hand-made data-parameters run, and on one without (the crowd rule stands in).

#include "clirun.h"
#include "report_project.h"

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>
#include <fstream>

using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;
namespace fs = std::filesystem;

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::vector<std::string> folderEntries(const QString& folder)
{
    std::vector<std::string> names;
    if (!fs::exists(folder.toStdString()))
        return names;
    for (const auto& entry : fs::directory_iterator(folder.toStdString()))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

class TestCliReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    crowdsift::testing::ReportProject withRun_;
    crowdsift::testing::ReportProject crowdOnly_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        fs::create_directories(dir_.filePath("dp").toStdString());
        fs::create_directories(dir_.filePath("crowd").toStdString());
        withRun_ = crowdsift::testing::makeReportProject(dir_.filePath("dp").toStdString(), true);
        crowdOnly_ = crowdsift::testing::makeReportProject(dir_.filePath("crowd").toStdString(), false);
    }

    void everyClassFromTheDataParametersRun()
    {
        const QString out = dir_.filePath("all");
        const Run run = runCli({"report", q(withRun_.path), "-o", out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("triage: Data Parameters run %1\n").arg(withRun_.dataParametersRun)),
                 qPrintable(run.out));
        QVERIFY(run.out.contains(QStringLiteral("class 1 dress: ")));
        QVERIFY(run.out.contains(QStringLiteral("wrote %1/report.json").arg(out)));
        QCOMPARE(folderEntries(out),
                 (std::vector<std::string>{"0_t-shirt_top.png", "1_dress.png", "2_bag.png", "report.json"}));
        const cv::Mat png = cv::imread((out + "/0_t-shirt_top.png").toStdString());
        QVERIFY(!png.empty());
        // 8 tiles of 112 px in a 6 px frame, 12 px apart, 28 px margins.
        QCOMPARE(png.cols, 8 * 124 + 7 * 12 + 2 * 28);
        std::ifstream in((out + "/report.json").toStdString());
        const nlohmann::json index = nlohmann::json::parse(in);
        QCOMPARE(index["classes"].size(), std::size_t(3));
        QCOMPARE(index["classes"][2]["items"].get<int>(), 10);
        QVERIFY(index["classes"][2]["hard"]["count"].get<int>() >= 1);
    }

    void oneClassByNameWithOptions()
    {
        const QString out = dir_.filePath("one");
        const Run run = runCli({"report", q(withRun_.path), "--class", "dress", "-o", out, "--per-row", "3",
                                "--hard-spread", "1000", "--run", QString::number(withRun_.dataParametersRun)});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("hard: no label, or spread >= 1000")), qPrintable(run.out));
        QVERIFY(run.out.contains(QStringLiteral(", 0 hard")));
        QVERIFY(!run.out.contains(QStringLiteral("class 0 ")));
        QCOMPARE(folderEntries(out), std::vector<std::string>{"1_dress.png"});
        const cv::Mat png = cv::imread((out + "/1_dress.png").toStdString());
        QVERIFY(!png.empty());
        QCOMPARE(png.cols, 600 + 2 * 28);  // three tiles are narrower than the minimum width

        const Run byIndex = runCli({"report", q(withRun_.path), "--class", "2", "-o", out});
        QVERIFY2(byIndex.exitCode == 0, qPrintable(byIndex.err));
        QCOMPARE(folderEntries(out), (std::vector<std::string>{"1_dress.png", "2_bag.png"}));
    }

    void crowdRuleStandsInWithoutDataParameters()
    {
        const QString out = dir_.filePath("crowd-report");
        const Run run = runCli({"report", q(crowdOnly_.path), "-o", out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains(QStringLiteral("triage: crowd rule on run %1 (mv) (the project has no finished "
                                                 "data-parameters run)")
                                      .arg(crowdOnly_.crowdRun)),
                 qPrintable(run.out));
        // Unanimous items are easy, the one split item per class needs review.
        QVERIFY2(run.out.contains(QStringLiteral("class 0 t-shirt/top: 9 easy (est. 0 % wrong), 1 need review")),
                 qPrintable(run.out));
        QCOMPARE(folderEntries(out).size(), std::size_t(4));

        const QString asked = dir_.filePath("crowd-asked");
        const Run crowd = runCli({"report", q(withRun_.path), "--rule", "crowd", "--class", "0", "-o", asked});
        QVERIFY2(crowd.exitCode == 0, qPrintable(crowd.err));
        QVERIFY(crowd.out.contains(QStringLiteral("triage: crowd rule on run %1 (mv)\n").arg(withRun_.crowdRun)));
    }

    void errorsNameTheProblemAndWriteNothing()
    {
        const QString out = dir_.filePath("errors");
        Run run = runCli({"report", q(withRun_.path), "--class", "shoe", "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("shoe")), qPrintable(run.err));
        run = runCli({"report", q(withRun_.path), "--run", QString::number(withRun_.crowdRun), "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("run %1").arg(withRun_.crowdRun)), qPrintable(run.err));
        run = runCli({"report", q(crowdOnly_.path), "--rule", "trajectory", "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("identify")), qPrintable(run.err));
        run = runCli({"report", q(crowdOnly_.path), "--window", "0.3", "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("crowd rule")), qPrintable(run.err));
        run = runCli({"report", q(withRun_.path), "--rule", "crowd", "--easy-spread", "2", "-o", out});
        QCOMPARE(run.exitCode, 1);
        run = runCli({"report", q(withRun_.path), "--window", "1.5", "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("window")), qPrintable(run.err));
        run = runCli({"report", dir_.filePath("missing.csift"), "-o", out});
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.err.contains(QStringLiteral("missing.csift")));
        QCOMPARE(folderEntries(out), std::vector<std::string>());
    }
};

QTEST_MAIN(TestCliReport)
#include "test_cli_report.moc"
