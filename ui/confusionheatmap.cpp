#include "confusionheatmap.h"

#include <QEvent>
#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <array>
#include <cmath>

namespace crowdsift {

namespace {

constexpr int kPadding = 6;
constexpr int kMaxLabelWidth = 150;
constexpr int kMinCell = 14;
constexpr int kMaxCell = 56;

// ColorBrewer "Blues": light for empty cells, dark for the largest, readable in print as well.
constexpr std::array<QRgb, 9> kRamp = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                       0x4292c6, 0x2171b5, 0x08519c, 0x08306b};

QColor rampColor(double t)
{
    t = std::clamp(t, 0.0, 1.0) * static_cast<double>(kRamp.size() - 1);
    const auto low = static_cast<std::size_t>(std::floor(t));
    const std::size_t high = std::min(low + 1, kRamp.size() - 1);
    const double f = t - static_cast<double>(low);
    const QColor a(kRamp[low]);
    const QColor b(kRamp[high]);
    return QColor::fromRgbF(static_cast<float>(a.redF() + f * (b.redF() - a.redF())),
                            static_cast<float>(a.greenF() + f * (b.greenF() - a.greenF())),
                            static_cast<float>(a.blueF() + f * (b.blueF() - a.blueF())));
}

}  // namespace

ConfusionHeatmap::ConfusionHeatmap(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    rowTitle_ = tr("True class");
    columnTitle_ = tr("Given class");
}

void ConfusionHeatmap::setMatrix(const QStringList& classNames, const QVector<double>& values, Format format)
{
    const auto k = static_cast<int>(classNames.size());
    classNames_ = classNames;
    values_ = values;
    values_.resize(k * k);
    format_ = format;
    maxValue_ = 0.0;
    for (double v : values_) {
        if (std::isfinite(v))
            maxValue_ = std::max(maxValue_, v);
    }
    message_.clear();
    hovered_ = QPoint(-1, -1);
    updateGeometry();
    update();
}

void ConfusionHeatmap::clear(const QString& message)
{
    classNames_.clear();
    values_.clear();
    maxValue_ = 0.0;
    message_ = message;
    hovered_ = QPoint(-1, -1);
    updateGeometry();
    update();
}

void ConfusionHeatmap::setAxisTitles(const QString& rows, const QString& columns)
{
    rowTitle_ = rows;
    columnTitle_ = columns;
    update();
}

double ConfusionHeatmap::value(int row, int column) const
{
    const int k = classCount();
    if (row < 0 || column < 0 || row >= k || column >= k)
        return 0.0;
    return values_[row * k + column];
}

double ConfusionHeatmap::total() const
{
    double sum = 0.0;
    for (double v : values_) {
        if (std::isfinite(v))
            sum += v;
    }
    return sum;
}

int ConfusionHeatmap::labelWidth() const
{
    // Measured bold: the hovered row's and column's names are drawn bold.
    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics metrics(bold);
    int width = 0;
    for (const QString& name : classNames_)
        width = std::max(width, metrics.horizontalAdvance(name));
    return std::min(width, kMaxLabelWidth) + 2 * kPadding;
}

ConfusionHeatmap::Geometry ConfusionHeatmap::geometry() const
{
    Geometry g;
    const int k = classCount();
    if (k == 0)
        return g;
    const int titleSpace = fontMetrics().height() + kPadding;
    const int labels = labelWidth();
    const int left = titleSpace + labels;
    const int top = titleSpace + labels;
    const int available = std::min(width() - left - kPadding, height() - top - kPadding);
    g.cell = std::clamp(available / k, kMinCell, kMaxCell);
    g.grid = QRect(left, top, g.cell * k, g.cell * k);
    return g;
}

QRect ConfusionHeatmap::cellRect(int row, int column) const
{
    const int k = classCount();
    if (row < 0 || column < 0 || row >= k || column >= k)
        return {};
    const Geometry g = geometry();
    return QRect(g.grid.left() + column * g.cell, g.grid.top() + row * g.cell, g.cell, g.cell);
}

QPoint ConfusionHeatmap::cellAt(const QPoint& pos) const
{
    const Geometry g = geometry();
    if (g.cell == 0 || !g.grid.contains(pos))
        return {-1, -1};
    return {(pos.x() - g.grid.left()) / g.cell, (pos.y() - g.grid.top()) / g.cell};
}

QSize ConfusionHeatmap::sizeHint() const
{
    const int k = std::max(classCount(), 4);
    const int side = fontMetrics().height() + labelWidth() + k * 40 + 2 * kPadding;
    return {side, side};
}

QSize ConfusionHeatmap::minimumSizeHint() const
{
    const int k = std::max(classCount(), 4);
    const int side = fontMetrics().height() + labelWidth() + k * kMinCell + 2 * kPadding;
    return {side, side};
}

QColor ConfusionHeatmap::cellColor(double value) const
{
    if (!std::isfinite(value))
        return palette().color(QPalette::Window);
    if (format_ == Format::Fraction)
        return rampColor(value);
    return rampColor(maxValue_ > 0.0 ? value / maxValue_ : 0.0);
}

QString ConfusionHeatmap::cellText(double value) const
{
    if (!std::isfinite(value) || value == 0.0)
        return {};
    if (format_ == Format::Fraction)
        return QString::number(std::lround(100.0 * value));
    return QLocale().toString(static_cast<qlonglong>(std::llround(value)));
}

QString ConfusionHeatmap::toolTipFor(int row, int column) const
{
    const double v = value(row, column);
    QString text = QStringLiteral("%1: <b>%2</b><br>%3: <b>%4</b><br>")
                       .arg(rowTitle_.toHtmlEscaped(), classNames_[row].toHtmlEscaped(), columnTitle_.toHtmlEscaped(),
                            classNames_[column].toHtmlEscaped());
    if (!std::isfinite(v))
        return text + tr("no data");
    if (format_ == Format::Fraction)
        return text + tr("%1 %").arg(QLocale().toString(100.0 * v, 'f', 1));
    double rowSum = 0.0;
    for (int c = 0; c < classCount(); ++c)
        rowSum += value(row, c);
    const qlonglong count = std::llround(v);
    text += count == 1 ? tr("1 answer") : tr("%1 answers").arg(QLocale().toString(count));
    if (rowSum > 0.0)
        text += tr(", %1 % of the row").arg(QLocale().toString(100.0 * v / rowSum, 'f', 1));
    return text;
}

bool ConfusionHeatmap::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint cell = cellAt(help->pos());
        if (cell.x() >= 0)
            QToolTip::showText(help->globalPos(), toolTipFor(cell.y(), cell.x()), this, cellRect(cell.y(), cell.x()));
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void ConfusionHeatmap::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    const QPalette& pal = palette();
    const int k = classCount();
    if (k == 0) {
        painter.setPen(pal.color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(kPadding, kPadding, -kPadding, -kPadding), Qt::AlignCenter | Qt::TextWordWrap,
                         message_);
        return;
    }

    const Geometry g = geometry();
    const QFontMetrics metrics = fontMetrics();
    const int labels = labelWidth();
    const int titleSpace = metrics.height() + kPadding;

    for (int row = 0; row < k; ++row) {
        for (int column = 0; column < k; ++column) {
            const QRect cell = cellRect(row, column);
            const double v = value(row, column);
            const QColor fill = cellColor(v);
            painter.fillRect(cell, fill);
            const QString text = cellText(v);
            if (!text.isEmpty() && metrics.horizontalAdvance(text) + 4 <= cell.width() && metrics.height() <= cell.height()) {
                painter.setPen(fill.lightnessF() < 0.55 ? Qt::white : QColor(0x1b, 0x1f, 0x24));
                painter.drawText(cell, Qt::AlignCenter, text);
            }
        }
    }

    // Hairlines between cells keep equal colors apart; the diagonal (agreement) is outlined.
    QColor line = pal.color(QPalette::Window);
    painter.setPen(QPen(line, 1));
    for (int i = 0; i <= k; ++i) {
        painter.drawLine(g.grid.left(), g.grid.top() + i * g.cell, g.grid.right() + 1, g.grid.top() + i * g.cell);
        painter.drawLine(g.grid.left() + i * g.cell, g.grid.top(), g.grid.left() + i * g.cell, g.grid.bottom() + 1);
    }
    QColor diagonal = pal.color(QPalette::Text);
    diagonal.setAlphaF(0.35f);
    painter.setPen(QPen(diagonal, 1));
    for (int i = 0; i < k; ++i)
        painter.drawRect(cellRect(i, i).adjusted(1, 1, -2, -2));
    if (hovered_.x() >= 0) {
        painter.setPen(QPen(pal.color(QPalette::Highlight), 2));
        painter.drawRect(cellRect(hovered_.y(), hovered_.x()).adjusted(1, 1, -1, -1));
    }

    painter.setPen(pal.color(QPalette::WindowText));
    for (int i = 0; i < k; ++i) {
        const QString name = metrics.elidedText(classNames_[i], Qt::ElideRight, labels - kPadding);
        const QRect rowLabel(titleSpace, g.grid.top() + i * g.cell, labels - kPadding, g.cell);
        QFont font = painter.font();
        font.setBold(i == hovered_.y());
        painter.setFont(font);
        painter.drawText(rowLabel, Qt::AlignRight | Qt::AlignVCenter, name);

        // Column names read bottom to top, ending just above their column.
        font.setBold(i == hovered_.x());
        painter.setFont(font);
        const QString columnName = metrics.elidedText(classNames_[i], Qt::ElideRight, labels - kPadding);
        painter.save();
        painter.translate(g.grid.left() + i * g.cell, g.grid.top() - kPadding);
        painter.rotate(-90);
        painter.drawText(QRect(0, 0, labels - kPadding, g.cell), Qt::AlignLeft | Qt::AlignVCenter, columnName);
        painter.restore();
    }

    QFont titleFont = font();
    titleFont.setBold(true);
    painter.setFont(titleFont);
    painter.setPen(pal.color(QPalette::WindowText));
    painter.drawText(QRect(g.grid.left(), 0, g.grid.width(), metrics.height()), Qt::AlignCenter, columnTitle_);
    painter.save();
    painter.translate(0, g.grid.bottom());
    painter.rotate(-90);
    painter.drawText(QRect(0, 0, g.grid.height(), metrics.height()), Qt::AlignCenter, rowTitle_);
    painter.restore();
}

void ConfusionHeatmap::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint cell = cellAt(event->position().toPoint());
    if (cell != hovered_) {
        hovered_ = cell;
        setCursor(cell.x() >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void ConfusionHeatmap::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        const QPoint cell = cellAt(event->position().toPoint());
        if (cell.x() >= 0) {
            Q_EMIT cellClicked(cell.y(), cell.x());
            return;
        }
    }
    QWidget::mouseReleaseEvent(event);
}

void ConfusionHeatmap::leaveEvent(QEvent* event)
{
    if (hovered_.x() >= 0) {
        hovered_ = QPoint(-1, -1);
        unsetCursor();
        update();
    }
    QWidget::leaveEvent(event);
}

}  // namespace crowdsift
