#include "runspage.h"

#include "jobmanager.h"
#include "projectdocument.h"
#include "runjob.h"
#include "runlistmodel.h"

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"
#include "project/store.h"
#include "util/progress.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleValidator>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace crowdsift {

namespace {

// The difference list shows this many items at most; the count above it is always complete.
constexpr int kMaxListedDifferences = 5000;

bool readsParameter(const StrategyInfo& info, const char* key)
{
    return std::find(info.parameters.begin(), info.parameters.end(), key) != info.parameters.end();
}

QString labelText(const Dataset& dataset, int label)
{
    if (label < 0 || label >= dataset.classCount())
        return QStringLiteral("—");
    return QString::fromStdString(dataset.classNames[static_cast<std::size_t>(label)]);
}

}  // namespace

std::vector<int> differingItems(const std::vector<int>& a, const std::vector<int>& b)
{
    if (a.size() != b.size())
        throw std::invalid_argument("the runs label different numbers of items (" + std::to_string(a.size())
                                    + " and " + std::to_string(b.size()) + ")");
    std::vector<int> items;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            items.push_back(static_cast<int>(i));
    return items;
}

RunsPage::RunsPage(ProjectDocument* document, JobManager* jobs, QWidget* parent)
    : QWidget(parent), document_(document), jobs_(jobs)
{
    strategy_ = new QComboBox;
    strategy_->setObjectName(QStringLiteral("strategyBox"));
    for (const StrategyInfo& info : strategies()) {
        strategy_->addItem(QString::fromStdString(info.title), QString::fromStdString(info.name));
        strategy_->setItemData(strategy_->count() - 1, QString::fromStdString(info.description), Qt::ToolTipRole);
    }
    // auto first and by default: it needs no truth to avoid a strategy that fails on this crowd.
    strategy_->setCurrentIndex(std::max(0, strategy_->findData(QStringLiteral("auto"))));
    maxIterations_ = new QSpinBox;
    maxIterations_->setObjectName(QStringLiteral("maxIterations"));
    maxIterations_->setRange(1, 100000);
    maxIterations_->setToolTip(tr("EM iterations at most (MACE: per restart)"));
    tolerance_ = new QLineEdit;
    tolerance_->setObjectName(QStringLiteral("tolerance"));
    tolerance_->setValidator(new QDoubleValidator(tolerance_));
    tolerance_->setToolTip(tr("Stop once an iteration gains less than this in the objective per answer; "
                              "negative runs every iteration"));
    tolerance_->setMaximumWidth(120);
    runButton_ = new QPushButton(tr("Run"));
    runButton_->setObjectName(QStringLiteral("runButton"));
    runButton_->setDefault(true);
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setObjectName(QStringLiteral("cancelRunButton"));
    progress_ = new QProgressBar;
    progress_->setObjectName(QStringLiteral("runProgress"));
    progress_->setRange(0, 1000);
    progress_->setFormat(QStringLiteral("%p%"));
    jobText_ = new QLabel;
    jobText_->setObjectName(QStringLiteral("jobText"));
    jobText_->setForegroundRole(QPalette::PlaceholderText);
    connect(strategy_, qOverload<int>(&QComboBox::currentIndexChanged), this, &RunsPage::onStrategyChanged);
    connect(runButton_, &QPushButton::clicked, this, &RunsPage::startRunFromFields);
    connect(cancelButton_, &QPushButton::clicked, this, &RunsPage::cancelRun);

    auto* newRun = new QGroupBox(tr("New aggregation run"));
    auto* fields = new QHBoxLayout;
    auto* form = new QFormLayout;
    form->addRow(tr("Strategy:"), strategy_);
    auto* numbers = new QFormLayout;
    numbers->addRow(tr("Max iterations:"), maxIterations_);
    numbers->addRow(tr("Tolerance:"), tolerance_);
    fields->addLayout(form);
    fields->addSpacing(16);
    fields->addLayout(numbers);
    fields->addStretch(1);
    auto* runRow = new QHBoxLayout;
    runRow->addWidget(runButton_);
    runRow->addWidget(progress_, 1);
    runRow->addWidget(cancelButton_);
    auto* newRunLayout = new QVBoxLayout(newRun);
    newRunLayout->addLayout(fields);
    newRunLayout->addLayout(runRow);
    newRunLayout->addWidget(jobText_);

    static_assert(int(IdColumn) == int(RunListModel::IdColumn) && int(ColumnCount) == int(RunListModel::ColumnCount),
                  "the Runs table shows the run list's columns");
    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("runTable"));
    table_->setModel(document_->runList());
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->setAlternatingRowColors(true);
    table_->horizontalHeader()->setStretchLastSection(false);
    table_->horizontalHeader()->setSectionResizeMode(StrategyColumn, QHeaderView::Stretch);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPage::updateButtons);
    connect(table_, &QTableView::doubleClicked, this, [this] { makeSelectedActive(); });
    // The run list is reset when runs come and go: keep the selection by run id.
    connect(document_->runList(), &QAbstractItemModel::modelAboutToBeReset, this,
            [this] { keptSelection_ = selectedRuns(); });
    connect(document_->runList(), &QAbstractItemModel::modelReset, this, [this] {
        table_->resizeColumnsToContents();
        table_->horizontalHeader()->setSectionResizeMode(StrategyColumn, QHeaderView::Stretch);
        selectRuns(keptSelection_);
    });

    makeActiveButton_ = new QPushButton(tr("Make Active"));
    makeActiveButton_->setObjectName(QStringLiteral("makeActiveButton"));
    makeActiveButton_->setToolTip(tr("Review and export the selected run's consensus"));
    compareButton_ = new QPushButton(tr("Compare"));
    compareButton_->setObjectName(QStringLiteral("compareButton"));
    compareButton_->setToolTip(tr("Count and list the items two selected runs label differently"));
    connect(makeActiveButton_, &QPushButton::clicked, this, &RunsPage::makeSelectedActive);
    connect(compareButton_, &QPushButton::clicked, this, &RunsPage::compareSelected);
    auto* runButtons = new QHBoxLayout;
    runButtons->addWidget(makeActiveButton_);
    runButtons->addWidget(compareButton_);
    runButtons->addStretch(1);

    auto* runsBox = new QGroupBox(tr("Runs"));
    auto* runsLayout = new QVBoxLayout(runsBox);
    runsLayout->addWidget(table_, 1);
    runsLayout->addLayout(runButtons);

    comparisonText_ = new QLabel(tr("Select two runs and press Compare."));
    comparisonText_->setObjectName(QStringLiteral("comparisonText"));
    comparisonText_->setWordWrap(true);
    differences_ = new QTreeWidget;
    differences_->setObjectName(QStringLiteral("differenceList"));
    differences_->setRootIsDecorated(false);
    differences_->setUniformRowHeights(true);
    differences_->setHeaderLabels({tr("Item"), tr("Task"), tr("First run"), tr("Second run")});
    // Four short columns share the box's width rather than scroll sideways.
    differences_->header()->setSectionResizeMode(QHeaderView::Stretch);
    auto* compareBox = new QGroupBox(tr("Comparison"));
    auto* compareLayout = new QVBoxLayout(compareBox);
    compareLayout->addWidget(comparisonText_);
    compareLayout->addWidget(differences_, 1);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(runsBox);
    splitter->addWidget(compareBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    // The run list is what the curator reads; the comparison's four short columns need less.
    // Without initial sizes both sides start at their size hints, about half each, and a title
    // like "Automatic → Dawid-Skene, Dirichlet prior (ds-prior)" was cut in the Strategy column.
    splitter->setSizes({640, 360});
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(newRun);
    layout->addWidget(splitter, 1);

    connect(document_, &ProjectDocument::loaded, this, &RunsPage::onDocumentLoaded);
    connect(document_, &ProjectDocument::aggregationChanged, this, &RunsPage::updateButtons);
    connect(document_, &ProjectDocument::runActivated, this, [this](std::int64_t run, bool ok) {
        if (ok)
            jobText_->setText(tr("Run %1 is now the active run").arg(run));
        updateButtons();
    });

    onStrategyChanged();
    progress_->setValue(0);
    progress_->setTextVisible(false);
    updateButtons();
}

void RunsPage::onDocumentLoaded()
{
    labelCache_.clear();
    differences_->clear();
    comparisonText_->setText(tr("Select two runs and press Compare."));
    updateButtons();
}

void RunsPage::onStrategyChanged()
{
    const StrategyInfo& info = strategyInfo(strategy_->currentData().toString().toStdString());
    maxIterations_->setValue(info.defaults.maxIterations);
    tolerance_->setText(QString::number(info.defaults.tolerance, 'g', 6));
    updateButtons();
}

int RunsPage::startRunFromFields()
{
    const StrategyInfo& info = strategyInfo(strategy_->currentData().toString().toStdString());
    nlohmann::json params = nlohmann::json::object();
    if (readsParameter(info, "max_iterations"))
        params["max_iterations"] = maxIterations_->value();
    bool ok = false;
    const double tolerance = QLocale().toDouble(tolerance_->text(), &ok);
    if (readsParameter(info, "tolerance") && ok)
        params["tolerance"] = tolerance;
    return startRun(QString::fromStdString(info.name), params);
}

int RunsPage::currentJob() const
{
    return job_ ? job_->jobId() : 0;
}

int RunsPage::startRun(const QString& name, const nlohmann::json& params)
{
    if (job_ || !document_->project())
        return 0;
    const std::string strategy = name.toStdString();
    QString title;
    try {
        title = tr("Aggregate: %1").arg(QString::fromStdString(strategyInfo(strategy).title));
    } catch (const std::exception& e) {
        jobText_->setText(QString::fromStdString(e.what()));
        return 0;
    }
    RunRequest request;
    request.title = title;
    request.kind = "aggregate";
    request.name = strategy;
    request.params = {{"strategy", strategy}, {"params", params}};
    request.work = [strategy, params](RunContext& context) {
        AggregatedRun done = aggregateIntoRun(context.project, context.run, context.dataset, strategy, params,
                                              context.progress);
        RunJobResult out;
        out.summary = std::move(done.summary);
        const AggregationResult& result = done.result;
        out.log.append(tr("%1 iterations, %2").arg(result.iterations).arg(result.converged ? tr("converged") : tr("not converged")));
        const double acc = accuracy(result.labels, context.dataset.truth);
        if (!std::isnan(acc))
            out.log.append(tr("accuracy against the ground truth: %1%").arg(acc * 100.0, 0, 'f', 2));
        out.consensus = std::make_shared<const AggregationResult>(std::move(done.result));
        return out;
    };
    job_ = RunJob::start(document_, jobs_, std::move(request));
    if (!job_)
        return 0;
    connect(job_, &RunJob::progressed, this, [this](int permille, const QString& text) {
        progress_->setValue(permille);
        if (!text.isEmpty())
            jobText_->setText(text);
    });
    connect(job_, &RunJob::finished, this, &RunsPage::onJobFinished);
    progress_->setValue(0);
    progress_->setTextVisible(true);
    jobText_->setText(tr("Starting…"));
    updateButtons();
    return job_->jobId();
}

void RunsPage::cancelRun()
{
    if (job_)
        job_->cancel();
}

void RunsPage::onJobFinished(JobStatus status)
{
    RunJob* job = job_;
    job_ = nullptr;
    progress_->setTextVisible(status == JobStatus::Finished);
    const JobInfo& info = jobs_->job(job->jobId());
    switch (status) {
    case JobStatus::Finished: {
        const RunJobResult& result = job->result();
        QString text = tr("%1 finished in %2: run %3").arg(job->title(), formatDuration(info.seconds)).arg(result.run);
        if (result.activated)
            text += tr(", now the active run");
        else if (!result.comparison.isActive)
            text += tr("; the active run stays %1 (%n item(s) labelled differently)", nullptr, result.comparison.differing)
                        .arg(result.comparison.activeRun);
        jobText_->setText(text);
        break;
    }
    case JobStatus::Cancelled:
        progress_->setValue(0);
        jobText_->setText(job->run() ? tr("%1 cancelled; run %2 is listed as cancelled").arg(job->title()).arg(job->run())
                                     : tr("%1 cancelled").arg(job->title()));
        break;
    case JobStatus::Failed:
        jobText_->setText(tr("%1 failed: %2").arg(job->title(), job->error()));
        break;
    case JobStatus::Running:
        break;
    }
    updateButtons();
}

std::vector<std::int64_t> RunsPage::selectedRuns() const
{
    std::vector<std::int64_t> runs;
    for (const QModelIndex& index : table_->selectionModel()->selectedRows())
        runs.push_back(index.data(RunListModel::RunIdRole).toLongLong());
    return runs;
}

void RunsPage::selectRuns(const std::vector<std::int64_t>& runs)
{
    QItemSelection selection;
    const QAbstractItemModel* model = table_->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const std::int64_t id = model->index(row, IdColumn).data(RunListModel::RunIdRole).toLongLong();
        if (std::find(runs.begin(), runs.end(), id) != runs.end())
            selection.select(model->index(row, 0), model->index(row, ColumnCount - 1));
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    updateButtons();
}

void RunsPage::makeSelectedActive()
{
    const std::vector<std::int64_t> runs = selectedRuns();
    if (runs.empty() || document_->isActivating())
        return;
    // Read on a worker: the window stays live while a large run's arrays load.
    if (document_->activateRun(runs.front()))
        jobText_->setText(tr("Reading run %1…").arg(runs.front()));
    updateButtons();
}

std::vector<int> RunsPage::runLabels(std::int64_t run)
{
    const auto cached = labelCache_.find(run);
    if (cached != labelCache_.end())
        return cached->second;
    std::vector<int> labels;
    if (Project* project = document_->project()) {
        try {
            const NpyArray array = project->runOutput(run, "labels");
            if (array.shape == std::vector<std::size_t>{static_cast<std::size_t>(document_->dataset().itemCount())}) {
                const auto values = array.as<std::int32_t>();
                labels.assign(values.begin(), values.end());
            }
        } catch (const std::exception&) {
            labels.clear();
        }
    }
    labelCache_[run] = labels;
    return labels;
}

int RunsPage::compareSelected()
{
    differences_->clear();
    const std::vector<std::int64_t> runs = selectedRuns();
    if (runs.size() != 2) {
        comparisonText_->setText(tr("Select exactly two runs to compare."));
        return -1;
    }
    // Older run first, so that "first" and "second" read in time order.
    const std::int64_t first = std::min(runs[0], runs[1]);
    const std::int64_t second = std::max(runs[0], runs[1]);
    const std::vector<int> a = runLabels(first);
    const std::vector<int> b = runLabels(second);
    if (a.empty() || b.empty()) {
        comparisonText_->setText(tr("Run %1 has no labels to compare.").arg(a.empty() ? first : second));
        return -1;
    }
    const std::vector<int> items = differingItems(a, b);
    const Dataset& dataset = document_->dataset();
    const QLocale locale;
    const double share = a.empty() ? 0.0 : 100.0 * static_cast<double>(items.size()) / static_cast<double>(a.size());
    QString text = tr("Runs %1 and %2: %3 of %4 labels differ (%5%).")
                       .arg(first)
                       .arg(second)
                       .arg(locale.toString(static_cast<qulonglong>(items.size())), locale.toString(static_cast<qulonglong>(a.size())))
                       .arg(share, 0, 'f', 2);
    if (static_cast<int>(items.size()) > kMaxListedDifferences)
        text += tr(" The first %1 are listed.").arg(locale.toString(kMaxListedDifferences));
    comparisonText_->setText(text);
    differences_->headerItem()->setText(2, tr("Run %1").arg(first));
    differences_->headerItem()->setText(3, tr("Run %1").arg(second));
    QList<QTreeWidgetItem*> rows;
    const int listed = std::min(static_cast<int>(items.size()), kMaxListedDifferences);
    rows.reserve(listed);
    for (int r = 0; r < listed; ++r) {
        const int item = items[static_cast<std::size_t>(r)];
        const auto u = static_cast<std::size_t>(item);
        auto* row = new QTreeWidgetItem({QString::number(item),
                                         u < dataset.itemKeys.size() ? QString::fromStdString(dataset.itemKeys[u]) : QString(),
                                         labelText(dataset, a[u]), labelText(dataset, b[u])});
        row->setData(0, Qt::UserRole, item);
        rows.append(row);
    }
    differences_->addTopLevelItems(rows);
    for (int c = 0; c < 4; ++c)
        differences_->resizeColumnToContents(c);
    return static_cast<int>(items.size());
}

void RunsPage::updateButtons()
{
    const bool running = job_ != nullptr;
    const bool project = document_->project() != nullptr;
    const bool readOnly = document_->isReadOnly();
    runButton_->setEnabled(!running && project && !readOnly);
    runButton_->setToolTip(project ? tr("Run the strategy in the background; its result becomes the active run "
                                        "only when the project has none")
                                   : tr("Runs are stored in a project: open one, or make one with File > New "
                                        "Project from Dataset"));
    cancelButton_->setEnabled(running);
    strategy_->setEnabled(!running);
    const StrategyInfo& info = strategyInfo(strategy_->currentData().toString().toStdString());
    maxIterations_->setEnabled(!running && readsParameter(info, "max_iterations"));
    tolerance_->setEnabled(!running && readsParameter(info, "tolerance"));
    const std::vector<std::int64_t> runs = selectedRuns();
    const RunInfo* one = runs.size() == 1 ? document_->runList()->find(runs.front()) : nullptr;
    makeActiveButton_->setEnabled(!readOnly && one && one->kind == "aggregate" && one->status == "done"
                                  && one->id != document_->aggregationRunId() && !document_->isActivating());
    compareButton_->setEnabled(runs.size() == 2);
}

}  // namespace crowdsift
