#pragma once

#include <QWidget>

class QPlainTextEdit;
class QPushButton;
class QTimer;
class QTreeWidget;
class QTreeWidgetItem;

namespace crowdsift {

class JobManager;
enum class JobStatus;

// Lists the JobManager's jobs, newest first (title, status, progress, elapsed, ETA), with the
// selected job's log below and a button that cancels it. Running jobs refresh every second so
// that elapsed time and ETA move even between progress reports.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobManager* jobs, QWidget* parent = nullptr);

    enum Column { TitleColumn, StatusColumn, ProgressColumn, ElapsedColumn, EtaColumn, ColumnCount };

    QTreeWidget* jobList() const { return list_; }
    QPlainTextEdit* logView() const { return log_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    // The job shown in the log, 0 when none.
    int selectedJob() const;
    void selectJob(int id);

private:
    void onJobStarted(int id);
    void updateJob(int id);
    void refreshRunning();
    void showLog();
    QTreeWidgetItem* itemOf(int id) const;

    JobManager* jobs_;
    QTreeWidget* list_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QTimer* ticker_ = nullptr;
};

}  // namespace crowdsift
