// The project's runs as the Learning tab lists them: the aggregation runs a training run can
// learn (labels box), the stored train, loop and Data Parameters runs it can show (run box), and the accuracy of
// the newest Dawid-Skene run that the loop chart draws as a reference.

#include "learnpage.h"
#include "learnpage_p.h"

#include "projectdocument.h"
#include "runlistmodel.h"


#include <QComboBox>
#include <QCoreApplication>
#include <QLabel>
#include <QSignalBlocker>

#include <algorithm>


namespace crowdsift {

using namespace learnpage;

namespace {

QString runTitle(const RunInfo& run)
{
    if (isLoopRun(run))
        return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · CROWDLAB loop").arg(run.id);
    if (run.kind == "train" || isDataParamsRun(run))
        return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · %2").arg(run.id).arg(RunListModel::title(run));
    return QCoreApplication::translate("crowdsift::LearnPage", "Run %1 · %2")
        .arg(run.id)
        .arg(RunListModel::strategyTitle(run.name));
}

}  // namespace

void LearnPage::refreshRuns()
{
    // The document's run list, newest first: the same rows the Runs tab shows.
    const std::vector<RunInfo>& runs = document_->runList()->runs();
    {
        const QSignalBlocker blocker(labels_);
        // The active run is preselected (that is what the Review tab shows) whenever it changes;
        // otherwise the run picked by hand stays.
        const std::int64_t active = document_->aggregationRunId();
        const QVariant picked = active == labelsActive_ ? labels_->currentData() : QVariant();
        labelsActive_ = active;
        labels_->clear();
        for (const RunInfo& run : runs)
            if (run.kind == "aggregate" && run.status == "done")
                labels_->addItem(runTitle(run), static_cast<qlonglong>(run.id));
        int index = picked.isValid() ? labels_->findData(picked) : -1;
        if (index < 0)
            index = labels_->findData(static_cast<qlonglong>(active));
        labels_->setCurrentIndex(index >= 0 ? index : (labels_->count() > 0 ? 0 : -1));
    }
    {
        // The loop's start: majority vote (the default, see the README's loop table), or a
        // finished aggregation or training run; a run picked by hand stays while it is listed.
        const QSignalBlocker blocker(loopStart_);
        const QVariant picked = loopStart_->currentData();
        loopStart_->clear();
        loopStart_->addItem(tr("Majority vote"), static_cast<qlonglong>(0));
        for (const RunInfo& run : runs)
            if (run.status == "done"
                && (run.kind == "aggregate"
                    || (run.kind == "train"
                        && std::find(run.outputs.begin(), run.outputs.end(), "probabilities") != run.outputs.end())))
                loopStart_->addItem(runTitle(run), static_cast<qlonglong>(run.id));
        const int index = picked.isValid() ? loopStart_->findData(picked) : -1;
        loopStart_->setCurrentIndex(index >= 0 ? index : 0);
    }
    {
        const QSignalBlocker blocker(runBox_);
        runBox_->clear();
        for (const RunInfo& run : runs)
            if (isLearnRun(run))
                runBox_->addItem(runTitle(run), static_cast<qlonglong>(run.id));
        runBox_->setCurrentIndex(shownRun_ != 0 ? runBox_->findData(static_cast<qlonglong>(shownRun_)) : -1);
    }
    updateButtons();
}

void LearnPage::onRunBoxChanged()
{
    const std::int64_t run = runBox_->currentIndex() >= 0 ? runBox_->currentData().toLongLong() : 0;
    if (run != 0 && run != shownRun_)
        showRun(run);
    updateButtons();
}

std::optional<RunInfo> LearnPage::storedLearnRun(std::int64_t run) const
{
    Project* project = document_->project();
    if (!project)
        return std::nullopt;
    try {
        RunInfo info = project->run(run);
        if (isLearnRun(info))
            return info;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

double LearnPage::dawidSkeneAccuracy() const
{
    if (!document_->dataset().hasTruth())
        return kNaN;
    // Its accuracy as stored with the run: no labels to read from disk.
    for (const RunInfo& run : document_->runList()->runs())
        if (run.kind == "aggregate" && run.name == "ds" && run.status == "done")
            return RunListModel::accuracy(run);
    return kNaN;
}

}  // namespace crowdsift
