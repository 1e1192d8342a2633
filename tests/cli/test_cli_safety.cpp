// End-to-end tests of what crowdsift-cli must never do to a user's files: replace a project under
// another program, leave half a project when interrupted, write into a dataset, half-write a set
// of outputs; and of how it meets hostile input.

#include "clirun.h"
#include "testdata.h"

#include "project/store.h"
#include "util/progress.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <QDir>
#include <QElapsedTimer>
#include <QSet>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>

using crowdsift::Project;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

namespace fs = std::filesystem;

void writeFile(const QString& path, const QByteArray& content)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(content), content.size());
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A long CSV of `items` items with 4 answers each, so that importing it takes a while.
QByteArray bigCsv(int items)
{
    QByteArray csv = "task,worker,label\n";
    csv.reserve(items * 4 * 20);
    for (int i = 0; i < items; ++i)
        for (int j = 0; j < 4; ++j)
            csv += "t" + QByteArray::number(i) + ",w" + QByteArray::number((i + j * 7) % 50) + ","
                   + QByteArray::number((i * 3 + j) % 5) + "\n";
    return csv;
}

// The entries of `folder` whose names show a build, a replacement or a moved-aside old part.
QStringList leftovers(const QString& folder)
{
    QStringList found;
    for (const QString& name : QDir(folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden))
        if (name.contains(".tmp-") || name.contains(".swap-") || name.contains(".old-"))
            found << name;
    return found;
}

int itemsOf(const QString& project)
{
    return Project::open(project.toStdString()).itemCount();
}

// A peerannot dataset folder `folder` with two tasks, two workers and a metadata.json with a
// field of its own (which a rewrite would drop).
QByteArray makePeerannot(const QString& folder)
{
    QDir().mkpath(folder);
    writeFile(folder + "/answers.json", R"({"t0": {"w0": 0, "w1": 0}, "t1": {"w0": 1, "w1": 1}})");
    const QByteArray meta = R"({"name": "mine", "n_classes": 2, "curated_by": "me"})";
    writeFile(folder + "/metadata.json", meta);
    return meta;
}

// A project of the two-task dataset with a majority-vote run.
QString makeProject(const QTemporaryDir& dir)
{
    const QString answers = dir.filePath("answers.csv");
    writeFile(answers, "task,worker,label\nt0,w0,0\nt0,w1,0\nt1,w0,1\nt1,w1,1\n");
    const QString project = dir.filePath("p.csift");
    const Run import = runCli({"import", answers, "-o", project});
    if (import.exitCode != 0)
        qWarning() << import.err;
    runCli({"aggregate", project, "-s", "mv"});
    return project;
}

// A .npy file: version 1.0 header `dict`, then `data`.
QByteArray npyFile(const QByteArray& dict, const QByteArray& data)
{
    QByteArray header = dict;
    while ((10 + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    out += char(header.size() & 0xFF);
    out += char(header.size() >> 8);
    return out + header + data;
}

// Runs crowdsift-cli as a user who may not write `dir` (root writes anywhere: nobody then).
Run runCliWithoutWriteAccess(const QStringList& arguments)
{
    QProcess process;
    if (::geteuid() == 0) {
        process.setChildProcessModifier([] {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(125);
        });
    }
    process.start(crowdsift::testing::cliPath(), arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        run.err = "timed out";
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

}  // namespace

class TestCliSafety : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A concurrent `aggregate` once printed "stored as run 2", exit 0, and the run was gone:
    // import --force replaced the project under it.
    void importForceRefusesAProjectInUse()
    {
        QTemporaryDir dir;
        const QString answers = dir.filePath("answers.csv");
        writeFile(answers, "task,worker,label\nt0,w0,0\nt0,w1,0\nt1,w0,1\nt1,w1,1\n");
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", answers, "-o", project}).exitCode, 0);

        std::optional<Project> user = Project::open(project.toStdString());  // another program
        const std::int64_t run = user->beginRun("aggregate", {});
        const QString other = dir.filePath("other.csv");
        writeFile(other, "task,worker,label\na,w0,0\nb,w0,1\nc,w1,1\n");
        const Run refused = runCli({"import", other, "-o", project, "--force"});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(project) && refused.err.contains("is open in a program"), qPrintable(refused.err));
        user->finishRun(run, "done", {});
        QCOMPARE(user->runs().size(), std::size_t(1));
        QCOMPARE(user->itemCount(), 2);
        QVERIFY(leftovers(dir.path()).isEmpty());

        user.reset();
        const Run replaced = runCli({"import", other, "-o", project, "--force"});
        QVERIFY2(replaced.exitCode == 0, qPrintable(replaced.err));
        QCOMPARE(itemsOf(project), 3);
    }

    void interruptedImportForceKeepsTheOldProject_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("Ctrl-C") << int(SIGINT);
        QTest::newRow("SIGTERM") << int(SIGTERM);
    }

    // Interrupted once its build has begun (its build file is there), import --force stops,
    // removes its build and exits 128 + signal: the old project is untouched and nothing else
    // is left. (Killed, it could not clean up, and a kill in the replacement once left no
    // project at all; the store's tests cover those.)
    void interruptedImportForceKeepsTheOldProject()
    {
        QFETCH(int, signal);
        QTemporaryDir dir;
        const QString small = dir.filePath("small.csv");
        writeFile(small, "task,worker,label\nt0,w0,0\nt0,w1,0\nt1,w0,1\nt1,w1,1\n");
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", small, "-o", project}).exitCode, 0);
        const QString big = dir.filePath("big.csv");
        constexpr int bigItems = 150000;
        writeFile(big, bigCsv(bigItems));

        QProcess import;
        import.start(crowdsift::testing::cliPath(), {"import", big, "-o", project, "--force"});
        QVERIFY(import.waitForStarted());
        const QString build = project + ".tmp-" + QString::number(import.processId());
        while (!QFile::exists(build) && import.state() == QProcess::Running)
            QThread::msleep(2);
        QVERIFY2(import.state() == QProcess::Running, "the import ended before its build could be interrupted");
        ::kill(static_cast<pid_t>(import.processId()), signal);
        QVERIFY(import.waitForFinished(120000));
        const QString err = QString::fromUtf8(import.readAllStandardError());
        QCOMPARE(import.exitStatus(), QProcess::NormalExit);
        if (import.exitCode() == 0) {  // the signal came after the new project was in place
            QCOMPARE(itemsOf(project), bigItems);
        } else {
            QCOMPARE(import.exitCode(), 128 + signal);
            QVERIFY2(err.contains("cancelled"), qPrintable(err));
            QCOMPARE(itemsOf(project), 2);
        }
        QCOMPARE(leftovers(dir.path()), QStringList());
    }

    // export --peerannot DIR once rewrote the source dataset's metadata.json and dropped its
    // fields: the source folder is never written, another dataset's folder only with --force,
    // and a new folder appears whole or not at all.
    void exportNeverWritesIntoADataset()
    {
        QTemporaryDir dir;
        const QString source = dir.filePath("source");
        const QByteArray meta = makePeerannot(source);
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", source, "-o", project}).exitCode, 0);
        QCOMPARE(runCli({"aggregate", project, "-s", "mv"}).exitCode, 0);

        for (const QStringList& extra : {QStringList{}, QStringList{"--force"}}) {
            const Run refused = runCli(QStringList{"export", project, "--peerannot", source} + extra);
            QCOMPARE(refused.exitCode, 1);
            QVERIFY2(refused.err.contains("is the folder of the dataset"), qPrintable(refused.err));
            QCOMPARE(readFile(source + "/metadata.json"), meta);
        }
        const Run overTruth = runCli({"export", project, "-o", source + "/metadata.json"});
        QCOMPARE(overTruth.exitCode, 1);
        QCOMPARE(readFile(source + "/metadata.json"), meta);

        const QString other = dir.filePath("other");
        const QByteArray otherMeta = makePeerannot(other);
        const Run refused = runCli({"export", project, "--peerannot", other});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("holds a dataset") && refused.err.contains("--force"), qPrintable(refused.err));
        QCOMPARE(readFile(other + "/metadata.json"), otherMeta);
        const Run forced = runCli({"export", project, "--peerannot", other, "--force"});
        QVERIFY2(forced.exitCode == 0, qPrintable(forced.err));
        QVERIFY(readFile(other + "/metadata.json").contains("n_tasks"));  // written by the export

        const QString fresh = dir.filePath("fresh");
        const Run written = runCli({"export", project, "--peerannot", fresh});
        QVERIFY2(written.exitCode == 0, qPrintable(written.err));
        QVERIFY(QFile::exists(fresh + "/answers.json") && QFile::exists(fresh + "/metadata.json"));
        QCOMPARE(leftovers(dir.path()), QStringList());
    }

    // A set of .npy files is written whole or not at all: when one of its names cannot be
    // replaced (here a folder sits there), none of the set changes.
    void npySetIsAllOrNothing_data()
    {
        QTest::addColumn<QString>("verb");
        QTest::addColumn<QString>("blocked");
        QTest::newRow("export") << QStringLiteral("export") << QStringLiteral("out.quality.npy");
        QTest::newRow("aggregate") << QStringLiteral("aggregate") << QStringLiteral("out.skill.npy");
    }
    void npySetIsAllOrNothing()
    {
        QFETCH(QString, verb);
        QFETCH(QString, blocked);
        QTemporaryDir dir;
        const QString project = makeProject(dir);
        const QString out = dir.filePath("out.npy");
        writeFile(out, "an earlier export");
        QVERIFY(QDir().mkpath(dir.filePath(blocked)));
        QStringList arguments{verb, project, "-o", out};
        if (verb == "aggregate")
            arguments << "-s" << "mv" << "--no-store";
        const Run failed = runCli(arguments);
        QCOMPARE(failed.exitCode, 1);
        QVERIFY2(failed.err.contains(blocked) && failed.err.contains("is a folder"), qPrintable(failed.err));
        QCOMPARE(readFile(out), QByteArray("an earlier export"));
        const QStringList npy = QDir(dir.path()).entryList({"out.*"}, QDir::Files);
        QCOMPARE(npy, QStringList{"out.npy"});
        QCOMPARE(leftovers(dir.path()), QStringList());
    }

    // A project in a folder this user cannot write was not even readable ("attempt to write a
    // readonly database"): info, runs and export read it; a write says why it cannot.
    void readOnlyProjectCanBeRead()
    {
        QTemporaryDir dir;
        const QString project = makeProject(dir);
        const QString out = QDir::temp().filePath("crowdsift-readonly-" + QString::number(::getpid()) + ".csv");
        QFile::remove(out);
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup
                                              | QFile::ReadOther | QFile::ExeOther);
        for (const QString& name : QDir(dir.path()).entryList(QDir::Files))
            QFile::setPermissions(dir.filePath(name), QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther);

        const Run info = runCliWithoutWriteAccess({"info", project, "--json"});
        QVERIFY2(info.exitCode == 0, qPrintable(info.err));
        QCOMPARE(QJsonDocument::fromJson(info.out.toUtf8()).object()["items"].toInt(), 2);
        const Run runs = runCliWithoutWriteAccess({"runs", project});
        QVERIFY2(runs.exitCode == 0 && runs.out.contains("mv"), qPrintable(runs.err + runs.out));
        const Run exported = runCliWithoutWriteAccess({"export", project, "-o", out});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(readFile(out).startsWith("task,label"));
        QFile::remove(out);
        const Run write = runCliWithoutWriteAccess({"aggregate", project, "-s", "mv"});
        QCOMPARE(write.exitCode, 1);
        QVERIFY2(write.err.contains("read-only"), qPrintable(write.err));
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    // Hostile or broken input: a clear error naming the file and the problem, never a crash, a
    // hang, a huge allocation or a message that misstates the problem.
    void badInputIsNamed_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QStringList>("arguments");  // FILE stands for the file
        QTest::addColumn<QString>("expected");
        const QStringList info{"info", "FILE"};
        QTest::newRow("stray large label") << "a.csv" << QByteArray("task,worker,label\nt0,w0,0\nt1,w0,32767\n") << info
                                           << "line 3: label 32767 would make 32768 classes";
        QTest::newRow("--classes 2e9") << "a.csv" << QByteArray("task,worker,label\nt0,w0,0\n")
                                       << QStringList{"info", "FILE", "--classes", "2000000000"} << "not in range";
        QTest::newRow("integer beyond 64 bits")
            << "a.csv" << QByteArray("task,worker,label\nt0,w0,18446744073709551616\n") << info
            << "label 18446744073709551616 is too large";
        QTest::newRow("JSON 2^63") << "answers.json" << QByteArray(R"({"t0": {"w0": 9223372036854775808}})") << info
                                   << "label 9223372036854775808 is too large";
        QTest::newRow("JSON 2^64") << "answers.json" << QByteArray(R"({"t0": {"w0": 18446744073709551616}})") << info
                                   << "label 18446744073709551616 is too large";
        QTest::newRow("+Inf in a matrix")
            << "m.npy" << npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }",
                                  QByteArray("\x00\x00\x00\x00\x00\x00\xf0\x7f", 8))
            << QStringList{"info", "FILE", "--format", "matrix"} << "label inf is not a finite number";
        QTest::newRow("shape (2e9, 0)")
            << "m.npy" << npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2000000000, 0), }", {})
            << QStringList{"info", "FILE", "--format", "matrix"} << "holds no answers";
        QTest::newRow("deep JSON metadata")
            << "metadata.json" << QByteArray(70000, '[') << QStringList{"info", "DIR"} << "nested deeper than 256";
        QTest::newRow("deep --param") << "a.csv" << QByteArray("task,worker,label\nt0,w0,0\nt0,w1,1\n")
                                      << QStringList{"aggregate", "FILE", "-s", "ds", "--no-store", "-p",
                                                     "max_iterations=" + QString(1000, '[')}
                                      << "nested deeper than 256";
        QTest::newRow("UTF-16") << "a.csv" << QByteArray("\xff\xfet\0a\0s\0k\0", 10) << info << "is UTF-16 text";
        QTest::newRow("CR line ends") << "a.csv" << QByteArray("task,worker,label\rt0,w0,0\rt1,w0,1\r") << info
                                      << "CR alone";
        QTest::newRow("damaged project") << "p.csift" << QByteArray("SQLite format 3\0 cut short", 27) << info
                                         << "not a Crowdsift project (not an SQLite database, or cut short)";
        QTest::newRow("/dev/zero") << "" << QByteArray() << QStringList{"info", "/dev/zero", "--format", "csv"}
                                   << "is not a regular file";
    }
    void badInputIsNamed()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString folder = dir.filePath("data");
        QVERIFY(QDir().mkpath(folder));
        const QString path = folder + "/" + file;
        if (!file.isEmpty())
            writeFile(path, content);
        if (file == "metadata.json")
            writeFile(folder + "/answers.json", R"({"t0": {"w0": 0}})");
        arguments.replaceInStrings(QRegularExpression("^FILE$"), path);
        arguments.replaceInStrings(QRegularExpression("^DIR$"), folder);
        const Run run = runCli(arguments, 60000);
        QCOMPARE(run.exitCode == 0 || run.exitCode == -1 || run.exitCode == -2, false);
        QVERIFY2(run.err.contains(expected), qPrintable(run.err));
        if (!file.isEmpty() && !arguments.contains("--classes") && !arguments.contains("-p"))
            QVERIFY2(run.err.contains(path), qPrintable(run.err));
        QVERIFY2(run.err.size() < 2000, "the message echoes the input");
    }

    // A FIFO given as input once hung the reader (it waited for a writer).
    void fifoIsRefused()
    {
        QTemporaryDir dir;
        const QString fifo = dir.filePath("answers.csv");
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        for (const QStringList& arguments : {QStringList{"info", fifo}, QStringList{"info", fifo, "--format", "csv"}}) {
            const Run run = runCli(arguments, 30000);
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains(fifo) && run.err.contains("is not a regular file"), qPrintable(run.err));
        }
    }

    // Ids that are not UTF-8 once ended JSON output with a bare type_error.316.
    void nonUtf8IdsAreNamedInJsonOutput()
    {
        QTemporaryDir dir;
        const QString answers = dir.filePath("answers.csv");
        writeFile(answers, "task,worker,label\nt\xff,w0,0\nt1,w0,1\n");
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", answers, "-o", project}).exitCode, 0);
        QCOMPARE(runCli({"aggregate", project, "-s", "mv"}).exitCode, 0);
        const Run json = runCli({"export", project, "-o", dir.filePath("out.json")});
        QCOMPARE(json.exitCode, 1);
        QVERIFY2(json.err.contains("not valid UTF-8") && !json.err.contains("type_error"), qPrintable(json.err));
        const Run peerannot = runCli({"export", project, "--peerannot", dir.filePath("out")});
        QCOMPARE(peerannot.exitCode, 1);
        QVERIFY2(peerannot.err.contains("item #") && peerannot.err.contains("not valid UTF-8"), qPrintable(peerannot.err));
        QVERIFY(!QFile::exists(dir.filePath("out")));
        QVERIFY(!QFile::exists(dir.filePath("out.json")));
    }

    // The kill harness: SIGKILLs at random moments while a curator's decision is written, while
    // import --force replaces the project, and while aggregate stores a run. After each: the
    // project opens whole (the old or the new dataset), PRAGMA integrity_check says ok, every
    // decision reported committed (exit 0) is there, no run is left "running" and nothing of a
    // replacement is left. CROWDSIFT_KILL_TRIALS trials per kind (3 here; scripts/kill-harness
    // runs 100 and prints the counts).
    void killHarness()
    {
        const int trials = qEnvironmentVariableIsSet("CROWDSIFT_KILL_TRIALS")
                               ? qEnvironmentVariableIntValue("CROWDSIFT_KILL_TRIALS")
                               : 3;
        QTemporaryDir dir;
        const QString datasets[2] = {dir.filePath("a.csv"), dir.filePath("b.csv")};
        const int items[2] = {40000, 30000};
        writeFile(datasets[0], bigCsv(items[0]));
        writeFile(datasets[1], bigCsv(items[1]));
        const QString project = dir.filePath("p.csift");
        QCOMPARE(runCli({"import", datasets[0], "-o", project}).exitCode, 0);
        int current = 0;                // which dataset the project holds
        QSet<QString> committed;        // notes of the decisions reported committed since
        std::mt19937 random(20261203);  // a fixed seed: the same moments on every run

        enum Kind { Decide, Import, Aggregate };
        const char* names[] = {"decide", "import --force", "aggregate"};
        double typicalMs[3] = {0, 0, 0};
        int killed[3] = {0, 0, 0};
        int finished[3] = {0, 0, 0};
        int next = 0;  // the dataset the next import brings
        const auto arguments = [&](Kind kind, int trial) -> QStringList {
            switch (kind) {
            case Decide:
                return {"decide", project, "--item", "t" + QString::number(trial % 1000), "--label", "1", "--note",
                        "trial " + QString::number(trial)};
            case Import: return {"import", datasets[next], "-o", project, "--force"};
            case Aggregate: return {"aggregate", project, "-s", "ds", "-p", "max_iterations=5"};
            }
            return {};
        };
        for (int trial = -1; trial < trials; ++trial) {
            for (const Kind kind : {Decide, Import, Aggregate}) {
                if (kind == Import)
                    next = 1 - current;
                QProcess process;
                QElapsedTimer clock;
                clock.start();
                process.start(crowdsift::testing::cliPath(), arguments(kind, trial + 1 + 1000 * int(kind)));
                QVERIFY(process.waitForStarted());
                bool wasKilled = false;
                if (trial < 0) {  // the first round runs whole, to learn how long each kind takes
                    QVERIFY(process.waitForFinished(300000));
                    typicalMs[kind] = double(clock.elapsed());
                } else {
                    const auto at = std::uniform_real_distribution<double>(0.0, 1.2 * typicalMs[kind])(random);
                    while (process.state() == QProcess::Running && double(clock.elapsed()) < at)
                        process.waitForFinished(1);
                    if (process.state() == QProcess::Running) {
                        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
                        wasKilled = true;
                    }
                    if (process.state() != QProcess::NotRunning)
                        QVERIFY(process.waitForFinished(300000));
                }
                const bool done = process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
                QVERIFY2(done || wasKilled, qPrintable(QString(names[kind]) + ": " + process.readAllStandardError()));
                ++(done ? finished : killed)[kind];

                const Project opened = Project::open(project.toStdString());
                const int held = opened.itemCount() == items[0] ? 0 : opened.itemCount() == items[1] ? 1 : -1;
                QVERIFY2(held >= 0, qPrintable("the project holds neither dataset after " + QString(names[kind])));
                if (kind == Import) {
                    if (done)
                        QCOMPARE(held, next);
                    if (held != current)
                        committed.clear();  // a new project has no decisions
                    current = held;
                } else {
                    QCOMPARE(held, current);
                }
                if (kind == Decide && done)
                    committed.insert(arguments(kind, trial + 1).last());
                QSet<QString> notes;
                for (const crowdsift::Decision& d : opened.decisions())
                    notes.insert(QString::fromStdString(d.note));
                for (const QString& note : committed)
                    QVERIFY2(notes.contains(note), qPrintable("lost the committed decision " + note));
                for (const crowdsift::RunInfo& run : opened.runs())
                    QVERIFY(run.status != "running");
                QCOMPARE(leftovers(dir.path()).filter(QRegularExpression("\\.(swap|old)-")), QStringList());
                SQLite::Database check(project.toStdString(), SQLite::OPEN_READONLY);
                QCOMPARE(QString::fromStdString(check.execAndGet("PRAGMA integrity_check").getString()), QString("ok"));
            }
        }
        qInfo("kill harness: %d trials per kind; killed mid-way / finished: decide %d / %d, import --force %d / %d, "
              "aggregate %d / %d; committed decisions lost: 0, projects lost: 0, integrity_check: ok",
              trials, killed[Decide], finished[Decide] - 1, killed[Import], finished[Import] - 1, killed[Aggregate],
              finished[Aggregate] - 1);
    }
};

QTEST_GUILESS_MAIN(TestCliSafety)
#include "test_cli_safety.moc"
