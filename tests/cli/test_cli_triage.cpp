// End-to-end tests of `crowdsift-cli triage`: the real executable on a small project with a
// majority-vote run and a hand-made data-parameters run whose trajectories are known, so each
// item's band follows from the rule by hand.

#include "clirun.h"

#include "project/store.h"
#include "util/progress.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <string>
#include <vector>

using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

constexpr int kItems = 30;
constexpr int kClasses = 3;
constexpr std::size_t kEpochs = 4;
// Planted: their sigma grows over the epochs (the network cannot fit their label).
const std::vector<int> kPlanted = {4, 17, 25};

// 30 items, three annotators, all voting class i % 3, except that annotator w2 dissents on items
// 1, 2 (so their majority is still i % 3 but not unanimous). Truth: i % 3, except the planted
// items, whose truth is the next class (their consensus is wrong).
crowdsift::Dataset thirtyItems()
{
    crowdsift::Dataset d;
    d.name = "thirty";
    d.source = "/nowhere/thirty.csv";
    d.format = "csv";
    d.classNames = {"cat", "dog", "bird"};
    for (int i = 0; i < kItems; ++i) {
        d.itemKeys.push_back("t" + std::to_string(i));
        d.splits.push_back(crowdsift::Split::Train);
        d.imagePaths.push_back({});
        const bool planted = std::find(kPlanted.begin(), kPlanted.end(), i) != kPlanted.end();
        d.truth.push_back(planted ? (i + 1) % kClasses : i % kClasses);
    }
    d.annotatorIds = {"w0", "w1", "w2"};
    std::vector<crowdsift::Answer> answers;
    for (int i = 0; i < kItems; ++i)
        for (int w = 0; w < 3; ++w)
            answers.push_back({i, w, (w == 2 && (i == 1 || i == 2)) ? (i + 1) % kClasses : i % kClasses, false});
    d.answers = crowdsift::Answers::fromTriplets(kItems, 3, answers);
    return d;
}

QJsonObject parse(const Run& run)
{
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

int bandItems(const QJsonObject& triage, const char* band)
{
    return triage["bands"].toObject()[band].toObject()["items"].toInt();
}

}  // namespace

class TestCliTriage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString project_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        project_ = dir_.filePath("p.csift");
        crowdsift::Project::create(project_.toStdString(), thirtyItems(), crowdsift::Progress::none());
        const Run aggregate = runCli({"aggregate", project_, "-s", "mv"});
        QVERIFY2(aggregate.exitCode == 0, qPrintable(aggregate.err));
    }

    void withoutDataParametersTheCrowdRuleIsUsed()
    {
        const Run run = runCli({"triage", project_, "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject t = parse(run);
        QCOMPARE(t["rule"].toString(), QStringLiteral("crowd"));
        QCOMPARE(t["items"].toInt(), kItems);
        // Majority vote: unanimous items have posterior 1 (easy), items 1 and 2 have 2/3 (< 0.9
        // but >= 0.6: need review).
        QCOMPARE(bandItems(t, "easy"), kItems - 2);
        QCOMPARE(bandItems(t, "need_review"), 2);
        QCOMPARE(bandItems(t, "hard"), 0);

        const Run asked = runCli({"triage", project_, "--rule", "trajectory"});
        QCOMPARE(asked.exitCode, 1);
        QVERIFY2(asked.err.contains("no finished data-parameters run"), qPrintable(asked.err));
        QVERIFY2(asked.err.contains("crowdsift-cli identify"), qPrintable(asked.err));
    }

    void trajectoryRuleFindsThePlantedItems()
    {
        {
            crowdsift::Project project = crowdsift::Project::open(project_.toStdString());
            const std::int64_t run = project.beginRun("data-parameters", {{"labels", "1"}, {"model", "mlp"}}, "mlp");
            QCOMPARE(run, std::int64_t{2});
            std::vector<float> sigma(kItems * kEpochs);
            std::vector<std::int32_t> labels(kItems);
            for (int i = 0; i < kItems; ++i) {
                labels[static_cast<std::size_t>(i)] = i % kClasses;
                const bool planted = std::find(kPlanted.begin(), kPlanted.end(), i) != kPlanted.end();
                for (std::size_t e = 0; e < kEpochs; ++e) {
                    // Clean items shrink a little, each at its own pace; planted items grow.
                    const double step = static_cast<double>(e + 1);
                    const double value = planted ? 1.0 + 0.5 * step : 1.0 - 0.01 * step * (2 + i % 2);
                    sigma[static_cast<std::size_t>(i) * kEpochs + e] = static_cast<float>(value);
                }
            }
            project.addRunOutput(run, "sigma_instance", sigma.data(), {kItems, kEpochs});
            project.addRunOutput(run, "labels", labels.data(), {kItems});
            project.finishRun(run, "done", {{"epochs", kEpochs}});
        }
        const QString csv = dir_.filePath("triage.csv");
        const Run run = runCli({"triage", project_, "--json", "-o", csv});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject t = parse(run);
        QCOMPARE(t["rule"].toString(), QStringLiteral("trajectory"));
        QCOMPARE(t["settings"].toObject()["run"].toInt(), 2);
        QCOMPARE(t["settings"].toObject()["crowd_run"].toInt(), 1);
        // The planted items are far above their class (hard); items 1 and 2 are typical but the
        // crowd's posterior is 2/3 < 0.9 (need review); the rest are easy.
        QCOMPARE(bandItems(t, "hard"), 3);
        QCOMPARE(bandItems(t, "need_review"), 2);
        QCOMPARE(bandItems(t, "easy"), kItems - 5);
        // Against the truth: every hard item is wrong, no easy one.
        const QJsonObject bands = t["bands"].toObject();
        QCOMPARE(bands["hard"].toObject()["wrong"].toDouble(), 1.0);
        QCOMPARE(bands["easy"].toObject()["wrong"].toDouble(), 0.0);
        QVERIFY(bands["hard"].toObject()["estimated_wrong"].toDouble()
                > bands["easy"].toObject()["estimated_wrong"].toDouble());

        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), kItems + 1);
        QCOMPARE(lines[0], QStringLiteral("item,class,category,spread,wrong_probability"));
        for (const int planted : kPlanted) {
            const QStringList fields = lines[planted + 1].split(',');
            QCOMPARE(fields[0], QStringLiteral("t%1").arg(planted));
            QCOMPARE(fields[2], QStringLiteral("hard"));
            QVERIFY(fields[3].toDouble() > 3.0);
        }
        QCOMPARE(lines[2].split(',')[2], QStringLiteral("need_review"));  // t1
        QCOMPARE(lines[1].split(',')[1], QStringLiteral("cat"));          // t0

        // Without the crowd, items 1 and 2 are easy too; a wider easy band cannot take a hard item.
        const Run noCrowd = runCli({"triage", project_, "--json", "--no-crowd", "--easy-spread", "2"});
        QVERIFY2(noCrowd.exitCode == 0, qPrintable(noCrowd.err));
        QCOMPARE(bandItems(parse(noCrowd), "easy"), kItems - 3);
        QCOMPARE(bandItems(parse(noCrowd), "hard"), 3);

        // The crowd rule is still there on request.
        const Run crowd = runCli({"triage", project_, "--json", "--rule", "crowd"});
        QVERIFY2(crowd.exitCode == 0, qPrintable(crowd.err));
        QCOMPARE(parse(crowd)["rule"].toString(), QStringLiteral("crowd"));

        const Run table = runCli({"triage", project_});
        QVERIFY2(table.exitCode == 0, qPrintable(table.err));
        QVERIFY2(table.out.contains("Triage from data-parameters run 2, epochs 1-2 of 4; crowd: run 1 (mv)"),
                 qPrintable(table.out));
        QVERIFY2(table.out.contains("wrong (truth)"), qPrintable(table.out));
    }

    void badRequestsAreNamed()
    {
        const Run notDp = runCli({"triage", project_, "--run", "1"});
        QCOMPARE(notDp.exitCode, 1);
        QVERIFY2(notDp.err.contains("run 1") && notDp.err.contains("not a finished data-parameters run"),
                 qPrintable(notDp.err));
        const Run missing = runCli({"triage", project_, "--run", "9"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("no such run"), qPrintable(missing.err));
        const Run spreads = runCli({"triage", project_, "--easy-spread", "4", "--hard-spread", "3"});
        QCOMPARE(spreads.exitCode, 1);
        QVERIFY2(spreads.err.contains("hard_spread"), qPrintable(spreads.err));
        const Run output = runCli({"triage", project_, "-o", dir_.filePath("t.txt")});
        QCOMPARE(output.exitCode, 1);
        QVERIFY2(output.err.contains(".csv"), qPrintable(output.err));
    }
};

QTEST_GUILESS_MAIN(TestCliTriage)
#include "test_cli_triage.moc"
