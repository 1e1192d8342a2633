// The L-BFGS optimiser on textbook functions, then GLAD against crowd-kit and peerannot.

#include "test_aggregate_common.h"

#include "aggregate/glad.h"
#include "aggregate/lbfgs.h"
#include "aggregate/registry.h"
#include "util/error.h"

#include <QTest>

using namespace crowdsift;
using namespace crowdsift::testing;

namespace {

AggregationParams gladIterations(int iterations)
{
    AggregationParams p = defaultParams("glad");
    p.maxIterations = iterations;
    p.tolerance = -1;
    return p;
}

}  // namespace

class TestAggregateGlad : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void lbfgsQuadratic()
    {
        // f(x) = 1/2 x'Ax - b'x with A = diag(1 .. 50): minimum at x = b ./ diag.
        const int n = 50;
        Eigen::VectorXd diag = Eigen::VectorXd::LinSpaced(n, 1, 50);
        Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(n, -3, 3);
        const LbfgsObjective f = [&](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
            g = diag.cwiseProduct(x) - b;
            return 0.5 * x.dot(diag.cwiseProduct(x)) - b.dot(x);
        };
        Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
        LbfgsOptions options;
        options.gradientTolerance = 1e-6;
        options.relativeTolerance = 0;
        const LbfgsResult r = minimizeLbfgs(f, x, options);
        QVERIFY(r.converged);
        QCOMPARE(QString::fromStdString(r.stop), QString("gradient"));
        // |gradient| <= 1e-6 and the smallest curvature 1 bound the error by 1e-6. (Much smaller
        // gradients change f by less than its rounding, where no line search can tell better
        // from worse.)
        QVERIFY((x - b.cwiseQuotient(diag)).cwiseAbs().maxCoeff() <= 1e-6);
        QVERIFY(r.iterations < 60);
    }

    void lbfgsRosenbrock()
    {
        const LbfgsObjective f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
            const double a = 1 - x[0];
            const double b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        };
        Eigen::VectorXd x(2);
        x << -1.2, 1.0;
        LbfgsOptions options;
        options.gradientTolerance = 1e-9;
        const LbfgsResult r = minimizeLbfgs(f, x, options);
        QVERIFY(r.converged);
        QVERIFY(std::abs(x[0] - 1) < 1e-6 && std::abs(x[1] - 1) < 1e-6);
        QVERIFY(r.value < 1e-12);
        QVERIFY(r.iterations < 100);
    }

    void lbfgsNeverWorsensAndStopsOnCheckpoint()
    {
        // A function that is infinite outside |x| < 1: line searches must back off, never accept.
        const LbfgsObjective f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
            if (x.cwiseAbs().maxCoeff() >= 1)
                return std::numeric_limits<double>::infinity();
            g = -Eigen::VectorXd::Ones(x.size());
            return -x.sum();
        };
        Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
        const LbfgsResult r = minimizeLbfgs(f, x, {});
        QVERIFY(r.value <= 0);
        QVERIFY(x.cwiseAbs().maxCoeff() < 1);
        int calls = 0;
        Eigen::VectorXd y = Eigen::VectorXd::Zero(3);
        QVERIFY_THROWS_EXCEPTION(Cancelled, minimizeLbfgs(f, y, {}, [&] {
            if (++calls == 2)
                throw Cancelled();
        }));
    }

    // Same model, initialisation (alpha = beta = 1, N(1, 1) priors, uniform classes) and number of
    // M-steps as peerannot's GLAD. Both M-steps are approximate (scipy's conjugate gradient with
    // tol 1e-2 and 25 iterations there, L-BFGS with the same limits here) and stop at different
    // points; the README measures 3.5e-3 on posteriors from merely shuffling rows. We see up to
    // 4e-3; tolerances: 1e-2 on posteriors, alpha and beta; labels must agree.
    void peerannotGlad_data() { addDatasets(); }
    void peerannotGlad()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/peerannot_GLAD.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "peerannot_GLAD.json");
        const AggregationResult r = glad(d, gladIterations(ref["n_iter_run"].get<int>()));
        const double post = maxAbsDiff(r.posteriors, jsonMatrix(ref["posteriors"]));
        const double alpha = maxAbsDiff(r.annotatorSkill, jsonVector(ref["worker_skills"]));
        const double beta = maxAbsDiff(r.itemDifficulty, jsonVector(ref["task_difficulties"]));
        qInfo("%s: vs peerannot |posterior| %.3g |alpha| %.3g |beta| %.3g", qPrintable(name), post, alpha, beta);
        QVERIFY(post <= 1e-2);
        QVERIFY(alpha <= 1e-2);
        QVERIFY(beta <= 1e-2);
        QCOMPARE(countDifferent(r.labels, jsonInts(ref["labels"])), 0);
    }

    // crowd-kit returns the posteriors of the E-step before its last M-step (its loop is E-step,
    // M-step, objective), with alpha and beta after it. We see up to 1.0e-2 on posteriors and
    // 1.6e-2 on parameters (dog); tolerances: 2e-2 on posteriors, 3e-2 on alpha and beta; labels
    // must agree.
    void crowdkitGlad_data() { addDatasets(); }
    void crowdkitGlad()
    {
        QFETCH(QString, name);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_GLAD.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json ref = loadReferenceJson(name, "crowdkit_GLAD.json");
        const int n = ref["n_iter_run"].get<int>();
        const AggregationResult before = glad(d, gladIterations(n - 1));
        const AggregationResult after = glad(d, gladIterations(n));
        const double post = maxAbsDiff(before.posteriors, jsonMatrix(ref["posteriors"]));
        const double alpha = maxAbsDiff(after.annotatorSkill, jsonVector(ref["worker_skills"]));
        const double beta = maxAbsDiff(after.itemDifficulty, jsonVector(ref["task_difficulties"]));
        qInfo("%s: vs crowd-kit |posterior| %.3g |alpha| %.3g |beta| %.3g", qPrintable(name), post, alpha, beta);
        QVERIFY(post <= 2e-2);
        QVERIFY(alpha <= 3e-2);
        QVERIFY(beta <= 3e-2);
        QCOMPARE(countDifferent(before.labels, jsonInts(ref["labels"])), 0);
    }

    // Default parameters: converged, the log-posterior never decreases; on every dataset, truth or
    // not, the labels are peerannot's, and crowd-kit's but for the 3 labelme items where the two
    // peers differ; where truth is known, at least as accurate as both.
    void accuracyAtLeastPeers_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("maxVsCrowdkit");
        QTest::newRow("dog") << QStringLiteral("dog") << 0;
        QTest::newRow("bluebirds") << QStringLiteral("bluebirds") << 0;
        QTest::newRow("labelme") << QStringLiteral("labelme") << 3;
        QTest::newRow("cifar10h500") << QStringLiteral("cifar10h500") << 0;
    }
    void accuracyAtLeastPeers()
    {
        QFETCH(QString, name);
        QFETCH(int, maxVsCrowdkit);
        CROWDSIFT_REQUIRE_REFERENCE(name);
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/crowdkit_GLAD.json");
        CROWDSIFT_REQUIRE_SHARED("reference/" + name + "/peerannot_GLAD.json");
        const Dataset d = loadReferenceDataset(name);
        const nlohmann::json crowdkit = loadReferenceJson(name, "crowdkit_GLAD.json");
        const nlohmann::json peerannot = loadReferenceJson(name, "peerannot_GLAD.json");
        CROWDSIFT_COMPARE_TRUTH(d, crowdkit);
        CROWDSIFT_COMPARE_TRUTH(d, peerannot);
        const AggregationResult r = aggregate("glad", d);
        QVERIFY(r.converged);
        QVERIFY(!r.logLikelihood.empty());
        // The log-posterior never decreases: every M-step only accepts improvements of Q.
        for (std::size_t t = 1; t < r.logLikelihood.size(); ++t)
            QVERIFY(r.logLikelihood[t] >= r.logLikelihood[t - 1] - 1e-12 * std::abs(r.logLikelihood[t - 1]));
        QVERIFY(r.logLikelihood.front() >= r.extra["initial_log_posterior"].get<double>());
        const int vsCrowdkit = countDifferent(r.labels, jsonInts(crowdkit["labels"]));
        const int vsPeerannot = countDifferent(r.labels, jsonInts(peerannot["labels"]));
        const int peers = countDifferent(jsonInts(crowdkit["labels"]), jsonInts(peerannot["labels"]));
        qInfo("%s: GLAD labels differ from crowd-kit's on %d items, from peerannot's on %d (they differ on %d)",
              qPrintable(name), vsCrowdkit, vsPeerannot, peers);
        QVERIFY(vsCrowdkit <= maxVsCrowdkit);
        QCOMPARE(vsPeerannot, 0);
        if (d.hasTruth()) {
            const double ours = accuracy(r.labels, d.truth);
            qInfo("%s: GLAD accuracy %.4f after %d iterations (crowd-kit %.4f, peerannot %.4f)", qPrintable(name), ours,
                  r.iterations, crowdkit["accuracy"].get<double>(), peerannot["accuracy"].get<double>());
            QVERIFY(ours >= crowdkit["accuracy"].get<double>());
            QVERIFY(ours >= peerannot["accuracy"].get<double>());
        }
    }

    void identicalForAnyThreadCount()
    {
        const Dataset d = loadReferenceDataset("dog");
        const AggregationResult a = aggregate("glad", d, {{"threads", 1}});
        const AggregationResult b = aggregate("glad", d, {{"threads", 2}});
        const AggregationResult c = aggregate("glad", d, {{"threads", 7}});
        QVERIFY(a.posteriors == b.posteriors && a.posteriors == c.posteriors);
        QVERIFY(a.annotatorSkill == b.annotatorSkill && a.annotatorSkill == c.annotatorSkill);
        QCOMPARE(a.logLikelihood, c.logLikelihood);
    }

    void cancelStopsInsideAnMStep()
    {
        const Dataset d = loadReferenceDataset("labelme");
        // Cancelled right after the first report (start of iteration 1): the next check is the
        // L-BFGS checkpoint inside the first M-step, so no second report happens.
        int reports = 0;
        Progress progress([&](double, const std::string&) {
            ++reports;
            progress.cancel();
        }, 0);
        QVERIFY_THROWS_EXCEPTION(Cancelled, glad(d, gladIterations(50), progress));
        QCOMPARE(reports, 1);
    }
};

QTEST_APPLESS_MAIN(TestAggregateGlad)
#include "test_aggregate_glad.moc"
