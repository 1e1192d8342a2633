#pragma once

#include "analysis/triage.h"

#include <QColor>
#include <QSize>
#include <QStyledItemDelegate>

namespace crowdsift {

// Paints one ThumbnailGridModel tile: the thumbnail scaled into a square (a placeholder until it
// is decoded, a crossed box when it cannot be), a border in the band's triage colour, the
// item's current label below, and a check mark in the corner once the item has a decision
// (blue when relabelled, grey when accepted).
class ThumbnailDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    // imageSize: side of the square the thumbnail is drawn in, pixels.
    explicit ThumbnailDelegate(int imageSize = 96, QObject* parent = nullptr);

    static QColor triageColor(Triage triage);

    int imageSize() const { return imageSize_; }
    // The whole tile: image, border, label line and margins; also the view's grid size.
    QSize tileSize() const;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int imageSize_;
};

}  // namespace crowdsift
