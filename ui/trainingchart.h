#pragma once

#include "learn/crowdlab_loop.h"
#include "learn/trainer.h"

#include <QChartView>
#include <QStringList>

#include <vector>

class QAreaSeries;
class QLineSeries;
class QLogValueAxis;
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

// Data Parameters: the instance sigmas of the items trained on, per epoch: a light band from the
// smallest to the largest, a darker one between the quartiles and the median as a line. The
// sigma axis is logarithmic (base 2: the sigmas are learned in log space and start at 1), its
// range whole powers of two, so that it moves only when a band crosses one.
class InstanceSigmaChart : public QChartView {
    Q_OBJECT
public:
    explicit InstanceSigmaChart(QWidget* parent = nullptr);

    // Empties the bands and sets the title; `expectedEpochs` (> 0) fixes the epoch axis.
    void clear(const QString& title, int expectedEpochs = 0);
    // Epoch `epoch`'s min, q25, median, q75 and max (sigmaQuantiles()); anything else is left out.
    void addEpoch(int epoch, const std::vector<double>& quantiles);
    // One entry per epoch (from 1), as addEpoch() takes them, in one update.
    void setEpochs(const std::vector<std::vector<double>>& quantiles, const QString& title);

    int epochCount() const;
    QLineSeries* minSeries() const { return min_; }
    QLineSeries* q25Series() const { return q25_; }
    QLineSeries* medianSeries() const { return median_; }
    QLineSeries* q75Series() const { return q75_; }
    QLineSeries* maxSeries() const { return max_; }

private:
    void rescale();

    QLineSeries* min_ = nullptr;
    QLineSeries* q25_ = nullptr;
    QLineSeries* median_ = nullptr;
    QLineSeries* q75_ = nullptr;
    QLineSeries* max_ = nullptr;
    QAreaSeries* range_ = nullptr;
    QAreaSeries* quartiles_ = nullptr;
    QValueAxis* epochAxis_ = nullptr;
    QLogValueAxis* sigmaAxis_ = nullptr;
    int expectedEpochs_ = 0;
    double low_ = 1.0;   // the smallest and largest sigma shown
    double high_ = 1.0;
};

// Data Parameters: each class's sigma per epoch, one line per class (legend by class name up to
// a dozen classes), on the same logarithmic axis as InstanceSigmaChart.
class ClassSigmaChart : public QChartView {
    Q_OBJECT
public:
    explicit ClassSigmaChart(QWidget* parent = nullptr);

    // Starts over with one empty line per name in `classes`; `expectedEpochs` as above.
    void clear(const QString& title, const QStringList& classes, int expectedEpochs = 0);
    // Epoch `epoch`'s sigma of every class (K entries); another count is left out.
    void addEpoch(int epoch, const std::vector<float>& sigmas);
    // A stored trajectory: K x `epochs`, row-major (sigma_class), in one update.
    void setTrajectories(const std::vector<float>& sigmas, int epochs, const QStringList& classes, const QString& title);

    int classCount() const { return static_cast<int>(lines_.size()); }
    QLineSeries* classSeries(int k) const { return lines_.at(static_cast<std::size_t>(k)); }

private:
    void rescale();

    std::vector<QLineSeries*> lines_;
    QValueAxis* epochAxis_ = nullptr;
    QLogValueAxis* sigmaAxis_ = nullptr;
    int expectedEpochs_ = 0;
    int epochs_ = 0;
    double low_ = 1.0;
    double high_ = 1.0;
};

}  // namespace crowdsift
