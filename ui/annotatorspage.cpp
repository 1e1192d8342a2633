#include "annotatorspage.h"

#include "annotatortablemodel.h"
#include "projectdocument.h"
#include "sharebardelegate.h"
#include "tableroles.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace crowdsift {

AnnotatorsPage::AnnotatorsPage(ProjectDocument* document, QWidget* parent) : QWidget(parent), document_(document)
{
    model_ = new AnnotatorTableModel(document_, this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(SortRole);
    proxy_->setFilterKeyColumn(AnnotatorTableModel::IdColumn);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    count_ = new QLabel(this);
    count_->setObjectName(QStringLiteral("annotatorCount"));

    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("annotatorFilter"));
    filter_->setPlaceholderText(tr("Filter by annotator id"));
    filter_->setClearButtonEnabled(true);
    filter_->setMinimumWidth(260);
    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text);
        updateCount();
    });

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("annotatorTable"));
    table_->setModel(proxy_);
    table_->setItemDelegateForColumn(AnnotatorTableModel::LabelsColumn, new ShareBarDelegate(table_));
    table_->setSortingEnabled(true);
    table_->sortByColumn(AnnotatorTableModel::IdColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setAlternatingRowColors(true);
    table_->setShowGrid(false);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    QHeaderView* header = table_->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(false);
    // The id takes what is left, like a file name; the numbers keep a steady width.
    header->setSectionResizeMode(AnnotatorTableModel::IdColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(AnnotatorTableModel::LabelsColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(AnnotatorTableModel::ClassesUsedColumn, QHeaderView::ResizeToContents);
    table_->setColumnWidth(AnnotatorTableModel::LabelsColumn, 300);

    auto* bar = new QHBoxLayout;
    bar->addWidget(count_);
    bar->addStretch(1);
    bar->addWidget(filter_);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(table_, 1);

    // Connected after the model's own reload, so the count reads the new rows.
    connect(document_, &ProjectDocument::loaded, this, &AnnotatorsPage::updateCount);
    updateCount();
}

void AnnotatorsPage::updateCount()
{
    const int total = model_->rowCount();
    const int shown = proxy_->rowCount();
    if (shown == total)
        count_->setText(total == 1 ? tr("1 annotator") : tr("%1 annotators").arg(QLocale().toString(total)));
    else
        count_->setText(tr("%1 of %2 annotators").arg(QLocale().toString(shown), QLocale().toString(total)));
}

}  // namespace crowdsift
