#pragma once

#include "aggregate/annotator_stats.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace crowdsift {

class ProjectDocument;

// One row per annotator of the document's dataset: external id, labels given and distinct
// classes used (DatasetSummary::annotatorTable) and, when the document has an active
// aggregation run, its quality figures (annotatorStats): estimated accuracy, non-spam score
// (Raykar & Yu's spammer score, 0 = spammer, 1 = perfect, on a red-to-green background),
// agreement with the consensus and, for a CROWDLAB run, CROWDLAB's annotator quality.
// Rows are in the dataset's annotator order; SortRole on the id column gives the natural id
// order (numeric when every id is a number), on the figures their value with undefined ones (NaN)
// below every number; FractionRole on the labels column is the annotator's labels relative to the
// busiest annotator, on the accuracy and agreement columns the value itself.
class AnnotatorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        LabelsColumn,
        ClassesUsedColumn,
        AccuracyColumn,
        NonSpamColumn,
        AgreementColumn,
        CrowdlabColumn,
        ColumnCount
    };

    explicit AnnotatorTableModel(ProjectDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Whether the quality columns have values (an aggregation run is active).
    bool hasStats() const { return !stats_.empty(); }
    // Whether the active run is a CROWDLAB run, whose annotator skill is CROWDLAB's quality.
    bool hasCrowdlabQuality() const { return hasCrowdlab_; }
    // M entries while hasStats(), else empty.
    const std::vector<AnnotatorStats>& stats() const { return stats_; }

Q_SIGNALS:
    // After the rows or the quality columns were refilled (load or new active run).
    void statsChanged();

private:
    void reload();
    void reloadStats();
    QVariant figure(int row, int column) const;

    ProjectDocument* document_;
    std::vector<AnnotatorStats> stats_;
    bool hasCrowdlab_ = false;
    std::vector<int> idRank_;  // M: position of each annotator in natural id order
    std::int64_t maxLabels_ = 0;
};

}  // namespace crowdsift
