#include "classtablemodel.h"

#include "projectdocument.h"
#include "tableroles.h"

#include <QLocale>

#include <algorithm>
#include <numeric>

namespace crowdsift {

ClassTableModel::ClassTableModel(ProjectDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document)
{
    connect(document_, &ProjectDocument::loaded, this, &ClassTableModel::reload);
    reload();
}

void ClassTableModel::reload()
{
    beginResetModel();
    const DatasetSummary& summary = document_->summary();
    totalVotes_ = std::accumulate(summary.votesPerClass.begin(), summary.votesPerClass.end(), std::int64_t{0});
    maxVotes_ = summary.votesPerClass.empty()
                    ? 0
                    : *std::max_element(summary.votesPerClass.begin(), summary.votesPerClass.end());
    hasTruth_ = !summary.truthPerClass.empty();
    endResetModel();
}

int ClassTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : document_->summary().classes;
}

int ClassTableModel::columnCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    return hasTruth_ ? TruthColumn + 1 : TruthColumn;
}

QVariant ClassTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const DatasetSummary& summary = document_->summary();
    const int k = index.row();
    const qlonglong votes = summary.votesPerClass[k];
    const double share = totalVotes_ > 0 ? static_cast<double>(votes) / static_cast<double>(totalVotes_) : 0.0;

    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case IndexColumn: return k;
        case NameColumn: return QString::fromStdString(summary.classNames[k]);
        case VotesColumn: return votes;
        case ShareColumn:
            if (role == SortRole)
                return share;
            return QLocale().toString(100.0 * share, 'f', 1) + QStringLiteral(" %");
        case TruthColumn: return static_cast<qlonglong>(summary.truthPerClass[k]);
        }
        break;
    case FractionRole:
        if (index.column() == ShareColumn && maxVotes_ > 0)
            return static_cast<double>(votes) / static_cast<double>(maxVotes_);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == NameColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == ShareColumn || index.column() == VotesColumn)
            return tr("%1 of %2 votes").arg(QLocale().toString(votes), QLocale().toString(static_cast<qlonglong>(totalVotes_)));
        if (index.column() == TruthColumn)
            return tr("Items whose ground truth is this class (evaluation only)");
        break;
    default:
        break;
    }
    return {};
}

QVariant ClassTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue((section == NameColumn ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && section == TruthColumn)
        return tr("Ground-truth items per class, used for evaluation only");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IndexColumn: return tr("#");
    case NameColumn: return tr("Class");
    case VotesColumn: return tr("Votes");
    case ShareColumn: return tr("Vote share");
    case TruthColumn: return tr("Truth");
    }
    return {};
}

}  // namespace crowdsift
