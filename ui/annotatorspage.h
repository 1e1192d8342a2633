#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace crowdsift {

class AnnotatorTableModel;
class ProjectDocument;

// The "Annotators" tab: a sortable, filterable table of annotators with the labels each gave
// and the classes each used.
class AnnotatorsPage : public QWidget {
    Q_OBJECT
public:
    explicit AnnotatorsPage(ProjectDocument* document, QWidget* parent = nullptr);

    QTableView* annotatorTable() const { return table_; }
    QLineEdit* filterEdit() const { return filter_; }

private:
    void updateCount();

    ProjectDocument* document_;
    AnnotatorTableModel* model_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QLabel* count_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QTableView* table_ = nullptr;
};

}  // namespace crowdsift
