#include "thumbnaildelegate.h"

#include "thumbnailgridmodel.h"

#include <QApplication>
#include <QFontMetrics>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace crowdsift {

namespace {

constexpr int kBorder = 3;
constexpr int kMargin = 4;

}  // namespace

ThumbnailDelegate::ThumbnailDelegate(int imageSize, QObject* parent)
    : QStyledItemDelegate(parent), imageSize_(imageSize)
{
}

QColor ThumbnailDelegate::triageColor(Triage triage)
{
    switch (triage) {
    case Triage::Easy:
        return QColor(0x2e, 0xa0, 0x43);
    case Triage::NeedReview:
        return QColor(0xf0, 0x8c, 0x00);
    case Triage::Hard:
        return QColor(0xd0, 0x2f, 0x2f);
    }
    return Qt::gray;
}

QSize ThumbnailDelegate::tileSize() const
{
    const int textHeight = QFontMetrics(QApplication::font()).height();
    return QSize(imageSize_ + 2 * (kBorder + kMargin), imageSize_ + 2 * (kBorder + kMargin) + textHeight + 2);
}

QSize ThumbnailDelegate::sizeHint(const QStyleOptionViewItem&, const QModelIndex&) const
{
    return tileSize();
}

void ThumbnailDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    const QPalette& palette = option.palette;
    const bool selected = option.state & QStyle::State_Selected;
    const QRect tile = option.rect.adjusted(1, 1, -1, -1);
    if (selected)
        painter->fillRect(tile, palette.color(QPalette::Highlight));

    const int side = imageSize_ + 2 * kBorder;
    const QRect frame(tile.left() + (tile.width() - side) / 2, tile.top() + kMargin - 1, side, side);
    const Triage triage = static_cast<Triage>(index.data(ThumbnailGridModel::TriageRole).toInt());
    painter->fillRect(frame, triageColor(triage));
    const QRect image = frame.adjusted(kBorder, kBorder, -kBorder, -kBorder);

    const QPixmap pixmap = index.data(Qt::DecorationRole).value<QPixmap>();
    if (!pixmap.isNull()) {
        painter->fillRect(image, Qt::black);
        const QSize scaled = pixmap.size().scaled(image.size(), Qt::KeepAspectRatio);
        const QRect target(image.left() + (image.width() - scaled.width()) / 2,
                           image.top() + (image.height() - scaled.height()) / 2, scaled.width(), scaled.height());
        painter->setRenderHint(QPainter::SmoothPixmapTransform, true);
        painter->drawPixmap(target, pixmap);
    } else {
        painter->fillRect(image, palette.color(QPalette::AlternateBase));
        if (index.data(ThumbnailGridModel::FailedRole).toBool()) {
            painter->setPen(QPen(palette.color(QPalette::PlaceholderText), 1.5));
            const QRect cross = image.adjusted(image.width() / 3, image.height() / 3, -image.width() / 3,
                                               -image.height() / 3);
            painter->drawLine(cross.topLeft(), cross.bottomRight());
            painter->drawLine(cross.topRight(), cross.bottomLeft());
        }
    }

    if (index.data(ThumbnailGridModel::DecidedRole).toBool()) {
        const bool relabelled = index.data(ThumbnailGridModel::RelabelledRole).toBool();
        const int d = qMax(14, imageSize_ / 5);
        const QRectF badge(image.right() - d - 1, image.top() + 2, d, d);
        painter->setPen(QPen(Qt::white, 1.5));
        painter->setBrush(relabelled ? QColor(0x1f, 0x6f, 0xd0) : QColor(0x70, 0x70, 0x70));
        painter->drawEllipse(badge);
        QPainterPath check;
        check.moveTo(badge.left() + d * 0.25, badge.top() + d * 0.52);
        check.lineTo(badge.left() + d * 0.43, badge.top() + d * 0.70);
        check.lineTo(badge.left() + d * 0.76, badge.top() + d * 0.32);
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(Qt::white, 2.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter->drawPath(check);
    }

    const QRect textRect(tile.left() + 2, frame.bottom() + 2, tile.width() - 4, tile.bottom() - frame.bottom() - 2);
    QFont font = option.font;
    if (index.data(ThumbnailGridModel::RelabelledRole).toBool())
        font.setBold(true);
    painter->setFont(font);
    painter->setPen(palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
    const QString text = QFontMetrics(font).elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight,
                                                       textRect.width());
    painter->drawText(textRect, Qt::AlignHCenter | Qt::AlignTop, text);

    if (option.state & QStyle::State_HasFocus) {
        painter->setPen(QPen(palette.color(QPalette::Highlight), 2));
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(tile);
    }
    painter->restore();
}

}  // namespace crowdsift
