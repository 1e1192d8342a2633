#include "trainingchart.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QPen>
#include <QStringList>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace crowdsift {

namespace {

const QColor kTrainColor(0x1f, 0x77, 0xb4);
const QColor kHeldOutColor(0xff, 0x7f, 0x0e);
const QColor kAccuracyColor(0x2c, 0xa0, 0x2c);
const QColor kModelColor(0x94, 0x67, 0xbd);
const QColor kMajorityColor(0x7f, 0x7f, 0x7f);
const QColor kDawidSkeneColor(0xd6, 0x27, 0x28);
const QColor kChangedColor(0x8c, 0x56, 0x4b);

// A tick step of 1, 2 or 5 times a power of ten that puts at most `maxTicks` ticks on `span`.
double niceStep(double span, int maxTicks)
{
    if (!(span > 0.0))
        return 1.0;
    const double raw = span / std::max(1, maxTicks);
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double factor : {1.0, 2.0, 5.0, 10.0})
        if (factor * power >= raw)
            return factor * power;
    return 10.0 * power;
}

QLineSeries* makeSeries(const QString& name, const QColor& color, Qt::PenStyle style = Qt::SolidLine)
{
    auto* series = new QLineSeries;
    series->setName(name);
    QPen pen(color);
    pen.setWidthF(2.0);
    pen.setStyle(style);
    series->setPen(pen);
    series->setPointsVisible(style == Qt::SolidLine);
    return series;
}

void attach(QChart* chart, QAbstractSeries* series, QAbstractAxis* x, QAbstractAxis* y)
{
    chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
}

void setLegendVisible(QChart* chart, QLineSeries* series, bool visible)
{
    for (QLegendMarker* marker : chart->legend()->markers(series))
        marker->setVisible(visible);
}

// Integer axis over [first, last] with a readable number of ticks, at multiples of the step.
// Range and dynamic ticks of `axis` together. Each setter lays the axis out again, so the order
// matters: a wide range under the old fine interval (or a fine interval over the old wide range)
// would lay out thousands of ticks for a moment, hundreds of milliseconds on the GUI thread. The
// interval goes first when it grows, the range first when it shrinks.
void setTicks(QValueAxis* axis, double low, double high, double anchor, double interval)
{
    const bool wider = axis->tickType() != QValueAxis::TicksDynamic || interval >= axis->tickInterval();
    if (wider) {
        axis->setTickInterval(interval);
        axis->setTickAnchor(anchor);
        axis->setTickType(QValueAxis::TicksDynamic);
        axis->setRange(low, high);
    } else {
        axis->setRange(low, high);
        axis->setTickAnchor(anchor);
        axis->setTickInterval(interval);
    }
}

void setIntegerRange(QValueAxis* axis, int first, int last)
{
    last = std::max(last, first + 1);
    setTicks(axis, first, last, 0.0, std::max(1.0, niceStep(last - first, 8)));
}

// One color per class, matplotlib's tab10 again after ten.
const QColor kClassColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                               QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                               QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                               QColor(0x17, 0xbe, 0xcf)};
constexpr int kMaxClassLegend = 12;

QLogValueAxis* newSigmaAxis()
{
    auto* axis = new QLogValueAxis;
    axis->setBase(2.0);
    axis->setLabelFormat(QStringLiteral("%g"));
    axis->setRange(0.5, 2.0);
    return axis;
}

// The sigma axis over [low, high], widened to the powers of two beyond them: a value on a power
// of two (every sigma starts at 1) is not drawn on the frame, and the axis moves only when a
// curve crosses the next power.
void setSigmaRange(QLogValueAxis* axis, double low, double high)
{
    if (!(low > 0.0) || !(high >= low))
        low = high = 1.0;
    const double bottom = std::exp2(std::ceil(std::log2(low)) - 1.0);
    const double top = std::exp2(std::floor(std::log2(high)) + 1.0);
    if (axis->min() != bottom || axis->max() != top)
        axis->setRange(bottom, top);
}

// The chart a view is built with (QChartView(chart, parent), which owns it). Building the view
// bare and then calling setChart() would release the view's default chart unowned: a leak
// LeakSanitizer found, one chart per view.
QChart* newChart()
{
    auto* chart = new QChart;
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    // The loop chart has five entries in one row.
    QFont legendFont = chart->legend()->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.9);
    chart->legend()->setFont(legendFont);
    chart->setBackgroundRoundness(0);
    return chart;
}

}  // namespace

TrainingCurveChart::TrainingCurveChart(QWidget* parent) : QChartView(newChart(), parent)
{
    QChart* chart = this->chart();
    epochAxis_ = new QValueAxis;
    epochAxis_->setTitleText(tr("Epoch"));
    epochAxis_->setLabelFormat(QStringLiteral("%d"));
    lossAxis_ = new QValueAxis;
    lossAxis_->setTitleText(tr("Loss (mean per sample)"));
    lossAxis_->setLabelFormat(QStringLiteral("%.2f"));
    accuracyAxis_ = new QValueAxis;
    accuracyAxis_->setTitleText(tr("Train accuracy"));
    accuracyAxis_->setLabelFormat(QStringLiteral("%.1f"));
    accuracyAxis_->setRange(0.0, 1.0);
    // One grid, the left axis's: a second one at other heights reads as noise.
    accuracyAxis_->setGridLineVisible(false);
    chart->addAxis(epochAxis_, Qt::AlignBottom);
    chart->addAxis(lossAxis_, Qt::AlignLeft);
    chart->addAxis(accuracyAxis_, Qt::AlignRight);

    trainLoss_ = makeSeries(tr("Train loss"), kTrainColor);
    heldOutLoss_ = makeSeries(tr("Held-out loss"), kHeldOutColor);
    trainAccuracy_ = makeSeries(tr("Train accuracy"), kAccuracyColor);
    attach(chart, trainLoss_, epochAxis_, lossAxis_);
    attach(chart, heldOutLoss_, epochAxis_, lossAxis_);
    attach(chart, trainAccuracy_, epochAxis_, accuracyAxis_);

    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(280, 200);
    clear(tr("No training yet"));
}

void TrainingCurveChart::clear(const QString& title, int expectedEpochs)
{
    trainLoss_->clear();
    heldOutLoss_->clear();
    trainAccuracy_->clear();
    expectedEpochs_ = std::max(0, expectedEpochs);
    maxLoss_ = 0.0;
    chart()->setTitle(title);
    rescale();
}

void TrainingCurveChart::addEpoch(const EpochRecord& record)
{
    if (std::isfinite(record.trainLoss)) {
        trainLoss_->append(record.epoch, record.trainLoss);
        maxLoss_ = std::max(maxLoss_, record.trainLoss);
    }
    if (std::isfinite(record.validationLoss)) {
        heldOutLoss_->append(record.epoch, record.validationLoss);
        maxLoss_ = std::max(maxLoss_, record.validationLoss);
    }
    if (std::isfinite(record.trainAccuracy))
        trainAccuracy_->append(record.epoch, record.trainAccuracy);
    rescale();
}

void TrainingCurveChart::setHistory(const std::vector<EpochRecord>& history, const QString& title, int expectedEpochs)
{
    clear(title, expectedEpochs);
    QList<QPointF> train, heldOut, accuracy;
    for (const EpochRecord& record : history) {
        if (std::isfinite(record.trainLoss)) {
            train.append(QPointF(record.epoch, record.trainLoss));
            maxLoss_ = std::max(maxLoss_, record.trainLoss);
        }
        if (std::isfinite(record.validationLoss)) {
            heldOut.append(QPointF(record.epoch, record.validationLoss));
            maxLoss_ = std::max(maxLoss_, record.validationLoss);
        }
        if (std::isfinite(record.trainAccuracy))
            accuracy.append(QPointF(record.epoch, record.trainAccuracy));
    }
    // One replace per series instead of a repaint per point.
    trainLoss_->replace(train);
    heldOutLoss_->replace(heldOut);
    trainAccuracy_->replace(accuracy);
    rescale();
}

void TrainingCurveChart::rescale()
{
    const int epochs = std::max(expectedEpochs_, static_cast<int>(trainLoss_->count()));
    setIntegerRange(epochAxis_, 1, std::max(epochs, 2));
    const double top = maxLoss_ > 0.0 ? maxLoss_ * 1.08 : 1.0;
    setTicks(lossAxis_, 0.0, top, 0.0, niceStep(top, 6));
    const bool heldOut = heldOutLoss_->count() > 0;
    heldOutLoss_->setVisible(heldOut);
    setLegendVisible(chart(), heldOutLoss_, heldOut);
    for (QLineSeries* series : {trainLoss_, heldOutLoss_, trainAccuracy_})
        series->setPointsVisible(epochs <= 40);
}

LoopChart::LoopChart(QWidget* parent) : QChartView(newChart(), parent)
{
    QChart* chart = this->chart();
    iterationAxis_ = new QValueAxis;
    iterationAxis_->setTitleText(tr("Iteration"));
    iterationAxis_->setLabelFormat(QStringLiteral("%d"));
    accuracyAxis_ = new QValueAxis;
    accuracyAxis_->setLabelFormat(QStringLiteral("%.2f"));
    changedAxis_ = new QValueAxis;
    changedAxis_->setTitleText(tr("Items changed for the first time"));
    changedAxis_->setLabelFormat(QStringLiteral("%d"));
    changedAxis_->setGridLineVisible(false);
    chart->addAxis(iterationAxis_, Qt::AlignBottom);
    chart->addAxis(accuracyAxis_, Qt::AlignLeft);
    chart->addAxis(changedAxis_, Qt::AlignRight);
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(280, 200);
    clear(false);
}

void LoopChart::clear(bool truthKnown, int expectedIterations)
{
    QChart* chart = this->chart();
    for (QAbstractSeries* series : chart->series()) {
        chart->removeSeries(series);
        delete series;
    }
    consensusAccuracy_ = modelAccuracy_ = majorityVote_ = dawidSkene_ = nullptr;
    truthKnown_ = truthKnown;
    expectedIterations_ = std::max(0, expectedIterations);
    maxChanged_ = 0;
    minAccuracy_ = 1.0;
    if (truthKnown_) {
        chart->setTitle(tr("The CROWDLAB loop against the ground truth"));
        // setReferences() adds the reference accuracies to the title.
        accuracyAxis_->setTitleText(tr("Accuracy vs ground truth"));
        consensusAccuracy_ = makeSeries(tr("Consensus"), kAccuracyColor);
        modelAccuracy_ = makeSeries(tr("Model"), kModelColor);
        attach(chart, consensusAccuracy_, iterationAxis_, accuracyAxis_);
        attach(chart, modelAccuracy_, iterationAxis_, accuracyAxis_);
    } else {
        chart->setTitle(tr("Accuracy unknown: the dataset has no ground truth"));
        accuracyAxis_->setTitleText(tr("Accuracy (no ground truth)"));
    }
    newlyChanged_ = makeSeries(tr("Newly changed"), kChangedColor);
    attach(chart, newlyChanged_, iterationAxis_, changedAxis_);
    rescale();
}

QLineSeries* LoopChart::addReference(const QString& name, double accuracy, const QColor& color)
{
    if (!truthKnown_ || !std::isfinite(accuracy))
        return nullptr;
    QLineSeries* series = makeSeries(name, color, Qt::DashLine);
    // Two points at the axis ends; rescale() moves them when the axis grows.
    series->append(0.0, accuracy);
    series->append(1.0, accuracy);
    attach(chart(), series, iterationAxis_, accuracyAxis_);
    minAccuracy_ = std::min(minAccuracy_, accuracy);
    return series;
}

void LoopChart::setReferences(double majorityVote, double dawidSkene)
{
    for (QLineSeries** line : {&majorityVote_, &dawidSkene_}) {
        if (*line) {
            chart()->removeSeries(*line);
            delete *line;
            *line = nullptr;
        }
    }
    majorityVote_ = addReference(tr("Majority vote"), majorityVote, kMajorityColor);
    dawidSkene_ = addReference(tr("Dawid-Skene"), dawidSkene, kDawidSkeneColor);
    if (truthKnown_) {
        QStringList references;
        if (majorityVote_)
            references << tr("majority vote %1").arg(majorityVote, 0, 'f', 3);
        if (dawidSkene_)
            references << tr("Dawid-Skene %1").arg(dawidSkene, 0, 'f', 3);
        chart()->setTitle(references.isEmpty() ? tr("The CROWDLAB loop against the ground truth")
                                               : tr("The CROWDLAB loop against the ground truth (%1)")
                                                     .arg(references.join(QStringLiteral(", "))));
    }
    rescale();
}

void LoopChart::addIteration(const LoopIteration& iteration)
{
    if (consensusAccuracy_ && std::isfinite(iteration.consensusAccuracy)) {
        consensusAccuracy_->append(iteration.iteration, iteration.consensusAccuracy);
        minAccuracy_ = std::min(minAccuracy_, iteration.consensusAccuracy);
    }
    if (modelAccuracy_ && std::isfinite(iteration.modelAccuracy)) {
        modelAccuracy_->append(iteration.iteration, iteration.modelAccuracy);
        minAccuracy_ = std::min(minAccuracy_, iteration.modelAccuracy);
    }
    newlyChanged_->append(iteration.iteration, iteration.newlyChanged);
    maxChanged_ = std::max(maxChanged_, iteration.newlyChanged);
    rescale();
}

void LoopChart::setIterations(const std::vector<LoopIteration>& iterations, bool truthKnown)
{
    clear(truthKnown);
    for (const LoopIteration& iteration : iterations)
        addIteration(iteration);
}

void LoopChart::rescale()
{
    const int last = std::max({expectedIterations_, static_cast<int>(newlyChanged_->count()), 2});
    setIntegerRange(iterationAxis_, 1, last);
    for (QLineSeries* line : {majorityVote_, dawidSkene_})
        if (line)
            line->replace({QPointF(1.0, line->at(0).y()), QPointF(last, line->at(0).y())});

    // Accuracies of a loop differ in the second or third digit: zoom to them, in steps of 0.05.
    const double bottom = truthKnown_ ? std::max(0.0, std::floor((minAccuracy_ - 0.02) * 20.0) / 20.0) : 0.0;
    setTicks(accuracyAxis_, bottom, 1.0, bottom, niceStep(1.0 - bottom, 6));
    accuracyAxis_->setLabelsVisible(truthKnown_);

    const int top = std::max(1, static_cast<int>(std::ceil(maxChanged_ * 1.1)));
    setTicks(changedAxis_, 0, top, 0.0, std::max(1.0, niceStep(top, 6)));
    const bool fewPoints = last <= 40;
    for (QLineSeries* series : {consensusAccuracy_, modelAccuracy_, newlyChanged_})
        if (series)
            series->setPointsVisible(fewPoints);
}

InstanceSigmaChart::InstanceSigmaChart(QWidget* parent) : QChartView(newChart(), parent)
{
    QChart* chart = this->chart();
    epochAxis_ = new QValueAxis;
    epochAxis_->setTitleText(tr("Epoch"));
    epochAxis_->setLabelFormat(QStringLiteral("%d"));
    sigmaAxis_ = newSigmaAxis();
    sigmaAxis_->setTitleText(tr("Item sigma"));
    chart->addAxis(epochAxis_, Qt::AlignBottom);
    chart->addAxis(sigmaAxis_, Qt::AlignLeft);

    // The band edges belong to the bands; the view keeps them (QAreaSeries does not own them).
    for (QLineSeries** edge : {&min_, &q25_, &q75_, &max_})
        *edge = new QLineSeries(this);
    const auto band = [&](QLineSeries* upper, QLineSeries* lower, const QString& name, int alpha) {
        auto* area = new QAreaSeries(upper, lower);
        area->setName(name);
        QColor fill = kTrainColor;
        fill.setAlpha(alpha);
        area->setBrush(fill);
        area->setPen(QPen(fill, 1.0));
        chart->addSeries(area);
        area->attachAxis(epochAxis_);
        area->attachAxis(sigmaAxis_);
        return area;
    };
    range_ = band(max_, min_, tr("Smallest to largest"), 60);
    quartiles_ = band(q75_, q25_, tr("Middle half (q25 to q75)"), 130);
    median_ = makeSeries(tr("Median"), kTrainColor.darker(140));
    attach(chart, median_, epochAxis_, sigmaAxis_);

    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(280, 200);
    clear(tr("No Data Parameters run yet"));
}

void InstanceSigmaChart::clear(const QString& title, int expectedEpochs)
{
    for (QLineSeries* series : {min_, q25_, median_, q75_, max_})
        series->clear();
    expectedEpochs_ = std::max(0, expectedEpochs);
    low_ = high_ = 1.0;
    chart()->setTitle(title);
    rescale();
}

int InstanceSigmaChart::epochCount() const
{
    return static_cast<int>(median_->count());
}

void InstanceSigmaChart::addEpoch(int epoch, const std::vector<double>& quantiles)
{
    if (quantiles.size() != 5)
        return;
    const bool first = median_->count() == 0;
    QLineSeries* series[] = {min_, q25_, median_, q75_, max_};
    for (std::size_t i = 0; i < 5; ++i)
        series[i]->append(epoch, quantiles[i]);
    low_ = first ? quantiles.front() : std::min(low_, quantiles.front());
    high_ = first ? quantiles.back() : std::max(high_, quantiles.back());
    rescale();
}

void InstanceSigmaChart::setEpochs(const std::vector<std::vector<double>>& quantiles, const QString& title)
{
    clear(title);
    QList<QPointF> points[5];
    bool first = true;
    for (std::size_t e = 0; e < quantiles.size(); ++e) {
        const std::vector<double>& q = quantiles[e];
        if (q.size() != 5)
            continue;
        for (std::size_t i = 0; i < 5; ++i)
            points[i].append(QPointF(static_cast<double>(e + 1), q[i]));
        low_ = first ? q.front() : std::min(low_, q.front());
        high_ = first ? q.back() : std::max(high_, q.back());
        first = false;
    }
    QLineSeries* series[] = {min_, q25_, median_, q75_, max_};
    for (std::size_t i = 0; i < 5; ++i)
        series[i]->replace(points[i]);
    rescale();
}

void InstanceSigmaChart::rescale()
{
    const int epochs = std::max(expectedEpochs_, epochCount());
    setIntegerRange(epochAxis_, 1, std::max(epochs, 2));
    setSigmaRange(sigmaAxis_, low_, high_);
    median_->setPointsVisible(epochs <= 40);
}

ClassSigmaChart::ClassSigmaChart(QWidget* parent) : QChartView(newChart(), parent)
{
    QChart* chart = this->chart();
    epochAxis_ = new QValueAxis;
    epochAxis_->setTitleText(tr("Epoch"));
    epochAxis_->setLabelFormat(QStringLiteral("%d"));
    sigmaAxis_ = newSigmaAxis();
    sigmaAxis_->setTitleText(tr("Class sigma"));
    chart->addAxis(epochAxis_, Qt::AlignBottom);
    chart->addAxis(sigmaAxis_, Qt::AlignLeft);
    // Ten class names fit beside the lines in a short chart, not in one row below them.
    chart->legend()->setAlignment(Qt::AlignRight);
    QFont legendFont = chart->legend()->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.9);
    chart->legend()->setFont(legendFont);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeCircle);
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(280, 160);
    clear(tr("No Data Parameters run yet"), {});
}

void ClassSigmaChart::clear(const QString& title, const QStringList& classes, int expectedEpochs)
{
    QChart* chart = this->chart();
    for (QLineSeries* line : lines_) {
        chart->removeSeries(line);
        delete line;
    }
    lines_.clear();
    for (int k = 0; k < classes.size(); ++k) {
        QLineSeries* line = makeSeries(classes[k], kClassColors[k % std::size(kClassColors)]);
        QPen pen = line->pen();
        pen.setWidthF(1.5);
        line->setPen(pen);
        attach(chart, line, epochAxis_, sigmaAxis_);
        lines_.push_back(line);
    }
    chart->legend()->setVisible(!classes.isEmpty() && classes.size() <= kMaxClassLegend);
    expectedEpochs_ = std::max(0, expectedEpochs);
    epochs_ = 0;
    low_ = high_ = 1.0;
    chart->setTitle(title);
    rescale();
}

void ClassSigmaChart::addEpoch(int epoch, const std::vector<float>& sigmas)
{
    if (sigmas.empty() || sigmas.size() != lines_.size())
        return;
    const bool first = epochs_ == 0;
    for (std::size_t k = 0; k < sigmas.size(); ++k) {
        lines_[k]->append(epoch, sigmas[k]);
        low_ = first && k == 0 ? sigmas[k] : std::min<double>(low_, sigmas[k]);
        high_ = first && k == 0 ? sigmas[k] : std::max<double>(high_, sigmas[k]);
    }
    epochs_ = std::max(epochs_, epoch);
    rescale();
}

void ClassSigmaChart::setTrajectories(const std::vector<float>& sigmas, int epochs, const QStringList& classes,
                                      const QString& title)
{
    clear(title, classes);
    const auto k = static_cast<std::size_t>(classes.size());
    if (epochs <= 0 || sigmas.size() != k * static_cast<std::size_t>(epochs))
        return;
    const auto e = static_cast<std::size_t>(epochs);
    const auto [lowest, highest] = std::minmax_element(sigmas.begin(), sigmas.end());
    low_ = *lowest;
    high_ = *highest;
    for (std::size_t c = 0; c < k; ++c) {
        QList<QPointF> points;
        points.reserve(epochs);
        for (std::size_t j = 0; j < e; ++j)
            points.append(QPointF(static_cast<double>(j + 1), sigmas[c * e + j]));
        lines_[c]->replace(points);
    }
    epochs_ = epochs;
    rescale();
}

void ClassSigmaChart::rescale()
{
    const int epochs = std::max(expectedEpochs_, epochs_);
    setIntegerRange(epochAxis_, 1, std::max(epochs, 2));
    setSigmaRange(sigmaAxis_, low_, high_);
    for (QLineSeries* line : lines_)
        line->setPointsVisible(epochs <= 40 && lines_.size() <= kMaxClassLegend);
}

}  // namespace crowdsift
