#pragma once

#include <QStyledItemDelegate>

namespace crowdsift {

// Draws FractionRole (in [0, 1]) as a horizontal bar with the display text right-aligned beside
// it, e.g. a class's share of all votes.
class ShareBarDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace crowdsift
