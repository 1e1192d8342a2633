// The Learning tab's jobs: a training run or a CROWDLAB loop from the form, run by the
// JobManager on a worker thread (its own project connection, copies of the dataset and the
// settings), its epochs and iterations drawn live, its result stored as a run on the GUI thread.

#include "learnpage.h"
#include "learnpage_p.h"

#include "jobmanager.h"
#include "projectdocument.h"
#include "trainingchart.h"

#include "aggregate/crowdlab.h"
#include "util/progress.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QStringList>

#include <cmath>
#include <memory>
#include <stdexcept>

namespace crowdsift {

using namespace learnpage;

// What a worker needs, copied on the GUI thread: the document may change while it runs.
struct LearnPage::JobSetup {
    std::string projectPath;
    std::shared_ptr<const Dataset> dataset;
    LearnInputOptions input;
    LoopConfig run;  // model, training, folds, soft targets, and for the loop its iterations
    std::int64_t labelsRun = 0;
    nlohmann::json params;
};

bool LearnPage::prepareJob(JobSetup& setup)
{
    if (currentJob_ != 0)
        return false;
    Project* project = document_->project();
    if (!document_->hasDataset() || !project) {
        status_->setText(tr("Training stores its runs in a project: open a .csift project first."));
        return false;
    }
    const LoopConfig run = loopConfig();
    if (run.model.name == "torchscript" && !QFileInfo(backbone_->text().trimmed()).isFile()) {
        status_->setText(tr("Choose the TorchScript backbone file for the torchscript model."));
        return false;
    }
    setup.projectPath = project->path();
    setup.dataset = std::make_shared<const Dataset>(document_->dataset());
    setup.input = inputOptions();
    setup.run = run;
    setup.params = trainParams(run.model, run.train, setup.input);
    setup.params["folds"] = run.folds;
    setup.params["soft"] = run.softTargets;
    return true;
}

int LearnPage::startTraining()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    if (labels_->currentIndex() < 0) {
        status_->setText(tr("Training learns the labels of an aggregation run: run one on the Runs tab first."));
        return 0;
    }
    setup.labelsRun = labels_->currentData().toLongLong();
    setup.params["labels"] = std::to_string(setup.labelsRun);
    const QString title = tr("Train %1 (%2 folds)").arg(QString::fromStdString(setup.run.model.name)).arg(setup.run.folds);
    return launch(title, false, std::move(setup));
}

int LearnPage::startLoop()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    setup.params["strategy"] = kLoopStrategy;
    setup.params["max_iterations"] = setup.run.maxIterations;
    const QString title = tr("CROWDLAB loop with %1").arg(QString::fromStdString(setup.run.model.name));
    return launch(title, true, std::move(setup));
}

int LearnPage::launch(const QString& title, bool loop, JobSetup setup)
{
    const Dataset& dataset = document_->dataset();
    const double majorityVote = loop && dataset.hasTruth() ? accuracy(cleanlabMajorityVote(dataset), dataset.truth) : kNaN;
    beginLive(loop, setup.run.train.epochs, loop ? setup.run.maxIterations : 0, majorityVote, loop ? dawidSkeneAccuracy() : kNaN);

    const QPointer<LearnPage> page(this);
    const int ticket = liveTicket_;
    const int generation = generation_;
    // Reports come from the training thread; each is queued to the GUI thread (the application
    // object outlives every job) and dropped there once this page is gone or runs another job.
    const FoldEpochCallback onEpoch = [page, ticket](int fold, const EpochRecord& record) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [page, ticket, fold, record] {
                if (page && page->liveTicket_ == ticket)
                    page->onLiveEpoch(fold, record);
            },
            Qt::QueuedConnection);
    };
    const IterationCallback onIteration = [page, ticket](const LoopIteration& iteration) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [page, ticket, iteration] {
                if (page && page->liveTicket_ == ticket)
                    page->onLiveIteration(iteration);
            },
            Qt::QueuedConnection);
    };
    // Checked on the GUI thread when the job's result arrives.
    const auto ownerOf = [page, generation]() -> LearnPage* {
        if (!page)
            throw std::runtime_error("the window was closed while the job was going");
        if (generation != page->generation_)
            throw std::runtime_error("another project was opened while the job was going; its result was dropped");
        if (!page->document_->project())
            throw std::runtime_error("the project was closed while the job was going");
        return page.data();
    };

    JobManager::Work work;
    if (!loop) {
        work = [setup, onEpoch, ownerOf](Progress& progress) {
            // A connection of its own: the GUI thread keeps using the document's.
            const Project project = Project::open(setup.projectPath);
            progress.stage("reading the training labels");
            const Targets targets = targetsFromRun(project, *setup.dataset, setup.labelsRun, setup.run.softTargets);
            progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(project, *setup.dataset, setup.input, progress);
            auto outcome = std::make_shared<TrainOutcome>(trainModel(input, targets, setup.dataset->classCount(),
                                                                     setup.run.model, setup.run.train, setup.run.folds, progress,
                                                                     onEpoch));
            const nlohmann::json params = setup.params;
            return JobManager::Completion([outcome, params, ownerOf](QStringList& log) {
                LearnPage* page = ownerOf();
                Project& project = *page->document_->project();
                const std::int64_t run = storeTrainRun(project, params, outcome->result, outcome->model.get());
                const nlohmann::json summary = project.run(run).summary;
                const double acc = jsonNumber(summary, "accuracy");
                QString text = tr("stored as run %1").arg(run);
                if (std::isfinite(acc))
                    text += tr("; out-of-sample accuracy against the ground truth %1%").arg(acc * 100.0, 0, 'f', 2);
                log.append(text);
                page->status_->setText(tr("Training run %1 stored").arg(run)
                                       + (std::isfinite(acc) ? tr(": out-of-sample accuracy %1%").arg(acc * 100.0, 0, 'f', 2)
                                                             : QString()));
                page->refreshRuns();
                page->showRun(run);
                Q_EMIT page->runStored(run);
            });
        };
    } else {
        work = [setup, onEpoch, onIteration, ownerOf](Progress& progress) {
            const Project project = Project::open(setup.projectPath);
            progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(project, *setup.dataset, setup.input, progress);
            auto result = std::make_shared<LoopResult>(
                runCrowdlabLoop(*setup.dataset, input, setup.run, progress, onIteration, onEpoch));
            const nlohmann::json params = setup.params;
            return JobManager::Completion([result, params, ownerOf](QStringList& log) {
                LearnPage* page = ownerOf();
                ProjectDocument* document = page->document_;
                const std::int64_t run = storeLoopRun(*document->project(), document->dataset(), params, *result);
                const LoopIteration* last = result->iterations.empty() ? nullptr : &result->iterations.back();
                QString text = tr("%1 iterations, %2; stored as run %3")
                                   .arg(result->iterations.size())
                                   .arg(result->converged ? tr("converged") : tr("stopped at the iteration limit"))
                                   .arg(run);
                if (last && std::isfinite(last->consensusAccuracy))
                    text += tr("; consensus accuracy %1% (majority vote %2%)")
                                .arg(last->consensusAccuracy * 100.0, 0, 'f', 2)
                                .arg(result->majorityVoteAccuracy * 100.0, 0, 'f', 2);
                log.append(text);
                page->status_->setText(tr("CROWDLAB loop run %1 stored and active: %2").arg(run).arg(text));
                document->setActiveRun(run);
                page->refreshRuns();
                page->showRun(run);
                Q_EMIT page->runStored(run);
            });
        };
    }
    currentJob_ = jobs_->start(title, std::move(work));
    currentIsLoop_ = loop;
    progress_->setValue(0);
    progress_->setTextVisible(true);
    status_->setText(tr("Starting…"));
    updateButtons();
    updateInputFields();
    return currentJob_;
}

void LearnPage::cancelJob()
{
    if (currentJob_ != 0)
        jobs_->cancel(currentJob_);
}

void LearnPage::onJobChanged(int id)
{
    if (id != currentJob_)
        return;
    progress_->setValue(jobs_->permille(id));
    if (jobs_->isRunning(id))
        status_->setText(jobs_->runningText(id));
}

void LearnPage::onJobFinished(int id, JobStatus status)
{
    if (id != currentJob_)
        return;
    currentJob_ = 0;
    const JobInfo& job = jobs_->job(id);
    switch (status) {
    case JobStatus::Finished:
        // The completion wrote the outcome into the status line.
        break;
    case JobStatus::Cancelled:
        progress_->setValue(0);
        status_->setText(tr("%1 cancelled after %2; nothing was stored").arg(job.title, formatDuration(job.seconds)));
        runBox_->setPlaceholderText(tr("The cancelled job"));
        break;
    case JobStatus::Failed:
        progress_->setValue(0);
        status_->setText(tr("%1 failed: %2").arg(job.title, job.error));
        runBox_->setPlaceholderText(tr("The failed job"));
        break;
    case JobStatus::Running:
        break;
    }
    progress_->setTextVisible(status == JobStatus::Finished);
    updateButtons();
    updateInputFields();
}

}  // namespace crowdsift
