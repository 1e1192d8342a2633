#include "overviewpage.h"

#include "classtablemodel.h"
#include "projectdocument.h"
#include "sharebardelegate.h"
#include "tableroles.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace crowdsift {

namespace {

constexpr int kShareColumnWidth = 300;

QString number(qlonglong value)
{
    return QLocale().toString(value);
}

QString statsText(const CountStats& stats)
{
    return OverviewPage::tr("%1 – %2, median %3, mean %4")
        .arg(number(stats.min), number(stats.max), number(stats.median), QLocale().toString(stats.mean, 'f', 2));
}

}  // namespace

OverviewPage::OverviewPage(ProjectDocument* document, QWidget* parent) : QWidget(parent), document_(document)
{
    title_ = new QLabel(this);
    title_->setObjectName(QStringLiteral("datasetTitle"));
    QFont titleFont = title_->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title_->setFont(titleFont);
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    source_ = new QLabel(this);
    source_->setObjectName(QStringLiteral("datasetSource"));
    source_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    source_->setForegroundRole(QPalette::PlaceholderText);
    source_->setWordWrap(true);

    auto* summaryBox = new QGroupBox(tr("Summary"), this);
    form_ = new QFormLayout(summaryBox);
    form_->setLabelAlignment(Qt::AlignLeft);
    form_->setFormAlignment(Qt::AlignLeft | Qt::AlignTop);
    form_->setHorizontalSpacing(18);
    items_ = addRow(tr("Items"), QStringLiteral("itemsValue"));
    annotators_ = addRow(tr("Annotators"), QStringLiteral("annotatorsValue"));
    answers_ = addRow(tr("Answers"), QStringLiteral("answersValue"));
    classes_ = addRow(tr("Classes"), QStringLiteral("classesValue"));
    perItem_ = addRow(tr("Answers per item"), QStringLiteral("answersPerItemValue"));
    perAnnotator_ = addRow(tr("Answers per annotator"), QStringLiteral("answersPerAnnotatorValue"));
    unanswered_ = addRow(tr("Unanswered items"), QStringLiteral("unansweredValue"));
    images_ = addRow(tr("Images"), QStringLiteral("imagesValue"));
    truth_ = addRow(tr("Ground truth"), QStringLiteral("truthValue"));
    features_ = addRow(tr("Features"), QStringLiteral("featuresValue"));
    voteCounts_ = addRow(tr("Vote counts"), QStringLiteral("voteCountsValue"));
    format_ = addRow(tr("Format"), QStringLiteral("formatValue"));

    classModel_ = new ClassTableModel(document_, this);
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(classModel_);
    proxy->setSortRole(SortRole);

    classTable_ = new QTableView(this);
    classTable_->setObjectName(QStringLiteral("classTable"));
    classTable_->setModel(proxy);
    classTable_->setItemDelegateForColumn(ClassTableModel::ShareColumn, new ShareBarDelegate(classTable_));
    classTable_->setSortingEnabled(true);
    classTable_->sortByColumn(ClassTableModel::IndexColumn, Qt::AscendingOrder);
    classTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    classTable_->setAlternatingRowColors(true);
    classTable_->setShowGrid(false);
    classTable_->setWordWrap(false);
    classTable_->verticalHeader()->hide();
    classTable_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    classTable_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    classTable_->horizontalHeader()->setHighlightSections(false);
    classTable_->horizontalHeader()->setStretchLastSection(false);

    auto* classBox = new QGroupBox(tr("Classes"), this);
    auto* classLayout = new QVBoxLayout(classBox);
    classLayout->addWidget(classTable_);

    auto* columns = new QHBoxLayout;
    columns->addWidget(summaryBox, 0, Qt::AlignTop);
    columns->addWidget(classBox, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addWidget(source_);
    layout->addSpacing(6);
    layout->addLayout(columns, 1);

    connect(document_, &ProjectDocument::loaded, this, &OverviewPage::reload);
    reload();
}

QLabel* OverviewPage::addRow(const QString& label, const QString& name)
{
    auto* value = new QLabel(this);
    value->setObjectName(name);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form_->addRow(label, value);
    return value;
}

void OverviewPage::reload()
{
    const DatasetSummary& s = document_->summary();
    title_->setText(document_->displayName());
    const QString origin = QString::fromStdString(s.source);
    if (!document_->project())
        source_->setText(origin.isEmpty() ? document_->path() : origin);
    else if (origin.isEmpty())
        source_->setText(tr("Project %1").arg(document_->path()));
    else
        source_->setText(tr("Project %1, imported from %2").arg(document_->path(), origin));

    items_->setText(number(s.items));
    annotators_->setText(number(s.annotators));
    answers_->setText(number(s.answers));
    classes_->setText(number(s.classes));
    perItem_->setText(statsText(s.answersPerItem));
    perAnnotator_->setText(statsText(s.answersPerAnnotator));
    unanswered_->setText(number(s.itemsWithoutAnswers));
    form_->setRowVisible(unanswered_, s.itemsWithoutAnswers > 0);
    images_->setText(tr("%1 of %2 items").arg(number(s.itemsWithImages), number(s.items)));
    truth_->setText(s.truthPresent ? tr("%1 items (evaluation only)").arg(number(s.itemsWithTruth)) : tr("none"));
    features_->setText(tr("%1 per item").arg(number(s.featureDim)));
    form_->setRowVisible(features_, s.hasFeatures);
    voteCounts_->setText(tr("%1 votes without annotator ids").arg(number(static_cast<qlonglong>(s.voteCountTotal))));
    form_->setRowVisible(voteCounts_, s.hasVoteCounts);
    format_->setText(QString::fromStdString(s.format));
    form_->setRowVisible(format_, !s.format.empty());

    // Numbers keep their natural width; the class name takes what is left, like a file name.
    QHeaderView* header = classTable_->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ClassTableModel::NameColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(ClassTableModel::ShareColumn, QHeaderView::Interactive);
    classTable_->setColumnWidth(ClassTableModel::ShareColumn, kShareColumnWidth);
}

}  // namespace crowdsift
