// What the Learning tab draws: the training curve of one fold, the loop's accuracy per
// iteration and its iteration table, or Data Parameters' item sigma quantiles and class sigmas
// per epoch, live from a running job or from a stored run's history output, summary and
// sigma_class output.

#include "learnpage.h"
#include "learnpage_p.h"

#include "projectdocument.h"
#include "trainingchart.h"

#include "aggregate/crowdlab.h"
#include "util/npy.h"

#include <QChart>
#include <QComboBox>
#include <QHeaderView>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace crowdsift {

using namespace learnpage;

namespace {

// A number for the table, "-" where it is not known (no ground truth).
QString numberOrDash(double value, int decimals)
{
    return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("-");
}

int jsonInt(const nlohmann::json& object, const char* key)
{
    const double value = jsonNumber(object, key);
    return std::isfinite(value) ? static_cast<int>(std::lround(value)) : 0;
}

// A train run's history output: rows of (fold, epoch, train_loss, train_acc, val_loss, val_acc,
// lr, seconds, samples_per_s), grouped by fold (index = fold; folds without rows stay empty).
std::vector<std::vector<EpochRecord>> historyByFold(const NpyArray& array)
{
    constexpr std::size_t columns = 9;
    if (array.rank() != 2 || array.shape[1] != columns)
        throw std::runtime_error("its history is not a table of 9 columns");
    const std::vector<double> values = array.as<double>();
    std::vector<std::vector<EpochRecord>> folds;
    for (std::size_t row = 0; row < array.shape[0]; ++row) {
        const double* v = values.data() + row * columns;
        const int fold = static_cast<int>(v[0]);
        if (fold < 0 || fold > 1000)
            throw std::runtime_error("its history names fold " + std::to_string(fold));
        EpochRecord record;
        record.epoch = static_cast<int>(v[1]);
        record.trainLoss = v[2];
        record.trainAccuracy = v[3];
        record.validationLoss = v[4];
        record.validationAccuracy = v[5];
        record.learningRate = v[6];
        record.seconds = v[7];
        record.samplesPerSecond = v[8];
        if (static_cast<int>(folds.size()) <= fold)
            folds.resize(static_cast<std::size_t>(fold) + 1);
        folds[static_cast<std::size_t>(fold)].push_back(record);
    }
    return folds;
}

// The "loop" table of a crowdlab-loop run's summary (loopSummary()).
std::vector<LoopIteration> iterationsFromSummary(const nlohmann::json& summary)
{
    std::vector<LoopIteration> iterations;
    if (!summary.is_object() || !summary.contains("loop") || !summary["loop"].is_array())
        return iterations;
    for (const nlohmann::json& row : summary["loop"]) {
        LoopIteration it;
        it.iteration = jsonInt(row, "iteration");
        it.changed = jsonInt(row, "changed");
        it.newlyChanged = jsonInt(row, "newly_changed");
        it.consensusAccuracy = jsonNumber(row, "consensus_accuracy");
        it.modelAccuracy = jsonNumber(row, "model_accuracy");
        it.modelWeight = jsonNumber(row, "model_weight");
        it.meanConsensusQuality = jsonNumber(row, "mean_consensus_quality");
        it.heldOutScore = jsonNumber(row, "held_out_score");
        it.seconds = jsonNumber(row, "seconds");
        it.trainSamplesPerSecond = jsonNumber(row, "train_samples_per_s");
        iterations.push_back(it);
    }
    return iterations;
}

// The per_epoch instance_sigma quantiles of a data-parameters run's summary (dataParamsSummary()),
// one entry per epoch, empty entries where it has none.
std::vector<std::vector<double>> instanceQuantilesFromSummary(const nlohmann::json& summary)
{
    std::vector<std::vector<double>> epochs;
    if (!summary.is_object() || !summary.contains("per_epoch") || !summary["per_epoch"].is_array())
        return epochs;
    for (const nlohmann::json& row : summary["per_epoch"]) {
        std::vector<double> q;
        const nlohmann::json sigma = row.is_object() && row.contains("instance_sigma") ? row["instance_sigma"] : nlohmann::json();
        for (const char* key : {"min", "q25", "median", "q75", "max"})
            if (std::isfinite(jsonNumber(sigma, key)))
                q.push_back(jsonNumber(sigma, key));
        epochs.push_back(q.size() == 5 ? q : std::vector<double>());
    }
    return epochs;
}

}  // namespace

QWidget* LearnPage::createCharts()
{
    curveChart_ = new TrainingCurveChart;
    curveChart_->setObjectName(QStringLiteral("trainingCurve"));
    loopChart_ = new LoopChart;
    loopChart_->setObjectName(QStringLiteral("loopChart"));
    iterationTable_ = new QTableWidget(0, IterationColumnCount);
    iterationTable_->setObjectName(QStringLiteral("iterationTable"));
    iterationTable_->setHorizontalHeaderLabels({tr("Iteration"), tr("Changed"), tr("Newly changed"),
                                                tr("Consensus acc."), tr("Model acc."), tr("Model weight"),
                                                tr("Seconds"), tr("Held-out")});
    iterationTable_->horizontalHeaderItem(ChangedColumn)
        ->setToolTip(tr("Items whose consensus differs from the previous iteration's"));
    iterationTable_->horizontalHeaderItem(NewlyChangedColumn)
        ->setToolTip(tr("Of those, items that changed for the first time; the loop stops at 0"));
    iterationTable_->horizontalHeaderItem(ConsensusAccuracyColumn)
        ->setToolTip(tr("Accuracy of the consensus against the ground truth"));
    iterationTable_->horizontalHeaderItem(ModelAccuracyColumn)
        ->setToolTip(tr("Accuracy of the out-of-sample model probabilities' argmax against the ground truth"));
    iterationTable_->horizontalHeaderItem(ModelWeightColumn)->setToolTip(tr("CROWDLAB's weight of the model"));
    iterationTable_->horizontalHeaderItem(HeldOutColumn)
        ->setToolTip(tr("How well the consensus predicts answers it did not see (mean log-likelihood, higher is "
                        "better): the loop keeps the iteration with the highest, shown in bold"));
    iterationTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    iterationTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    iterationTable_->verticalHeader()->hide();
    iterationTable_->setAlternatingRowColors(true);
    // Columns as wide as their headers and values (a narrow window scrolls rather than clip
    // "Newly changed" to "iewly change"); the last takes what is left.
    iterationTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    iterationTable_->horizontalHeader()->setStretchLastSection(true);
    // Room for five iterations, the loop's default limit, without scrolling.
    iterationTable_->setMinimumHeight(iterationTable_->horizontalHeader()->sizeHint().height()
                                      + 5 * iterationTable_->verticalHeader()->defaultSectionSize() + 4);

    instanceSigmaChart_ = new InstanceSigmaChart;
    instanceSigmaChart_->setObjectName(QStringLiteral("instanceSigmaChart"));
    classSigmaChart_ = new ClassSigmaChart;
    classSigmaChart_->setObjectName(QStringLiteral("classSigmaChart"));
    sideCharts_ = new QStackedWidget;
    sideCharts_->addWidget(loopChart_);
    sideCharts_->addWidget(instanceSigmaChart_);
    lowerCharts_ = new QStackedWidget;
    lowerCharts_->addWidget(iterationTable_);
    lowerCharts_->addWidget(classSigmaChart_);

    auto* charts = new QSplitter(Qt::Horizontal);
    charts->addWidget(curveChart_);
    charts->addWidget(sideCharts_);
    // The loop chart has more to show: five series on two value axes.
    charts->setStretchFactor(0, 4);
    charts->setStretchFactor(1, 5);
    charts->setChildrenCollapsible(false);
    resultsSplitter_ = new QSplitter(Qt::Vertical);
    resultsSplitter_->addWidget(charts);
    resultsSplitter_->addWidget(lowerCharts_);
    resultsSplitter_->setStretchFactor(0, 3);
    resultsSplitter_->setStretchFactor(1, 1);
    resultsSplitter_->setChildrenCollapsible(false);
    return resultsSplitter_;
}

bool LearnPage::showsDataParams() const
{
    return sideCharts_->currentWidget() == instanceSigmaChart_;
}

bool LearnPage::showsClassSigmas() const
{
    return showsDataParams() && !lowerCharts_->isHidden();
}

void LearnPage::showDataParamsCharts(bool show, bool classSigmas)
{
    // A Data Parameters run of the item level only has no class chart to show: the item sigmas
    // take the whole height rather than sit above an empty chart.
    lowerCharts_->setVisible(!show || classSigmas);
    if (show == showsDataParams())
        return;
    sideCharts_->setCurrentWidget(show ? static_cast<QWidget*>(instanceSigmaChart_) : loopChart_);
    lowerCharts_->setCurrentWidget(show ? static_cast<QWidget*>(classSigmaChart_) : iterationTable_);
    // The class chart wants more height than the iteration table: one line and one legend entry
    // per class. The stretch factors place it before the page was laid out, the sizes after.
    resultsSplitter_->setStretchFactor(0, show ? 1 : 3);
    const int height = resultsSplitter_->height();
    if (height > 0)
        resultsSplitter_->setSizes(show ? QList<int>{height / 2, height / 2} : QList<int>{height * 3 / 4, height / 4});
}

QStringList LearnPage::classNames() const
{
    QStringList names;
    for (const std::string& name : document_->dataset().classNames)
        names.append(QString::fromStdString(name));
    return names;
}

bool LearnPage::showRun(std::int64_t run)
{
    const std::optional<RunInfo> stored = storedLearnRun(run);
    if (!stored)
        return false;
    const RunInfo& info = *stored;
    Project* project = document_->project();

    const Dataset& dataset = document_->dataset();
    // A job still running goes on (its progress stays in the status line), but its epochs and
    // iterations no longer draw over the stored run.
    ++liveTicket_;
    shownRun_ = run;
    shownTitle_ = tr("Run %1").arg(run);
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->setCurrentIndex(runBox_->findData(static_cast<qlonglong>(run)));
    }
    foldHistory_.clear();
    // Before the curve's title, which names no fold for a Data Parameters run.
    showDataParamsCharts(isDataParamsRun(info),
                         std::find(info.outputs.begin(), info.outputs.end(), "sigma_class") != info.outputs.end());
    QString curveProblem;
    if (std::find(info.outputs.begin(), info.outputs.end(), "history") != info.outputs.end()) {
        try {
            foldHistory_ = historyByFold(project->runOutput(run, "history"));
        } catch (const std::exception& e) {
            curveProblem = tr("Run %1: could not read the training curves: %2").arg(run).arg(QString::fromStdString(e.what()));
        }
    } else {
        curveProblem = tr("Run %1 stored no training curves").arg(run);
    }
    expectedEpochs_ = 0;
    expectedFolds_ = 0;
    setFoldItems(static_cast<int>(foldHistory_.size()));
    if (foldHistory_.empty())
        curveChart_->clear(curveProblem);
    else
        showFold(static_cast<int>(foldHistory_.size()) - 1);

    if (isDataParamsRun(info)) {
        const std::vector<std::vector<double>> quantiles = instanceQuantilesFromSummary(info.summary);
        const bool instance = std::any_of(quantiles.begin(), quantiles.end(), [](const auto& q) { return !q.empty(); });
        instanceSigmaChart_->setEpochs(quantiles, instance ? tr("%1 · item sigmas (log scale)").arg(shownTitle_)
                                                           : tr("%1 learned no item sigmas").arg(shownTitle_));
        QString classTitle = tr("%1 learned no class sigmas").arg(shownTitle_);
        std::vector<float> classSigma;
        int epochs = 0;
        if (std::find(info.outputs.begin(), info.outputs.end(), "sigma_class") != info.outputs.end()) {
            try {
                const NpyArray array = project->runOutput(run, "sigma_class");
                if (array.rank() != 2 || array.shape[0] != static_cast<std::size_t>(dataset.classCount()))
                    throw std::runtime_error("it is not one row per class");
                classSigma = array.as<float>();
                epochs = static_cast<int>(array.shape[1]);
                classTitle = tr("%1 · class sigmas (log scale)").arg(shownTitle_);
            } catch (const std::exception& e) {
                classTitle = tr("Run %1: could not read the class sigmas: %2").arg(run).arg(QString::fromStdString(e.what()));
            }
        }
        classSigmaChart_->setTrajectories(classSigma, epochs, classNames(), classTitle);
        clearIterations(dataset.hasTruth(), 0);
    } else if (isLoopRun(info)) {
        const std::vector<LoopIteration> iterations = iterationsFromSummary(info.summary);
        clearIterations(dataset.hasTruth(), 0);
        double majorityVote = jsonNumber(info.summary, "majority_vote_accuracy");
        if (!std::isfinite(majorityVote) && dataset.hasTruth())
            majorityVote = accuracy(cleanlabMajorityVote(dataset), dataset.truth);
        // The loop's own Dawid-Skene reference, else the project's newest Dawid-Skene run.
        const double dawidSkene = jsonNumber(info.summary, "ds_accuracy");
        loopChart_->setReferences(majorityVote, std::isfinite(dawidSkene) ? dawidSkene : dawidSkeneAccuracy());
        for (const LoopIteration& iteration : iterations) {
            loopChart_->addIteration(iteration);
            appendIterationRow(iteration);
        }
        markKeptIteration(info.summary.is_object() ? info.summary.value("kept_iteration", 0) : 0);
    } else {
        clearIterations(dataset.hasTruth(), 0);
        loopChart_->chart()->setTitle(tr("%1 is a training run, not a CROWDLAB loop").arg(shownTitle_));
    }
    updateButtons();
    return true;
}

void LearnPage::setFoldItems(int count)
{
    const QSignalBlocker blocker(foldBox_);
    while (foldBox_->count() > count)
        foldBox_->removeItem(foldBox_->count() - 1);
    while (foldBox_->count() < count)
        foldBox_->addItem(tr("fold %1").arg(foldBox_->count() + 1), foldBox_->count());
    foldBox_->setEnabled(count > 1);
}

QString LearnPage::curveTitle(int fold) const
{
    const int folds = static_cast<int>(foldHistory_.size());
    QString title = shownTitle_;
    if (job_ != nullptr && currentKind_ == JobKind::Loop && liveIteration_ > 0)
        title += tr(" · iteration %1").arg(liveIteration_);
    // A Data Parameters run trains one model on every item: no folds to name.
    if (folds > 0 && !showsDataParams())
        title += tr(" · fold %1 of %2").arg(fold + 1).arg(std::max(folds, expectedFolds_));
    return title;
}

void LearnPage::showFold(int fold)
{
    if (fold < 0 || fold >= static_cast<int>(foldHistory_.size()))
        return;
    {
        const QSignalBlocker blocker(foldBox_);
        foldBox_->setCurrentIndex(fold);
    }
    curveChart_->setHistory(foldHistory_[static_cast<std::size_t>(fold)], curveTitle(fold), expectedEpochs_);
}

void LearnPage::onFoldBoxChanged()
{
    showFold(foldBox_->currentIndex());
}

void LearnPage::clearIterations(bool truthKnown, int expectedIterations)
{
    loopChart_->clear(truthKnown, expectedIterations);
    iterationTable_->setRowCount(0);
}

void LearnPage::appendIterationRow(const LoopIteration& iteration)
{
    const int row = iterationTable_->rowCount();
    iterationTable_->insertRow(row);
    const QString cells[IterationColumnCount] = {
        QString::number(iteration.iteration),
        QString::number(iteration.changed),
        QString::number(iteration.newlyChanged),
        numberOrDash(iteration.consensusAccuracy, 4),
        numberOrDash(iteration.modelAccuracy, 4),
        numberOrDash(iteration.modelWeight, 3),
        numberOrDash(iteration.seconds, 1),
        numberOrDash(iteration.heldOutScore, 4),
    };
    for (int column = 0; column < IterationColumnCount; ++column) {
        auto* item = new QTableWidgetItem(cells[column]);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        iterationTable_->setItem(row, column, item);
    }
}

void LearnPage::markKeptIteration(int iteration)
{
    for (int row = 0; row < iterationTable_->rowCount(); ++row)
        for (int column = 0; column < IterationColumnCount; ++column) {
            QTableWidgetItem* item = iterationTable_->item(row, column);
            QFont font = item->font();
            font.setBold(row + 1 == iteration);
            item->setFont(font);
            if (row + 1 == iteration)
                item->setToolTip(tr("The iteration the loop kept: its consensus best predicts held-out answers"));
        }
}

void LearnPage::beginLive(JobKind kind, int expectedEpochs, int expectedIterations, double majorityVote, double dawidSkene)
{
    const bool loop = kind == JobKind::Loop;
    const bool dataParams = kind == JobKind::DataParams;
    ++liveTicket_;
    shownRun_ = 0;
    shownTitle_ = loop ? tr("CROWDLAB loop") : dataParams ? tr("Data Parameters") : tr("Training");
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->setCurrentIndex(-1);
        runBox_->setPlaceholderText(tr("The running job"));
    }
    foldHistory_.clear();
    setFoldItems(0);
    expectedEpochs_ = expectedEpochs;
    expectedFolds_ = dataParams ? 1 : folds_->value();
    liveIteration_ = loop ? 1 : 0;
    iterationEnded_ = false;
    curveChart_->clear(tr("%1 · loading the training input").arg(shownTitle_), expectedEpochs);
    clearIterations(document_->dataset().hasTruth(), expectedIterations);
    if (loop)
        loopChart_->setReferences(majorityVote, dawidSkene);
    else
        loopChart_->chart()->setTitle(tr("Training only: no CROWDLAB loop"));
    const DataParamsConfig levels = dataParamsConfig();
    showDataParamsCharts(dataParams, levels.classLevel);
    if (dataParams) {
        instanceSigmaChart_->clear(levels.instanceLevel ? tr("Data Parameters · item sigmas (log scale)")
                                                        : tr("Data Parameters: class sigmas only"),
                                   expectedEpochs);
        classSigmaChart_->clear(levels.classLevel ? tr("Data Parameters · class sigmas (log scale)")
                                                  : tr("Data Parameters: item sigmas only"),
                                levels.classLevel ? classNames() : QStringList(), expectedEpochs);
    }
}

void LearnPage::onLiveEpoch(int fold, const EpochRecord& record)
{
    if (fold < 0)
        return;
    if (iterationEnded_) {
        iterationEnded_ = false;
        ++liveIteration_;
        foldHistory_.clear();
        setFoldItems(0);
    }
    const bool newFold = fold >= static_cast<int>(foldHistory_.size());
    if (newFold) {
        foldHistory_.resize(static_cast<std::size_t>(fold) + 1);
        setFoldItems(fold + 1);
    }
    foldHistory_[static_cast<std::size_t>(fold)].push_back(record);
    // Each new fold takes the chart over; a fold picked by hand meanwhile stays until then.
    if (newFold) {
        {
            const QSignalBlocker blocker(foldBox_);
            foldBox_->setCurrentIndex(fold);
        }
        curveChart_->clear(curveTitle(fold), expectedEpochs_);
    }
    if (foldBox_->currentIndex() == fold)
        curveChart_->addEpoch(record);
    if (currentKind_ == JobKind::DataParams) {
        instanceSigmaChart_->addEpoch(record.epoch, record.instanceSigmaQuantiles);
        classSigmaChart_->addEpoch(record.epoch, record.classSigma);
    }
}

void LearnPage::onLiveIteration(const LoopIteration& iteration)
{
    iterationEnded_ = true;
    loopChart_->addIteration(iteration);
    appendIterationRow(iteration);
    iterationTable_->scrollToBottom();
}

}  // namespace crowdsift
