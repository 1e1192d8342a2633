#include "reviewpage.h"

#include "inspectorpanel.h"
#include "projectdocument.h"
#include "reviewcommands.h"
#include "runjob.h"
#include "runlistmodel.h"
#include "thumbnaildelegate.h"
#include "thumbnailgridmodel.h"
#include "thumbnailprovider.h"
#include "trajectorysource.h"

#include "util/error.h"
#include "util/progress.h"

#include <QCheckBox>
#include <QCryptographicHash>
#include <QFileInfo>
#include <QSettings>
#include <QComboBox>
#include <QCompleter>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QStringListModel>
#include <QTimer>
#include <QTreeWidget>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <exception>

namespace crowdsift {

namespace {

// The QSettings key of a project's chosen triage source: the hash of its absolute path (a path
// holds the '/' that QSettings reads as groups).
QString triageSourceKey(const QString& projectPath)
{
    const QByteArray path = QFileInfo(projectPath).absoluteFilePath().toUtf8();
    return QStringLiteral("review/triageSource/")
           + QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Sha1).toHex());
}

constexpr int kRequestDebounceMs = 30;

QString bandName(Triage triage)
{
    switch (triage) {
    case Triage::Easy:
        return QObject::tr("Easy");
    case Triage::NeedReview:
        return QObject::tr("Need review");
    case Triage::Hard:
        return QObject::tr("Hard");
    }
    return {};
}

QDoubleSpinBox* fractionBox(const QString& name)
{
    auto* box = new QDoubleSpinBox;
    box->setObjectName(name);
    box->setRange(0.0, 1.0);
    box->setSingleStep(0.05);
    box->setDecimals(2);
    box->setKeyboardTracking(false);
    return box;
}

QDoubleSpinBox* spreadBox(const QString& name)
{
    auto* box = new QDoubleSpinBox;
    box->setObjectName(name);
    box->setRange(-20.0, 50.0);
    box->setSingleStep(0.5);
    box->setDecimals(1);
    box->setKeyboardTracking(false);
    box->setSuffix(QObject::tr(" IQR"));
    return box;
}

// "est. 61% wrong"; one decimal below 10 %, so that a clean band does not read 0 %.
QString estimateText(double fraction)
{
    const double percent = fraction * 100.0;
    return QObject::tr("est. %1% wrong").arg(percent, 0, 'f', percent < 10.0 ? 1 : 0);
}

}  // namespace

ReviewPage::ReviewPage(ProjectDocument* document, QWidget* parent) : QWidget(parent), document_(document)
{
    delegate_ = new ThumbnailDelegate(96, this);
    // Thumbnails decoded at the size the delegate draws them: a repaint then copies pixels
    // instead of smooth-scaling every tile (a third of a cached page's time at 128 px), and the
    // decoded cache holds 1.8 times as many.
    provider_ = new ThumbnailProvider(this, 2, ThumbnailLoader::defaultCacheBytes, delegate_->imageSize());

    // The page without a run.
    emptyPage_ = new QWidget;
    emptyText_ = new QLabel(tr("This project has no aggregation run yet. Review sorts items by the consensus "
                               "of a run: run Dawid-Skene to get one."));
    emptyText_->setWordWrap(true);
    emptyText_->setAlignment(Qt::AlignCenter);
    runButton_ = new QPushButton(tr("Run Dawid-Skene"));
    runButton_->setObjectName(QStringLiteral("runDawidSkeneButton"));
    runProgress_ = new QProgressBar;
    runProgress_->setObjectName(QStringLiteral("runProgress"));
    runProgress_->setRange(0, 1000);
    runProgress_->setMaximumWidth(320);
    runProgress_->hide();
    runStage_ = new QLabel;
    runStage_->setAlignment(Qt::AlignCenter);
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->hide();
    connect(runButton_, &QPushButton::clicked, this, &ReviewPage::runDawidSkene);
    connect(cancelButton_, &QPushButton::clicked, this, &ReviewPage::cancelRun);
    auto* emptyLayout = new QVBoxLayout(emptyPage_);
    emptyLayout->addStretch(2);
    emptyLayout->addWidget(emptyText_);
    emptyLayout->addSpacing(12);
    emptyLayout->addWidget(runButton_, 0, Qt::AlignHCenter);
    emptyLayout->addWidget(runProgress_, 0, Qt::AlignHCenter);
    emptyLayout->addWidget(runStage_);
    emptyLayout->addWidget(cancelButton_, 0, Qt::AlignHCenter);
    emptyLayout->addStretch(3);

    // Left: the rule and the classes.
    scale_ = new QComboBox;
    scale_->setObjectName(QStringLiteral("triageScale"));
    scale_->addItem(tr("Posterior"), static_cast<int>(TriageScale::Posterior));
    scale_->addItem(tr("Rank in the run"), static_cast<int>(TriageScale::Rank));
    scale_->setToolTip(tr("What the posterior thresholds compare with: the consensus posterior itself, or its "
                          "rank among the run's items (0.1 = the lowest tenth). Chosen with the active run: rank "
                          "for CROWDLAB runs, whose consensus quality ranks items well but is not a calibrated "
                          "probability, posterior for the others."));
    easyPosteriorLabel_ = new QLabel;
    hardPosteriorLabel_ = new QLabel;
    easyPosterior_ = fractionBox(QStringLiteral("easyPosterior"));
    easyAgreement_ = fractionBox(QStringLiteral("easyAgreement"));
    hardPosterior_ = fractionBox(QStringLiteral("hardPosterior"));
    hardAgreement_ = fractionBox(QStringLiteral("hardAgreement"));
    easyMinAnswers_ = new QSpinBox;
    easyMinAnswers_->setObjectName(QStringLiteral("easyMinAnswers"));
    easyMinAnswers_->setRange(0, 1000);
    easyMinAnswers_->setKeyboardTracking(false);
    auto* ruleForm = new QFormLayout;
    ruleForm->addRow(tr("Scale:"), scale_);
    ruleForm->addRow(easyPosteriorLabel_, easyPosterior_);
    ruleForm->addRow(tr("Easy: agreement ≥"), easyAgreement_);
    ruleForm->addRow(tr("Easy: answers ≥"), easyMinAnswers_);
    ruleForm->addRow(hardPosteriorLabel_, hardPosterior_);
    ruleForm->addRow(tr("Hard: agreement <"), hardAgreement_);
    ruleText_ = new QLabel;
    ruleText_->setObjectName(QStringLiteral("ruleText"));
    ruleText_->setWordWrap(true);
    ruleText_->setForegroundRole(QPalette::PlaceholderText);
    classes_ = new QTreeWidget;
    classes_->setObjectName(QStringLiteral("classList"));
    classes_->setHeaderLabels({tr("Class"), tr("Easy"), tr("Review"), tr("Hard")});
    classes_->setRootIsDecorated(false);
    classes_->setUniformRowHeights(true);
    classes_->header()->setStretchLastSection(false);
    classes_->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int column = 1; column < 4; ++column)
        classes_->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    for (int column = 1; column < 4; ++column)
        classes_->headerItem()->setForeground(column, ThumbnailDelegate::triageColor(static_cast<Triage>(column - 1)));
    crowdRulePanel_ = new QWidget;
    auto* crowdLayout = new QVBoxLayout(crowdRulePanel_);
    crowdLayout->setContentsMargins(0, 0, 0, 0);
    crowdLayout->addLayout(ruleForm);
    crowdLayout->addWidget(ruleText_);
    crowdLayout->addStretch(1);

    // The trajectory rule (analysis/trajectory_triage.h).
    source_ = new QComboBox;
    source_->setObjectName(QStringLiteral("triageSource"));
    source_->setToolTip(tr("What sorts the items into easy, need review and hard: the crowd's consensus "
                           "(posterior and agreement of the active run), or the Data Parameter trajectories "
                           "of a data-parameters run (crowdsift-cli identify), compared within each class"));
    window_ = new QSpinBox;
    window_->setObjectName(QStringLiteral("trajectoryWindow"));
    window_->setRange(1, 100);
    window_->setSingleStep(5);
    window_->setSuffix(tr(" % of epochs"));
    window_->setKeyboardTracking(false);
    window_->setToolTip(tr("An item's level is its mean log sigma over this first share of the epochs: read "
                           "early, before the network memorises the noisy labels"));
    easySpread_ = spreadBox(QStringLiteral("easySpread"));
    hardSpread_ = spreadBox(QStringLiteral("hardSpread"));
    const QString spreadTip = tr("Spread: (the item's level - its class's median level) / the class's "
                                 "interquartile range; 3 = three IQRs above the class's typical item");
    easySpread_->setToolTip(spreadTip);
    hardSpread_->setToolTip(spreadTip);
    useCrowd_ = new QCheckBox(tr("Easy also needs the crowd"));
    useCrowd_->setObjectName(QStringLiteral("useCrowd"));
    useCrowd_->setToolTip(tr("An item is easy only when the crowd's consensus is sure of it too; items "
                             "without consensus are hard"));
    trajectoryEasyPosteriorLabel_ = new QLabel;
    trajectoryEasyPosterior_ = fractionBox(QStringLiteral("trajectoryEasyPosterior"));
    auto* trajectoryForm = new QFormLayout;
    trajectoryForm->addRow(tr("Read first:"), window_);
    trajectoryForm->addRow(tr("Easy: spread ≤"), easySpread_);
    trajectoryForm->addRow(tr("Hard: spread ≥"), hardSpread_);
    trajectoryForm->addRow(useCrowd_);
    trajectoryForm->addRow(trajectoryEasyPosteriorLabel_, trajectoryEasyPosterior_);
    trajectoryRuleText_ = new QLabel;
    trajectoryRuleText_->setObjectName(QStringLiteral("trajectoryRuleText"));
    trajectoryRuleText_->setWordWrap(true);
    trajectoryRuleText_->setForegroundRole(QPalette::PlaceholderText);
    trajectoryRulePanel_ = new QWidget;
    auto* trajectoryLayout = new QVBoxLayout(trajectoryRulePanel_);
    trajectoryLayout->setContentsMargins(0, 0, 0, 0);
    trajectoryLayout->addLayout(trajectoryForm);
    trajectoryLayout->addWidget(trajectoryRuleText_);
    trajectoryLayout->addStretch(1);
    ruleStack_ = new QStackedWidget;
    ruleStack_->addWidget(crowdRulePanel_);
    ruleStack_->addWidget(trajectoryRulePanel_);
    trajectoryStatus_ = new QLabel;
    trajectoryStatus_->setObjectName(QStringLiteral("trajectoryStatus"));
    trajectoryStatus_->setWordWrap(true);
    trajectoryStatus_->hide();
    trajectories_ = new TrajectorySource(document_, this);

    auto* sourceRow = new QHBoxLayout;
    sourceRow->addWidget(new QLabel(tr("Triage from:")));
    sourceRow->addWidget(source_, 1);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(6, 6, 0, 6);
    leftLayout->addWidget(new QLabel(tr("<b>Triage rule</b>")));
    leftLayout->addLayout(sourceRow);
    leftLayout->addWidget(ruleStack_);
    leftLayout->addWidget(trajectoryStatus_);
    leftLayout->addSpacing(6);
    leftLayout->addWidget(new QLabel(tr("<b>Classes</b> (consensus of the active run)")));
    // Which run that is, from the document's run list (the rows the Runs tab shows).
    activeRun_ = new QLabel;
    activeRun_->setObjectName(QStringLiteral("activeRunLabel"));
    activeRun_->setWordWrap(true);
    activeRun_->setForegroundRole(QPalette::PlaceholderText);
    leftLayout->addWidget(activeRun_);
    connect(document_, &ProjectDocument::runsChanged, this, &ReviewPage::updateActiveRunLabel);
    connect(document_, &ProjectDocument::aggregationChanged, this, &ReviewPage::updateActiveRunLabel);
    leftLayout->addWidget(classes_, 1);

    // Centre: the filter bar over three bands.
    sortBox_ = new QComboBox;
    sortBox_->setObjectName(QStringLiteral("sortOrder"));
    sortBox_->addItem(tr("Review order"), static_cast<int>(SortOrder::Review));
    sortBox_->addItem(tr("Label quality"), static_cast<int>(SortOrder::LabelQuality));
    sortBox_->addItem(tr("Item id"), static_cast<int>(SortOrder::ItemId));
    sortBox_->setToolTip(tr("Review order: lowest consensus posterior first, then lowest agreement.\n"
                            "Label quality: lowest self-confidence of the consensus label first, under the\n"
                            "model's out-of-sample probabilities when the run has a model (CROWDLAB runs),\n"
                            "else under the run's posterior: for a CROWDLAB run, the items the model\n"
                            "disagrees with most come first.\n"
                            "Item id: the items' keys in natural order."));
    annotatorEdit_ = new QLineEdit;
    annotatorEdit_->setObjectName(QStringLiteral("annotatorFilter"));
    annotatorEdit_->setPlaceholderText(tr("any annotator"));
    annotatorEdit_->setClearButtonEnabled(true);
    annotatorEdit_->setMaximumWidth(180);
    annotatorEdit_->setToolTip(tr("Only the items this annotator answered (type an annotator id)"));
    auto* completer = new QCompleter(new QStringListModel(this), this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    annotatorEdit_->setCompleter(completer);
    disagreementBox_ = new QCheckBox(tr("Disagreement only"));
    disagreementBox_->setObjectName(QStringLiteral("disagreementOnly"));
    disagreementBox_->setToolTip(tr("Only items whose answers are not all equal to the consensus"));
    decidedBox_ = new QComboBox;
    decidedBox_->setObjectName(QStringLiteral("decidedFilter"));
    decidedBox_->addItem(tr("All items"), static_cast<int>(DecidedFilter::All));
    decidedBox_->addItem(tr("Decided"), static_cast<int>(DecidedFilter::Decided));
    decidedBox_->addItem(tr("Undecided"), static_cast<int>(DecidedFilter::Undecided));
    auto* filterBar = new QHBoxLayout;
    filterBar->setContentsMargins(0, 4, 0, 0);
    filterBar->addWidget(new QLabel(tr("Sort:")));
    filterBar->addWidget(sortBox_);
    filterBar->addSpacing(8);
    filterBar->addWidget(new QLabel(tr("Annotator:")));
    filterBar->addWidget(annotatorEdit_);
    filterBar->addSpacing(8);
    filterBar->addWidget(disagreementBox_);
    filterBar->addSpacing(8);
    filterBar->addWidget(decidedBox_);
    filterBar->addStretch(1);
    itemFilterText_ = new QLabel;
    itemFilterText_->setObjectName(QStringLiteral("itemFilterText"));
    auto* clearItems = new QPushButton(tr("Show all"));
    clearItems->setObjectName(QStringLiteral("clearItemFilter"));
    itemFilterBar_ = new QWidget;
    itemFilterBar_->setObjectName(QStringLiteral("itemFilterBar"));
    auto* itemFilterLayout = new QHBoxLayout(itemFilterBar_);
    itemFilterLayout->setContentsMargins(0, 0, 0, 0);
    itemFilterLayout->addWidget(itemFilterText_, 1);
    itemFilterLayout->addWidget(clearItems);
    itemFilterBar_->hide();
    connect(clearItems, &QPushButton::clicked, this, &ReviewPage::clearItemFilter);
    connect(sortBox_, &QComboBox::currentIndexChanged, this, &ReviewPage::onFiltersEdited);
    connect(decidedBox_, &QComboBox::currentIndexChanged, this, &ReviewPage::onFiltersEdited);
    connect(disagreementBox_, &QCheckBox::toggled, this, &ReviewPage::onFiltersEdited);
    connect(annotatorEdit_, &QLineEdit::editingFinished, this, &ReviewPage::onAnnotatorEdited);
    connect(annotatorEdit_, &QLineEdit::textChanged, this, [this](const QString& text) {
        // The clear button empties the field without finishing the edit.
        if (text.isEmpty())
            onAnnotatorEdited();
    });
    connect(completer, qOverload<const QString&>(&QCompleter::activated), this, &ReviewPage::onAnnotatorEdited);

    auto* bands = new QSplitter(Qt::Vertical);
    bands->setChildrenCollapsible(false);
    requestTimer_ = new QTimer(this);
    requestTimer_->setSingleShot(true);
    requestTimer_->setInterval(kRequestDebounceMs);
    connect(requestTimer_, &QTimer::timeout, this, &ReviewPage::requestVisibleThumbnails);
    for (Triage triage : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
        const auto i = static_cast<std::size_t>(triage);
        auto* model = new ThumbnailGridModel(document_, provider_, triage, this);
        auto* view = new QListView;
        view->setObjectName(QStringLiteral("band_%1").arg(QString::fromLatin1(triageName(triage))));
        view->setViewMode(QListView::IconMode);
        view->setMovement(QListView::Static);
        view->setResizeMode(QListView::Adjust);
        view->setUniformItemSizes(true);
        view->setLayoutMode(QListView::Batched);
        view->setBatchSize(500);
        view->setGridSize(delegate_->tileSize());
        view->setSpacing(0);
        view->setWrapping(true);
        view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
        view->verticalScrollBar()->setSingleStep(delegate_->tileSize().height() / 3);
        view->setSelectionMode(QAbstractItemView::ExtendedSelection);
        view->setEditTriggers(QAbstractItemView::NoEditTriggers);
        view->setItemDelegate(delegate_);
        view->setModel(model);
        view->installEventFilter(this);
        view->viewport()->installEventFilter(this);
        connect(view->verticalScrollBar(), &QScrollBar::valueChanged, this, &ReviewPage::scheduleThumbnailRequest);
        connect(view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
                [this, triage] { onSelectionChanged(triage); });
        connect(view->selectionModel(), &QItemSelectionModel::currentChanged, this,
                [this, triage] { onSelectionChanged(triage); });
        auto* title = new QLabel;
        title->setObjectName(QStringLiteral("bandTitle_%1").arg(QString::fromLatin1(triageName(triage))));
        title->setStyleSheet(QStringLiteral("QLabel { color: %1; font-weight: bold; }")
                                 .arg(ThumbnailDelegate::triageColor(triage).name()));
        auto* box = new QWidget;
        auto* boxLayout = new QVBoxLayout(box);
        boxLayout->setContentsMargins(0, 2, 0, 0);
        boxLayout->setSpacing(2);
        boxLayout->addWidget(title);
        boxLayout->addWidget(view, 1);
        bands->addWidget(box);
        bandTitles_[i] = title;
        views_[i] = view;
        models_[i] = model;
    }

    inspector_ = new InspectorPanel(document_);
    inspector_->setObjectName(QStringLiteral("inspector"));
    inspector_->installEventFilter(this);
    connect(inspector_, &InspectorPanel::decided, this, [this] { advance(activeView()); });
    connect(inspector_, &InspectorPanel::noteCommitted, this, [this] {
        if (QListView* view = activeView())
            view->setFocus();
    });
    inspector_->setScreenful([this] {
        const QListView* view = activeView();
        return view ? screenful(view) : 0;
    });

    auto* centre = new QWidget;
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(2);
    centreLayout->addLayout(filterBar);
    centreLayout->addWidget(itemFilterBar_);
    centreLayout->addWidget(bands, 1);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(left);
    splitter->addWidget(centre);
    // On a short screen (a 1366 x 768 laptop) the inspector scrolls instead of overlapping itself.
    auto* inspectorScroll = new QScrollArea;
    inspectorScroll->setWidget(inspector_);
    inspectorScroll->setWidgetResizable(true);
    inspectorScroll->setFrameShape(QFrame::NoFrame);
    inspectorScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    splitter->addWidget(inspectorScroll);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 0);
    splitter->setSizes({280, 600, 300});
    reviewPane_ = splitter;

    stack_ = new QStackedWidget;
    stack_->addWidget(emptyPage_);
    stack_->addWidget(reviewPane_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_);

    setRule(TriageRule());
    for (QDoubleSpinBox* box : {easyPosterior_, easyAgreement_, hardPosterior_, hardAgreement_})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ReviewPage::onRuleEdited);
    connect(easyMinAnswers_, &QSpinBox::valueChanged, this, &ReviewPage::onRuleEdited);
    connect(scale_, &QComboBox::currentIndexChanged, this, [this] {
        if (!settingRule_)
            setRule(rules_[static_cast<std::size_t>(scale_->currentData().toInt())]);
    });
    connect(classes_, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item)
            showClass(item->data(0, Qt::UserRole).toInt());
    });
    connect(document_, &ProjectDocument::loaded, this, &ReviewPage::onDocumentLoaded);
    connect(document_, &ProjectDocument::aggregationChanged, this, &ReviewPage::onAggregationChanged);
    connect(document_, &ProjectDocument::decisionsChanged, this, [this] { requestTimer_->start(); });

    showTrajectoryRule(TrajectoryTriageRule());
    connect(window_, &QSpinBox::valueChanged, this, &ReviewPage::onTrajectoryRuleEdited);
    for (QDoubleSpinBox* box : {easySpread_, hardSpread_, trajectoryEasyPosterior_})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ReviewPage::onTrajectoryRuleEdited);
    connect(useCrowd_, &QCheckBox::toggled, this, &ReviewPage::onTrajectoryRuleEdited);
    // The curator's choice is remembered for this project (on this computer) and taken again when
    // it is reopened, as long as that run is still there.
    connect(source_, &QComboBox::activated, this, [this](int index) {
        const std::int64_t run = source_->itemData(index).toLongLong();
        setTriageSource(run);
        if (triageSource() == run && !document_->path().isEmpty())
            QSettings().setValue(triageSourceKey(document_->path()), QVariant::fromValue<qlonglong>(run));
    });
    connect(trajectories_, &TrajectorySource::ready, this, &ReviewPage::onTrajectoryReady);
    connect(trajectories_, &TrajectorySource::failed, this, &ReviewPage::onTrajectoryFailed);
    connect(trajectories_, &TrajectorySource::busyChanged, this, [this](bool busy) {
        if (busy)
            setTrajectoryStatus(tr("Reading the trajectories…"), false);
        else if (trajectoryStatus_->property("error").toBool() == false)
            setTrajectoryStatus({}, false);
    });
    connect(document_, &ProjectDocument::runsChanged, this, &ReviewPage::onRunsChanged);
    // The stack is passed along: it also signals while the document is being destroyed (its
    // destructor clears it), when document_ is no longer a ProjectDocument to ask.
    QUndoStack* undoStack = document_->undoStack();
    undoIndex_ = undoStack->index();
    connect(undoStack, &QUndoStack::indexChanged, this,
            [this, undoStack](int index) { onUndoIndexChanged(undoStack, index); });
    onDocumentLoaded();
}

ReviewPage::~ReviewPage() = default;

void ReviewPage::setRule(const TriageRule& rule)
{
    settingRule_ = true;
    scale_->setCurrentIndex(scale_->findData(static_cast<int>(rule.scale)));
    const bool rank = rule.scale == TriageScale::Rank;
    easyPosteriorLabel_->setText(rank ? tr("Easy: rank ≥") : tr("Easy: posterior ≥"));
    hardPosteriorLabel_->setText(rank ? tr("Hard: rank <") : tr("Hard: posterior <"));
    easyPosterior_->setValue(rule.easyPosterior);
    easyAgreement_->setValue(rule.easyAgreement);
    easyMinAnswers_->setValue(rule.easyMinAnswers);
    hardPosterior_->setValue(rule.hardPosterior);
    hardAgreement_->setValue(rule.hardAgreement);
    settingRule_ = false;
    onRuleEdited();
}

void ReviewPage::onRuleEdited()
{
    if (settingRule_)
        return;
    TriageRule rule;
    rule.scale = static_cast<TriageScale>(scale_->currentData().toInt());
    rule.easyPosterior = easyPosterior_->value();
    rule.easyAgreement = easyAgreement_->value();
    rule.easyMinAnswers = easyMinAnswers_->value();
    rule.hardPosterior = hardPosterior_->value();
    rule.hardAgreement = hardAgreement_->value();
    try {
        rule.validate();
    } catch (const std::exception& e) {
        ruleText_->setForegroundRole(QPalette::NoRole);
        ruleText_->setStyleSheet(QStringLiteral("color: #d02f2f;"));
        ruleText_->setText(tr("Not applied: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    ruleText_->setStyleSheet(QString());
    ruleText_->setText(QString::fromStdString(rule.describe()));
    rule_ = rule;
    rules_[static_cast<std::size_t>(rule.scale)] = rule;
    recomputeTriage();
}

void ReviewPage::setTrajectoryRule(const TrajectoryTriageRule& rule)
{
    showTrajectoryRule(rule);
}

void ReviewPage::showTrajectoryRule(const TrajectoryTriageRule& rule, bool apply)
{
    settingTrajectoryRule_ = true;
    trajectoryRule_.scale = rule.scale;
    window_->setValue(static_cast<int>(std::lround(rule.window * 100.0)));
    easySpread_->setValue(rule.easySpread);
    hardSpread_->setValue(rule.hardSpread);
    useCrowd_->setChecked(rule.useCrowd);
    trajectoryEasyPosteriorLabel_->setText(rule.scale == TriageScale::Rank ? tr("Easy: crowd rank ≥")
                                                                         : tr("Easy: posterior ≥"));
    trajectoryEasyPosterior_->setValue(rule.easyPosterior);
    settingTrajectoryRule_ = false;
    if (apply) {
        onTrajectoryRuleEdited();
    } else {
        trajectoryRule_ = rule;
        trajectoryRuleText_->setText(QString::fromStdString(rule.describe()));
    }
}

void ReviewPage::onTrajectoryRuleEdited()
{
    if (settingTrajectoryRule_)
        return;
    TrajectoryTriageRule rule;
    rule.scale = trajectoryRule_.scale;
    rule.window = window_->value() / 100.0;
    rule.easySpread = easySpread_->value();
    rule.hardSpread = hardSpread_->value();
    rule.useCrowd = useCrowd_->isChecked();
    rule.easyPosterior = trajectoryEasyPosterior_->value();
    trajectoryEasyPosterior_->setEnabled(rule.useCrowd && useCrowd_->isEnabled());
    try {
        rule.validate();
    } catch (const std::exception& e) {
        trajectoryRuleText_->setForegroundRole(QPalette::NoRole);
        trajectoryRuleText_->setStyleSheet(QStringLiteral("color: #d02f2f;"));
        trajectoryRuleText_->setText(tr("Not applied: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    trajectoryRuleText_->setStyleSheet(QString());
    trajectoryRuleText_->setText(QString::fromStdString(rule.describe()));
    trajectoryRule_ = rule;
    // A new window means new scores (O(N·E), on a worker); the thresholds apply at once to the
    // scores there are, and again when the new ones arrive.
    const std::shared_ptr<const TrajectoryData> data = trajectories_->current();
    const std::int64_t run = trajectoryRun_ != 0 ? trajectoryRun_ : (data ? data->run->run : 0);
    if (run != 0)
        trajectories_->request(run, rule.window);
    updateTrajectoryTriage();
    if (query_.hasTrajectoryTriage()) {
        fillClassList();
        fillBands();
    }
}

void ReviewPage::setTrajectoryStatus(const QString& text, bool error)
{
    trajectoryStatus_->setText(text);
    trajectoryStatus_->setProperty("error", error);
    trajectoryStatus_->setStyleSheet(error ? QStringLiteral("color: #d02f2f;") : QString());
    trajectoryStatus_->setVisible(!text.isEmpty());
}

void ReviewPage::fillSourceBox()
{
    const QSignalBlocker blocker(source_);
    source_->clear();
    source_->addItem(tr("Crowd consensus"), QVariant::fromValue<qlonglong>(0));
    for (const RunInfo& run : document_->runList()->runs()) {
        if (isTrajectoryRun(run))
            source_->addItem(tr("Data Parameters run %1 · %2").arg(run.id).arg(QString::fromStdString(run.name)),
                             QVariant::fromValue<qlonglong>(run.id));
    }
    const int index = source_->findData(QVariant::fromValue<qlonglong>(trajectoryRun_));
    source_->setCurrentIndex(std::max(index, 0));
    source_->setEnabled(source_->count() > 1);
}

void ReviewPage::setTriageSource(std::int64_t run)
{
    if (run != 0 && source_->findData(QVariant::fromValue<qlonglong>(run)) < 0) {
        setTrajectoryStatus(tr("Run %1 is not a finished data-parameters run with item sigmas").arg(run), true);
        return;
    }
    sourceChosen_ = true;
    chooseSource(run);
}

void ReviewPage::chooseSource(std::int64_t run)
{
    trajectoryRun_ = run;
    {
        const QSignalBlocker blocker(source_);
        source_->setCurrentIndex(std::max(source_->findData(QVariant::fromValue<qlonglong>(run)), 0));
    }
    ruleStack_->setCurrentWidget(run != 0 ? trajectoryRulePanel_ : crowdRulePanel_);
    if (trajectoryStatus_->property("error").toBool())
        setTrajectoryStatus({}, false);
    if (run != 0)
        trajectories_->request(run, trajectoryRule_.window);
    updateTrajectoryTriage();
    fillClassList();
    fillBands();
}

void ReviewPage::onRunsChanged()
{
    // A load in progress announces its runs before it is shown: onDocumentLoaded follows.
    if (document_->generation() != generation_)
        return;
    fillSourceBox();
    if (trajectoryRun_ != 0 || sourceChosen_)
        return;
    // The review triages by the crowd only because there was no run to triage from: the newest
    // takes over, unless it is the one that could not be read.
    const std::int64_t newest = source_->count() > 1 ? source_->itemData(1).toLongLong() : 0;
    if (newest != 0 && newest != failedRun_)
        chooseSource(newest);
}

// The crowd run's scale decides what the easy threshold compares with, as for the crowd rule.
void ReviewPage::adoptTrajectoryScale(const TrajectoryData& data)
{
    useCrowd_->setEnabled(data.run->crowd.has_value());
    useCrowd_->setToolTip(data.run->crowd ? tr("An item is easy only when the consensus of run %1 is sure of it "
                                              "too; items without consensus are hard")
                                                .arg(data.run->crowdRun)
                                          : tr("The project has no crowd consensus to ask"));
    const TriageScale scale = data.run->crowdScale();
    if (scale == trajectoryRule_.scale)
        return;
    TrajectoryTriageRule rule = trajectoryRule_;
    rule.scale = scale;
    rule.easyPosterior = TrajectoryTriageRule::defaults(scale).easyPosterior;
    showTrajectoryRule(rule, false);
}

void ReviewPage::onTrajectoryReady()
{
    const std::shared_ptr<const TrajectoryData> data = trajectories_->current();
    if (!data)
        return;
    if (data->run->run == trajectoryRun_ && trajectoryStatus_->property("error").toBool())
        setTrajectoryStatus({}, false);
    if (data->run->run == trajectoryRun_ || trajectoryRun_ == 0)
        adoptTrajectoryScale(*data);
    // Reads the widgets, asks for the window they say when the scores are of another, and triages.
    onTrajectoryRuleEdited();
}

void ReviewPage::onTrajectoryFailed(std::int64_t run, const QString& message)
{
    failedRun_ = run;
    if (run == trajectoryRun_)
        chooseSource(0);
    setTrajectoryStatus(tr("The trajectories of run %1 cannot be read: %2. The review triages by the crowd.")
                            .arg(run)
                            .arg(message),
                        true);
}

void ReviewPage::updateTrajectoryTriage()
{
    const std::shared_ptr<const TrajectoryData> data = trajectories_->current();
    if (!data) {
        query_.clearTrajectoryTriage();
        inspector_->setTrajectory({});
        return;
    }
    const TriageEvidence* crowd = data->run->crowd && trajectoryRule_.useCrowd ? &*data->run->crowd : nullptr;
    auto categories = std::make_shared<const std::vector<Triage>>(trajectoryTriage(*data->scores, crowd, trajectoryRule_));
    const bool source = trajectoryRun_ != 0 && data->run->run == trajectoryRun_;
    if (trajectoryRun_ == 0)
        query_.clearTrajectoryTriage();
    else if (source && query_.itemCount() == data->scores->itemCount())
        query_.setTrajectoryTriage(data->scores, *categories, wrongProbability(*data->scores, crowd));
    // While another run is read, the bands keep the triage they have.
    inspector_->setTrajectory({data, std::move(categories), trajectoryRule_, source});
}

void ReviewPage::onDocumentLoaded()
{
    cancelRun();
    generation_ = document_->generation();
    trajectories_->reset(document_->loadedTrajectory());
    const std::shared_ptr<const TrajectoryData> loaded = trajectories_->current();
    sourceChosen_ = false;
    failedRun_ = 0;
    trajectoryRun_ = loaded ? loaded->run->run : 0;
    const QString trajectoryError = document_->loadedTrajectoryError();
    setTrajectoryStatus(trajectoryError.isEmpty()
                            ? QString()
                            : tr("The trajectories of %1 cannot be read. The review triages by the crowd.")
                                  .arg(trajectoryError),
                        !trajectoryError.isEmpty());
    fillSourceBox();
    // The newest run could not be read: it does not take over later either.
    if (!trajectoryError.isEmpty() && source_->count() > 1)
        failedRun_ = source_->itemData(1).toLongLong();
    ruleStack_->setCurrentWidget(trajectoryRun_ != 0 ? trajectoryRulePanel_ : crowdRulePanel_);
    if (loaded)
        adoptTrajectoryScale(*loaded);
    const Dataset& dataset = document_->dataset();
    provider_->setSource(dataset);
    // Item and annotator indices belong to the dataset that was open before.
    query_.clearItems();
    query_.setAnnotator(dataset, -1);
    itemFilterBar_->hide();
    {
        const QSignalBlocker blocker(annotatorEdit_);
        annotatorEdit_->clear();
        annotatorEdit_->setStyleSheet(QString());
    }
    QStringList ids;
    ids.reserve(dataset.annotatorCount());
    for (const std::string& id : dataset.annotatorIds)
        ids.push_back(QString::fromStdString(id));
    static_cast<QStringListModel*>(annotatorEdit_->completer()->model())->setStringList(ids);
    onAggregationChanged();
    // The loader scored the trajectories at the default window; the page may read another.
    if (loaded && loaded->window != trajectoryRule_.window)
        trajectories_->request(loaded->run->run, trajectoryRule_.window);
    // The source the curator chose when the project was last open, if that run is still there.
    const QVariant remembered =
        document_->path().isEmpty() ? QVariant() : QSettings().value(triageSourceKey(document_->path()));
    if (remembered.isValid()) {
        const std::int64_t run = remembered.toLongLong();
        if (run == 0 || source_->findData(QVariant::fromValue<qlonglong>(run)) >= 0) {
            sourceChosen_ = true;
            if (run != trajectoryRun_)
                chooseSource(run);
        }
    }
}

void ReviewPage::updateActiveRunLabel()
{
    const std::int64_t id = document_->aggregationRunId();
    const RunInfo* run = id ? document_->runList()->find(id) : nullptr;
    if (!run) {
        activeRun_->setText(document_->aggregation() ? tr("An unsaved result") : tr("No active run"));
        return;
    }
    const double acc = RunListModel::accuracy(*run);
    activeRun_->setText(std::isfinite(acc) ? tr("Run %1 · %2 · accuracy %3%")
                                                 .arg(run->id)
                                                 .arg(RunListModel::title(*run))
                                                 .arg(acc * 100.0, 0, 'f', 2)
                                           : tr("Run %1 · %2").arg(run->id).arg(RunListModel::title(*run)));
}

void ReviewPage::onAggregationChanged()
{
    const AggregationResult* run = document_->aggregation();
    ReviewQuery query;
    if (run) {
        try {
            query = ReviewQuery(document_->dataset(), *run);
        } catch (const std::exception& e) {
            emptyText_->setText(tr("The active aggregation run does not match the dataset: %1")
                                    .arg(QString::fromStdString(e.what())));
            run = nullptr;
        }
    } else {
        emptyText_->setText(document_->hasDataset()
                                ? tr("This project has no aggregation run yet. Review sorts items by the "
                                     "consensus of a run: run Dawid-Skene to get one.")
                                : tr("Open a project to review it."));
    }
    runButton_->setEnabled(document_->hasDataset() && !document_->isReadOnly() && !isRunning() && startRun_);
    stack_->setCurrentWidget(run ? reviewPane_ : emptyPage_);
    query.copyFilters(document_->dataset(), query_);
    query_ = std::move(query);
    updateTrajectoryTriage();
    if (run && naturalTriageScale(run->strategy) != rule_.scale)
        setRule(rules_[static_cast<std::size_t>(naturalTriageScale(run->strategy))]);  // recomputes the triage
    else
        recomputeTriage();
}

void ReviewPage::setSortOrder(SortOrder order)
{
    settingFilters_ = true;
    sortBox_->setCurrentIndex(sortBox_->findData(static_cast<int>(order)));
    settingFilters_ = false;
    query_.setSort(order);
    applyFilters();
}

void ReviewPage::setAnnotatorFilter(int annotator)
{
    const Dataset& dataset = document_->dataset();
    query_.setAnnotator(dataset, annotator);
    {
        const QSignalBlocker blocker(annotatorEdit_);
        annotatorEdit_->setText(annotator >= 0 ? QString::fromStdString(dataset.annotatorIds[annotator]) : QString());
        annotatorEdit_->setStyleSheet(QString());
        annotatorEdit_->setToolTip(tr("Only the items this annotator answered (type an annotator id)"));
    }
    applyFilters();
}

void ReviewPage::onAnnotatorEdited()
{
    const std::string text = annotatorEdit_->text().trimmed().toStdString();
    const std::vector<std::string>& ids = document_->dataset().annotatorIds;
    int annotator = -1;
    if (!text.empty()) {
        const auto found = std::find(ids.begin(), ids.end(), text);
        if (found == ids.end()) {
            annotatorEdit_->setStyleSheet(QStringLiteral("color: #d02f2f;"));
            annotatorEdit_->setToolTip(tr("No annotator \"%1\": the filter is not applied")
                                           .arg(QString::fromStdString(text)));
            return;
        }
        annotator = static_cast<int>(found - ids.begin());
    }
    if (annotator == query_.annotator()) {
        annotatorEdit_->setStyleSheet(QString());
        return;
    }
    setAnnotatorFilter(annotator);
}

void ReviewPage::setDisagreementOnly(bool on)
{
    settingFilters_ = true;
    disagreementBox_->setChecked(on);
    settingFilters_ = false;
    query_.setDisagreementOnly(on);
    applyFilters();
}

void ReviewPage::setDecidedFilter(DecidedFilter filter)
{
    settingFilters_ = true;
    decidedBox_->setCurrentIndex(decidedBox_->findData(static_cast<int>(filter)));
    settingFilters_ = false;
    query_.setDecided(filter);
    applyFilters();
}

void ReviewPage::onFiltersEdited()
{
    if (settingFilters_)
        return;
    query_.setSort(static_cast<SortOrder>(sortBox_->currentData().toInt()));
    query_.setDecided(static_cast<DecidedFilter>(decidedBox_->currentData().toInt()));
    query_.setDisagreementOnly(disagreementBox_->isChecked());
    applyFilters();
}

void ReviewPage::showItems(const QVector<int>& items, const QString& title)
{
    const int shown = query_.setItems(std::vector<int>(items.begin(), items.end()));
    itemFilterText_->setText(tr("<b>%1</b> (%n item(s))", nullptr, shown).arg(title.toHtmlEscaped()));
    itemFilterBar_->show();
    currentClass_ = AllClasses;
    applyFilters();
}

void ReviewPage::clearItemFilter()
{
    if (!query_.hasItemFilter())
        return;
    query_.clearItems();
    itemFilterBar_->hide();
    applyFilters();
}

bool ReviewPage::passesFilters(int item) const
{
    return item >= 0 && item < query_.itemCount() && query_.passes(item, isDecided());
}

IsDecided ReviewPage::isDecided() const
{
    const ReviewState* review = &document_->reviewState();
    return [review](int item) { return review->isDecided(item); };
}

void ReviewPage::applyFilters()
{
    fillClassList();
    fillBands();
}

void ReviewPage::recomputeTriage()
{
    query_.setRule(rule_);
    fillClassList();
    fillBands();
}

void ReviewPage::fillClassList()
{
    const Dataset& dataset = document_->dataset();
    // counts[label + 1][category]; row 0 holds the items without consensus. Without a run the
    // query knows no classes (one row), whatever the dataset has.
    const std::vector<BandCounts> counts = query_.counts(isDecided());
    const int classCount = std::min(dataset.classCount(), static_cast<int>(counts.size()) - 1);
    BandCounts total{0, 0, 0};
    for (const BandCounts& row : counts) {
        for (std::size_t category = 0; category < 3; ++category)
            total[category] += row[category];
    }
    const QSignalBlocker blocker(classes_);
    classes_->clear();
    QTreeWidgetItem* current = nullptr;
    if (query_.itemCount() > 0) {
        auto* row = new QTreeWidgetItem(classes_);
        row->setText(0, tr("All classes"));
        row->setData(0, Qt::UserRole, AllClasses);
        QFont bold = row->font(0);
        bold.setBold(true);
        for (int column = 0; column < 4; ++column)
            row->setFont(column, bold);
        for (int column = 1; column < 4; ++column) {
            row->setText(column, QString::number(total[static_cast<std::size_t>(column - 1)]));
            row->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
        }
        if (currentClass_ == AllClasses)
            current = row;
    }
    for (int label = -1; label < classCount; ++label) {
        const BandCounts& c = counts[static_cast<std::size_t>(label + 1)];
        if (label == ReviewQuery::NoConsensus && c[0] + c[1] + c[2] == 0)
            continue;
        auto* row = new QTreeWidgetItem(classes_);
        row->setText(0, label == ReviewQuery::NoConsensus ? tr("(no consensus)")
                                              : QStringLiteral("%1  %2").arg(InspectorPanel::keyForClass(label),
                                                                             QString::fromStdString(dataset.classNames[label])));
        row->setData(0, Qt::UserRole, label);
        for (int column = 1; column < 4; ++column) {
            row->setText(column, QString::number(c[static_cast<std::size_t>(column - 1)]));
            row->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
        }
        if (label == currentClass_)
            current = row;
    }
    if (!current && classes_->topLevelItemCount() > 1) {
        current = classes_->topLevelItem(1);
        currentClass_ = current->data(0, Qt::UserRole).toInt();
    }
    if (current)
        classes_->setCurrentItem(current);
}

void ReviewPage::showClass(int label)
{
    currentClass_ = label;
    const QSignalBlocker blocker(classes_);
    for (int row = 0; row < classes_->topLevelItemCount(); ++row) {
        QTreeWidgetItem* item = classes_->topLevelItem(row);
        if (item->data(0, Qt::UserRole).toInt() == label)
            classes_->setCurrentItem(item);
    }
    fillBands();
}

void ReviewPage::fillBands()
{
    ReviewBands members = query_.bands(currentClass_, isDecided());
    const std::array<BandEstimate, 3> estimates = query_.estimates(members);
    const QString estimateTip
        = query_.hasTrajectoryTriage()
              ? tr("An estimate, not a count: the mean over the band's items of the probability that the label is "
                   "wrong, from the trajectories (the upper component of a two-component mixture fitted to all "
                   "spreads) averaged with the crowd's 1 - posterior where the crowd has a consensus")
              : tr("An estimate, not a count: the mean over the band's items of 1 - the consensus posterior of "
                   "the active run (items without consensus left out); Dawid-Skene posteriors are overconfident");
    const int current = inspector_->currentItem();
    syncingSelection_ = true;
    for (Triage triage : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
        const auto i = static_cast<std::size_t>(triage);
        std::vector<int> items = std::move(members[i]);
        const double wrong = estimates[i].estimatedWrong;
        bandTitles_[i]->setText(std::isfinite(wrong)
                                    ? tr("%1 (%2) · %3").arg(bandName(triage)).arg(items.size()).arg(estimateText(wrong))
                                    : tr("%1 (%2)").arg(bandName(triage)).arg(items.size()));
        bandTitles_[i]->setToolTip(std::isfinite(wrong) ? estimateTip : QString());
        models_[i]->setItems(std::move(items));
    }
    syncingSelection_ = false;
    // Keep the inspected item selected when it is still shown.
    bool found = false;
    for (Triage triage : {Triage::Easy, Triage::NeedReview, Triage::Hard}) {
        const int row = bandModel(triage)->rowOf(current);
        if (current >= 0 && row >= 0) {
            band(triage)->setCurrentIndex(bandModel(triage)->index(row));
            found = true;
            break;
        }
    }
    // Otherwise start with the worst item shown, so the keys work at once.
    for (Triage triage : {Triage::Hard, Triage::NeedReview, Triage::Easy}) {
        if (found)
            break;
        if (bandModel(triage)->rowCount() > 0) {
            band(triage)->setCurrentIndex(bandModel(triage)->index(0));
            found = true;
        }
    }
    if (!found)
        inspector_->setSelection(-1, {});
    scheduleThumbnailRequest();
}

void ReviewPage::onSelectionChanged(Triage triage)
{
    if (syncingSelection_)
        return;
    QListView* view = band(triage);
    const QModelIndexList selected = view->selectionModel()->selectedIndexes();
    const QModelIndex current = view->currentIndex();
    if (selected.isEmpty() && !current.isValid())
        return;
    // One selection at a time across the bands.
    syncingSelection_ = true;
    for (QListView* other : views_) {
        if (other != view)
            other->selectionModel()->clear();
    }
    syncingSelection_ = false;
    QVector<int> items;
    items.reserve(selected.size());
    for (const QModelIndex& index : selected)
        items.push_back(index.data(ThumbnailGridModel::ItemRole).toInt());
    std::sort(items.begin(), items.end());
    const int currentItem = current.isValid() ? current.data(ThumbnailGridModel::ItemRole).toInt()
                                              : (items.isEmpty() ? -1 : items.front());
    inspector_->setSelection(currentItem, items);
    Q_EMIT selectionChanged(items);
}

QListView* ReviewPage::activeView() const
{
    for (QListView* view : views_) {
        if (view->selectionModel()->currentIndex().isValid() && view->selectionModel()->hasSelection())
            return view;
    }
    for (QListView* view : views_) {
        if (view->currentIndex().isValid())
            return view;
    }
    return nullptr;
}

void ReviewPage::onUndoIndexChanged(const QUndoStack* stack, int index)
{
    const int previous = undoIndex_;
    undoIndex_ = index;
    if (index >= previous)
        return;  // a new step or a redo: the selection stays where the curator went on
    // An undo: select the items the undone step decided, so that the curator is back where the
    // mistake was (a relabel had moved on to the next tile). Only within the bands on show.
    const auto* command = dynamic_cast<const DecisionCommand*>(stack->command(index));
    if (!command)
        return;
    for (std::size_t t = 0; t < views_.size(); ++t) {
        QListView* view = views_[t];
        std::vector<int> rows;
        for (const Decision& row : command->rows()) {
            const int at = models_[t]->rowOf(row.item);
            if (at >= 0)
                rows.push_back(at);
        }
        if (rows.empty())
            continue;
        moveTo(view, rows.front());
        for (std::size_t r = 1; r < rows.size(); ++r)
            view->selectionModel()->select(view->model()->index(rows[r], 0), QItemSelectionModel::Select);
        return;
    }
}

void ReviewPage::advance(QListView* view)
{
    if (!view || view->selectionModel()->selectedIndexes().size() > 1)
        return;
    const QModelIndex current = view->currentIndex();
    if (!current.isValid() || current.row() + 1 >= view->model()->rowCount())
        return;
    view->setCurrentIndex(view->model()->index(current.row() + 1, 0));
}

void ReviewPage::focusGrid()
{
    QListView* view = activeView();
    // None worked in yet: the first band with tiles (its first tile becomes current on focus).
    for (QListView* band : views_)
        if (!view && band->isVisible() && band->model() && band->model()->rowCount() > 0)
            view = band;
    if (view)
        view->setFocus(Qt::OtherFocusReason);
}

int ReviewPage::columns(const QListView* view) const
{
    return std::max(1, view->viewport()->width() / std::max(1, delegate_->tileSize().width()));
}

int ReviewPage::screenful(const QListView* view) const
{
    const int height = std::max(1, delegate_->tileSize().height());
    return columns(view) * std::max(1, (view->viewport()->height() + height - 1) / height);
}

void ReviewPage::moveTo(QListView* view, int row)
{
    const QModelIndex index = view->model()->index(row, 0);
    view->setFocus();
    // Not setCurrentIndex, which would extend the selection while a modifier is down.
    view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
    view->scrollTo(index);
}

bool ReviewPage::crossBand(QListView* view, int key)
{
    const QModelIndex current = view->currentIndex();
    if (!current.isValid())
        return false;
    const int count = view->model()->rowCount();
    const int row = current.row();
    const int lineLength = columns(view);
    const bool forward = key == Qt::Key_Down || key == Qt::Key_Right;
    const bool atEdge = key == Qt::Key_Right  ? row + 1 >= count
                        : key == Qt::Key_Left ? row == 0
                        : key == Qt::Key_Down ? row + lineLength >= count
                                              : row < lineLength;
    if (!atEdge)
        return false;
    // Up and Down keep the column where the next band has one.
    const auto rowIn = [&](int size) {
        if (key == Qt::Key_Right)
            return 0;
        if (key == Qt::Key_Left)
            return size - 1;
        const int line = key == Qt::Key_Down ? 0 : (size - 1) / lineLength;
        return std::min(line * lineLength + row % lineLength, size - 1);
    };
    const int step = forward ? 1 : -1;
    const auto from = static_cast<int>(std::find(views_.begin(), views_.end(), view) - views_.begin());
    for (int next = from + step; next >= 0 && next < static_cast<int>(views_.size()); next += step) {
        const int size = models_[static_cast<std::size_t>(next)]->rowCount();
        if (size > 0) {
            moveTo(views_[static_cast<std::size_t>(next)], rowIn(size));
            return true;
        }
    }
    // Past the class's last (first) band: the next (previous) class with items, from its first
    // (last) item. The "All classes" row has no neighbour.
    if (currentClass_ == AllClasses)
        return true;
    int position = -1;
    for (int i = 0; i < classes_->topLevelItemCount(); ++i) {
        if (classes_->topLevelItem(i)->data(0, Qt::UserRole).toInt() == currentClass_)
            position = i;
    }
    for (int i = position + step; position >= 0 && i >= 0 && i < classes_->topLevelItemCount(); i += step) {
        const QTreeWidgetItem* item = classes_->topLevelItem(i);
        const int label = item->data(0, Qt::UserRole).toInt();
        if (label == AllClasses || item->text(1).toInt() + item->text(2).toInt() + item->text(3).toInt() == 0)
            continue;
        showClass(label);
        for (int b = forward ? 0 : 2; b >= 0 && b < 3; b += step) {
            const int size = models_[static_cast<std::size_t>(b)]->rowCount();
            if (size > 0) {
                moveTo(views_[static_cast<std::size_t>(b)], forward ? 0 : size - 1);
                break;
            }
        }
        return true;
    }
    return true;
}

bool ReviewPage::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Resize)
        scheduleThumbnailRequest();
    if (event->type() != QEvent::KeyPress)
        return QWidget::eventFilter(watched, event);
    auto* key = static_cast<QKeyEvent*>(event);
    const Qt::KeyboardModifiers modifiers = key->modifiers() & ~(Qt::KeypadModifier | Qt::ShiftModifier);
    if (modifiers != Qt::NoModifier)
        return QWidget::eventFilter(watched, event);
    const bool arrow = key->key() == Qt::Key_Up || key->key() == Qt::Key_Down || key->key() == Qt::Key_Left
                       || key->key() == Qt::Key_Right;
    if (arrow && !(key->modifiers() & Qt::ShiftModifier)) {
        auto* view = qobject_cast<QListView*>(watched);
        if (view && std::find(views_.begin(), views_.end(), view) != views_.end() && crossBand(view, key->key()))
            return true;
        return QWidget::eventFilter(watched, event);
    }
    if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
        inspector_->acceptConsensus();
        return true;
    }
    const int label = inspector_->classForKey(key->key());
    if (label >= 0) {
        inspector_->assignClass(label);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void ReviewPage::scheduleThumbnailRequest()
{
    requestTimer_->start();
}

void ReviewPage::requestVisibleThumbnails()
{
    // With uniform tiles on a fixed grid, the visible rows follow from the scroll position alone,
    // whatever the band's length.
    QVector<int> visible;
    QVector<int> ahead;
    const QSize grid = delegate_->tileSize();
    for (std::size_t i = 0; i < views_.size(); ++i) {
        QListView* view = views_[i];
        const ThumbnailGridModel* model = models_[i];
        const int count = model->rowCount();
        if (count == 0 || !view->isVisible())
            continue;
        const QSize viewport = view->viewport()->size();
        const int columns = this->columns(view);
        const int firstLine = view->verticalScrollBar()->value() / std::max(1, grid.height());
        const int lines = viewport.height() / std::max(1, grid.height()) + 2;
        const int first = std::min(count, firstLine * columns);
        const int last = std::min(count, (firstLine + lines) * columns);
        const int beyond = std::min(count, last + lines * columns);
        for (int row = first; row < last; ++row)
            visible.push_back(model->itemAt(row));
        for (int row = last; row < beyond; ++row)
            ahead.push_back(model->itemAt(row));
    }
    visible += ahead;
    if (!visible.isEmpty())
        provider_->request(visible);
}

void ReviewPage::setRunner(std::function<RunJob*()> start)
{
    startRun_ = std::move(start);
    runButton_->setEnabled(document_->hasDataset() && !document_->isReadOnly() && !isRunning() && startRun_);
}

void ReviewPage::runDawidSkene()
{
    if (isRunning() || !document_->hasDataset() || !startRun_)
        return;
    job_ = startRun_();
    if (!job_) {
        runStage_->setText(tr("Another aggregation run is going (Runs tab)."));
        return;
    }
    connect(job_, &RunJob::progressed, this, [this](int permille, const QString& text) {
        runProgress_->setValue(permille);
        runStage_->setText(text);
    });
    connect(job_, &RunJob::finished, this, &ReviewPage::onJobFinished);
    runButton_->setEnabled(false);
    runProgress_->setValue(0);
    runProgress_->show();
    cancelButton_->show();
    runStage_->setText(tr("starting"));
}

void ReviewPage::cancelRun()
{
    if (job_)
        job_->cancel();
}

void ReviewPage::onJobFinished(JobStatus status)
{
    const QString error = job_->error();
    job_ = nullptr;
    runProgress_->hide();
    cancelButton_->hide();
    runButton_->setEnabled(document_->hasDataset() && !document_->isReadOnly() && startRun_);
    switch (status) {
    case JobStatus::Finished:
        runStage_->clear();
        Q_EMIT runFinished(true, tr("Dawid-Skene finished"));
        break;
    case JobStatus::Cancelled:
        runStage_->setText(tr("Cancelled"));
        Q_EMIT runFinished(false, tr("Cancelled"));
        break;
    case JobStatus::Failed:
    case JobStatus::Running:
        runStage_->setText(tr("Dawid-Skene failed: %1").arg(error));
        Q_EMIT runFinished(false, error);
        break;
    }
}

}  // namespace crowdsift
