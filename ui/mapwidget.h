#pragma once

#include "mapmodel.h"

#include <QColor>
#include <QImage>
#include <QPixmap>
#include <QPolygonF>
#include <QString>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <functional>
#include <vector>

namespace crowdsift {

// A colour class of the map and its name in the legend.
struct MapLegendEntry {
    QColor color;
    QString text;
};

// The scatter of a MapModel. Points are rasterised straight into a cached image, class by class
// (MapModel::drawOrder), with the selection drawn on top, outlined, and the points highlighted
// from the Review grid ringed; the cache is redrawn only when the view, the colours or the
// selection change, so a hover paints the cached image plus the hover card. Hit tests go
// through the model's grid index.
//
// Mouse: the wheel zooms at the cursor, a drag pans, Shift+drag selects a rectangle, Alt+drag,
// Ctrl+drag or a drag in lasso mode (setLassoMode) draws a lasso; a click selects the point under
// the cursor, on empty ground clears the selection. Keys: arrows pan, + / - zoom, 0 shows the
// whole map, Esc clears the selection. Hovering a point shows its thumbnail and the text
// setDescriber() gives for it.
class MapWidget : public QWidget {
    Q_OBJECT
public:
    explicit MapWidget(QWidget* parent = nullptr);

    const MapModel& model() const { return model_; }
    // A new map; the view shows all of it.
    void setPoints(std::vector<std::int32_t> items, std::vector<float> coords);
    // One class per point (MapModel::setColours) with `palette` (a colour per class) and the
    // legend (empty: no legend).
    void setColours(std::vector<std::uint8_t> classes, QVector<QColor> palette, QVector<MapLegendEntry> legend);
    const QVector<MapLegendEntry>& legend() const { return legend_; }
    QColor paletteColor(int colourClass) const { return palette_.value(colourClass); }

    // Selection in screen coordinates (widget pixels), as the mouse makes it; emits
    // selectionChanged.
    void selectRect(const QRectF& rect, MapModel::SelectMode mode = MapModel::SelectMode::Replace);
    void selectLasso(const QPolygonF& polygon, MapModel::SelectMode mode = MapModel::SelectMode::Replace);
    // Selects the points of `items` (others ignored); emits selectionChanged.
    void selectItems(const std::vector<std::int32_t>& items);
    void clearSelection();
    // The items selected in the Review grid, ringed; no signal.
    void setHighlightedItems(const std::vector<std::int32_t>& items);

    // The point under screen position `pos` (within a few pixels), -1 when none.
    int pointAt(const QPointF& pos) const;
    QPointF screenPosition(int point) const;

    const MapViewport& viewport() const { return view_; }
    void resetView();
    void zoomBy(double factor);
    void panBy(double dx, double dy);
    void setLassoMode(bool on) { lassoMode_ = on; }
    bool lassoMode() const { return lassoMode_; }

    // What the hover card says about an item, and its thumbnail (null: none yet).
    void setDescriber(std::function<QString(std::int32_t item)> describe) { describe_ = std::move(describe); }
    void setThumbnailSource(std::function<QPixmap(std::int32_t item)> thumbnail) { thumbnail_ = std::move(thumbnail); }
    // The hover card's text for `item`.
    QString description(std::int32_t item) const { return describe_ ? describe_(item) : QString::number(item); }
    // The hovered point, -1 when none; setHoveredPoint is what the mouse does.
    int hoveredPoint() const { return hovered_; }
    void setHoveredPoint(int point);
    // Repaints the hover card (its thumbnail arrived).
    void refreshHover() { update(); }

    // Bytes of the cached image.
    std::size_t cacheBytes() const { return static_cast<std::size_t>(cache_.sizeInBytes()); }

Q_SIGNALS:
    void selectionChanged();
    // The hovered item, -1 when none.
    void hoveredItemChanged(int item);
    // A click on a point: the item the inspector should show.
    void pointClicked(int item);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    enum class Drag { None, Pan, Rect, Lasso };

    void invalidate();
    void rasterise();
    void drawLegend(QPainter& painter) const;
    void drawHoverCard(QPainter& painter);
    QPolygonF lassoPolygon() const;

    MapModel model_;
    MapViewport view_;
    bool viewSet_ = false;
    bool fitted_ = true;  // the view shows the whole map and follows resizes until panned or zoomed
    QVector<QColor> palette_;
    QVector<MapLegendEntry> legend_;
    QImage cache_;
    bool dirty_ = true;
    int hovered_ = -1;
    bool lassoMode_ = false;
    Drag drag_ = Drag::None;
    QPointF pressPos_;
    QPointF lastPos_;
    bool moved_ = false;
    QVector<QPointF> lasso_;
    std::function<QString(std::int32_t)> describe_;
    std::function<QPixmap(std::int32_t)> thumbnail_;
};

}  // namespace crowdsift
