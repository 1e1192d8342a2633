#include "data/dataset.h"
#include "data/formats.h"
#include "util/error.h"
#include "util/npy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

using namespace crowdsift;

Q_DECLARE_METATYPE(crowdsift::Format)

namespace {

void writeFile(const QString& path, const QByteArray& content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
}

QByteArray npy(NpyType type, std::vector<std::size_t> shape, std::vector<double> values)
{
    NpyArray array;
    array.type = type;
    array.shape = std::move(shape);
    array.bytes.resize(values.size() * npySize(type));
    for (std::size_t i = 0; i < values.size(); ++i) {
        unsigned char* p = array.bytes.data() + i * npySize(type);
        switch (type) {
        case NpyType::Float64: std::memcpy(p, &values[i], 8); break;
        case NpyType::Int8: *p = static_cast<unsigned char>(static_cast<std::int8_t>(values[i])); break;
        case NpyType::Bool: *p = values[i] != 0; break;
        default: {
            const auto v = static_cast<std::int32_t>(values[i]);
            std::memcpy(p, &v, 4);
        }
        }
    }
    const std::string bytes = encodeNpy(array);
    return QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size()));
}

const double kNan = std::nan("");

// Expects `call` to throw an InputError whose message contains every needle; any other
// exception fails the test (readers must never crash or leak logic errors).
template <class Call>
void expectInputError(Call call, const QStringList& needles)
{
    try {
        call();
        QFAIL("no error was raised");
    } catch (const InputError& e) {
        const QString message = QString::fromStdString(e.what());
        for (const QString& needle : needles)
            QVERIFY2(message.contains(needle), qPrintable("'" + needle + "' not in: " + message));
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QString("unexpected exception: ") + e.what()));
    }
}

const QByteArray kAnswers = "task,worker,label\n1,a,0\n2,a,1\n";

}  // namespace

class TestFormatsErrors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badInput_data();
    void badInput();

    void imageSymlinkOutside();
    void classFolderSymlinkOutside();
    void danglingImageLink();
    void imageNotRegularFile();
    void twoImagesForOneTask();
    void folderNameIsNotAClass();
    void truthFromFoldersNeedsPeerannot();
    void truthFileAndFoldersTogether();
    void readTruthLeavesDatasetUnchanged();
    void unknownFormatName();
    void unknownWriterExtension();
};

void TestFormatsErrors::badInput_data()
{
    QTest::addColumn<QByteArrayList>("files");   // name, content, name, content, ...
    QTest::addColumn<QString>("target");         // path given to readDataset ("." = the folder)
    QTest::addColumn<Format>("format");
    QTest::addColumn<int>("classCount");
    QTest::addColumn<QString>("truth");          // optional truth file
    QTest::addColumn<QString>("errorFile");      // the file the message must name
    QTest::addColumn<QStringList>("needles");

    const auto row = [](const char* name, QByteArrayList files, const QString& target, Format format,
                        const QString& errorFile, const QStringList& needles, int classCount = 0,
                        const QString& truth = {}) {
        QTest::newRow(name) << files << target << format << classCount << truth << errorFile << needles;
    };
    const Format csv = Format::Csv;
    const Format peer = Format::Peerannot;
    const Format matrix = Format::Matrix;

    // Long CSV.
    row("csv empty", {"a.csv", ""}, "a.csv", csv, "a.csv", {"file is empty"});
    row("csv blank lines only", {"a.csv", "\n\r\n  \n"}, "a.csv", csv, "a.csv", {"file is empty"});
    row("csv header only", {"a.csv", "task,worker,label\n"}, "a.csv", csv, "a.csv", {"no answers"});
    row("csv missing column", {"a.csv", "task,annotator_id,label\n1,2,3\n"}, "a.csv", csv, "a.csv",
        {"line 1", "missing header column(s) worker"});
    row("csv unterminated quote", {"a.csv", "task,worker,label\n1,2,3\n\"4,5,1\n"}, "a.csv", csv, "a.csv",
        {"line 3", "never closed"});
    row("csv text after quote", {"a.csv", "task,worker,label\n\"1\"x,2,3\n"}, "a.csv", csv, "a.csv",
        {"line 2", "after a closing quote"});
    row("csv too few fields", {"a.csv", "task,worker,label\n1,2\n"}, "a.csv", csv, "a.csv",
        {"line 2", "at least 3 fields, found 2"});
    row("csv empty task", {"a.csv", "task,worker,label\n,2,1\n"}, "a.csv", csv, "a.csv", {"line 2", "task id is empty"});
    row("csv empty worker", {"a.csv", "task,worker,label\n1,,1\n"}, "a.csv", csv, "a.csv", {"line 2", "worker id is empty"});
    row("csv missing label", {"a.csv", "task,worker,label\n1,2,\n"}, "a.csv", csv, "a.csv", {"line 2", "label is missing"});
    row("csv word label", {"a.csv", "task,worker,label\n1,2,cat\n"}, "a.csv", csv, "a.csv",
        {"line 2", "label 'cat' is not an integer"});
    row("csv fraction label", {"a.csv", "task,worker,label\n1,2,0\n1,3,2.5\n"}, "a.csv", csv, "a.csv",
        {"line 3", "label '2.5' is not an integer"});
    row("csv NaN label", {"a.csv", "task,worker,label\n1,2,nan\n"}, "a.csv", csv, "a.csv", {"line 2", "label is NaN"});
    row("csv negative label", {"a.csv", "task,worker,label\n1,2,-1\n"}, "a.csv", csv, "a.csv",
        {"line 2", "label -1 is negative"});
    row("csv label out of range", {"a.csv", "task,worker,label\n1,2,0\n1,3,3\n"}, "a.csv", csv, "a.csv",
        {"line 3", "label 3 is out of range for 3 classes"}, 3);
    row("csv label too large", {"a.csv", "task,worker,label\n1,2,40000\n"}, "a.csv", csv, "a.csv",
        {"line 2", "too large"});
    row("csv conflicting duplicate", {"a.csv", "task,worker,label\n1,a,0\n2,a,1\n1,a,2\n"}, "a.csv", csv, "a.csv",
        {"line 2 and line 4", "annotator 'a' labelled item '1' twice, with 0 and 2"});
    row("csv lines counted through CRLF and quotes", {"a.csv", "task,worker,label\r\n\"x\ny\",a,0\r\n1,a,bad\r\n"},
        "a.csv", csv, "a.csv", {"line 4", "'bad'"});

    // Peerannot JSON.
    row("json empty", {"answers.json", "  \n"}, "answers.json", peer, "answers.json", {"file is empty"});
    row("json malformed", {"answers.json", "{\"1\": {\"a\": 1},\n \"2\": {\"a\" 1}}"}, "answers.json", peer,
        "answers.json", {"line 2", "malformed JSON"});
    row("json truncated", {"answers.json", "{\"1\": {\"a\": 1}"}, "answers.json", peer, "answers.json",
        {"malformed JSON"});
    row("json trailing text", {"answers.json", "{\"1\": {\"a\": 1}} x"}, "answers.json", peer, "answers.json",
        {"malformed JSON"});
    row("json top-level array", {"answers.json", "[1, 2]"}, "answers.json", peer, "answers.json",
        {"expected an object {task: {worker: label}}, found an array"});
    row("json task not an object", {"answers.json", "{\"1\": 3}"}, "answers.json", peer, "answers.json",
        {"task '1'", "expected an object {worker: label}, found a number"});
    row("json string label", {"answers.json", "{\"1\": {\"a\": \"3\"}}"}, "answers.json", peer, "answers.json",
        {"task '1', worker 'a'", "found a string"});
    row("json null label", {"answers.json", "{\"1\": {\"a\": null}}"}, "answers.json", peer, "answers.json",
        {"task '1', worker 'a'", "found null"});
    // An object in place of a label is a complementary answer {"not": k}; any other key is named.
    row("json nested object", {"answers.json", "{\"1\": {\"a\": {\"x\": 1}}}"}, "answers.json", peer,
        "answers.json", {"task '1', worker 'a'", "a complementary answer is {\"not\": label}, found the key 'x'"});
    row("json doubly nested object", {"answers.json", "{\"1\": {\"a\": {\"not\": {\"x\": 1}}}}"}, "answers.json",
        peer, "answers.json", {"task '1', worker 'a'", "found an object"});
    row("json fraction label", {"answers.json", "{\"1\": {\"a\": 2.5}}"}, "answers.json", peer, "answers.json",
        {"task '1', worker 'a'", "label 2.5 is not an integer"});
    row("json negative label", {"answers.json", "{\"1\": {\"a\": -1}}"}, "answers.json", peer, "answers.json",
        {"label -1 is negative"});
    row("json conflicting duplicate", {"answers.json", "{\"1\": {\"a\": 0, \"a\": 1}}"}, "answers.json", peer,
        "answers.json", {"annotator 'a' labelled item '1' twice, with 0 and 1"});
    row("json label beyond n_classes",
        {"metadata.json", "{\"name\": \"x\", \"n_classes\": 8}", "answers.json", "{\"3\": {\"7\": 9}}"}, ".", peer,
        "answers.json", {"task '3', worker '7'", "label 9 is out of range for 8 classes"});
    row("no answers.json", {"metadata.json", "{}"}, ".", peer, "answers.json", {"no such file"});
    row("metadata malformed", {"metadata.json", "{\"n_classes\": }", "answers.json", "{}"}, ".", peer,
        "metadata.json", {"line 1", "malformed JSON"});
    row("metadata number overflow", {"metadata.json", "{\"name\": \"x\",\n \"n_classes\": 1e400}", "answers.json", "{}"},
        ".", peer, "metadata.json", {"line 2", "malformed JSON", "number overflow parsing '1e400'"});
    row("metadata not an object", {"metadata.json", "[]", "answers.json", "{}"}, ".", peer, "metadata.json",
        {"expected a JSON object"});
    row("metadata bad n_classes", {"metadata.json", "{\"n_classes\": -2}", "answers.json", "{}"}, ".", peer,
        "metadata.json", {"n_classes", "positive integer"});
    row("metadata class_names size", {"metadata.json", "{\"n_classes\": 2, \"class_names\": [\"a\"]}",
        "answers.json", "{\"1\": {\"a\": 0}}"}, ".", peer, "metadata.json", {"class_names", "1 names for 2 classes"});
    row("declared count disagrees with metadata",
        {"metadata.json", "{\"n_classes\": 8}", "answers.json", "{\"1\": {\"a\": 0}}"}, ".", peer, "metadata.json",
        {"8 classes but 5 were declared"}, 5);
    row("json no tasks", {"answers.json", "{}"}, "answers.json", peer, "answers.json", {"no tasks"});

    // Label matrix.
    row("matrix empty", {"m.csv", ""}, "m.csv", matrix, "m.csv", {"file is empty"});
    row("matrix ragged", {"m.csv", "task,a,b\n1,0,1\n2,1\n"}, "m.csv", matrix, "m.csv",
        {"line 3", "has 2 cells, expected 3"});
    row("matrix negative", {"m.csv", "a,b\n0,-1\n"}, "m.csv", matrix, "m.csv",
        {"line 2, column 2", "label -1 is negative"});
    row("matrix word", {"m.csv", "a,b\n0,x\n"}, "m.csv", matrix, "m.csv", {"line 2, column 2", "'x' is not an integer"});
    row("matrix fraction", {"m.csv", "0,1.5\n"}, "m.csv", matrix, "m.csv", {"line 1, column 2", "not an integer"});
    row("matrix out of range", {"m.csv", "0,2\n"}, "m.csv", matrix, "m.csv",
        {"line 1, column 2", "out of range for 2 classes"}, 2);
    row("matrix duplicate annotator", {"m.csv", "task,a,a\n1,0,1\n"}, "m.csv", matrix, "m.csv",
        {"line 1, column 3", "annotator id 'a' appears twice"});
    row("matrix empty annotator id", {"m.csv", "a,,b\n1,0,1\n"}, "m.csv", matrix, "m.csv",
        {"line 1, column 2", "annotator id in the header is empty"});
    row("matrix duplicate item", {"m.csv", "task,a\n1,0\n1,1\n"}, "m.csv", matrix, "m.csv",
        {"line 2 and line 3", "item id '1' appears twice"});
    row("matrix header only", {"m.csv", "task,a\n"}, "m.csv", matrix, "m.csv", {"header but no rows"});
    row("matrix npy fraction", {"m.npy", npy(NpyType::Float64, {1, 2}, {0, 2.5})}, "m.npy", matrix, "m.npy",
        {"row 0, column 1", "not an integer"});
    row("matrix npy negative float", {"m.npy", npy(NpyType::Float64, {1, 1}, {-2})}, "m.npy", matrix, "m.npy",
        {"row 0, column 0", "negative"});
    row("matrix npy vector", {"m.npy", npy(NpyType::Int32, {3}, {0, 1, 2})}, "m.npy", matrix, "m.npy",
        {"expected an N x M label matrix, found shape (3,)"});
    row("matrix npy bool", {"m.npy", npy(NpyType::Bool, {1, 2}, {0, 1})}, "m.npy", matrix, "m.npy", {"bool"});
    row("matrix npy truncated", {"m.npy", npy(NpyType::Float64, {2, 2}, {0, 1, 0, 1}).chopped(3)}, "m.npy", matrix,
        "m.npy", {"truncated"});

    // Rodrigues.
    const Format rodrigues = Format::Rodrigues;
    row("rodrigues ragged", {"answers.txt", "0 1\n1\n"}, ".", rodrigues, "answers.txt",
        {"line 2", "has 1 values, the first line has 2"});
    row("rodrigues -2", {"answers.txt", "-2 1\n"}, "answers.txt", rodrigues, "answers.txt",
        {"line 1, column 1", "-1 means not labelled"});
    row("rodrigues NaN", {"answers.txt", "1 nan\n"}, "answers.txt", rodrigues, "answers.txt",
        {"line 1, column 2", "NaN is not allowed"});
    row("rodrigues word", {"answers.txt", "a 1\n"}, "answers.txt", rodrigues, "answers.txt",
        {"'a' is not an integer label"});
    row("rodrigues empty", {"answers.txt", ""}, "answers.txt", rodrigues, "answers.txt", {"file is empty"});
    row("rodrigues bad features", {"answers.txt", "0 1\n", "features.npy", "not npy"}, ".", rodrigues,
        "features.npy", {"bad magic"});

    // Vote counts.
    const Format counts = Format::Counts;
    row("counts negative", {"c.npy", npy(NpyType::Int8, {1, 2}, {1, -1})}, "c.npy", counts, "c.npy",
        {"row 0, column 1", "not a non-negative number"});
    row("counts NaN", {"c.npy", npy(NpyType::Float64, {2, 1}, {1, kNan})}, "c.npy", counts, "c.npy",
        {"row 1, column 0", "not a non-negative number"});
    row("counts rank 3", {"c.npy", npy(NpyType::Int32, {1, 1, 1}, {1})}, "c.npy", counts, "c.npy",
        {"expected an N x K array of vote counts, found shape (1, 1, 1)"});
    row("counts declared disagrees", {"c.npy", npy(NpyType::Int32, {1, 2}, {1, 1})}, "c.npy", counts, "c.npy",
        {"declared class count 3 disagrees"}, 3);

    // CIFAR-10H raw.
    const Format cifar = Format::Cifar10h;
    const QByteArray header = "annotator_id,chosen_label,cifar10_test_test_idx,is_attn_check,true_label\n";
    row("cifar10h missing columns", {"raw.csv", "annotator_id,chosen_label\n0,1\n"}, "raw.csv", cifar, "raw.csv",
        {"line 1", "missing header column(s) cifar10_test_test_idx, is_attn_check"});
    row("cifar10h attention flag", {"raw.csv", header + "0,1,5,maybe,1\n"}, "raw.csv", cifar, "raw.csv",
        {"line 2", "is_attn_check 'maybe' is neither 0 nor 1"});
    row("cifar10h label 10", {"raw.csv", header + "0,10,5,0,1\n"}, "raw.csv", cifar, "raw.csv",
        {"line 2", "label 10 is out of range for 10 classes"});
    row("cifar10h index of a normal trial", {"raw.csv", header + "0,1,-99999,0,1\n"}, "raw.csv", cifar, "raw.csv",
        {"line 2", "'-99999' is not a test image index"});
    row("cifar10h two true labels", {"raw.csv", header + "0,1,5,0,1\n1,1,5,0,2\n"}, "raw.csv", cifar, "raw.csv",
        {"line 2 and line 3", "two true labels, 1 and 2"});
    row("cifar10h only attention checks", {"raw.csv", header + "0,1,-99999,1,1\n"}, "raw.csv", cifar, "raw.csv",
        {"no answers"});

    // Truth files.
    row("truth csv unknown task", {"a.csv", kAnswers, "truth.csv", "task,label\n1,0\n99,1\n"}, "a.csv", csv,
        "truth.csv", {"line 3", "task '99' is not in the dataset"}, 0, "truth.csv");
    row("truth csv out of range", {"a.csv", kAnswers, "truth.csv", "question,truth\n1,5\n"}, "a.csv", csv,
        "truth.csv", {"line 2", "label 5 is out of range for 2 classes"}, 0, "truth.csv");
    row("truth csv two truths", {"a.csv", kAnswers, "truth.csv", "task,label\n1,0\n1,1\n"}, "a.csv", csv,
        "truth.csv", {"line 2 and line 3", "task '1' has two truths, 0 and 1"}, 0, "truth.csv");
    row("truth csv missing columns", {"a.csv", kAnswers, "truth.csv", "id,value\n1,0\n"}, "a.csv", csv,
        "truth.csv", {"line 1", "missing header column"}, 0, "truth.csv");
    row("truth csv empty", {"a.csv", kAnswers, "truth.csv", ""}, "a.csv", csv, "truth.csv", {"file is empty"}, 0,
        "truth.csv");
    row("truth npy NaN", {"a.csv", kAnswers, "t.npy", npy(NpyType::Float64, {3}, {0, 1, kNan})}, "a.csv", csv,
        "t.npy", {"entry 2", "NaN"}, 0, "t.npy");
    row("truth npy fraction", {"a.csv", kAnswers, "t.npy", npy(NpyType::Float64, {2}, {0.5, 1})}, "a.csv", csv,
        "t.npy", {"entry 0", "not an integer"}, 0, "t.npy");
    row("truth npy out of range", {"a.csv", kAnswers, "t.npy", npy(NpyType::Int32, {3}, {0, 1, 7})}, "a.csv", csv,
        "t.npy", {"entry 2", "truth 7 is out of range for 2 classes"}, 0, "t.npy");
    row("truth npy matrix", {"a.csv", kAnswers, "t.npy", npy(NpyType::Int32, {2, 2}, {0, 1, 1, 0})}, "a.csv", csv,
        "t.npy", {"expected a vector of labels"}, 0, "t.npy");
    row("truth npy length for string keys", {"a.csv", "task,worker,label\nx,a,0\ny,a,1\n", "t.npy",
        npy(NpyType::Int32, {3}, {0, 1, 1})}, "a.csv", csv, "t.npy", {"has 3 entries for 2 items"}, 0, "t.npy");
    row("truth txt two per line", {"a.csv", kAnswers, "labels.txt", "0\n1 1\n"}, "a.csv", csv, "labels.txt",
        {"line 2", "expected one label per line, found 2"}, 0, "labels.txt");
    row("truth txt out of range", {"a.csv", kAnswers, "labels.txt", "0\n\n4\n"}, "a.csv", csv, "labels.txt",
        {"line 3", "truth 4 is out of range for 2 classes"}, 0, "labels.txt");
    row("truth file missing", {"a.csv", kAnswers}, "a.csv", csv, "nope.csv", {"cannot open"}, 0, "nope.csv");

    // Detection.
    row("unknown extension", {"x.parquet", "PAR1"}, "x.parquet", Format::Auto, "x.parquet", {"cannot tell the format"});
    row("missing path", {}, "nothing.csv", Format::Auto, "nothing.csv", {"no such file or folder"});
    row("folder without answers", {"readme.txt", "hi"}, ".", Format::Auto, "", {"neither answers.json"});
    row("ambiguous npy", {"x.npy", npy(NpyType::Int32, {2, 2}, {1, 0, 0, 1})}, "x.npy", Format::Auto, "x.npy",
        {"cannot tell a label matrix from vote counts"});
    row("file given as folder format", {"sub/a.csv", kAnswers}, "sub", csv, "sub", {"is a folder"});
}

void TestFormatsErrors::badInput()
{
    QFETCH(QByteArrayList, files);
    QFETCH(QString, target);
    QFETCH(Format, format);
    QFETCH(int, classCount);
    QFETCH(QString, truth);
    QFETCH(QString, errorFile);
    QFETCH(QStringList, needles);
    QTemporaryDir dir;
    for (int k = 0; k + 1 < files.size(); k += 2)
        writeFile(dir.filePath(QString::fromUtf8(files[k])), files[k + 1]);
    ReadOptions options;
    options.format = format;
    options.classCount = classCount;
    if (!truth.isEmpty())
        options.truthPath = dir.filePath(truth).toStdString();
    const QString path = target == "." ? dir.path() : dir.filePath(target);
    needles.prepend(errorFile.isEmpty() ? dir.path() : dir.filePath(errorFile));
    expectInputError([&] { readDataset(path.toStdString(), options); }, needles);
}

void TestFormatsErrors::imageSymlinkOutside()
{
    QTemporaryDir outside;
    writeFile(outside.filePath("secret-1.jpg"), "jpg");
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    QDir().mkpath(dir.filePath("train/c"));
    QVERIFY(QFile::link(outside.filePath("secret-1.jpg"), dir.filePath("train/c/secret-1.jpg")));
    expectInputError([&] { readDataset(dir.path().toStdString()); },
                     {dir.filePath("train/c/secret-1.jpg"), "outside the dataset folder"});
}

void TestFormatsErrors::classFolderSymlinkOutside()
{
    QTemporaryDir outside;
    writeFile(outside.filePath("c/img-1.jpg"), "jpg");
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    QDir().mkpath(dir.filePath("train"));
    QVERIFY(QFile::link(outside.filePath("c"), dir.filePath("train/c")));
    expectInputError([&] { readDataset(dir.path().toStdString()); }, {"img-1.jpg", "outside the dataset folder"});
}

void TestFormatsErrors::danglingImageLink()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    QDir().mkpath(dir.filePath("train/c"));
    QVERIFY(QFile::link(dir.filePath("gone.jpg"), dir.filePath("train/c/img-1.jpg")));
    expectInputError([&] { readDataset(dir.path().toStdString()); }, {"img-1.jpg", "cannot be resolved"});
}

void TestFormatsErrors::imageNotRegularFile()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    QDir().mkpath(dir.filePath("train/c"));
    QCOMPARE(::mkfifo(dir.filePath("train/c/img-1.jpg").toLocal8Bit().constData(), 0644), 0);
    expectInputError([&] { readDataset(dir.path().toStdString()); }, {"img-1.jpg", "not a regular file"});
}

void TestFormatsErrors::twoImagesForOneTask()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    writeFile(dir.filePath("train/c/a-1.jpg"), "jpg");
    writeFile(dir.filePath("val/c/b-1.jpg"), "jpg");
    expectInputError([&] { readDataset(dir.path().toStdString()); },
                     {dir.filePath("val/c/b-1.jpg"), "task '1'", "already has the image train/c/a-1.jpg"});
}

void TestFormatsErrors::folderNameIsNotAClass()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    writeFile(dir.filePath("metadata.json"), R"({"n_classes": 2, "class_names": ["x", "y"]})");
    writeFile(dir.filePath("train/z/a-1.jpg"), "jpg");
    ReadOptions options;
    options.truthFromFolders = true;
    expectInputError([&] { readDataset(dir.path().toStdString(), options); },
                     {dir.filePath("train/z"), "not a class name"});
}

void TestFormatsErrors::truthFromFoldersNeedsPeerannot()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("a.csv"), kAnswers);
    ReadOptions options;
    options.truthFromFolders = true;
    expectInputError([&] { readDataset(dir.filePath("a.csv").toStdString(), options); },
                     {"needs a peerannot folder"});
}

void TestFormatsErrors::truthFileAndFoldersTogether()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("answers.json"), R"({"1": {"a": 0}})");
    writeFile(dir.filePath("truth.csv"), "task,label\n1,0\n");
    ReadOptions options;
    options.truthFromFolders = true;
    options.truthPath = dir.filePath("truth.csv").toStdString();
    expectInputError([&] { readDataset(dir.path().toStdString(), options); }, {"not both"});
}

void TestFormatsErrors::readTruthLeavesDatasetUnchanged()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("a.csv"), kAnswers);
    writeFile(dir.filePath("good.csv"), "task,label\n1,1\n");
    writeFile(dir.filePath("bad.csv"), "task,label\n2,0\n1,9\n");
    Dataset d = readDataset(dir.filePath("a.csv").toStdString());
    readTruth(d, dir.filePath("good.csv").toStdString());
    QCOMPARE(d.truth, (std::vector<std::int32_t>{1, -1}));
    expectInputError([&] { readTruth(d, dir.filePath("bad.csv").toStdString()); }, {"line 3"});
    QCOMPARE(d.truth, (std::vector<std::int32_t>{1, -1}));
}

void TestFormatsErrors::unknownFormatName()
{
    expectInputError([] { parseFormat("xml"); }, {"unknown format 'xml'", "auto, peerannot, csv, matrix"});
}

void TestFormatsErrors::unknownWriterExtension()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("a.csv"), kAnswers);
    const Dataset d = readDataset(dir.filePath("a.csv").toStdString());
    expectInputError([&] { writeMatrix(d, dir.filePath("m.parquet").toStdString()); }, {"m.parquet", ".csv or .npy"});
    expectInputError([&] { writeLongCsv(d, dir.filePath("missing/a.csv").toStdString()); }, {"cannot write"});
}

QTEST_APPLESS_MAIN(TestFormatsErrors)
#include "test_formats_errors.moc"
