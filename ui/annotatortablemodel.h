#pragma once

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace crowdsift {

class ProjectDocument;

// One row per annotator of the document's dataset: external id, labels given and distinct
// classes used (DatasetSummary::annotatorTable). Rows are in the dataset's annotator order;
// SortRole on the id column gives the natural id order (numeric when every id is a number);
// FractionRole on the labels column is the annotator's labels relative to the busiest annotator.
class AnnotatorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, LabelsColumn, ClassesUsedColumn, ColumnCount };

    explicit AnnotatorTableModel(ProjectDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void reload();

    ProjectDocument* document_;
    std::vector<int> idRank_;  // M: position of each annotator in natural id order
    std::int64_t maxLabels_ = 0;
};

}  // namespace crowdsift
