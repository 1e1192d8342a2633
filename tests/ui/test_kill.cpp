#include "projectdocument.h"

#include "project/review.h"
#include "project/store.h"
#include "util/progress.h"

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
// executable in --relabel-child mode) opens a project through ProjectDocument and relabels items
// in a loop, printing each decision once relabel() has returned, i.e. once it is committed. The
// test SIGKILLs it mid-stream, reopens the project and checks that every printed decision is
// there and that the log replays.

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kItems = 40;
constexpr int kClasses = 5;
// Decisions printed before the kill; the child keeps writing while the parent reacts, so the
// kill lands in the middle of a write more often than not.
constexpr int kBeforeKill = 150;
constexpr int kChildLimit = 100000;
constexpr char kChildFlag[] = "--relabel-child";

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

// The child: relabels item i % N to (item + round) % K until killed, one line per commit.
int relabelChild(const QString& path)
{
    ProjectDocument document;
    QEventLoop loop;
    QObject::connect(&document, &ProjectDocument::loaded, &loop, [&loop] { loop.exit(0); });
    QObject::connect(&document, &ProjectDocument::loadFailed, &loop, [&loop] { loop.exit(1); });
    document.open(path);
    if (loop.exec() != 0 || !document.project())
        return 2;
    const int items = document.dataset().itemCount();
    const int classes = document.dataset().classCount();
    for (int step = 0; step < kChildLimit; ++step) {
        const int item = step % items;
        const int label = (item + step / items) % classes;
        document.relabel({item}, label);
        const Decision* row = document.reviewState().decisionRow(item);
        if (!row || row->label != label)
            return 3;
        std::printf("%lld %d %d\n", static_cast<long long>(row->id), item, label);
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

class TestKill : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedChildLosesNoCommittedDecision();
};

void TestKill::killedChildLosesNoCommittedDecision()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.path() + "/kill.csift";
    Project::create(path.toStdString(), smallDataset(), Progress::none());

    QProcess child;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    child.setProcessEnvironment(environment);
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kChildFlag), path});
    QVERIFY2(child.waitForStarted(kTimeoutMs), qPrintable(child.errorString()));

    QByteArray output;
    while (output.count('\n') < kBeforeKill) {
        QVERIFY2(child.state() == QProcess::Running || child.bytesAvailable() > 0,
                 "the child stopped before it was killed");
        if (!child.waitForReadyRead(kTimeoutMs) && child.state() != QProcess::Running)
            break;
        output += child.readAllStandardOutput();
    }
    QVERIFY2(child.state() == QProcess::Running, "the child must still be writing when it is killed");
    child.kill();
    QVERIFY(child.waitForFinished(kTimeoutMs));
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    output += child.readAllStandardOutput();

    // Only whole lines were printed after a commit; a torn last line is not a promise.
    std::vector<Printed> printed;
    const QList<QByteArray> lines = output.left(output.lastIndexOf('\n')).split('\n');
    for (const QByteArray& line : lines) {
        const QList<QByteArray> fields = line.split(' ');
        QCOMPARE(fields.size(), 3);
        printed.push_back({fields[0].toLongLong(), fields[1].toInt(), fields[2].toInt()});
    }
    QVERIFY(static_cast<int>(printed.size()) >= kBeforeKill);

    ProjectDocument document;
    QSignalSpy loaded(&document, &ProjectDocument::loaded);
    QSignalSpy reviewErrors(&document, &ProjectDocument::reviewError);
    document.open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
    QVERIFY(document.project());
    QCOMPARE(reviewErrors.count(), 0);

    const std::vector<Decision> log = document.project()->decisions();
    std::map<std::int64_t, const Decision*> byId;
    for (const Decision& row : log)
        byId[row.id] = &row;
    for (const Printed& p : printed) {
        const auto found = byId.find(p.id);
        QVERIFY2(found != byId.end(), qPrintable(QStringLiteral("decision %1 was lost").arg(p.id)));
        QCOMPARE(found->second->item, p.item);
        QCOMPARE(found->second->label, p.label);
        QCOMPARE(QString::fromStdString(found->second->status), QStringLiteral("relabel"));
    }
    // At most the one decision in flight at the kill was committed without being printed.
    QVERIFY(log.size() >= printed.size());
    QVERIFY(log.size() <= printed.size() + 1);

    // The replayed state ends where the printed stream ended, for every item whose newest row
    // was printed.
    const ReviewState& state = document.reviewState();
    std::map<int, int> lastPrinted;
    for (const Printed& p : printed)
        lastPrinted[p.item] = p.label;
    const Decision& newest = log.back();
    for (const auto& [item, label] : lastPrinted) {
        if (newest.id != printed.back().id && newest.item == item)
            QCOMPARE(state.decisionOf(item), newest.label);
        else
            QCOMPARE(state.decisionOf(item), label);
    }
    QCOMPARE(state.relabelledCount(), static_cast<int>(lastPrinted.size()));
    QVERIFY(document.undoStack()->count() > 0);

    // The reopened project takes new decisions after the killed writer's.
    document.relabel({0}, 1);
    QCOMPARE(document.reviewState().decisionOf(0), 1);
    QVERIFY(document.reviewState().decisionRow(0)->id > newest.id);
}

int main(int argc, char** argv)
{
    if (argc == 3 && qstrcmp(argv[1], kChildFlag) == 0) {
        QGuiApplication app(argc, argv);
        return relabelChild(QString::fromLocal8Bit(argv[2]));
    }
    QGuiApplication app(argc, argv);
    TestKill test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "test_kill.moc"
