#pragma once

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace crowdsift {

class ProjectDocument;

// One row per class of the document's dataset: index, name, votes, vote share and, when the
// dataset has ground truth, the number of items whose truth is that class. The numbers are the
// DatasetSummary's, the same that `crowdsift-cli info` prints. The share column displays the
// percentage of all votes; its FractionRole is relative to the most voted class, so that the
// bars of many small classes stay readable.
class ClassTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IndexColumn, NameColumn, VotesColumn, ShareColumn, TruthColumn };

    explicit ClassTableModel(ProjectDocument* document, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    // TruthColumn only exists when the dataset has ground truth.
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void reload();

    ProjectDocument* document_;
    std::int64_t totalVotes_ = 0;
    std::int64_t maxVotes_ = 0;
    bool hasTruth_ = false;
};

}  // namespace crowdsift
