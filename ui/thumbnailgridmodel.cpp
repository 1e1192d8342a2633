#include "thumbnailgridmodel.h"

#include "projectdocument.h"
#include "thumbnailprovider.h"

#include <QPixmap>

#include <algorithm>

namespace crowdsift {

ThumbnailGridModel::ThumbnailGridModel(ProjectDocument* document, ThumbnailProvider* provider, Triage category,
                                       QObject* parent)
    : QAbstractListModel(parent), document_(document), provider_(provider), category_(category)
{
    connect(document_, &ProjectDocument::decisionsChanged, this, &ThumbnailGridModel::onDecisionsChanged);
    connect(provider_, &ThumbnailProvider::thumbnailReady, this, &ThumbnailGridModel::onThumbnailReady);
}

void ThumbnailGridModel::setItems(std::vector<int> items)
{
    beginResetModel();
    items_ = std::move(items);
    const int largest = items_.empty() ? -1 : *std::max_element(items_.begin(), items_.end());
    rows_.assign(static_cast<std::size_t>(largest + 1), -1);
    for (std::size_t row = 0; row < items_.size(); ++row)
        rows_[static_cast<std::size_t>(items_[row])] = static_cast<int>(row);
    endResetModel();
}

int ThumbnailGridModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QString ThumbnailGridModel::labelName(int label) const
{
    const std::vector<std::string>& names = document_->dataset().classNames;
    if (label < 0 || label >= static_cast<int>(names.size()))
        return tr("no consensus");
    return QString::fromStdString(names[static_cast<std::size_t>(label)]);
}

QVariant ThumbnailGridModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const int item = itemAt(index.row());
    const ReviewState& review = document_->reviewState();
    const AggregationResult* run = document_->aggregation();
    const int consensus = run && item < run->itemCount() ? run->labels[static_cast<std::size_t>(item)] : -1;
    switch (role) {
    case Qt::DisplayRole:
        return labelName(review.labelOf(item, consensus));
    case Qt::DecorationRole:
        return provider_->pixmap(item);
    case Qt::ToolTipRole: {
        QString tip = tr("%1\nconsensus: %2").arg(QString::fromStdString(document_->dataset().itemKeys[item]),
                                                   labelName(consensus));
        if (review.kindOf(item) == ReviewKind::Relabel)
            tip += tr("\nrelabelled: %1").arg(labelName(review.decisionOf(item)));
        else if (review.kindOf(item) == ReviewKind::Accept)
            tip += tr("\naccepted: %1").arg(labelName(review.decidedLabelOf(item)));
        return tip;
    }
    case ItemRole:
        return item;
    case TriageRole:
        return static_cast<int>(category_);
    case DecidedRole:
        return review.isDecided(item);
    case RelabelledRole:
        return review.kindOf(item) == ReviewKind::Relabel;
    case FailedRole:
        return provider_->isFailed(item);
    default:
        return {};
    }
}

void ThumbnailGridModel::onDecisionsChanged(const QVector<int>& items)
{
    for (int item : items) {
        const int row = rowOf(item);
        if (row >= 0)
            Q_EMIT dataChanged(index(row), index(row));
    }
}

void ThumbnailGridModel::onThumbnailReady(int item)
{
    const int row = rowOf(item);
    if (row >= 0)
        Q_EMIT dataChanged(index(row), index(row), {Qt::DecorationRole, FailedRole});
}

}  // namespace crowdsift
