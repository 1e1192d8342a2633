#pragma once

#include "analysis/triage.h"

#include <QAbstractListModel>
#include <QVector>

#include <vector>

namespace crowdsift {

class ProjectDocument;
class ThumbnailProvider;

// One band of the review grid: a list of items (row -> dataset item index) of one triage
// category, shown by ThumbnailDelegate. Reads labels and decisions from the document and
// pixmaps from the provider; refreshes only the rows a decision or a decoded thumbnail touched.
class ThumbnailGridModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        ItemRole = Qt::UserRole + 1,  // int: dataset item index
        TriageRole,                   // int: Triage of the band
        DecidedRole,                  // bool: the item has a review decision
        RelabelledRole,               // bool: the decision is a relabel
        FailedRole,                   // bool: the image could not be decoded, or there is none
    };

    ThumbnailGridModel(ProjectDocument* document, ThumbnailProvider* provider, Triage category,
                       QObject* parent = nullptr);

    Triage category() const { return category_; }
    // Replaces the rows; `items` are dataset item indices in display order.
    void setItems(std::vector<int> items);
    const std::vector<int>& items() const { return items_; }
    int itemAt(int row) const { return items_[static_cast<std::size_t>(row)]; }
    // The row showing `item`, -1 when it is not in this band.
    int rowOf(int item) const
    {
        return item >= 0 && item < static_cast<int>(rows_.size()) ? rows_[static_cast<std::size_t>(item)] : -1;
    }

    int rowCount(const QModelIndex& parent = {}) const override;
    // DisplayRole: the item's current label name (decision, else consensus); DecorationRole:
    // its thumbnail pixmap, null until decoded; ToolTipRole: key, consensus and decision.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    void onDecisionsChanged(const QVector<int>& items);
    void onThumbnailReady(int item);
    QString labelName(int label) const;

    ProjectDocument* document_;
    ThumbnailProvider* provider_;
    Triage category_;
    std::vector<int> items_;
    // item -> row, -1 = not shown; indexed by item (up to the largest one shown), so that a
    // 200k-row reset costs a fill rather than 200k hash insertions.
    std::vector<int> rows_;
};

}  // namespace crowdsift
