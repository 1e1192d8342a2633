#pragma once

#include <QWidget>

class QFormLayout;
class QLabel;
class QTableView;

namespace crowdsift {

class ClassTableModel;
class ProjectDocument;

// The "Overview" tab: the dataset summary that `crowdsift-cli info` prints, beside a sortable
// class table with vote counts and vote shares. Summary values are QLabels named
// "<field>Value" (itemsValue, annotatorsValue, answersValue, classesValue, ...).
class OverviewPage : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPage(ProjectDocument* document, QWidget* parent = nullptr);

    QTableView* classTable() const { return classTable_; }

private:
    QLabel* addRow(const QString& label, const QString& name);
    void reload();

    ProjectDocument* document_;
    QLabel* title_ = nullptr;
    QLabel* source_ = nullptr;
    QFormLayout* form_ = nullptr;
    QLabel* items_ = nullptr;
    QLabel* annotators_ = nullptr;
    QLabel* answers_ = nullptr;
    QLabel* classes_ = nullptr;
    QLabel* perItem_ = nullptr;
    QLabel* perAnnotator_ = nullptr;
    QLabel* images_ = nullptr;
    QLabel* truth_ = nullptr;
    QLabel* unanswered_ = nullptr;
    QLabel* features_ = nullptr;
    QLabel* voteCounts_ = nullptr;
    QLabel* format_ = nullptr;
    ClassTableModel* classModel_ = nullptr;
    QTableView* classTable_ = nullptr;
};

}  // namespace crowdsift
