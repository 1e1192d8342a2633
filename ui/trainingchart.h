#pragma once

#include "learn/crowdlab_loop.h"
#include "learn/trainer.h"

#include <QChartView>

#include <vector>

class QLineSeries;
class QValueAxis;

namespace crowdsift {

// The training curve of one model (one fold): mean train loss and, when the trainer held rows
// out, their loss per epoch on the left axis; train accuracy (against the targets' argmax) on the
// right axis, in [0, 1]. The held-out series stays out of the legend while it has no point.
class TrainingCurveChart : public QChartView {
    Q_OBJECT
public:
    explicit TrainingCurveChart(QWidget* parent = nullptr);

    // Empties the curves and sets the title; `expectedEpochs` (> 0) fixes the epoch axis so that
    // a live curve grows into it instead of rescaling every epoch.
    void clear(const QString& title, int expectedEpochs = 0);
    void addEpoch(const EpochRecord& record);
    void setHistory(const std::vector<EpochRecord>& history, const QString& title, int expectedEpochs = 0);

    QLineSeries* trainLossSeries() const { return trainLoss_; }
    QLineSeries* heldOutLossSeries() const { return heldOutLoss_; }
    QLineSeries* trainAccuracySeries() const { return trainAccuracy_; }

private:
    void rescale();

    QLineSeries* trainLoss_ = nullptr;
    QLineSeries* heldOutLoss_ = nullptr;
    QLineSeries* trainAccuracy_ = nullptr;
    QValueAxis* epochAxis_ = nullptr;
    QValueAxis* lossAxis_ = nullptr;
    QValueAxis* accuracyAxis_ = nullptr;
    int expectedEpochs_ = 0;
    double maxLoss_ = 0.0;
};

// The CROWDLAB loop per iteration: consensus accuracy and model accuracy against the ground truth
// (left axis, with majority vote and Dawid-Skene as dashed reference lines), and the items whose
// consensus changed for the first time (right axis), the count the loop stops on. Without ground
// truth the accuracy series do not exist and the title says why.
class LoopChart : public QChartView {
    Q_OBJECT
public:
    explicit LoopChart(QWidget* parent = nullptr);

    // Starts over. `expectedIterations` (> 0) fixes the iteration axis for a live loop.
    void clear(bool truthKnown, int expectedIterations = 0);
    // Reference accuracies; NaN leaves that line out.
    void setReferences(double majorityVote, double dawidSkene);
    void addIteration(const LoopIteration& iteration);
    void setIterations(const std::vector<LoopIteration>& iterations, bool truthKnown);

    bool truthKnown() const { return truthKnown_; }
    // Null without ground truth.
    QLineSeries* consensusAccuracySeries() const { return consensusAccuracy_; }
    QLineSeries* modelAccuracySeries() const { return modelAccuracy_; }
    // Null while that reference is unknown.
    QLineSeries* majorityVoteLine() const { return majorityVote_; }
    QLineSeries* dawidSkeneLine() const { return dawidSkene_; }
    QLineSeries* newlyChangedSeries() const { return newlyChanged_; }

private:
    QLineSeries* addReference(const QString& name, double accuracy, const QColor& color);
    void rescale();

    QLineSeries* consensusAccuracy_ = nullptr;
    QLineSeries* modelAccuracy_ = nullptr;
    QLineSeries* majorityVote_ = nullptr;
    QLineSeries* dawidSkene_ = nullptr;
    QLineSeries* newlyChanged_ = nullptr;
    QValueAxis* iterationAxis_ = nullptr;
    QValueAxis* accuracyAxis_ = nullptr;
    QValueAxis* changedAxis_ = nullptr;
    bool truthKnown_ = false;
    int expectedIterations_ = 0;
    int maxChanged_ = 0;
    double minAccuracy_ = 1.0;
};

}  // namespace crowdsift
