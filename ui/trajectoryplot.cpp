#include "trajectoryplot.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace crowdsift {

namespace {

constexpr int kLeft = 30;
constexpr int kRight = 6;
constexpr int kTop = 6;
constexpr int kBottom = 16;

QString sigmaText(double sigma)
{
    return sigma >= 10.0 ? QString::number(sigma, 'f', 0) : sigma >= 1.0 ? QString::number(sigma, 'f', 1)
                                                                         : QString::number(sigma, 'g', 2);
}

}  // namespace

TrajectoryPlot::TrajectoryPlot(QWidget* parent) : QWidget(parent)
{
    setToolTip(tr("The item's instance sigma per epoch (solid, in its band's colour) against the median "
                  "(dashed) and the 25-75 % band of the items trained on the same class, log scale. The "
                  "shaded epochs are those the triage rule reads."));
}

void TrajectoryPlot::setTrajectory(std::vector<float> item, std::vector<float> q25, std::vector<float> median,
                                   std::vector<float> q75, int windowEpochs, const QColor& color)
{
    item_ = std::move(item);
    q25_ = std::move(q25);
    median_ = std::move(median);
    q75_ = std::move(q75);
    window_ = windowEpochs;
    color_ = color;
    update();
}

void TrajectoryPlot::clear()
{
    item_.clear();
    q25_.clear();
    median_.clear();
    q75_.clear();
    window_ = 0;
    update();
}

QSize TrajectoryPlot::sizeHint() const
{
    return {288, 110};
}

QSize TrajectoryPlot::minimumSizeHint() const
{
    return {160, 70};
}

void TrajectoryPlot::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF plot(kLeft, kTop, std::max(10, width() - kLeft - kRight), std::max(10, height() - kTop - kBottom));
    painter.fillRect(plot, palette().base());
    const int epochs = static_cast<int>(item_.size());
    if (epochs == 0) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(plot, Qt::AlignCenter, tr("No trajectory"));
        return;
    }

    // The y range: every finite value drawn, in log space, padded a little.
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (const std::vector<float>* series : {&item_, &q25_, &median_, &q75_})
        for (float v : *series)
            if (std::isfinite(v) && v > 0.0f) {
                low = std::min(low, std::log(static_cast<double>(v)));
                high = std::max(high, std::log(static_cast<double>(v)));
            }
    if (!std::isfinite(low)) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(plot, Qt::AlignCenter, tr("Not trained on"));
        return;
    }
    if (high - low < 0.2) {
        const double centre = 0.5 * (low + high);
        low = centre - 0.1;
        high = centre + 0.1;
    }
    const double pad = 0.06 * (high - low);
    low -= pad;
    high += pad;
    const auto x = [&](int epoch) {
        return epochs == 1 ? plot.center().x() : plot.left() + plot.width() * epoch / (epochs - 1);
    };
    const auto y = [&](float v) { return plot.bottom() - plot.height() * (std::log(static_cast<double>(v)) - low) / (high - low); };
    const auto usable = [](const std::vector<float>& s, int e) {
        return e < static_cast<int>(s.size()) && std::isfinite(s[static_cast<std::size_t>(e)])
               && s[static_cast<std::size_t>(e)] > 0.0f;
    };

    // The epochs the rule reads.
    if (window_ > 0 && epochs > 1) {
        const double right = window_ >= epochs ? plot.right() : 0.5 * (x(window_ - 1) + x(window_));
        QColor shade = palette().color(QPalette::Highlight);
        shade.setAlpha(28);
        painter.fillRect(QRectF(plot.left(), plot.top(), right - plot.left(), plot.height()), shade);
    }

    // The class's interquartile band and median.
    QPainterPath band;
    bool open = false;
    for (int e = 0; e < epochs; ++e)
        if (usable(q25_, e) && usable(q75_, e)) {
            const QPointF p(x(e), y(q75_[static_cast<std::size_t>(e)]));
            if (!open)
                band.moveTo(p);
            else
                band.lineTo(p);
            open = true;
        }
    for (int e = epochs - 1; open && e >= 0; --e)
        if (usable(q25_, e) && usable(q75_, e))
            band.lineTo(x(e), y(q25_[static_cast<std::size_t>(e)]));
    if (open) {
        band.closeSubpath();
        painter.fillPath(band, QColor(128, 128, 128, 70));
    }
    const auto line = [&](const std::vector<float>& series) {
        QPainterPath path;
        bool started = false;
        for (int e = 0; e < epochs; ++e) {
            if (!usable(series, e)) {
                started = false;
                continue;
            }
            const QPointF p(x(e), y(series[static_cast<std::size_t>(e)]));
            if (started)
                path.lineTo(p);
            else
                path.moveTo(p);
            started = true;
        }
        return path;
    };
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(palette().color(QPalette::Text), 1.2, Qt::DashLine));
    painter.drawPath(line(median_));
    painter.setPen(QPen(color_, 2.0));
    painter.drawPath(line(item_));
    if (epochs == 1 && usable(item_, 0)) {
        painter.setBrush(color_);
        painter.drawEllipse(QPointF(x(0), y(item_[0])), 3.0, 3.0);
    }

    // Axes: the sigma at the top and bottom of the range, the first and last epoch.
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(plot);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.8);
    painter.setFont(small);
    painter.setPen(palette().color(QPalette::Text));
    const QRectF yLabels(0, plot.top() - 6, kLeft - 3, plot.height() + 12);
    painter.drawText(yLabels, Qt::AlignRight | Qt::AlignTop, sigmaText(std::exp(high)));
    painter.drawText(yLabels, Qt::AlignRight | Qt::AlignBottom, sigmaText(std::exp(low)));
    painter.drawText(QRectF(0, plot.top(), kLeft - 3, plot.height()), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("σ"));
    const QRectF xLabels(plot.left(), plot.bottom() + 1, plot.width(), kBottom - 1);
    painter.drawText(xLabels, Qt::AlignLeft | Qt::AlignTop, QStringLiteral("1"));
    painter.drawText(xLabels, Qt::AlignHCenter | Qt::AlignTop, tr("epoch"));
    painter.drawText(xLabels, Qt::AlignRight | Qt::AlignTop, QString::number(epochs));
}

}  // namespace crowdsift
