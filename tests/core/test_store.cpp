#include "data/formats.h"
#include "project/schema.h"
#include "project/store.h"
#include "util/error.h"
#include "util/progress.h"

#include "sqlite_stop.h"
#include "testdata.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sys/wait.h>

using namespace crowdsift;
namespace fs = std::filesystem;

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// 5 items, 3 annotators, 3 classes, with every optional part filled in and a few awkward values
// (UTF-8 and punctuation in ids, empty image paths, unknown truth, a complementary answer).
Dataset smallDataset()
{
    Dataset d;
    d.name = "small, \"quoted\"";
    d.root = "/data/small";
    d.source = "/data/small/answers.json";
    d.format = "peerannot";
    d.classNames = {"cat", "dog", "d\xc3\xa9j\xc3\xa0 vu"};
    d.itemKeys = {"a", "b,1", "c\xc3\xa9", "d", "e"};
    d.splits = {Split::Train, Split::Train, Split::Val, Split::Test, Split::Train};
    d.imagePaths = {"train/cat/a-1.png", "", "val/dog/c.jpg", "test/x/d.png", ""};
    d.annotatorIds = {"w1", "w 2", "w\xe2\x82\xac"};
    d.answers = Answers::fromTriplets(5, 3, {{0, 0, 0}, {0, 1, 1}, {1, 2, 2}, {2, 0, 1, true}, {2, 2, 1},
                                             {4, 1, 0}, {4, 0, 2}});
    d.features.resize(5, 2);
    d.features << 0.5f, -1.0f, 1e-7f, 3.25f, 0.0f, 2.0f, -0.125f, 1e6f, 7.0f, 8.0f;
    d.voteCounts.resize(5, 3);
    d.voteCounts << 1, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 1;
    d.truth = {0, -1, 1, 2, -1};
    return d;
}

// Deterministic crowd: `perItem` distinct annotators per item, spread over all of them.
Dataset syntheticDataset(int items, int annotators, int perItem, int classes)
{
    Dataset d;
    d.name = "synthetic";
    d.source = "/nowhere/synthetic.csv";
    d.format = "csv";
    for (int k = 0; k < classes; ++k)
        d.classNames.push_back("class " + std::to_string(k));
    for (int i = 0; i < items; ++i) {
        d.itemKeys.push_back("item-" + std::to_string(i));
        d.splits.push_back(static_cast<Split>(i % 3));
        d.imagePaths.push_back(i % 4 == 0 ? std::string() : "train/img-" + std::to_string(i) + ".png");
        d.truth.push_back(i % 5 == 0 ? -1 : i % classes);
    }
    for (int w = 0; w < annotators; ++w)
        d.annotatorIds.push_back("worker-" + std::to_string(w));
    std::vector<Answer> triplets;
    const int stride = annotators / perItem;
    for (int i = 0; i < items; ++i)
        for (int j = 0; j < perItem; ++j)
            triplets.push_back({i, (i + j * stride) % annotators, (i * 31 + j * 7) % classes, (i + j) % 97 == 0});
    d.answers = Answers::fromTriplets(items, annotators, triplets);
    return d;
}

// The Dog answers as every peer was fed them, with their truth.
Dataset dogDataset()
{
    ReadOptions options;
    options.truthPath = testing::sharedPath("reference/dog/truth.csv");
    return readDataset(testing::sharedPath("reference/dog/answers.csv"), options);
}

bool sameEntries(const std::vector<Answers::Entry>& a, const std::vector<Answers::Entry>& b)
{
    return a.size() == b.size()
           && std::equal(a.begin(), a.end(), b.begin(), [](const Answers::Entry& x, const Answers::Entry& y) {
                  return x.other == y.other && x.label == y.label && x.flags == y.flags;
              });
}

void compareDatasets(const Dataset& got, const Dataset& want)
{
    QCOMPARE(qs(got.name), qs(want.name));
    QCOMPARE(qs(got.root), qs(want.root));
    QCOMPARE(qs(got.source), qs(want.source));
    QCOMPARE(qs(got.format), qs(want.format));
    QVERIFY(got.classNames == want.classNames);
    QVERIFY(got.itemKeys == want.itemKeys);
    QVERIFY(got.splits == want.splits);
    QVERIFY(got.imagePaths == want.imagePaths);
    QVERIFY(got.annotatorIds == want.annotatorIds);
    QVERIFY(got.truth == want.truth);
    QCOMPARE(got.answers.size(), want.answers.size());
    QVERIFY(got.answers.itemOffsets() == want.answers.itemOffsets());
    QVERIFY(got.answers.annotatorOffsets() == want.answers.annotatorOffsets());
    QVERIFY(sameEntries(got.answers.byItem(), want.answers.byItem()));
    QVERIFY(sameEntries(got.answers.byAnnotator(), want.answers.byAnnotator()));
    QCOMPARE(got.features.rows(), want.features.rows());
    QCOMPARE(got.features.cols(), want.features.cols());
    QVERIFY(got.features == want.features);
    QCOMPARE(got.voteCounts.rows(), want.voteCounts.rows());
    QCOMPARE(got.voteCounts.cols(), want.voteCounts.cols());
    QVERIFY(got.voteCounts == want.voteCounts);
}

Decision decision(int item, int label, const std::string& status, std::int64_t undoes = 0)
{
    Decision d;
    d.item = item;
    d.label = label;
    d.status = status;
    d.undoes = undoes;
    return d;
}

std::string integrityCheck(const std::string& path)
{
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA integrity_check").getString();
}

template <typename F>
QString storeErrorOf(F&& body)
{
    try {
        body();
    } catch (const StoreError& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

std::vector<std::string> folderEntries(const QTemporaryDir& dir)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir.path().toStdString()))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Child process modes, run by the crash tests on this same executable.

// Decisions appended before the one the kill interrupts.
constexpr int kAppendedBeforeKill = 40;

// Appends decision i (item i % N, label i % K, note "child i"), printing each id once
// appendDecision has returned; decision kAppendedBeforeKill stops inside its commit, where
// `stopAt` says (see sqlite_stop.h). Exits 4 if it did not stop.
int childAppendDecisions(const char* path, const char* stopAt)
{
    testing::installSqliteStop(testing::parseSqliteStop(stopAt));
    Project project = Project::open(path);
    for (int i = 0; i <= kAppendedBeforeKill; ++i) {
        if (i == kAppendedBeforeKill)
            testing::armSqliteStop();
        Decision d;
        d.item = i % project.itemCount();
        d.label = i % project.classCount();
        d.status = "relabel";
        d.reviewer = "child";
        d.note = "child " + std::to_string(i);
        const std::int64_t id = project.appendDecision(d);
        std::printf("%lld\n", static_cast<long long>(id));
        std::fflush(stdout);
    }
    return 4;
}

// What the killed child imports: features and vote counts, so that the cache folder is part of
// what must not appear half-built. The child stops itself where the test asks, so the size does
// not decide where the kill lands.
Dataset childDataset()
{
    Dataset d = syntheticDataset(2000, 100, 10, 4);
    d.features.setConstant(2000, 2, 0.5f);
    d.voteCounts.setConstant(2000, 4, 1.0f);
    return d;
}

// Says "stopped <where>" and waits for the parent's SIGKILL.
[[noreturn]] void stopForTheKill(const std::string& where)
{
    std::printf("stopped %s\n", where.c_str());
    std::fflush(stdout);
    for (;;)
        ::pause();
}

// Creates the childDataset() project and stops at `stopAt`: at the first progress report of that
// stage of the build (e.g. "writing answers"), or with "committed" once Project::create has
// returned. Exits 1 if it never got there.
int childCreate(const char* path, const std::string& stopAt)
{
    const Dataset dataset = childDataset();
    Progress progress(
        [&](double, const std::string& stage) {
            if (stage == stopAt)
                stopForTheKill(stage);
        },
        0);
    Project::create(path, dataset, progress);
    if (stopAt == "committed")
        stopForTheKill(stopAt);
    return 1;
}

// Begins a run, says its id and waits to be killed with the run still running.
int childBeginRun(const char* path)
{
    Project project = Project::open(path);
    const std::int64_t run = project.beginRun("aggregate", {{"strategy", "ds"}});
    std::printf("%lld\n", static_cast<long long>(run));
    std::fflush(stdout);
    for (;;)
        ::pause();
}

// Reads the child's stdout lines until `enough` of them arrived (or it ended), then SIGKILLs it.
QStringList killAfterLines(QProcess& child, int enough)
{
    QStringList lines;
    QByteArray pending;
    while (lines.size() < enough && child.state() != QProcess::NotRunning) {
        if (!child.waitForReadyRead(20000))
            break;
        pending += child.readAllStandardOutput();
        while (pending.contains('\n')) {
            const int end = static_cast<int>(pending.indexOf('\n'));
            lines << QString::fromUtf8(pending.left(end));
            pending.remove(0, end + 1);
        }
    }
    child.kill();
    child.waitForFinished(20000);
    pending += child.readAllStandardOutput();
    for (const QByteArray& line : pending.split('\n'))
        if (!line.isEmpty())
            lines << QString::fromUtf8(line);
    return lines;
}

}  // namespace

class TestStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripSmall();
    void roundTripDog();
    void roundTripLarge();
    void relativeRootIsStoredAbsolute();
    void createRefusesExistingPath();
    void createOverwriteReplacesProjectAndCache();
    void createCancelledLeavesNothing();
    void createRejectsDuplicateItemKeys();
    void openRejects_data();
    void openRejects();
    void openRejectsNewerSchema();
    void looksLikeProject();
    void migrationRunsMissingSteps();
    void migrationRollsBackFailedStep();
    void migrationRejectsUnknownVersions();
    void runsRecordAndReadBack();
    void runsRejectBadInput();
    void decisionsAppendAndSurviveReopen();
    void decisionsRejectBadInput();
    void killDuringAppendKeepsCommittedDecisions_data();
    void killDuringAppendKeepsCommittedDecisions();
    void killedRunIsFoundFailed();
    void runOfALiveProjectStaysRunning();
    void killDuringCreateLeavesNoProject_data();
    void killDuringCreateLeavesNoProject();
    void killAfterCreateKeepsTheProject();
    void replaceRefusesAProjectInUse();
    void interruptedReplaceLeavesOneWholeProject_data();
    void interruptedReplaceLeavesOneWholeProject();
};

void TestStore::roundTripSmall()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("small.csift").toStdString();
    const Dataset original = smallDataset();
    {
        Project project = Project::create(path, original, Progress::none());
        QCOMPARE(project.schemaVersion(), schema::currentVersion);
        QCOMPARE(project.itemCount(), 5);
        QCOMPARE(project.classCount(), 3);
        compareDatasets(project.loadDataset(Progress::none()), original);
        if (QTest::currentTestFailed())
            return;
    }
    const Project reopened = Project::open(path);
    QCOMPARE(qs(reopened.path()), qs(path));
    QCOMPARE(qs(reopened.cacheDir()), qs(path + ".cache"));
    QVERIFY(fs::exists(reopened.cacheDir() + "/dataset/features.npy"));
    QVERIFY(fs::exists(reopened.cacheDir() + "/dataset/voteCounts.npy"));
    compareDatasets(reopened.loadDataset(Progress::none()), original);
    QCOMPARE(qs(integrityCheck(path)), QStringLiteral("ok"));
    // The build file and its journals are gone; only the project, its cache and SQLite's WAL
    // files of the open connection remain.
    for (const std::string& name : folderEntries(dir))
        QVERIFY2(name.find(".tmp-") == std::string::npos, name.c_str());
}

void TestStore::roundTripDog()
{
    CROWDSIFT_REQUIRE_SHARED("reference/dog/answers.csv");
    CROWDSIFT_REQUIRE_SHARED("reference/dog/truth.csv");
    const Dataset dog = dogDataset();
    QCOMPARE(dog.itemCount(), 807);
    QCOMPARE(dog.annotatorCount(), 109);
    QCOMPARE(dog.classCount(), 4);
    QCOMPARE(dog.answers.size(), std::size_t(8070));
    QCOMPARE(std::count_if(dog.truth.begin(), dog.truth.end(), [](int t) { return t >= 0; }), 807L);

    QTemporaryDir dir;
    const std::string path = dir.filePath("dog.csift").toStdString();
    Project::create(path, dog, Progress::none());
    QVERIFY(!fs::exists(path + ".cache"));
    compareDatasets(Project::open(path).loadDataset(Progress::none()), dog);
}

void TestStore::roundTripLarge()
{
    const Dataset original = syntheticDataset(20000, 500, 10, 7);
    QTemporaryDir dir;
    const std::string path = dir.filePath("large.csift").toStdString();
    std::set<std::string> stages;
    double last = 0;
    Progress progress(
        [&](double fraction, const std::string& stage) {
            stages.insert(stage);
            last = fraction;
        },
        0);
    Project project = Project::create(path, original, progress);
    QVERIFY(stages.count("writing items"));
    QVERIFY(stages.count("writing answers"));
    QCOMPARE(last, 1.0);
    stages.clear();
    const Dataset loaded = project.loadDataset(progress);
    QVERIFY(stages.count("reading answers"));
    compareDatasets(loaded, original);
}

void TestStore::relativeRootIsStoredAbsolute()
{
    QTemporaryDir dir;
    Dataset d = smallDataset();
    d.root = "images/here";
    const std::string path = dir.filePath("rel.csift").toStdString();
    const Dataset loaded = Project::create(path, d, Progress::none()).loadDataset(Progress::none());
    QCOMPARE(qs(loaded.root), qs((fs::current_path() / "images/here").string()));
}

void TestStore::createRefusesExistingPath()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("exists.csift").toStdString();
    std::ofstream(path) << "keep me";
    const QString message = storeErrorOf([&] { Project::create(path, smallDataset(), Progress::none()); });
    QVERIFY2(message.contains(qs(path)) && message.contains("already exists"), qPrintable(message));
    std::ifstream in(path);
    std::string content;
    std::getline(in, content);
    QCOMPARE(qs(content), QStringLiteral("keep me"));

    const QString folder = storeErrorOf([&] { Project::create(dir.path().toStdString(), smallDataset(), Progress::none()); });
    QVERIFY2(folder.contains("is a folder"), qPrintable(folder));
    const QString parent = storeErrorOf(
        [&] { Project::create(dir.filePath("no/such/p.csift").toStdString(), smallDataset(), Progress::none()); });
    QVERIFY2(parent.contains("does not exist"), qPrintable(parent));
}

void TestStore::createOverwriteReplacesProjectAndCache()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("p.csift").toStdString();
    {
        Project old = Project::create(path, smallDataset(), Progress::none());
        const std::int64_t run = old.beginRun("aggregate", {});
        const float values[] = {1, 2};
        old.addRunOutput(run, "posteriors", values, {2});
        old.appendDecision(decision(0, 1, "relabel"));
    }
    const Dataset replacement = syntheticDataset(30, 6, 3, 2);
    Project project = Project::create(path, replacement, Progress::none(), true);
    QVERIFY(project.runs().empty());
    QVERIFY(project.decisions().empty());
    QVERIFY(!fs::exists(project.cacheDir()));
    compareDatasets(project.loadDataset(Progress::none()), replacement);
}

void TestStore::createCancelledLeavesNothing()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("cancel.csift").toStdString();
    Progress progress;
    progress.setCallback(
        [&](double, const std::string& stage) {
            if (stage == "writing answers")
                progress.cancel();
        },
        0);
    QVERIFY_THROWS_EXCEPTION(Cancelled, Project::create(path, syntheticDataset(2000, 20, 5, 3), progress));
    QVERIFY(folderEntries(dir).empty());
}

void TestStore::createRejectsDuplicateItemKeys()
{
    QTemporaryDir dir;
    Dataset d = smallDataset();
    d.itemKeys[1] = d.itemKeys[0];
    const std::string path = dir.filePath("dup.csift").toStdString();
    QVERIFY_THROWS_EXCEPTION(std::logic_error, Project::create(path, d, Progress::none()));
    QVERIFY(folderEntries(dir).empty());
}

void TestStore::openRejects_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << "missing" << "no such project file";
    QTest::newRow("folder") << "folder" << "is a folder";
    QTest::newRow("empty") << "empty" << "the file is empty";
    QTest::newRow("text") << "text" << "not an SQLite database";
    QTest::newRow("foreign SQLite") << "foreign" << "another program";
    QTest::newRow("truncated") << "truncated" << "damaged";
    QTest::newRow("garbage pages") << "garbage" << "damaged";
    QTest::newRow("our id, no tables") << "bare" << "metadata table is missing";
}

void TestStore::openRejects()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const std::string path = dir.filePath("x.csift").toStdString();
    if (kind == "folder") {
        fs::create_directory(path);
    } else if (kind == "empty") {
        std::ofstream{path};
    } else if (kind == "text") {
        std::ofstream(path) << "task,worker,label\n0,0,1\n1,0,2\n";
    } else if (kind == "foreign") {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('x')");
    } else if (kind == "bare") {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA application_id = " + std::to_string(schema::applicationId) + "; PRAGMA user_version = 1");
    } else if (kind == "truncated" || kind == "garbage") {
        const std::string full = dir.filePath("full.csift").toStdString();
        Project::create(full, syntheticDataset(3000, 30, 5, 3), Progress::none());
        const auto size = fs::file_size(full);
        QVERIFY(size > 65536);
        fs::copy_file(full, path);
        if (kind == "truncated") {
            fs::resize_file(path, size / 2);
        } else {
            std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
            file.seekp(4096);
            const std::string junk(8192, '\x5a');
            file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
    }
    const QString message = storeErrorOf([&] {
        Project project = Project::open(path);
        project.loadDataset(Progress::none());
    });
    QVERIFY2(message.contains(qs(path)), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
}

void TestStore::openRejectsNewerSchema()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("newer.csift").toStdString();
    Project::create(path, smallDataset(), Progress::none());
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(schema::currentVersion + 1));
    }
    const QString message = storeErrorOf([&] { Project::open(path); });
    QVERIFY2(message.contains(qs(path)), qPrintable(message));
    QVERIFY2(message.contains(QString("was written by a newer Crowdsift (schema %1, this build reads up to %2)")
                                  .arg(schema::currentVersion + 1)
                                  .arg(schema::currentVersion)),
             qPrintable(message));
}

void TestStore::looksLikeProject()
{
    QTemporaryDir dir;
    const std::string project = dir.filePath("p.csift").toStdString();
    Project::create(project, smallDataset(), Progress::none());
    const std::string text = dir.filePath("t.csv").toStdString();
    std::ofstream(text) << "task,worker,label\n";
    const std::string foreign = dir.filePath("f.db").toStdString();
    SQLite::Database(foreign, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE).exec("CREATE TABLE t (x)");
    const std::string empty = dir.filePath("e.csift").toStdString();
    std::ofstream{empty};

    QVERIFY(Project::looksLikeProject(project));
    QVERIFY(!Project::looksLikeProject(text));
    QVERIFY(!Project::looksLikeProject(foreign));
    QVERIFY(!Project::looksLikeProject(empty));
    QVERIFY(!Project::looksLikeProject(dir.filePath("missing.csift").toStdString()));
    QVERIFY(!Project::looksLikeProject(dir.path().toStdString()));
}

void TestStore::migrationRunsMissingSteps()
{
    QCOMPARE(schema::migrations().size(), std::size_t(schema::currentVersion));

    std::vector<int> ran;
    const std::vector<schema::MigrationStep> steps{
        [&](SQLite::Database& db) {
            ran.push_back(0);
            db.exec("CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE a (x INTEGER)");
            db.exec("INSERT INTO a (x) VALUES (1), (2)");
        },
        [&](SQLite::Database& db) {
            ran.push_back(1);
            db.exec("ALTER TABLE a ADD COLUMN y INTEGER NOT NULL DEFAULT 7");
        },
        [&](SQLite::Database& db) {
            ran.push_back(2);
            db.exec("CREATE TABLE b AS SELECT x * 10 AS z FROM a");
        }};
    QTemporaryDir dir;
    const std::string path = dir.filePath("v0.db").toStdString();
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);

    schema::migrate(db, 0, 2, steps);
    QVERIFY(ran == std::vector<int>({0, 1}));
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 2);
    QCOMPARE(db.execAndGet("SELECT sum(y) FROM a").getInt(), 14);
    QCOMPARE(qs(db.execAndGet("SELECT value FROM metadata WHERE key = 'schema_version'").getString()), QStringLiteral("2"));
    QVERIFY(!db.tableExists("b"));

    ran.clear();
    schema::migrate(db, 2, 3, steps);
    QVERIFY(ran == std::vector<int>({2}));
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 3);
    QCOMPARE(db.execAndGet("SELECT sum(z) FROM b").getInt(), 30);

    ran.clear();
    schema::migrate(db, 3, 3, steps);
    QVERIFY(ran.empty());
}

void TestStore::migrationRollsBackFailedStep()
{
    const std::vector<schema::MigrationStep> steps{
        [](SQLite::Database& db) { db.exec("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1)"); },
        [](SQLite::Database& db) { db.exec("CREATE TABLE b (y INTEGER)"); },
        [](SQLite::Database& db) { db.exec("INSERT INTO no_such_table VALUES (1)"); }};
    QTemporaryDir dir;
    const std::string path = dir.filePath("v0.db").toStdString();
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    QVERIFY_THROWS_EXCEPTION(SQLite::Exception, schema::migrate(db, 0, 3, steps));
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 0);
    QVERIFY(!db.tableExists("a"));
    QVERIFY(!db.tableExists("b"));
    // The connection is usable afterwards: no transaction was left open.
    schema::migrate(db, 0, 2, steps);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 2);
    QVERIFY(db.tableExists("b"));
}

void TestStore::migrationRejectsUnknownVersions()
{
    QTemporaryDir dir;
    SQLite::Database db(dir.filePath("v.db").toStdString(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const std::vector<schema::MigrationStep> steps{[](SQLite::Database&) {}};
    QVERIFY_THROWS_EXCEPTION(StoreError, schema::migrate(db, 0, 2, steps));
    QVERIFY_THROWS_EXCEPTION(StoreError, schema::migrate(db, 1, 0, steps));
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 0);
}

void TestStore::runsRecordAndReadBack()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.csift").toStdString();
    const std::vector<float> posteriors{0.25f, 0.75f, 1.0f, 0.0f, 0.5f, 0.5f};
    const std::vector<double> skills{0.9, 0.55, 1e-300, -0.0};
    const std::vector<std::int32_t> labels{0, 1, 2, 0, -1, 7, 8, 2147483647};
    {
        Project project = Project::create(path, smallDataset(), Progress::none());
        const nlohmann::json params{{"method", "DS"}, {"iterations", 50}, {"tolerance", 1e-6}};
        const std::int64_t first = project.beginRun("aggregate", params, "Dawid-Skene");
        const std::int64_t second = project.beginRun("train", nlohmann::json::object(), {}, first);
        QCOMPARE(first, std::int64_t(1));
        QCOMPARE(second, std::int64_t(2));
        project.addRunOutput(first, "posteriors", posteriors.data(), {3, 2});
        project.addRunOutput(first, "skills", skills.data(), {4});
        project.addRunOutput(first, "labels", labels.data(), {2, 2, 2});
        const float replaced[] = {9.0f};
        project.addRunOutput(second, "loss", replaced, {1});
        const float loss[] = {3.0f, 2.0f, 1.5f};
        project.addRunOutput(second, "loss", loss, {3});
        project.finishRun(first, "done", {{"iterations", 12}, {"logLikelihood", -123.5}});

        const RunInfo running = project.run(second);
        QCOMPARE(qs(running.status), QStringLiteral("running"));
        QCOMPARE(running.finished, 0.0);
        QVERIFY(running.summary.is_null());
        QVERIFY(running.name.empty());
    }
    const Project project = Project::open(path);
    const std::vector<RunInfo> runs = project.runs();
    QCOMPARE(runs.size(), std::size_t(2));
    const RunInfo& first = runs[0];
    QCOMPARE(first.id, std::int64_t(1));
    QCOMPARE(qs(first.kind), QStringLiteral("aggregate"));
    QCOMPARE(qs(first.name), QStringLiteral("Dawid-Skene"));
    QCOMPARE(first.params["method"].get<std::string>(), std::string("DS"));
    QCOMPARE(first.params["tolerance"].get<double>(), 1e-6);
    QCOMPARE(qs(first.status), QStringLiteral("done"));
    QVERIFY(first.created > 1.6e9);
    QVERIFY(first.finished >= first.created);
    QCOMPARE(first.summary["iterations"].get<int>(), 12);
    QVERIFY((first.outputs == std::vector<std::string>{"labels", "posteriors", "skills"}));
    QVERIFY((runs[1].outputs == std::vector<std::string>{"loss"}));
    QCOMPARE(qs(runs[1].kind), QStringLiteral("train"));
    // The parent link survives reopening; a run without one reads 0.
    QCOMPARE(first.parent, std::int64_t(0));
    QCOMPARE(runs[1].parent, std::int64_t(1));
    QCOMPARE(project.run(2).parent, std::int64_t(1));

    const NpyArray p = project.runOutput(1, "posteriors");
    QCOMPARE(p.type, NpyType::Float32);
    QVERIFY((p.shape == std::vector<std::size_t>{3, 2}));
    QVERIFY(p.as<float>() == posteriors);
    const NpyArray s = project.runOutput(1, "skills");
    QCOMPARE(s.type, NpyType::Float64);
    QVERIFY(s.as<double>() == skills);
    const NpyArray l = project.runOutput(1, "labels");
    QCOMPARE(l.type, NpyType::Int32);
    QVERIFY((l.shape == std::vector<std::size_t>{2, 2, 2}));
    QVERIFY(l.as<std::int32_t>() == labels);
    QVERIFY((project.runOutput(2, "loss").as<float>() == std::vector<float>{3.0f, 2.0f, 1.5f}));
    QVERIFY(fs::exists(project.cacheDir() + "/runs/1/posteriors.npy"));
}

void TestStore::runsRejectBadInput()
{
    QTemporaryDir dir;
    Project project = Project::create(dir.filePath("r.csift").toStdString(), smallDataset(), Progress::none());
    const std::int64_t run = project.beginRun("aggregate", {});
    const float value = 1.0f;
    for (const char* name : {"", ".hidden", "../escape", "a/b", "sp ace"})
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.addRunOutput(run, name, &value, {1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.addRunOutput(run + 1, "x", &value, {1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.finishRun(run, "running", {}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.finishRun(run + 1, "done", {}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.runOutput(run, "x"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.beginRun("", {}));
    // A parent must be a run of the project; a refused run leaves nothing behind.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.beginRun("train", {}, {}, run + 5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.beginRun("train", {}, {}, -1));
    QCOMPARE(project.runs().size(), std::size_t(1));

    project.addRunOutput(run, "gone", &value, {1});
    fs::remove(project.cacheDir() + "/runs/1/gone.npy");
    const QString message = storeErrorOf([&] { project.runOutput(run, "gone"); });
    QVERIFY2(message.contains("gone.npy") && message.contains("missing"), qPrintable(message));
}

void TestStore::decisionsAppendAndSurviveReopen()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("d.csift").toStdString();
    std::vector<Decision> appended{
        {0, 2, 1, "relabel", "ann", 1700000000.5, "looks like a dog", 0},
        {0, 3, -1, "accept", "ann", 1700000001.0, "", 0},
        {0, 2, -1, "revert", "bob", 0, "", 1},
    };
    {
        Project project = Project::create(path, smallDataset(), Progress::none());
        const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        for (std::size_t i = 0; i < appended.size(); ++i)
            QCOMPARE(project.appendDecision(appended[i]), std::int64_t(i + 1));
        const std::vector<Decision> stamped = project.decisions();
        QVERIFY(stamped[2].time >= before - 1);
        appended[2].time = stamped[2].time;
    }
    const std::vector<Decision> read = Project::open(path).decisions();
    QCOMPARE(read.size(), appended.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
        QCOMPARE(read[i].id, std::int64_t(i + 1));
        QCOMPARE(read[i].item, appended[i].item);
        QCOMPARE(read[i].label, appended[i].label);
        QCOMPARE(qs(read[i].status), qs(appended[i].status));
        QCOMPARE(qs(read[i].reviewer), qs(appended[i].reviewer));
        QCOMPARE(read[i].time, appended[i].time);
        QCOMPARE(qs(read[i].note), qs(appended[i].note));
        QCOMPARE(read[i].undoes, appended[i].undoes);
    }
}

void TestStore::decisionsRejectBadInput()
{
    QTemporaryDir dir;
    Project project = Project::create(dir.filePath("d.csift").toStdString(), smallDataset(), Progress::none());
    project.appendDecision(decision(0, 0, "relabel"));
    const std::vector<Decision> bad{
        decision(-1, 0, "relabel"), decision(5, 0, "relabel"), decision(0, 3, "relabel"),
        decision(0, -2, "relabel"), decision(0, 0, ""),        decision(0, 0, "revert", 2),
    };
    for (const Decision& d : bad)
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, project.appendDecision(d));
    QCOMPARE(project.decisions().size(), std::size_t(1));

    // One action, one transaction: a bad decision anywhere in it writes none of them.
    std::vector<Decision> badLast = bad;
    badLast.back() = decision(0, 0, "revert", 99);
    for (const Decision& d : badLast)
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 project.appendDecisions({decision(1, 1, "relabel"), decision(2, 2, "relabel"), d}));
    QCOMPARE(project.decisions().size(), std::size_t(1));
    const std::vector<std::int64_t> ids =
        project.appendDecisions({decision(1, 1, "relabel"), decision(2, 2, "relabel"), decision(0, 0, "revert", 1)});
    QCOMPARE(ids, (std::vector<std::int64_t>{2, 3, 4}));
    const std::vector<Decision> stored = Project::open(project.path()).decisions();
    QCOMPARE(stored.size(), std::size_t(4));
    QCOMPARE(stored[3].undoes, std::int64_t(1));
    QCOMPARE(stored[2].label, 2);
}

void TestStore::killDuringAppendKeepsCommittedDecisions_data()
{
    QTest::addColumn<QString>("stopAt");
    QTest::addColumn<bool>("inFlightKept");
    QTest::newRow("before the WAL write") << QStringLiteral("wal-write") << false;
    QTest::newRow("at the WAL flush") << QStringLiteral("wal-sync") << true;
}

// The child appends kAppendedBeforeKill decisions, then stops inside the commit of the next one
// and is killed there: every reported decision survives, and the one in flight exactly when its
// commit record was written.
void TestStore::killDuringAppendKeepsCommittedDecisions()
{
    QFETCH(QString, stopAt);
    QFETCH(bool, inFlightKept);
    QTemporaryDir dir;
    const std::string path = dir.filePath("crash.csift").toStdString();
    Project::create(path, smallDataset(), Progress::none());

    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {"--child-append-decisions", qs(path), stopAt});
    QVERIFY(child.waitForStarted());
    QStringList reported = killAfterLines(child, kAppendedBeforeKill + 1);
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QVERIFY2(reported.size() == kAppendedBeforeKill + 1 && reported.back() == "stopped",
             qPrintable(reported.join(' ') + child.readAllStandardError()));
    reported.removeLast();

    QCOMPARE(qs(integrityCheck(path)), QStringLiteral("ok"));
    const Project project = Project::open(path);
    const std::vector<Decision> decisions = project.decisions();
    QCOMPARE(static_cast<int>(decisions.size()), kAppendedBeforeKill + (inFlightKept ? 1 : 0));
    for (int i = 0; i < static_cast<int>(decisions.size()); ++i) {
        const Decision& d = decisions[static_cast<std::size_t>(i)];
        if (i < kAppendedBeforeKill)
            QCOMPARE(d.id, static_cast<std::int64_t>(reported[i].toLongLong()));
        QCOMPARE(d.id, static_cast<std::int64_t>(i + 1));
        QCOMPARE(d.item, i % 5);
        QCOMPARE(d.label, i % 3);
        QCOMPARE(qs(d.note), qs("child " + std::to_string(i)));
    }
}

void TestStore::killDuringCreateLeavesNoProject_data()
{
    QTest::addColumn<QString>("stage");
    QTest::addColumn<bool>("cacheBuilt");
    // Mid-transaction, before any array file: only the private build file exists.
    QTest::newRow("writing answers") << QStringLiteral("writing answers") << false;
    // After the features array was written into the private cache folder.
    QTest::newRow("writing voteCounts") << QStringLiteral("writing voteCounts") << true;
}

// The child stops itself inside the build (in the progress callback of `stage`) and says so
// before the kill, so the kill always lands mid-create: no project appears, and what the killed
// build leaves is exactly its private build file (and cache folder), named by its pid.
void TestStore::killDuringCreateLeavesNoProject()
{
    QFETCH(QString, stage);
    QFETCH(bool, cacheBuilt);
    QTemporaryDir dir;
    const std::string path = dir.filePath("killed.csift").toStdString();
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {"--child-create", qs(path), stage});
    QVERIFY(child.waitForStarted());
    const qint64 childPid = child.processId();
    const QStringList lines = killAfterLines(child, 1);
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QCOMPARE(lines, QStringList{"stopped " + stage});

    QVERIFY(!fs::exists(path));
    QVERIFY(!fs::exists(path + ".cache"));
    QVERIFY(!Project::looksLikeProject(path));
    const std::string dead = path + ".tmp-" + std::to_string(childPid);
    const std::string deadCache = path + ".cache.tmp-" + std::to_string(childPid);
    QStringList left{qs(fs::path(dead).filename().string())};
    if (cacheBuilt)
        left << qs(fs::path(deadCache).filename().string());
    left.sort();
    QStringList found;
    for (const std::string& name : folderEntries(dir))
        found << qs(name);
    QCOMPARE(found, left);
    if (cacheBuilt)
        QVERIFY(fs::exists(deadCache + "/dataset/features.npy"));

    // The killed build's leftovers do not stand in the way of a new project at the same path,
    // and that create clears them away; a build of a live process is left alone.
    const std::string live = path + ".tmp-" + std::to_string(::getppid());
    std::ofstream(live) << "another build";
    Project::create(path, smallDataset(), Progress::none(), true);
    compareDatasets(Project::open(path).loadDataset(Progress::none()), smallDataset());
    for (const std::string& name : folderEntries(dir))
        QVERIFY2(name.find(".tmp-") == std::string::npos || dir.filePath(qs(name)).toStdString() == live, name.c_str());
    QVERIFY(fs::exists(live));
    QVERIFY(!fs::exists(dead));
    QVERIFY(!fs::exists(deadCache));
}

// Killed once create() has returned: the project is whole and no build file is left.
void TestStore::killAfterCreateKeepsTheProject()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("committed.csift").toStdString();
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {"--child-create", qs(path), "committed"});
    QVERIFY(child.waitForStarted());
    const QStringList lines = killAfterLines(child, 1);
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QCOMPARE(lines, QStringList{"stopped committed"});

    QCOMPARE(qs(integrityCheck(path)), QStringLiteral("ok"));
    compareDatasets(Project::open(path).loadDataset(Progress::none()), childDataset());
    for (const std::string& name : folderEntries(dir))
        QVERIFY2(name.find(".tmp-") == std::string::npos, name.c_str());
}

// `import --force` beside a running `aggregate` once printed "stored as run 2" and the run was
// gone: a project open anywhere (here another Project in this process) is not replaced.
void TestStore::replaceRefusesAProjectInUse()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("used.csift").toStdString();
    std::optional<Project> owner = Project::create(path, smallDataset(), Progress::none());
    const std::int64_t run = owner->beginRun("aggregate", {});
    const QString message = storeErrorOf([&] { Project::create(path, childDataset(), Progress::none(), true); });
    QVERIFY2(message.contains(qs(path)) && message.contains("is open in a program"), qPrintable(message));
    owner->finishRun(run, "done", {{"accuracy", 1}});
    QCOMPARE(owner->runs().size(), std::size_t(1));
    compareDatasets(Project::open(path).loadDataset(Progress::none()), smallDataset());
    for (const std::string& name : folderEntries(dir))
        QVERIFY2(name.find(".tmp-") == std::string::npos && name.find(".swap-") == std::string::npos, name.c_str());

    owner.reset();  // closed: now it may be replaced
    compareDatasets(Project::create(path, childDataset(), Progress::none(), true).loadDataset(Progress::none()),
                    childDataset());
}

void TestStore::interruptedReplaceLeavesOneWholeProject_data()
{
    QTest::addColumn<int>("steps");
    QTest::newRow("marker written") << 0;
    QTest::newRow("old cache moved aside") << 1;
    QTest::newRow("old log moved aside") << 2;
    QTest::newRow("new cache in place") << 3;
    QTest::newRow("new database in place") << 4;
}

// A replacement (create with overwrite) killed after `steps` of its renames, as
// store_replace.cpp makes them: the next open finds the old project whole (with the decisions
// that were only in its write-ahead log and its run's array) until the new database has its name,
// and the new one from then on; nothing of the other is left.
void TestStore::interruptedReplaceLeavesOneWholeProject()
{
    QFETCH(int, steps);
    QTemporaryDir dir;
    const std::string path = dir.filePath("p.csift").toStdString();
    std::int64_t run = 0;
    {
        Project old = Project::create(path, smallDataset(), Progress::none());
        run = old.beginRun("aggregate", {});
        const float values[] = {1, 2};
        old.addRunOutput(run, "posteriors", values, {2});
        old.finishRun(run, "done", {});
    }
    // Decisions committed to the log only: a killed process leaves them there.
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {"--child-append-decisions", qs(path), "wal-sync"});
    QVERIFY(child.waitForStarted());
    QCOMPARE(killAfterLines(child, kAppendedBeforeKill + 1).size(), kAppendedBeforeKill + 1);
    QVERIFY(fs::exists(path + "-wal"));

    const std::string built = dir.filePath("built.csift").toStdString();
    Project::create(built, childDataset(), Progress::none());
    const pid_t pid = ::fork();  // a process that has ended: the replacement's
    if (pid == 0)
        ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    const std::string id = std::to_string(pid);
    fs::rename(built, path + ".tmp-" + id);
    fs::rename(built + ".cache", path + ".cache.tmp-" + id);
    fs::remove(built + ".lock");

    std::ofstream(path + ".swap-" + id) << "replacing\n";
    if (steps >= 1)
        fs::rename(path + ".cache", path + ".cache.old-" + id);
    if (steps >= 2) {
        fs::rename(path + "-wal", path + ".wal.old-" + id);
        fs::remove(path + "-shm");
    }
    if (steps >= 3)
        fs::rename(path + ".cache.tmp-" + id, path + ".cache");
    if (steps >= 4)
        fs::rename(path + ".tmp-" + id, path);

    {
        const Project project = Project::open(path);
        if (steps < 4) {
            compareDatasets(project.loadDataset(Progress::none()), smallDataset());
            QCOMPARE(static_cast<int>(project.decisions().size()), kAppendedBeforeKill + 1);
            QCOMPARE(project.runOutput(run, "posteriors").as<float>(), (std::vector<float>{1, 2}));
        } else {
            compareDatasets(project.loadDataset(Progress::none()), childDataset());
            QVERIFY(project.decisions().empty());
            QVERIFY(project.runs().empty());
        }
    }
    QCOMPARE(qs(integrityCheck(path)), QStringLiteral("ok"));
    for (const std::string& name : folderEntries(dir))
        QVERIFY2(name == "p.csift" || name == "p.csift.cache" || name == "p.csift.lock" || name == "p.csift-wal"
                     || name == "p.csift-shm",
                 name.c_str());
}

void TestStore::killedRunIsFoundFailed()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.csift").toStdString();
    Project::create(path, smallDataset(), Progress::none());

    QProcess child;
    child.start(QCoreApplication::applicationFilePath(), {"--child-begin-run", qs(path)});
    QVERIFY(child.waitForStarted());
    const QStringList lines = killAfterLines(child, 1);
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    QVERIFY2(lines.size() == 1, qPrintable(lines.join(' ') + child.readAllStandardError()));
    const std::int64_t run = lines.front().toLongLong();

    Project project = Project::open(path);
    const RunInfo info = project.run(run);
    QCOMPARE(qs(info.status), QStringLiteral("failed"));
    QVERIFY(info.finished >= info.created);
    QVERIFY2(info.summary.value("error", std::string()).find("interrupted") != std::string::npos, info.summary.dump().c_str());
    // The next run of the reopened project runs and finishes as usual.
    const std::int64_t next = project.beginRun("aggregate", {{"strategy", "mv"}});
    project.finishRun(next, "done", {{"iterations", 1}});
    QCOMPARE(qs(Project::open(path).run(next).status), QStringLiteral("done"));
    QCOMPARE(qs(Project::open(path).run(run).status), QStringLiteral("failed"));
}

void TestStore::runOfALiveProjectStaysRunning()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("live.csift").toStdString();
    Project owner = Project::create(path, smallDataset(), Progress::none());
    const std::int64_t run = owner.beginRun("train", {{"model", "mlp"}});
    // Another connection (a GUI worker, a CLI beside the GUI) opens the project meanwhile.
    QCOMPARE(qs(Project::open(path).run(run).status), QStringLiteral("running"));
    owner.finishRun(run, "done", {{"epochs", 1}});
    QCOMPARE(qs(Project::open(path).run(run).status), QStringLiteral("done"));
    QVERIFY(!fs::exists(owner.cacheDir() + "/locks/run-" + std::to_string(run)));
}

int main(int argc, char** argv)
{
    if (argc == 3 && std::strcmp(argv[1], "--child-begin-run") == 0)
        return childBeginRun(argv[2]);
    if (argc == 4 && std::strcmp(argv[1], "--child-append-decisions") == 0)
        return childAppendDecisions(argv[2], argv[3]);
    if (argc == 4 && std::strcmp(argv[1], "--child-create") == 0)
        return childCreate(argv[2], argv[3]);
    QCoreApplication app(argc, argv);
    TestStore test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_store.moc"
