#include "projectdocument.h"

#include "project/review.h"
#include "project/store.h"
#include "util/progress.h"

#include <sqlite3.h>

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QGuiApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

using namespace crowdsift;

// "Killing the process at any moment loses no committed decision": a child process (this
// executable in --relabel-child mode) opens a project through ProjectDocument and relabels items,
// printing each decision once relabel() has returned, i.e. once it is committed. After
// kBeforeKill decisions it starts one more and stops itself inside SQLite's commit of it, at a
// point the test chooses (see StopAt), says so and waits for the SIGKILL. The test reopens the
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

// Where the child stops inside the commit of the decision in flight.
//   wal-write: at the first write to the project's write-ahead log, before any page of the
//              transaction is there: the decision must be lost.
//   wal-sync:  at the first flush of the WAL, which SQLite does once every frame of the
//              transaction, commit record included, is written: a killed process loses nothing
//              the kernel already has, so the decision must be there although never printed.
enum class StopAt { Nowhere, WalWrite, WalSync };

// The child's SQLite file layer: the default VFS with every call forwarded, except that once
// armed it stops the process at the first WAL write or sync, as `stopAt` says.
StopAt stopAt = StopAt::Nowhere;
bool armed = false;
sqlite3_vfs* realVfs = nullptr;
sqlite3_vfs shimVfs;
sqlite3_io_methods shimMethods;

struct ShimFile {
    sqlite3_file base;
    sqlite3_file* real;
    bool wal;
};

sqlite3_file* realOf(sqlite3_file* file)
{
    return reinterpret_cast<ShimFile*>(file)->real;
}

[[noreturn]] void stopForTheKill()
{
    std::printf("stopped\n");
    std::fflush(stdout);
    for (;;)
        ::pause();
}

int shimClose(sqlite3_file* f)
{
    return realOf(f)->pMethods->xClose(realOf(f));
}
int shimRead(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset)
{
    return realOf(f)->pMethods->xRead(realOf(f), buffer, amount, offset);
}
int shimWrite(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset)
{
    if (armed && stopAt == StopAt::WalWrite && reinterpret_cast<ShimFile*>(f)->wal)
        stopForTheKill();
    return realOf(f)->pMethods->xWrite(realOf(f), buffer, amount, offset);
}
int shimTruncate(sqlite3_file* f, sqlite3_int64 size)
{
    return realOf(f)->pMethods->xTruncate(realOf(f), size);
}
int shimSync(sqlite3_file* f, int flags)
{
    if (armed && stopAt == StopAt::WalSync && reinterpret_cast<ShimFile*>(f)->wal)
        stopForTheKill();
    return realOf(f)->pMethods->xSync(realOf(f), flags);
}
int shimFileSize(sqlite3_file* f, sqlite3_int64* size)
{
    return realOf(f)->pMethods->xFileSize(realOf(f), size);
}
int shimLock(sqlite3_file* f, int level)
{
    return realOf(f)->pMethods->xLock(realOf(f), level);
}
int shimUnlock(sqlite3_file* f, int level)
{
    return realOf(f)->pMethods->xUnlock(realOf(f), level);
}
int shimCheckReservedLock(sqlite3_file* f, int* out)
{
    return realOf(f)->pMethods->xCheckReservedLock(realOf(f), out);
}
int shimFileControl(sqlite3_file* f, int op, void* arg)
{
    return realOf(f)->pMethods->xFileControl(realOf(f), op, arg);
}
int shimSectorSize(sqlite3_file* f)
{
    return realOf(f)->pMethods->xSectorSize(realOf(f));
}
int shimDeviceCharacteristics(sqlite3_file* f)
{
    return realOf(f)->pMethods->xDeviceCharacteristics(realOf(f));
}
int shimShmMap(sqlite3_file* f, int page, int pageSize, int extend, void volatile** out)
{
    return realOf(f)->pMethods->xShmMap(realOf(f), page, pageSize, extend, out);
}
int shimShmLock(sqlite3_file* f, int offset, int n, int flags)
{
    return realOf(f)->pMethods->xShmLock(realOf(f), offset, n, flags);
}
void shimShmBarrier(sqlite3_file* f)
{
    realOf(f)->pMethods->xShmBarrier(realOf(f));
}
int shimShmUnmap(sqlite3_file* f, int deleteFlag)
{
    return realOf(f)->pMethods->xShmUnmap(realOf(f), deleteFlag);
}

int shimOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* outFlags)
{
    auto* shim = reinterpret_cast<ShimFile*>(file);
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    shim->wal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = realVfs->xOpen(realVfs, name, shim->real, flags, outFlags);
    shim->base.pMethods = shim->real->pMethods ? &shimMethods : nullptr;
    return rc;
}

// Makes the shim SQLite's default VFS; the real one's memory-mapped I/O (io_methods version 3)
// is not offered, so every write goes through xWrite.
void installShim()
{
    realVfs = sqlite3_vfs_find(nullptr);
    shimVfs = *realVfs;
    shimVfs.zName = "crowdsift-kill-shim";
    shimVfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + realVfs->szOsFile;
    shimVfs.xOpen = shimOpen;
    shimVfs.pNext = nullptr;
    std::memset(&shimMethods, 0, sizeof shimMethods);
    shimMethods.iVersion = 2;
    shimMethods.xClose = shimClose;
    shimMethods.xRead = shimRead;
    shimMethods.xWrite = shimWrite;
    shimMethods.xTruncate = shimTruncate;
    shimMethods.xSync = shimSync;
    shimMethods.xFileSize = shimFileSize;
    shimMethods.xLock = shimLock;
    shimMethods.xUnlock = shimUnlock;
    shimMethods.xCheckReservedLock = shimCheckReservedLock;
    shimMethods.xFileControl = shimFileControl;
    shimMethods.xSectorSize = shimSectorSize;
    shimMethods.xDeviceCharacteristics = shimDeviceCharacteristics;
    shimMethods.xShmMap = shimShmMap;
    shimMethods.xShmLock = shimShmLock;
    shimMethods.xShmBarrier = shimShmBarrier;
    shimMethods.xShmUnmap = shimShmUnmap;
    sqlite3_vfs_register(&shimVfs, 1);
}

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

// Decision `step` of the child: item step % N relabelled to (item + step / N) % K.
Printed planned(int step)
{
    const int item = step % kItems;
    return {0, item, (item + step / kItems) % kClasses};
}

// The child: makes decisions 0 .. kBeforeKill - 1, one line per commit, then arms the shim and
// starts decision kBeforeKill, which stops inside its commit. Exits 4 if it did not stop.
int relabelChild(const QString& path)
{
    installShim();
    ProjectDocument document;
    QEventLoop loop;
    QObject::connect(&document, &ProjectDocument::loaded, &loop, [&loop] { loop.exit(0); });
    QObject::connect(&document, &ProjectDocument::loadFailed, &loop, [&loop] { loop.exit(1); });
    document.open(path);
    if (loop.exec() != 0 || !document.project())
        return 2;
    if (document.dataset().itemCount() != kItems || document.dataset().classCount() != kClasses)
        return 3;
    for (int step = 0; step <= kBeforeKill; ++step) {
        const Printed next = planned(step);
        armed = step == kBeforeKill;
        document.relabel({next.item}, next.label);
        const Decision* row = document.reviewState().decisionRow(next.item);
        if (!row || row->label != next.label)
            return 3;
        std::printf("%lld %d %d\n", static_cast<long long>(row->id), next.item, next.label);
        std::fflush(stdout);
    }
    return 4;
}

}  // namespace

class TestKill : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedChildLosesNoCommittedDecision_data();
    void killedChildLosesNoCommittedDecision();
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

int main(int argc, char** argv)
{
    if (argc == 4 && qstrcmp(argv[1], kChildFlag) == 0) {
        QGuiApplication app(argc, argv);
        stopAt = qstrcmp(argv[3], "wal-write") == 0 ? StopAt::WalWrite
                 : qstrcmp(argv[3], "wal-sync") == 0 ? StopAt::WalSync
                                                    : StopAt::Nowhere;
        return relabelChild(QString::fromLocal8Bit(argv[2]));
    }
    QGuiApplication app(argc, argv);
    TestKill test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "test_kill.moc"
