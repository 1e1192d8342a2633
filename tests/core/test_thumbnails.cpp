#include "images/thumbnails.h"

#include "testdata.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

using namespace crowdsift;

namespace fs = std::filesystem;

namespace {

const QString labelmeTrain = QStringLiteral("datasets/labelme/datasets/labelme/train");

// The 1000 LabelMe JPEGs (256 x 256), sorted by path.
std::vector<std::string> labelmeImages()
{
    std::vector<std::string> paths;
    for (const auto& entry : fs::recursive_directory_iterator(crowdsift::testing::sharedPath(labelmeTrain)))
        if (entry.is_regular_file() && entry.path().extension() == ".jpg")
            paths.push_back(entry.path().string());
    std::sort(paths.begin(), paths.end());
    return paths;
}

int pixelSize(Thumbnail::Format format)
{
    switch (format) {
    case Thumbnail::Format::Gray8:
        return 1;
    case Thumbnail::Format::Rgb8:
        return 3;
    case Thumbnail::Format::Rgba8:
        return 4;
    }
    return 0;
}

// Mean absolute difference of two same-shaped thumbnails over their visible bytes.
double meanAbsDiff(const Thumbnail& a, const Thumbnail& b)
{
    const int rowBytes = a.width * pixelSize(a.format);
    double sum = 0.0;
    for (int y = 0; y < a.height; ++y)
        for (int x = 0; x < rowBytes; ++x)
            sum += std::abs(int(a.pixels[std::size_t(y) * a.stride + x]) - int(b.pixels[std::size_t(y) * b.stride + x]));
    return sum / (double(rowBytes) * a.height);
}

bool samePixels(const Thumbnail& a, const Thumbnail& b)
{
    return a.width == b.width && a.height == b.height && a.stride == b.stride && a.format == b.format
           && a.pixels == b.pixels && a.error == b.error;
}

// A synthetic decoder: path "<n>" gives a 100 x 100 gray thumbnail filled with n % 256. It
// records every call and can hold the first one until opened.
class ObservedDecoder {
public:
    ThumbnailLoader::Decoder decoder()
    {
        return [this](const std::string& path, int) {
            std::unique_lock<std::mutex> lock(mutex_);
            calls_.push_back(std::stoi(path));
            changed_.notify_all();
            if (holdFirst_ && calls_.size() == 1)
                changed_.wait(lock, [this] { return open_; });
            lock.unlock();
            return make(std::stoi(path));
        };
    }

    static std::shared_ptr<Thumbnail> make(int value)
    {
        auto thumbnail = std::make_shared<Thumbnail>();
        thumbnail->width = 100;
        thumbnail->height = 100;
        thumbnail->stride = 100;
        thumbnail->format = Thumbnail::Format::Gray8;
        thumbnail->pixels.assign(100 * 100, std::uint8_t(value % 256));
        return thumbnail;
    }

    void holdFirst() { holdFirst_ = true; }

    bool waitForCalls(std::size_t count)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= count; });
    }

    void open()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

    std::vector<int> calls()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return calls_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<int> calls_;
    bool holdFirst_ = false;
    bool open_ = false;
};

// Opens the decoder's gate when the test leaves its scope, before the loader declared earlier
// joins its workers, so a failing check never leaves a worker blocked.
struct GateOpener {
    ObservedDecoder& decoder;
    ~GateOpener() { decoder.open(); }
};

std::vector<std::string> numberedPaths(int count)
{
    std::vector<std::string> paths;
    for (int i = 0; i < count; ++i)
        paths.push_back(std::to_string(i));
    return paths;
}

std::vector<int> range(int begin, int end)
{
    std::vector<int> items;
    for (int i = begin; i < end; ++i)
        items.push_back(i);
    return items;
}

}  // namespace

class TestThumbnails : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void decodesLabelMeJpegAtReducedScale();
    void sizeAndAspect_data();
    void sizeAndAspect();
    void channelOrderIsRgb();
    void cacheHitDoesNotDecodeAgain();
    void lruEvictionRespectsByteBound();
    void newRequestDropsStalePending();
    void newSourceDiscardsInFlightResult();
    void missingAndUnreadableBecomeFailedEntries();
    void requestOutsideSourceThrows();
    void destructorWhileBusyStopsCallbacks();
    void destructorWaitsForItemInFlightOnly();
    void sameResultsForOneAndTwoThreads();
};

void TestThumbnails::decodesLabelMeJpegAtReducedScale()
{
    CROWDSIFT_REQUIRE_SHARED(labelmeTrain);
    const std::vector<std::string> images = labelmeImages();
    QCOMPARE(images.size(), std::size_t(1000));

    ThumbnailDecodeOptions reduced;
    ThumbnailDecodeOptions full;
    full.reducedJpegDecode = false;
    for (std::size_t i = 0; i < images.size(); i += 97) {
        const auto fast = decodeThumbnail(images[i], reduced);
        const auto slow = decodeThumbnail(images[i], full);
        QVERIFY2(!fast->failed(), fast->error.c_str());
        QCOMPARE(fast->width, 128);
        QCOMPARE(fast->height, 128);
        QCOMPARE(fast->stride, 384);
        QCOMPARE(int(fast->format), int(Thumbnail::Format::Rgb8));
        QCOMPARE(fast->pixels.size(), std::size_t(128 * 384));
        QVERIFY(samePixels(*fast, *decodeThumbnail(images[i], reduced)));
        // libjpeg's DCT scaling against a full decode shrunk with INTER_AREA: the same picture.
        QVERIFY2(meanAbsDiff(*fast, *slow) < 3.0, qPrintable(QString::number(meanAbsDiff(*fast, *slow))));
    }
}

void TestThumbnails::sizeAndAspect_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("cvType");
    QTest::addColumn<int>("expectedWidth");
    QTest::addColumn<int>("expectedHeight");
    QTest::addColumn<int>("expectedFormat");

    const int gray = int(Thumbnail::Format::Gray8);
    const int rgb = int(Thumbnail::Format::Rgb8);
    const int rgba = int(Thumbnail::Format::Rgba8);
    QTest::newRow("wide colour png") << "wide.png" << 400 << 100 << CV_8UC3 << 128 << 32 << rgb;
    QTest::newRow("tall gray png") << "tall.png" << 100 << 400 << CV_8UC1 << 32 << 128 << gray;
    QTest::newRow("small gray png kept") << "mnist.png" << 28 << 28 << CV_8UC1 << 28 << 28 << gray;
    QTest::newRow("odd stride kept") << "odd.png" << 33 << 7 << CV_8UC3 << 33 << 7 << rgb;
    QTest::newRow("alpha png") << "alpha.png" << 300 << 200 << CV_8UC4 << 128 << 85 << rgba;
    QTest::newRow("16-bit gray png") << "deep.png" << 256 << 256 << CV_16UC1 << 128 << 128 << gray;
    QTest::newRow("big colour jpeg") << "big.jpg" << 1000 << 600 << CV_8UC3 << 128 << 77 << rgb;
    QTest::newRow("gray jpeg") << "gray.jpg" << 512 << 512 << CV_8UC1 << 128 << 128 << gray;
    QTest::newRow("extreme strip") << "strip.png" << 2000 << 3 << CV_8UC1 << 128 << 1 << gray;
}

void TestThumbnails::sizeAndAspect()
{
    QFETCH(QString, name);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, cvType);
    QFETCH(int, expectedWidth);
    QFETCH(int, expectedHeight);
    QFETCH(int, expectedFormat);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath(name).toStdString();
    const bool deep = CV_MAT_DEPTH(cvType) == CV_16U;
    const cv::Mat image(height, width, cvType, cv::Scalar::all(deep ? 40000 : 200));
    QVERIFY(cv::imwrite(path, image));

    const auto thumbnail = decodeThumbnail(path);
    QVERIFY2(!thumbnail->failed(), thumbnail->error.c_str());
    QCOMPARE(thumbnail->width, expectedWidth);
    QCOMPARE(thumbnail->height, expectedHeight);
    QCOMPARE(int(thumbnail->format), expectedFormat);
    QCOMPARE(thumbnail->stride % 4, 0);
    QVERIFY(thumbnail->stride >= thumbnail->width * pixelSize(thumbnail->format));
    QCOMPARE(thumbnail->pixels.size(), std::size_t(thumbnail->stride) * thumbnail->height);
    // A flat image stays flat (JPEG may move it by a level or two); 16 bits scale to 8.
    const int expectedValue = deep ? 40000 / 257 : 200;
    const std::uint8_t centre = thumbnail->pixels[std::size_t(thumbnail->height / 2) * thumbnail->stride];
    QVERIFY2(std::abs(int(centre) - expectedValue) <= 2, qPrintable(QString::number(centre)));
}

void TestThumbnails::channelOrderIsRgb()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("halves.png").toStdString();
    cv::Mat image(100, 400, CV_8UC3, cv::Scalar(0, 0, 255));  // BGR: red
    image(cv::Rect(200, 0, 200, 100)).setTo(cv::Scalar(255, 0, 0));  // blue right half
    QVERIFY(cv::imwrite(path, image));

    const auto thumbnail = decodeThumbnail(path);
    QVERIFY2(!thumbnail->failed(), thumbnail->error.c_str());
    QCOMPARE(thumbnail->width, 128);
    const std::uint8_t* row = thumbnail->pixels.data() + std::size_t(16) * thumbnail->stride;
    QCOMPARE(int(row[0]), 255);
    QCOMPARE(int(row[1]), 0);
    QCOMPARE(int(row[2]), 0);
    const std::uint8_t* right = row + 3 * 127;
    QCOMPARE(int(right[0]), 0);
    QCOMPARE(int(right[1]), 0);
    QCOMPARE(int(right[2]), 255);
}

void TestThumbnails::cacheHitDoesNotDecodeAgain()
{
    ObservedDecoder observed;
    ThumbnailLoader loader(2, ThumbnailLoader::defaultCacheBytes, 128, observed.decoder());
    std::atomic<int> ready{0};
    loader.setOnReady([&](int) { ++ready; });
    loader.setSource("", numberedPaths(50));

    loader.request(range(0, 20));
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(loader.stats().decoded, 20LL);
    QCOMPARE(ready.load(), 20);

    loader.request(range(10, 30));
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(loader.stats().decoded, 30LL);
    QCOMPARE(ready.load(), 30);
    QCOMPARE(loader.stats().cacheHits, 10LL);

    std::vector<int> calls = observed.calls();
    std::sort(calls.begin(), calls.end());
    QCOMPARE(calls, range(0, 30));

    const auto thumbnail = loader.thumbnail(7);
    QVERIFY(thumbnail);
    QCOMPARE(int(thumbnail->pixels[0]), 7);
    QVERIFY(!loader.thumbnail(40));
    QCOMPARE(loader.stats().decoded, 30LL);
}

void TestThumbnails::lruEvictionRespectsByteBound()
{
    const std::size_t entryBytes = ObservedDecoder::make(0)->byteCount();
    const std::size_t bound = 5 * entryBytes + entryBytes / 2;
    ObservedDecoder observed;
    ThumbnailLoader loader(1, bound, 128, observed.decoder());
    loader.setSource("", numberedPaths(20));

    loader.request(range(0, 10));
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(loader.cachedCount(), std::size_t(5));
    QCOMPARE(loader.cacheBytes(), 5 * entryBytes);
    QVERIFY(loader.cacheBytes() <= loader.cacheLimit());
    QCOMPARE(loader.stats().evicted, 5LL);
    for (int item = 0; item < 5; ++item)
        QVERIFY(!loader.thumbnail(item));

    // Touching 5 makes 6 the least recently used entry, so 6 goes first.
    QVERIFY(loader.thumbnail(5));
    loader.request({10});
    QVERIFY(loader.waitUntilIdle(10000));
    QVERIFY(loader.thumbnail(5));
    QVERIFY(!loader.thumbnail(6));
    QVERIFY(loader.thumbnail(10));
    QVERIFY(loader.cacheBytes() <= bound);

    // A request marks its cached items recent: asking for 7 and 8 again keeps them over 9.
    loader.request({7, 8, 11});
    QVERIFY(loader.waitUntilIdle(10000));
    QVERIFY(loader.thumbnail(7));
    QVERIFY(loader.thumbnail(8));
    QVERIFY(!loader.thumbnail(9));
    QVERIFY(loader.cacheBytes() <= bound);
}

void TestThumbnails::newRequestDropsStalePending()
{
    ObservedDecoder observed;
    observed.holdFirst();
    ThumbnailLoader loader(1, ThumbnailLoader::defaultCacheBytes, 128, observed.decoder());
    GateOpener opener{observed};
    loader.setSource("", numberedPaths(100));

    loader.request(range(0, 10));
    QVERIFY(observed.waitForCalls(1));
    // The viewport moved while item 0 decodes: 1..9 must never be decoded.
    loader.request(range(50, 55));
    observed.open();
    QVERIFY(loader.waitUntilIdle(10000));

    std::vector<int> expected{0};
    const std::vector<int> page = range(50, 55);
    expected.insert(expected.end(), page.begin(), page.end());
    QCOMPARE(observed.calls(), expected);
    QCOMPARE(loader.stats().dropped, 9LL);
    QVERIFY(loader.thumbnail(0));
    QVERIFY(!loader.thumbnail(1));
}

void TestThumbnails::newSourceDiscardsInFlightResult()
{
    ObservedDecoder observed;
    observed.holdFirst();
    ThumbnailLoader loader(1, ThumbnailLoader::defaultCacheBytes, 128, observed.decoder());
    GateOpener opener{observed};
    std::atomic<int> ready{0};
    loader.setOnReady([&](int) { ++ready; });
    loader.setSource("", numberedPaths(10));

    loader.request({3});
    QVERIFY(observed.waitForCalls(1));
    loader.setSource("", {"7", "8", "9", "6"});
    observed.open();
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(loader.stats().stale, 1LL);
    QCOMPARE(ready.load(), 0);
    QVERIFY(!loader.thumbnail(3));

    loader.request({3});
    QVERIFY(loader.waitUntilIdle(10000));
    const auto thumbnail = loader.thumbnail(3);
    QVERIFY(thumbnail);
    QCOMPARE(int(thumbnail->pixels[0]), 6);
}

void TestThumbnails::missingAndUnreadableBecomeFailedEntries()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    {
        QFile text(dir.filePath("notes.png"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("this is not a PNG\n");
    }
    {
        QFile truncated(dir.filePath("cut.jpg"));
        QVERIFY(truncated.open(QIODevice::WriteOnly));
        truncated.write(QByteArray::fromHex("ffd8ffe000104a46494600"));
    }
    QVERIFY(cv::imwrite(dir.filePath("fine.png").toStdString(), cv::Mat(10, 20, CV_8UC1, cv::Scalar(9))));

    ThumbnailLoader loader(2);
    std::atomic<int> ready{0};
    loader.setOnReady([&](int) { ++ready; });
    loader.setSource(dir.path().toStdString(), {"missing.png", "", "notes.png", "cut.jpg", "fine.png"});
    loader.request(range(0, 5));
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(ready.load(), 5);

    QVERIFY(loader.thumbnail(0)->failed());
    QVERIFY(QString::fromStdString(loader.failureReason(0)).contains("missing.png: file not found"));
    QVERIFY(QString::fromStdString(loader.failureReason(1)).contains("no image path"));
    QVERIFY(QString::fromStdString(loader.failureReason(2)).contains("notes.png: not a readable image"));
    QVERIFY(QString::fromStdString(loader.failureReason(3)).contains("cut.jpg:"));
    QVERIFY(loader.failureReason(4).empty());
    QCOMPARE(loader.thumbnail(4)->width, 20);
    QCOMPARE(loader.stats().failed, 4LL);
    QCOMPARE(loader.stats().decoded, 4LL);

    // Failed entries are cached: asking again decodes nothing.
    loader.request(range(0, 5));
    QVERIFY(loader.waitUntilIdle(10000));
    QCOMPARE(loader.stats().decoded, 4LL);
    QCOMPARE(ready.load(), 5);
}

void TestThumbnails::requestOutsideSourceThrows()
{
    ThumbnailLoader loader(1);
    loader.setSource("", numberedPaths(3));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, loader.request({0, 3}));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, loader.request({-1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ThumbnailLoader(0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ThumbnailLoader(1, 1024, 0));
}

void TestThumbnails::destructorWhileBusyStopsCallbacks()
{
    CROWDSIFT_REQUIRE_SHARED(labelmeTrain);
    const std::vector<std::string> images = labelmeImages();
    auto ready = std::make_shared<std::atomic<int>>(0);
    {
        ThumbnailLoader loader(2);
        loader.setOnReady([ready](int) { ++*ready; });
        loader.setSource("", images);
        loader.request(range(0, int(images.size())));
    }
    const int readyAtDestruction = ready->load();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    QCOMPARE(ready->load(), readyAtDestruction);
}

void TestThumbnails::destructorWaitsForItemInFlightOnly()
{
    ObservedDecoder observed;
    observed.holdFirst();
    std::atomic<int> ready{0};
    std::thread opener;
    {
        ThumbnailLoader loader(1, ThumbnailLoader::defaultCacheBytes, 128, observed.decoder());
        loader.setOnReady([&](int) { ++ready; });
        loader.setSource("", numberedPaths(100));
        loader.request(range(0, 100));
        QVERIFY(observed.waitForCalls(1));
        opener = std::thread([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            observed.open();
        });
    }
    opener.join();
    // The held item may finish; the 99 queued behind it are dropped, whatever the timing.
    QVERIFY(observed.calls().size() < 100);
    QVERIFY(ready.load() < 100);
}

void TestThumbnails::sameResultsForOneAndTwoThreads()
{
    CROWDSIFT_REQUIRE_SHARED(labelmeTrain);
    std::vector<std::string> images = labelmeImages();
    images.resize(120);

    ThumbnailLoader one(1);
    ThumbnailLoader two(2);
    for (ThumbnailLoader* loader : {&one, &two}) {
        loader->setSource("", images);
        loader->request(range(0, int(images.size())));
    }
    QVERIFY(one.waitUntilIdle(60000));
    QVERIFY(two.waitUntilIdle(60000));
    QCOMPARE(one.cachedCount(), images.size());
    QCOMPARE(two.cachedCount(), images.size());
    for (int item = 0; item < int(images.size()); ++item) {
        const auto a = one.thumbnail(item);
        const auto b = two.thumbnail(item);
        QVERIFY(a && b);
        QVERIFY2(!a->failed(), a->error.c_str());
        QVERIFY(samePixels(*a, *b));
    }
}

QTEST_APPLESS_MAIN(TestThumbnails)
#include "test_thumbnails.moc"
