#include "analysis/tsne.h"
#include "util/error.h"
#include "util/random.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <vector>

using namespace crowdsift;

namespace {

// n points per cluster around `clusters` centres on the axes of a d-dimensional space, `gap` apart,
// standard normal noise (Box-Muller on the portable uniforms).
std::vector<float> gaussianClusters(int clusters, int perCluster, int d, double gap, std::uint64_t seed)
{
    PortableRandom random(seed);
    std::vector<float> x;
    for (int c = 0; c < clusters; ++c)
        for (int i = 0; i < perCluster; ++i)
            for (int j = 0; j < d; ++j) {
                const double u = 1.0 - random.uniform(), v = random.uniform();
                const double noise = std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
                x.push_back(static_cast<float>((j == c % d ? gap * (1 + c / d) : 0.0) + noise));
            }
    return x;
}

// Share of points whose nearest neighbour in the map belongs to their own cluster.
double nearestSameCluster(const std::vector<float>& y, int perCluster)
{
    const std::size_t n = y.size() / 2;
    int same = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double best = INFINITY;
        std::size_t nearest = 0;
        for (std::size_t j = 0; j < n; ++j) {
            if (j == i)
                continue;
            const double d = std::pow(y[2 * i] - y[2 * j], 2) + std::pow(y[2 * i + 1] - y[2 * j + 1], 2);
            if (d < best) {
                best = d;
                nearest = j;
            }
        }
        same += static_cast<int>(i) / perCluster == static_cast<int>(nearest) / perCluster;
    }
    return static_cast<double>(same) / n;
}

double entropy(const std::vector<double>& p)
{
    double h = 0.0;
    for (double v : p)
        if (v > 0)
            h -= v * std::log(v);
    return h;
}

}  // namespace

class TestTsne : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void calibrationHitsTheTargetEntropy_data();
    void calibrationHitsTheTargetEntropy();
    void calibrationOfEqualDistancesIsUniform();
    void exactGradientMatchesFiniteDifferences();
    void exactAffinitiesAreSymmetricAndSumToOne();
    void fftRepulsionMatchesTheExactSum();
    void separatedClustersStaySeparated_data();
    void separatedClustersStaySeparated();
    void sameSeedSameCoordinates_data();
    void sameSeedSameCoordinates();
    void cancelStopsWithinOneIteration();
    void trustworthinessMatchesScikitLearn();
    void trustworthinessOfAnIsometryIsOne();
    void badInputIsRefused();
};

void TestTsne::calibrationHitsTheTargetEntropy_data()
{
    QTest::addColumn<double>("perplexity");
    QTest::addColumn<double>("scale");
    QTest::newRow("perplexity 5, unit distances") << 5.0 << 1.0;
    QTest::newRow("perplexity 30, unit distances") << 30.0 << 1.0;
    QTest::newRow("perplexity 30, raw pixel scale") << 30.0 << 1e6;
    QTest::newRow("perplexity 50, tiny distances") << 50.0 << 1e-6;
}

void TestTsne::calibrationHitsTheTargetEntropy()
{
    QFETCH(double, perplexity);
    QFETCH(double, scale);
    PortableRandom random(7);
    std::vector<double> dist2(150), p(150);
    for (double& d : dist2)
        d = scale * random.uniform(0.5, 10.0);
    const double beta = calibrateRow(dist2.data(), dist2.size(), perplexity, p.data());
    QVERIFY(beta > 0);
    double sum = 0;
    for (double v : p)
        sum += v;
    QVERIFY(std::abs(sum - 1.0) < 1e-12);
    QVERIFY2(std::abs(entropy(p) - std::log(perplexity)) < 1e-4,
             qPrintable(QString("entropy %1, target %2").arg(entropy(p)).arg(std::log(perplexity))));
    // The row is the Gaussian of that precision: p_j / p_0 = exp(-beta (d_j - d_0)).
    QVERIFY(std::abs(p[1] / p[0] - std::exp(-beta * (dist2[1] - dist2[0]))) < 1e-9 * std::max(1.0, p[1] / p[0]));
}

void TestTsne::calibrationOfEqualDistancesIsUniform()
{
    // Four equal distances: every precision gives the uniform row, entropy log 4 = perplexity 4.
    const std::vector<double> dist2(4, 2.5);
    std::vector<double> p(4);
    calibrateRow(dist2.data(), 4, 4.0, p.data());
    for (double v : p)
        QCOMPARE(v, 0.25);
}

void TestTsne::exactGradientMatchesFiniteDifferences()
{
    // 5 points in 3 dimensions, perplexity 1.5: KL(P || Q(y)) by its exact gradient against central
    // differences; the gradient omits the factor 4 of dKL/dy.
    const std::vector<float> x{0.0f, 0.0f, 0.0f, 1.0f, 0.2f, 0.0f, 0.3f, 2.0f, 1.0f,
                               -1.0f, 0.5f, 0.7f, 2.0f, -1.0f, 0.4f};
    const std::size_t n = 5;
    const std::vector<double> p = exactAffinities(x.data(), n, 3, 1.5);
    std::vector<double> y{0.1, -0.3, 0.5, 0.2, -0.4, 0.6, 0.9, -0.8, -0.2, 0.05};
    std::vector<double> gradient, unused;
    const double kl = exactGradient(p, y, n, 1.0, gradient);
    QVERIFY(kl > 0);
    // The KL by its definition, q_ij = w_ij / sum_{k != l} w_kl.
    double z = 0, direct = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            if (i != j)
                z += 1.0 / (1.0 + std::pow(y[2 * i] - y[2 * j], 2) + std::pow(y[2 * i + 1] - y[2 * j + 1], 2));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            if (i != j) {
                const double q =
                    1.0 / (1.0 + std::pow(y[2 * i] - y[2 * j], 2) + std::pow(y[2 * i + 1] - y[2 * j + 1], 2)) / z;
                direct += p[i * n + j] * std::log(p[i * n + j] / q);
            }
    QVERIFY(std::abs(kl - direct) < 1e-12);
    const double h = 1e-6;
    for (std::size_t c = 0; c < 2 * n; ++c) {
        std::vector<double> plus = y, minus = y;
        plus[c] += h;
        minus[c] -= h;
        const double numeric = (exactGradient(p, plus, n, 1.0, unused) - exactGradient(p, minus, n, 1.0, unused)) / (2 * h);
        QVERIFY2(std::abs(4.0 * gradient[c] - numeric) < 1e-7,
                 qPrintable(QString("coordinate %1: 4 g = %2, numeric %3").arg(c).arg(4.0 * gradient[c]).arg(numeric)));
    }
}

void TestTsne::exactAffinitiesAreSymmetricAndSumToOne()
{
    const std::vector<float> x = gaussianClusters(2, 20, 4, 5.0, 3);
    const std::size_t n = 40;
    const std::vector<double> p = exactAffinities(x.data(), n, 4, 10.0);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        QCOMPARE(p[i * n + i], 0.0);
        for (std::size_t j = 0; j < n; ++j) {
            QCOMPARE(p[i * n + j], p[j * n + i]);
            sum += p[i * n + j];
        }
    }
    QVERIFY(std::abs(sum - 1.0) < 1e-12);
}

void TestTsne::fftRepulsionMatchesTheExactSum()
{
    // 400 points spread like a map midway through the optimisation (a few clusters over ~60 units).
    PortableRandom random(11);
    const std::size_t n = 400;
    std::vector<double> y(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        const double cx = 15.0 * static_cast<double>(i % 4) - 20.0, cy = 10.0 * static_cast<double>(i % 3) - 10.0;
        y[2 * i] = cx + random.uniform(-6.0, 6.0);
        y[2 * i + 1] = cy + random.uniform(-6.0, 6.0);
    }
    double z = 0;
    std::vector<double> exact(2 * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            if (i == j)
                continue;
            const double d0 = y[2 * i] - y[2 * j], d1 = y[2 * i + 1] - y[2 * j + 1];
            const double w = 1.0 / (1.0 + d0 * d0 + d1 * d1);
            z += w;
            exact[2 * i] += w * w * d0;
            exact[2 * i + 1] += w * w * d1;
        }
    double largest = 0;
    for (double& v : exact) {
        v /= z;
        largest = std::max(largest, std::abs(v));
    }
    // FIt-SNE's defaults (3 nodes per box, a box per unit) are accurate to a few percent of the
    // largest force here; more nodes per unit converge on the exact sum.
    struct Case {
        int points;
        double perUnit, zTolerance, forceTolerance;
    };
    for (const Case& c : {Case{3, 1.0, 0.03, 0.1}, Case{3, 4.0, 2e-4, 4e-3}, Case{5, 2.0, 1e-4, 5e-4}}) {
        TsneOptions options;
        options.interpolationPoints = c.points;
        options.intervalsPerUnit = c.perUnit;
        std::vector<double> fft;
        const double fftZ = fftRepulsion(y, n, options, fft);
        double worst = 0;
        for (std::size_t k = 0; k < 2 * n; ++k)
            worst = std::max(worst, std::abs(fft[k] - exact[k]));
        const QString what = QString("%1 nodes per box, %2 boxes per unit: ").arg(c.points).arg(c.perUnit);
        QVERIFY2(std::abs(fftZ - z) < c.zTolerance * z, qPrintable(what + QString("Z %1 vs exact %2").arg(fftZ).arg(z)));
        QVERIFY2(worst < c.forceTolerance * largest,
                 qPrintable(what + QString("largest error %1 of a largest force %2").arg(worst).arg(largest)));
    }
}

void TestTsne::separatedClustersStaySeparated_data()
{
    QTest::addColumn<int>("method");
    QTest::addColumn<int>("perCluster");
    QTest::newRow("exact, 3 x 100") << static_cast<int>(TsneMethod::Exact) << 100;
    QTest::newRow("fft, 3 x 500") << static_cast<int>(TsneMethod::Fft) << 500;
}

void TestTsne::separatedClustersStaySeparated()
{
    QFETCH(int, method);
    QFETCH(int, perCluster);
    const int d = 10;
    const std::vector<float> x = gaussianClusters(3, perCluster, d, 20.0, 5);
    const std::size_t n = x.size() / d;
    TsneOptions options;
    options.method = static_cast<TsneMethod>(method);
    options.iterations = 500;
    const TsneResult result = tsne(x.data(), n, d, options);
    QCOMPARE(result.exact, options.method == TsneMethod::Exact);
    QCOMPARE(result.coords.size(), 2 * n);
    const double trust = trustworthiness(x.data(), d, result.coords.data(), 2, n, 10);
    QVERIFY2(trust > 0.95, qPrintable(QString("trustworthiness %1").arg(trust)));
    QCOMPARE(nearestSameCluster(result.coords, perCluster), 1.0);
    // The KL is recorded every 50 iterations and at the end, and falls once exaggeration stops.
    QCOMPARE(result.kl.size(), std::size_t(10));
    QCOMPARE(result.klIteration.back(), 500);
    QVERIFY(result.kl.back() < result.kl[5]);
    QVERIFY(result.kl.back() > 0);
}

void TestTsne::sameSeedSameCoordinates_data()
{
    QTest::addColumn<int>("method");
    QTest::newRow("exact") << static_cast<int>(TsneMethod::Exact);
    QTest::newRow("fft") << static_cast<int>(TsneMethod::Fft);
}

void TestTsne::sameSeedSameCoordinates()
{
    QFETCH(int, method);
    const int d = 6;
    const std::vector<float> x = gaussianClusters(4, 150, d, 8.0, 9);
    const std::size_t n = x.size() / d;
    TsneOptions options;
    options.method = static_cast<TsneMethod>(method);
    options.iterations = 120;
    options.earlyIterations = 60;
    options.seed = 42;
    options.threads = 1;
    const TsneResult one = tsne(x.data(), n, d, options);
    options.threads = 2;
    const TsneResult two = tsne(x.data(), n, d, options);
    QCOMPARE(one.coords.size(), two.coords.size());
    QVERIFY(std::memcmp(one.coords.data(), two.coords.data(), one.coords.size() * sizeof(float)) == 0);
    QVERIFY(one.kl == two.kl);
    // Random initialisation: the seed decides it.
    options.init = TsneInit::Random;
    const TsneResult a = tsne(x.data(), n, d, options);
    const TsneResult b = tsne(x.data(), n, d, options);
    QVERIFY(std::memcmp(a.coords.data(), b.coords.data(), a.coords.size() * sizeof(float)) == 0);
    options.seed = 43;
    const TsneResult c = tsne(x.data(), n, d, options);
    QVERIFY(std::memcmp(a.coords.data(), c.coords.data(), a.coords.size() * sizeof(float)) != 0);
}

void TestTsne::cancelStopsWithinOneIteration()
{
    const int d = 5;
    const std::vector<float> x = gaussianClusters(2, 600, d, 6.0, 2);
    const std::size_t n = x.size() / d;
    TsneOptions options;
    options.method = TsneMethod::Fft;
    options.iterations = 400;
    int lastIteration = 0, reportsAfterCancel = 0;
    Progress progress;
    progress.setCallback(
        [&](double fraction, const std::string& stage) {
            if (stage != "t-SNE: optimising the map")
                return;
            if (progress.isCancelled())
                ++reportsAfterCancel;
            lastIteration = static_cast<int>(std::lround(fraction * options.iterations));
            if (lastIteration == 7)
                progress.cancel();
        },
        0);
    QVERIFY_THROWS_EXCEPTION(Cancelled, tsne(x.data(), n, d, options, progress));
    QCOMPARE(lastIteration, 7);
    QCOMPARE(reportsAfterCancel, 0);

    // Cancelled before the optimisation: no iteration at all.
    Progress early;
    early.cancel();
    QVERIFY_THROWS_EXCEPTION(Cancelled, tsne(x.data(), n, d, options, early));
}

void TestTsne::trustworthinessMatchesScikitLearn()
{
    // sklearn.manifold.trustworthiness on the same arrays (scikit-learn 1.2.1):
    // 0.6461538461538461 with n_neighbors=2, 0.6 with n_neighbors=3.
    const std::vector<float> x{0, 1, 3, 6, 10, 15, 21, 28, 36, 45};
    const std::vector<float> y{0, 0, 5, 1, 1, 0, 2, 2, 9, 0, 3, 1, 7, 7, 4, 0, 8, 3, 6, 5};
    QVERIFY(std::abs(trustworthiness(x.data(), 1, y.data(), 2, 10, 2) - 0.6461538461538461) < 1e-12);
    QVERIFY(std::abs(trustworthiness(x.data(), 1, y.data(), 2, 10, 3) - 0.6) < 1e-12);
}

void TestTsne::trustworthinessOfAnIsometryIsOne()
{
    const std::vector<float> x = gaussianClusters(3, 30, 2, 4.0, 1);
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size() / 2; ++i) {  // a rotation by 90 degrees and a shift
        y[2 * i] = -x[2 * i + 1] + 3.0f;
        y[2 * i + 1] = x[2 * i] - 1.0f;
    }
    QCOMPARE(trustworthiness(x.data(), 2, y.data(), 2, 90, 10), 1.0);
}

void TestTsne::badInputIsRefused()
{
    std::vector<float> x(40, 1.0f);
    x[13] = NAN;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tsne(x.data(), 10, 4, TsneOptions()));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tsne(x.data(), 3, 4, TsneOptions()));
    x[13] = 0.0f;
    TsneOptions options;
    options.perplexity = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tsne(x.data(), 10, 4, options));
}

QTEST_APPLESS_MAIN(TestTsne)
#include "test_tsne.moc"
