#include "learn/complementary.h"
#include "learn/complementary_losses.h"
#include "learn/trainer.h"
#include "learn_project/complementary_runs.h"
#include "util/error.h"

#include "input_error.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace crowdsift;
namespace {

template <class F>
std::string inputErrorOf(F&& f)
{
    return crowdsift::testing::inputErrorOf(std::forward<F>(f)).toStdString();
}

// The hand-computed cases: K = 3, two rows of logits, p = softmax:
//   row 0: z = (1, 0, -1)   p = (0.6652409558, 0.2447284711, 0.0900305732), "not 0"
//   row 1: z = (0.5, 2, 0)  p = (0.1642516276, 0.7361247243, 0.0996236481), "not 2"
// Each expected value below is the loss's formula (learn/complementary.h) evaluated by hand on
// these p (in double precision), e.g. scl-nl = (-log(1 - 0.66524) - log(1 - 0.09962)) / 2.
torch::Tensor caseLogits()
{
    return torch::tensor({1.0f, 0.0f, -1.0f, 0.5f, 2.0f, 0.0f}).view({2, 3});
}

torch::Tensor caseComplementary()
{
    return torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f}).view({2, 3});
}

// A biased transition: T[y][k] = P("not k" | y).
torch::Tensor caseTransition()
{
    return torch::tensor({0.0f, 0.7f, 0.3f, 0.5f, 0.0f, 0.5f, 0.2f, 0.8f, 0.0f}).view({3, 3});
}

torch::Tensor uniform3()
{
    return (torch::ones({3, 3}) - torch::eye(3)) / 2.0;
}

double value(ComplementaryLoss loss, const torch::Tensor& logits, const torch::Tensor& complementary,
             const torch::Tensor& transition, const torch::Tensor& ordinary = {})
{
    const torch::Tensor none = ordinary.defined() ? ordinary : torch::zeros_like(complementary);
    return learn::complementaryBatchLoss(loss, logits, complementary, none, transition).value.item<double>();
}

double objective(ComplementaryLoss loss, const torch::Tensor& logits, const torch::Tensor& complementary,
                 const torch::Tensor& transition)
{
    return learn::complementaryBatchLoss(loss, logits, complementary, torch::zeros_like(complementary), transition)
        .objective.item<double>();
}

// A separable crowd: K Gaussian blobs (4 unless told) in 2K dimensions (means `separation` apart,
// 6 unless told, on each of a class's two features, unit noise), each item with `answers`
// distinct complementary labels drawn uniformly from its K - 1 wrong classes.
struct Blobs {
    LearnInput input;
    ComplementaryTargets targets;
    std::vector<int> truth;
    std::vector<int> rows;
};

Blobs makeBlobs(int n, std::uint64_t seed, int k = 4, int answers = 2, float separation = 6.0f)
{
    const int dim = 2 * k;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    Blobs b;
    b.input.features.resize(n, dim);
    b.targets.ordinary = RowMatrixXf::Zero(n, k);
    b.targets.complementary = RowMatrixXf::Zero(n, k);
    for (int i = 0; i < n; ++i) {
        const int y = i % k;
        b.truth.push_back(y);
        b.rows.push_back(i);
        for (int j = 0; j < dim; ++j)
            b.input.features(i, j) = noise(rng) + (j % k == y ? separation : 0.0f);
        std::vector<int> wrong;
        for (int c = 0; c < k; ++c)
            if (c != y)
                wrong.push_back(c);
        std::shuffle(wrong.begin(), wrong.end(), rng);
        for (int a = 0; a < answers; ++a)
            b.targets.complementary(i, wrong[static_cast<std::size_t>(a)]) = 1;
    }
    return b;
}

TrainConfig quickConfig()
{
    TrainConfig config;
    config.epochs = 15;
    config.batchSize = 32;
    config.optimizer = OptimizerKind::AdamW;
    config.learningRate = 1e-2;
    config.weightDecay = 0;
    config.warmupEpochs = 0;
    config.schedule = ScheduleKind::Constant;
    config.augment = false;
    config.flip = false;
    config.device = "cpu";
    config.threads = 1;
    config.seed = 3;
    return config;
}

ModelSpec smallMlp()
{
    ModelSpec spec;
    spec.name = "mlp";
    spec.hidden = {16};
    return spec;
}

Dataset tinyDataset()
{
    Dataset d;
    d.classNames = {"a", "b", "c"};
    d.itemKeys = {"0", "1", "2", "3"};
    d.splits.assign(4, Split::Train);
    d.imagePaths.assign(4, "");
    d.annotatorIds = {"w0", "w1"};
    d.truth = {0, 1, 2, 0};
    // item 0 (truth a): "not b", "not c"; item 1 (b): "a" (ordinary), "not c"; item 2 (c): "not a";
    // item 3 (a): "not b".
    d.answers = Answers::fromTriplets(4, 2,
                                      {{0, 0, 1, true}, {0, 1, 2, true}, {1, 0, 0, false}, {1, 1, 2, true},
                                       {2, 0, 0, true}, {3, 1, 1, true}});
    return d;
}

}  // namespace

class TestComplementary : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesRoundTrip()
    {
        for (const std::string& name : complementaryLossNames())
            QCOMPARE(std::string(complementaryLossName(parseComplementaryLoss(name))), name);
        QCOMPARE(complementaryLossNames().size(), std::size_t(14));
        const std::string message = inputErrorOf([] { parseComplementaryLoss("scl", "-s"); });
        QVERIFY2(message.find("-s") != std::string::npos && message.find("mcl-log") != std::string::npos, message.c_str());
    }

    void handComputedLosses_data()
    {
        QTest::addColumn<int>("loss");
        QTest::addColumn<double>("expected");
        using L = ComplementaryLoss;
        QTest::newRow("scl-nl") << int(L::SclNl) << 0.5996433555862758;
        QTest::newRow("scl-exp") << int(L::SclExp) << 1.5248570885639001;
        // fwd and cpe-f with the biased T: -log (T^t p)_kb.
        QTest::newRow("fwd") << int(L::Fwd) << 1.4186650915899939;
        QTest::newRow("cpe-f") << int(L::CpeF) << 1.4186650915899939;
        QTest::newRow("cpe-i") << int(L::CpeI) << 1.3569808383367632;
        QTest::newRow("dm") << int(L::Dm) << 1.5060437979594068;
        // Partial risks with the uniform T: R = (0.69937, 0.85698, 0.05063), all positive.
        QTest::newRow("ure-nn") << int(L::UreNn) << 1.6069808383367632;
        QTest::newRow("ure-ga") << int(L::UreGa) << 1.6069808383367632;
        // With the biased T: R = (1.47237, 1.00188, 0.09326).
        QTest::newRow("ure-tnn") << int(L::UreTnn) << 2.567507154126237;
        QTest::newRow("ure-tga") << int(L::UreTga) << 2.567507154126237;
    }

    void handComputedLosses()
    {
        QFETCH(int, loss);
        QFETCH(double, expected);
        const auto l = static_cast<ComplementaryLoss>(loss);
        QVERIFY(std::abs(value(l, caseLogits(), caseComplementary(), caseTransition()) - expected) < 1e-5);
        QVERIFY(std::abs(objective(l, caseLogits(), caseComplementary(), caseTransition()) - expected) < 1e-5);
    }

    void cpeTStartsAtTheTransition()
    {
        // W = log T (zeros at log 1e-12): the loss of fwd with T up to 1e-12.
        const torch::Tensor w = caseTransition().clamp_min(1e-12).log();
        const torch::Tensor c = caseComplementary();
        const double v = learn::complementaryBatchLoss(ComplementaryLoss::CpeT, caseLogits(), c, torch::zeros_like(c),
                                                       caseTransition(), w)
                             .value.item<double>();
        QVERIFY(std::abs(v - 1.4186650915885048) < 1e-5);
    }

    void multipleComplementaryLabels_data()
    {
        QTest::addColumn<int>("loss");
        QTest::addColumn<double>("expected");
        // Row 0's set {0}, row 1's {1, 2}: pS = (0.33476, 0.16425), weights (2K-2)/s = 4, 2.
        QTest::newRow("mcl-mae") << int(ComplementaryLoss::MclMae) << 2.1662302839245555;
        QTest::newRow("mcl-exp") << int(ComplementaryLoss::MclExp) << 2.2795494257348197;
        QTest::newRow("mcl-log") << int(ComplementaryLoss::MclLog) << 3.995044266081461;
    }

    void multipleComplementaryLabels()
    {
        QFETCH(int, loss);
        QFETCH(double, expected);
        const torch::Tensor sets = torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f}).view({2, 3});
        QVERIFY(std::abs(value(static_cast<ComplementaryLoss>(loss), caseLogits(), sets, uniform3()) - expected) < 1e-5);
        // A set holding every class is contradictory: left out, the batch has no sample.
        const torch::Tensor all = torch::ones({1, 3});
        QCOMPARE(value(static_cast<ComplementaryLoss>(loss), torch::zeros({1, 3}), all, uniform3()), 0.0);
    }

    void nonNegativeCorrections()
    {
        // z = (4, 0, 0), "not 0": R_0 = -l_0 < 0 under the uniform T.
        const torch::Tensor z = torch::tensor({4.0f, 0.0f, 0.0f}).view({1, 3});
        const torch::Tensor c = torch::tensor({1.0f, 0.0f, 0.0f}).view({1, 3});
        const torch::Tensor u = uniform3();
        QVERIFY(std::abs(value(ComplementaryLoss::UreNn, z, c, u) - 8.035976299748192) < 1e-4);
        // NN: max(0, R_k) summed; GA: ascend on the negative part, -sum min(0, R_k).
        QVERIFY(std::abs(objective(ComplementaryLoss::UreNn, z, c, u) - 8.071952599496386) < 1e-4);
        QVERIFY(std::abs(objective(ComplementaryLoss::UreGa, z, c, u) - 0.03597629974819318) < 1e-5);
        // ure-tnn with the uniform T is ure-nn.
        QVERIFY(std::abs(objective(ComplementaryLoss::UreTnn, z, c, u) - 8.071952599496386) < 1e-4);
        // GA ascends the negative R_0 = -l_0 towards 0: its objective is l_0, whose gradient on
        // z_0 is p_0 - 1 = -2 / (e^4 + 2).
        torch::Tensor logits = z.clone().requires_grad_(true);
        learn::complementaryBatchLoss(ComplementaryLoss::UreGa, logits, c, torch::zeros_like(c), u).objective.backward();
        QVERIFY(std::abs(logits.grad()[0][0].item<double>() + 2.0 / (std::exp(4.0) + 2.0)) < 1e-6);
    }

    void partialRisksWeighTheClassPrior()
    {
        // Four rows (K = 3, uniform T): the two of caseLogits, z = (0, -1, 1.5) and (2, 0.5, 0),
        // answers "not 0", "not 0", "not 2", "not 1". l_ik = -log p_ik; M[j] = the mean l of the
        // answers "not j"; R_k = sum_j pi_j (T^-1)[j][k] M[j][k] with T^-1 = J - 2I.
        const torch::Tensor z = torch::tensor({1.0f, 0.0f, -1.0f, 0.5f, 2.0f, 0.0f, 0.0f, -1.0f, 1.5f, 2.0f, 0.5f, 0.0f})
                                    .view({4, 3});
        const torch::Tensor c = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 1.0f, 0.0f})
                                    .view({4, 3});
        const torch::Tensor none = torch::zeros_like(c), u = uniform3();
        // The batch's own shares pi = (1/2, 1/4, 1/4): R = (-0.03531, 0.66849, 1.68849); R_0 < 0
        // only because "not 0" is over-represented, and GA ascends on it alone.
        const learn::ComplementaryBatchLoss pooled = learn::complementaryBatchLoss(ComplementaryLoss::UreGa, z, c, none, u);
        QVERIFY(std::abs(pooled.value.item<double>() - 2.321671322177451) < 1e-5);
        QVERIFY(std::abs(pooled.objective.item<double>() - 0.03530952) < 1e-5);
        // The class prior pi = 1/3 (Ishida et al.): R = (0.32191, 0.60566, 1.46566), all
        // non-negative, so GA descends on the risk itself.
        const torch::Tensor prior = torch::full({3}, 1.0f / 3.0f);
        const learn::ComplementaryBatchLoss weighed =
            learn::complementaryBatchLoss(ComplementaryLoss::UreGa, z, c, none, u, {}, prior);
        QVERIFY(std::abs(weighed.value.item<double>() - 2.393234816791014) < 1e-5);
        QVERIFY(std::abs(weighed.objective.item<double>() - 2.393234816791014) < 1e-5);
        QVERIFY(std::abs(learn::complementaryBatchLoss(ComplementaryLoss::UreTga, z, c, none, u, {}, prior)
                             .objective.item<double>()
                         - 2.393234816791014) < 1e-5);
        // The ascent branch under the prior: z = (4, 0, 0), "not 0": R = (-l_0, l_1, l_2) / 3, the
        // objective l_0 / 3 and its gradient on z_0 (p_0 - 1) / 3 = -2 / (3 (e^4 + 2)).
        const torch::Tensor one = torch::tensor({1.0f, 0.0f, 0.0f}).view({1, 3});
        torch::Tensor logits = torch::tensor({4.0f, 0.0f, 0.0f}).view({1, 3}).requires_grad_(true);
        const learn::ComplementaryBatchLoss ascent =
            learn::complementaryBatchLoss(ComplementaryLoss::UreGa, logits, one, torch::zeros_like(one), u, {}, prior);
        QVERIFY(std::abs(ascent.objective.item<double>() - 0.03597629974819318 / 3) < 1e-6);
        ascent.objective.backward();
        QVERIFY(std::abs(logits.grad()[0][0].item<double>() + 2.0 / (3 * (std::exp(4.0) + 2.0))) < 1e-6);
    }

    void gradientAscentLearnsTenClasses_data()
    {
        QTest::addColumn<int>("loss");
        QTest::newRow("ure-ga") << int(ComplementaryLoss::UreGa);
        QTest::newRow("ure-tga") << int(ComplementaryLoss::UreTga);
        QTest::newRow("ure-nn") << int(ComplementaryLoss::UreNn);
    }

    void gradientAscentLearnsTenClasses()
    {
        // K = 10 separable blobs, three "not" answers each, batches of 32 items: with the batch's
        // own label shares as the prior, sampling noise made some R_k negative in most batches
        // and GA learned the complementary labels (0 of 1000 right); with the training set's
        // prior it learns the classes (614; ure-nn 764: ten classes from "not" answers with a
        // 16-unit mlp in 15 epochs), so the bar is five times chance.
        QFETCH(int, loss);
        const Blobs b = makeBlobs(1000, 11, 10, 3);
        ComplementaryConfig config;
        config.loss = static_cast<ComplementaryLoss>(loss);
        Classifier model(smallMlp(), b.input, 10, quickConfig());
        model.fitComplementary(b.input, b.rows, b.targets, config);
        const std::vector<int> predicted = rowArgmax(model.predict(b.input, b.rows));
        int correct = 0;
        for (std::size_t i = 0; i < predicted.size(); ++i)
            correct += predicted[i] == b.truth[i];
        QVERIFY2(correct >= 500, (std::to_string(correct) + " of 1000").c_str());
    }

    void forwardWithIdentityIsCrossEntropy()
    {
        const torch::Tensor z = torch::randn({6, 5}, torch::TensorOptions().dtype(torch::kFloat));
        const torch::Tensor labels = torch::tensor({0, 4, 2, 2, 1, 3}, torch::kLong);
        const torch::Tensor onehot = torch::one_hot(labels, 5).to(torch::kFloat);
        const torch::Tensor identity = torch::eye(5);
        QVERIFY(torch::equal(learn::logForward(z, identity), torch::log_softmax(z, 1)));
        const double fwd = value(ComplementaryLoss::Fwd, z, onehot, identity);
        const double ce = torch::nn::functional::cross_entropy(z, labels).item<double>();
        QVERIFY(std::abs(fwd - ce) < 1e-6);
        // and an ordinary answer is that same cross entropy, whatever the loss.
        const double ordinary = learn::complementaryBatchLoss(ComplementaryLoss::SclNl, z, torch::zeros_like(onehot),
                                                              onehot, identity)
                                    .value.item<double>();
        QVERIFY(std::abs(ordinary - ce) < 1e-6);
    }

    void mixedAnswers()
    {
        // Row 0 also has an ordinary answer "1": (CE 1.40760 + the two scl-nl terms) / 3 answers.
        const torch::Tensor v = torch::tensor({0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f}).view({2, 3});
        QVERIFY(std::abs(value(ComplementaryLoss::SclNl, caseLogits(), caseComplementary(), uniform3(), v)
                         - 0.8689642252056439) < 1e-5);
        // cpe-i reads the ordinary answer through row 1 of T: -sum_k T[1][k] log q_k.
        QVERIFY(std::abs(value(ComplementaryLoss::CpeI, caseLogits(), caseComplementary(), uniform3(), v)
                         - 1.3738558803726353) < 1e-5);
    }

    void logOneMinusSoftmaxIsStable()
    {
        const torch::Tensor z = torch::tensor({100.0f, 0.0f, 0.0f}).view({1, 3});
        const torch::Tensor l = learn::logOneMinusSoftmax(z);
        // 1 - p_0 = 2 e^-100 / (1 + 2 e^-100): its log is -100 + log 2.
        QVERIFY(std::abs(l[0][0].item<double>() - (-100.0 + std::log(2.0))) < 1e-3);
        QVERIFY(std::isfinite(l.sum().item<double>()));
    }

    void complementaryAnswersAreNoVotes()
    {
        const Dataset d = tinyDataset();
        const ComplementaryTargets t = complementaryTargets(d);
        QCOMPARE(t.ordinaryAnswers(), 1.0);
        QCOMPARE(t.complementaryAnswers(), 5.0);
        QCOMPARE(t.ordinary(1, 0), 1.0f);
        QCOMPARE(t.ordinary(0, 1), 0.0f);  // "not b" is no vote for b
        QCOMPARE(t.complementary(0, 1), 1.0f);
    }

    void transitionAgainstLabels()
    {
        const Dataset d = tinyDataset();
        RowMatrixXd counts;
        const RowMatrixXd t = transitionFromLabels(d, d.truth, &counts);
        // Class a (items 0, 3): "not b" twice, "not c" once; class b: "not c"; class c: "not a".
        QCOMPARE(counts(0, 1), 2.0);
        QCOMPARE(counts(0, 2), 1.0);
        QVERIFY(std::abs(t(0, 1) - 2.0 / 3.0) < 1e-12);
        QCOMPARE(t(1, 2), 1.0);
        QCOMPARE(t(2, 0), 1.0);
        validateTransition(t, 3, "t");
        // Soft labels: one-hot truth gives the same matrix.
        RowMatrixXf onehot = RowMatrixXf::Zero(4, 3);
        for (int i = 0; i < 4; ++i)
            onehot(i, d.truth[static_cast<std::size_t>(i)]) = 1;
        QVERIFY((transitionFromProbabilities(d, onehot) - t).cwiseAbs().maxCoeff() < 1e-12);
        // A class without answers keeps the uniform row.
        const RowMatrixXd none = transitionFromLabels(d, {-1, -1, -1, -1});
        QVERIFY((none - uniformTransition(3)).cwiseAbs().maxCoeff() < 1e-12);
    }

    void anchorsAndDecoding()
    {
        RowMatrixXf q(3, 3);
        q << 0.1f, 0.5f, 0.4f,   // least "not 0": the anchor of class 0
            0.5f, 0.05f, 0.45f,  // anchor of class 1
            0.6f, 0.4f, 0.0f;    // anchor of class 2
        const RowMatrixXd t = anchorTransition(q, {0, 1, 2});
        QVERIFY(std::abs(t(0, 1) - 0.5) < 1e-6 && std::abs(t(1, 2) - 0.45) < 1e-6 && std::abs(t(2, 0) - 0.6) < 1e-6);
        // cpe-i under the uniform T: p = 1 - (K - 1) q, clipped at 0, renormalised.
        RowMatrixXf out(1, 3);
        out << 0.1f, 0.4f, 0.5f;
        const RowMatrixXf p = complementaryClassProbabilities(ComplementaryLoss::CpeI, out, uniformTransition(3));
        QVERIFY(std::abs(p(0, 0) - 0.8f / 1.0f) < 1e-5 && std::abs(p(0, 1) - 0.2f) < 1e-5 && std::abs(p(0, 2)) < 1e-6);
        QVERIFY((complementaryClassProbabilities(ComplementaryLoss::SclNl, out, uniformTransition(3)) - out).norm() == 0);
    }

    void anchorAtAQuantile()
    {
        // q(., 0) over five rows is 0.0, 0.1, 0.2, 0.3, 0.4 (rows 4, 0, 3, 1, 2): the argmin is row
        // 4, the 0.25 quantile the second least, floor(0.25 x 4) = 1: row 0, and 0.5 the third: row 3.
        RowMatrixXf q(5, 3);
        q << 0.1f, 0.3f, 0.6f,  //
            0.3f, 0.2f, 0.5f,   //
            0.4f, 0.1f, 0.5f,   //
            0.2f, 0.2f, 0.6f,   //
            0.0f, 0.5f, 0.5f;
        const std::vector<int> rows{0, 1, 2, 3, 4};
        QVERIFY(std::abs(anchorTransition(q, rows)(0, 1) - 0.5) < 1e-6);
        QVERIFY(std::abs(anchorTransition(q, rows, 0.25)(0, 1) - 0.3) < 1e-6);
        QVERIFY(std::abs(anchorTransition(q, rows, 0.5)(0, 2) - 0.6) < 1e-6);
        // Class 1's column 0.3, 0.2, 0.1, 0.2, 0.5: the 0.25 quantile is a tie of rows 1 and 3 at
        // 0.2, broken by the row index whatever the order of `rows`.
        QVERIFY(std::abs(anchorTransition(q, {4, 3, 2, 1, 0}, 0.25)(1, 0) - 0.3) < 1e-6);
        QVERIFY(!inputErrorOf([&] { anchorTransition(q, rows, 1.0); }).empty());
    }

    void anchorsEstimateABiasedTransition()
    {
        // Four separable blobs, two groups {0, 1} and {2, 3}; each item gets two distinct "not"
        // answers, a wrong class of the other group drawn with weight 6, of its own with weight 1.
        // The true T is far from the uniform one; the cross-fitted percentile anchors must land
        // near the T counted against the truth (measured 0.015 against the uniform T's 0.118).
        const int n = 800, k = 4;
        Blobs b = makeBlobs(n, 5, k, 0);
        std::mt19937_64 rng(9);
        for (int i = 0; i < n; ++i) {
            const int y = b.truth[static_cast<std::size_t>(i)];
            std::vector<double> weight(k, 0.0);
            for (int c = 0; c < k; ++c)
                if (c != y)
                    weight[static_cast<std::size_t>(c)] = c / 2 == y / 2 ? 1.0 : 6.0;
            for (int a = 0; a < 2; ++a) {
                std::discrete_distribution<int> draw(weight.begin(), weight.end());
                const int c = draw(rng);
                weight[static_cast<std::size_t>(c)] = 0;
                b.targets.complementary(i, c) = 1;
            }
        }
        RowMatrixXd truth = RowMatrixXd::Zero(k, k);
        for (int i = 0; i < n; ++i)
            truth.row(b.truth[static_cast<std::size_t>(i)]) += b.targets.complementary.row(i).cast<double>();
        for (int y = 0; y < k; ++y)
            truth.row(y) /= truth.row(y).sum();
        TransitionChoice choice;
        choice.source = "anchors";
        const RowMatrixXd t = estimateAnchorTransition(b.input, b.targets, smallMlp(), quickConfig(), choice);
        validateTransition(t, k, "anchors");
        const double error = (t - truth).cwiseAbs().mean();
        const double uniformError = (uniformTransition(k) - truth).cwiseAbs().mean();
        QVERIFY2(error < 0.03 && error < uniformError / 3,
                 (std::to_string(error) + " against the uniform T's " + std::to_string(uniformError)).c_str());
    }

    void badTransitionIsRejected()
    {
        RowMatrixXd t = uniformTransition(3);
        t(1, 0) = 0.9;
        const std::string message = inputErrorOf([&] { validateTransition(t, 3, "T.npy"); });
        QVERIFY2(message.find("T.npy") != std::string::npos && message.find("row 1") != std::string::npos, message.c_str());
        QVERIFY(!inputErrorOf([&] { validateTransition(uniformTransition(4), 3, "T.npy"); }).empty());
    }

    void eachLossLearnsASeparableSet_data()
    {
        QTest::addColumn<int>("loss");
        for (std::size_t i = 0; i < complementaryLossNames().size(); ++i)
            QTest::newRow(complementaryLossNames()[i].c_str()) << int(i);
    }

    void eachLossLearnsASeparableSet()
    {
        QFETCH(int, loss);
        const Blobs b = makeBlobs(400, 7);
        ComplementaryConfig config;
        config.loss = static_cast<ComplementaryLoss>(loss);
        Classifier model(smallMlp(), b.input, 4, quickConfig());
        ComplementaryFit fit;
        const TrainResult result = model.fitComplementary(b.input, b.rows, b.targets, config, Progress::none(), {}, &fit);
        QCOMPARE(result.history.size(), std::size_t(15));
        const double first = result.history.front().trainLoss, last = result.history.back().trainLoss;
        QVERIFY2(last < first, (std::to_string(first) + " -> " + std::to_string(last)).c_str());
        const RowMatrixXf p = complementaryClassProbabilities(config.loss, model.predict(b.input, b.rows), uniformTransition(4));
        int correct = 0;
        for (int i = 0; i < p.rows(); ++i) {
            Eigen::Index best = 0;
            p.row(i).maxCoeff(&best);
            correct += best == b.truth[static_cast<std::size_t>(i)];
        }
        QVERIFY2(correct >= 360, (std::to_string(correct) + " of 400").c_str());
        // The model avoids the classes it was told "not": most answers end up off its top class.
        QVERIFY(result.history.back().trainAccuracy > 0.9);
        if (config.loss == ComplementaryLoss::CpeT) {
            QCOMPARE(fit.learnedTransition.rows(), Eigen::Index(4));
            QVERIFY((fit.learnedTransition.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-6);
        } else {
            QCOMPARE(fit.learnedTransition.size(), Eigen::Index(0));
        }
    }

    // Mixed data trains on both kinds: one "not" answer per item of ten classes teaches a model
    // little; adding votes (right 80 % of the time) for every second item changes the model and
    // makes it far more accurate on items it never saw (130 -> 248 of 500 right at seed 21).
    void ordinaryAnswersAddToComplementaryOnes()
    {
        const int k = 10;
        const int n = 500;
        const Blobs b = makeBlobs(n, 21, k, 1, 3.0f);
        const Blobs unseen = makeBlobs(n, 22, k, 1, 3.0f);
        ComplementaryTargets mixed = b.targets;
        std::mt19937_64 rng(5);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (int i = 0; i < n; i += 2) {
            const int y = b.truth[static_cast<std::size_t>(i)];
            mixed.ordinary(i, uniform(rng) < 0.8 ? y : (y + 1 + static_cast<int>(uniform(rng) * (k - 1))) % k) = 1;
        }
        const auto trained = [&](const ComplementaryTargets& targets) {
            Classifier model(smallMlp(), b.input, k, quickConfig());
            model.fitComplementary(b.input, b.rows, targets, ComplementaryConfig{});
            return rowArgmax(model.predict(unseen.input, unseen.rows));
        };
        const std::vector<int> alone = trained(b.targets);
        const std::vector<int> both = trained(mixed);
        const auto correct = [&](const std::vector<int>& predicted) {
            int right = 0;
            for (std::size_t i = 0; i < predicted.size(); ++i)
                right += predicted[i] == unseen.truth[i];
            return right;
        };
        QVERIFY(alone != both);
        QVERIFY2(correct(both) >= correct(alone) + 50,
                 (std::to_string(correct(alone)) + " -> " + std::to_string(correct(both)) + " of 500").c_str());
    }

    // An item with only ordinary answers is a term of the loss: in a batch its cross entropy
    // counts beside the other row's complementary term and its logits get a gradient; trained
    // beside complementary-only items, a few such items far from every blob take the class their
    // votes give, the one a model without them found least likely there.
    void itemsWithOnlyVotesAreTrainedOn()
    {
        const torch::Tensor logits = caseLogits().clone().requires_grad_(true);
        const torch::Tensor complementary = torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}).view({2, 3});
        const torch::Tensor ordinary = torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f}).view({2, 3});
        const torch::Tensor loss =
            learn::complementaryBatchLoss(ComplementaryLoss::SclNl, logits, complementary, ordinary, uniform3()).value;
        // (-log(1 - 0.66524) + -log 0.09962) / 2 answers.
        QVERIFY(std::abs(loss.item<double>() - (-std::log(1 - 0.6652409558) - std::log(0.0996236481)) / 2) < 1e-5);
        loss.backward();
        QVERIFY(logits.grad()[1].abs().sum().item<double>() > 0.1);

        Blobs b = makeBlobs(400, 31);
        const int outliers = 8;
        const int n = 400 + outliers;
        b.input.features.conservativeResize(n, Eigen::NoChange);
        b.targets.ordinary.conservativeResize(n, Eigen::NoChange);
        b.targets.complementary.conservativeResize(n, Eigen::NoChange);
        std::mt19937_64 rng(9);
        std::normal_distribution<float> noise(0.0f, 0.3f);
        std::vector<int> outlierRows;
        for (int i = 400; i < n; ++i) {
            for (int j = 0; j < b.input.features.cols(); ++j)
                b.input.features(i, j) = -6.0f + noise(rng);
            b.targets.ordinary.row(i).setZero();
            b.targets.complementary.row(i).setZero();
            outlierRows.push_back(i);
        }
        Classifier control(smallMlp(), b.input, 4, quickConfig());
        control.fitComplementary(b.input, b.rows, b.targets, ComplementaryConfig{});
        const RowMatrixXf before = control.predict(b.input, outlierRows);
        Eigen::Index leastLikely = 0;
        before.colwise().mean().minCoeff(&leastLikely);
        for (int i = 400; i < n; ++i)
            b.targets.ordinary(i, leastLikely) = 1;
        std::vector<int> rows = b.rows;
        rows.insert(rows.end(), outlierRows.begin(), outlierRows.end());
        Classifier model(smallMlp(), b.input, 4, quickConfig());
        model.fitComplementary(b.input, rows, b.targets, ComplementaryConfig{});
        const RowMatrixXf after = model.predict(b.input, outlierRows);
        for (int r = 0; r < outliers; ++r) {
            Eigen::Index top = 0;
            after.row(r).maxCoeff(&top);
            QVERIFY2(top == leastLikely && after(r, leastLikely) > 0.5f,
                     ("outlier " + std::to_string(r) + ": p = " + std::to_string(after(r, leastLikely)) + ", before "
                      + std::to_string(before(r, leastLikely)))
                         .c_str());
        }
    }

    void trainingRejectsValidationSplit()
    {
        const Blobs b = makeBlobs(40, 1);
        TrainConfig config = quickConfig();
        config.validationFraction = 0.2;
        Classifier model(smallMlp(), b.input, 4, config);
        const std::string message =
            inputErrorOf([&] { model.fitComplementary(b.input, b.rows, b.targets, ComplementaryConfig{}); });
        QVERIFY2(message.find("validation") != std::string::npos, message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestComplementary)
#include "test_complementary.moc"
