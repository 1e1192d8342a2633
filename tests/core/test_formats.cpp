#include "data/dataset.h"
#include "data/formats.h"
#include "util/error.h"
#include "util/npy.h"
#include "util/progress.h"

#include "testdata.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <numeric>

using namespace crowdsift;
using crowdsift::testing::sharedPath;

Q_DECLARE_METATYPE(crowdsift::Format)

namespace {

const QString kLabelme = "datasets/labelme/datasets/labelme";
const QString kLabelmeTruth = "datasets/labelme/benchmark_crowdsourcing/datasets/truth_labelme.npy";
const QString kCifar10hAnswers = "datasets/cifar10h/lefort-peerannot/datasets/cifar10H/answers_valid.json";
const QString kCifar10hCounts = "datasets/cifar10h/jcpeterson-cifar-10h/data/cifar10h-counts.npy";
const QString kDog = "datasets/dog-zhou/datasets/s4_Dog data/answer.csv";
const QString kDogTruth = "datasets/dog-zhou/datasets/s4_Dog data/truth.csv";
const QString kBluebirds = "reference/bluebirds/answers.csv";

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

Dataset read(const QString& path, Format format = Format::Auto, const QString& truth = {}, int classCount = 0)
{
    ReadOptions options;
    options.format = format;
    options.truthPath = truth.toStdString();
    options.classCount = classCount;
    return readDataset(path.toStdString(), options);
}

Dataset readShared(const QString& relative, Format format = Format::Auto, const QString& truth = {})
{
    return read(QString::fromStdString(sharedPath(relative)), format,
                truth.isEmpty() ? QString() : QString::fromStdString(sharedPath(truth)));
}

// Majority vote with ties broken towards the smallest class index (crowd-kit's rule).
int majorityVote(const Dataset& dataset, int item)
{
    std::vector<int> votes(static_cast<std::size_t>(dataset.classCount()), 0);
    for (const auto& e : dataset.answers.ofItem(item))
        ++votes[static_cast<std::size_t>(e.label)];
    return static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin());
}

int majorityVoteCorrect(const Dataset& dataset)
{
    int correct = 0;
    for (int i = 0; i < dataset.itemCount(); ++i)
        correct += majorityVote(dataset, i) == dataset.truth[static_cast<std::size_t>(i)];
    return correct;
}

double referenceAccuracy(const QString& relative)
{
    QFile f(QString::fromStdString(sharedPath(relative)));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return QJsonDocument::fromJson(f.readAll()).object().value("accuracy").toDouble(-1);
}

// The original_id column of a reference tasks.csv / workers.csv, in index order.
std::vector<std::string> referenceIds(const QString& relative)
{
    QFile f(QString::fromStdString(sharedPath(relative)));
    std::vector<std::string> ids;
    if (!f.open(QIODevice::ReadOnly))
        return ids;
    f.readLine();
    int expected = 0;
    while (!f.atEnd()) {
        const QList<QByteArray> cells = f.readLine().trimmed().split(',');
        if (cells.size() != 2 || cells[0].toInt() != expected++)
            return {};
        ids.push_back(cells[1].toStdString());
    }
    return ids;
}

void compareAnswers(const Dataset& a, const Dataset& b)
{
    QCOMPARE(a.itemKeys, b.itemKeys);
    QCOMPARE(a.annotatorIds, b.annotatorIds);
    QCOMPARE(a.classNames, b.classNames);
    const std::vector<Answer> ta = a.answers.triplets();
    const std::vector<Answer> tb = b.answers.triplets();
    QCOMPARE(ta.size(), tb.size());
    for (std::size_t k = 0; k < ta.size(); ++k) {
        QCOMPARE(ta[k].item, tb[k].item);
        QCOMPARE(ta[k].annotator, tb[k].annotator);
        QCOMPARE(ta[k].label, tb[k].label);
    }
}

int labelOf(const Dataset& dataset, const std::string& item, const std::string& annotator)
{
    const int i = dataset.itemIndex(item);
    for (const auto& e : dataset.answers.ofItem(i))
        if (dataset.annotatorIds[static_cast<std::size_t>(e.other)] == annotator)
            return e.label;
    return -1;
}

}  // namespace

class TestFormats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void formatNames();
    void detect_data();
    void detect();

    void labelme();
    void labelmeMajorityVote();
    void labelmeOrderMatchesReference();
    void cifar10hAnswers();
    void dog();
    void dogOrderMatchesReference();
    void bluebirds();
    void cifar10hCounts();
    void cifar10hRaw();
    void rodrigues();

    void peerannotImagesAndSplits();
    void peerannotWithoutMetadata();
    void peerannotMetadataClassNames();
    void peerannotTaskWithoutAnswers();

    void roundTripPeerannot();
    void roundTripPeerannotWithImages();
    void roundTripLongCsv();
    void roundTripMatrixCsv();
    void roundTripMatrixNpy();
    void matrixCsvLayouts_data();
    void matrixCsvLayouts();
    void matrixNpyIntegerMissing();

    void bomAndCrlf();
    void quotedFields();
    void otherColumnNames();
    void repeatedAnswerKeptOnce();
    void repeatedJsonKeyKeptOnce();
    void truthNpyByIndex();
    void truthNpyShorterThanKeys();
    void declaredClassCount();
    void progressAndCancel();
    void complementaryRoundTrip_data();
    void complementaryRoundTrip();
    void complementaryMatrixRoundTrip();
    void complementaryReadForms();
    void complementaryConflictsAndErrors();
};

void TestFormats::formatNames()
{
    for (Format f : {Format::Auto, Format::Peerannot, Format::Csv, Format::Matrix, Format::Cifar10h,
                     Format::Rodrigues, Format::Counts})
        QCOMPARE(parseFormat(formatName(f)), f);
    QCOMPARE(parseFormat("PeerAnnot"), Format::Peerannot);
    QCOMPARE(QString(formatName(Format::Cifar10h)), QString("cifar10h"));
}

void TestFormats::detect_data()
{
    QTest::addColumn<QString>("relative");
    QTest::addColumn<Format>("expected");
    QTest::newRow("peerannot folder") << kLabelme << Format::Peerannot;
    QTest::newRow("answers json") << kCifar10hAnswers << Format::Peerannot;
    QTest::newRow("long csv") << kDog << Format::Csv;
    QTest::newRow("reference csv") << kBluebirds << Format::Csv;
    QTest::newRow("counts") << kCifar10hCounts << Format::Counts;
}

void TestFormats::detect()
{
    QFETCH(QString, relative);
    QFETCH(Format, expected);
    CROWDSIFT_REQUIRE_SHARED(relative);
    QCOMPARE(detectFormat(sharedPath(relative)), expected);
}

void TestFormats::labelme()
{
    CROWDSIFT_REQUIRE_SHARED(kLabelme);
    const Dataset d = readShared(kLabelme);
    QCOMPARE(d.itemCount(), 1000);
    QCOMPARE(d.annotatorCount(), 59);
    QCOMPARE(d.answers.size(), std::size_t{2547});
    QCOMPARE(d.classCount(), 8);
    QCOMPARE(d.classNames, (std::vector<std::string>{"coast", "forest", "highway", "insidecity", "mountain",
                                                      "opencountry", "street", "tallbuilding"}));
    QCOMPARE(d.name, std::string("labelme"));
    QCOMPARE(d.format, std::string("peerannot"));
    QCOMPARE(d.root, sharedPath(kLabelme));
    QVERIFY(!d.hasTruth());
    QCOMPARE(d.imageCount(), 1000);
    for (int i = 0; i < d.itemCount(); ++i) {
        const std::string& image = d.imagePaths[static_cast<std::size_t>(i)];
        QVERIFY(QFileInfo::exists(QString::fromStdString(d.root + "/" + image)));
        QVERIFY(QString::fromStdString(image).endsWith(QString("-%1.jpg").arg(QString::fromStdString(d.itemKeys[static_cast<std::size_t>(i)]))));
        QCOMPARE(d.splits[static_cast<std::size_t>(i)], Split::Train);
    }
    QCOMPARE(d.itemKeys.front(), std::string("0"));
    QCOMPARE(d.itemKeys.back(), std::string("999"));
    QCOMPARE(labelOf(d, "0", "29"), 5);
}

void TestFormats::labelmeMajorityVote()
{
    CROWDSIFT_REQUIRE_SHARED(kLabelme);
    CROWDSIFT_REQUIRE_SHARED(kLabelmeTruth);
    const Dataset d = readShared(kLabelme, Format::Auto, kLabelmeTruth);
    QCOMPARE(static_cast<int>(std::count(d.truth.begin(), d.truth.end(), -1)), 0);
    const int correct = majorityVoteCorrect(d);
    // Ties -> smallest class gives crowd-kit's 76.9 %; the dataset README's "about 0.776" is
    // majority vote with other tie-breaking.
    QCOMPARE(correct, 769);
    QCOMPARE(correct / 1000.0, referenceAccuracy("reference/labelme/crowdkit_MajorityVote.json"));
    QVERIFY(std::fabs(correct / 1000.0 - 0.776) <= 0.01);

    // Folder truth agrees with the benchmark truth file on every item.
    ReadOptions options;
    options.truthFromFolders = true;
    const Dataset folders = readDataset(sharedPath(kLabelme), options);
    QCOMPARE(folders.truth, d.truth);
}

void TestFormats::labelmeOrderMatchesReference()
{
    CROWDSIFT_REQUIRE_SHARED(kLabelme);
    CROWDSIFT_REQUIRE_SHARED("reference/labelme/tasks.csv");
    const Dataset d = readShared(kLabelme);
    QCOMPARE(d.itemKeys, referenceIds("reference/labelme/tasks.csv"));
    QCOMPARE(d.annotatorIds, referenceIds("reference/labelme/workers.csv"));
}

void TestFormats::cifar10hAnswers()
{
    CROWDSIFT_REQUIRE_SHARED(kCifar10hAnswers);
    const Dataset d = readShared(kCifar10hAnswers);
    QCOMPARE(d.itemCount(), 500);
    QCOMPARE(d.annotatorCount(), 2571);
    QCOMPARE(d.answers.size(), std::size_t{25752});
    QCOMPARE(d.classCount(), 10);
    QCOMPARE(d.name, std::string("cifar-10h"));
    // peerannot's folder names, in CIFAR-10's label order (not alphabetical).
    QCOMPARE(d.classNames, (std::vector<std::string>{"plane", "car", "bird", "cat", "deer", "dog", "frog",
                                                      "horse", "ship", "truck"}));
    QCOMPARE(d.itemKeys.front(), std::string("9500"));
    QCOMPARE(d.imageCount(), 0);  // the images cover test indices 0-9499 only
    QCOMPARE(d.itemKeys, referenceIds("reference/cifar10h500/tasks.csv"));
    QCOMPARE(d.annotatorIds, referenceIds("reference/cifar10h500/workers.csv"));
}

void TestFormats::dog()
{
    CROWDSIFT_REQUIRE_SHARED(kDog);
    CROWDSIFT_REQUIRE_SHARED(kDogTruth);
    const Dataset d = readShared(kDog, Format::Auto, kDogTruth);
    QCOMPARE(d.itemCount(), 807);
    QCOMPARE(d.annotatorCount(), 109);
    QCOMPARE(d.answers.size(), std::size_t{8070});
    QCOMPARE(d.classCount(), 4);
    QCOMPARE(d.name, std::string("s4_Dog data"));
    QCOMPARE(d.format, std::string("csv"));
    QVERIFY(std::all_of(d.truth.begin(), d.truth.end(), [](int t) { return t >= 0 && t < 4; }));
    const int correct = majorityVoteCorrect(d);
    QCOMPARE(correct, 660);
    QCOMPARE(correct / 807.0, referenceAccuracy("reference/dog/crowdkit_MajorityVote.json"));
    QCOMPARE(labelOf(d, "1", "1"), 3);
    QCOMPARE(labelOf(d, "1", "2"), 2);
}

void TestFormats::dogOrderMatchesReference()
{
    CROWDSIFT_REQUIRE_SHARED(kDog);
    CROWDSIFT_REQUIRE_SHARED("reference/dog/tasks.csv");
    const Dataset d = readShared(kDog);
    QCOMPARE(d.itemKeys, referenceIds("reference/dog/tasks.csv"));
    QCOMPARE(d.annotatorIds, referenceIds("reference/dog/workers.csv"));
}

void TestFormats::bluebirds()
{
    CROWDSIFT_REQUIRE_SHARED(kBluebirds);
    const Dataset d = readShared(kBluebirds, Format::Csv, "reference/bluebirds/truth.csv");
    QCOMPARE(d.itemCount(), 108);
    QCOMPARE(d.annotatorCount(), 39);
    QCOMPARE(d.answers.size(), std::size_t{4212});
    QCOMPARE(d.classCount(), 2);
    QCOMPARE(d.name, std::string("bluebirds"));
    QCOMPARE(majorityVoteCorrect(d), 82);
    QCOMPARE(82 / 108.0, referenceAccuracy("reference/bluebirds/crowdkit_MajorityVote.json"));
}

void TestFormats::cifar10hCounts()
{
    CROWDSIFT_REQUIRE_SHARED(kCifar10hCounts);
    const Dataset d = readShared(kCifar10hCounts);
    QCOMPARE(d.format, std::string("counts"));
    QCOMPARE(d.itemCount(), 10000);
    QCOMPARE(d.annotatorCount(), 0);
    QCOMPARE(d.answers.itemCount(), 10000);
    QCOMPARE(d.answers.size(), std::size_t{0});
    QCOMPARE(d.voteCounts.rows(), Eigen::Index{10000});
    QCOMPARE(d.voteCounts.cols(), Eigen::Index{10});
    QCOMPARE(static_cast<double>(d.voteCounts.cast<double>().sum()), 511000.0);
    QCOMPARE(d.classNames.front(), std::string("airplane"));
    QCOMPARE(d.itemKeys[9999], std::string("9999"));
}

void TestFormats::cifar10hRaw()
{
    const QString fixture = QFINDTESTDATA("../data/formats/cifar10h-raw.csv");
    QVERIFY(!fixture.isEmpty());
    QCOMPARE(detectFormat(str(fixture)), Format::Cifar10h);
    const Dataset d = read(fixture);
    QCOMPARE(d.itemKeys, (std::vector<std::string>{"7", "12", "40"}));
    QCOMPARE(d.annotatorIds, (std::vector<std::string>{"0", "1", "2"}));
    QCOMPARE(d.answers.size(), std::size_t{7});  // 9 rows, 2 attention checks dropped
    QCOMPARE(d.classNames, (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog",
                                                      "frog", "horse", "ship", "truck"}));
    QCOMPARE(d.truth, (std::vector<std::int32_t>{0, 3, 6}));
    QCOMPARE(labelOf(d, "12", "1"), 5);
    QCOMPARE(labelOf(d, "7", "2"), 8);
    QCOMPARE(labelOf(d, "40", "1"), -1);
}

void TestFormats::rodrigues()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.txt"), "-1 2 -1\n0 0 1\n-1 -1 -1\n3 -1 3\n");
    const float features[] = {1, 2, 3, 4, 5, 6, 7, 8};
    writeNpy(str(dir.filePath("data_train_vgg16.npy")), features, {4, 1, 2});
    writeFile(dir.filePath("labels_train.txt"), "0\n1\n2\n3\n");

    QCOMPARE(detectFormat(str(dir.path())), Format::Rodrigues);
    const Dataset d = read(dir.path());
    QCOMPARE(d.format, std::string("rodrigues"));
    QCOMPARE(d.itemKeys, (std::vector<std::string>{"0", "1", "2", "3"}));
    QCOMPARE(d.annotatorIds, (std::vector<std::string>{"0", "1", "2"}));
    QCOMPARE(d.answers.size(), std::size_t{6});
    QCOMPARE(d.classCount(), 4);
    QCOMPARE(d.answers.countOfItem(2), 0);
    QCOMPARE(labelOf(d, "3", "2"), 3);
    QVERIFY(!d.hasTruth());  // labels_train.txt is not read implicitly
    QCOMPARE(read(dir.path(), Format::Auto, dir.filePath("labels_train.txt")).truth,
             (std::vector<std::int32_t>{0, 1, 2, 3}));
    QCOMPARE(d.features.rows(), Eigen::Index{4});
    QCOMPARE(d.features.cols(), Eigen::Index{2});
    QCOMPARE(d.features(3, 1), 8.0f);

    const Dataset direct = read(dir.filePath("answers.txt"), Format::Rodrigues);
    compareAnswers(d, direct);

    // A feature file with another row count is ignored, not an error.
    writeNpy(str(dir.filePath("features.npy")), features, {2, 4});
    QCOMPARE(read(dir.path()).features.size(), Eigen::Index{0});
}

void TestFormats::peerannotImagesAndSplits()
{
    QTemporaryDir dir;
    const QString root = dir.filePath("toy");
    writeFile(root + "/answers.json", R"({"1": {"a": 0, "b": 1}, "2": {"a": 1}, "10": {"b": 0}, "3": {"c": 1}})");
    writeFile(root + "/metadata.json", R"({"name": "toy", "n_classes": 2, "n_workers": 9})");
    writeFile(root + "/train/cats/img_x-1.png", "png");
    writeFile(root + "/train/dogs/img-y-2.png", "png");
    writeFile(root + "/train/dogs/other-77.png", "png");   // task without answers: not an item
    writeFile(root + "/train/dogs/nosuffix.png", "png");   // no -<task>: ignored
    writeFile(root + "/train/dogs/.hidden-3.png", "png");  // hidden: ignored
    writeFile(root + "/val/cats/v-10.png", "png");
    writeFile(root + "/test/dogs/t-3.png", "png");

    ReadOptions options;
    options.truthFromFolders = true;
    const Dataset d = readDataset(str(root), options);
    QCOMPARE(d.itemKeys, (std::vector<std::string>{"1", "2", "3", "10"}));
    QCOMPARE(d.annotatorIds, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(d.classNames, (std::vector<std::string>{"cats", "dogs"}));
    QCOMPARE(d.imagePaths, (std::vector<std::string>{"train/cats/img_x-1.png", "train/dogs/img-y-2.png",
                                                      "test/dogs/t-3.png", "val/cats/v-10.png"}));
    QCOMPARE(d.splits, (std::vector<Split>{Split::Train, Split::Train, Split::Test, Split::Val}));
    QCOMPARE(d.truth, (std::vector<std::int32_t>{0, 1, 1, 0}));
    QCOMPARE(d.name, std::string("toy"));

    // Without the request, folders give no truth.
    QVERIFY(read(root).truth.empty());
}

void TestFormats::peerannotWithoutMetadata()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"0": {"w": 1}, "1": {"w": 0}})");
    QDir().mkpath(dir.filePath("train/a"));
    QDir().mkpath(dir.filePath("train/b"));
    QDir().mkpath(dir.filePath("train/c"));
    const Dataset d = read(dir.path());
    // No n_classes: the three class folders cover every label, so K = 3 with their names.
    QCOMPARE(d.classNames, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(d.name, QDir(dir.path()).dirName().toStdString());

    QDir(dir.filePath("train")).removeRecursively();
    QCOMPARE(read(dir.path()).classNames, (std::vector<std::string>{"0", "1"}));
}

void TestFormats::peerannotMetadataClassNames()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"0": {"w": 2}})");
    writeFile(dir.filePath("metadata.json"), R"({"n_classes": 3, "class_names": ["x", "y", "z"]})");
    QCOMPARE(read(dir.path()).classNames, (std::vector<std::string>{"x", "y", "z"}));
}

void TestFormats::peerannotTaskWithoutAnswers()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"0": {"w": 1}, "1": {}})");
    const Dataset d = read(dir.filePath("answers.json"));
    QCOMPARE(d.itemCount(), 2);
    QCOMPARE(d.answers.countOfItem(1), 0);
}

void TestFormats::roundTripPeerannot()
{
    CROWDSIFT_REQUIRE_SHARED(kLabelme);
    const Dataset original = readShared(kLabelme);
    QTemporaryDir dir;
    writePeerannot(original, str(dir.filePath("copy")));
    const Dataset copy = read(dir.filePath("copy"));
    compareAnswers(original, copy);
    QCOMPARE(copy.name, original.name);
    QCOMPARE(copy.imageCount(), 0);  // images are referenced, not copied
    QVERIFY(!QFile::exists(dir.filePath("copy/answers.json.tmp")));
}

void TestFormats::roundTripPeerannotWithImages()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"5": {"7": 1, "8": 0}, "6": {"7": 0}})");
    writeFile(dir.filePath("metadata.json"), R"({"name": "pair", "n_classes": 2})");
    writeFile(dir.filePath("train/no/a-5.jpg"), "jpg");
    writeFile(dir.filePath("val/yes/b-6.jpg"), "jpg");
    const Dataset original = read(dir.path());
    writePeerannot(original, str(dir.path()));  // into its own folder: the images stay
    const Dataset copy = read(dir.path());
    compareAnswers(original, copy);
    QCOMPARE(copy.imagePaths, original.imagePaths);
    QCOMPARE(copy.splits, original.splits);
    QCOMPARE(copy.name, std::string("pair"));
}

void TestFormats::roundTripLongCsv()
{
    CROWDSIFT_REQUIRE_SHARED(kDog);
    const Dataset original = readShared(kDog);
    QTemporaryDir dir;
    writeLongCsv(original, str(dir.filePath("dog.csv")));
    const Dataset copy = read(dir.filePath("dog.csv"));
    QCOMPARE(copy.format, std::string("csv"));
    compareAnswers(original, copy);
}

void TestFormats::roundTripMatrixCsv()
{
    CROWDSIFT_REQUIRE_SHARED(kDog);
    const Dataset original = readShared(kDog);
    QTemporaryDir dir;
    writeMatrix(original, str(dir.filePath("dog-matrix.csv")));
    QCOMPARE(detectFormat(str(dir.filePath("dog-matrix.csv"))), Format::Matrix);
    const Dataset copy = read(dir.filePath("dog-matrix.csv"));
    compareAnswers(original, copy);

    // Ids that need quoting survive as well.
    QTemporaryDir odd;
    writeFile(odd.filePath("a.csv"), "task,worker,label\n\"x,1\",\"say \"\"hi\"\"\",1\ny,w,0\n");
    const Dataset quoted = read(odd.filePath("a.csv"));
    writeMatrix(quoted, str(odd.filePath("m.csv")));
    compareAnswers(quoted, read(odd.filePath("m.csv")));
    writeLongCsv(quoted, str(odd.filePath("b.csv")));
    compareAnswers(quoted, read(odd.filePath("b.csv")));
}

void TestFormats::roundTripMatrixNpy()
{
    CROWDSIFT_REQUIRE_SHARED(kBluebirds);
    const Dataset original = readShared(kBluebirds);
    QTemporaryDir dir;
    const std::string path = str(dir.filePath("labels.npy"));
    writeMatrix(original, path);
    const NpyArray array = readNpy(path);
    QCOMPARE(array.type, NpyType::Float64);
    QCOMPARE(array.shape, (std::vector<std::size_t>{108, 39}));
    // Every bluebirds worker labelled every task: no NaN, so nothing tells it from vote counts.
    QVERIFY_THROWS_EXCEPTION(InputError, detectFormat(path));
    const Dataset copy = read(QString::fromStdString(path), Format::Matrix);
    compareAnswers(original, copy);
}

void TestFormats::matrixCsvLayouts_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QStringList>("items");
    QTest::addColumn<QStringList>("annotators");
    QTest::addColumn<int>("answers");
    QTest::newRow("no header") << QByteArray("1,,0\n,2,NaN\n") << QStringList{"0", "1"} << QStringList{"0", "1", "2"} << 3;
    QTest::newRow("header, no ids") << QByteArray("ann,bob,cy\n1,,0\n,2,nan\n") << QStringList{"0", "1"}
                                    << QStringList{"ann", "bob", "cy"} << 3;
    QTest::newRow("header and ids") << QByteArray("task,5,3\nq2,1,\nq1,,0\n") << QStringList{"q1", "q2"}
                                    << QStringList{"3", "5"} << 2;
    QTest::newRow("pandas index") << QByteArray(",a,b\n10,1.0,\n9,,0.0\n") << QStringList{"9", "10"}
                                  << QStringList{"a", "b"} << 2;
    QTest::newRow("empty row kept") << QByteArray("item,a\n1,1\n2,\n") << QStringList{"1", "2"} << QStringList{"a"} << 1;
}

void TestFormats::matrixCsvLayouts()
{
    QFETCH(QByteArray, content);
    QFETCH(QStringList, items);
    QFETCH(QStringList, annotators);
    QFETCH(int, answers);
    QTemporaryDir dir;
    const Dataset d = read(writeFile(dir.filePath("m.csv"), content), Format::Matrix);
    std::vector<std::string> expectedItems, expectedAnnotators;
    for (const QString& s : items)
        expectedItems.push_back(s.toStdString());
    for (const QString& s : annotators)
        expectedAnnotators.push_back(s.toStdString());
    QCOMPARE(d.itemKeys, expectedItems);
    QCOMPARE(d.annotatorIds, expectedAnnotators);
    QCOMPARE(static_cast<int>(d.answers.size()), answers);
}

void TestFormats::matrixNpyIntegerMissing()
{
    QTemporaryDir dir;
    const std::int32_t labels[] = {-1, 2, 0, -1, -5, 1};
    const std::string path = str(dir.filePath("m.npy"));
    writeNpy(path, labels, {3, 2});
    QCOMPARE(detectFormat(path), Format::Matrix);
    const Dataset d = read(QString::fromStdString(path));
    QCOMPARE(d.answers.size(), std::size_t{3});
    QCOMPARE(d.classCount(), 3);
    QCOMPARE(labelOf(d, "0", "1"), 2);
    QCOMPARE(labelOf(d, "2", "1"), 1);
}

void TestFormats::bomAndCrlf()
{
    QTemporaryDir dir;
    const Dataset plain = read(writeFile(dir.filePath("plain.csv"), "task,worker,label\n1,a,0\n2,b,1\n"));
    const Dataset windows =
        read(writeFile(dir.filePath("windows.csv"), "\xEF\xBB\xBFtask,worker,label\r\n1,a,0\r\n\r\n2,b,1\r\n"));
    compareAnswers(plain, windows);
    const Dataset json = read(writeFile(dir.filePath("answers.json"), "\xEF\xBB\xBF{\"1\": {\"a\": 0},\r\n \"2\": {\"b\": 1}}\r\n"));
    compareAnswers(plain, json);
    QTemporaryDir rodrigues;
    writeFile(rodrigues.filePath("answers.txt"), "\xEF\xBB\xBF" "0 -1\r\n-1 1\r\n");
    QCOMPARE(read(rodrigues.path()).answers.size(), std::size_t{2});
}

void TestFormats::quotedFields()
{
    QTemporaryDir dir;
    const Dataset d = read(writeFile(dir.filePath("q.csv"),
                                     "task,worker,label,comment\n\"a b\",\"w,1\",1,\"two\nlines\"\nc, w2 ,0,x\n"));
    QCOMPARE(d.itemKeys, (std::vector<std::string>{"a b", "c"}));
    QCOMPARE(d.annotatorIds, (std::vector<std::string>{"w,1", "w2"}));
}

void TestFormats::otherColumnNames()
{
    QTemporaryDir dir;
    const Dataset d = read(writeFile(dir.filePath("x.csv"), "label,Annotator,Item,time\n2,a,i1,3.5\n0,b,i1,1\n"));
    QCOMPARE(d.itemKeys, std::vector<std::string>{"i1"});
    QCOMPARE(labelOf(d, "i1", "a"), 2);
    QCOMPARE(d.classCount(), 3);
}

void TestFormats::repeatedAnswerKeptOnce()
{
    QTemporaryDir dir;
    const Dataset d = read(writeFile(dir.filePath("r.csv"), "task,worker,label\n1,a,2\n1,b,0\n1,a,2\n2,a,1\n"));
    QCOMPARE(d.answers.size(), std::size_t{3});
    QCOMPARE(labelOf(d, "1", "a"), 2);
}

void TestFormats::repeatedJsonKeyKeptOnce()
{
    QTemporaryDir dir;
    const Dataset d = read(writeFile(dir.filePath("answers.json"), R"({"1": {"a": 2, "b": 0, "a": 2}})"));
    QCOMPARE(d.answers.size(), std::size_t{2});
}

void TestFormats::truthNpyByIndex()
{
    QTemporaryDir dir;
    const Dataset plain = read(writeFile(dir.filePath("a.csv"), "task,worker,label\nzeta,w,1\nalpha,w,0\n"));
    // Keys are not integers: entry i is the truth of item index i (alpha, zeta).
    const std::int64_t truth[] = {0, 1};
    writeNpy(str(dir.filePath("t.npy")), truth, {2});
    Dataset d = plain;
    readTruth(d, str(dir.filePath("t.npy")));
    QCOMPARE(d.truth, (std::vector<std::int32_t>{0, 1}));
    QCOMPARE(d.itemKeys.front(), std::string("alpha"));
}

void TestFormats::truthNpyShorterThanKeys()
{
    QTemporaryDir dir;
    const Dataset plain = read(writeFile(dir.filePath("a.csv"), "task,worker,label\n2,w,1\n0,w,0\n9,w,1\n"));
    const double truth[] = {1, -1, 0, 1};  // keys 0..3; key 9 lies beyond; -1 = unknown
    writeNpy(str(dir.filePath("t.npy")), truth, {4});
    Dataset d = plain;
    readTruth(d, str(dir.filePath("t.npy")));
    QCOMPARE(d.truth, (std::vector<std::int32_t>{1, 0, -1}));
}

void TestFormats::declaredClassCount()
{
    CROWDSIFT_REQUIRE_SHARED(kDog);
    ReadOptions options;
    options.classCount = 6;
    const Dataset d = readDataset(sharedPath(kDog), options);
    QCOMPARE(d.classCount(), 6);
    QCOMPARE(d.classNames.back(), std::string("5"));
}

void TestFormats::progressAndCancel()
{
    QTemporaryDir dir;
    QByteArray content = "task,worker,label\n";
    for (int i = 0; i < 200000; ++i)
        content += QByteArray::number(i / 4) + "," + QByteArray::number(i % 4) + "," + QByteArray::number(i % 3) + "\n";
    const std::string path = str(writeFile(dir.filePath("big.csv"), content));

    std::vector<double> fractions;
    Progress progress([&](double fraction, const std::string& stage) {
        QCOMPARE(stage, std::string("reading answers"));
        fractions.push_back(fraction);
    }, 0);
    ReadOptions options;
    options.progress = &progress;
    const Dataset d = readDataset(path, options);
    QCOMPARE(d.answers.size(), std::size_t{200000});
    QVERIFY(fractions.size() >= 3);
    QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
    QCOMPARE(fractions.back(), 1.0);

    Progress cancelled;
    cancelled.cancel();
    options.progress = &cancelled;
    QVERIFY_THROWS_EXCEPTION(Cancelled, readDataset(path, options));
}

namespace {

// Three items, three annotators: votes and complementary answers mixed, one item answered only
// with "not" answers.
Dataset mixedComplementary()
{
    Dataset d;
    d.classNames = {"0", "1", "2"};
    d.itemKeys = {"0", "1", "2"};
    d.splits.assign(3, Split::Train);
    d.imagePaths.assign(3, "");
    d.annotatorIds = {"a", "b", "c"};
    d.answers = Answers::fromTriplets(3, 3, {Answer{0, 0, 1, false}, Answer{0, 1, 2, true}, Answer{1, 0, 0, true},
                                             Answer{1, 2, 2, true}, Answer{2, 1, 2, false}, Answer{2, 2, 2, true}});
    return d;
}

void compareWithFlags(const Dataset& a, const Dataset& b)
{
    compareAnswers(a, b);
    const std::vector<Answer> ta = a.answers.triplets();
    const std::vector<Answer> tb = b.answers.triplets();
    for (std::size_t k = 0; k < ta.size() && k < tb.size(); ++k)
        QCOMPARE(ta[k].complementary, tb[k].complementary);
}

}  // namespace

void TestFormats::complementaryRoundTrip_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<Format>("format");
    QTest::newRow("long csv") << "answers.csv" << Format::Csv;
    QTest::newRow("peerannot") << "folder" << Format::Peerannot;
}

// Each writer marks complementary answers in its own way and the reader gives them back.
void TestFormats::complementaryRoundTrip()
{
    QFETCH(QString, target);
    QFETCH(Format, format);
    const Dataset d = mixedComplementary();
    QTemporaryDir dir;
    const QString path = dir.filePath(target);
    if (format == Format::Csv)
        writeLongCsv(d, str(path));
    else
        writePeerannot(d, str(path));
    const Dataset back = read(path, format);
    compareWithFlags(d, back);
}

// A label matrix holds one kind: a complementary-only dataset round-trips with the
// complementary option, a mixed one is refused with the counts.
void TestFormats::complementaryMatrixRoundTrip()
{
    Dataset d = mixedComplementary();
    QTemporaryDir dir;
    try {
        writeMatrix(d, str(dir.filePath("mixed.npy")));
        QFAIL("a mixed dataset was written as a label matrix");
    } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("2 votes and 4 complementary") != std::string::npos, e.what());
    }
    std::vector<Answer> only;
    for (Answer a : d.answers.triplets()) {
        a.complementary = true;
        only.push_back(a);
    }
    d.answers = Answers::fromTriplets(3, 3, only);
    d.annotatorIds = {"0", "1", "2"};  // a .npy matrix has no ids: columns are "0".."M-1"
    for (const char* name : {"cl.npy", "cl.csv"}) {
        const QString path = dir.filePath(name);
        writeMatrix(d, str(path));
        ReadOptions options;
        options.format = Format::Matrix;
        options.complementary = true;
        options.classCount = 3;
        Dataset back = readDataset(str(path), options);
        back.classNames = d.classNames;
        compareWithFlags(d, back);
        const Dataset plain = read(path, Format::Matrix, {}, 3);
        QVERIFY(!plain.answers.triplets().front().complementary);
    }
}

// The documented forms: the CSV flag column in any position with 0/1/true/false/empty, peerannot
// {"not": k}, an ACL-style N x C integer cl_labels matrix.
void TestFormats::complementaryReadForms()
{
    QTemporaryDir dir;
    const Dataset csv = read(writeFile(dir.filePath("a.csv"), "complementary,task,worker,label\n"
                                                                "1,t1,w1,2\n"
                                                                "0,t1,w2,2\n"
                                                                "true,t2,w1,0\n"
                                                                ",t2,w2,1\n"),
                             Format::Csv);
    const std::vector<Answer> t = csv.answers.triplets();
    QCOMPARE(t.size(), std::size_t{4});
    QCOMPARE(t[0].complementary, true);
    QCOMPARE(t[1].complementary, false);
    QCOMPARE(t[2].complementary, true);
    QCOMPARE(t[3].complementary, false);
    QCOMPARE(csv.classCount(), 3);

    const Dataset json = read(writeFile(dir.filePath("p/answers.json"), R"({"5": {"w": {"not": 1}, "v": 0}, "6": {"w": {"not": 0}}})"),
                              Format::Peerannot, {}, 2);
    QCOMPARE(json.itemCount(), 2);
    QCOMPARE(json.answers.size(), std::size_t{3});
    int complementary = 0;
    for (const Answer& a : json.answers.triplets())
        complementary += a.complementary ? 1 : 0;
    QCOMPARE(complementary, 2);
    QCOMPARE(labelOf(json, "5", "w"), 1);

    const std::vector<std::int64_t> cl = {3, 7, 1, 0, 2, 9};  // 2 images x 3 complementary labels
    writeNpy(str(dir.filePath("cl_labels.npy")), cl.data(), {2, 3});
    ReadOptions options;
    options.format = Format::Matrix;
    options.complementary = true;
    options.classCount = 10;
    const Dataset acl = readDataset(str(dir.filePath("cl_labels.npy")), options);
    QCOMPARE(acl.itemCount(), 2);
    QCOMPARE(acl.annotatorCount(), 3);
    QCOMPARE(acl.answers.size(), std::size_t{6});
    for (const Answer& a : acl.answers.triplets())
        QVERIFY(a.complementary);
    QCOMPARE(labelOf(acl, "1", "2"), 9);
}

void TestFormats::complementaryConflictsAndErrors()
{
    QTemporaryDir dir;
    // The same annotator saying "2" and "not 2" about one item is a conflict, named.
    try {
        read(writeFile(dir.filePath("c.csv"), "task,worker,label,complementary\nt,w,2,0\nt,w,2,1\n"), Format::Csv);
        QFAIL("conflict not reported");
    } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("with 2 and not 2") != std::string::npos, e.what());
    }
    try {
        read(writeFile(dir.filePath("d.csv"), "task,worker,label,complementary\nt,w,2,maybe\n"), Format::Csv);
        QFAIL("bad flag not reported");
    } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("line 2") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("complementary 'maybe'") != std::string::npos, e.what());
    }
    for (const char* bad : {R"({"t": {"w": {"no": 1}}})", R"({"t": {"w": {}}})", R"({"t": {"w": {"not": {"x": 1}}}})"}) {
        try {
            read(writeFile(dir.filePath("e/answers.json"), bad), Format::Peerannot);
            QFAIL(bad);
        } catch (const InputError& e) {
            QVERIFY2(std::string(e.what()).find("task 't', worker 'w'") != std::string::npos, e.what());
        }
    }
}

QTEST_APPLESS_MAIN(TestFormats)
#include "test_formats.moc"
