// End-to-end: `crowdsift-cli annotate` adds a machine annotator that every later aggregation run
// weighs like anyone, from a train run's out-of-fold probabilities (--run) and from a TorchScript
// classifier built here (--model --trust-model, which also runs scriptClassifierProbabilities).
// Links LibTorch only to write that classifier; the answers are checked against its own forward.

#include "clirun.h"
#include "synthetic_crowd.h"

#include "project/store.h"
#include "util/progress.h"

#include <torch/script.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

using crowdsift::testing::kClasses;
using crowdsift::testing::kDims;
using crowdsift::testing::kItems;
using crowdsift::testing::runCli;
using Run = crowdsift::testing::CliRun;

namespace {

const QStringList quick{"--model", "mlp", "--hidden", "32", "--epochs", "8", "--lr", "0.01", "--threads", "1"};

QJsonObject jsonOf(const Run& run)
{
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

// The annotator row `id` of `annotators --json`'s table; empty when absent.
QJsonObject annotatorRow(const QJsonObject& annotators, const QString& id)
{
    for (const QJsonValue& row : annotators["annotators"].toArray())
        if (row.toObject()["id"].toString() == id)
            return row.toObject();
    return {};
}

// A linear classifier over the synthetic crowd's 8 features: class c sums the features j with
// j % 3 == c (where that class's items have their +2.5), plus a bias.
void writeClassifier(const std::string& path)
{
    torch::Tensor weight = torch::zeros({kClasses, kDims});
    for (int c = 0; c < kClasses; ++c)
        for (int j = c; j < kDims; j += kClasses)
            weight[c][j] = 1.0;
    torch::jit::Module module("Linear");
    module.register_parameter("weight", weight, false);
    module.register_buffer("bias", torch::tensor({0.3f, 0.0f, -0.2f}));
    module.define(R"(
def forward(self, x):
    return torch.matmul(x, self.weight.t()) + self.bias
)");
    module.save(path);
}

// The classes of every item from the least to the most likely under the saved module's own
// forward (ties to the smaller class, as machineAnswers orders them).
std::vector<std::vector<int>> classOrder(const std::string& path, const crowdsift::Dataset& d)
{
    torch::jit::Module module = torch::jit::load(path);
    const torch::Tensor x = torch::from_blob(const_cast<float*>(d.features.data()), {d.itemCount(), kDims}, torch::kFloat);
    const torch::Tensor p = torch::softmax(module.forward({x}).toTensor(), 1).contiguous();
    const auto a = p.accessor<float, 2>();
    std::vector<std::vector<int>> order(static_cast<std::size_t>(d.itemCount()));
    for (int i = 0; i < d.itemCount(); ++i) {
        std::vector<int>& o = order[static_cast<std::size_t>(i)];
        o.resize(kClasses);
        std::iota(o.begin(), o.end(), 0);
        std::stable_sort(o.begin(), o.end(), [&](int l, int r) { return a[i][l] < a[i][r]; });
    }
    return order;
}

// item -> (label, complementary) of annotator `id` in the stored project.
std::map<int, std::pair<int, bool>> answersOf(const QString& project, const std::string& id)
{
    const crowdsift::Dataset d = crowdsift::Project::open(project.toStdString()).loadDataset(crowdsift::Progress::none());
    const auto w = static_cast<int>(std::find(d.annotatorIds.begin(), d.annotatorIds.end(), id) - d.annotatorIds.begin());
    std::map<int, std::pair<int, bool>> out;
    if (w == d.annotatorCount() || !d.isMachine(w))
        return out;
    for (const crowdsift::Answers::Entry& e : d.answers.ofAnnotator(w))
        out[e.other] = {e.label, e.complementary()};
    return out;
}

}  // namespace

class TestCliAnnotate : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString makeProject(const QString& name)
    {
        const QString path = dir_.filePath(name);
        crowdsift::Project::create(path.toStdString(), crowdsift::testing::syntheticCrowd(), crowdsift::Progress::none());
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("XDG_CACHE_HOME", dir_.filePath("xdg-cache").toUtf8());
    }

    // A 2-fold mlp on the majority vote answers every item from the fold model that did not train
    // on it; Dawid-Skene then estimates the machine's accuracy close to its true one.
    void fromATrainRun()
    {
        const QString project = makeProject("run.csift");
        QCOMPARE(runCli({"aggregate", project, "-s", "mv"}).exitCode, 0);
        const Run train = runCli(QStringList{"train", project, "--labels", "1", "--folds", "2", "--json"} + quick);
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));
        const int trainRun = jsonOf(train)["run"].toInt();
        QVERIFY(trainRun > 1);

        const Run annotate = runCli({"annotate", project, "--run", QString::number(trainRun), "--json"});
        QVERIFY2(annotate.exitCode == 0, qPrintable(annotate.err));
        const QJsonObject added = jsonOf(annotate);
        QCOMPARE(added["items_eligible"].toInt(), kItems);
        QCOMPARE(added["annotators"].toArray().size(), 1);
        const QJsonObject machine = added["annotators"].toArray()[0].toObject();
        const QString id = QStringLiteral("model:%1").arg(trainRun);
        QCOMPARE(machine["id"].toString(), id);
        QCOMPARE(machine["answers"].toInt(), kItems);
        const double trueAccuracy = machine["accuracy_against_truth"].toDouble();
        QVERIFY2(trueAccuracy > 0.8, qPrintable(annotate.out));
        QCOMPARE(static_cast<int>(answersOf(project, id.toStdString()).size()), kItems);

        const Run text = runCli({"annotate", project, "--run", QString::number(trainRun), "--name", "again"});
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY2(text.out.contains(QStringLiteral("%1 of %1 items eligible").arg(kItems))
                     && text.out.contains(QStringLiteral("added machine annotator again: %1 answers").arg(kItems)),
                 qPrintable(text.out));
        const Run taken = runCli({"annotate", project, "--run", QString::number(trainRun)});
        QVERIFY(taken.exitCode != 0);
        QVERIFY2(taken.err.contains(id), qPrintable(taken.err));

        const Run ds = runCli({"aggregate", project, "-s", "ds", "--json"});
        QVERIFY2(ds.exitCode == 0, qPrintable(ds.err));
        const int dsRun = jsonOf(ds)["run"].toInt();
        const Run annotators = runCli({"annotators", project, "--run", QString::number(dsRun), "--json"});
        QCOMPARE(annotators.exitCode, 0);
        const QJsonObject row = annotatorRow(jsonOf(annotators), id);
        QCOMPARE(row["kind"].toString(), QStringLiteral("machine"));
        QCOMPARE(row["labels"].toInt(), kItems);
        const double estimated = row["estimated_accuracy"].toDouble();
        QVERIFY2(std::abs(estimated - trueAccuracy) < 0.1,
                 qPrintable(QStringLiteral("estimated %1, true %2").arg(estimated).arg(trueAccuracy)));
        // Raykar & Yu's score: a model right most of the time is far from a spammer (0).
        QVERIFY2(row["spammer_score"].toDouble() > 0.5, qPrintable(annotators.out));
        QCOMPARE(annotatorRow(jsonOf(annotators), "w0")["kind"].toString(), QStringLiteral("human"));
        const Run table = runCli({"annotators", project, "--run", QString::number(dsRun)});
        QVERIFY2(table.out.contains(id + " [machine]") && !table.out.contains("w0 [machine]"), qPrintable(table.out));
    }

    // A TorchScript classifier the user trusts answers every item: its top-1 class, or "not" its
    // two least likely classes as annotators NAME#1 and NAME#2; exactly what its forward computes.
    void fromATrustedTorchScriptModel()
    {
        const QString project = makeProject("model.csift");
        const QString model = dir_.filePath("linear.pt");
        writeClassifier(model.toStdString());
        const std::vector<std::vector<int>> order = classOrder(model.toStdString(), crowdsift::testing::syntheticCrowd());

        const Run refused = runCli({"annotate", project, "--model", model});
        QVERIFY(refused.exitCode != 0);
        QVERIFY2(refused.err.contains("a TorchScript file is code that runs with your rights")
                     && refused.err.contains("--trust-model"),
                 qPrintable(refused.err));
        QVERIFY(answersOf(project, "model:linear").empty());

        const Run top = runCli({"annotate", project, "--model", model, "--trust-model", "--json"});
        QVERIFY2(top.exitCode == 0, qPrintable(top.err));
        QVERIFY2(top.err.contains("warning: running the TorchScript code in") && top.err.contains("(--trust-model)"),
                 qPrintable(top.err));
        QCOMPARE(jsonOf(top)["annotators"].toArray()[0].toObject()["id"].toString(), QStringLiteral("model:linear"));
        const auto topAnswers = answersOf(project, "model:linear");
        QCOMPARE(static_cast<int>(topAnswers.size()), kItems);
        for (const auto& [item, answer] : topAnswers) {
            QCOMPARE(answer.first, order[static_cast<std::size_t>(item)].back());
            QVERIFY(!answer.second);
        }

        const Run least = runCli({"annotate", project, "--model", model, "--trust-model", "--complementary", "2",
                                  "--name", "vlm", "--json"});
        QVERIFY2(least.exitCode == 0, qPrintable(least.err));
        const QJsonArray added = jsonOf(least)["annotators"].toArray();
        QCOMPARE(added.size(), 2);
        for (int j = 0; j < 2; ++j) {
            const std::string id = "vlm#" + std::to_string(j + 1);
            QCOMPARE(added[j].toObject()["id"].toString(), QString::fromStdString(id));
            const auto answers = answersOf(project, id);
            QCOMPARE(static_cast<int>(answers.size()), kItems);
            for (const auto& [item, answer] : answers) {
                QCOMPARE(answer.first, order[static_cast<std::size_t>(item)][static_cast<std::size_t>(j)]);
                QVERIFY(answer.second);
            }
        }
        // The classifier's least likely class is never the truth on these well-separated items.
        QCOMPARE(added[0].toObject()["accuracy_against_truth"].toDouble(), 1.0);
    }
};

QTEST_GUILESS_MAIN(TestCliAnnotate)
#include "test_cli_annotate.moc"
