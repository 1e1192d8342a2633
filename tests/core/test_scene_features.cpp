#include "images/scene_features.h"

#include "util/error.h"

#include "image_dataset.h"
#include "input_error.h"
#include "testdata.h"

#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace fs = std::filesystem;

namespace {

// side x side gray sinusoid with `cycles` periods across the image, varying along x
// (vertical stripes) or along y (horizontal stripes).
cv::Mat stripes(int side, int cycles, bool vertical)
{
    cv::Mat image(side, side, CV_8UC1);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            const double phase = 2.0 * 3.14159265358979 * cycles * (vertical ? x : y) / side;
            image.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(std::lround(128.0 + 100.0 * std::sin(phase)));
        }
    return image;
}

std::vector<float> describe(const SceneDescriptor& descriptor, const cv::Mat& image)
{
    std::vector<float> out(static_cast<std::size_t>(descriptor.dimension()));
    descriptor.compute(image.ptr<std::uint8_t>(), image.rows, image.cols, image.channels(), out.data(), image.step);
    return out;
}

// Gabor energy of one orientation summed over scales and cells.
double orientationEnergy(const SceneDescriptor& descriptor, const SceneFeatureOptions& o,
                         const std::vector<float>& d, int orientation)
{
    double sum = 0;
    for (int s = 0; s < o.scales; ++s)
        for (int r = 0; r < o.grid; ++r)
            for (int c = 0; c < o.grid; ++c)
                sum += d[static_cast<std::size_t>(descriptor.gistIndex(s, orientation, r, c))];
    return sum;
}

// A few textured colour images and one gray one, so that every feature varies.
std::vector<std::string> writeFixtures(const std::string& root)
{
    std::vector<std::string> names;
    for (int i = 0; i < 4; ++i) {
        cv::Mat image(48 + 8 * i, 64, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::circle(image, cv::Point(20 + 5 * i, 20), 10 + i, cv::Scalar(255, 40 * i, 0), -1);
        names.push_back("img" + std::to_string(i) + ".png");
        cv::imwrite(root + "/" + names.back(), image);
    }
    cv::imwrite(root + "/stripes.jpg", stripes(96, 12, true));
    names.push_back("stripes.jpg");
    return names;
}

}  // namespace

class TestSceneFeatures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dimensionAndLayout()
    {
        SceneFeatureOptions o;
        QCOMPARE(o.dimension(), 4 * 8 * 16 + 3 * 16);
        o.colour = false;
        QCOMPARE(o.dimension(), 512);
        const SceneDescriptor descriptor(o);
        QCOMPARE(descriptor.dimension(), 512);
        QCOMPARE(descriptor.gistIndex(0, 0, 0, 0), 0);
        QCOMPARE(descriptor.gistIndex(0, 1, 0, 0), 16);
        QCOMPARE(descriptor.gistIndex(1, 0, 2, 3), 8 * 16 + 2 * 4 + 3);
        QCOMPARE(descriptor.gistIndex(3, 7, 3, 3), 511);
    }

    void uniformImageHasNoGaborEnergy_data()
    {
        QTest::addColumn<int>("value");
        QTest::addColumn<double>("lightness");
        QTest::newRow("black") << 0 << 0.0;
        QTest::newRow("white") << 255 << 100.0;
        QTest::newRow("gray") << 128 << -1.0;
    }
    void uniformImageHasNoGaborEnergy()
    {
        QFETCH(int, value);
        QFETCH(double, lightness);
        SceneFeatureOptions o;
        o.size = 64;
        const SceneDescriptor descriptor(o);
        const std::vector<float> d = describe(descriptor, cv::Mat(50, 70, CV_8UC3, cv::Scalar::all(value)));
        const int gist = o.scales * o.orientations * o.grid * o.grid;
        for (int i = 0; i < gist; ++i) {
            const float value = d[static_cast<std::size_t>(i)];
            QVERIFY2(std::abs(value) < 1e-4f, qPrintable(QString::number(value)));
        }
        for (int cell = 0; cell < o.grid * o.grid; ++cell) {
            const float* lab = d.data() + gist + 3 * cell;
            if (lightness >= 0)
                QVERIFY(std::abs(lab[0] - lightness) < 0.5);
            else
                QVERIFY(lab[0] > 10 && lab[0] < 90);
            QVERIFY(std::abs(lab[1]) < 0.5 && std::abs(lab[2]) < 0.5);
        }
    }

    void stripesPutEnergyInTheirOrientation_data()
    {
        QTest::addColumn<bool>("vertical");
        QTest::addColumn<int>("orientation");
        QTest::newRow("vertical stripes: horizontal frequency") << true << 0;
        QTest::newRow("rotated by 90 degrees: vertical frequency") << false << 4;
    }
    void stripesPutEnergyInTheirOrientation()
    {
        QFETCH(bool, vertical);
        QFETCH(int, orientation);
        SceneFeatureOptions o;
        o.colour = false;
        const SceneDescriptor descriptor(o);
        // 20 cycles over 128 px: 0.156 cycles per pixel, the centre of scale 1.
        const std::vector<float> d = describe(descriptor, stripes(128, 20, vertical));
        std::vector<double> energy;
        for (int k = 0; k < o.orientations; ++k)
            energy.push_back(orientationEnergy(descriptor, o, d, k));
        const auto best = std::max_element(energy.begin(), energy.end()) - energy.begin();
        QCOMPARE(static_cast<int>(best), orientation);
        const double across = energy[static_cast<std::size_t>((orientation + 4) % 8)];
        QVERIFY(energy[static_cast<std::size_t>(orientation)] > 10 * across);
        double perScale[4] = {0, 0, 0, 0};
        for (int s = 0; s < o.scales; ++s)
            for (int r = 0; r < o.grid; ++r)
                for (int c = 0; c < o.grid; ++c)
                    perScale[s] += d[static_cast<std::size_t>(descriptor.gistIndex(s, orientation, r, c))];
        QCOMPARE(static_cast<int>(std::max_element(perScale, perScale + 4) - perScale), 1);
        // A texture covering the whole image gives every cell about the same energy.
        const float first = d[static_cast<std::size_t>(descriptor.gistIndex(1, orientation, 0, 0))];
        const float centre = d[static_cast<std::size_t>(descriptor.gistIndex(1, orientation, 1, 2))];
        QVERIFY(std::abs(first - centre) < 0.2f * centre);
    }

    // Coasts are dominated by the horizon and flat water (horizontal structure, vertical
    // frequency), tall buildings by their walls and windows (vertical structure): on real LabelMe
    // photographs the ratio of horizontal-frequency to vertical-frequency energy must separate them.
    void realScenesSortByOrientation()
    {
        const QString folder = "datasets/labelme/datasets/labelme/train";
        CROWDSIFT_REQUIRE_SHARED(folder + "/coast");
        CROWDSIFT_REQUIRE_SHARED(folder + "/tallbuilding");
        const std::string root = testing::sharedPath(folder);
        std::vector<std::string> images;
        for (const char* cls : {"coast", "tallbuilding"}) {
            std::vector<std::string> names;
            for (const auto& entry : fs::directory_iterator(root + "/" + cls))
                names.push_back(std::string(cls) + "/" + entry.path().filename().string());
            std::sort(names.begin(), names.end());
            QVERIFY(names.size() >= 10);
            images.insert(images.end(), names.begin(), names.begin() + 10);
        }
        QTemporaryDir dir;
        SceneFeatureOptions o;
        o.colour = false;
        const SceneFeatures f = buildSceneFeatures(imageDataset(root, images), dir.path().toStdString(), o);
        const SceneDescriptor descriptor(o);
        double logRatio[2] = {0, 0};
        int vertical[2] = {0, 0};
        for (int i = 0; i < 20; ++i) {
            const std::vector<float> d(f.features.row(i).data(), f.features.row(i).data() + f.features.cols());
            const double ratio = orientationEnergy(descriptor, o, d, 0) / orientationEnergy(descriptor, o, d, 4);
            logRatio[i / 10] += std::log(ratio) / 10;
            vertical[i / 10] += ratio > 1;
        }
        QVERIFY2(logRatio[0] < 0 && logRatio[1] > 0,
                 qPrintable(QString("mean log ratio coast %1, tallbuilding %2").arg(logRatio[0]).arg(logRatio[1])));
        QVERIFY2(vertical[0] <= 2 && vertical[1] >= 8,
                 qPrintable(QString("vertical-structure images: coast %1, tallbuilding %2")
                                .arg(vertical[0])
                                .arg(vertical[1])));
    }

    void datasetMatrixIsIndependentOfThreads()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        std::vector<std::string> images = writeFixtures(root);
        images.push_back("");
        const Dataset d = imageDataset(root, images);
        SceneFeatureOptions o;
        o.size = 64;
        o.threads = 1;
        const SceneFeatures one = buildSceneFeatures(d, root + "/one", o);
        o.threads = 2;
        const SceneFeatures two = buildSceneFeatures(d, root + "/two", o);
        QCOMPARE(one.features.rows(), Eigen::Index(6));
        QCOMPARE(one.features.cols(), Eigen::Index(o.dimension()));
        QCOMPARE(one.key, two.key);
        QVERIFY(!one.reused && !two.reused);
        QCOMPARE(std::memcmp(one.features.data(), two.features.data(), sizeof(float) * one.features.size()), 0);
        QCOMPARE(one.missingImages, std::vector<int>{5});
        QVERIFY(one.features.row(5).isZero());
        QVERIFY(one.features.row(0).norm() > 0);
        QVERIFY((one.features.row(0) - one.features.row(1)).norm() > 0);
    }

    void secondCallReusesTheCache()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const Dataset d = imageDataset(root, writeFixtures(root));
        SceneFeatureOptions o;
        o.size = 48;
        const SceneFeatures first = buildSceneFeatures(d, root + "/cache", o);
        QVERIFY(!first.reused);
        QCOMPARE(first.path, root + "/cache/gist-" + first.key + ".npy");
        QVERIFY(QFileInfo::exists(QString::fromStdString(first.path)));
        const SceneFeatures second = buildSceneFeatures(d, root + "/cache", o);
        QVERIFY(second.reused);
        QVERIFY(second.features == first.features);

        o.grid = 2;
        const SceneFeatures coarser = buildSceneFeatures(d, root + "/cache", o);
        QVERIFY(!coarser.reused);
        QVERIFY(coarser.key != first.key);
        QCOMPARE(coarser.features.cols(), Eigen::Index(4 * 8 * 4 + 3 * 4));

        // A changed image changes the key.
        cv::imwrite(root + "/img0.png", cv::Mat(20, 20, CV_8UC3, cv::Scalar(1, 2, 3)));
        o.grid = 4;
        QVERIFY(buildSceneFeatures(d, root + "/cache", o).key != first.key);
    }

    void badImagesNameFileAndItem_data()
    {
        QTest::addColumn<bool>("corrupt");
        QTest::newRow("missing") << false;
        QTest::newRow("corrupt") << true;
    }
    void badImagesNameFileAndItem()
    {
        QFETCH(bool, corrupt);
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        std::vector<std::string> images = writeFixtures(root);
        images.push_back("bad.png");
        if (corrupt)
            std::ofstream(root + "/bad.png") << "not a png";
        const Dataset d = imageDataset(root, images);
        const QString message =
            inputErrorOf([&] { buildSceneFeatures(d, root + "/cache", SceneFeatureOptions{}); });
        QVERIFY2(message.contains("bad.png") && message.contains("item5"), qPrintable(message));
        QVERIFY(message.contains(corrupt ? "not a readable image" : "not found"));
    }

    void invalidInputsAreRejected()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        QVERIFY(inputErrorOf([&] { buildSceneFeatures(imageDataset(root, {"", ""}), root, {}); })
                    .contains("no images"));
        SceneFeatureOptions o;
        o.size = 8;
        QVERIFY(inputErrorOf([&] { SceneDescriptor{o}; }).contains("size 8"));
        o = {};
        o.orientations = 0;
        QVERIFY(inputErrorOf([&] { SceneDescriptor{o}; }).contains("orientations 0"));
    }

    void cancelStopsTheJob()
    {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const Dataset d = imageDataset(root, writeFixtures(root));
        Progress progress;
        progress.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, buildSceneFeatures(d, root + "/cache", SceneFeatureOptions{}, progress));
        QVERIFY(!QFileInfo::exists(QString::fromStdString(root + "/cache")));
    }
};

QTEST_APPLESS_MAIN(TestSceneFeatures)
#include "test_scene_features.moc"
