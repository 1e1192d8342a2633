#include "sharebardelegate.h"

#include "tableroles.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>

#include <algorithm>

namespace crowdsift {

namespace {

constexpr int kMargin = 6;
constexpr int kMinimumBarWidth = 80;

int textWidth(const QFontMetrics& metrics)
{
    // Wide enough for the widest share ("100.0 %") so that bars of all rows line up.
    return metrics.horizontalAdvance(QStringLiteral("100.0 %")) + kMargin;
}

}  // namespace

void ShareBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const double fraction = std::clamp(index.data(FractionRole).toDouble(), 0.0, 1.0);
    const QRect cell = opt.rect.adjusted(kMargin, 0, -kMargin, 0);
    const int reserved = textWidth(opt.fontMetrics);
    const QRect textRect(cell.right() - reserved + 1, cell.top(), reserved, cell.height());
    const int barHeight = std::max(6, cell.height() / 3);
    const QRect track(cell.left(), cell.center().y() - barHeight / 2 + 1, std::max(0, cell.width() - reserved - kMargin),
                      barHeight);

    const bool selected = opt.state & QStyle::State_Selected;
    const QPalette& palette = opt.palette;
    QColor trackColor = selected ? palette.color(QPalette::HighlightedText) : palette.color(QPalette::Text);
    trackColor.setAlphaF(0.10f);
    const QColor barColor = selected ? palette.color(QPalette::HighlightedText) : palette.color(QPalette::Highlight);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(Qt::NoPen);
    painter->setBrush(trackColor);
    painter->drawRoundedRect(track, 2, 2);
    if (fraction > 0.0) {
        QRect bar = track;
        bar.setWidth(std::max(2, static_cast<int>(track.width() * fraction + 0.5)));
        painter->setBrush(barColor);
        painter->drawRoundedRect(bar, 2, 2);
    }
    painter->setPen(palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, text);
    painter->restore();
}

QSize ShareBarDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(std::max(size.width(), textWidth(option.fontMetrics) + kMinimumBarWidth + 3 * kMargin));
    return size;
}

}  // namespace crowdsift
