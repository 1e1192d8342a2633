#include "images/image_cache.h"

#include "util/error.h"
#include "util/npy.h"

#include "image_dataset.h"

#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace fs = std::filesystem;

namespace {

// A solid BGR image with one differently coloured pixel at (0, 0) when `marked`.
void writeColor(const std::string& path, int width, int height, cv::Scalar bgr, bool marked = false)
{
    cv::Mat image(height, width, CV_8UC3, bgr);
    if (marked)
        image.at<cv::Vec3b>(0, 0) = cv::Vec3b(7, 7, 7);
    QVERIFY(cv::imwrite(path, image));
}

// A 1 x 1 PNG whose header (IHDR, with its CRC made right) says 100000 x 100000.
void writeHugePng(const std::string& path)
{
    std::vector<unsigned char> png;
    cv::imencode(".png", cv::Mat(1, 1, CV_8UC1, cv::Scalar(7)), png);
    for (int offset : {16, 20}) {  // width, height: big-endian after "IHDR"
        const std::uint32_t v = 100000;
        for (int b = 0; b < 4; ++b)
            png[static_cast<std::size_t>(offset + b)] = static_cast<unsigned char>(v >> (24 - 8 * b));
    }
    std::uint32_t crc = 0xFFFFFFFFu;  // CRC-32 of the chunk type and data, bytes 12..28
    for (std::size_t i = 12; i < 29; ++i) {
        crc ^= png[i];
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xFFFFFFFFu;
    for (int b = 0; b < 4; ++b)
        png[static_cast<std::size_t>(29 + b)] = static_cast<unsigned char>(crc >> (24 - 8 * b));
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
}

void writeGray(const std::string& path, int width, int height, int value)
{
    QVERIFY(cv::imwrite(path, cv::Mat(height, width, CV_8UC1, cv::Scalar(value))));
}

std::uint8_t pixel(const NpyArray& a, std::size_t item, std::size_t y, std::size_t x, std::size_t c)
{
    return a.bytes[((item * a.shape[1] + y) * a.shape[2] + x) * a.shape[3] + c];
}

}  // namespace

class TestImageCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void mixedImagesGiveRgbResizedTensor()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeColor(root + "/red.png", 40, 30, cv::Scalar(0, 0, 255));
        writeColor(root + "/blue.jpg", 20, 50, cv::Scalar(255, 0, 0));
        writeGray(root + "/gray.png", 10, 10, 100);
        const Dataset d = imageDataset(root, {"red.png", "blue.jpg", "gray.png", ""});

        ImageCacheOptions options;
        options.size = 16;
        const ImageCache cache = buildImageCache(d, root + "/cache", options);
        QCOMPARE(cache.count, 4);
        QCOMPARE(cache.height, 16);
        QCOMPARE(cache.width, 16);
        QCOMPARE(cache.channels, 3);
        QCOMPARE(cache.key.size(), std::size_t(16));
        QVERIFY(!cache.reused);
        QCOMPARE(cache.missingImages, std::vector<int>{3});
        QCOMPARE(cache.path, root + "/cache/images-" + cache.key + ".npy");

        const NpyArray a = readNpy(cache.path);
        QCOMPARE(a.type, NpyType::UInt8);
        QCOMPARE(a.shape, (std::vector<std::size_t>{4, 16, 16, 3}));
        // BGR files become RGB; gray is replicated; the item without image is black.
        QCOMPARE(int(pixel(a, 0, 8, 8, 0)), 255);
        QCOMPARE(int(pixel(a, 0, 8, 8, 2)), 0);
        QVERIFY(pixel(a, 1, 8, 8, 2) > 245 && pixel(a, 1, 8, 8, 0) < 10);
        for (std::size_t c = 0; c < 3; ++c)
            QCOMPARE(int(pixel(a, 2, 5, 5, c)), 100);
        for (std::size_t p = 3 * 16 * 16 * 3; p < a.bytes.size(); ++p)
            QCOMPARE(int(a.bytes[p]), 0);
    }

    void grayImagesGiveOneChannel()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeGray(root + "/a.png", 28, 28, 10);
        writeGray(root + "/b.png", 28, 28, 200);
        const Dataset d = imageDataset(root, {"a.png", "b.png"});
        ImageCacheOptions options;
        options.size = 28;
        const ImageCache gray = buildImageCache(d, root + "/cache", options);
        QCOMPARE(gray.channels, 1);
        const NpyArray a = readNpy(gray.path);
        QCOMPARE(a.shape, (std::vector<std::size_t>{2, 28, 28, 1}));
        QCOMPARE(int(pixel(a, 1, 27, 27, 0)), 200);

        options.channels = 3;
        const ImageCache rgb = buildImageCache(d, root + "/cache", options);
        QCOMPARE(rgb.channels, 3);
        QVERIFY(rgb.key != gray.key);
        QCOMPARE(readNpy(rgb.path).shape, (std::vector<std::size_t>{2, 28, 28, 3}));
    }

    void colorToOneChannelOnRequest()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeColor(root + "/white.png", 8, 8, cv::Scalar(255, 255, 255));
        ImageCacheOptions options;
        options.size = 4;
        options.channels = 1;
        const ImageCache cache = buildImageCache(imageDataset(root, {"white.png"}), root + "/cache", options);
        QCOMPARE(cache.channels, 1);
        const NpyArray a = readNpy(cache.path);
        QCOMPARE(a.shape, (std::vector<std::size_t>{1, 4, 4, 1}));
        QCOMPARE(int(a.bytes[0]), 255);
    }

    void sameContentReusesTheFile()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        for (int i = 0; i < 5; ++i)
            writeColor(root + "/" + std::to_string(i) + ".png", 12, 12, cv::Scalar(10 * i, 20, 30));
        const Dataset d = imageDataset(root, {"0.png", "1.png", "2.png", "3.png", "4.png"});
        ImageCacheOptions options;
        options.size = 8;
        options.threads = 1;
        const ImageCache first = buildImageCache(d, root + "/cache", options);
        const auto written = fs::last_write_time(first.path);
        const auto bytes = readNpy(first.path).bytes;

        options.threads = 2;
        const ImageCache second = buildImageCache(d, root + "/cache", options);
        QCOMPARE(second.key, first.key);
        QVERIFY(second.reused);
        QCOMPARE(second.channels, first.channels);
        QVERIFY(fs::last_write_time(second.path) == written);

        // Built afresh with another thread count: the same bytes.
        fs::remove(first.path);
        const ImageCache rebuilt = buildImageCache(d, root + "/cache", options);
        QVERIFY(!rebuilt.reused);
        QCOMPARE(rebuilt.key, first.key);
        QVERIFY(readNpy(rebuilt.path).bytes == bytes);
    }

    void changedPixelOrOptionsGiveANewKey()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeColor(root + "/a.png", 12, 12, cv::Scalar(1, 2, 3));
        writeColor(root + "/b.png", 12, 12, cv::Scalar(4, 5, 6));
        const Dataset d = imageDataset(root, {"a.png", "b.png"});
        ImageCacheOptions options;
        options.size = 8;
        const ImageCache before = buildImageCache(d, root + "/cache", options);

        writeColor(root + "/b.png", 12, 12, cv::Scalar(4, 5, 6), true);
        const ImageCache after = buildImageCache(d, root + "/cache", options);
        QVERIFY(after.key != before.key);
        QVERIFY(!after.reused);

        options.size = 6;
        QVERIFY(buildImageCache(d, root + "/cache", options).key != after.key);
    }

    void damagedImageNamesFileAndItem_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("problem");
        QTest::newRow("corrupt") << "broken.png" << "not a readable image";
        QTest::newRow("missing") << "absent.png" << "not found";
        QTest::newRow("empty") << "empty.jpg" << "not a readable image";
        // Its header claims 100000 x 100000 pixels: OpenCV's assertion once came out bare.
        QTest::newRow("huge") << "huge.png" << "cannot decode the image";
    }

    void damagedImageNamesFileAndItem()
    {
        QFETCH(QString, file);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeGray(root + "/ok.png", 4, 4, 1);
        std::ofstream(root + "/broken.png") << "this is not a PNG file";
        std::ofstream(root + "/empty.jpg").flush();
        writeHugePng(root + "/huge.png");
        const Dataset d = imageDataset(root, {"ok.png", file.toStdString()});
        try {
            buildImageCache(d, root + "/cache", {});
            QFAIL("expected InputError");
        } catch (const InputError& e) {
            const QString message = QString::fromStdString(e.what());
            QVERIFY2(message.contains(file) && message.contains("item1") && message.contains(problem),
                     qPrintable(message));
        }
    }

    void datasetWithoutImagesIsAnError()
    {
        QTemporaryDir dir;
        const Dataset d = imageDataset(dir.path().toStdString(), {"", ""});
        QVERIFY_THROWS_EXCEPTION(InputError, buildImageCache(d, dir.path().toStdString(), {}));
    }

    void defaultSizeFollowsTheImages()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeGray(root + "/small.png", 28, 28, 1);
        writeGray(root + "/large.png", 64, 20, 1);
        QCOMPARE(defaultImageCacheSize(imageDataset(root, {"", "small.png", "large.png"})), 28);
        QCOMPARE(defaultImageCacheSize(imageDataset(root, {"large.png", "small.png"})), 32);
    }

    void cancelStopsTheBuild()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        writeGray(root + "/a.png", 4, 4, 1);
        Progress progress;
        progress.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, buildImageCache(imageDataset(root, {"a.png"}), root + "/cache", {}, progress));
        QVERIFY(!fs::exists(root + "/cache") || fs::is_empty(root + "/cache"));
    }
};

QTEST_APPLESS_MAIN(TestImageCache)
#include "test_image_cache.moc"
