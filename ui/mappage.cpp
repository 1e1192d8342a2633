#include "mappage.h"

#include "inspectorpanel.h"
#include "mapwidget.h"
#include "projectdocument.h"
#include "jobmanager.h"
#include "reviewpage.h"
#include "runjob.h"
#include "runlistmodel.h"
#include "thumbnaildelegate.h"
#include "thumbnailprovider.h"

#include "aggregate/result.h"
#include "project/store.h"
#include "project/tsne_runs.h"

#include <QComboBox>
#include <QDateTime>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>

namespace crowdsift {

namespace {

const QColor kNone(0xb8, 0xb8, 0xb8);

// Distinct colours for the classes (Tableau 10 then 10 more), then hues around the circle.
QColor classColor(int label)
{
    static const QRgb colors[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                                  0x7f7f7f, 0xbcbd22, 0x17becf, 0x393b79, 0xad494a, 0x637939, 0x8c6d31,
                                  0x7b4173, 0x3182bd, 0xe6550d, 0x31a354, 0x756bb1, 0x636363};
    constexpr int known = static_cast<int>(sizeof(colors) / sizeof(colors[0]));
    if (label < known)
        return QColor(colors[label]);
    return QColor::fromHsv((label * 137) % 360, 200, 200);
}

struct LoadedMap {
    std::shared_ptr<const TsneRun> run;
    QString error;
};

}  // namespace

MapPage::MapPage(ProjectDocument* document, ReviewPage* review, QWidget* parent)
    : QWidget(parent), document_(document), review_(review)
{
    // Hover cards only: a small cache, one decoder.
    thumbnails_ = new ThumbnailProvider(this, 1, std::size_t(8) << 20, 96, std::size_t(8) << 20);
    thumbnails_->setRequestInterval(0);

    classBox_ = new QComboBox;
    classBox_->setObjectName(QStringLiteral("mapClass"));
    classBox_->setToolTip(tr("The whole dataset's map, or one class's own map (its items only)"));
    runBox_ = new QComboBox;
    runBox_->setObjectName(QStringLiteral("mapRun"));
    runBox_->setMinimumContentsLength(16);
    runBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    colourBox_ = new QComboBox;
    colourBox_->setObjectName(QStringLiteral("mapColour"));
    colourBox_->addItem(tr("Triage category"), static_cast<int>(ColourBy::Triage));
    colourBox_->addItem(tr("Consensus label"), static_cast<int>(ColourBy::Consensus));
    colourBox_->addItem(tr("Curator decision"), static_cast<int>(ColourBy::Decision));
    colourBox_->addItem(tr("Annotator agreement"), static_cast<int>(ColourBy::Agreement));
    colourBox_->addItem(tr("One class vs rest"), static_cast<int>(ColourBy::OneClass));
    oneClassBox_ = new QComboBox;
    oneClassBox_->setObjectName(QStringLiteral("mapOneClass"));
    oneClassBox_->setEnabled(false);
    lassoButton_ = new QToolButton;
    lassoButton_->setObjectName(QStringLiteral("mapLasso"));
    lassoButton_->setText(tr("Lasso"));
    lassoButton_->setCheckable(true);
    lassoButton_->setToolTip(tr("Drag to draw a lasso (also Alt+drag or Ctrl+drag); Shift+drag selects a rectangle"));
    resetButton_ = new QPushButton(tr("Whole map"));
    resetButton_->setToolTip(tr("Show the whole map (key 0)"));
    reviewButton_ = new QPushButton(tr("Show in Review"));
    reviewButton_->setObjectName(QStringLiteral("mapShowInReview"));
    reviewButton_->setEnabled(false);
    inputBox_ = new QComboBox;
    inputBox_->setObjectName(QStringLiteral("mapInput"));
    inputBox_->setToolTip(tr("What a new map is drawn from"));
    inputBox_->addItem(tr("Automatic"), QString());
    inputBox_->addItem(tr("Data Parameter trajectories"), QStringLiteral("trajectories"));
    inputBox_->addItem(tr("Model embeddings"), QStringLiteral("embeddings"));
    inputBox_->addItem(tr("Feature vectors"), QStringLiteral("features"));
    inputBox_->addItem(tr("GIST features"), QStringLiteral("gist"));
    computeButton_ = new QPushButton(tr("Compute map"));
    computeButton_->setObjectName(QStringLiteral("mapCompute"));
    computeButton_->setEnabled(false);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Show:")));
    bar->addWidget(classBox_);
    bar->addWidget(new QLabel(tr("Map:")));
    bar->addWidget(runBox_, 1);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Colour by:")));
    bar->addWidget(colourBox_);
    bar->addWidget(oneClassBox_);
    bar->addStretch();

    map_ = new MapWidget;
    map_->setObjectName(QStringLiteral("map"));
    map_->setDescriber([this](std::int32_t item) { return describe(item); });
    map_->setThumbnailSource([this](std::int32_t item) { return thumbnails_->pixmap(item); });
    empty_ = new QLabel;
    empty_->setAlignment(Qt::AlignCenter);
    empty_->setWordWrap(true);
    status_ = new QLabel;
    status_->setObjectName(QStringLiteral("mapStatus"));
    // A long line is cut, never widens the window.
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    inspector_ = new InspectorPanel(document_);
    inspector_->setObjectName(QStringLiteral("mapInspector"));

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(lassoButton_);
    bottom->addWidget(resetButton_);
    bottom->addWidget(reviewButton_);
    bottom->addWidget(status_, 1);
    bottom->addWidget(new QLabel(tr("New map from:")));
    bottom->addWidget(inputBox_);
    bottom->addWidget(computeButton_);

    auto* centre = new QVBoxLayout;
    centre->addLayout(bar);
    centre->addWidget(empty_);
    centre->addWidget(map_, 1);
    centre->addLayout(bottom);
    auto* layout = new QHBoxLayout(this);
    layout->addLayout(centre, 1);
    layout->addWidget(inspector_);

    connect(classBox_, &QComboBox::activated, this, [this] { showClass(classBox_->currentData().toInt()); });
    connect(runBox_, &QComboBox::activated, this, &MapPage::onRunChosen);
    connect(colourBox_, &QComboBox::currentIndexChanged, this, [this] {
        oneClassBox_->setEnabled(colourBy() == ColourBy::OneClass);
        recolour();
    });
    connect(oneClassBox_, &QComboBox::currentIndexChanged, this, [this] {
        if (colourBy() == ColourBy::OneClass)
            recolour();
    });
    connect(lassoButton_, &QToolButton::toggled, map_, &MapWidget::setLassoMode);
    connect(resetButton_, &QPushButton::clicked, map_, &MapWidget::resetView);
    connect(reviewButton_, &QPushButton::clicked, this, &MapPage::reviewRequested);
    connect(computeButton_, &QPushButton::clicked, this, &MapPage::computeMap);
    connect(map_, &MapWidget::selectionChanged, this, &MapPage::onMapSelectionChanged);
    connect(map_, &MapWidget::hoveredItemChanged, this, &MapPage::onHover);
    connect(map_, &MapWidget::pointClicked, this, [this](int item) { inspector_->setSelection(item, selectedItems()); });
    connect(thumbnails_, &ThumbnailProvider::thumbnailReady, this, [this](int item) {
        const int hovered = map_->hoveredPoint();
        if (hovered >= 0 && map_->model().item(hovered) == item)
            map_->refreshHover();
    });

    connect(document_, &ProjectDocument::loaded, this, &MapPage::onDocumentLoaded);
    connect(document_, &ProjectDocument::runsChanged, this, [this] {
        fillClassBox();
        fillRunBox();
        if (shownRun_ == 0 && !isLoading() && runBox_->count() > 0)
            onRunChosen();
    });
    connect(document_, &ProjectDocument::aggregationChanged, this, [this] {
        if (isVisible())
            recolour();
    });
    connect(document_, &ProjectDocument::decisionsChanged, this, [this] {
        if (isVisible() && colourBy() == ColourBy::Decision)
            recolour();
    });
    onDocumentLoaded();
}

MapPage::~MapPage() = default;

void MapPage::onDocumentLoaded()
{
    ++loadTicket_;
    loadingRun_ = 0;
    shownRun_ = 0;
    highlight_.clear();
    map_->setPoints({}, {});
    inspector_->setSelection(-1, {});
    if (document_->hasDataset())
        thumbnails_->setSource(document_->dataset());
    const QSignalBlocker blocker(oneClassBox_);
    oneClassBox_->clear();
    for (int label = 0; label < document_->dataset().classCount(); ++label)
        oneClassBox_->addItem(QString::fromStdString(document_->dataset().classNames[static_cast<std::size_t>(label)]), label);
    shownClass_ = -1;
    fillClassBox();
    fillRunBox();
    if (runBox_->count() > 0)
        onRunChosen();
    updateStatus();
}

void MapPage::fillClassBox()
{
    const QSignalBlocker blocker(classBox_);
    classBox_->clear();
    std::vector<int> maps(static_cast<std::size_t>(document_->dataset().classCount()) + 1, 0);
    for (const RunInfo& run : document_->runList()->runs()) {
        if (!isTsneRun(run))
            continue;
        const int label = run.params.value("class", -1);
        if (label >= -1 && label < document_->dataset().classCount())
            ++maps[static_cast<std::size_t>(label + 1)];
    }
    classBox_->addItem(maps[0] ? tr("Whole dataset") : tr("Whole dataset (no map)"), -1);
    for (int label = 0; label < document_->dataset().classCount(); ++label) {
        const QString name = QString::fromStdString(document_->dataset().classNames[static_cast<std::size_t>(label)]);
        classBox_->addItem(maps[static_cast<std::size_t>(label) + 1] ? name : tr("%1 (no map)").arg(name), label);
    }
    classBox_->setCurrentIndex(std::max(0, classBox_->findData(shownClass_)));
}

void MapPage::fillRunBox()
{
    const std::int64_t keep = loadingRun_ ? loadingRun_ : shownRun_;
    const QSignalBlocker blocker(runBox_);
    runBox_->clear();
    // runList() is newest first.
    for (const RunInfo& run : document_->runList()->runs()) {
        if (!isTsneRun(run) || run.params.value("class", -1) != shownClass_)
            continue;
        const QString input = QString::fromStdString(run.params.value("input", std::string("?")));
        const std::int64_t source = run.params.value("source_run", std::int64_t(0));
        QString text = source > 0 ? tr("Run %1 · t-SNE of %2 (run %3)").arg(run.id).arg(input).arg(source)
                                  : tr("Run %1 · t-SNE of %2").arg(run.id).arg(input);
        runBox_->addItem(text, QVariant::fromValue<qlonglong>(run.id));
    }
    const int row = runBox_->findData(QVariant::fromValue<qlonglong>(keep));
    runBox_->setCurrentIndex(row >= 0 ? row : 0);
    runBox_->setEnabled(runBox_->count() > 0);
    if (runBox_->count() == 0) {
        empty_->setText(
            shownClass_ < 0
                ? tr("No map of the whole dataset yet. A map is a t-SNE run (crowdsift-cli tsne, or Compute map)."
                     " Maps of single classes are under Show.")
                : tr("No map of this class yet. A map is a t-SNE run (crowdsift-cli tsne --class, or Compute map)."));
    }
    empty_->setVisible(runBox_->count() == 0 && document_->hasDataset());
}

void MapPage::showClass(int label)
{
    shownClass_ = label;
    const int row = classBox_->findData(label);
    if (row >= 0)
        classBox_->setCurrentIndex(row);
    fillRunBox();
    if (runBox_->count() > 0) {
        onRunChosen();
    } else {
        ++loadTicket_;
        loadingRun_ = 0;
        shownRun_ = 0;
        map_->setPoints({}, {});
        updateStatus();
    }
}

void MapPage::onRunChosen()
{
    if (runBox_->count() == 0)
        return;
    const std::int64_t run = runBox_->currentData().toLongLong();
    if (run != shownRun_ || map_->model().isEmpty())
        showRun(run);
}

void MapPage::showRun(std::int64_t run)
{
    Project* project = document_->project();
    if (!project) {
        Q_EMIT mapFailed(run, tr("no project is open"));
        return;
    }
    const quint64 ticket = ++loadTicket_;
    loadingRun_ = run;
    updateStatus();
    const std::string path = project->path();
    const int itemCount = document_->dataset().itemCount();
    auto* watcher = new QFutureWatcher<LoadedMap>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, ticket, run] {
        watcher->deleteLater();
        if (ticket != loadTicket_)
            return;
        loadingRun_ = 0;
        const LoadedMap result = watcher->result();
        if (!result.run) {
            status_->setText(tr("Could not read map run %1: %2").arg(run).arg(result.error));
            Q_EMIT mapFailed(run, result.error);
            return;
        }
        shownRun_ = run;
        map_->setPoints(result.run->items, result.run->coords);
        map_->setHighlightedItems(highlight_);
        inspector_->setSelection(-1, {});
        recolour();
        updateStatus();
        Q_EMIT selectionChanged({});
        Q_EMIT mapLoaded(run);
    });
    watcher->setFuture(QtConcurrent::run([path, run, itemCount]() -> LoadedMap {
        try {
            const Project own = Project::open(path);
            return {std::make_shared<const TsneRun>(loadTsneRun(own, run, itemCount)), {}};
        } catch (const std::exception& e) {
            return {nullptr, QString::fromStdString(e.what())};
        }
    }));
}

MapPage::ColourBy MapPage::colourBy() const
{
    return static_cast<ColourBy>(colourBox_->currentData().toInt());
}

void MapPage::setColourBy(ColourBy mode, int oneClass)
{
    {
        const QSignalBlocker blocker(oneClassBox_);
        const int row = oneClassBox_->findData(oneClass);
        if (row >= 0)
            oneClassBox_->setCurrentIndex(row);
    }
    const int row = colourBox_->findData(static_cast<int>(mode));
    if (row == colourBox_->currentIndex())
        recolour();
    else
        colourBox_->setCurrentIndex(row);
}

void MapPage::recolour()
{
    const MapModel& model = map_->model();
    if (model.isEmpty())
        return;
    const Dataset& dataset = document_->dataset();
    const ReviewQuery& query = review_->query();
    const bool hasRun = query.itemCount() == dataset.itemCount() && query.itemCount() > 0;
    const std::vector<int>* labels = hasRun ? &query.evidence().labels : nullptr;
    std::vector<std::uint8_t> classes(static_cast<std::size_t>(model.size()), 0);
    QVector<QColor> palette;
    QVector<MapLegendEntry> legend;
    auto consensusOf = [&](std::int32_t item) { return labels ? (*labels)[static_cast<std::size_t>(item)] : -1; };

    switch (colourBy()) {
    case ColourBy::Triage: {
        const std::vector<Triage>& categories = review_->categories();
        palette = {kNone};
        for (Triage triage : {Triage::Easy, Triage::NeedReview, Triage::Hard})
            palette.push_back(ThumbnailDelegate::triageColor(triage));
        legend = {{palette[1], tr("Easy")}, {palette[2], tr("Need review")}, {palette[3], tr("Hard")}};
        if (categories.size() == static_cast<std::size_t>(dataset.itemCount())) {
            for (int p = 0; p < model.size(); ++p)
                classes[static_cast<std::size_t>(p)]
                    = static_cast<std::uint8_t>(1 + static_cast<int>(categories[static_cast<std::size_t>(model.item(p))]));
        } else {
            legend = {{kNone, tr("No triage (no aggregation run)")}};
        }
        break;
    }
    case ColourBy::Consensus:
    case ColourBy::OneClass: {
        const int classCount = dataset.classCount();
        const bool one = colourBy() == ColourBy::OneClass;
        const int chosen = oneClassBox_->currentData().toInt();
        palette = {kNone};
        if (one) {
            palette.push_back(classColor(chosen));
            legend = {{palette[1], QString::fromStdString(dataset.classNames[static_cast<std::size_t>(chosen)])},
                      {kNone, tr("Every other class")}};
        } else {
            for (int label = 0; label < classCount && label < 255; ++label) {
                palette.push_back(classColor(label));
                legend.push_back({palette.back(), QString::fromStdString(dataset.classNames[static_cast<std::size_t>(label)])});
            }
            legend.push_back({kNone, tr("No consensus")});
        }
        for (int p = 0; p < model.size(); ++p) {
            const int label = consensusOf(model.item(p));
            if (one)
                classes[static_cast<std::size_t>(p)] = label == chosen ? 1 : 0;
            else if (label >= 0 && label < 255)
                classes[static_cast<std::size_t>(p)] = static_cast<std::uint8_t>(label + 1);
        }
        break;
    }
    case ColourBy::Decision: {
        palette = {kNone, QColor(0x2e, 0xa0, 0x43), QColor(0x1f, 0x6f, 0xd0)};
        legend = {{kNone, tr("Undecided")}, {palette[1], tr("Accepted")}, {palette[2], tr("Relabelled")}};
        const ReviewState& review = document_->reviewState();
        for (int p = 0; p < model.size(); ++p) {
            const ReviewKind kind = review.kindOf(model.item(p));
            classes[static_cast<std::size_t>(p)] = kind == ReviewKind::Accept ? 1 : kind == ReviewKind::Relabel ? 2 : 0;
        }
        break;
    }
    case ColourBy::Agreement: {
        // Low agreement on top.
        palette = {kNone, QColor(0x2e, 0xa0, 0x43), QColor(0xa6, 0xc8, 0x3c), QColor(0xf0, 0x8c, 0x00),
                   QColor(0xd0, 0x2f, 0x2f)};
        legend = {{palette[1], tr("All answers agree")}, {palette[2], tr("75% to 99%")}, {palette[3], tr("50% to 74%")},
                  {palette[4], tr("Under 50%")}, {kNone, tr("No consensus")}};
        if (hasRun) {
            const std::vector<double>& agreement = query.evidence().agreement;
            for (int p = 0; p < model.size(); ++p) {
                const double a = agreement[static_cast<std::size_t>(model.item(p))];
                classes[static_cast<std::size_t>(p)] = std::isnan(a) ? 0 : a >= 1.0 ? 1 : a >= 0.75 ? 2 : a >= 0.5 ? 3 : 4;
            }
        }
        break;
    }
    }
    map_->setColours(std::move(classes), std::move(palette), std::move(legend));
}

void MapPage::highlightItems(const QVector<int>& items)
{
    highlight_.assign(items.begin(), items.end());
    map_->setHighlightedItems(highlight_);
}

QVector<int> MapPage::selectedItems() const
{
    const std::vector<std::int32_t> items = map_->model().selectedItems();
    return QVector<int>(items.begin(), items.end());
}

void MapPage::onMapSelectionChanged()
{
    const QVector<int> items = selectedItems();
    reviewButton_->setEnabled(!items.isEmpty());
    const int current = inspector_->currentItem();
    inspector_->setSelection(items.contains(current) ? current : (items.isEmpty() ? -1 : items.front()), items);
    updateStatus();
    Q_EMIT selectionChanged(items);
}

void MapPage::onHover(int item)
{
    if (item >= 0 && item < thumbnails_->itemCount())
        thumbnails_->request({item});
}

QString MapPage::describe(std::int32_t item) const
{
    const Dataset& dataset = document_->dataset();
    if (item < 0 || item >= dataset.itemCount())
        return {};
    QString text = QString::fromStdString(dataset.itemKeys[static_cast<std::size_t>(item)]);
    const ReviewQuery& query = review_->query();
    if (query.itemCount() == dataset.itemCount()) {
        const int label = query.evidence().labels[static_cast<std::size_t>(item)];
        text += QLatin1Char('\n') + tr("Consensus: %1").arg(label >= 0 ? QString::fromStdString(dataset.classNames[static_cast<std::size_t>(label)])
                                                                       : tr("none"));
        const std::vector<Triage>& categories = review_->categories();
        if (categories.size() == static_cast<std::size_t>(dataset.itemCount())) {
            static const char* names[] = {QT_TR_NOOP("easy"), QT_TR_NOOP("need review"), QT_TR_NOOP("hard")};
            text += QLatin1Char('\n') + tr("Category: %1").arg(tr(names[static_cast<int>(categories[static_cast<std::size_t>(item)])]));
        }
    }
    const int decided = document_->reviewState().decidedLabelOf(item);
    if (decided >= 0)
        text += QLatin1Char('\n') + tr("Decided: %1").arg(QString::fromStdString(dataset.classNames[static_cast<std::size_t>(decided)]));
    return text;
}

void MapPage::updateStatus()
{
    if (isLoading()) {
        status_->setText(tr("Reading map run %1…").arg(loadingRun_));
        return;
    }
    const MapModel& model = map_->model();
    if (model.isEmpty()) {
        status_->clear();
        return;
    }
    status_->setText(tr("Run %1: %2 points · %3 selected · wheel zooms, drag pans, Shift+drag: rectangle, "
                        "Alt+drag: lasso, Esc clears")
                         .arg(shownRun_)
                         .arg(model.size())
                         .arg(model.selection().size()));
}

void MapPage::setRunner(std::function<RunJob*(const MapRequest&)> start)
{
    startMap_ = std::move(start);
    computeButton_->setEnabled(static_cast<bool>(startMap_));
    computeButton_->setToolTip(startMap_ ? tr("Compute a t-SNE map of what Show picks, in the background")
                                         : tr("The t-SNE engine is not part of this build"));
}

MapRequest MapPage::mapRequest() const
{
    MapRequest request;
    request.mappedClass = shownClass_;
    // Newest first, from the document's list of runs (no disk read).
    std::int64_t trajectory = review_->triageSource();
    std::int64_t embeddings = 0;
    for (const RunInfo& run : document_->runList()->runs()) {
        if (trajectory == 0 && run.kind == "data-parameters" && run.status == "done"
            && std::find(run.outputs.begin(), run.outputs.end(), "sigma_instance") != run.outputs.end())
            trajectory = run.id;
        if (embeddings == 0 && run.status == "done"
            && std::find(run.outputs.begin(), run.outputs.end(), "embeddings") != run.outputs.end())
            embeddings = run.id;
    }
    std::string input = inputBox_->currentData().toString().toStdString();
    if (input.empty()) {
        const bool features = document_->dataset().features.size() > 0;
        input = trajectory > 0 ? "trajectories" : embeddings > 0 ? "embeddings" : features ? "features" : "gist";
    }
    request.input = input;
    request.sourceRun = input == "trajectories" ? trajectory : input == "embeddings" ? embeddings : 0;
    return request;
}

void MapPage::computeMap()
{
    if (!startMap_)
        return;
    const MapRequest request = mapRequest();
    RunJob* job = startMap_(request);
    if (!job)
        return;
    status_->setText(tr("Computing a map (%1)… see the Jobs panel").arg(job->title()));
    connect(job, &RunJob::finished, this, [this, job, request](JobStatus status) {
        if (status != JobStatus::Finished) {
            status_->setText(status == JobStatus::Cancelled ? tr("The map was cancelled")
                                                            : tr("The map failed: %1").arg(job->error()));
            return;
        }
        // The document listed the run before this signal: show its class's maps with it.
        shownClass_ = request.mappedClass;
        fillClassBox();
        loadingRun_ = job->result().run;
        fillRunBox();
        showRun(job->result().run);
    });
}

void MapPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    recolour();
}

}  // namespace crowdsift
