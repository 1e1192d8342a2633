#include "util/error.h"
#include "util/npy.h"

#include "testdata.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <numeric>

using namespace crowdsift;

Q_DECLARE_METATYPE(crowdsift::NpyType)

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

void writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

// A .npy file built by hand: magic, version, header length (2 bytes for 1.x, 4 for 2.x/3.x),
// the dict padded with spaces to a 64-byte boundary, then `data`.
QByteArray handMade(int major, const QByteArray& dict, const QByteArray& data)
{
    const int prefix = major == 1 ? 10 : 12;
    QByteArray header = dict;
    while ((prefix + header.size() + 1) % 64 != 0)
        header.append(' ');
    header.append('\n');
    QByteArray out("\x93NUMPY", 6);
    out.append(static_cast<char>(major));
    out.append('\0');
    const quint32 length = static_cast<quint32>(header.size());
    for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
        out.append(static_cast<char>((length >> (8 * i)) & 0xFF));
    return out + header + data;
}

QByteArray doubles(std::initializer_list<double> values)
{
    QByteArray out;
    for (double v : values)
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    return out;
}

// Expects readNpy(path) to throw an InputError whose message names the file and contains `needle`.
void expectReadError(const QString& path, const QString& needle)
{
    try {
        readNpy(path.toStdString());
        QFAIL("readNpy accepted a bad file");
    } catch (const InputError& e) {
        const QString message = QString::fromStdString(e.what());
        QVERIFY2(message.contains(path), qPrintable(message));
        QVERIFY2(message.contains(needle, Qt::CaseInsensitive), qPrintable(message));
    }
}

}  // namespace

class TestNpy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripEveryType_data();
    void roundTripEveryType();
    void typedWriters();
    void shapes_data();
    void shapes();
    void headerIsAligned();
    void versionTwoHeader();
    void versionThreeHeader();
    void largeHeaderUsesVersionTwo();
    void conversions();
    void nativeOrderAndOneByteTypes();
    void badFiles_data();
    void badFiles();
    void missingFile();
    void writeIsAtomic();
    void writeToMissingFolderFails();
    void writeNeverFollowsAPlantedLink();
    void readsCifar10hCounts();
    void readsLabelmeTruth();
};

void TestNpy::roundTripEveryType_data()
{
    QTest::addColumn<NpyType>("type");
    QTest::addColumn<QString>("descr");
    QTest::newRow("float32") << NpyType::Float32 << "<f4";
    QTest::newRow("float64") << NpyType::Float64 << "<f8";
    QTest::newRow("int8") << NpyType::Int8 << "|i1";
    QTest::newRow("int16") << NpyType::Int16 << "<i2";
    QTest::newRow("int32") << NpyType::Int32 << "<i4";
    QTest::newRow("int64") << NpyType::Int64 << "<i8";
    QTest::newRow("uint8") << NpyType::UInt8 << "|u1";
    QTest::newRow("uint16") << NpyType::UInt16 << "<u2";
    QTest::newRow("uint32") << NpyType::UInt32 << "<u4";
    QTest::newRow("uint64") << NpyType::UInt64 << "<u8";
    QTest::newRow("bool") << NpyType::Bool << "|b1";
}

void TestNpy::roundTripEveryType()
{
    QFETCH(NpyType, type);
    QFETCH(QString, descr);
    QCOMPARE(QString(npyDescr(type)), descr);
    NpyType parsed{};
    QVERIFY(parseNpyDescr(descr.toStdString(), parsed));
    QCOMPARE(parsed, type);

    NpyArray array;
    array.type = type;
    array.shape = {2, 3};
    array.bytes.resize(6 * npySize(type));
    for (std::size_t i = 0; i < array.bytes.size(); ++i)
        array.bytes[i] = static_cast<unsigned char>(type == NpyType::Bool ? (i % 2) : (i * 37 + 11) & 0xFF);
    if (type == NpyType::Float32 || type == NpyType::Float64) {
        // Keep float bit patterns well-defined numbers (and one NaN, which must survive too).
        std::vector<double> values{0.5, -1.25, 3.0, std::nan(""), 1e-300, 7.0};
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (type == NpyType::Float32) {
                const float f = static_cast<float>(values[i]);
                std::memcpy(array.bytes.data() + 4 * i, &f, 4);
            } else {
                std::memcpy(array.bytes.data() + 8 * i, &values[i], 8);
            }
        }
    }
    QTemporaryDir dir;
    const std::string path = dir.filePath("a.npy").toStdString();
    writeNpy(path, array);
    const NpyArray back = readNpy(path);
    QCOMPARE(back.type, type);
    QCOMPARE(back.shape, array.shape);
    QVERIFY(back.bytes == array.bytes);
    QVERIFY(readAll(dir.filePath("a.npy")).contains(QByteArray("'descr': '") + descr.toLatin1() + "'"));
}

void TestNpy::typedWriters()
{
    QTemporaryDir dir;
    const auto path = [&](const char* name) { return dir.filePath(name).toStdString(); };
    const std::vector<std::size_t> shape{2, 2};

    const float f[] = {1.5f, -2.f, 0.f, 4.25f};
    writeNpy(path("f.npy"), f, shape);
    QCOMPARE(readNpy(path("f.npy")).as<float>(), std::vector<float>(f, f + 4));

    const double d[] = {1.5, -2.0, 1e300, 4.25};
    writeNpy(path("d.npy"), d, shape);
    QCOMPARE(readNpy(path("d.npy")).as<double>(), std::vector<double>(d, d + 4));

    const std::int32_t i32[] = {-7, 0, 2147483647, 3};
    writeNpy(path("i32.npy"), i32, shape);
    QCOMPARE(readNpy(path("i32.npy")).as<std::int32_t>(), std::vector<std::int32_t>(i32, i32 + 4));

    const std::int64_t i64[] = {-7, 0, 9007199254740993LL, 3};
    writeNpy(path("i64.npy"), i64, shape);
    QCOMPARE(readNpy(path("i64.npy")).as<std::int64_t>(), std::vector<std::int64_t>(i64, i64 + 4));

    const std::uint8_t u8[] = {0, 255, 7, 128};
    writeNpy(path("u8.npy"), u8, shape);
    QCOMPARE(readNpy(path("u8.npy")).as<int>(), (std::vector<int>{0, 255, 7, 128}));

    const bool b[] = {true, false, false, true};
    writeNpy(path("b.npy"), b, shape);
    const NpyArray back = readNpy(path("b.npy"));
    QCOMPARE(back.type, NpyType::Bool);
    QCOMPARE(back.as<int>(), (std::vector<int>{1, 0, 0, 1}));
}

void TestNpy::shapes_data()
{
    QTest::addColumn<QList<int>>("shape");
    QTest::addColumn<QString>("tuple");
    QTest::newRow("scalar") << QList<int>{} << "()";
    QTest::newRow("vector") << QList<int>{5} << "(5,)";
    QTest::newRow("matrix") << QList<int>{3, 4} << "(3, 4)";
    QTest::newRow("rank 4") << QList<int>{2, 1, 3, 2} << "(2, 1, 3, 2)";
    QTest::newRow("empty rows") << QList<int>{0, 3} << "(0, 3)";
}

void TestNpy::shapes()
{
    QFETCH(QList<int>, shape);
    QFETCH(QString, tuple);
    std::vector<std::size_t> dims(shape.begin(), shape.end());
    const std::size_t n = std::accumulate(dims.begin(), dims.end(), std::size_t{1}, std::multiplies<>());
    std::vector<std::int32_t> values(n);
    std::iota(values.begin(), values.end(), 0);
    QTemporaryDir dir;
    const QString path = dir.filePath("s.npy");
    writeNpy(path.toStdString(), values.data(), dims);
    QVERIFY(readAll(path).contains(("'shape': " + tuple).toLatin1()));
    const NpyArray back = readNpy(path.toStdString());
    QCOMPARE(back.shape, dims);
    QCOMPARE(back.count(), n);
    QCOMPARE(back.as<std::int32_t>(), values);
}

void TestNpy::headerIsAligned()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("h.npy");
    const double values[] = {1, 2, 3};
    writeNpy(path.toStdString(), values, {3});
    const QByteArray bytes = readAll(path);
    QCOMPARE(bytes.left(8), QByteArray("\x93NUMPY\x01\x00", 8));
    const int headerLength = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    QCOMPARE((10 + headerLength) % 64, 0);
    QCOMPARE(bytes[10 + headerLength - 1], '\n');
    QCOMPARE(bytes.size(), 10 + headerLength + 24);
    QVERIFY(bytes.contains("'fortran_order': False"));
}

void TestNpy::versionTwoHeader()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("v2.npy");
    writeAll(path, handMade(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", doubles({1, 2, 3, 4})));
    const NpyArray array = readNpy(path.toStdString());
    QCOMPARE(array.type, NpyType::Float64);
    QCOMPARE(array.shape, (std::vector<std::size_t>{2, 2}));
    QCOMPARE(array.as<double>(), (std::vector<double>{1, 2, 3, 4}));
}

void TestNpy::versionThreeHeader()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("v3.npy");
    writeAll(path, handMade(3, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (3,)}", doubles({5, 6, 7})));
    QCOMPARE(readNpy(path.toStdString()).as<double>(), (std::vector<double>{5, 6, 7}));
}

void TestNpy::largeHeaderUsesVersionTwo()
{
    // A shape tuple of 30000 ones needs a header longer than 65535 bytes.
    std::vector<std::size_t> dims(30000, 1);
    const double value = 42.0;
    QTemporaryDir dir;
    const QString path = dir.filePath("big.npy");
    writeNpy(path.toStdString(), &value, dims);
    const QByteArray bytes = readAll(path);
    QCOMPARE(static_cast<int>(bytes[6]), 2);
    const NpyArray back = readNpy(path.toStdString());
    QCOMPARE(back.shape.size(), std::size_t{30000});
    QCOMPARE(back.as<double>(), std::vector<double>{42.0});
}

void TestNpy::conversions()
{
    NpyArray array;
    array.type = NpyType::Int16;
    array.shape = {3};
    const std::int16_t values[] = {-3, 0, 300};
    array.bytes.resize(sizeof values);
    std::memcpy(array.bytes.data(), values, sizeof values);
    QCOMPARE(array.as<double>(), (std::vector<double>{-3.0, 0.0, 300.0}));
    QCOMPARE(array.as<std::int64_t>(), (std::vector<std::int64_t>{-3, 0, 300}));

    NpyArray floats;
    floats.type = NpyType::Float32;
    floats.shape = {2};
    const float f[] = {2.0f, 7.0f};
    floats.bytes.resize(sizeof f);
    std::memcpy(floats.bytes.data(), f, sizeof f);
    QCOMPARE(floats.as<int>(), (std::vector<int>{2, 7}));
}

void TestNpy::nativeOrderAndOneByteTypes()
{
    QTemporaryDir dir;
    const QString native = dir.filePath("native.npy");
    writeAll(native, handMade(1, "{'descr': '=f8', 'fortran_order': False, 'shape': (1,), }", doubles({9})));
    QCOMPARE(readNpy(native.toStdString()).as<double>(), std::vector<double>{9});

    // One-byte types have no byte order; '>u1' is as valid as '|u1'.
    const QString byte = dir.filePath("byte.npy");
    writeAll(byte, handMade(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", QByteArray("\x05\x06", 2)));
    QCOMPARE(readNpy(byte.toStdString()).as<int>(), (std::vector<int>{5, 6}));

    // Fortran order is the same layout for a vector.
    const QString vector = dir.filePath("fvector.npy");
    writeAll(vector, handMade(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", doubles({1, 2})));
    QCOMPARE(readNpy(vector.toStdString()).as<double>(), (std::vector<double>{1, 2}));
}

void TestNpy::badFiles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("needle");
    const QByteArray good = handMade(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", doubles({1, 2, 3, 4}));
    QTest::newRow("empty") << QByteArray() << "bad magic";
    QTest::newRow("bad magic") << (QByteArray("\x93NUMPZ") + good.mid(6)) << "bad magic";
    QTest::newRow("csv") << QByteArray("task,worker,label\n1,2,3\n") << "bad magic";
    QTest::newRow("truncated data") << good.left(good.size() - 5) << "truncated";
    QTest::newRow("truncated header") << good.left(40) << "truncated inside the header";
    QTest::newRow("only magic") << good.left(9) << "truncated inside the header";
    QTest::newRow("trailing bytes") << (good + "xyz") << "3 bytes after the array data";
    QTest::newRow("fortran order")
        << handMade(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", doubles({1, 2, 3, 4}))
        << "Fortran";
    QTest::newRow("big-endian")
        << handMade(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", doubles({1})) << "big-endian";
    QTest::newRow("float16")
        << handMade(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", QByteArray(2, '\0'))
        << "unsupported dtype '<f2'";
    QTest::newRow("strings")
        << handMade(1, "{'descr': '|S5', 'fortran_order': False, 'shape': (1,), }", QByteArray(5, 'a'))
        << "unsupported dtype";
    QTest::newRow("structured")
        << handMade(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", doubles({1}))
        << "structured";
    QTest::newRow("missing shape") << handMade(1, "{'descr': '<f8', 'fortran_order': False, }", doubles({1}))
                                   << "lacks";
    QTest::newRow("bad shape") << handMade(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (x,), }", doubles({1}))
                               << "shape";
    QTest::newRow("not a dict") << handMade(1, "['descr', '<f8']", doubles({1})) << "malformed header";
    QTest::newRow("version 4") << handMade(4, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", doubles({1}))
                               << "unsupported .npy version 4";
}

void TestNpy::badFiles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, needle);
    QTemporaryDir dir;
    const QString path = dir.filePath("bad.npy");
    writeAll(path, bytes);
    expectReadError(path, needle);
}

void TestNpy::missingFile()
{
    QTemporaryDir dir;
    expectReadError(dir.filePath("nope.npy"), "cannot open");
    expectReadError(dir.path(), "is a folder");
}

void TestNpy::writeIsAtomic()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("x.npy");
    writeAll(path, "old content");
    const double values[] = {1, 2};
    writeNpy(path.toStdString(), values, {2});
    QCOMPARE(readNpy(path.toStdString()).as<double>(), (std::vector<double>{1, 2}));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"x.npy"});
}

void TestNpy::writeToMissingFolderFails()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("missing/x.npy");
    const double value = 1;
    try {
        writeNpy(path.toStdString(), &value, {1});
        QFAIL("writing into a missing folder succeeded");
    } catch (const InputError& e) {
        QVERIFY2(QString(e.what()).contains("cannot write"), e.what());
    }
    QVERIFY(!QFile::exists(path + ".tmp"));
}

void TestNpy::writeNeverFollowsAPlantedLink()
{
    // A link planted where the old fixed temporary name (`<out>.tmp`) was must neither be
    // followed (it overwrote the file it pointed to) nor stop the write.
    QTemporaryDir dir;
    const QString victim = dir.filePath("victim.txt");
    writeAll(victim, "keep me");
    const QString path = dir.filePath("x.npy");
    QVERIFY(QFile::link(victim, path + ".tmp"));
    const double values[] = {3, 4};
    writeNpy(path.toStdString(), values, {2});
    writeNpy(path.toStdString(), values, {2});
    QCOMPARE(readNpy(path.toStdString()).as<double>(), (std::vector<double>{3, 4}));
    QFile kept(victim);
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray("keep me"));
    // Nothing else is left behind: the file, the untouched link and its target.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::System, QDir::Name),
             (QStringList{"victim.txt", "x.npy", "x.npy.tmp"}));
    QCOMPARE(QFileInfo(path).permissions() & QFileDevice::ReadOther, QFileDevice::ReadOther);
}

void TestNpy::readsCifar10hCounts()
{
    const QString relative = "datasets/cifar10h/jcpeterson-cifar-10h/data/cifar10h-counts.npy";
    CROWDSIFT_REQUIRE_SHARED(relative);
    const NpyArray array = readNpy(crowdsift::testing::sharedPath(relative));
    QCOMPARE(array.type, NpyType::Int64);
    QCOMPARE(array.shape, (std::vector<std::size_t>{10000, 10}));
    const std::vector<std::int64_t> counts = array.as<std::int64_t>();
    QCOMPARE(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}), std::int64_t{511000});
}

void TestNpy::readsLabelmeTruth()
{
    const QString relative = "datasets/labelme/benchmark_crowdsourcing/datasets/truth_labelme.npy";
    CROWDSIFT_REQUIRE_SHARED(relative);
    const NpyArray array = readNpy(crowdsift::testing::sharedPath(relative));
    QCOMPARE(array.type, NpyType::Float64);
    QCOMPARE(array.shape, std::vector<std::size_t>{1000});
    for (double v : array.as<double>())
        QVERIFY(v >= 0 && v <= 7 && v == std::floor(v));
}

QTEST_APPLESS_MAIN(TestNpy)
#include "test_npy.moc"
