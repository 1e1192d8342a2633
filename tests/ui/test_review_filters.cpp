#include "inspectorpanel.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "thumbnailgridmodel.h"

#include "demo_project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;
constexpr std::array<Triage, 3> kBands{Triage::Easy, Triage::NeedReview, Triage::Hard};

// Every item the three bands show, ascending.
std::vector<int> shownItems(const ReviewPage& page)
{
    std::vector<int> items;
    for (Triage triage : kBands) {
        const std::vector<int>& band = page.bandModel(triage)->items();
        items.insert(items.end(), band.begin(), band.end());
    }
    std::sort(items.begin(), items.end());
    return items;
}

// The items of [0, count) for which `keep` holds, ascending.
template <typename Keep>
std::vector<int> itemsWhere(int count, Keep keep)
{
    std::vector<int> items;
    for (int item = 0; item < count; ++item) {
        if (keep(item))
            items.push_back(item);
    }
    return items;
}

}  // namespace

class TestReviewFilters : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    Dataset dataset_;
    int projects_ = 0;
    QString projectPath_;
    std::unique_ptr<ProjectDocument> document_;
    std::unique_ptr<ReviewPage> page_;
    TriageEvidence evidence_;

private Q_SLOTS:
    void initTestCase();
    void init();
    void allClassesShowsEveryItem();
    void reviewOrder();
    void labelQualityOrder();
    void itemIdOrder();
    void annotatorFilter();
    void annotatorTypedByName();
    void disagreementOnly();
    void decidedFilter();
    void itemFilter();
    void classCountsFollowFilters();
    void reloadResetsFilters();
    void triageScaleFollowsTheRun();
    void labelQualityFollowsTheModel();
};

void TestReviewFilters::initTestCase()
{
    QVERIFY(dir_.isValid());
    dataset_ = testing::readSmallDemo(dir_.path() + "/demo", kDemoItems);
    QCOMPARE(dataset_.itemCount(), kDemoItems);
}

void TestReviewFilters::init()
{
    // A fresh project with a Dawid-Skene run for every case: decisions go to the project.
    projectPath_ = dir_.path() + QStringLiteral("/filters%1.csift").arg(++projects_);
    testing::createDawidSkeneProject(projectPath_, dataset_);
    page_.reset();
    document_ = std::make_unique<ProjectDocument>();
    page_ = std::make_unique<ReviewPage>(document_.get());
    QSignalSpy loaded(document_.get(), &ProjectDocument::loaded);
    document_->open(projectPath_);
    QVERIFY(loaded.wait(kTimeoutMs));
    QVERIFY(document_->aggregation());
    evidence_ = triageEvidence(document_->dataset(), *document_->aggregation());
    page_->showClass(ReviewPage::AllClasses);
}

void TestReviewFilters::allClassesShowsEveryItem()
{
    QCOMPARE(page_->currentClass(), ReviewPage::AllClasses);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems);
    QCOMPARE(page_->classList()->topLevelItem(0)->text(0), QStringLiteral("All classes"));
    // One class: only its consensus items.
    page_->showClass(3);
    for (int item : shownItems(*page_))
        QCOMPARE(evidence_.labels[static_cast<std::size_t>(item)], 3);
}

void TestReviewFilters::reviewOrder()
{
    page_->setSortOrder(ReviewPage::SortOrder::Review);
    for (Triage triage : kBands) {
        std::vector<int> members = page_->bandModel(triage)->items();
        std::sort(members.begin(), members.end());
        QCOMPARE(page_->bandModel(triage)->items(), crowdsift::reviewOrder(evidence_, members));
    }
}

void TestReviewFilters::labelQualityOrder()
{
    page_->setSortOrder(ReviewPage::SortOrder::LabelQuality);
    QCOMPARE(page_->findChild<QComboBox*>(QStringLiteral("sortOrder"))->currentText(), QStringLiteral("Label quality"));
    const AggregationResult& run = *document_->aggregation();
    const std::vector<double>& quality = page_->labelQuality();
    QCOMPARE(static_cast<int>(quality.size()), kDemoItems);
    for (int item = 0; item < kDemoItems; ++item) {
        const int label = run.labels[static_cast<std::size_t>(item)];
        if (label < 0)
            QVERIFY(std::isnan(quality[static_cast<std::size_t>(item)]));
        else
            QCOMPARE(quality[static_cast<std::size_t>(item)], run.posteriors(item, label));
    }
    int checked = 0;
    for (Triage triage : kBands) {
        const std::vector<int>& items = page_->bandModel(triage)->items();
        for (std::size_t row = 1; row < items.size(); ++row) {
            const double before = quality[static_cast<std::size_t>(items[row - 1])];
            const double after = quality[static_cast<std::size_t>(items[row])];
            QVERIFY(std::isnan(before) || before <= after);
            if (before == after)
                QVERIFY(items[row - 1] < items[row]);
            ++checked;
        }
    }
    QVERIFY(checked > kDemoItems / 2);
}

void TestReviewFilters::itemIdOrder()
{
    page_->setSortOrder(ReviewPage::SortOrder::ItemId);
    const std::vector<int> order = naturalIdOrder(document_->dataset().itemKeys);
    std::vector<int> rank(order.size());
    for (std::size_t position = 0; position < order.size(); ++position)
        rank[static_cast<std::size_t>(order[position])] = static_cast<int>(position);
    int checked = 0;
    for (Triage triage : kBands) {
        const std::vector<int>& items = page_->bandModel(triage)->items();
        for (std::size_t row = 1; row < items.size(); ++row) {
            QVERIFY(rank[static_cast<std::size_t>(items[row - 1])] < rank[static_cast<std::size_t>(items[row])]);
            ++checked;
        }
    }
    // Not an empty page: most items were compared with their neighbour.
    QVERIFY(checked > kDemoItems / 2);
}

void TestReviewFilters::annotatorFilter()
{
    const Dataset& dataset = document_->dataset();
    // The annotator with the most answers, so that every band has some.
    int busiest = 0;
    for (int annotator = 1; annotator < dataset.annotatorCount(); ++annotator) {
        if (dataset.answers.countOfAnnotator(annotator) > dataset.answers.countOfAnnotator(busiest))
            busiest = annotator;
    }
    std::vector<int> answered;
    for (const Answers::Entry& entry : dataset.answers.ofAnnotator(busiest))
        answered.push_back(entry.other);
    QVERIFY(answered.size() > 20);

    page_->setAnnotatorFilter(busiest);
    QCOMPARE(page_->annotatorFilter(), busiest);
    QCOMPARE(shownItems(*page_), answered);
    QCOMPARE(page_->findChild<QLineEdit*>(QStringLiteral("annotatorFilter"))->text(),
             QString::fromStdString(dataset.annotatorIds[busiest]));
    page_->setAnnotatorFilter(-1);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems);
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, page_->setAnnotatorFilter(dataset.annotatorCount()));
}

void TestReviewFilters::annotatorTypedByName()
{
    const Dataset& dataset = document_->dataset();
    auto* edit = page_->findChild<QLineEdit*>(QStringLiteral("annotatorFilter"));
    QVERIFY(edit);
    edit->setText(QString::fromStdString(dataset.annotatorIds[5]));
    Q_EMIT edit->editingFinished();
    QCOMPARE(page_->annotatorFilter(), 5);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), dataset.answers.countOfAnnotator(5));

    // An unknown id leaves the filter as it was.
    edit->setText(QStringLiteral("nobody-by-that-name"));
    Q_EMIT edit->editingFinished();
    QCOMPARE(page_->annotatorFilter(), 5);
    QVERIFY(edit->toolTip().contains(QStringLiteral("nobody-by-that-name")));

    // Emptying the field lifts it.
    edit->clear();
    QCOMPARE(page_->annotatorFilter(), -1);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems);
}

void TestReviewFilters::disagreementOnly()
{
    page_->findChild<QCheckBox*>(QStringLiteral("disagreementOnly"))->setChecked(true);
    QVERIFY(page_->disagreementOnly());
    const std::vector<int> expected
        = itemsWhere(kDemoItems, [&](int item) { return evidence_.agreement[static_cast<std::size_t>(item)] < 1.0; });
    QVERIFY(!expected.empty());
    QVERIFY(static_cast<int>(expected.size()) < kDemoItems);
    QCOMPARE(shownItems(*page_), expected);
    // No unanimous item can be easy under the default rule's agreement 1.
    QVERIFY(page_->bandModel(Triage::Easy)->items().empty());
    page_->setDisagreementOnly(false);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems);
}

void TestReviewFilters::decidedFilter()
{
    document_->relabel({4, 7, 9}, 2);
    document_->accept({11, 250});
    page_->setDecidedFilter(ReviewPage::DecidedFilter::Decided);
    QCOMPARE(shownItems(*page_), std::vector<int>({4, 7, 9, 11, 250}));

    page_->findChild<QComboBox*>(QStringLiteral("decidedFilter"))->setCurrentIndex(2);
    QCOMPARE(page_->decidedFilter(), ReviewPage::DecidedFilter::Undecided);
    const std::vector<int> undecided = shownItems(*page_);
    QCOMPARE(static_cast<int>(undecided.size()), kDemoItems - 5);
    QVERIFY(!std::binary_search(undecided.begin(), undecided.end(), 7));

    // A new decision does not pull the item out from under the curator ...
    document_->accept({12});
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems - 5);
    // ... the next filter change does.
    page_->setDecidedFilter(ReviewPage::DecidedFilter::Undecided);
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems - 6);
}

void TestReviewFilters::itemFilter()
{
    page_->showClass(1);
    page_->showItems({42, 5, 17, 42, -3, kDemoItems + 10}, QStringLiteral("w3: Shirt answered as Coat"));
    QVERIFY(page_->hasItemFilter());
    QCOMPARE(page_->currentClass(), ReviewPage::AllClasses);
    QCOMPARE(shownItems(*page_), std::vector<int>({5, 17, 42}));
    auto* bar = page_->findChild<QWidget*>(QStringLiteral("itemFilterBar"));
    QVERIFY(bar && !bar->isHidden());
    QVERIFY(page_->findChild<QLabel*>(QStringLiteral("itemFilterText"))->text().contains(QStringLiteral("3 item")));

    // Combined with the other filters.
    document_->accept({17});
    page_->setDecidedFilter(ReviewPage::DecidedFilter::Decided);
    QCOMPARE(shownItems(*page_), std::vector<int>({17}));
    page_->setDecidedFilter(ReviewPage::DecidedFilter::All);

    page_->clearItemFilter();
    QVERIFY(!page_->hasItemFilter());
    QVERIFY(bar->isHidden());
    QCOMPARE(static_cast<int>(shownItems(*page_).size()), kDemoItems);
}

void TestReviewFilters::classCountsFollowFilters()
{
    page_->setDisagreementOnly(true);
    const QTreeWidget* classes = page_->classList();
    const int expected = static_cast<int>(
        itemsWhere(kDemoItems, [&](int item) { return evidence_.agreement[static_cast<std::size_t>(item)] < 1.0; })
            .size());
    int allRow = 0;
    int classRows = 0;
    for (int row = 0; row < classes->topLevelItemCount(); ++row) {
        const QTreeWidgetItem* item = classes->topLevelItem(row);
        const int sum = item->text(1).toInt() + item->text(2).toInt() + item->text(3).toInt();
        if (item->data(0, Qt::UserRole).toInt() == ReviewPage::AllClasses)
            allRow = sum;
        else
            classRows += sum;
    }
    QCOMPARE(allRow, expected);
    QCOMPARE(classRows, expected);
}

void TestReviewFilters::reloadResetsFilters()
{
    page_->setAnnotatorFilter(2);
    page_->showItems({1, 2, 3}, QStringLiteral("three"));
    QSignalSpy loaded(document_.get(), &ProjectDocument::loaded);
    document_->open(projectPath_);
    QVERIFY(loaded.wait(kTimeoutMs));
    QCOMPARE(page_->annotatorFilter(), -1);
    QVERIFY(!page_->hasItemFilter());
    QVERIFY(page_->findChild<QLineEdit*>(QStringLiteral("annotatorFilter"))->text().isEmpty());
}

// A CROWDLAB run gets the rank scale, a Dawid-Skene run the posterior scale; each keeps the
// curator's thresholds for its scale. The "CROWDLAB" run is the DS run mixed 2:3 with the uniform
// distribution: the same labels and order, a flat level (at most 0.46) like a CROWDLAB consensus
// quality after soft-target training.
void TestReviewFilters::triageScaleFollowsTheRun()
{
    const auto ds = std::make_shared<const AggregationResult>(*document_->aggregation());
    QCOMPARE(page_->rule().scale, TriageScale::Posterior);
    auto flat = std::make_shared<AggregationResult>(*ds);
    flat->strategy = "crowdlab";
    const double uniform = 1.0 / flat->classCount();
    flat->posteriors = (0.4 * flat->posteriors.array() + 0.6 * uniform).matrix();
    // On the absolute scale every item is hard.
    QCOMPARE(triageCounts(triage(dataset_, *flat, TriageRule{}))[2], kDemoItems);

    document_->setAggregation(flat, 0);
    QCOMPARE(page_->rule(), TriageRule::defaults(TriageScale::Rank));
    QCOMPARE(page_->scaleBox()->currentData().toInt(), static_cast<int>(TriageScale::Rank));
    QVERIFY(page_->findChild<QLabel*>(QStringLiteral("ruleText"))->text().contains(QStringLiteral("lowest 10%")));
    const std::vector<int> counts = triageCounts(page_->categories());
    QCOMPARE(counts, triageCounts(triage(dataset_, *flat, TriageRule::defaults(TriageScale::Rank))));
    QVERIFY(counts[0] > 0 && counts[1] > 0);
    QVERIFY(std::abs(counts[2] - kDemoItems / 10) <= 3);  // the lowest tenth; ties at the edge may move a few

    // The curator loosens the rank rule, goes to the DS run and back: each scale keeps its rule.
    page_->findChild<QDoubleSpinBox*>(QStringLiteral("hardPosterior"))->setValue(0.2);
    QCOMPARE(page_->rule().hardPosterior, 0.2);
    document_->setAggregation(ds, 0);
    QCOMPARE(page_->rule(), TriageRule::defaults(TriageScale::Posterior));
    QCOMPARE(triageCounts(page_->categories()), triageCounts(triage(dataset_, *ds, TriageRule{})));
    document_->setAggregation(flat, 0);
    QCOMPARE(page_->rule().scale, TriageScale::Rank);
    QCOMPARE(page_->rule().hardPosterior, 0.2);

    // The scale box switches by hand too.
    page_->scaleBox()->setCurrentIndex(page_->scaleBox()->findData(static_cast<int>(TriageScale::Posterior)));
    QCOMPARE(page_->rule(), TriageRule::defaults(TriageScale::Posterior));
    QCOMPARE(triageCounts(page_->categories())[2], kDemoItems);
}

// A run with model probabilities (CROWDLAB) sorts by the model's self-confidence in the
// consensus label, and the inspector shows the model beside the posterior. Here the "model"
// gives 0.9 to the consensus label of even items and to the next class for odd items.
void TestReviewFilters::labelQualityFollowsTheModel()
{
    const auto ds = std::make_shared<const AggregationResult>(*document_->aggregation());
    auto withModel = std::make_shared<AggregationResult>(*ds);
    withModel->strategy = "crowdlab";
    const int k = withModel->classCount();
    withModel->modelProbabilities = RowMatrixXd::Constant(kDemoItems, k, 0.1 / (k - 1));
    for (int i = 0; i < kDemoItems; ++i) {
        const int label = std::max(0, withModel->labels[static_cast<std::size_t>(i)]);
        withModel->modelProbabilities(i, (label + i % 2) % k) = 0.9;
    }
    document_->setAggregation(withModel, 0);
    page_->setSortOrder(ReviewPage::SortOrder::LabelQuality);
    const std::vector<double>& quality = page_->labelQuality();
    for (int item = 0; item < kDemoItems; ++item) {
        if (withModel->labels[static_cast<std::size_t>(item)] < 0)
            continue;
        QCOMPARE(quality[static_cast<std::size_t>(item)], item % 2 ? 0.1 / (k - 1) : 0.9);
    }
    // In every band the items the model disagrees with (odd) come first.
    for (Triage triage : kBands) {
        const std::vector<int>& items = page_->bandModel(triage)->items();
        const auto firstEven = std::find_if(items.begin(), items.end(), [](int item) { return item % 2 == 0; });
        QVERIFY(std::all_of(firstEven, items.end(), [](int item) { return item % 2 == 0; }));
    }

    InspectorPanel* inspector = page_->inspector();
    inspector->setSelection(1, {1});
    QTreeWidget* tree = inspector->posteriorTree();
    QVERIFY(!tree->isColumnHidden(2));
    QCOMPARE(tree->topLevelItemCount(), k);
    const int label = withModel->labels[1];
    QCOMPARE(tree->topLevelItem((label + 1) % k)->text(2), QStringLiteral("0.900"));
    QVERIFY(inspector->findChild<QLabel*>(QStringLiteral("qualityLabel"))->text().contains(QStringLiteral("under the model")));

    // Without a model: the posterior again, and no model column.
    document_->setAggregation(ds, 0);
    inspector->setSelection(1, {1});
    QVERIFY(tree->isColumnHidden(2));
    QCOMPARE(page_->labelQuality()[1], ds->posteriors(1, ds->labels[1]));
    QVERIFY(!inspector->findChild<QLabel*>(QStringLiteral("qualityLabel"))->text().contains(QStringLiteral("model")));
}

QTEST_MAIN(TestReviewFilters)
#include "test_review_filters.moc"
