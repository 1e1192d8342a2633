#include "inspectorpanel.h"
#include "jobmanager.h"
#include "mapjob.h"
#include "runjob.h"
#include "mainwindow.h"
#include "mapmodel.h"
#include "mappage.h"
#include "mapwidget.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "thumbnaildelegate.h"
#include "thumbnailgridmodel.h"

#include "demo_project.h"

#include "aggregate/result.h"
#include "project/run_service.h"
#include "project/tsne_runs.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QUndoStack>
#include <QListView>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

using namespace crowdsift;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kDemoItems = 300;
constexpr std::array<Triage, 3> kBands{Triage::Easy, Triage::NeedReview, Triage::Hard};

// Points on a 20 x 20 lattice at (i + dx, j + dy).
MapModel lattice(double dx, double dy)
{
    std::vector<std::int32_t> items;
    std::vector<float> coords;
    for (int j = 0; j < 20; ++j) {
        for (int i = 0; i < 20; ++i) {
            items.push_back(static_cast<std::int32_t>(1000 + j * 20 + i));
            coords.push_back(static_cast<float>(i + dx));
            coords.push_back(static_cast<float>(j + dy));
        }
    }
    MapModel model;
    model.setPoints(std::move(items), std::move(coords));
    return model;
}

template <typename Keep>
std::vector<int> pointsWhere(const MapModel& model, Keep keep)
{
    std::vector<int> points;
    for (int p = 0; p < model.size(); ++p) {
        if (keep(double(model.x(p)), double(model.y(p))))
            points.push_back(p);
    }
    return points;
}

std::vector<int> shownItems(const ReviewPage& page)
{
    std::vector<int> items;
    for (Triage triage : kBands) {
        const std::vector<int>& band = page.bandModel(triage)->items();
        items.insert(items.end(), band.begin(), band.end());
    }
    std::sort(items.begin(), items.end());
    return items;
}

// A tsne run of `items` at `coords`, as the engine stores one.
std::int64_t storeMap(const QString& path, const std::vector<std::int32_t>& items, const std::vector<float>& coords,
                      int mappedClass)
{
    Project project = Project::open(path.toStdString());
    const nlohmann::json params{{"input", "features"}, {"source_run", 0}, {"class", mappedClass}};
    return recordRun(project, "tsne", params, "tsne", [&](std::int64_t run) {
        writeTsneOutputs(project, run, items, coords, {2.0, 1.0}, {0, 50});
        return nlohmann::json{{"points", items.size()}};
    });
}

void sendMouse(QWidget* widget, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons,
               Qt::KeyboardModifiers modifiers)
{
    QMouseEvent event(type, pos, widget->mapToGlobal(pos), button, buttons, modifiers);
    QApplication::sendEvent(widget, &event);
}

// Drags the left button through `path` with `modifiers`.
void drag(QWidget* widget, const QVector<QPointF>& path, Qt::KeyboardModifiers modifiers)
{
    sendMouse(widget, QEvent::MouseButtonPress, path.front(), Qt::LeftButton, Qt::LeftButton, modifiers);
    for (int i = 1; i < path.size(); ++i)
        sendMouse(widget, QEvent::MouseMove, path[i], Qt::NoButton, Qt::LeftButton, modifiers);
    sendMouse(widget, QEvent::MouseButtonRelease, path.back(), Qt::LeftButton, Qt::NoButton, modifiers);
}

}  // namespace

class TestMap : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    Dataset dataset_;
    QString projectPath_;
    std::vector<int> consensus_;
    std::int64_t wholeMap_ = 0;
    std::int64_t classMap_ = 0;
    std::vector<std::int32_t> classItems_;

    void openWindow(MainWindow& window);

private Q_SLOTS:
    void initTestCase();
    void lassoPicksExactlyThePointsInsideAPolygon();
    void selfIntersectingLassoFollowsTheEvenOddRule();
    void indexAgreesWithAScanOfEveryPoint();
    void rectangleAndNearest();
    void zoomKeepsThePointUnderTheCursor();
    void badCoordinatesAreRefused();
    void lassoDrawnWithTheMouse();
    void keysPanZoomResetAndClear();
    void gridAndMapSelectionsStayLinked();
    void classPickerShowsOneClassMap();
    void computeMapRecordsAndShowsARun();
    void coloursFollowTheReview();
    void hoverDescribesThePoint();
};

void TestMap::initTestCase()
{
    QVERIFY(dir_.isValid());
    dataset_ = testing::readSmallDemo(dir_.path() + "/demo", kDemoItems);
    projectPath_ = dir_.path() + "/map.csift";
    testing::createDawidSkeneProject(projectPath_, dataset_);
    consensus_ = aggregate("ds", dataset_, nlohmann::json::object(), Progress::none()).labels;

    // Blobs: each item near its consensus class's centre on a circle (what a t-SNE of good
    // features looks like); every item mapped.
    std::mt19937 random(7);
    std::normal_distribution<float> noise(0.0f, 0.6f);
    std::vector<std::int32_t> items;
    std::vector<float> coords;
    const int classes = dataset_.classCount();
    for (int item = 0; item < kDemoItems; ++item) {
        const int label = std::max(0, consensus_[static_cast<std::size_t>(item)]);
        const double angle = 2 * M_PI * label / classes;
        items.push_back(item);
        coords.push_back(static_cast<float>(10 * std::cos(angle)) + noise(random));
        coords.push_back(static_cast<float>(10 * std::sin(angle)) + noise(random));
    }
    wholeMap_ = storeMap(projectPath_, items, coords, -1);

    // Class 3's own map: its consensus items on a line.
    std::vector<float> line;
    for (int item = 0; item < kDemoItems; ++item) {
        if (consensus_[static_cast<std::size_t>(item)] == 3) {
            classItems_.push_back(item);
            line.push_back(static_cast<float>(classItems_.size()));
            line.push_back(static_cast<float>(item % 7));
        }
    }
    QVERIFY(classItems_.size() > 5);
    classMap_ = storeMap(projectPath_, classItems_, line, 3);
}

void TestMap::openWindow(MainWindow& window)
{
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    QSignalSpy mapLoaded(window.mapPage(), &MapPage::mapLoaded);
    window.openPath(projectPath_);
    QVERIFY(loaded.wait(kTimeoutMs));
    if (mapLoaded.isEmpty())
        QVERIFY(mapLoaded.wait(kTimeoutMs));
    QCOMPARE(mapLoaded.back().front().value<std::int64_t>(), wholeMap_);
    window.resize(1400, 900);
    window.showPage(MainWindow::Page::Map);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
}

void TestMap::lassoPicksExactlyThePointsInsideAPolygon()
{
    // A U-shaped (concave) lasso over the lattice at half-integers: no point lies on an edge, so
    // inside is the U's area: the square (2, 12)^2 without the notch (6, 8) x (6, 12).
    const MapModel model = lattice(0.5, 0.5);
    const std::vector<double> u{2, 2, 12, 2, 12, 12, 8, 12, 8, 6, 6, 6, 6, 12, 2, 12};
    const std::vector<int> expected = pointsWhere(model, [](double x, double y) {
        return x > 2 && x < 12 && y > 2 && y < 12 && !(x > 6 && x < 8 && y > 6);
    });
    QCOMPARE(static_cast<int>(expected.size()), 100 - 12);
    QCOMPARE(model.pointsInPolygon(u), expected);
    // The same polygon walked the other way round.
    std::vector<double> reversed;
    for (std::size_t i = u.size(); i >= 2; i -= 2) {
        reversed.push_back(u[i - 2]);
        reversed.push_back(u[i - 1]);
    }
    QCOMPARE(model.pointsInPolygon(reversed), expected);
    // Fewer than three vertices select nothing.
    QVERIFY(model.pointsInPolygon({0, 0, 20, 20}).empty());
}

void TestMap::selfIntersectingLassoFollowsTheEvenOddRule()
{
    // A bow tie: its two triangles |y - 5| < |x - 5| are inside, the crossing's wedges not. At
    // x = i + 0.25, y = j + 0.5 no point lies on a diagonal.
    const MapModel model = lattice(0.25, 0.5);
    const std::vector<double> bowTie{0, 0, 10, 10, 10, 0, 0, 10};
    const std::vector<int> expected
        = pointsWhere(model, [](double x, double y) { return x > 0 && x < 10 && std::abs(y - 5) < std::abs(x - 5); });
    QVERIFY(!expected.empty());
    QCOMPARE(model.pointsInPolygon(bowTie), expected);
}

void TestMap::indexAgreesWithAScanOfEveryPoint()
{
    // Clustered random points: many in few cells, a few far away.
    std::mt19937 random(11);
    std::normal_distribution<float> near(0.0f, 1.0f);
    std::uniform_real_distribution<float> far(-50.0f, 50.0f);
    std::vector<std::int32_t> items;
    std::vector<float> coords;
    for (int p = 0; p < 20000; ++p) {
        items.push_back(p);
        coords.push_back(p % 10 == 0 ? far(random) : near(random));
        coords.push_back(p % 10 == 0 ? far(random) : near(random));
    }
    MapModel model;
    model.setPoints(items, coords);
    QVERIFY(model.gridSide() > 10);
    const std::vector<std::vector<double>> polygons{
        {-1, -1, 2, -1.5, 0.5, 0.2, 2.5, 2, -1.2, 1.5},
        {-60, -60, 60, -60, 60, 60, -60, 60},
        {-30, 0, 0, 30, 30, 0, 0, -30, -20, 0, 0, 20, 20, 0, 0, -20, -30, 0}};  // a ring, twice round
    for (const std::vector<double>& polygon : polygons) {
        const std::vector<int> expected = pointsWhere(
            model, [&](double x, double y) { return MapModel::insidePolygon(polygon, x, y); });
        QCOMPARE(model.pointsInPolygon(polygon), expected);
    }
    const MapRect rect{-0.5f, -2.0f, 1.5f, 0.25f};
    QCOMPARE(model.pointsInRect(rect), pointsWhere(model, [&](double x, double y) {
                 return x >= rect.x0 && x <= rect.x1 && y >= rect.y0 && y <= rect.y1;
             }));
    for (const auto& at : {std::array<double, 2>{0.1, 0.2}, std::array<double, 2>{30, -12}}) {
        int best = -1;
        double bestDistance = 0.5 * 0.5;
        for (int p = 0; p < model.size(); ++p) {
            const double d = std::pow(model.x(p) - at[0], 2) + std::pow(model.y(p) - at[1], 2);
            if (d < bestDistance) {
                best = p;
                bestDistance = d;
            }
        }
        QCOMPARE(model.nearest(at[0], at[1], 0.5), best);
    }
}

void TestMap::rectangleAndNearest()
{
    MapModel model = lattice(0, 0);
    // Edges included: x in [3, 5], y in [10, 11] holds 3 x 2 points.
    const std::vector<int> inRect = model.pointsInRect({3, 10, 5, 11});
    QCOMPARE(static_cast<int>(inRect.size()), 6);
    QCOMPARE(inRect.front(), 10 * 20 + 3);
    QCOMPARE(model.nearest(7.2, 3.9, 0.5), 4 * 20 + 7);
    QCOMPARE(model.nearest(7.5, 3.5, 0.5), -1);  // 0.707 from the nearest
    QCOMPARE(model.pointOfItem(1000 + 5 * 20 + 6), 5 * 20 + 6);
    QCOMPARE(model.pointOfItem(7), -1);

    model.select(inRect);
    QCOMPARE(model.selectedItems(), (std::vector<std::int32_t>{1203, 1204, 1205, 1223, 1224, 1225}));
    model.select({10 * 20 + 3}, MapModel::SelectMode::Remove);
    QCOMPARE(model.selection().size(), std::size_t(5));
    model.select({0}, MapModel::SelectMode::Add);
    QCOMPARE(model.selection().front(), 0);
    QCOMPARE(model.setHighlightedItems({1000, 1000, 5, 1399}), 2);
    QCOMPARE(model.highlighted(), (std::vector<int>{0, 399}));
}

void TestMap::zoomKeepsThePointUnderTheCursor()
{
    MapViewport view;
    view.width = 400;
    view.height = 300;
    view.fit({0, 0, 10, 20}, 10);
    QCOMPARE(view.scale, 14.0);  // (300 - 20) / 20
    QCOMPARE(view.screenX(5), 200.0);
    QCOMPARE(view.screenY(20), 10.0);  // the top of the map at the top margin
    const double mx = view.mapX(100), my = view.mapY(50);
    view.zoomAt(100, 50, 2.5);
    QCOMPARE(view.scale, 35.0);
    QVERIFY(std::abs(view.screenX(mx) - 100) < 1e-9);
    QVERIFY(std::abs(view.screenY(my) - 50) < 1e-9);
    view.pan(35, -70);
    QVERIFY(std::abs(view.screenX(mx) - 135) < 1e-9);
    QVERIFY(std::abs(view.screenY(my) + 20) < 1e-9);
}

void TestMap::badCoordinatesAreRefused()
{
    MapModel model;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.setPoints({1, 2}, {0, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.setPoints({1}, {0, NAN}));
    model.setPoints({1, 2}, {0, 0, 1, 1});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model.setColours({0, 3}, 3));
    model.setColours({2, 0}, 3);
    QCOMPARE(model.drawOrder(), (std::vector<int>{1, 0}));
}

void TestMap::lassoDrawnWithTheMouse()
{
    MapWidget widget;
    MapModel reference = lattice(0.5, 0.5);
    widget.setPoints(reference.items(), reference.coords());
    widget.resize(420, 420);
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    widget.resetView();
    const MapViewport& view = widget.viewport();
    // The U of the headless case, drawn in screen pixels with Alt held.
    const std::vector<double> u{2, 2, 12, 2, 12, 12, 8, 12, 8, 6, 6, 6, 6, 12, 2, 12};
    QVector<QPointF> path;
    for (std::size_t i = 0; i < u.size(); i += 2)
        path.push_back({view.screenX(u[i]), view.screenY(u[i + 1])});
    QSignalSpy changed(&widget, &MapWidget::selectionChanged);
    drag(&widget, path, Qt::AltModifier);
    QCOMPARE(changed.count(), 1);
    const std::vector<int> expected = pointsWhere(reference, [](double x, double y) {
        return x > 2 && x < 12 && y > 2 && y < 12 && !(x > 6 && x < 8 && y > 6);
    });
    QCOMPARE(widget.model().selection(), expected);

    // Lasso mode without a modifier; a plain drag pans instead and keeps the selection.
    widget.setLassoMode(true);
    drag(&widget, {{view.screenX(0.1), view.screenY(0.1)}, {view.screenX(1.9), view.screenY(0.1)},
                   {view.screenX(1.9), view.screenY(1.9)}, {view.screenX(0.1), view.screenY(1.9)}},
         Qt::NoModifier);
    QCOMPARE(widget.model().selection(), (std::vector<int>{0, 1, 20, 21}));
    widget.setLassoMode(false);
    const double before = view.centerX;
    drag(&widget, {{200, 200}, {230, 200}, {260, 200}}, Qt::NoModifier);
    QCOMPARE(widget.model().selection().size(), std::size_t(4));
    QVERIFY(std::abs(view.centerX - (before - 60 / view.scale)) < 1e-9);

    // Shift+drag: a rectangle over x in (4, 6), y in (4, 5): 2 x 1 points.
    drag(&widget, {{view.screenX(4), view.screenY(4)}, {view.screenX(6), view.screenY(5)}}, Qt::ShiftModifier);
    QCOMPARE(widget.model().selectedItems(), (std::vector<std::int32_t>{1000 + 4 * 20 + 4, 1000 + 4 * 20 + 5}));
    // A click on a point selects it alone; on empty ground clears.
    const QPointF onPoint(view.screenX(10.5), view.screenY(3.5));
    QSignalSpy clicked(&widget, &MapWidget::pointClicked);
    QTest::mouseClick(&widget, Qt::LeftButton, Qt::NoModifier, onPoint.toPoint());
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.front().front().toInt(), 1000 + 3 * 20 + 10);
    QCOMPARE(widget.model().selection(), (std::vector<int>{3 * 20 + 10}));
    QTest::mouseClick(&widget, Qt::LeftButton, Qt::NoModifier, QPoint(3, 3));
    QVERIFY(widget.model().selection().empty());
}

void TestMap::keysPanZoomResetAndClear()
{
    MapWidget widget;
    MapModel reference = lattice(0, 0);
    widget.setPoints(reference.items(), reference.coords());
    widget.resize(400, 400);
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    widget.resetView();
    const MapViewport start = widget.viewport();
    QTest::keyClick(&widget, Qt::Key_Plus);
    QVERIFY(std::abs(widget.viewport().scale - start.scale * 1.25) < 1e-9);
    QTest::keyClick(&widget, Qt::Key_Minus);
    QVERIFY(std::abs(widget.viewport().scale - start.scale) < 1e-9);
    QTest::keyClick(&widget, Qt::Key_Right);
    QVERIFY(widget.viewport().centerX > start.centerX);  // the view moves right over the map
    QTest::keyClick(&widget, Qt::Key_Up);
    QVERIFY(widget.viewport().centerY > start.centerY);
    QTest::keyClick(&widget, Qt::Key_0);
    QCOMPARE(widget.viewport().centerX, start.centerX);
    QCOMPARE(widget.viewport().scale, start.scale);
    widget.selectItems({1000, 1001});
    QCOMPARE(widget.model().selection().size(), std::size_t(2));
    QTest::keyClick(&widget, Qt::Key_Escape);
    QVERIFY(widget.model().selection().empty());
    // Wheel: one notch in at a point keeps that point in place.
    const QPointF at(100, 300);
    const double mx = widget.viewport().mapX(at.x());
    QWheelEvent wheel(at, widget.mapToGlobal(at), {}, {0, 120}, Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&widget, &wheel);
    QVERIFY(std::abs(widget.viewport().scale - start.scale * 1.25) < 1e-9);
    QVERIFY(std::abs(widget.viewport().screenX(mx) - at.x()) < 1e-9);
}

void TestMap::gridAndMapSelectionsStayLinked()
{
    MainWindow window;
    openWindow(window);
    MapPage* page = window.mapPage();
    ReviewPage* review = window.reviewPage();
    MapWidget* map = page->map();
    QCOMPARE(page->shownRun(), wholeMap_);
    QCOMPARE(map->model().size(), kDemoItems);

    // A rectangle around class 0's blob (centre (10, 0)).
    const MapViewport& view = map->viewport();
    QSignalSpy selected(page, &MapPage::selectionChanged);
    map->selectRect(QRectF(QPointF(view.screenX(7), view.screenY(3)), QPointF(view.screenX(13), view.screenY(-3))));
    QCOMPARE(selected.count(), 1);
    std::vector<int> expected;
    for (int p = 0; p < map->model().size(); ++p) {
        if (std::abs(map->model().x(p) - 10) <= 3 && std::abs(map->model().y(p)) <= 3)
            expected.push_back(map->model().item(p));
    }
    std::sort(expected.begin(), expected.end());
    QVERIFY(expected.size() > 5);
    const QVector<int> items = page->selectedItems();
    QCOMPARE(std::vector<int>(items.begin(), items.end()), expected);
    // The Review grid shows exactly them, the inspectors the first.
    QVERIFY(review->hasItemFilter());
    QCOMPARE(shownItems(*review), expected);
    QCOMPARE(page->inspector()->currentItem(), expected.front());
    QCOMPARE(page->inspector()->selection(), items);

    // Selecting tiles in the grid rings their points on the map.
    window.showPage(MainWindow::Page::Review);
    QListView* band = nullptr;
    for (Triage triage : kBands) {
        if (review->bandModel(triage)->rowCount() >= 2)
            band = review->band(triage);
    }
    QVERIFY(band);
    band->selectionModel()->select(QItemSelection(band->model()->index(0, 0), band->model()->index(1, 0)),
                                   QItemSelectionModel::ClearAndSelect);
    std::vector<int> tiles{band->model()->index(0, 0).data(ThumbnailGridModel::ItemRole).toInt(),
                           band->model()->index(1, 0).data(ThumbnailGridModel::ItemRole).toInt()};
    std::sort(tiles.begin(), tiles.end());
    std::vector<int> ringed;
    for (int p : map->model().highlighted())
        ringed.push_back(map->model().item(p));
    QCOMPARE(ringed, tiles);
    // The map's own selection stays.
    QCOMPARE(page->selectedItems(), items);

    // "Show in Review" switches to the grid; clearing the map's selection lifts its filter.
    window.showPage(MainWindow::Page::Map);
    QTest::mouseClick(page->findChild<QPushButton*>(QStringLiteral("mapShowInReview")), Qt::LeftButton);
    QCOMPARE(window.findChild<QTabWidget*>(QStringLiteral("pages"))->currentWidget(), static_cast<QWidget*>(review));
    window.showPage(MainWindow::Page::Map);
    map->setFocus();
    QTest::keyClick(map, Qt::Key_Escape);
    QVERIFY(page->selectedItems().isEmpty());
    QVERIFY(!review->hasItemFilter());
    QCOMPARE(static_cast<int>(shownItems(*review).size()), kDemoItems);
}

void TestMap::classPickerShowsOneClassMap()
{
    MainWindow window;
    openWindow(window);
    MapPage* page = window.mapPage();
    QSignalSpy mapLoaded(page, &MapPage::mapLoaded);
    page->showClass(3);
    QVERIFY(mapLoaded.wait(kTimeoutMs));
    QCOMPARE(page->shownRun(), classMap_);
    QCOMPARE(page->map()->model().items(), classItems_);
    QCOMPARE(page->classBox()->currentData().toInt(), 3);
    QCOMPARE(page->runBox()->count(), 1);
    // A class without a map shows none, and says so.
    page->showClass(4);
    QCOMPARE(page->runBox()->count(), 0);
    QVERIFY(page->map()->model().isEmpty());
    QVERIFY(page->classBox()->currentText().endsWith(QStringLiteral("(no map)")));
    page->showClass(-1);
    QVERIFY(mapLoaded.wait(kTimeoutMs));
    QCOMPARE(page->shownRun(), wholeMap_);
    QCOMPARE(page->mapRequest().mappedClass, -1);
    // Automatic input: the demo has no data-parameters run, no embeddings and no feature vectors,
    // so the cached GIST features; a chosen input is asked for as chosen.
    QCOMPARE(page->mapRequest().input, std::string("gist"));
    page->inputBox()->setCurrentIndex(page->inputBox()->findData(QStringLiteral("features")));
    QCOMPARE(page->mapRequest().input, std::string("features"));
    QCOMPARE(page->mapRequest().sourceRun, std::int64_t(0));
    // The main window wires the t-SNE engine: Compute map is on; another runner takes its place.
    QVERIFY(page->computeButton()->isEnabled());
    std::vector<MapRequest> requests;
    page->setRunner([&](const MapRequest& request) -> RunJob* {
        requests.push_back(request);
        return nullptr;
    });
    page->showClass(3);
    QTest::mouseClick(page->computeButton(), Qt::LeftButton);
    QCOMPARE(requests.size(), std::size_t(1));
    QCOMPARE(requests.front().mappedClass, 3);
}

void TestMap::computeMapRecordsAndShowsARun()
{
    // A copy: the run added here must not change the other cases' project.
    const QString path = dir_.path() + "/compute.csift";
    QVERIFY(QFile::copy(projectPath_, path));
    MainWindow window;
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    window.openPath(path);
    QVERIFY(loaded.wait(kTimeoutMs));
    MapPage* page = window.mapPage();
    // An engine computed here: class 5's consensus items on a spiral.
    std::vector<MapRequest> asked;
    const MapEngine engine = [&](const Project&, const Dataset& dataset, const MapRequest& request, Progress&) {
        asked.push_back(request);
        MapResult result;
        for (int item = 0; item < dataset.itemCount(); ++item) {
            if (consensus_[static_cast<std::size_t>(item)] != request.mappedClass)
                continue;
            const double t = 0.3 * static_cast<double>(result.items.size());
            result.items.push_back(item);
            result.coords.push_back(static_cast<float>(t * std::cos(t)));
            result.coords.push_back(static_cast<float>(t * std::sin(t)));
        }
        result.kl = {3.0, 1.5};
        result.klIteration = {0, 100};
        return result;
    };
    page->setRunner([&](const MapRequest& request) {
        MapRequest withSettings = request;
        withSettings.settings = {{"perplexity", 30}};
        return startMapJob(window.document(), window.jobManager(), withSettings, engine);
    });
    QVERIFY(page->computeButton()->isEnabled());
    page->inputBox()->setCurrentIndex(page->inputBox()->findData(QStringLiteral("features")));
    page->showClass(5);
    QSignalSpy mapLoaded(page, &MapPage::mapLoaded);
    QTest::mouseClick(page->computeButton(), Qt::LeftButton);
    QVERIFY(mapLoaded.wait(kTimeoutMs));
    QCOMPARE(asked.size(), std::size_t(1));
    QCOMPARE(asked.front().mappedClass, 5);
    QCOMPARE(asked.front().input, std::string("features"));
    const std::int64_t run = mapLoaded.front().front().value<std::int64_t>();
    QCOMPARE(page->shownRun(), run);
    QCOMPARE(page->classBox()->currentData().toInt(), 5);
    const RunInfo info = window.document()->project()->run(run);
    QCOMPARE(info.kind, std::string("tsne"));
    QCOMPARE(info.params.value("class", -9), 5);
    QCOMPARE(info.params.value("perplexity", 0), 30);
    const TsneRun stored = loadTsneRun(*window.document()->project(), run, kDemoItems);
    QCOMPARE(stored.items, page->map()->model().items());
    QCOMPARE(stored.kl, (std::vector<double>{3.0, 1.5}));
    for (std::int32_t item : stored.items)
        QCOMPARE(consensus_[static_cast<std::size_t>(item)], 5);
}

void TestMap::coloursFollowTheReview()
{
    MainWindow window;
    openWindow(window);
    MapPage* page = window.mapPage();
    MapWidget* map = page->map();
    const std::vector<Triage>& categories = window.reviewPage()->categories();
    QCOMPARE(static_cast<int>(categories.size()), kDemoItems);
    // Triage: the Review grid's border colours.
    page->setColourBy(MapPage::ColourBy::Triage);
    for (int p = 0; p < map->model().size(); ++p)
        QCOMPARE(map->paletteColor(map->model().colour(p)),
                 ThumbnailDelegate::triageColor(categories[static_cast<std::size_t>(map->model().item(p))]));
    QCOMPARE(map->legend().size(), 3);
    // Consensus label: one colour per class; one class against the rest: two.
    page->setColourBy(MapPage::ColourBy::Consensus);
    for (int p = 0; p < map->model().size(); ++p)
        QCOMPARE(static_cast<int>(map->model().colour(p)), consensus_[static_cast<std::size_t>(map->model().item(p))] + 1);
    page->setColourBy(MapPage::ColourBy::OneClass, 2);
    for (int p = 0; p < map->model().size(); ++p)
        QCOMPARE(map->model().colour(p) == 1, consensus_[static_cast<std::size_t>(map->model().item(p))] == 2);
    // Decision: a relabel turns its point blue-class at once.
    page->setColourBy(MapPage::ColourBy::Decision);
    const int item = 17;
    QCOMPARE(static_cast<int>(map->model().colour(map->model().pointOfItem(item))), 0);
    window.document()->relabel({item}, 1);
    QCOMPARE(static_cast<int>(map->model().colour(map->model().pointOfItem(item))), 2);
    window.document()->undoStack()->undo();
    QCOMPARE(static_cast<int>(map->model().colour(map->model().pointOfItem(item))), 0);
    // Agreement: all agree is class 1, no consensus class 0.
    page->setColourBy(MapPage::ColourBy::Agreement);
    const std::vector<double>& agreement = window.reviewPage()->query().evidence().agreement;
    for (int p = 0; p < map->model().size(); ++p) {
        const double a = agreement[static_cast<std::size_t>(map->model().item(p))];
        const int expected = std::isnan(a) ? 0 : a >= 1 ? 1 : a >= 0.75 ? 2 : a >= 0.5 ? 3 : 4;
        QCOMPARE(static_cast<int>(map->model().colour(p)), expected);
    }
}

void TestMap::hoverDescribesThePoint()
{
    MainWindow window;
    openWindow(window);
    MapWidget* map = window.mapPage()->map();
    const int point = 5;
    const QPointF at = map->screenPosition(point);
    QSignalSpy hovered(map, &MapWidget::hoveredItemChanged);
    sendMouse(map, QEvent::MouseMove, at, Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QVERIFY(map->hoveredPoint() >= 0);
    const int item = map->model().item(map->hoveredPoint());
    QVERIFY(QLineF(map->screenPosition(map->hoveredPoint()), at).length() <= 6.0);
    QCOMPARE(hovered.back().front().toInt(), item);
    const QString text = map->description(item);
    const int label = consensus_[static_cast<std::size_t>(item)];
    QVERIFY(text.startsWith(QString::fromStdString(dataset_.itemKeys[static_cast<std::size_t>(item)])));
    QVERIFY(text.contains(QStringLiteral("Consensus: %1").arg(QString::fromStdString(dataset_.classNames[static_cast<std::size_t>(label)]))));
    const Triage category = window.reviewPage()->categories()[static_cast<std::size_t>(item)];
    QVERIFY(text.contains(category == Triage::Easy ? QStringLiteral("Category: easy")
                          : category == Triage::Hard ? QStringLiteral("Category: hard")
                                                     : QStringLiteral("Category: need review")));
    // The card is painted from the cached points: grab the widget to paint it.
    QVERIFY(!map->grab().isNull());
    QCOMPARE(window.mapPage()->findChild<QLabel*>(QStringLiteral("mapStatus"))->text().startsWith(
                 QStringLiteral("Run %1: %2 points").arg(wholeMap_).arg(kDemoItems)),
             true);
    sendMouse(map, QEvent::MouseMove, QPointF(2, 2), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCOMPARE(map->hoveredPoint(), -1);
    QCOMPARE(hovered.back().front().toInt(), -1);
}

QTEST_MAIN(TestMap)
#include "test_map.moc"
