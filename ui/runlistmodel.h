#pragma once

#include "project/store.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <vector>

namespace crowdsift {

// The project's runs, newest first, as every page lists them: the Runs table shows all columns,
// the Learning tab's run boxes and the Review tab's run line read the same rows. Owned and
// refreshed by ProjectDocument (on load, when a job records or ends a run, when the active run
// changes); reading it never touches the disk.
class RunListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, StrategyColumn, CreatedColumn, StatusColumn, IterationsColumn, AccuracyColumn,
                  SecondsColumn, ColumnCount };
    enum Role { RunIdRole = Qt::UserRole + 20, KindRole, StatusRole, ActiveRole };

    explicit RunListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the rows (`runs` in id order, as Project::runs() returns them) and the active run.
    void setRuns(std::vector<RunInfo> runs, std::int64_t active);
    void setActiveRun(std::int64_t active);

    // Newest first.
    const std::vector<RunInfo>& runs() const { return runs_; }
    std::int64_t activeRun() const { return active_; }
    // The row of run `id`, -1 when not listed.
    int rowOf(std::int64_t id) const;
    // nullptr when not listed.
    const RunInfo* find(std::int64_t id) const;
    // "Dawid-Skene (ds)", "CROWDLAB loop", "training (mlp)": what a person calls the run.
    static QString title(const RunInfo& run);
    // An aggregation strategy's title from the registry ("Dawid-Skene"), else `name` itself.
    static QString strategyTitle(const std::string& name);
    // An automatic run's candidates with their held-out scores and the choice, one per line
    // (the Strategy column's tooltip); empty for any other run.
    static QString chooserTip(const RunInfo& run);
    // The run's accuracy against the ground truth from its stored summary; NaN when unknown.
    static double accuracy(const RunInfo& run);

private:
    std::vector<RunInfo> runs_;
    std::int64_t active_ = 0;
};

}  // namespace crowdsift
