#include "annotatortablemodel.h"

#include "projectdocument.h"
#include "tableroles.h"

#include <QLocale>

#include <algorithm>

namespace crowdsift {

AnnotatorTableModel::AnnotatorTableModel(ProjectDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document)
{
    connect(document_, &ProjectDocument::loaded, this, &AnnotatorTableModel::reload);
    reload();
}

void AnnotatorTableModel::reload()
{
    beginResetModel();
    const auto& table = document_->summary().annotatorTable;
    std::vector<std::string> ids;
    ids.reserve(table.size());
    for (const auto& row : table)
        ids.push_back(row.id);
    const std::vector<int> order = naturalIdOrder(ids);
    idRank_.assign(table.size(), 0);
    maxLabels_ = 0;
    for (const auto& row : table)
        maxLabels_ = std::max(maxLabels_, row.labels);
    for (std::size_t position = 0; position < order.size(); ++position)
        idRank_[static_cast<std::size_t>(order[position])] = static_cast<int>(position);
    endResetModel();
}

int AnnotatorTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(idRank_.size());
}

int AnnotatorTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AnnotatorTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const DatasetSummary& summary = document_->summary();
    const AnnotatorSummary& row = summary.annotatorTable[static_cast<std::size_t>(index.row())];

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case IdColumn: return QString::fromStdString(row.id);
        case LabelsColumn: return static_cast<qlonglong>(row.labels);
        case ClassesUsedColumn: return row.classesUsed;
        }
        break;
    case SortRole:
        switch (index.column()) {
        case IdColumn: return idRank_[static_cast<std::size_t>(index.row())];
        case LabelsColumn: return static_cast<qlonglong>(row.labels);
        case ClassesUsedColumn: return row.classesUsed;
        }
        break;
    case FractionRole:
        if (index.column() == LabelsColumn && maxLabels_ > 0)
            return static_cast<double>(row.labels) / static_cast<double>(maxLabels_);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == IdColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == LabelsColumn && summary.answers > 0)
            return tr("%1 % of all answers")
                .arg(QLocale().toString(100.0 * static_cast<double>(row.labels) / static_cast<double>(summary.answers), 'f', 2));
        if (index.column() == ClassesUsedColumn)
            return tr("%1 of %2 classes").arg(row.classesUsed).arg(summary.classes);
        break;
    default:
        break;
    }
    return {};
}

QVariant AnnotatorTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue((section == IdColumn ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return tr("Annotator");
    case LabelsColumn: return tr("Labels");
    case ClassesUsedColumn: return tr("Classes used");
    }
    return {};
}

}  // namespace crowdsift
