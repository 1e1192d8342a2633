// Complementary labels in the GUI: the Learning tab's "Complementary labels" box runs `train
// --complementary` as a job (the chosen loss and transition), stored as a train run with its
// transition matrices, whose estimate the Annotators tab's Complementary pane then shows.

#include "annotatorspage.h"
#include "confusionheatmap.h"
#include "jobmanager.h"
#include "learnpage.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "trainingchart.h"
#include "ui_test_helpers.h"

#include "cluster_dataset.h"
#include "project/store.h"
#include "util/npy.h"
#include "util/progress.h"

#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <random>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 120000;
constexpr int kItems = 150;
constexpr int kClasses = 3;
constexpr int kFeatures = 6;

// 150 items in three separated Gaussian clusters (class = item % 3), each with one complementary
// answer ("not k", k drawn uniformly from the two wrong classes) from each of two annotators,
// or with `complementary` false one ordinary (right) vote each. Seeded.
Dataset complementaryDataset(bool complementary)
{
    testing::ClusterSpec spec;
    spec.name = "cll";
    spec.classNames = {"red", "green", "blue"};
    spec.annotatorIds = {"w0", "w1"};
    spec.items = kItems;
    spec.features = kFeatures;
    spec.seed = 20261203;
    return testing::clusterDataset(spec, [complementary](int i, int label, std::mt19937_64& random,
                                                         std::vector<Answer>& answers) {
        for (int a = 0; a < 2; ++a) {
            const int wrong = (label + 1 + static_cast<int>(random() % 2)) % kClasses;
            answers.push_back({i, a, complementary ? wrong : label, complementary});
        }
    });
}

void open(MainWindow& window, const QString& path)
{
    testing::openAndWait(window, path, kTimeoutMs);
}

}  // namespace

class TestLearnComplementary : public QObject {
    Q_OBJECT

private:
    QString createProject(const QString& name, bool complementary)
    {
        const QString path = dir_.path() + "/" + name + ".csift";
        Project::create(path.toStdString(), complementaryDataset(complementary), Progress::none());
        return path;
    }

    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void complementaryJobStoresRun()
    {
        MainWindow window;
        const QString path = createProject(QStringLiteral("job"), true);
        open(window, path);
        LearnPage* page = window.learnPage();
        page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
        page->epochsBox()->setValue(3);
        page->batchSizeBox()->setValue(32);
        page->deviceBox()->setCurrentIndex(page->deviceBox()->findData(QStringLiteral("cpu")));

        // The transition is for the losses that read one.
        QComboBox* loss = page->complementaryLossBox();
        QComboBox* transition = page->complementaryTransitionBox();
        QCOMPARE(loss->count(), 14);
        loss->setCurrentIndex(loss->findData(QStringLiteral("scl-nl")));
        QVERIFY(!transition->isEnabled());
        loss->setCurrentIndex(loss->findData(QStringLiteral("fwd")));
        QVERIFY(transition->isEnabled());
        transition->setCurrentIndex(transition->findData(QStringLiteral("truth")));

        QVERIFY(page->complementaryButton()->isEnabled());
        page->complementaryButton()->click();
        const int job = page->currentJob();
        QVERIFY(job != 0);
        QVERIFY(!page->complementaryButton()->isEnabled());  // one job of the page at a time
        QVERIFY(page->cancelButton()->isEnabled());
        QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
        QCOMPARE(window.jobManager()->job(job).status, JobStatus::Finished);
        QTRY_VERIFY_WITH_TIMEOUT(page->currentJob() == 0, kTimeoutMs);

        const Project project = Project::open(path.toStdString());
        std::vector<RunInfo> runs;
        for (const RunInfo& run : project.runs())
            if (run.kind == "train")
                runs.push_back(run);
        QCOMPARE(runs.size(), std::size_t(1));
        const RunInfo& run = runs.front();
        QCOMPARE(run.status, std::string("done"));
        QCOMPARE(run.name, std::string("fwd"));
        QCOMPARE(run.params["strategy"].get<std::string>(), std::string("fwd"));
        QCOMPARE(run.params["transition"].get<std::string>(), std::string("truth"));
        QVERIFY(run.params["complementary"].get<bool>());
        QCOMPARE(run.params["epochs"].get<int>(), 3);
        for (const char* output : {"probabilities", "fold", "history", "transition", "transition_data", "transition_truth"})
            QVERIFY2(std::find(run.outputs.begin(), run.outputs.end(), output) != run.outputs.end(), output);
        // The transition used is the one counted against the truth: each row's two wrong classes
        // share it, the diagonal is 0.
        const NpyArray t = project.runOutput(run.id, "transition");
        QCOMPARE(t.shape, (std::vector<std::size_t>{kClasses, kClasses}));
        const std::vector<double> values = t.as<double>();
        for (int y = 0; y < kClasses; ++y) {
            QCOMPARE(values[static_cast<std::size_t>(y * kClasses + y)], 0.0);
            double sum = 0;
            for (int k = 0; k < kClasses; ++k)
                sum += values[static_cast<std::size_t>(y * kClasses + k)];
            QVERIFY(std::abs(sum - 1.0) < 1e-9);
        }
        QVERIFY(std::isfinite(run.summary["transition_error"].get<double>()));
        QCOMPARE(run.summary["transition_error"].get<double>(), 0.0);

        // The page shows the stored run with its live curve of 3 epochs.
        QCOMPARE(page->shownRun(), run.id);
        QCOMPARE(page->curveChart()->trainLossSeries()->count(), 3);
        QVERIFY2(page->statusLabel()->text().contains(QStringLiteral("Complementary-label run %1 stored").arg(run.id)),
                 qPrintable(page->statusLabel()->text()));

        // "Use these settings" puts its loss and transition back into the box.
        loss->setCurrentIndex(loss->findData(QStringLiteral("scl-nl")));
        transition->setCurrentIndex(transition->findData(QStringLiteral("uniform")));
        QVERIFY(page->useRunSettings(run.id));
        QCOMPARE(loss->currentData().toString(), QStringLiteral("fwd"));
        QCOMPARE(transition->currentData().toString(), QStringLiteral("truth"));
        QVERIFY2(!page->statusLabel()->text().contains(QStringLiteral("Learn from crowds")),
                 qPrintable(page->statusLabel()->text()));

        // The Annotators tab shows the run's estimate at once: for fwd without anchors the
        // answers counted against its model's probabilities (transition_data), cell by cell.
        AnnotatorsPage* annotators = window.annotatorsPage();
        QComboBox* source = annotators->complementarySource();
        QCOMPARE(source->count(), 3);
        QCOMPARE(source->currentIndex(), 2);
        QCOMPARE(source->currentData().toLongLong(), static_cast<qlonglong>(run.id));
        const std::vector<double> estimate = project.runOutput(run.id, "transition_data").as<double>();
        const ConfusionHeatmap* heatmap = annotators->complementaryHeatmap();
        QCOMPARE(heatmap->classCount(), kClasses);
        for (int y = 0; y < kClasses; ++y)
            for (int k = 0; k < kClasses; ++k)
                QVERIFY(std::abs(heatmap->value(y, k) - estimate[static_cast<std::size_t>(y * kClasses + k)]) < 1e-6);
        // Back to the data's own matrix by the ground truth: the stored transition_truth.
        source->setCurrentIndex(1);
        for (int y = 0; y < kClasses; ++y)
            for (int k = 0; k < kClasses; ++k)
                QVERIFY(std::abs(heatmap->value(y, k) - values[static_cast<std::size_t>(y * kClasses + k)]) < 1e-9);
    }

    void cancelLeavesNoOutputs()
    {
        MainWindow window;
        const QString path = createProject(QStringLiteral("cancel"), true);
        open(window, path);
        LearnPage* page = window.learnPage();
        page->modelBox()->setCurrentIndex(page->modelBox()->findData(QStringLiteral("mlp")));
        page->epochsBox()->setValue(2000);
        page->batchSizeBox()->setValue(32);
        page->deviceBox()->setCurrentIndex(page->deviceBox()->findData(QStringLiteral("cpu")));
        page->complementaryLossBox()->setCurrentIndex(page->complementaryLossBox()->findData(QStringLiteral("mcl-log")));
        page->complementaryButton()->click();
        const int job = page->currentJob();
        QVERIFY(job != 0);
        QTRY_VERIFY_WITH_TIMEOUT(page->curveChart()->trainLossSeries()->count() >= 1, kTimeoutMs);
        page->cancelButton()->click();
        QVERIFY(window.jobManager()->waitFor(job, kTimeoutMs));
        QCOMPARE(window.jobManager()->job(job).status, JobStatus::Cancelled);
        QTRY_VERIFY_WITH_TIMEOUT(page->currentJob() == 0, kTimeoutMs);
        const Project project = Project::open(path.toStdString());
        for (const RunInfo& run : project.runs())
            QVERIFY(run.kind != "train" || run.status != "done");
    }

    void noComplementaryAnswersDisablesTheButton()
    {
        MainWindow window;
        open(window, createProject(QStringLiteral("votes"), false));
        QVERIFY(!window.learnPage()->complementaryButton()->isEnabled());
        QVERIFY(window.learnPage()->complementaryButton()->toolTip().contains(QStringLiteral("no complementary")));
    }
};

QTEST_MAIN(TestLearnComplementary)
#include "test_learn_complementary.moc"
