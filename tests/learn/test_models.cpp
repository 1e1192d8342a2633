#include "learn/torch_models.h"
#include "learn/trainer.h"
#include "util/error.h"

#include <QTemporaryDir>
#include "backbone_testdata.h"
#include "input_error.h"

#include <QtTest>

#include <cmath>
#include <numeric>
#include <random>

using namespace crowdsift;
using crowdsift::testing::inputErrorOf;

namespace {

learn::InputShape imageShape(int channels, int side)
{
    learn::InputShape shape;
    shape.channels = channels;
    shape.height = side;
    shape.width = side;
    return shape;
}

ModelSpec named(const std::string& name, int width = 32)
{
    ModelSpec spec;
    spec.name = name;
    spec.width = width;
    return spec;
}

// n images of side x side (one channel) in 4 classes: class k lights quadrant k over noise.
LearnInput quadrantImages(int n, int side, std::vector<int>& labels)
{
    LearnInput input;
    input.height = side;
    input.width = side;
    input.channels = 1;
    input.images.resize(static_cast<std::size_t>(n) * side * side);
    std::mt19937 random(3);
    labels.clear();
    for (int i = 0; i < n; ++i) {
        const int label = i % 4;
        labels.push_back(label);
        for (int y = 0; y < side; ++y) {
            for (int x = 0; x < side; ++x) {
                const int quadrant = (y >= side / 2 ? 2 : 0) + (x >= side / 2 ? 1 : 0);
                const int value = static_cast<int>(random() % 60) + (quadrant == label ? 140 : 0);
                input.images[(static_cast<std::size_t>(i) * side + y) * side + x] = static_cast<std::uint8_t>(value);
            }
        }
    }
    return input;
}

std::vector<int> range(int begin, int end)
{
    std::vector<int> rows(static_cast<std::size_t>(end - begin));
    std::iota(rows.begin(), rows.end(), begin);
    return rows;
}

}  // namespace

class TestModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void softCrossEntropyMatchesTorchCrossEntropy_data()
    {
        QTest::addColumn<double>("smoothing");
        QTest::newRow("no smoothing") << 0.0;
        QTest::newRow("0.1") << 0.1;
        QTest::newRow("0.3") << 0.3;
    }

    void softCrossEntropyMatchesTorchCrossEntropy()
    {
        QFETCH(double, smoothing);
        torch::manual_seed(1);
        const torch::Tensor logits = torch::randn({17, 5}) * 3;
        const torch::Tensor labels = torch::randint(0, 5, {17}, torch::kLong);
        const torch::Tensor reference = torch::nn::functional::cross_entropy(
            logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
        const torch::Tensor oneHot = torch::one_hot(labels, 5).to(torch::kFloat);
        const double soft = learn::softCrossEntropy(logits, oneHot, smoothing).item<double>();
        QVERIFY2(std::abs(soft - reference.item<double>()) <= 1e-6,
                 qPrintable(QString("%1 vs %2").arg(soft, 0, 'g', 10).arg(reference.item<double>(), 0, 'g', 10)));
    }

    void softCrossEntropyOfSoftTargets()
    {
        // Two rows by hand: -sum_k t'_k log softmax_k with t' = 0.8 t + 0.2 / 3.
        const torch::Tensor logits = torch::tensor({1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f}).view({2, 3});
        const torch::Tensor targets = torch::tensor({0.5f, 0.5f, 0.0f, 0.2f, 0.3f, 0.5f}).view({2, 3});
        double expected = 0;
        for (int i = 0; i < 2; ++i) {
            double norm = 0;
            for (int k = 0; k < 3; ++k)
                norm += std::exp(logits[i][k].item<double>());
            for (int k = 0; k < 3; ++k) {
                const double t = 0.8 * targets[i][k].item<double>() + 0.2 / 3;
                expected -= t * (logits[i][k].item<double>() - std::log(norm)) / 2;
            }
        }
        QVERIFY(std::abs(learn::softCrossEntropy(logits, targets, 0.2).item<double>() - expected) <= 1e-6);
    }

    void multiTensorSgdMatchesTorchSgd_data()
    {
        QTest::addColumn<double>("momentum");
        QTest::addColumn<double>("weightDecay");
        QTest::addColumn<bool>("nesterov");
        QTest::newRow("nesterov, weight decay") << 0.9 << 5e-4 << true;
        QTest::newRow("heavy ball") << 0.8 << 0.0 << false;
        QTest::newRow("plain") << 0.0 << 1e-3 << false;
    }

    // The same parameters as torch::optim::SGD after steps with a changing learning rate, and a
    // parameter without a gradient (unused in the loss) left alone.
    void multiTensorSgdMatchesTorchSgd()
    {
        QFETCH(double, momentum);
        QFETCH(double, weightDecay);
        QFETCH(bool, nesterov);
        torch::manual_seed(3);
        const auto makeParameters = [] {
            torch::manual_seed(3);
            return std::vector<torch::Tensor>{torch::randn({4, 3}).requires_grad_(), torch::randn({3}).requires_grad_(),
                                              torch::randn({2}).requires_grad_()};
        };
        std::vector<torch::Tensor> ours = makeParameters();
        std::vector<torch::Tensor> theirs = makeParameters();
        const torch::Tensor unusedBefore = ours[2].detach().clone();
        learn::MultiTensorSgd sgd(ours, momentum, weightDecay, nesterov);
        torch::optim::SGD reference(theirs, torch::optim::SGDOptions(0.1).momentum(momentum).nesterov(nesterov).weight_decay(weightDecay));
        const torch::Tensor x = torch::randn({5, 4});
        for (int step = 0; step < 6; ++step) {
            const double lr = 0.1 / (step + 1);
            sgd.zeroGrad();
            (torch::tanh(x.matmul(ours[0]) + ours[1]).pow(2).sum()).backward();
            sgd.step(lr);
            for (torch::optim::OptimizerParamGroup& group : reference.param_groups())
                group.options().set_lr(lr);
            reference.zero_grad();
            (torch::tanh(x.matmul(theirs[0]) + theirs[1]).pow(2).sum()).backward();
            reference.step();
            for (std::size_t i = 0; i < 2; ++i)
                QVERIFY2(torch::allclose(ours[i], theirs[i], 1e-6, 1e-7), qPrintable(QString("step %1, parameter %2").arg(step).arg(i)));
        }
        QVERIFY(!torch::equal(ours[0], makeParameters()[0]));
        QVERIFY(torch::equal(ours[2].detach(), unusedBefore));
    }

    void architectures_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("channels");
        QTest::addColumn<int>("side");
        QTest::addColumn<qint64>("parameters");
        // small-cnn: 9 C w + 558 w^2 + 42 w (batch norm) + 4 w K.
        QTest::newRow("small-cnn w16 gray") << "small-cnn" << 16 << 1 << 28 << qint64(9 * 16 + 558 * 256 + 42 * 16 + 4 * 16 * 10);
        QTest::newRow("small-cnn w8 rgb") << "small-cnn" << 8 << 3 << 8 << qint64(9 * 3 * 8 + 558 * 64 + 42 * 8 + 4 * 8 * 10);
        // The CIFAR ResNet-18 (3x3 stem, no max-pool) for 10 classes.
        QTest::newRow("resnet18") << "resnet18" << 0 << 3 << 16 << qint64(11173962);
        QTest::newRow("mlp 256") << "mlp" << 0 << 1 << 28 << qint64(784 * 256 + 256 + 256 * 10 + 10);
    }

    void architectures()
    {
        QFETCH(QString, model);
        QFETCH(int, width);
        QFETCH(int, channels);
        QFETCH(int, side);
        QFETCH(qint64, parameters);
        learn::Net net = learn::makeNetwork(named(model.toStdString(), width), imageShape(channels, side), 10, 3);
        std::int64_t count = 0;
        for (const torch::Tensor& parameter : net->parameters())
            count += parameter.numel();
        QCOMPARE(count, parameters);
        net->eval();
        torch::NoGradGuard noGrad;
        const torch::Tensor logits = net->forward(torch::rand({3, channels, side, side}));
        QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{3, 10}));
        QVERIFY(torch::isfinite(logits).all().item<bool>());
    }

    void initialisationIsSeededAndBounded()
    {
        const ModelSpec spec = named("small-cnn", 4);
        const learn::Net a = learn::makeNetwork(spec, imageShape(3, 8), 5, 42);
        const learn::Net b = learn::makeNetwork(spec, imageShape(3, 8), 5, 42);
        const learn::Net c = learn::makeNetwork(spec, imageShape(3, 8), 5, 43);
        const std::vector<torch::Tensor> pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
        bool anyDifferent = false;
        for (std::size_t i = 0; i < pa.size(); ++i) {
            QVERIFY(torch::equal(pa[i], pb[i]));
            anyDifferent = anyDifferent || !torch::equal(pa[i], pc[i]);
            if (pa[i].dim() >= 2) {
                const double bound = 1.0 / std::sqrt(static_cast<double>(pa[i][0].numel()));
                QVERIFY(pa[i].abs().max().item<double>() <= bound);
                QVERIFY(pa[i].abs().max().item<double>() > 0.5 * bound);
            }
        }
        QVERIFY(anyDifferent);
        for (const auto& item : a->named_buffers()) {
            if (item.key() == "input_mean")
                QVERIFY(torch::equal(item.value(), torch::zeros({1, 3, 1, 1})));
        }
    }

    void everyArchitectureTrains_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("mlp") << "mlp";
        QTest::newRow("small-cnn") << "small-cnn";
        QTest::newRow("resnet18") << "resnet18";
    }

    void everyArchitectureTrains()
    {
        QFETCH(QString, model);
        std::vector<int> labels;
        const LearnInput input = quadrantImages(12, 8, labels);
        Targets targets;
        targets.labels = labels;
        TrainConfig config;
        config.epochs = 1;
        config.batchSize = 6;
        config.device = "cpu";
        config.threads = 1;
        Classifier classifier(named(model.toStdString(), 4), input, 4, config);
        const TrainResult result = classifier.fit(input, range(0, 12), targets);
        QCOMPARE(result.history.size(), std::size_t(1));
        QVERIFY(std::isfinite(result.history[0].trainLoss));
        const RowMatrixXf probabilities = classifier.predict(input, range(0, 12));
        QVERIFY(probabilities.allFinite());
        QVERIFY((probabilities.rowwise().sum().array() - 1.0f).abs().maxCoeff() < 1e-5f);
    }

    void torchScriptBackboneTrainsAHead()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("backbone.pt").toStdString();
        crowdsift::testing::saveProjectionBackbone(path, 16 * 16);
        std::vector<int> labels;
        const LearnInput input = quadrantImages(128, 16, labels);
        Targets targets;
        targets.labels = labels;
        ModelSpec spec = named("torchscript");
        spec.backbone = path;
        spec.hidden = {};
        TrainConfig config;
        config.epochs = 30;
        config.batchSize = 16;
        config.optimizer = OptimizerKind::AdamW;
        config.learningRate = 1e-2;
        config.weightDecay = 0;
        config.device = "cpu";
        config.threads = 1;
        Classifier classifier(spec, input, 4, config);
        QCOMPARE(classifier.parameterCount(), static_cast<std::int64_t>(24 * 4 + 4));
        const TrainResult result = classifier.fit(input, range(0, 96), targets);
        QVERIFY(result.history.back().trainAccuracy >= 0.95);
        const RowMatrixXf heldOut = classifier.predict(input, range(96, 128));
        int correct = 0;
        for (int i = 0; i < 32; ++i) {
            Eigen::Index best = 0;
            heldOut.row(i).maxCoeff(&best);
            correct += best == labels[static_cast<std::size_t>(96 + i)];
        }
        QVERIFY2(correct >= 29, qPrintable(QString("%1 of 32 held-out images right").arg(correct)));

        // The head alone is saved; a fresh classifier on the same backbone predicts the same.
        const std::string head = dir.filePath("head.pt").toStdString();
        classifier.save(head);
        config.seed = 3;
        Classifier reloaded(spec, input, 4, config);
        reloaded.load(head);
        QVERIFY((reloaded.predict(input, range(96, 128)) - heldOut).cwiseAbs().maxCoeff() == 0.0f);
    }

    void badBackbonesAreInputErrors()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        std::vector<int> labels;
        const LearnInput input = quadrantImages(8, 8, labels);
        TrainConfig config;
        config.device = "cpu";
        config.threads = 1;
        ModelSpec spec = named("torchscript");

        spec.backbone = dir.filePath("missing.pt").toStdString();
        QVERIFY(inputErrorOf([&] { Classifier(spec, input, 4, config); }).contains(QString::fromStdString(spec.backbone)));

        spec.backbone = dir.filePath("garbage.pt").toStdString();
        QFile garbage(QString::fromStdString(spec.backbone));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("PK\x03\x04 definitely not a TorchScript archive");
        garbage.close();
        QVERIFY(inputErrorOf([&] { Classifier(spec, input, 4, config); }).contains(QString::fromStdString(spec.backbone)));

        spec.backbone = dir.filePath("pair.pt").toStdString();
        torch::jit::Module pair("Pair");
        pair.define(R"(
def forward(self, x):
    return x, x
)");
        pair.save(spec.backbone);
        const QString message = inputErrorOf([&] { Classifier(spec, input, 4, config); });
        QVERIFY2(message.contains(QString::fromStdString(spec.backbone)) && message.contains("one tensor"), qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(TestModels)
#include "test_models.moc"
