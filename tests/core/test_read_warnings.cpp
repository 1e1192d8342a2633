// The readers return what they dropped or changed as ReadWarning values (core logs nothing): one
// case per warning a reader gives, and none for clean input.

#include "data/dataset.h"
#include "data/formats.h"
#include "util/npy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <string>
#include <vector>

using namespace crowdsift;

namespace {

QString writeFile(const QString& path, const QByteArray& content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path;
}

std::string str(const QString& s)
{
    return s.toStdString();
}

// The warnings' texts, for messages when a comparison fails.
QString texts(const std::vector<ReadWarning>& warnings)
{
    QStringList lines;
    for (const ReadWarning& w : warnings)
        lines << QString::fromStdString(w.text());
    return lines.join(QLatin1String(" | "));
}

}  // namespace

class TestReadWarnings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanCsvHasNone();
    void repeatedAnswers();
    void repeatedJsonKeys();
    void attentionChecksDropped();
    void featuresNotLoaded();
    void matrixNpyFeatures();
    void peerannotImagesNotUsed();
    void truthShorterThanKeys();
    void readDatasetIsTheSameDataset();
};

void TestReadWarnings::cleanCsvHasNone()
{
    QTemporaryDir dir;
    const DatasetRead read =
        readDatasetWithWarnings(str(writeFile(dir.filePath("a.csv"), "task,worker,label\n1,a,0\n2,a,1\n")));
    QVERIFY2(read.warnings.empty(), qPrintable(texts(read.warnings)));
}

void TestReadWarnings::repeatedAnswers()
{
    QTemporaryDir dir;
    const QString file = writeFile(dir.filePath("r.csv"), "task,worker,label\n1,a,2\n1,b,0\n1,a,2\n2,a,1\n1,a,2\n");
    const DatasetRead read = readDatasetWithWarnings(str(file));
    QCOMPARE(read.dataset.answers.size(), std::size_t{3});
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(read.warnings[0].file, str(file));
    QCOMPARE(read.warnings[0].problem, std::string("2 repeated answer(s) (same item, annotator and label) kept once"));
    QCOMPARE(read.warnings[0].text(), str(file) + ": " + read.warnings[0].problem);
}

void TestReadWarnings::repeatedJsonKeys()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 2, "b": 0, "a": 2}})");
    const DatasetRead read = readDatasetWithWarnings(str(dir.filePath("answers.json")));
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QVERIFY2(read.warnings[0].problem.find("1 repeated answer(s)") == 0, qPrintable(texts(read.warnings)));
}

void TestReadWarnings::attentionChecksDropped()
{
    const QString fixture = QFINDTESTDATA("../data/formats/cifar10h-raw.csv");
    QVERIFY(!fixture.isEmpty());
    const DatasetRead read = readDatasetWithWarnings(str(fixture));
    QCOMPARE(read.dataset.answers.size(), std::size_t{7});
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(read.warnings[0].file, str(fixture));
    QCOMPARE(read.warnings[0].problem, std::string("2 attention-check row(s) (is_attn_check 1) dropped"));
}

void TestReadWarnings::featuresNotLoaded()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.txt"), "-1 2 -1\n0 0 1\n-1 -1 -1\n3 -1 3\n");
    const float features[] = {1, 2, 3, 4, 5, 6, 7, 8};
    writeNpy(str(dir.filePath("features.npy")), features, {4, 2});
    DatasetRead read = readDatasetWithWarnings(str(dir.path()));
    QVERIFY2(read.warnings.empty(), qPrintable(texts(read.warnings)));
    QCOMPARE(read.dataset.features.rows(), Eigen::Index{4});

    // Two rows for four items: read without features, and said so.
    writeNpy(str(dir.filePath("features.npy")), features, {2, 4});
    read = readDatasetWithWarnings(str(dir.path()));
    QCOMPARE(read.dataset.features.size(), Eigen::Index{0});
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(QFileInfo(QString::fromStdString(read.warnings[0].file)).fileName(), QString("features.npy"));
    QCOMPARE(read.warnings[0].problem, std::string("shape (2, 4) does not have one row per item (4); features not loaded"));
}

// An ACL-style cl_labels.npy with a features.npy beside it: the features are the items' (in the
// matrix's row order); with another row count they are not loaded, and said so.
void TestReadWarnings::matrixNpyFeatures()
{
    QTemporaryDir dir;
    const std::int64_t labels[] = {1, 2, 0, 2, 0, 1, 1, 0};
    writeNpy(str(dir.filePath("cl_labels.npy")), labels, {4, 2});
    const float features[] = {1, 2, 3, 4, 5, 6, 7, 8};
    writeNpy(str(dir.filePath("features.npy")), features, {4, 2});
    ReadOptions options;
    options.format = Format::Matrix;
    options.complementary = true;
    options.classCount = 3;
    DatasetRead read = readDatasetWithWarnings(str(dir.filePath("cl_labels.npy")), options);
    QVERIFY2(read.warnings.empty(), qPrintable(texts(read.warnings)));
    QCOMPARE(read.dataset.features.rows(), Eigen::Index{4});
    QCOMPARE(read.dataset.features(2, 1), 6.0f);

    writeNpy(str(dir.filePath("features.npy")), features, {2, 4});
    read = readDatasetWithWarnings(str(dir.filePath("cl_labels.npy")), options);
    QCOMPARE(read.dataset.features.size(), Eigen::Index{0});
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(read.warnings[0].problem, std::string("shape (2, 4) does not have one row per item (4); features not loaded"));
}

void TestReadWarnings::peerannotImagesNotUsed()
{
    QTemporaryDir dir;
    const QString root = dir.filePath("toy");
    writeFile(root + "/answers.json", R"({"1": {"a": 0, "b": 1}, "2": {"a": 1}})");
    writeFile(root + "/train/cats/img-1.png", "png");
    writeFile(root + "/train/dogs/img-2.png", "png");
    writeFile(root + "/train/dogs/other-77.png", "png");  // task without answers
    writeFile(root + "/train/dogs/nosuffix.png", "png");  // no -<task>
    const DatasetRead read = readDatasetWithWarnings(str(root));
    QCOMPARE(read.dataset.imageCount(), 2);
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(QFileInfo(QString::fromStdString(read.warnings[0].file)).fileName(), QString("toy"));
    QCOMPARE(read.warnings[0].problem,
             std::string("2 of 4 image(s) not used: 1 of tasks without answers, 1 without a -<task> suffix"));
}

void TestReadWarnings::truthShorterThanKeys()
{
    QTemporaryDir dir;
    const QString answers = writeFile(dir.filePath("a.csv"), "task,worker,label\n2,w,1\n0,w,0\n9,w,1\n");
    const double truth[] = {1, -1, 0, 1};  // keys 0..3; key 9 lies beyond
    const QString truthFile = dir.filePath("t.npy");
    writeNpy(str(truthFile), truth, {4});

    Dataset dataset = readDataset(str(answers));
    const std::vector<ReadWarning> warnings = readTruth(dataset, str(truthFile));
    QCOMPARE(dataset.truth, (std::vector<std::int32_t>{1, 0, -1}));
    QCOMPARE(warnings.size(), std::size_t{1});
    QCOMPARE(warnings[0].file, str(truthFile));
    QCOMPARE(warnings[0].problem, std::string("4 entries, no truth for the 1 item(s) whose key lies beyond"));

    // Through ReadOptions::truthPath the dataset read carries it too.
    ReadOptions options;
    options.truthPath = str(truthFile);
    const DatasetRead read = readDatasetWithWarnings(str(answers), options);
    QCOMPARE(read.warnings.size(), std::size_t{1});
    QCOMPARE(read.warnings[0].file, str(truthFile));
}

void TestReadWarnings::readDatasetIsTheSameDataset()
{
    QTemporaryDir dir;
    const QString file = writeFile(dir.filePath("r.csv"), "task,worker,label\n1,a,2\n1,a,2\n2,b,1\n");
    const Dataset plain = readDataset(str(file));
    const DatasetRead read = readDatasetWithWarnings(str(file));
    QCOMPARE(plain.itemKeys, read.dataset.itemKeys);
    QCOMPARE(plain.annotatorIds, read.dataset.annotatorIds);
    QCOMPARE(plain.answers.size(), read.dataset.answers.size());
    QCOMPARE(read.warnings.size(), std::size_t{1});
}

QTEST_APPLESS_MAIN(TestReadWarnings)
#include "test_read_warnings.moc"
