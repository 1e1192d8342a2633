#include "annotatortablemodel.h"

#include "projectdocument.h"
#include "tableroles.h"

#include <QColor>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace crowdsift {

namespace {

// a < b with runs of digits compared as numbers ("w2" < "w10") and the rest byte by byte.
bool naturalLess(const std::string& a, const std::string& b)
{
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            std::size_t endA = i;
            std::size_t endB = j;
            while (endA < a.size() && digit(a[endA]))
                ++endA;
            while (endB < b.size() && digit(b[endB]))
                ++endB;
            std::size_t startA = i;
            std::size_t startB = j;
            while (startA + 1 < endA && a[startA] == '0')
                ++startA;
            while (startB + 1 < endB && b[startB] == '0')
                ++startB;
            if (endA - startA != endB - startB)
                return endA - startA < endB - startB;
            const int c = a.compare(startA, endA - startA, b, startB, endB - startB);
            if (c != 0)
                return c < 0;
            i = endA;
            j = endB;
            continue;
        }
        if (a[i] != b[j])
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

QString percent(double fraction)
{
    return QStringLiteral("%1 %").arg(QLocale().toString(100.0 * fraction, 'f', 1));
}

}  // namespace

AnnotatorTableModel::AnnotatorTableModel(ProjectDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document)
{
    connect(document_, &ProjectDocument::loaded, this, &AnnotatorTableModel::reload);
    connect(document_, &ProjectDocument::aggregationChanged, this, [this] {
        reloadStats();
        if (rowCount() > 0)
            Q_EMIT dataChanged(index(0, AccuracyColumn), index(rowCount() - 1, CrowdlabColumn));
        Q_EMIT statsChanged();
    });
    reload();
}

void AnnotatorTableModel::reloadStats()
{
    stats_.clear();
    hasCrowdlab_ = false;
    const AggregationResult* result = document_->aggregation();
    if (!result)
        return;
    stats_ = annotatorStats(document_->dataset(), *result);
    hasCrowdlab_ = result->strategy == "crowdlab";
}

QVariant AnnotatorTableModel::figure(int row, int column) const
{
    if (stats_.empty())
        return {};
    const AnnotatorStats& s = stats_[static_cast<std::size_t>(row)];
    switch (column) {
    case AccuracyColumn: return s.estimatedAccuracy;
    case NonSpamColumn: return s.spammerScore;
    case AgreementColumn: return s.agreement;
    case CrowdlabColumn: return hasCrowdlab_ ? s.skill : std::numeric_limits<double>::quiet_NaN();
    }
    return {};
}

void AnnotatorTableModel::reload()
{
    beginResetModel();
    const auto& table = document_->summary().annotatorTable;
    std::vector<std::string> ids;
    ids.reserve(table.size());
    for (const auto& row : table)
        ids.push_back(row.id);
    // Digit runs compare as numbers in every id, so "2" sorts before "10" even beside an id that
    // is not a number ("mlp-machine"), where naturalIdOrder falls back to plain text order.
    std::vector<int> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return naturalLess(ids[static_cast<std::size_t>(a)], ids[static_cast<std::size_t>(b)]);
    });
    idRank_.assign(table.size(), 0);
    maxLabels_ = 0;
    for (const auto& row : table)
        maxLabels_ = std::max(maxLabels_, row.labels);
    for (std::size_t position = 0; position < order.size(); ++position)
        idRank_[static_cast<std::size_t>(order[position])] = static_cast<int>(position);
    reloadStats();
    endResetModel();
    Q_EMIT statsChanged();
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
        case IdColumn:
            return row.machine ? tr("%1 (machine)").arg(QString::fromStdString(row.id)) : QString::fromStdString(row.id);
        case LabelsColumn: return static_cast<qlonglong>(row.labels);
        case ClassesUsedColumn: return row.classesUsed;
        default: {
            const QVariant v = figure(index.row(), index.column());
            if (!v.isValid())
                return {};
            const double value = v.toDouble();
            if (std::isnan(value))
                return QStringLiteral("\u2013");
            if (index.column() == AccuracyColumn || index.column() == AgreementColumn)
                return percent(value);
            return QLocale().toString(value, 'f', 3);
        }
        }
        break;
    case SortRole:
        switch (index.column()) {
        case IdColumn: return idRank_[static_cast<std::size_t>(index.row())];
        case LabelsColumn: return static_cast<qlonglong>(row.labels);
        case ClassesUsedColumn: return row.classesUsed;
        default: {
            const QVariant v = figure(index.row(), index.column());
            // Every figure lies in [0, 1]: undefined ones sort below all of them.
            return v.isValid() && !std::isnan(v.toDouble()) ? v.toDouble() : -1.0;
        }
        }
        break;
    case FractionRole:
        if (index.column() == LabelsColumn && maxLabels_ > 0)
            return static_cast<double>(row.labels) / static_cast<double>(maxLabels_);
        if (index.column() == AccuracyColumn || index.column() == AgreementColumn) {
            const QVariant v = figure(index.row(), index.column());
            if (v.isValid() && !std::isnan(v.toDouble()))
                return v.toDouble();
        }
        break;
    case Qt::BackgroundRole:
    case Qt::ForegroundRole:
        // Green is good: a manager reads the column at a glance, whatever its name says.
        if (index.column() == NonSpamColumn) {
            const QVariant v = figure(index.row(), index.column());
            if (!v.isValid() || std::isnan(v.toDouble()))
                break;
            if (role == Qt::ForegroundRole)
                return QColor(Qt::black);
            return QColor::fromHsvF(std::clamp(v.toDouble(), 0.0, 1.0) / 3.0, 0.45, 1.0);
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == IdColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == IdColumn && row.machine)
            return tr("A machine annotator: a model's answers (crowdsift-cli annotate), weighed like anyone's");
        if (index.column() == IdColumn && row.complementary > 0)
            return tr("%1 of its answers are complementary (\u201cnot this class\u201d)").arg(QLocale().toString(row.complementary));
        if (index.column() == LabelsColumn && summary.answers > 0)
            return tr("%1 % of all answers")
                .arg(QLocale().toString(100.0 * static_cast<double>(row.labels) / static_cast<double>(summary.answers), 'f', 2));
        if (index.column() == ClassesUsedColumn)
            return tr("%1 of %2 classes").arg(row.classesUsed).arg(summary.classes);
        if (index.column() >= AccuracyColumn)
            return headerData(index.column(), Qt::Horizontal, Qt::ToolTipRole);
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
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case AccuracyColumn:
            return tr("Probability of a right answer under the active run's model of this annotator");
        case NonSpamColumn:
            return tr("Raykar & Yu's spammer score, higher is better: 0 = a spammer (answers independent of the "
                      "true class), 1 = a perfect annotator. Green = reliable, red = spammer.");
        case AgreementColumn: return tr("Share of this annotator's labels equal to the consensus");
        case CrowdlabColumn: return tr("CROWDLAB's annotator quality (needs a CROWDLAB run)");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return tr("Annotator");
    case LabelsColumn: return tr("Labels");
    case ClassesUsedColumn: return tr("Classes used");
    case AccuracyColumn: return tr("Est. accuracy");
    case NonSpamColumn: return tr("Non-spam score");
    case AgreementColumn: return tr("Agreement");
    case CrowdlabColumn: return tr("CROWDLAB quality");
    }
    return {};
}

}  // namespace crowdsift
