#pragma once

// The Map tab's points without any widget (no Qt): the coordinates of a map run, one colour class
// per point, the selection and the points highlighted from the Review grid, a uniform grid index
// for hit tests, rectangle and lasso selection, and the viewport that maps data to screen. The
// MapWidget paints it; tests drive it headless.

#include <cstdint>
#include <vector>

namespace crowdsift {

struct MapRect {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // x0 <= x1, y0 <= y1
};

// Data (map) coordinates to screen pixels: screen = (x - centerX) * scale + width / 2, and y grows
// downwards on the screen, upwards on the map. Pan and zoom change only center and scale.
struct MapViewport {
    double centerX = 0, centerY = 0;
    double scale = 1;  // pixels per map unit
    int width = 1, height = 1;

    double screenX(double x) const { return (x - centerX) * scale + width * 0.5; }
    double screenY(double y) const { return height * 0.5 - (y - centerY) * scale; }
    double mapX(double sx) const { return (sx - width * 0.5) / scale + centerX; }
    double mapY(double sy) const { return (height * 0.5 - sy) / scale + centerY; }

    // Shows all of `bounds` with a margin of `margin` pixels on every side.
    void fit(const MapRect& bounds, int margin);
    // Multiplies the scale by `factor`, keeping the map point under screen (sx, sy) in place.
    void zoomAt(double sx, double sy, double factor);
    // Moves the map by (dx, dy) screen pixels (the content follows the mouse).
    void pan(double dx, double dy);
};

class MapModel {
public:
    enum class SelectMode { Replace, Add, Remove };

    // `items` (n dataset indices, any order, distinct) and `coords` (n x 2, row-major, finite) of a
    // map run. Builds the grid index (O(n)), clears the selection, the highlight and the colours.
    // Throws std::invalid_argument when coords is not n x 2 or holds a non-finite value.
    void setPoints(std::vector<std::int32_t> items, std::vector<float> coords);
    int size() const { return static_cast<int>(items_.size()); }
    bool isEmpty() const { return items_.empty(); }
    std::int32_t item(int point) const { return items_[static_cast<std::size_t>(point)]; }
    float x(int point) const { return coords_[2 * static_cast<std::size_t>(point)]; }
    float y(int point) const { return coords_[2 * static_cast<std::size_t>(point) + 1]; }
    const std::vector<std::int32_t>& items() const { return items_; }
    const std::vector<float>& coords() const { return coords_; }
    // The point showing dataset item `item`, -1 when the map has none.
    int pointOfItem(std::int32_t item) const;
    // The smallest rectangle holding every point (all zero without points).
    const MapRect& bounds() const { return bounds_; }

    // One colour class per point (n entries, each in [0, colourCount)). Painting goes class by class
    // in drawOrder(), so that a higher class lies on top. Throws std::invalid_argument on a bad
    // size or class.
    void setColours(std::vector<std::uint8_t> colours, int colourCount);
    std::uint8_t colour(int point) const { return colours_[static_cast<std::size_t>(point)]; }
    int colourCount() const { return colourCount_; }
    // Every point once, by colour class ascending, then by point.
    const std::vector<int>& drawOrder() const { return drawOrder_; }

    // Hit tests in map coordinates. The nearest point within `radius` of (x, y), -1 when none;
    // ties go to the lower point.
    int nearest(double x, double y, double radius) const;
    // The points inside `rect` (edges included), ascending.
    std::vector<int> pointsInRect(const MapRect& rect) const;
    // The points inside the closed polygon with vertices `xy` (m x 2, m >= 3; the last vertex
    // joins the first) by the even-odd rule, ascending. Only the grid cells under the polygon's
    // bounding box are visited.
    std::vector<int> pointsInPolygon(const std::vector<double>& xy) const;
    // The even-odd rule for one point (a point on an edge may fall either way).
    static bool insidePolygon(const std::vector<double>& xy, double x, double y);

    // The selection, ascending points.
    void select(const std::vector<int>& points, SelectMode mode = SelectMode::Replace);
    void selectItems(const std::vector<std::int32_t>& items);
    void clearSelection() { select({}); }
    const std::vector<int>& selection() const { return selection_; }
    bool isSelected(int point) const { return selected_[static_cast<std::size_t>(point)] != 0; }
    // The dataset items of the selection, ascending.
    std::vector<std::int32_t> selectedItems() const;

    // Points drawn highlighted: the items selected in the Review grid (those without a point are
    // ignored). Returns how many have a point.
    int setHighlightedItems(const std::vector<std::int32_t>& items);
    const std::vector<int>& highlighted() const { return highlighted_; }

    // The grid index, for tests: cells per side.
    int gridSide() const { return side_; }

private:
    int cellOf(double value, double origin, double cellSize) const;
    template <typename Visit>
    void visitCells(double x0, double y0, double x1, double y1, Visit visit) const;

    std::vector<std::int32_t> items_;
    std::vector<float> coords_;
    std::vector<std::int32_t> sortedItems_;  // items ascending
    std::vector<int> pointBySortedItem_;     // the point of sortedItems_[i]
    MapRect bounds_;
    int side_ = 1;
    double cellWidth_ = 1, cellHeight_ = 1;
    std::vector<int> cellStart_;  // side_^2 + 1 offsets into cellPoints_
    std::vector<int> cellPoints_;
    std::vector<std::uint8_t> colours_;
    int colourCount_ = 1;
    std::vector<int> drawOrder_;
    std::vector<int> selection_;
    std::vector<std::uint8_t> selected_;
    std::vector<int> highlighted_;
};

}  // namespace crowdsift
