// The fuzz corpus in the normal suite: every committed seed and every input that once crashed a
// harness (fuzz/corpus/<target>/, see fuzz/targets.h) is run through its target again, under the
// normal build (and under scripts/sanitize's), so a fix stays fixed; plus the findings as
// regression tests with the message they must give.

#include "targets.h"

#include "data/formats.h"
#include "project/store.h"
#include "util/error.h"
#include "util/json.h"
#include "util/progress.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace crowdsift;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `bytes` through target `name`; the message of whatever escaped it (empty when nothing).
std::string escapedFrom(const std::string& name, const std::string& bytes)
{
    try {
        fuzz::runTarget(name, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
        return std::string("escaped: ") + e.what();
    }
    return {};
}

template <class F>
QString storeErrorOf(F&& f)
{
    try {
        f();
    } catch (const StoreError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

std::string nested(int levels)
{
    return std::string(static_cast<std::size_t>(levels), '[') + "1" + std::string(static_cast<std::size_t>(levels), ']');
}

}  // namespace

class TestFuzzCorpus : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void replay_data();
    void replay();
    void projectSeedAndDamage();
    void deepJsonInProject_data();
    void deepJsonInProject();
    void damagedIndices_data();
    void damagedIndices();
};

void TestFuzzCorpus::replay_data()
{
    QTest::addColumn<QString>("target");
    const fs::path corpus = CROWDSIFT_FUZZ_CORPUS;
    QVERIFY2(fs::is_directory(corpus), CROWDSIFT_FUZZ_CORPUS);
    for (const std::string& target : fuzz::targetNames()) {
        if (target == "project")
            continue;  // its seed is made by this build: projectSeedAndDamage
        QTest::newRow(target.c_str()) << QString::fromStdString(target);
    }
}

void TestFuzzCorpus::replay()
{
    QFETCH(QString, target);
    const fs::path folder = fs::path(CROWDSIFT_FUZZ_CORPUS) / target.toStdString();
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder))
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    QVERIFY2(files.size() >= 2, qPrintable(target));
    for (const fs::path& file : files) {
        const std::string escaped = escapedFrom(target.toStdString(), readAll(file));
        QVERIFY2(escaped.empty(), qPrintable(QString::fromStdString(file.string() + ": " + escaped)));
    }
}

// The project target on a real project, cut short and overwritten at several places: every
// damage is a StoreError (or reads as a project), never another exception.
void TestFuzzCorpus::projectSeedAndDamage()
{
    const std::string seed = fuzz::projectSeed();
    QVERIFY(seed.size() > 4096);
    QCOMPARE(escapedFrom("project", seed), std::string());
    for (std::size_t cut : {std::size_t{0}, std::size_t{50}, std::size_t{100}, seed.size() / 3, seed.size() / 2, seed.size() - 1})
        QVERIFY2(escapedFrom("project", seed.substr(0, cut)).empty(), qPrintable(QString::number(cut)));
    for (std::size_t at = 0; at < seed.size(); at += 509) {
        std::string damaged = seed;
        for (std::size_t i = at; i < std::min(seed.size(), at + 16); ++i)
            damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
        const std::string escaped = escapedFrom("project", damaged);
        QVERIFY2(escaped.empty(), qPrintable(QString::fromStdString("damage at " + std::to_string(at) + ": " + escaped)));
    }
}

// JSON that a project stores (a run's params and summary, an annotator's source) nested 70,000
// levels deep by a hand-edited or damaged file: a StoreError naming the file, not a stack
// overflow when it is copied or written out.
void TestFuzzCorpus::deepJsonInProject_data()
{
    QTest::addColumn<QString>("update");
    QTest::addColumn<QString>("where");
    QTest::newRow("run params") << "UPDATE runs SET params = ?" << "a run record";
    QTest::newRow("run summary") << "UPDATE runs SET summary = ?" << "a run record";
    QTest::newRow("annotator source") << "UPDATE annotators SET source = ? WHERE idx = 0" << "an annotator's source";
}

void TestFuzzCorpus::deepJsonInProject()
{
    QFETCH(QString, update);
    QFETCH(QString, where);
    QTemporaryDir dir;
    const std::string path = dir.filePath("deep.csift").toStdString();
    const std::string seed = fuzz::projectSeed();
    std::ofstream(path, std::ios::binary).write(seed.data(), static_cast<std::streamsize>(seed.size()));
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        SQLite::Statement statement(db, update.toStdString());
        statement.bind(1, nested(70000));
        QCOMPARE(statement.exec(), 1);
    }
    Project project = Project::open(path);
    const QString message = storeErrorOf([&] {
        if (where == "a run record")
            project.runs();
        else
            project.annotatorSources();
    });
    QVERIFY2(message.contains(QString::fromStdString(path)), qPrintable(message));
    QVERIFY2(message.contains("the project file is damaged (JSON in " + where + " nested deeper than 256 levels)"),
             qPrintable(message));
}

// Item and class counts come from the stored indices: one index damaged to 2,000,000,000 (or
// beyond 32 bits) made open() believe two billion items and loadDataset() die in
// std::vector::reserve. Now the open says the project is damaged.
void TestFuzzCorpus::damagedIndices_data()
{
    QTest::addColumn<QString>("update");
    QTest::addColumn<QString>("expected");
    QTest::newRow("item 2e9") << "UPDATE items SET idx = 2000000000 WHERE idx = 2"
                              << "item indices are not contiguous: 3 rows, indices 0 to 2000000000";
    QTest::newRow("item 2^32") << "UPDATE items SET idx = 4294967296 WHERE idx = 2"
                               << "item indices are not contiguous: 3 rows, indices 0 to 4294967296";
    QTest::newRow("item -5") << "UPDATE items SET idx = -5 WHERE idx = 0"
                             << "item indices are not contiguous: 3 rows, indices -5 to 2";
    QTest::newRow("class 32767") << "UPDATE classes SET idx = 32767 WHERE idx = 1"
                                 << "class indices are not contiguous: 3 rows, indices 0 to 32767";
}

void TestFuzzCorpus::damagedIndices()
{
    QFETCH(QString, update);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const std::string path = dir.filePath("indices.csift").toStdString();
    const std::string seed = fuzz::projectSeed();
    std::ofstream(path, std::ios::binary).write(seed.data(), static_cast<std::streamsize>(seed.size()));
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA foreign_keys = OFF");
        QCOMPARE(db.exec(update.toStdString()), 1);
    }
    QString message;
    try {
        Project project = Project::open(path);
        project.loadDataset(Progress::none());
    } catch (const StoreError& e) {
        message = QString::fromStdString(e.what());
    }
    QVERIFY2(message.contains(QString::fromStdString(path + ": the project file is damaged (")), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "test_fuzz_corpus.moc"
