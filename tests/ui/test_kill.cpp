#include "jobmanager.h"
#include "projectdocument.h"
#include "runjob.h"
#include "sqlite_stop.h"

#include "aggregate/registry.h"
#include "project/run_service.h"

#include "project/review.h"
#include "project/store.h"
#include "util/progress.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QGuiApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <cstdio>
#include <map>
#include <vector>

using namespace crowdsift;

// "Killing the process at any moment loses no committed decision": a child process (this
// executable in --relabel-child mode) opens a project through ProjectDocument and relabels items,
// printing each decision once relabel() has returned, i.e. once it is committed. After
// kBeforeKill decisions it starts one more and stops itself inside SQLite's commit of it, at a
// point the test chooses (see sqlite_stop.h), says so and waits for the SIGKILL. The test reopens the
// project and checks the one outcome that point allows: every printed decision is there, the
// decision in flight is there exactly when its commit record reached the WAL, and the log
// replays.

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kItems = 40;
constexpr int kClasses = 5;
// Decisions committed and printed before the one the kill interrupts.
constexpr int kBeforeKill = 60;
constexpr char kChildFlag[] = "--relabel-child";
constexpr char kJobChildFlag[] = "--job-child";

struct Printed {
    std::int64_t id = 0;
    int item = 0;
    int label = 0;
};

Dataset smallDataset()
{
    Dataset dataset;
    dataset.name = "kill";
    for (int k = 0; k < kClasses; ++k)
        dataset.classNames.push_back("class" + std::to_string(k));
    std::vector<Answer> answers;
    for (int item = 0; item < kItems; ++item) {
        dataset.itemKeys.push_back(std::to_string(item));
        dataset.splits.push_back(Split::Train);
        dataset.imagePaths.emplace_back();
        for (int annotator = 0; annotator < 3; ++annotator)
            answers.push_back({item, annotator, (item + annotator) % kClasses, false});
    }
    dataset.annotatorIds = {"a", "b", "c"};
    dataset.answers = Answers::fromTriplets(kItems, 3, answers);
    dataset.validate();
    return dataset;
}

// Opens the project `path` in `document` and waits for the load; false when it failed.
bool openDocument(ProjectDocument& document, const QString& path)
{
    QEventLoop loop;
    QObject::connect(&document, &ProjectDocument::loaded, &loop, [&loop] { loop.exit(0); });
    QObject::connect(&document, &ProjectDocument::loadFailed, &loop, [&loop] { loop.exit(1); });
    document.open(path);
    return loop.exec() == 0 && document.project();
}

// Decision `step` of the child: item step % N relabelled to (item + step / N) % K.
Printed planned(int step)
{
    const int item = step % kItems;
    return {0, item, (item + step / kItems) % kClasses};
}

// The child: makes decisions 0 .. kBeforeKill - 1, one line per commit, then arms the shim and
// starts decision kBeforeKill, which stops inside its commit. Exits 4 if it did not stop.
int relabelChild(const QString& path, testing::SqliteStop stopAt)
{
    testing::installSqliteStop(stopAt);
    ProjectDocument document;
    if (!openDocument(document, path))
        return 2;
    if (document.dataset().itemCount() != kItems || document.dataset().classCount() != kClasses)
        return 3;
    for (int step = 0; step <= kBeforeKill; ++step) {
        const Printed next = planned(step);
        if (step == kBeforeKill)
            testing::armSqliteStop();
        document.relabel({next.item}, next.label);
        const Decision* row = document.reviewState().decisionRow(next.item);
        if (!row || row->label != next.label)
            return 3;
        std::printf("%lld %d %d\n", static_cast<long long>(row->id), next.item, next.label);
        std::fflush(stdout);
    }
    return 4;
}

// The job child: opens the project and starts a GUI run job (MACE with more restarts than it can
// finish); once the job has recorded its run it prints "recorded <id>" and keeps working until
// it is killed. Exits 2 when the project does not open, 3 when the job ended.
int jobChild(const QString& path)
{
    ProjectDocument document;
    JobManager jobs;
    if (!openDocument(document, path))
        return 2;
    QEventLoop loop;
    RunRequest request;
    request.title = QStringLiteral("MACE");
    request.kind = "aggregate";
    request.name = "mace";
    request.params = {{"strategy", "mace"}};
    request.work = [](RunContext& context) {
        RunJobResult out;
        const nlohmann::json params = {{"restarts", 100000000}, {"max_iterations", 500}, {"tolerance", -1.0}};
        out.consensus = std::make_shared<const AggregationResult>(aggregate("mace", context.dataset, params, context.progress));
        return out;
    };
    RunJob* job = RunJob::start(&document, &jobs, std::move(request));
    if (!job)
        return 2;
    QObject::connect(job, &RunJob::recorded, [](std::int64_t run) {
        std::printf("recorded %lld\n", static_cast<long long>(run));
        std::fflush(stdout);
    });
    QObject::connect(job, &RunJob::finished, &loop, [&loop] { loop.exit(3); });
    return loop.exec();
}

}  // namespace

class TestKill : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedChildLosesNoCommittedDecision_data();
    void killedChildLosesNoCommittedDecision();
    void killedGuiJobIsListedAsFailed();
};

void TestKill::killedChildLosesNoCommittedDecision_data()
{
    QTest::addColumn<QString>("stopAt");
    QTest::addColumn<bool>("inFlightKept");
    QTest::newRow("before the WAL write") << QStringLiteral("wal-write") << false;
    QTest::newRow("at the WAL flush") << QStringLiteral("wal-sync") << true;
}

void TestKill::killedChildLosesNoCommittedDecision()
{
    QFETCH(QString, stopAt);
    QFETCH(bool, inFlightKept);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.path() + "/kill.csift";
    Project::create(path.toStdString(), smallDataset(), Progress::none());

    QProcess child;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    child.setProcessEnvironment(environment);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kChildFlag), path, stopAt});
    QVERIFY2(child.waitForStarted(kTimeoutMs), qPrintable(child.errorString()));

    // Every decision before the one in flight, then "stopped" from inside its commit.
    QByteArray output;
    const QDeadlineTimer deadline(kTimeoutMs);
    while (!output.endsWith("stopped\n")) {
        QVERIFY2(child.state() == QProcess::Running, qPrintable("the child ended before it stopped: " + output.right(200)));
        QVERIFY2(!deadline.hasExpired(), qPrintable("the child did not stop in time: " + output.right(200)));
        child.waitForReadyRead(1000);
        output += child.readAllStandardOutput();
    }
    QVERIFY2(child.state() == QProcess::Running, "the child must wait for the kill");
    child.kill();
    QVERIFY(child.waitForFinished(kTimeoutMs));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    std::vector<Printed> printed;
    const QList<QByteArray> lines = output.trimmed().split('\n');
    QCOMPARE(lines.size(), kBeforeKill + 1);
    QCOMPARE(lines.back(), QByteArray("stopped"));
    for (int step = 0; step < kBeforeKill; ++step) {
        const QList<QByteArray> fields = lines[step].split(' ');
        QCOMPARE(fields.size(), 3);
        printed.push_back({fields[0].toLongLong(), fields[1].toInt(), fields[2].toInt()});
        QCOMPARE(printed.back().item, planned(step).item);
        QCOMPARE(printed.back().label, planned(step).label);
    }

    ProjectDocument document;
    QSignalSpy loaded(&document, &ProjectDocument::loaded);
    QSignalSpy reviewErrors(&document, &ProjectDocument::reviewError);
    document.open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
    QVERIFY(document.project());
    QCOMPARE(reviewErrors.count(), 0);

    // Every printed decision, in order, and the one in flight exactly when its commit record
    // was written.
    const std::vector<Decision> log = document.project()->decisions();
    QCOMPARE(static_cast<int>(log.size()), kBeforeKill + (inFlightKept ? 1 : 0));
    for (int step = 0; step < kBeforeKill; ++step) {
        const Decision& row = log[static_cast<std::size_t>(step)];
        QCOMPARE(row.id, printed[static_cast<std::size_t>(step)].id);
        QCOMPARE(row.item, printed[static_cast<std::size_t>(step)].item);
        QCOMPARE(row.label, printed[static_cast<std::size_t>(step)].label);
        QCOMPARE(QString::fromStdString(row.status), QStringLiteral("relabel"));
    }
    const Printed inFlight = planned(kBeforeKill);
    if (inFlightKept) {
        QCOMPARE(log.back().item, inFlight.item);
        QCOMPARE(log.back().label, inFlight.label);
        QVERIFY(log.back().id > printed.back().id);
    }

    // The replayed state is the last decision of each item.
    std::map<int, int> expected;
    for (const Printed& p : printed)
        expected[p.item] = p.label;
    if (inFlightKept)
        expected[inFlight.item] = inFlight.label;
    const ReviewState& state = document.reviewState();
    QCOMPARE(static_cast<int>(expected.size()), kItems);
    for (const auto& [item, label] : expected)
        QCOMPARE(state.decisionOf(item), label);
    QCOMPARE(state.relabelledCount(), kItems);
    QVERIFY(document.undoStack()->count() > 0);

    // The reopened project takes new decisions after the killed writer's.
    document.relabel({0}, 1);
    QCOMPARE(document.reviewState().decisionOf(0), 1);
    QVERIFY(document.reviewState().decisionRow(0)->id > log.back().id);
}

// A GUI job killed with its process leaves its run behind, recorded when the job started, and the
// next open lists it as failed with the reason; no output of it is left half-written as done.
void TestKill::killedGuiJobIsListedAsFailed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.path() + "/job.csift";
    Project::create(path.toStdString(), smallDataset(), Progress::none());

    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kJobChildFlag), path});
    QVERIFY2(child.waitForStarted(kTimeoutMs), qPrintable(child.errorString()));
    QString output;
    const QDeadlineTimer deadline(kTimeoutMs);
    while (!output.contains(QLatin1Char('\n')) && !deadline.hasExpired()) {
        QVERIFY2(child.state() == QProcess::Running, qPrintable("the child ended before its job ran: " + output));
        child.waitForReadyRead(1000);
        output += QString::fromLocal8Bit(child.readAllStandardOutput());
    }
    QVERIFY2(output.startsWith(QStringLiteral("recorded ")), qPrintable(output));
    const std::int64_t run = output.mid(9).trimmed().toLongLong();
    QVERIFY(run > 0);
    {
        // While the job lives its run is "running", and another process leaves it so.
        const Project other = Project::open(path.toStdString());
        QCOMPARE(other.run(run).status, std::string("running"));
    }
    child.kill();
    QVERIFY(child.waitForFinished(kTimeoutMs));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    const Project reopened = Project::open(path.toStdString());
    const RunInfo info = reopened.run(run);
    QCOMPARE(info.status, std::string("failed"));
    QVERIFY2(runError(info).find("interrupted") != std::string::npos, runError(info).c_str());
    QVERIFY(info.outputs.empty());
    QCOMPARE(reopened.activeRun(), std::int64_t(0));
}

int main(int argc, char** argv)
{
    if (argc == 3 && qstrcmp(argv[1], kJobChildFlag) == 0) {
        QGuiApplication app(argc, argv);
        return jobChild(QString::fromLocal8Bit(argv[2]));
    }
    if (argc == 4 && qstrcmp(argv[1], kChildFlag) == 0) {
        QGuiApplication app(argc, argv);
        return relabelChild(QString::fromLocal8Bit(argv[2]), testing::parseSqliteStop(argv[3]));
    }
    QGuiApplication app(argc, argv);
    TestKill test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "test_kill.moc"
