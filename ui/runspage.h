#pragma once

#include <nlohmann/json.hpp>

#include <QWidget>

#include <cstdint>
#include <map>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTreeWidget;

namespace crowdsift {

class JobManager;
class ProjectDocument;
class RunJob;
enum class JobStatus;

// The items whose labels differ between two runs of the same N items, in index order.
// Throws std::invalid_argument when the sizes differ.
std::vector<int> differingItems(const std::vector<int>& a, const std::vector<int>& b);

// The "Runs" tab. Top: a strategy, its iteration limit and tolerance, and Run, which starts the
// aggregation as a RunJob (progress, ETA, cancel; the run is recorded when it starts and its
// outputs written by the job's thread). A finished run becomes the active run only when the
// project has none; otherwise the document announces it. Centre: the document's run list
// (id, strategy, created, status with the reason of a failure, iterations, accuracy against the
// ground truth where the dataset has one, seconds), the active one marked, with "Make Active"
// and "Compare" (two selected runs: how many labels differ, and which).
class RunsPage : public QWidget {
    Q_OBJECT
public:
    // The columns of ProjectDocument::runList() (RunListModel).
    enum Column { IdColumn, StrategyColumn, CreatedColumn, StatusColumn, IterationsColumn, AccuracyColumn,
                  SecondsColumn, ColumnCount };

    RunsPage(ProjectDocument* document, JobManager* jobs, QWidget* parent = nullptr);

    QTableView* runTable() const { return table_; }
    QComboBox* strategyBox() const { return strategy_; }
    QSpinBox* maxIterationsBox() const { return maxIterations_; }
    QLineEdit* toleranceEdit() const { return tolerance_; }
    QPushButton* runButton() const { return runButton_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    QPushButton* makeActiveButton() const { return makeActiveButton_; }
    QPushButton* compareButton() const { return compareButton_; }
    QLabel* comparisonLabel() const { return comparisonText_; }
    QTreeWidget* differenceList() const { return differences_; }

    // Starts strategy `name` (a registry name) with `params` (AggregationParams keys) on the
    // open dataset; returns the job id, 0 when nothing is open or a run is going.
    int startRun(const QString& name, const nlohmann::json& params = nlohmann::json::object());
    // startRun() with the strategy and the parameter fields of the page.
    int startRunFromFields();
    void cancelRun();
    // The JobManager id of the job started from this page, 0 when none runs.
    int currentJob() const;
    // The job started from this page, null when none runs.
    RunJob* currentRunJob() const { return job_; }
    // The run ids of the selected table rows, in table order.
    std::vector<std::int64_t> selectedRuns() const;
    void selectRuns(const std::vector<std::int64_t>& runs);
    // Makes the first selected run active.
    void makeSelectedActive();
    // Compares the two selected runs and lists the differing items; returns their count, -1 when
    // not exactly two finished aggregation runs are selected or one cannot be read.
    int compareSelected();
    // The stored labels of an aggregation run (N entries, -1 = none); empty when unreadable.
    std::vector<int> runLabels(std::int64_t run);

private:
    void onDocumentLoaded();
    void onStrategyChanged();
    void onJobFinished(JobStatus status);
    void updateButtons();

    ProjectDocument* document_;
    JobManager* jobs_;
    QComboBox* strategy_ = nullptr;
    QSpinBox* maxIterations_ = nullptr;
    QLineEdit* tolerance_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* jobText_ = nullptr;
    QTableView* table_ = nullptr;
    QPushButton* makeActiveButton_ = nullptr;
    QPushButton* compareButton_ = nullptr;
    QLabel* comparisonText_ = nullptr;
    QTreeWidget* differences_ = nullptr;

    RunJob* job_ = nullptr;
    std::vector<std::int64_t> keptSelection_;
    std::map<std::int64_t, std::vector<int>> labelCache_;  // by run id, cleared on load
};

}  // namespace crowdsift
