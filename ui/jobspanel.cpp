#include "jobspanel.h"

#include "jobmanager.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace crowdsift {

namespace {

constexpr int kJobIdRole = Qt::UserRole + 1;

}  // namespace

JobsPanel::JobsPanel(JobManager* jobs, QWidget* parent) : QWidget(parent), jobs_(jobs)
{
    list_ = new QTreeWidget;
    list_->setObjectName(QStringLiteral("jobList"));
    list_->setRootIsDecorated(false);
    list_->setUniformRowHeights(true);
    list_->setHeaderLabels({tr("Job"), tr("Status"), tr("Progress"), tr("Elapsed"), tr("ETA")});
    list_->header()->setStretchLastSection(false);
    list_->header()->setSectionResizeMode(TitleColumn, QHeaderView::Stretch);
    for (int c = StatusColumn; c < ColumnCount; ++c)
        list_->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    log_ = new QPlainTextEdit;
    log_->setObjectName(QStringLiteral("jobLog"));
    log_->setReadOnly(true);
    log_->setPlaceholderText(tr("Select a job to see its log."));
    log_->setFont(QFont(QStringLiteral("monospace")));
    cancelButton_ = new QPushButton(tr("Cancel Job"));
    cancelButton_->setObjectName(QStringLiteral("cancelJobButton"));
    cancelButton_->setEnabled(false);
    connect(cancelButton_, &QPushButton::clicked, this, [this] { jobs_->cancel(selectedJob()); });
    connect(list_, &QTreeWidget::currentItemChanged, this, &JobsPanel::showLog);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(list_);
    splitter->addWidget(log_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(cancelButton_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter, 1);
    layout->addLayout(buttons);

    ticker_ = new QTimer(this);
    ticker_->setInterval(1000);
    connect(ticker_, &QTimer::timeout, this, &JobsPanel::refreshRunning);
    connect(jobs_, &JobManager::jobStarted, this, &JobsPanel::onJobStarted);
    connect(jobs_, &JobManager::jobChanged, this, &JobsPanel::updateJob);
    for (int id : jobs_->jobIds())
        onJobStarted(id);
}

int JobsPanel::selectedJob() const
{
    const QTreeWidgetItem* item = list_->currentItem();
    return item ? item->data(TitleColumn, kJobIdRole).toInt() : 0;
}

void JobsPanel::selectJob(int id)
{
    if (QTreeWidgetItem* item = itemOf(id))
        list_->setCurrentItem(item);
}

QTreeWidgetItem* JobsPanel::itemOf(int id) const
{
    for (int row = 0; row < list_->topLevelItemCount(); ++row) {
        QTreeWidgetItem* item = list_->topLevelItem(row);
        if (item->data(TitleColumn, kJobIdRole).toInt() == id)
            return item;
    }
    return nullptr;
}

void JobsPanel::onJobStarted(int id)
{
    auto* item = new QTreeWidgetItem;
    item->setData(TitleColumn, kJobIdRole, id);
    for (int c = ProgressColumn; c < ColumnCount; ++c)
        item->setTextAlignment(c, Qt::AlignRight | Qt::AlignVCenter);
    list_->insertTopLevelItem(0, item);
    updateJob(id);
    list_->setCurrentItem(item);
    ticker_->start();
}

void JobsPanel::updateJob(int id)
{
    QTreeWidgetItem* item = itemOf(id);
    if (!item)
        return;
    const JobInfo& job = jobs_->job(id);
    item->setText(TitleColumn, job.title);
    item->setToolTip(TitleColumn, job.started.toString(Qt::ISODate));
    item->setText(StatusColumn, jobStatusName(job.status));
    item->setToolTip(StatusColumn, job.error);
    item->setText(ProgressColumn, QStringLiteral("%1%").arg(job.fraction * 100.0, 0, 'f', 0));
    item->setText(ElapsedColumn, formatDuration(jobs_->elapsed(id)));
    item->setText(EtaColumn, job.status == JobStatus::Running ? formatDuration(jobs_->eta(id)) : QString());
    QColor color = palette().color(QPalette::Text);
    if (job.status == JobStatus::Failed)
        color = QColor(0xc0, 0x39, 0x2b);
    else if (job.status == JobStatus::Cancelled)
        color = palette().color(QPalette::PlaceholderText);
    item->setForeground(StatusColumn, color);
    if (id == selectedJob())
        showLog();
}

void JobsPanel::refreshRunning()
{
    if (jobs_->runningCount() == 0)
        ticker_->stop();
    for (int id : jobs_->jobIds())
        if (jobs_->isRunning(id))
            updateJob(id);
}

void JobsPanel::showLog()
{
    const int id = selectedJob();
    cancelButton_->setEnabled(id != 0 && jobs_->isRunning(id));
    if (id == 0) {
        log_->clear();
        return;
    }
    const QString text = jobs_->job(id).log.join(QLatin1Char('\n'));
    if (text == log_->toPlainText())
        return;
    log_->setPlainText(text);
    log_->verticalScrollBar()->setValue(log_->verticalScrollBar()->maximum());
}

}  // namespace crowdsift
