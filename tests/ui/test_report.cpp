// File > Export Report: the dialog drives a job that writes the per-class triage figures.

#include "report_project.h"

#include "jobmanager.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "reportdialog.h"
#include "reviewpage.h"

#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace crowdsift;
namespace fs = std::filesystem;

namespace {

constexpr int kTimeoutMs = 60000;

void waitLoaded(ProjectDocument* document, const QString& path)
{
    QSignalSpy loaded(document, &ProjectDocument::loaded);
    document->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
}

// Fills in the report dialog File > Export Report is about to show and presses Export.
void fillNextReportDialog(const QString& folder, int classIndex, QString* summary)
{
    QTimer::singleShot(0, [folder, classIndex, summary] {
        auto* dialog = qobject_cast<ReportDialog*>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        *summary = dialog->findChild<QLabel*>(QStringLiteral("reportSummary"))->text();
        dialog->findChild<QLineEdit*>(QStringLiteral("reportFolder"))->setText(folder);
        auto* classes = dialog->findChild<QComboBox*>(QStringLiteral("reportClass"));
        classes->setCurrentIndex(classes->findData(classIndex));
        dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
    });
}

std::vector<std::string> folderEntries(const QString& folder)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder.toStdString()))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

class TestReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void exportReportWritesEveryClass()
    {
        const std::string folder = dir_.filePath("dp").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, true);
        MainWindow window;
        QVERIFY(!window.reportAction()->isEnabled());
        waitLoaded(window.document(), QString::fromStdString(made.path));
        QVERIFY(window.reportAction()->isEnabled());
        // The report follows the Review tab: its source and its thresholds.
        QTRY_COMPARE(window.reviewPage()->triageSource(), made.dataParametersRun);
        TrajectoryTriageRule rule = window.reviewPage()->trajectoryRule();
        rule.hardSpread = 4.5;
        window.reviewPage()->setTrajectoryRule(rule);
        TriageSourceOptions options = window.reportTriageOptions();
        QVERIFY(options.kind == TriageSourceKind::Trajectory);
        QCOMPARE(options.run, made.dataParametersRun);
        QVERIFY(options.trajectoryRule && options.trajectoryRule->hardSpread == 4.5);
        window.reviewPage()->setTriageSource(0);
        QVERIFY(window.reportTriageOptions().kind == TriageSourceKind::Crowd);
        window.reviewPage()->setTriageSource(made.dataParametersRun);
        QTRY_COMPARE(window.reviewPage()->triageSource(), made.dataParametersRun);

        const QString out = dir_.filePath("dp-report");
        QString summary;
        fillNextReportDialog(out, -1, &summary);
        QSignalSpy started(window.jobManager(), &JobManager::jobStarted);
        window.reportAction()->trigger();
        QCOMPARE(started.count(), 1);
        QVERIFY2(summary.contains(QStringLiteral("Data Parameters run %1").arg(made.dataParametersRun)),
                 qPrintable(summary));
        const int job = started.front().front().toInt();
        QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
        const JobInfo& info = window.jobManager()->job(job);
        QVERIFY2(info.status == JobStatus::Finished, qPrintable(info.error));
        QVERIFY(info.log.join('\n').contains(QStringLiteral("wrote ")));
        QCOMPARE(folderEntries(out),
                 (std::vector<std::string>{"0_t-shirt_top.png", "1_dress.png", "2_bag.png", "report.json"}));
        QVERIFY(!cv::imread((out + "/1_dress.png").toStdString()).empty());
        std::ifstream in((out + "/report.json").toStdString());
        const nlohmann::json index = nlohmann::json::parse(in);
        QCOMPARE(index["source"].get<std::string>(), "Data Parameters run " + std::to_string(made.dataParametersRun));
        QCOMPARE(index["classes"][1]["items"].get<int>(), 10);
    }

    void exportReportOfOneClassFromTheCrowd()
    {
        const std::string folder = dir_.filePath("crowd").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, false);
        MainWindow window;
        waitLoaded(window.document(), QString::fromStdString(made.path));
        QVERIFY(window.reportAction()->isEnabled());

        const QString out = dir_.filePath("crowd-report");
        QString summary;
        fillNextReportDialog(out, 2, &summary);
        QSignalSpy started(window.jobManager(), &JobManager::jobStarted);
        window.reportAction()->trigger();
        QCOMPARE(started.count(), 1);
        QVERIFY2(summary.contains(QStringLiteral("crowd rule on run %1").arg(made.crowdRun)), qPrintable(summary));
        const int job = started.front().front().toInt();
        QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
        QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
        QCOMPARE(folderEntries(out), std::vector<std::string>{"2_bag.png"});
    }

    void cancelledReportLeavesNothing()
    {
        const std::string folder = dir_.filePath("cancel").toStdString();
        fs::create_directories(folder);
        const testing::ReportProject made = testing::makeReportProject(folder, true);
        ProjectDocument document;
        waitLoaded(&document, QString::fromStdString(made.path));
        JobManager jobs;
        const QString out = dir_.filePath("cancel-report");
        const int job = ReportDialog::startReport(&document, &jobs, {}, out);
        QVERIFY(job != 0);
        jobs.cancel(job);
        QVERIFY(jobs.waitFor(job, kTimeoutMs));
        QCOMPARE(jobs.job(job).status, JobStatus::Cancelled);
        // The work may have ended before it saw the cancel; either way no partial report stays.
        if (fs::exists(out.toStdString()))
            QCOMPARE(folderEntries(out).size(), std::size_t(4));
        QCOMPARE(ReportDialog::startReport(&document, &jobs, {}, QString()), 0);
    }
};

QTEST_MAIN(TestReport)
#include "test_report.moc"
