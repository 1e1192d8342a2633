#include "annotatorspage.h"
#include "annotatortablemodel.h"
#include "confusionheatmap.h"
#include "mainwindow.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "tableroles.h"
#include "thumbnailgridmodel.h"

#include "aggregate/annotator_stats.h"
#include "aggregate/registry.h"
#include "data/formats.h"
#include "images/demo.h"
#include "project/aggregation_runs.h"
#include "project/machine_annotators.h"
#include "project/store.h"
#include "util/progress.h"

#include <QBarSeries>
#include <QComboBox>
#include <QColor>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;

void waitLoaded(ProjectDocument* document, const QString& path)
{
    QSignalSpy loaded(document, &ProjectDocument::loaded);
    document->open(path);
    QVERIFY(loaded.wait(kTimeoutMs));
}

std::vector<int> shownItems(const ReviewPage& page)
{
    std::vector<int> items;
    for (Triage t : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
        const ThumbnailGridModel* model = page.bandModel(t);
        for (int row = 0; row < model->rowCount(); ++row)
            items.push_back(model->itemAt(row));
    }
    std::sort(items.begin(), items.end());
    return items;
}

}  // namespace

class TestAnnotators : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    Dataset demo_;
    AggregationResult ds_;
    QString rawProject_;  // no aggregation run
    QString runProject_;  // one stored Dawid-Skene run

private Q_SLOTS:
    void initTestCase();
    void withoutRunShowsRawColumns();
    void tableShowsQualityFigures();
    void sortsByNonSpamScore();
    void nonSpamScoreReadsGreenIsGood();
    void heatmapShowsTheAnnotatorsAnswers();
    void cellClickShowsThoseItemsInTheReviewTab();
    void histogramCountsEveryAnnotator();
    void agreementMatrixSharesAnswers();
    void complementaryHeatmapAndMachineRows();
};

void TestAnnotators::initTestCase()
{
    QVERIFY(dir_.isValid());
    DemoOptions options;
    options.itemCount = kDemoItems;
    const DemoResult built = buildDemo((dir_.path() + "/demo").toStdString(), options);
    demo_ = readDataset(built.folder);
    QCOMPARE(demo_.itemCount(), kDemoItems);

    rawProject_ = dir_.path() + "/raw.csift";
    Project::create(rawProject_.toStdString(), demo_, Progress::none());
    runProject_ = dir_.path() + "/run.csift";
    Project project = Project::create(runProject_.toStdString(), demo_, Progress::none());
    ds_ = aggregate("ds", demo_);
    QVERIFY(storeAggregationRun(project, demo_, ds_, {{"strategy", "ds"}}, nlohmann::json::object()) > 0);
}

void TestAnnotators::withoutRunShowsRawColumns()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, rawProject_);
    QVERIFY(!document.aggregation());
    QVERIFY(!page.annotatorModel()->hasStats());
    QVERIFY(!page.qualityNote()->isHidden());
    QCOMPARE(page.qualityNote()->text(), QStringLiteral("Run an aggregation (Review tab) to see quality figures"));
    QTableView* table = page.annotatorTable();
    QVERIFY(!table->isColumnHidden(AnnotatorTableModel::LabelsColumn));
    for (int column = AnnotatorTableModel::AccuracyColumn; column < AnnotatorTableModel::ColumnCount; ++column)
        QVERIFY(table->isColumnHidden(column));
    QVERIFY(page.accuracyHistogram().isEmpty());
    QCOMPARE(page.confusionHeatmap()->classCount(), 0);

    // Setting a run fills the figures in place.
    document.setAggregation(std::make_shared<const AggregationResult>(ds_), 0);
    QVERIFY(page.annotatorModel()->hasStats());
    QVERIFY(page.qualityNote()->isHidden());
    QVERIFY(!table->isColumnHidden(AnnotatorTableModel::NonSpamColumn));
    QVERIFY(table->isColumnHidden(AnnotatorTableModel::CrowdlabColumn));
    QCOMPARE(page.confusionHeatmap()->classCount(), demo_.classCount());
}

void TestAnnotators::tableShowsQualityFigures()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    QVERIFY(document.aggregation());
    QVERIFY(page.qualityNote()->isHidden());
    const std::vector<AnnotatorStats> expected = annotatorStats(demo_, ds_);
    const AnnotatorTableModel* model = page.annotatorModel();
    QCOMPARE(model->rowCount(), demo_.annotatorCount());
    for (int w = 0; w < model->rowCount(); ++w) {
        const AnnotatorStats& s = expected[static_cast<std::size_t>(w)];
        QCOMPARE(model->index(w, AnnotatorTableModel::LabelsColumn).data(SortRole).toInt(), s.labels);
        QCOMPARE(model->index(w, AnnotatorTableModel::AccuracyColumn).data(SortRole).toDouble(), s.estimatedAccuracy);
        QCOMPARE(model->index(w, AnnotatorTableModel::NonSpamColumn).data(SortRole).toDouble(), s.spammerScore);
        QCOMPARE(model->index(w, AnnotatorTableModel::AgreementColumn).data(SortRole).toDouble(), s.agreement);
        QCOMPARE(model->index(w, AnnotatorTableModel::AccuracyColumn).data(FractionRole).toDouble(),
                 s.estimatedAccuracy);
    }
    QCOMPARE(model->index(0, AnnotatorTableModel::AgreementColumn).data().toString(),
             QStringLiteral("%1 %").arg(QLocale().toString(100.0 * expected[0].agreement, 'f', 1)));
}

void TestAnnotators::sortsByNonSpamScore()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    QTableView* table = page.annotatorTable();
    const QAbstractItemModel* proxy = table->model();
    const std::vector<AnnotatorStats> expected = annotatorStats(demo_, ds_);

    // Every annotator is listed, so the order checks below compare real rows.
    QCOMPARE(proxy->rowCount(), demo_.annotatorCount());
    table->sortByColumn(AnnotatorTableModel::NonSpamColumn, Qt::AscendingOrder);
    for (int row = 1; row < proxy->rowCount(); ++row)
        QVERIFY(proxy->index(row - 1, AnnotatorTableModel::NonSpamColumn).data(SortRole).toDouble()
                <= proxy->index(row, AnnotatorTableModel::NonSpamColumn).data(SortRole).toDouble());
    // The demo's two spammers answer independently of the truth: they come first.
    const auto lowest = std::min_element(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
        return a.spammerScore < b.spammerScore;
    });
    QCOMPARE(proxy->index(0, AnnotatorTableModel::IdColumn).data().toString(),
             QString::fromStdString(demo_.annotatorIds[static_cast<std::size_t>(lowest - expected.begin())]));
    QVERIFY(lowest->spammerScore < 0.2);

    table->sortByColumn(AnnotatorTableModel::NonSpamColumn, Qt::DescendingOrder);
    for (int row = 1; row < proxy->rowCount(); ++row)
        QVERIFY(proxy->index(row - 1, AnnotatorTableModel::NonSpamColumn).data(SortRole).toDouble()
                >= proxy->index(row, AnnotatorTableModel::NonSpamColumn).data(SortRole).toDouble());
}

// Raykar & Yu's score is 0 for a spammer and 1 for a perfect annotator: the column says which
// way is good by its name, its tooltip and a red-to-green shade, so nobody reads it backwards.
void TestAnnotators::nonSpamScoreReadsGreenIsGood()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    const AnnotatorTableModel* model = page.annotatorModel();
    const int column = AnnotatorTableModel::NonSpamColumn;
    QCOMPARE(model->headerData(column, Qt::Horizontal).toString(), QStringLiteral("Non-spam score"));
    QVERIFY(model->headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().contains("higher is better"));
    const std::vector<AnnotatorStats>& stats = model->stats();
    const auto [worst, best] = std::minmax_element(stats.begin(), stats.end(), [](const auto& a, const auto& b) {
        return a.spammerScore < b.spammerScore;
    });
    // The demo's spammers score near 0, its reliable annotators near 1.
    QVERIFY(worst->spammerScore < 0.2);
    QVERIFY(best->spammerScore > 0.8);
    const auto hueOf = [&](const AnnotatorStats& s) {
        const int row = static_cast<int>(&s - stats.data());
        return model->index(row, column).data(Qt::BackgroundRole).value<QColor>().hsvHueF() * 360.0;
    };
    QVERIFY2(hueOf(*worst) < 30.0, qPrintable(QString::number(hueOf(*worst))));  // red
    QVERIFY2(hueOf(*best) > 90.0, qPrintable(QString::number(hueOf(*best))));    // green
    QCOMPARE(model->index(0, column).data(Qt::ForegroundRole).value<QColor>(), QColor(Qt::black));
}

void TestAnnotators::heatmapShowsTheAnnotatorsAnswers()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    ConfusionHeatmap* heatmap = page.confusionHeatmap();
    const int k = demo_.classCount();
    for (int w : {0, 7, demo_.annotatorCount() - 1}) {
        page.selectAnnotator(w);
        QCOMPARE(page.currentAnnotator(), w);
        page.setHeatmapMode(AnnotatorsPage::HeatmapMode::Counts);
        QCOMPARE(heatmap->classCount(), k);
        QCOMPARE(heatmap->format(), ConfusionHeatmap::Format::Count);
        QCOMPARE(heatmap->total(), static_cast<double>(demo_.answers.countOfAnnotator(w)));
        for (int t = 0; t < k; ++t) {
            for (int g = 0; g < k; ++g)
                QCOMPARE(heatmap->value(t, g), static_cast<double>(page.itemsOfCell(w, t, g).size()));
        }

        page.setHeatmapMode(AnnotatorsPage::HeatmapMode::RowNormalised);
        QCOMPARE(heatmap->format(), ConfusionHeatmap::Format::Fraction);
        // Each cell is its count over the row's; a consensus class the annotator never met has no
        // row (all NaN).
        int emptyRows = 0;
        for (int t = 0; t < k; ++t) {
            std::size_t met = 0;
            for (int g = 0; g < k; ++g)
                met += page.itemsOfCell(w, t, g).size();
            emptyRows += met == 0 ? 1 : 0;
            for (int g = 0; g < k; ++g) {
                if (met == 0)
                    QVERIFY(std::isnan(heatmap->value(t, g)));
                else
                    QCOMPARE(heatmap->value(t, g), static_cast<double>(page.itemsOfCell(w, t, g).size()) / met);
            }
        }
        QVERIFY(emptyRows < k);

        page.setHeatmapMode(AnnotatorsPage::HeatmapMode::Model);
        for (int t = 0; t < k; ++t) {
            for (int g = 0; g < k; ++g)
                QCOMPARE(heatmap->value(t, g), ds_.confusions[static_cast<std::size_t>(w)](t, g));
        }
    }
}

void TestAnnotators::cellClickShowsThoseItemsInTheReviewTab()
{
    MainWindow window;
    waitLoaded(window.document(), runProject_);
    window.showPage(MainWindow::Page::Annotators);
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    AnnotatorsPage* page = window.annotatorsPage();
    QCOMPARE(page->detailTabs()->currentIndex(), 0);

    // The busiest annotator's most frequent off-diagonal cell: a real confusion.
    int busiest = 0;
    for (int w = 1; w < demo_.annotatorCount(); ++w) {
        if (demo_.answers.countOfAnnotator(w) > demo_.answers.countOfAnnotator(busiest))
            busiest = w;
    }
    page->selectAnnotator(busiest);
    ConfusionHeatmap* heatmap = page->confusionHeatmap();
    QCOMPARE(heatmap->total(), static_cast<double>(demo_.answers.countOfAnnotator(busiest)));
    int trueClass = -1;
    int givenClass = -1;
    for (int t = 0; t < heatmap->classCount(); ++t) {
        for (int g = 0; g < heatmap->classCount(); ++g) {
            if (t != g && (trueClass < 0 || heatmap->value(t, g) > heatmap->value(trueClass, givenClass))) {
                trueClass = t;
                givenClass = g;
            }
        }
    }
    QVERIFY(heatmap->value(trueClass, givenClass) > 0.0);

    std::vector<int> expected;
    for (const Answers::Entry& e : demo_.answers.ofAnnotator(busiest)) {
        if (e.label == givenClass && ds_.labels[static_cast<std::size_t>(e.other)] == trueClass)
            expected.push_back(e.other);
    }
    QCOMPARE(static_cast<double>(expected.size()), heatmap->value(trueClass, givenClass));

    const QRect cell = heatmap->cellRect(trueClass, givenClass);
    QVERIFY(!cell.isEmpty());
    QCOMPARE(heatmap->cellAt(cell.center()), QPoint(givenClass, trueClass));
    QSignalSpy requested(page, &AnnotatorsPage::showItemsRequested);
    QTest::mouseClick(heatmap, Qt::LeftButton, Qt::NoModifier, cell.center());
    QCOMPARE(requested.count(), 1);
    const QVector<int> items = requested.front().front().value<QVector<int>>();
    QCOMPARE(std::vector<int>(items.begin(), items.end()), expected);

    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("pages"));
    QCOMPARE(tabs->currentWidget(), static_cast<QWidget*>(window.reviewPage()));
    QVERIFY(window.reviewPage()->hasItemFilter());
    QCOMPARE(shownItems(*window.reviewPage()), expected);
}

void TestAnnotators::histogramCountsEveryAnnotator()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    const QVector<int> histogram = page.accuracyHistogram();
    QCOMPARE(histogram.size(), 10);
    int total = 0;
    for (int count : histogram)
        total += count;
    QCOMPARE(total, demo_.annotatorCount());

    int expectedTop = 0;
    for (const AnnotatorStats& s : annotatorStats(demo_, ds_))
        expectedTop += s.estimatedAccuracy >= 0.9 ? 1 : 0;
    QCOMPARE(histogram.back(), expectedTop);

    // The chart draws the same bins.
    const QList<QAbstractSeries*> series = page.accuracyChart()->chart()->series();
    QCOMPARE(series.size(), 1);
    const QBarSet* bars = static_cast<QBarSeries*>(series.front())->barSets().front();
    QCOMPARE(bars->count(), 10);
    double drawn = 0.0;
    for (int bin = 0; bin < bars->count(); ++bin) {
        QCOMPARE(bars->at(bin), static_cast<double>(histogram[bin]));
        drawn += bars->at(bin);
    }
    QCOMPARE(drawn, static_cast<double>(demo_.annotatorCount()));
}

void TestAnnotators::agreementMatrixSharesAnswers()
{
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, runProject_);
    ConfusionHeatmap* matrix = page.agreementHeatmap();
    const int k = demo_.classCount();
    QCOMPARE(matrix->classCount(), k);
    QCOMPARE(matrix->format(), ConfusionHeatmap::Format::Fraction);

    // Counted by hand: answers on items with consensus c that said g, over all answers there.
    std::vector<double> counts(static_cast<std::size_t>(k * k), 0.0);
    std::vector<double> rows(static_cast<std::size_t>(k), 0.0);
    for (const Answer& a : demo_.answers.triplets()) {
        const int c = ds_.labels[static_cast<std::size_t>(a.item)];
        counts[static_cast<std::size_t>(c * k + a.label)] += 1.0;
        rows[static_cast<std::size_t>(c)] += 1.0;
    }
    for (int c = 0; c < k; ++c) {
        double sum = 0.0;
        for (int g = 0; g < k; ++g) {
            QCOMPARE(matrix->value(c, g), counts[static_cast<std::size_t>(c * k + g)] / rows[static_cast<std::size_t>(c)]);
            sum += matrix->value(c, g);
        }
        QVERIFY(qFuzzyCompare(sum, 1.0));
    }

    QSignalSpy requested(&page, &AnnotatorsPage::showItemsRequested);
    Q_EMIT matrix->cellClicked(6, 4);
    QCOMPARE(requested.count(), 1);
    const QVector<int> items = requested.front().front().value<QVector<int>>();
    QCOMPARE(items, page.itemsOfAgreementCell(6, 4));
    for (int item : items) {
        QCOMPARE(ds_.labels[static_cast<std::size_t>(item)], 6);
        const auto answers = demo_.answers.ofItem(item);
        QVERIFY(std::any_of(answers.begin(), answers.end(), [](const Answers::Entry& e) { return e.label == 4; }));
    }
}

// A machine annotator saying "not (truth + 1) mod K" about every item: the table marks it, and the
// Complementary pane shows P("not k" | y) = 1 for k = y + 1, by ground truth exactly and by the
// consensus nearly.
void TestAnnotators::complementaryHeatmapAndMachineRows()
{
    const QString path = dir_.path() + "/machine.csift";
    Dataset withTruth = demo_;
    readTruth(withTruth, (dir_.path() + "/demo/truth.csv").toStdString());
    QVERIFY(withTruth.hasTruth());
    {
        Project project = Project::create(path.toStdString(), withTruth, Progress::none());
        const int k = demo_.classCount();
        std::vector<Answer> answers;
        for (int i = 0; i < demo_.itemCount(); ++i)
            answers.push_back({i, 0, (withTruth.truth[static_cast<std::size_t>(i)] + 1) % k, true});
        MachineAnswerOptions options;
        options.complementary = 1;
        storeMachineAnnotators(project, "vlm", {{"model", "test"}}, options, {answers});
        const Dataset d = project.loadDataset(Progress::none());
        storeAggregationRun(project, d, aggregate("comp-ds", d), {{"strategy", "comp-ds"}}, nlohmann::json::object());
    }
    ProjectDocument document;
    AnnotatorsPage page(&document);
    waitLoaded(&document, path);
    const int machine = demo_.annotatorCount();
    QCOMPARE(page.annotatorModel()->rowCount(), machine + 1);
    QCOMPARE(page.annotatorModel()->index(machine, AnnotatorTableModel::IdColumn).data().toString(),
             QStringLiteral("vlm#1 (machine)"));
    QVERIFY(!page.annotatorModel()->index(0, AnnotatorTableModel::IdColumn).data().toString().contains("machine"));
    // Sorted by id, digit runs compare as numbers beside the machine's id too (0, 1, 2, ..., 39,
    // vlm#1), and the id column is wide enough for "vlm#1 (machine)".
    QTableView* table = page.annotatorTable();
    table->sortByColumn(AnnotatorTableModel::IdColumn, Qt::AscendingOrder);
    const QAbstractItemModel* sorted = table->model();
    for (int row = 0; row < machine; ++row)
        QCOMPARE(sorted->index(row, AnnotatorTableModel::IdColumn).data().toString(), QString::number(row));
    QCOMPARE(sorted->index(machine, AnnotatorTableModel::IdColumn).data().toString(), QStringLiteral("vlm#1 (machine)"));
    page.resize(900, 600);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QVERIFY(table->columnWidth(AnnotatorTableModel::IdColumn)
            >= table->fontMetrics().horizontalAdvance(QStringLiteral("vlm#1 (machine)")));

    const int k = demo_.classCount();
    ConfusionHeatmap* heatmap = page.complementaryHeatmap();
    QCOMPARE(heatmap->classCount(), k);
    for (int y = 0; y < k; ++y)
        QVERIFY(heatmap->value(y, (y + 1) % k) > 0.8);
    page.complementarySource()->setCurrentIndex(1);
    QCOMPARE(heatmap->classCount(), k);
    for (int y = 0; y < k; ++y) {
        QCOMPARE(heatmap->value(y, (y + 1) % k), 1.0);
        QCOMPARE(heatmap->value(y, y), 0.0);
    }
}

QTEST_MAIN(TestAnnotators)
#include "test_annotators.moc"
