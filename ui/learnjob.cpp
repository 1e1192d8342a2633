// The Learning tab's jobs: a training run, a CROWDLAB loop or a Data Parameters training from the
// form, each a RunJob: the run is recorded when it starts, trained and written on the job's thread
// (its own project connection, the settings copied), its epochs and iterations drawn live; a
// loop's consensus becomes the active run only when the project has none. A Data Parameters run
// has no consensus: it is listed, never made active nor announced.

#include "learnpage.h"
#include "learnpage_p.h"

#include "jobmanager.h"
#include "projectdocument.h"
#include "runjob.h"
#include "trainingchart.h"

#include "aggregate/crowdlab.h"
#include "learn_project/complementary_runs.h"
#include "learn_project/crowd_runs.h"
#include "learn_project/data_params_runs.h"
#include "util/progress.h"

#include <QComboBox>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QStringList>

#include <cmath>
#include <memory>
#include <stdexcept>

namespace crowdsift {

using namespace learnpage;

// What the work needs from the form, copied on the GUI thread (the RunJob gives it the project
// and the dataset).
struct LearnPage::JobSetup {
    LearnInputOptions input;
    // model, training (for Data Parameters with config.dataParams on), folds, soft targets, and
    // for the loop its iterations
    LoopConfig run;
    std::int64_t labelsRun = 0;
    std::int64_t loopStart = 0;  // the loop's start run, 0 = majority vote
    nlohmann::json params;
    CrowdConfig crowd;  // learn-from-crowds
    TransitionChoice transition;  // complementary labels
};

bool LearnPage::prepareJob(JobSetup& setup)
{
    if (job_)
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
    return launch(title, JobKind::Train, std::move(setup));
}

int LearnPage::startLoop()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    setup.params["strategy"] = kLoopStrategy;
    setup.params["max_iterations"] = setup.run.maxIterations;
    setup.loopStart = loopStart_->currentIndex() >= 0 ? loopStart_->currentData().toLongLong() : 0;
    if (setup.loopStart != 0)
        setup.params["start"] = setup.loopStart;
    const QString title = tr("CROWDLAB loop with %1").arg(QString::fromStdString(setup.run.model.name));
    return launch(title, JobKind::Loop, std::move(setup));
}

int LearnPage::startDataParams()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    if (labels_->currentIndex() < 0) {
        status_->setText(tr("Data Parameters learn the labels of an aggregation run: run one on the Runs tab first."));
        return 0;
    }
    setup.run.train.dataParams = dataParamsConfig();
    if (!setup.run.train.dataParams.enabled()) {
        status_->setText(tr("Choose item sigmas, class sigmas or both."));
        return 0;
    }
    setup.labelsRun = labels_->currentData().toLongLong();
    // What `identify` stores: no folds, one model on every labelled item.
    setup.params = dataParamsParams(setup.run.model, setup.run.train, setup.input);
    setup.params["labels"] = std::to_string(setup.labelsRun);
    setup.params["soft"] = setup.run.softTargets;
    const QString title = tr("Data Parameters with %1").arg(QString::fromStdString(setup.run.model.name));
    return launch(title, JobKind::DataParams, std::move(setup));
}

int LearnPage::startLearnFromCrowds()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    const CrowdVotes votes = crowdVotes(document_->dataset());
    if (votes.label.empty()) {
        status_->setText(tr("The dataset has no votes to learn from."));
        return 0;
    }
    try {
        setup.crowd = parseCrowdStrategy(crowdStrategyText(), "strategy");
    } catch (const std::exception& e) {
        status_->setText(tr("Learn from crowds: %1").arg(QString::fromUtf8(e.what())));
        return 0;
    }
    // What `learn-from-crowds` stores: trainParams() plus strategy, folds and votes.
    setup.params = crowdParams(setup.run.model, setup.run.train, setup.crowd, setup.input, setup.run.folds, votes);
    const QString title = tr("Learn from crowds: %1 with %2 (%3 folds)")
                              .arg(QString::fromStdString(crowdStrategyName(setup.crowd)),
                                   QString::fromStdString(setup.run.model.name))
                              .arg(setup.run.folds);
    return launch(title, JobKind::Crowd, std::move(setup));
}

int LearnPage::startComplementary()
{
    JobSetup setup;
    if (!prepareJob(setup))
        return 0;
    const std::string loss = complementaryLoss_->currentData().toString().toStdString();
    const ComplementaryLoss parsed = parseComplementaryLoss(loss);
    setup.transition.source
        = usesTransition(parsed) ? complementaryTransition_->currentData().toString().toStdString() : "uniform";
    if (setup.transition.source == "truth" && !document_->dataset().hasTruth()) {
        status_->setText(tr("The dataset has no ground truth to count the transition against."));
        return 0;
    }
    // What `train --complementary` stores: one model on every answered item, no folds.
    setup.run.folds = 1;
    setup.params["complementary"] = true;
    setup.params["strategy"] = loss;
    setup.params["transition"] = setup.transition.source;
    if (setup.transition.source == "anchors") {
        setup.params["anchor_quantile"] = setup.transition.anchorQuantile;
        setup.params["anchor_folds"] = setup.transition.anchorFolds;
    }
    setup.params["soft"] = false;
    setup.params["folds"] = 1;
    const QString title = tr("Complementary labels: %1 with %2 (T %3)")
                              .arg(QString::fromStdString(loss), QString::fromStdString(setup.run.model.name),
                                   QString::fromStdString(setup.transition.source));
    return launch(title, JobKind::Complementary, std::move(setup));
}

namespace {

// One epoch of one fold, as a training job reports it to the GUI thread.
struct LiveEpoch {
    int fold = 0;
    EpochRecord record;
};

}  // namespace

}  // namespace crowdsift

Q_DECLARE_METATYPE(crowdsift::LiveEpoch)
Q_DECLARE_METATYPE(crowdsift::LoopIteration)

namespace crowdsift {

int LearnPage::launch(const QString& title, JobKind kind, JobSetup setup)
{
    const Dataset& dataset = document_->dataset();
    const bool loop = kind == JobKind::Loop;
    const double majorityVote = loop && dataset.hasTruth() ? accuracy(cleanlabMajorityVote(dataset), dataset.truth) : kNaN;
    beginLive(kind, setup.run.train.epochs, loop ? setup.run.maxIterations : 0, majorityVote, loop ? dawidSkeneAccuracy() : kNaN);

    RunRequest request;
    request.title = title;
    request.kind = loop ? "aggregate" : kind == JobKind::DataParams ? kDataParamsKind : "train";
    request.name = loop ? kLoopStrategy : setup.run.model.name;
    request.params = setup.params;
    if (kind == JobKind::Complementary) {
        // The name `train --complementary` gives it: the loss.
        request.name = setup.params.value("strategy", "complementary");
        request.work = [setup](RunContext& context) {
            const EpochCallback onEpoch = [&context](const EpochRecord& record) {
                context.report(QVariant::fromValue(LiveEpoch{0, record}));
            };
            context.progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(context.project, context.dataset, setup.input, context.progress);
            const ComplementaryOutcome outcome
                = trainComplementary(input, context.dataset, parseComplementaryLoss(setup.params.value("strategy", "")),
                                     setup.transition, setup.run.model, setup.run.train, context.progress, onEpoch);
            // Written only now: a cancel during training leaves the run without outputs.
            context.progress.stage("writing the outputs");
            RunJobResult out;
            out.summary = writeComplementaryOutputs(context.project, context.run, context.dataset, setup.params, outcome);
            const double acc = jsonNumber(out.summary, "accuracy");
            if (std::isfinite(acc))
                out.log.append(tr("in-sample accuracy against the ground truth %1%").arg(acc * 100.0, 0, 'f', 2));
            const double error = jsonNumber(out.summary, "transition_error");
            if (std::isfinite(error))
                out.log.append(tr("mean |T - T_truth| %1").arg(error, 0, 'f', 4));
            return out;
        };
    } else if (kind == JobKind::Crowd) {
        // The name `learn-from-crowds` gives it: "conal[scale=1e-05] mlp".
        request.name = crowdStrategyName(setup.crowd) + " " + setup.run.model.name;
        request.work = [setup](RunContext& context) {
            const CrowdFoldEpochCallback onEpoch = [&context](int fold, const EpochRecord& record) {
                context.report(QVariant::fromValue(LiveEpoch{fold, record}));
            };
            context.progress.stage("reading the votes");
            const CrowdVotes votes = crowdVotes(context.dataset);
            context.progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(context.project, context.dataset, setup.input, context.progress);
            const CrowdCrossValidation result
                = crossValidateCrowd(input, votes, context.dataset.classCount(), setup.run.model, setup.run.train,
                                     setup.crowd, setup.run.folds, context.progress, onEpoch);
            // Written only now: a cancel during training leaves the run without outputs.
            context.progress.stage("writing the outputs");
            RunJobResult out;
            out.summary = writeCrowdOutputs(context.project, context.run, context.dataset, setup.params, result);
            const double acc = jsonNumber(out.summary, "accuracy");
            if (std::isfinite(acc))
                out.log.append(tr("accuracy against the ground truth %1% (%2)")
                                   .arg(acc * 100.0, 0, 'f', 2)
                                   .arg(setup.run.folds >= 2 ? tr("out-of-sample") : tr("in-sample")));
            return out;
        };
    } else if (kind == JobKind::DataParams) {
        request.work = [setup](RunContext& context) {
            const EpochCallback onEpoch = [&context](const EpochRecord& record) {
                context.report(QVariant::fromValue(LiveEpoch{0, record}));
            };
            context.progress.stage("reading the training labels");
            const Targets targets = targetsFromRun(context.project, context.dataset, setup.labelsRun, setup.run.softTargets);
            context.progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(context.project, context.dataset, setup.input, context.progress);
            const int classes = context.dataset.classCount();
            const DataParamsOutcome outcome
                = trainDataParams(input, targets, classes, setup.run.model, setup.run.train, context.progress, onEpoch);
            // Written only now: a cancel during training leaves the run without outputs.
            context.progress.stage("writing the outputs");
            RunJobResult out;
            out.summary = writeDataParamsOutputs(context.project, context.run, setup.params, outcome.fit, classes, targets);
            const nlohmann::json& last = out.summary["per_epoch"].back();
            if (last["instance_sigma"].is_object())
                out.log.append(tr("item sigmas after the last epoch: median %1, q75 %2, largest %3")
                                   .arg(last["instance_sigma"]["median"].get<double>(), 0, 'f', 3)
                                   .arg(last["instance_sigma"]["q75"].get<double>(), 0, 'f', 3)
                                   .arg(last["instance_sigma"]["max"].get<double>(), 0, 'f', 3));
            if (last["class_sigma"].is_object())
                out.log.append(tr("class sigmas after the last epoch: %1 to %2")
                                   .arg(last["class_sigma"]["min"].get<double>(), 0, 'f', 3)
                                   .arg(last["class_sigma"]["max"].get<double>(), 0, 'f', 3));
            return out;
        };
    } else if (!loop) {
        request.work = [setup](RunContext& context) {
            const FoldEpochCallback onEpoch = [&context](int fold, const EpochRecord& record) {
                context.report(QVariant::fromValue(LiveEpoch{fold, record}));
            };
            context.progress.stage("reading the training labels");
            const Targets targets = targetsFromRun(context.project, context.dataset, setup.labelsRun, setup.run.softTargets);
            context.progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(context.project, context.dataset, setup.input, context.progress);
            const TrainOutcome outcome = trainModel(input, targets, context.dataset.classCount(), setup.run.model,
                                                    setup.run.train, setup.run.folds, context.progress, onEpoch);
            context.progress.stage("writing the outputs");
            RunJobResult out;
            out.summary = writeTrainOutputs(context.project, context.run, context.dataset, setup.params, outcome.result,
                                            outcome.model.get());
            const double acc = jsonNumber(out.summary, "accuracy");
            if (std::isfinite(acc))
                out.log.append(tr("out-of-sample accuracy against the ground truth %1%").arg(acc * 100.0, 0, 'f', 2));
            return out;
        };
    } else {
        request.work = [setup](RunContext& context) {
            const FoldEpochCallback onEpoch = [&context](int fold, const EpochRecord& record) {
                context.report(QVariant::fromValue(LiveEpoch{fold, record}));
            };
            const IterationCallback onIteration = [&context](const LoopIteration& iteration) {
                context.report(QVariant::fromValue(iteration));
            };
            const LoopStart start = setup.loopStart != 0 ? loopStartFromRun(context.project, context.dataset, setup.loopStart)
                                                         : LoopStart{};
            context.progress.stage("loading the training input");
            const LearnInput input = loadLearnInput(context.project, context.dataset, setup.input, context.progress);
            const LoopResult result
                = runCrowdlabLoop(context.dataset, input, setup.run, start, context.progress, onIteration, onEpoch);
            context.progress.stage("writing the outputs");
            RunJobResult out;
            out.summary = writeLoopOutputs(context.project, context.run, context.dataset, setup.params, result);
            out.consensus = std::make_shared<const AggregationResult>(loopAsAggregation(context.dataset, result, setup.params));
            QString text = tr("%1 iterations, %2")
                               .arg(result.iterations.size())
                               .arg(result.converged ? tr("converged") : tr("stopped at the iteration limit"));
            const LoopIteration& kept = result.iterations.at(static_cast<std::size_t>(result.keptIteration - 1));
            if (setup.run.keepBest)
                text += tr("; kept iteration %1, whose consensus best predicts held-out answers").arg(kept.iteration);
            if (std::isfinite(kept.consensusAccuracy))
                text += tr("; consensus accuracy %1% (majority vote %2%)")
                            .arg(kept.consensusAccuracy * 100.0, 0, 'f', 2)
                            .arg(result.majorityVoteAccuracy * 100.0, 0, 'f', 2);
            out.log.append(text);
            if (result.startScoresBetter)
                out.log.append(setup.loopStart != 0
                                   ? tr("its start, run %1, predicts held-out answers better than every iteration: the "
                                        "loop did not improve on it, keep run %1 active")
                                         .arg(setup.loopStart)
                                   : tr("majority vote predicts held-out answers better than every iteration: the "
                                        "loop did not improve on it"));
            return out;
        };
    }
    job_ = RunJob::start(document_, jobs_, std::move(request));
    if (!job_)
        return 0;
    const int ticket = liveTicket_;
    // Epochs and iterations arrive in order; once the charts show something else (a stored run
    // was picked meanwhile) they are left out.
    connect(job_, &RunJob::reported, this, [this, ticket](const QVariant& report) {
        if (ticket != liveTicket_)
            return;
        if (report.canConvert<LiveEpoch>()) {
            const LiveEpoch epoch = report.value<LiveEpoch>();
            onLiveEpoch(epoch.fold, epoch.record);
        } else if (report.canConvert<LoopIteration>()) {
            onLiveIteration(report.value<LoopIteration>());
        }
    });
    connect(job_, &RunJob::progressed, this, [this](int permille, const QString& text) {
        progress_->setValue(permille);
        if (!text.isEmpty())
            status_->setText(text);
    });
    connect(job_, &RunJob::finished, this, &LearnPage::onJobFinished);
    currentKind_ = kind;
    progress_->setValue(0);
    progress_->setTextVisible(true);
    status_->setText(tr("Starting…"));
    updateButtons();
    updateInputFields();
    return job_->jobId();
}

void LearnPage::cancelJob()
{
    if (job_)
        job_->cancel();
}

void LearnPage::onJobFinished(JobStatus status)
{
    RunJob* job = job_;
    job_ = nullptr;
    const JobInfo& info = jobs_->job(job->jobId());
    switch (status) {
    case JobStatus::Finished: {
        const RunJobResult& result = job->result();
        QString text = currentKind_ == JobKind::Loop         ? tr("CROWDLAB loop run %1 stored").arg(result.run)
                       : currentKind_ == JobKind::DataParams ? tr("Data Parameters run %1 stored").arg(result.run)
                       : currentKind_ == JobKind::Crowd      ? tr("Learn-from-crowds run %1 stored").arg(result.run)
                       : currentKind_ == JobKind::Complementary ? tr("Complementary-label run %1 stored").arg(result.run)
                                                             : tr("Training run %1 stored").arg(result.run);
        if (!result.log.isEmpty())
            text += QStringLiteral(": ") + result.log.join(QStringLiteral("; "));
        if (result.consensus) {
            if (result.activated)
                text += tr(". It is the active run.");
            else if (!result.comparison.isActive)
                text += tr(". The active run stays %1; make this one active on the Runs tab or from the announcement.")
                            .arg(result.comparison.activeRun);
        }
        status_->setText(text);
        showRun(result.run);
        Q_EMIT runStored(result.run);
        break;
    }
    case JobStatus::Cancelled:
        progress_->setValue(0);
        status_->setText(tr("%1 cancelled after %2; the run is listed as cancelled").arg(job->title(), formatDuration(info.seconds)));
        runBox_->setPlaceholderText(tr("The cancelled job"));
        break;
    case JobStatus::Failed:
        progress_->setValue(0);
        status_->setText(tr("%1 failed: %2").arg(job->title(), job->error()));
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
