#include "thumbnailprovider.h"
#include "testdata.h"

#include "data/dataset.h"
#include "images/thumbnails.h"

#include <QColor>
#include <QDir>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

using namespace crowdsift;

namespace {

constexpr int kWaitMs = 20000;

// Writes a w x h PNG, left half `left`, right half `right`; returns its file name.
QString writeHalves(const QTemporaryDir& dir, const QString& name, int w, int h, QColor left, QColor right)
{
    QImage image(w, h, QImage::Format_RGB32);
    image.fill(left);
    for (int y = 0; y < h; ++y)
        for (int x = w / 2; x < w; ++x)
            image.setPixelColor(x, y, right);
    const bool saved = image.save(dir.filePath(name), "PNG");
    return saved ? name : QString();
}

QVector<int> range(int begin, int end)
{
    QVector<int> items;
    for (int i = begin; i < end; ++i)
        items.push_back(i);
    return items;
}

}  // namespace

class TestThumbnailProvider : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void deliversImagesSharingThePixels();
    void signalArrivesOnGuiThread();
    void failedItemIsAnnouncedWithReason();
    void requestsWithinIntervalCollapse();
    void readsDatasetSource();
    void requestOutsideSourceThrows();
    void destroyedWhileBusy();
    void qtDecoderAgreesWithOpenCv();
};

void TestThumbnailProvider::deliversImagesSharingThePixels()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString wide = writeHalves(dir, "wide.png", 300, 150, Qt::red, Qt::blue);
    const QString small = writeHalves(dir, "small.png", 28, 28, Qt::green, Qt::green);
    QVERIFY(!wide.isEmpty() && !small.isEmpty());

    ThumbnailProvider provider;
    QSignalSpy ready(&provider, &ThumbnailProvider::thumbnailReady);
    provider.setSource(dir.path().toStdString(), {wide.toStdString(), small.toStdString()});
    QVERIFY(provider.image(0).isNull());
    provider.request({0, 1});
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, kWaitMs);

    const QImage image = provider.image(0);
    QCOMPARE(image.size(), QSize(128, 64));
    QCOMPARE(image.format(), QImage::Format_RGB888);
    QCOMPARE(image.pixelColor(5, 30), QColor(Qt::red));
    QCOMPARE(image.pixelColor(122, 30), QColor(Qt::blue));
    // Zero copy: the image reads the loader's buffer.
    QCOMPARE(static_cast<const void*>(image.constBits()),
             static_cast<const void*>(provider.loader().thumbnail(0)->pixels.data()));
    QCOMPARE(provider.image(1).size(), QSize(28, 28));
    QCOMPARE(provider.pixmap(0).size(), QSize(128, 64));
    QCOMPARE(provider.pixmap(0).toImage().pixelColor(5, 30), QColor(Qt::red));
    QVERIFY(!provider.isFailed(0));
    QVERIFY(provider.failureReason(0).isEmpty());

    // The image keeps its pixels alive after the cache forgets them.
    provider.setSource(dir.path().toStdString(), {});
    QVERIFY(!provider.loader().thumbnail(0));
    QVERIFY(provider.pixmap(0).isNull());
    QCOMPARE(image.pixelColor(122, 30), QColor(Qt::blue));
}

void TestThumbnailProvider::signalArrivesOnGuiThread()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::vector<std::string> paths;
    for (int i = 0; i < 8; ++i)
        paths.push_back(writeHalves(dir, QString("img%1.png").arg(i), 200, 200, Qt::gray, Qt::white).toStdString());

    ThumbnailProvider provider;
    provider.setSource(dir.path().toStdString(), paths);
    int received = 0;
    bool allOnGuiThread = true;
    QThread* const guiThread = QThread::currentThread();
    connect(&provider, &ThumbnailProvider::thumbnailReady, &provider,
            [&](int) {
                ++received;
                allOnGuiThread = allOnGuiThread && QThread::currentThread() == guiThread;
            },
            Qt::DirectConnection);
    provider.request(range(0, 8));
    QTRY_COMPARE_WITH_TIMEOUT(received, 8, kWaitMs);
    QVERIFY(allOnGuiThread);
}

void TestThumbnailProvider::failedItemIsAnnouncedWithReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ThumbnailProvider provider;
    QSignalSpy ready(&provider, &ThumbnailProvider::thumbnailReady);
    provider.setSource(dir.path().toStdString(), {"gone.jpg", ""});
    provider.request({0, 1});
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, kWaitMs);

    QVERIFY(provider.isFailed(0));
    QVERIFY(provider.failureReason(0).contains("gone.jpg: file not found"));
    QVERIFY(provider.image(0).isNull());
    QVERIFY(provider.pixmap(0).isNull());
    QVERIFY(provider.isFailed(1));
    QVERIFY(provider.failureReason(1).contains("no image path"));

    // Not retried while the source stays the same.
    provider.setRequestInterval(0);
    provider.request({0, 1});
    QTest::qWait(50);
    QCOMPARE(ready.count(), 2);
    QCOMPARE(provider.loader().stats().decoded, 1LL);
}

void TestThumbnailProvider::requestsWithinIntervalCollapse()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::vector<std::string> paths;
    for (int i = 0; i < 4; ++i)
        paths.push_back(writeHalves(dir, QString("img%1.png").arg(i), 64, 64, Qt::black, Qt::white).toStdString());

    ThumbnailProvider provider;
    provider.setRequestInterval(200);
    QSignalSpy ready(&provider, &ThumbnailProvider::thumbnailReady);
    provider.setSource(dir.path().toStdString(), paths);

    provider.request({0});  // goes out at once
    provider.request({1});  // superseded before the interval ends
    provider.request({2});
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, kWaitMs);
    QVERIFY(!provider.image(0).isNull());
    QVERIFY(provider.image(1).isNull());
    QVERIFY(!provider.image(2).isNull());
    QCOMPARE(provider.loader().stats().decoded, 2LL);
}

void TestThumbnailProvider::readsDatasetSource()
{
    const QString labelme = QStringLiteral("datasets/labelme/datasets/labelme");
    CROWDSIFT_REQUIRE_SHARED(labelme);
    Dataset dataset;
    dataset.root = crowdsift::testing::sharedPath(labelme);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dataset.root + "/train"))
        if (entry.path().extension() == ".jpg")
            dataset.imagePaths.push_back(std::filesystem::relative(entry.path(), dataset.root).string());
    std::sort(dataset.imagePaths.begin(), dataset.imagePaths.end());
    QCOMPARE(dataset.imagePaths.size(), std::size_t(1000));

    ThumbnailProvider provider;
    QSignalSpy ready(&provider, &ThumbnailProvider::thumbnailReady);
    provider.setSource(dataset);
    QCOMPARE(provider.itemCount(), 1000);
    provider.request(range(0, 40));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 40, kWaitMs);
    for (int item = 0; item < 40; ++item) {
        QCOMPARE(provider.image(item).size(), QSize(128, 128));
        QCOMPARE(provider.pixmap(item).size(), QSize(128, 128));
    }
}

void TestThumbnailProvider::requestOutsideSourceThrows()
{
    ThumbnailProvider provider;
    provider.setSource("", {"a.png", "b.png"});
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, provider.request({2}));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, provider.request({-1}));
}

void TestThumbnailProvider::destroyedWhileBusy()
{
    const QString labelme = QStringLiteral("datasets/labelme/datasets/labelme");
    CROWDSIFT_REQUIRE_SHARED(labelme);
    std::vector<std::string> paths;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(crowdsift::testing::sharedPath(labelme + "/train")))
        if (entry.path().extension() == ".jpg")
            paths.push_back(entry.path().string());

    int received = 0;
    QObject receiver;
    auto* provider = new ThumbnailProvider;
    connect(provider, &ThumbnailProvider::thumbnailReady, &receiver, [&](int) { ++received; });
    provider->setSource("", paths);
    provider->request(range(0, int(paths.size())));
    QTest::qWait(10);
    delete provider;
    const int atDestruction = received;
    QTest::qWait(50);
    QCOMPARE(received, atDestruction);
}

// The GUI decodes with Qt (no OpenCV at start-up); the command line and the report with OpenCV
// (decodeThumbnail). Both give the same thumbnail: size, pixel format, and pixels within a few
// levels (the two shrink differently), and both refuse a damaged file naming it.
void TestThumbnailProvider::qtDecoderAgreesWithOpenCv()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QImage gray(200, 100, QImage::Format_Grayscale8);
    for (int y = 0; y < gray.height(); ++y)
        for (int x = 0; x < gray.width(); ++x)
            gray.scanLine(y)[x] = static_cast<uchar>((x + y) % 256);
    QVERIFY(gray.save(dir.filePath("gray.png"), "PNG"));
    QImage alpha(64, 48, QImage::Format_ARGB32);
    for (int y = 0; y < alpha.height(); ++y)
        for (int x = 0; x < alpha.width(); ++x)
            alpha.setPixelColor(x, y, QColor(4 * x, 5 * y, 128, 255 - 3 * x));
    QVERIFY(alpha.save(dir.filePath("alpha.png"), "PNG"));
    QImage photo(640, 480, QImage::Format_RGB32);
    for (int y = 0; y < photo.height(); ++y)
        for (int x = 0; x < photo.width(); ++x)
            photo.setPixelColor(x, y, QColor(x * 255 / 639, y * 255 / 479, (x + y) * 255 / 1118));
    QVERIFY(photo.save(dir.filePath("photo.jpg"), "JPEG", 95));
    {
        QFile damaged(dir.filePath("damaged.jpg"));
        QVERIFY(damaged.open(QIODevice::WriteOnly));
        damaged.write("\xff\xd8\xff\xe0 not really a JPEG");
    }

    struct Case {
        const char* file;
        int width;
        int height;
        Thumbnail::Format format;
    };
    for (const Case& c : {Case{"gray.png", 128, 64, Thumbnail::Format::Gray8},
                          Case{"alpha.png", 64, 48, Thumbnail::Format::Rgba8},
                          Case{"photo.jpg", 128, 96, Thumbnail::Format::Rgb8}}) {
        const std::string path = dir.filePath(c.file).toStdString();
        const std::shared_ptr<Thumbnail> qt = ThumbnailProvider::decode(path, 128);
        const std::shared_ptr<Thumbnail> cv = decodeThumbnailAt(path, 128);
        QVERIFY2(!qt->failed(), qt->error.c_str());
        QVERIFY2(!cv->failed(), cv->error.c_str());
        QCOMPARE(qt->width, c.width);
        QCOMPARE(qt->height, c.height);
        QCOMPARE(cv->width, c.width);
        QCOMPARE(cv->height, c.height);
        QVERIFY2(qt->format == c.format, c.file);
        QVERIFY2(cv->format == c.format, c.file);
        QCOMPARE(qt->stride, cv->stride);
        const int channels = c.format == Thumbnail::Format::Gray8 ? 1 : c.format == Thumbnail::Format::Rgb8 ? 3 : 4;
        double difference = 0;
        for (int y = 0; y < c.height; ++y)
            for (int x = 0; x < c.width * channels; ++x) {
                const std::size_t at = std::size_t(y) * qt->stride + x;
                difference += std::abs(int(qt->pixels[at]) - int(cv->pixels[at]));
            }
        difference /= double(c.width) * c.height * channels;
        QVERIFY2(difference < 3.0, qPrintable(QStringLiteral("%1: mean difference %2").arg(c.file).arg(difference)));
    }
    const std::string damaged = dir.filePath("damaged.jpg").toStdString();
    const std::shared_ptr<Thumbnail> qt = ThumbnailProvider::decode(damaged, 128);
    QVERIFY(qt->failed());
    QVERIFY2(qt->error.rfind(damaged + ": not a readable image", 0) == 0, qt->error.c_str());
    QVERIFY(decodeThumbnailAt(damaged, 128)->failed());
}

QTEST_MAIN(TestThumbnailProvider)
#include "test_thumbnailprovider.moc"
