#include "annotatorspage.h"

#include "annotatortablemodel.h"
#include "aggregate/complementary.h"
#include "confusionheatmap.h"
#include "projectdocument.h"
#include "runlistmodel.h"
#include "sharebardelegate.h"
#include "tableroles.h"

#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/npy.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace crowdsift {

namespace {

constexpr int kHistogramBins = 10;

QLabel* captionLabel(const QString& name, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    return label;
}

QLabel* hintLabel(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setForegroundRole(QPalette::PlaceholderText);
    label->setWordWrap(true);
    return label;
}

}  // namespace

AnnotatorsPage::AnnotatorsPage(ProjectDocument* document, QWidget* parent) : QWidget(parent), document_(document)
{
    model_ = new AnnotatorTableModel(document_, this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(SortRole);
    proxy_->setFilterKeyColumn(AnnotatorTableModel::IdColumn);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    count_ = new QLabel(this);
    count_->setObjectName(QStringLiteral("annotatorCount"));

    note_ = hintLabel(tr("Run an aggregation (Review tab) to see quality figures"), this);
    note_->setObjectName(QStringLiteral("qualityNote"));

    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("annotatorFilter"));
    filter_->setPlaceholderText(tr("Filter by annotator id"));
    filter_->setClearButtonEnabled(true);
    filter_->setMinimumWidth(220);
    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text);
        updateCount();
    });

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("annotatorTable"));
    table_->setModel(proxy_);
    table_->setItemDelegateForColumn(AnnotatorTableModel::LabelsColumn, new ShareBarDelegate(table_));
    table_->setSortingEnabled(true);
    table_->sortByColumn(AnnotatorTableModel::IdColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setShowGrid(false);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    QHeaderView* header = table_->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(false);
    // The id is always readable ("mlp-machine (machine)" too): its column fits it; the share bar
    // of the labels and the numbers keep a steady width (the table scrolls sideways when narrow).
    header->setSectionResizeMode(AnnotatorTableModel::IdColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(AnnotatorTableModel::LabelsColumn, QHeaderView::Interactive);
    for (int column = AnnotatorTableModel::ClassesUsedColumn; column < AnnotatorTableModel::ColumnCount; ++column)
        header->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    table_->setColumnWidth(AnnotatorTableModel::LabelsColumn, 130);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AnnotatorsPage::onCurrentRowChanged);

    // "Annotator": the selected annotator's confusion.
    auto* annotatorPane = new QWidget(this);
    confusionTitle_ = captionLabel(QStringLiteral("confusionTitle"), annotatorPane);
    mode_ = new QComboBox(annotatorPane);
    mode_->setObjectName(QStringLiteral("heatmapMode"));
    mode_->addItem(tr("Counts"));
    mode_->addItem(tr("Row-normalised"));
    mode_->addItem(tr("Model estimate"));
    mode_->addItem(tr("Learned from crowds"));
    mode_->setToolTip(tr("Counts of the annotator's answers, the same counts as shares of each row, "
                         "the active run's confusion matrix of the annotator, or the one a learn-from-crowds "
                         "run learned"));
    connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this, &AnnotatorsPage::refreshConfusion);
    learnedRun_ = new QComboBox(annotatorPane);
    learnedRun_->setObjectName(QStringLiteral("learnedRun"));
    learnedRun_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(learnedRun_, qOverload<int>(&QComboBox::currentIndexChanged), this, &AnnotatorsPage::refreshConfusion);
    // The run box says whose learned confusions are shown: only in that mode is it asked.
    learnedRun_->setVisible(false);
    connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { learnedRun_->setVisible(heatmapMode() == HeatmapMode::Learned); });
    confusion_ = new ConfusionHeatmap(annotatorPane);
    confusion_->setObjectName(QStringLiteral("confusionHeatmap"));
    confusion_->setAxisTitles(tr("Consensus"), tr("Given label"));
    connect(confusion_, &ConfusionHeatmap::cellClicked, this, &AnnotatorsPage::onConfusionClicked);
    confusionHint_ = hintLabel(tr("Click a cell to list those items in the Review tab."), annotatorPane);
    auto* modeRow = new QHBoxLayout;
    modeRow->addWidget(confusionTitle_, 1);
    modeRow->addWidget(mode_);
    modeRow->addWidget(learnedRun_);
    auto* annotatorLayout = new QVBoxLayout(annotatorPane);
    annotatorLayout->addLayout(modeRow);
    annotatorLayout->addWidget(confusion_, 1);
    annotatorLayout->addWidget(confusionHint_);

    // "All annotators": the managers' view.
    auto* teamPane = new QWidget(this);
    histogramTitle_ = captionLabel(QStringLiteral("histogramTitle"), teamPane);
    auto* chart = new QChart;
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundVisible(false);
    chart_ = new QChartView(chart, teamPane);
    chart_->setObjectName(QStringLiteral("accuracyChart"));
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumHeight(200);
    auto* agreementTitle = captionLabel(QStringLiteral("agreementTitle"), teamPane);
    agreementTitle->setText(tr("<b>Class-by-class agreement</b>: share of all answers on items of each "
                               "consensus class that gave each label"));
    agreement_ = new ConfusionHeatmap(teamPane);
    agreement_->setObjectName(QStringLiteral("agreementHeatmap"));
    agreement_->setAxisTitles(tr("Consensus"), tr("Given label"));
    connect(agreement_, &ConfusionHeatmap::cellClicked, this, &AnnotatorsPage::onAgreementClicked);
    auto* histogramBox = new QWidget(teamPane);
    auto* histogramLayout = new QVBoxLayout(histogramBox);
    histogramLayout->setContentsMargins(0, 0, 0, 0);
    histogramLayout->addWidget(histogramTitle_);
    histogramLayout->addWidget(chart_, 1);
    auto* agreementBox = new QWidget(teamPane);
    auto* agreementLayout = new QVBoxLayout(agreementBox);
    agreementLayout->setContentsMargins(0, 0, 0, 0);
    agreementLayout->addWidget(agreementTitle);
    agreementLayout->addWidget(agreement_, 1);
    auto* teamSplitter = new QSplitter(Qt::Vertical, teamPane);
    teamSplitter->setChildrenCollapsible(false);
    teamSplitter->addWidget(histogramBox);
    teamSplitter->addWidget(agreementBox);
    teamSplitter->setStretchFactor(0, 2);
    teamSplitter->setStretchFactor(1, 3);
    auto* teamLayout = new QVBoxLayout(teamPane);
    teamLayout->addWidget(teamSplitter);

    details_ = new QTabWidget(this);
    details_->setObjectName(QStringLiteral("annotatorDetails"));
    details_->setDocumentMode(true);
    details_->addTab(annotatorPane, tr("Annotator"));
    details_->addTab(teamPane, tr("All annotators"));

    // "Complementary": the transition matrix of the data's "not k" answers.
    auto* complementaryPane = new QWidget(this);
    complementaryTitle_ = captionLabel(QStringLiteral("complementaryTitle"), complementaryPane);
    complementarySource_ = new QComboBox(complementaryPane);
    complementarySource_->setObjectName(QStringLiteral("complementarySource"));
    complementarySource_->addItem(tr("By consensus"));
    complementarySource_->addItem(tr("By ground truth"));
    complementarySource_->setToolTip(tr("The class of an item: the active run's posteriors, or the ground truth "
                                        "where the dataset has it"));
    connect(complementarySource_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &AnnotatorsPage::refreshComplementary);
    complementary_ = new ConfusionHeatmap(complementaryPane);
    complementary_->setObjectName(QStringLiteral("complementaryHeatmap"));
    complementary_->setAxisTitles(tr("Class"), tr("Said \u201cnot\u201d"));
    auto* complementaryRow = new QHBoxLayout;
    complementaryRow->addWidget(complementaryTitle_, 1);
    complementaryRow->addWidget(complementarySource_);
    auto* complementaryLayout = new QVBoxLayout(complementaryPane);
    complementaryLayout->addLayout(complementaryRow);
    complementaryLayout->addWidget(complementary_, 1);
    details_->addTab(complementaryPane, tr("Complementary"));

    // "Common confusion": what a CoNAL run learned that everybody confuses.
    auto* commonPane = new QWidget(this);
    commonTitle_ = captionLabel(QStringLiteral("commonTitle"), commonPane);
    commonRun_ = new QComboBox(commonPane);
    commonRun_->setObjectName(QStringLiteral("commonRun"));
    commonRun_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(commonRun_, qOverload<int>(&QComboBox::currentIndexChanged), this, &AnnotatorsPage::refreshCommon);
    common_ = new ConfusionHeatmap(commonPane);
    common_->setObjectName(QStringLiteral("commonHeatmap"));
    common_->setAxisTitles(tr("True class"), tr("Answer"));
    connect(common_, &ConfusionHeatmap::cellClicked, this, &AnnotatorsPage::onCommonClicked);
    commonHint_ = hintLabel(tr("Click cell (k, g) to list the items whose consensus is k and that the run's model "
                               "classes as g."),
                            commonPane);
    auto* commonRow = new QHBoxLayout;
    commonRow->addWidget(commonTitle_, 1);
    commonRow->addWidget(commonRun_);
    auto* commonLayout = new QVBoxLayout(commonPane);
    commonLayout->addLayout(commonRow);
    commonLayout->addWidget(common_, 1);
    commonLayout->addWidget(commonHint_);
    details_->addTab(commonPane, tr("Common confusion"));

    auto* tablePane = new QWidget(this);
    auto* bar = new QHBoxLayout;
    bar->addWidget(count_);
    bar->addStretch(1);
    bar->addWidget(filter_);
    auto* tableLayout = new QVBoxLayout(tablePane);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(bar);
    tableLayout->addWidget(note_);
    tableLayout->addWidget(table_, 1);

    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setObjectName(QStringLiteral("annotatorSplitter"));
    splitter_->setChildrenCollapsible(false);
    splitter_->addWidget(tablePane);
    splitter_->addWidget(details_);
    splitter_->setStretchFactor(0, 1);
    splitter_->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter_, 1);

    // Connected after the model's own reload, so the count reads the new rows.
    connect(document_, &ProjectDocument::loaded, this, &AnnotatorsPage::updateCount);
    connect(model_, &AnnotatorTableModel::statsChanged, this, &AnnotatorsPage::onStatsChanged);
    connect(document_, &ProjectDocument::loaded, this, [this] { newestComplementary_ = -1; });
    connect(document_, &ProjectDocument::loaded, this, &AnnotatorsPage::refreshCrowdRuns);
    connect(document_, &ProjectDocument::runsChanged, this, &AnnotatorsPage::refreshCrowdRuns);
    updateCount();
    refreshCrowdRuns();
    onStatsChanged();
}

void AnnotatorsPage::showEvent(QShowEvent* event)
{
    // Half and half on first show, when the width is known: room for every column of the table
    // and for a 10-class heatmap; the splitter's own split follows the panes' size hints instead.
    if (!splitInitialised_ && splitter_->width() > 0) {
        splitInitialised_ = true;
        const int half = splitter_->width() / 2;
        splitter_->setSizes({half, splitter_->width() - half});
    }
    QWidget::showEvent(event);
}

void AnnotatorsPage::updateCount()
{
    const int total = model_->rowCount();
    const int shown = proxy_->rowCount();
    if (shown == total)
        count_->setText(total == 1 ? tr("1 annotator") : tr("%1 annotators").arg(QLocale().toString(total)));
    else
        count_->setText(tr("%1 of %2 annotators").arg(QLocale().toString(shown), QLocale().toString(total)));
}

QString AnnotatorsPage::annotatorName(int annotator) const
{
    return QString::fromStdString(document_->dataset().annotatorIds[static_cast<std::size_t>(annotator)]);
}

QString AnnotatorsPage::className(int label) const
{
    return QString::fromStdString(document_->dataset().classNames[static_cast<std::size_t>(label)]);
}

void AnnotatorsPage::onStatsChanged()
{
    const bool quality = model_->hasStats();
    note_->setVisible(document_->hasDataset() && !quality);
    for (int column = AnnotatorTableModel::AccuracyColumn; column <= AnnotatorTableModel::AgreementColumn; ++column)
        table_->setColumnHidden(column, !quality);
    table_->setColumnHidden(AnnotatorTableModel::CrowdlabColumn, !model_->hasCrowdlabQuality());
    mode_->setEnabled(quality || learnedRun_->count() > 0);

    // A reload drops the selection; start on the first row so the heatmap is never empty for nothing.
    const QModelIndex current = table_->selectionModel()->currentIndex();
    if (!current.isValid() && proxy_->rowCount() > 0)
        table_->selectionModel()->setCurrentIndex(proxy_->index(0, 0),
                                                  QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    else
        onCurrentRowChanged();
    refreshManagersView();
}

void AnnotatorsPage::onCurrentRowChanged()
{
    const QModelIndex current = table_->selectionModel()->currentIndex();
    currentAnnotator_ = current.isValid() ? proxy_->mapToSource(current).row() : -1;
    refreshConfusion();
}

void AnnotatorsPage::selectAnnotator(int annotator)
{
    if (annotator < 0 || annotator >= model_->rowCount())
        return;
    QModelIndex index = proxy_->mapFromSource(model_->index(annotator, 0));
    if (!index.isValid()) {
        filter_->clear();
        index = proxy_->mapFromSource(model_->index(annotator, 0));
    }
    table_->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    table_->scrollTo(index);
}

AnnotatorsPage::HeatmapMode AnnotatorsPage::heatmapMode() const
{
    return static_cast<HeatmapMode>(mode_->currentIndex());
}

void AnnotatorsPage::setHeatmapMode(HeatmapMode mode)
{
    mode_->setCurrentIndex(static_cast<int>(mode));
}

QVector<int> AnnotatorsPage::itemsOfCell(int annotator, int trueClass, int givenClass) const
{
    QVector<int> items;
    const AggregationResult* result = document_->aggregation();
    if (!result || annotator < 0 || annotator >= document_->dataset().annotatorCount())
        return items;
    for (const Answers::Entry& e : document_->dataset().answers.ofAnnotator(annotator)) {
        if (!e.complementary() && e.label == givenClass && result->labels[static_cast<std::size_t>(e.other)] == trueClass)
            items.push_back(e.other);
    }
    return items;
}

QVector<int> AnnotatorsPage::itemsOfAgreementCell(int trueClass, int givenClass) const
{
    QVector<int> items;
    const AggregationResult* result = document_->aggregation();
    if (!result)
        return items;
    const Dataset& dataset = document_->dataset();
    for (int item = 0; item < dataset.itemCount(); ++item) {
        if (result->labels[static_cast<std::size_t>(item)] != trueClass)
            continue;
        for (const Answers::Entry& e : dataset.answers.ofItem(item)) {
            if (!e.complementary() && e.label == givenClass) {
                items.push_back(item);
                break;
            }
        }
    }
    return items;
}

void AnnotatorsPage::refreshConfusion()
{
    const AggregationResult* result = document_->aggregation();
    const int w = currentAnnotator_;
    if (!document_->hasDataset() || w < 0) {
        confusionTitle_->setText(tr("<b>Confusion matrix</b>"));
        confusion_->clear(tr("Select an annotator to see their confusion matrix."));
        confusionHint_->hide();
        return;
    }
    const Dataset& dataset = document_->dataset();
    const AnnotatorSummary& row = document_->summary().annotatorTable[static_cast<std::size_t>(w)];
    const QString name = annotatorName(w).toHtmlEscaped();
    confusionTitle_->setText(row.labels == 1
                                 ? tr("Annotator <b>%1</b> \u00b7 1 label").arg(name)
                                 : tr("Annotator <b>%1</b> \u00b7 %2 labels").arg(name, QLocale().toString(row.labels)));
    const int k = dataset.classCount();
    const QStringList names = classNames();
    if (heatmapMode() == HeatmapMode::Learned) {
        // Row t: the distribution of the annotator's answer for an item of class t, as the crowd
        // layer learned it (NaN rows: the annotator gave no votes).
        const std::int64_t run = learnedRun_->currentIndex() >= 0 ? learnedRun_->currentData().toLongLong() : 0;
        if (run != learnedLoaded_) {
            learnedLoaded_ = run;
            learned_ = run != 0 ? readOutput(run, "annotator_confusions", learnedShape_) : std::vector<float>();
        }
        const auto m = static_cast<std::size_t>(dataset.annotatorCount());
        const auto kk = static_cast<std::size_t>(k);
        // Machine annotators added after the run are the last ones: the run has no matrix for them.
        const std::size_t learnedCount = learnedShape_.size() == 3 ? learnedShape_[0] : 0;
        const bool joinedLater = learnedCount > 0 && onlyMachinesJoinedAfter(dataset, learnedCount);
        if (run == 0) {
            confusion_->clear(tr("No learn-from-crowds run yet: run \u201cLearn from crowds\u201d on the Learning tab "
                                 "(or crowdsift learn-from-crowds)."));
            confusionHint_->hide();
        } else if (learnedShape_.size() != 3 || learnedShape_[1] != kk || learnedShape_[2] != kk
                   || (learnedCount != m && !joinedLater)) {
            confusion_->clear(tr("Run %1's learned confusions do not match this dataset's annotators and classes.")
                                  .arg(run));
            confusionHint_->hide();
        } else if (static_cast<std::size_t>(w) >= learnedCount) {
            confusion_->clear(tr("%1 joined after run %2: the run learned no confusion for it.").arg(name).arg(run));
            confusionHint_->hide();
        } else {
            QVector<double> values(k * k);
            const std::size_t offset = static_cast<std::size_t>(w) * kk * kk;
            for (int i = 0; i < k * k; ++i)
                values[i] = learned_[offset + static_cast<std::size_t>(i)];
            confusion_->setMatrix(names, values, ConfusionHeatmap::Format::Fraction);
            confusionHint_->setVisible(result != nullptr);
        }
        return;
    }
    if (!result) {
        confusion_->clear(tr("Run an aggregation (Review tab) to see quality figures"));
        confusionHint_->hide();
        return;
    }

    QVector<double> counts(k * k, 0.0);
    for (const Answers::Entry& e : dataset.answers.ofAnnotator(w)) {
        const int consensus = result->labels[static_cast<std::size_t>(e.other)];
        if (!e.complementary() && consensus >= 0 && e.label < k)
            counts[consensus * k + e.label] += 1.0;
    }

    switch (heatmapMode()) {
    case HeatmapMode::Counts:
        confusion_->setMatrix(names, counts, ConfusionHeatmap::Format::Count);
        break;
    case HeatmapMode::RowNormalised: {
        QVector<double> shares(k * k, std::numeric_limits<double>::quiet_NaN());
        for (int t = 0; t < k; ++t) {
            double sum = 0.0;
            for (int g = 0; g < k; ++g)
                sum += counts[t * k + g];
            if (sum > 0.0) {
                for (int g = 0; g < k; ++g)
                    shares[t * k + g] = counts[t * k + g] / sum;
            }
        }
        confusion_->setMatrix(names, shares, ConfusionHeatmap::Format::Fraction);
        break;
    }
    case HeatmapMode::Model: {
        if (static_cast<std::size_t>(w) >= result->confusions.size()) {
            confusion_->clear(tr("The active run has no confusion matrix for this annotator."));
            break;
        }
        QVector<double> model(k * k, 0.0);
        const Eigen::MatrixXd& confusion = result->confusions[static_cast<std::size_t>(w)];
        for (int t = 0; t < k; ++t) {
            for (int g = 0; g < k; ++g)
                model[t * k + g] = confusion(t, g);
        }
        confusion_->setMatrix(names, model, ConfusionHeatmap::Format::Fraction);
        break;
    }
    case HeatmapMode::Learned:
        break;
    }
    confusionHint_->show();
}

void AnnotatorsPage::refreshComplementary()
{
    complementaryTitle_->setText(tr("<b>Complementary transition</b>: share of the \u201cnot k\u201d answers given to "
                                    "items of each class"));
    if (!document_->hasDataset()) {
        complementary_->clear(tr("Open a project to see its complementary answers."));
        return;
    }
    const Dataset& dataset = document_->dataset();
    const std::int64_t count = complementaryAnswerCount(dataset);
    if (count == 0) {
        complementary_->clear(tr("The dataset has no complementary (\u201cnot this class\u201d) answers."));
        return;
    }
    if (complementarySource_->currentIndex() >= 2) {
        // A complementary-label run's estimate: its anchors, cpe-t's learned T, or the answers
        // counted against its model's probabilities.
        const std::int64_t run = complementarySource_->currentData().toLongLong();
        const RunInfo* info = document_->runList()->find(run);
        const char* output = "transition_data";
        QString how = tr("the “not k” answers counted against its model's class probabilities");
        if (info && std::find(info->outputs.begin(), info->outputs.end(), "transition_anchors") != info->outputs.end()) {
            output = "transition_anchors";
            how = tr("Yu et al.'s anchor estimate");
        } else if (info && std::find(info->outputs.begin(), info->outputs.end(), "transition_learned") != info->outputs.end()) {
            output = "transition_learned";
            how = tr("the T cpe-t learned");
        }
        const int k = dataset.classCount();
        const QVector<double> matrix = readClassMatrix(run, output);
        if (matrix.isEmpty()) {
            complementary_->clear(tr("Run %1's transition does not match this dataset's classes.").arg(run));
            return;
        }
        QString title = tr("<b>Complementary transition estimated by run %1</b> (%2): %3")
                            .arg(run)
                            .arg(info ? QString::fromStdString(info->name) : QString(), how);
        if (dataset.hasTruth()) {
            const Eigen::MatrixXd truth = complementaryTransition(dataset, RowMatrixXd(), dataset.truth);
            double error = 0;
            for (int y = 0; y < k; ++y)
                for (int c = 0; c < k; ++c)
                    error += std::abs(matrix[y * k + c] - truth(y, c));
            title += tr("; mean |T − T<sub>truth</sub>| %1").arg(error / (k * k), 0, 'f', 4);
        }
        complementaryTitle_->setText(title);
        complementary_->setMatrix(classNames(), matrix, ConfusionHeatmap::Format::Fraction);
        return;
    }
    const bool byTruth = complementarySource_->currentIndex() == 1;
    const AggregationResult* result = document_->aggregation();
    if (byTruth && !dataset.hasTruth()) {
        complementary_->clear(tr("The dataset has no ground truth."));
        return;
    }
    if (!byTruth && !result) {
        complementary_->clear(tr("Run an aggregation (Review tab) to see the transition by consensus."));
        return;
    }
    const Eigen::MatrixXd q = byTruth ? complementaryTransition(dataset, RowMatrixXd(), dataset.truth)
                                      : complementaryTransition(dataset, result->posteriors);
    const int k = dataset.classCount();
    const QStringList names = classNames();
    QVector<double> values(k * k, 0.0);
    for (int y = 0; y < k; ++y)
        for (int c = 0; c < k; ++c)
            values[y * k + c] = q(y, c);
    complementaryTitle_->setText(complementaryTitle_->text()
                                 + tr(" (%1 answers)").arg(QLocale().toString(static_cast<qlonglong>(count))));
    complementary_->setMatrix(names, values, ConfusionHeatmap::Format::Fraction);
}

void AnnotatorsPage::refreshManagersView()
{
    refreshComplementary();
    QChart* chart = chart_->chart();
    chart->removeAllSeries();
    // removeAllSeries() deletes the series; removeAxis() hands the axis back to its caller.
    for (QAbstractAxis* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
    bars_ = nullptr;
    histogram_.clear();

    const AggregationResult* result = document_->aggregation();
    if (!result || !model_->hasStats()) {
        histogramTitle_->setText(tr("<b>Estimated accuracy</b>: run an aggregation (Review tab) to see it"));
        agreement_->clear(tr("Run an aggregation (Review tab) to see quality figures"));
        return;
    }

    histogram_.fill(0, kHistogramBins);
    int undefined = 0;
    for (const AnnotatorStats& s : model_->stats()) {
        if (std::isnan(s.estimatedAccuracy)) {
            ++undefined;
            continue;
        }
        const int bin = std::clamp(static_cast<int>(s.estimatedAccuracy * kHistogramBins), 0, kHistogramBins - 1);
        ++histogram_[bin];
    }
    const int counted = static_cast<int>(model_->stats().size()) - undefined;
    QString title = counted == 1 ? tr("<b>Estimated accuracy</b> of 1 annotator")
                                 : tr("<b>Estimated accuracy</b> of %1 annotators").arg(QLocale().toString(counted));
    if (undefined > 0)
        title += tr(" (%1 without an estimate)").arg(QLocale().toString(undefined));
    histogramTitle_->setText(title);

    bars_ = new QBarSet(tr("Annotators"));
    bars_->setColor(palette().color(QPalette::Highlight));
    bars_->setBorderColor(palette().color(QPalette::Highlight));
    QStringList categories;
    int tallest = 0;
    for (int bin = 0; bin < kHistogramBins; ++bin) {
        *bars_ << histogram_[bin];
        tallest = std::max(tallest, histogram_[bin]);
        categories << QStringLiteral("%1\u2013%2").arg(bin * 100 / kHistogramBins).arg((bin + 1) * 100 / kHistogramBins);
    }
    auto* series = new QBarSeries;
    series->setBarWidth(0.9);
    series->append(bars_);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("Estimated accuracy (%)"));
    x->setGridLineVisible(false);
    QFont small = x->labelsFont();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    x->setLabelsFont(small);
    auto* y = new QValueAxis;
    y->setRange(0, std::max(1, tallest));
    y->setLabelFormat(QStringLiteral("%d"));
    y->setTickType(QValueAxis::TicksDynamic);
    y->setTickAnchor(0);
    y->setTickInterval(std::max(1, (tallest + 4) / 5));
    y->setTitleText(tr("Annotators"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);

    const Dataset& dataset = document_->dataset();
    const int k = dataset.classCount();
    const QStringList names = classNames();
    QVector<double> shares(k * k, 0.0);
    std::vector<double> rowTotal(static_cast<std::size_t>(k), 0.0);
    for (int item = 0; item < dataset.itemCount(); ++item) {
        const int consensus = result->labels[static_cast<std::size_t>(item)];
        if (consensus < 0)
            continue;
        for (const Answers::Entry& e : dataset.answers.ofItem(item)) {
            if (e.complementary() || e.label >= k)
                continue;
            shares[consensus * k + e.label] += 1.0;
            rowTotal[static_cast<std::size_t>(consensus)] += 1.0;
        }
    }
    for (int c = 0; c < k; ++c) {
        for (int g = 0; g < k; ++g) {
            const double total = rowTotal[static_cast<std::size_t>(c)];
            shares[c * k + g] = total > 0.0 ? shares[c * k + g] / total : std::numeric_limits<double>::quiet_NaN();
        }
    }
    agreement_->setMatrix(names, shares, ConfusionHeatmap::Format::Fraction);
}

void AnnotatorsPage::onConfusionClicked(int trueClass, int givenClass)
{
    const QVector<int> items = itemsOfCell(currentAnnotator_, trueClass, givenClass);
    Q_EMIT showItemsRequested(items, tr("%1 said \u201c%2\u201d, consensus \u201c%3\u201d")
                                         .arg(annotatorName(currentAnnotator_), className(givenClass),
                                              className(trueClass)));
}

std::vector<float> AnnotatorsPage::readOutput(std::int64_t run, const char* name, std::vector<std::size_t>& shape) const
{
    shape.clear();
    Project* project = document_->project();
    if (!project)
        return {};
    try {
        const NpyArray array = project->runOutput(run, name);
        shape = array.shape;
        return array.as<float>();
    } catch (const std::exception&) {
        shape.clear();
        return {};
    }
}

QVector<double> AnnotatorsPage::readClassMatrix(std::int64_t run, const char* name) const
{
    std::vector<std::size_t> shape;
    const std::vector<float> values = readOutput(run, name, shape);
    const auto k = static_cast<std::size_t>(document_->dataset().classCount());
    if (shape != std::vector<std::size_t>{k, k})
        return {};
    return QVector<double>(values.begin(), values.end());
}

QStringList AnnotatorsPage::classNames() const
{
    QStringList names;
    for (int c = 0; c < document_->dataset().classCount(); ++c)
        names << className(c);
    return names;
}

void AnnotatorsPage::refreshCrowdRuns()
{
    // Newest first, as the document lists them. A new run is chosen as it appears; otherwise the
    // run picked by hand stays while it exists.
    auto fill = [this](QComboBox* box, const char* output, std::int64_t& newest) {
        const QSignalBlocker blocker(box);
        const QVariant picked = box->currentData();
        box->clear();
        if (document_->project()) {
            for (const RunInfo& run : document_->runList()->runs()) {
                if (run.kind != "train" || run.status != "done"
                    || std::find(run.outputs.begin(), run.outputs.end(), output) == run.outputs.end())
                    continue;
                box->addItem(tr("Run %1 \u00b7 %2").arg(run.id).arg(QString::fromStdString(run.name)),
                             static_cast<qlonglong>(run.id));
            }
        }
        const std::int64_t first = box->count() > 0 ? box->itemData(0).toLongLong() : 0;
        const int index = picked.isValid() && first == newest ? box->findData(picked) : -1;
        newest = first;
        box->setCurrentIndex(index >= 0 ? index : (box->count() > 0 ? 0 : -1));
    };
    fill(learnedRun_, "annotator_confusions", newestLearned_);
    fill(commonRun_, "common_confusion", newestCommon_);
    learnedLoaded_ = -1;  // re-read: a run id may have been reused by a new project

    const bool learned = learnedRun_->count() > 0;
    const QString howTo = tr("No learn-from-crowds run yet: run \u201cLearn from crowds\u201d (CrowdLayer or CoNAL) on "
                             "the Learning tab, or crowdsift learn-from-crowds");
    learnedRun_->setEnabled(learned);
    learnedRun_->setToolTip(learned ? tr("The learn-from-crowds run whose learned confusions are shown") : howTo);
    if (auto* modes = qobject_cast<QStandardItemModel*>(mode_->model())) {
        QStandardItem* item = modes->item(static_cast<int>(HeatmapMode::Learned));
        item->setEnabled(learned);
        item->setToolTip(learned ? tr("Each annotator's confusion as the chosen learn-from-crowds run learned it")
                                 : howTo);
    }
    if (!learned && heatmapMode() == HeatmapMode::Learned)
        setHeatmapMode(HeatmapMode::Counts);
    mode_->setEnabled(model_->hasStats() || learned);
    commonRun_->setEnabled(commonRun_->count() > 0);
    commonRun_->setToolTip(commonRun_->count() > 0
                               ? tr("The CoNAL run whose common confusion is shown")
                               : tr("No CoNAL run yet: run \u201cLearn from crowds\u201d with CoNAL on the Learning tab, "
                                    "or crowdsift learn-from-crowds -s conal"));
    refreshConfusion();
    refreshCommon();
    refreshComplementaryRuns();
}

void AnnotatorsPage::refreshComplementaryRuns()
{
    {
        const QSignalBlocker blocker(complementarySource_);
        const QVariant picked = complementarySource_->currentData();
        const int pickedIndex = complementarySource_->currentIndex();
        while (complementarySource_->count() > 2)
            complementarySource_->removeItem(2);
        if (document_->project())
            for (const RunInfo& run : document_->runList()->runs())
                if (run.kind == "train" && run.status == "done" && run.params.value("complementary", false)
                    && std::find(run.outputs.begin(), run.outputs.end(), "transition_data") != run.outputs.end())
                    complementarySource_->addItem(tr("Run %1 · %2: its estimate")
                                                      .arg(run.id)
                                                      .arg(QString::fromStdString(run.name)),
                                                  static_cast<qlonglong>(run.id));
        const std::int64_t first = complementarySource_->count() > 2 ? complementarySource_->itemData(2).toLongLong() : 0;
        int index = pickedIndex >= 2 ? complementarySource_->findData(picked) : std::max(pickedIndex, 0);
        if (newestComplementary_ >= 0 && first != 0 && first != newestComplementary_)
            index = 2;  // a new run: show what it estimated
        newestComplementary_ = first;
        complementarySource_->setCurrentIndex(index >= 0 ? index : 0);
    }
    refreshComplementary();
}

void AnnotatorsPage::refreshCommon()
{
    commonTitle_->setText(tr("<b>Common confusion</b>: what everybody confuses, as a CoNAL run learned it (row: the "
                             "item's class, column: the answer)"));
    const std::int64_t run = commonRun_->currentIndex() >= 0 ? commonRun_->currentData().toLongLong() : 0;
    commonHint_->hide();
    if (!document_->hasDataset()) {
        common_->clear(tr("Open a project to see what its annotators confuse."));
        return;
    }
    if (run == 0) {
        common_->clear(tr("No CoNAL run yet: run \u201cLearn from crowds\u201d with CoNAL on the Learning tab."));
        return;
    }
    const QVector<double> matrix = readClassMatrix(run, "common_confusion");
    if (matrix.isEmpty()) {
        common_->clear(tr("Run %1's common confusion does not match this dataset's classes.").arg(run));
        return;
    }
    common_->setMatrix(classNames(), matrix, ConfusionHeatmap::Format::Fraction);
    commonHint_->show();
}

QVector<int> AnnotatorsPage::itemsOfCommonCell(int trueClass, int modelClass) const
{
    QVector<int> items;
    const AggregationResult* result = document_->aggregation();
    const std::int64_t run = commonRun_->currentIndex() >= 0 ? commonRun_->currentData().toLongLong() : 0;
    if (!result || run == 0)
        return items;
    std::vector<std::size_t> shape;
    const std::vector<float> probabilities = readOutput(run, "probabilities", shape);
    const Dataset& dataset = document_->dataset();
    const auto n = static_cast<std::size_t>(dataset.itemCount());
    const auto k = static_cast<std::size_t>(dataset.classCount());
    if (shape != std::vector<std::size_t>{n, k} || result->labels.size() != n)
        return items;
    for (std::size_t item = 0; item < n; ++item) {
        if (result->labels[item] != trueClass)
            continue;
        const float* row = probabilities.data() + item * k;
        if (std::max_element(row, row + k) - row == modelClass)
            items.push_back(static_cast<int>(item));
    }
    return items;
}

void AnnotatorsPage::onCommonClicked(int trueClass, int modelClass)
{
    const QVector<int> items = itemsOfCommonCell(trueClass, modelClass);
    Q_EMIT showItemsRequested(items, tr("Consensus \u201c%1\u201d, model of run %2 says \u201c%3\u201d")
                                         .arg(className(trueClass))
                                         .arg(commonRun_->currentData().toLongLong())
                                         .arg(className(modelClass)));
}

void AnnotatorsPage::onAgreementClicked(int trueClass, int givenClass)
{
    const QVector<int> items = itemsOfAgreementCell(trueClass, givenClass);
    Q_EMIT showItemsRequested(items, tr("Consensus \u201c%1\u201d, labelled \u201c%2\u201d by someone")
                                         .arg(className(trueClass), className(givenClass)));
}

}  // namespace crowdsift
