#include "mapmodel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace crowdsift {

void MapViewport::fit(const MapRect& bounds, int margin)
{
    centerX = 0.5 * (double(bounds.x0) + bounds.x1);
    centerY = 0.5 * (double(bounds.y0) + bounds.y1);
    const double w = std::max(1, width - 2 * margin);
    const double h = std::max(1, height - 2 * margin);
    const double spanX = double(bounds.x1) - bounds.x0;
    const double spanY = double(bounds.y1) - bounds.y0;
    if (spanX <= 0 && spanY <= 0)
        scale = 1;
    else if (spanX <= 0)
        scale = h / spanY;
    else if (spanY <= 0)
        scale = w / spanX;
    else
        scale = std::min(w / spanX, h / spanY);
}

void MapViewport::zoomAt(double sx, double sy, double factor)
{
    const double mx = mapX(sx);
    const double my = mapY(sy);
    scale *= factor;
    // Keep (mx, my) at (sx, sy).
    centerX = mx - (sx - width * 0.5) / scale;
    centerY = my - (height * 0.5 - sy) / scale;
}

void MapViewport::pan(double dx, double dy)
{
    centerX -= dx / scale;
    centerY += dy / scale;
}

void MapModel::setPoints(std::vector<std::int32_t> items, std::vector<float> coords)
{
    if (coords.size() != items.size() * 2)
        throw std::invalid_argument("map: " + std::to_string(coords.size()) + " coordinates for " +
                                    std::to_string(items.size()) + " points (n x 2 expected)");
    for (std::size_t i = 0; i < coords.size(); ++i) {
        if (!std::isfinite(coords[i]))
            throw std::invalid_argument("map: point " + std::to_string(i / 2) + " has a non-finite coordinate");
    }
    items_ = std::move(items);
    coords_ = std::move(coords);
    const int n = size();

    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [this](int a, int b) { return item(a) < item(b); });
    sortedItems_.resize(order.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        sortedItems_[i] = item(order[i]);
    pointBySortedItem_ = std::move(order);

    bounds_ = {};
    if (n > 0) {
        bounds_ = {x(0), y(0), x(0), y(0)};
        for (int p = 1; p < n; ++p) {
            bounds_.x0 = std::min(bounds_.x0, x(p));
            bounds_.x1 = std::max(bounds_.x1, x(p));
            bounds_.y0 = std::min(bounds_.y0, y(p));
            bounds_.y1 = std::max(bounds_.y1, y(p));
        }
    }
    // About eight points per cell.
    side_ = std::max(1, static_cast<int>(std::ceil(std::sqrt(n / 8.0))));
    cellWidth_ = std::max(double(bounds_.x1) - bounds_.x0, 1e-9) / side_;
    cellHeight_ = std::max(double(bounds_.y1) - bounds_.y0, 1e-9) / side_;
    const std::size_t cells = static_cast<std::size_t>(side_) * static_cast<std::size_t>(side_);
    cellStart_.assign(cells + 1, 0);
    std::vector<int> cellOfPoint(static_cast<std::size_t>(n));
    for (int p = 0; p < n; ++p) {
        const int cell = cellOf(y(p), bounds_.y0, cellHeight_) * side_ + cellOf(x(p), bounds_.x0, cellWidth_);
        cellOfPoint[static_cast<std::size_t>(p)] = cell;
        ++cellStart_[static_cast<std::size_t>(cell) + 1];
    }
    std::partial_sum(cellStart_.begin(), cellStart_.end(), cellStart_.begin());
    cellPoints_.resize(static_cast<std::size_t>(n));
    std::vector<int> fill(cellStart_.begin(), cellStart_.end() - 1);
    for (int p = 0; p < n; ++p)
        cellPoints_[static_cast<std::size_t>(fill[static_cast<std::size_t>(cellOfPoint[static_cast<std::size_t>(p)])]++)] = p;

    selection_.clear();
    selected_.assign(static_cast<std::size_t>(n), 0);
    highlighted_.clear();
    setColours(std::vector<std::uint8_t>(static_cast<std::size_t>(n), 0), 1);
}

int MapModel::pointOfItem(std::int32_t item) const
{
    const auto it = std::lower_bound(sortedItems_.begin(), sortedItems_.end(), item);
    if (it == sortedItems_.end() || *it != item)
        return -1;
    return pointBySortedItem_[static_cast<std::size_t>(it - sortedItems_.begin())];
}

void MapModel::setColours(std::vector<std::uint8_t> colours, int colourCount)
{
    if (colours.size() != items_.size() || colourCount < 1 || colourCount > 256)
        throw std::invalid_argument("map: colours must have one class per point, with 1 to 256 classes");
    std::vector<int> counts(static_cast<std::size_t>(colourCount) + 1, 0);
    for (std::uint8_t c : colours) {
        if (c >= colourCount)
            throw std::invalid_argument("map: colour class " + std::to_string(c) + " outside [0, " +
                                        std::to_string(colourCount) + ")");
        ++counts[static_cast<std::size_t>(c) + 1];
    }
    std::partial_sum(counts.begin(), counts.end(), counts.begin());
    drawOrder_.resize(colours.size());
    for (std::size_t p = 0; p < colours.size(); ++p)
        drawOrder_[static_cast<std::size_t>(counts[colours[p]]++)] = static_cast<int>(p);
    colours_ = std::move(colours);
    colourCount_ = colourCount;
}

int MapModel::cellOf(double value, double origin, double cellSize) const
{
    const double cell = std::floor((value - origin) / cellSize);
    if (!(cell >= 0))
        return 0;
    return cell >= side_ ? side_ - 1 : static_cast<int>(cell);
}

template <typename Visit>
void MapModel::visitCells(double x0, double y0, double x1, double y1, Visit visit) const
{
    if (isEmpty() || x1 < bounds_.x0 || x0 > bounds_.x1 || y1 < bounds_.y0 || y0 > bounds_.y1)
        return;
    const int cx0 = cellOf(x0, bounds_.x0, cellWidth_);
    const int cx1 = cellOf(x1, bounds_.x0, cellWidth_);
    const int cy0 = cellOf(y0, bounds_.y0, cellHeight_);
    const int cy1 = cellOf(y1, bounds_.y0, cellHeight_);
    for (int cy = cy0; cy <= cy1; ++cy) {
        for (int cx = cx0; cx <= cx1; ++cx) {
            const std::size_t cell = static_cast<std::size_t>(cy) * static_cast<std::size_t>(side_) + static_cast<std::size_t>(cx);
            for (int i = cellStart_[cell]; i < cellStart_[cell + 1]; ++i)
                visit(cellPoints_[static_cast<std::size_t>(i)]);
        }
    }
}

int MapModel::nearest(double px, double py, double radius) const
{
    int best = -1;
    double bestDistance = radius * radius;
    visitCells(px - radius, py - radius, px + radius, py + radius, [&](int p) {
        const double dx = x(p) - px;
        const double dy = y(p) - py;
        const double distance = dx * dx + dy * dy;
        if (distance < bestDistance || (distance == bestDistance && (best < 0 || p < best))) {
            best = p;
            bestDistance = distance;
        }
    });
    return best;
}

std::vector<int> MapModel::pointsInRect(const MapRect& rect) const
{
    std::vector<int> found;
    visitCells(rect.x0, rect.y0, rect.x1, rect.y1, [&](int p) {
        if (x(p) >= rect.x0 && x(p) <= rect.x1 && y(p) >= rect.y0 && y(p) <= rect.y1)
            found.push_back(p);
    });
    std::sort(found.begin(), found.end());
    return found;
}

bool MapModel::insidePolygon(const std::vector<double>& xy, double px, double py)
{
    const std::size_t m = xy.size() / 2;
    bool inside = false;
    for (std::size_t i = 0, j = m - 1; i < m; j = i++) {
        const double xi = xy[2 * i], yi = xy[2 * i + 1];
        const double xj = xy[2 * j], yj = xy[2 * j + 1];
        // Edges that straddle the horizontal line through the point, crossed right of it.
        if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
            inside = !inside;
    }
    return inside;
}

std::vector<int> MapModel::pointsInPolygon(const std::vector<double>& xy) const
{
    std::vector<int> found;
    if (xy.size() < 6 || xy.size() % 2 != 0)
        return found;
    double x0 = std::numeric_limits<double>::infinity(), y0 = x0;
    double x1 = -x0, y1 = -x0;
    for (std::size_t i = 0; i < xy.size(); i += 2) {
        x0 = std::min(x0, xy[i]);
        x1 = std::max(x1, xy[i]);
        y0 = std::min(y0, xy[i + 1]);
        y1 = std::max(y1, xy[i + 1]);
    }
    visitCells(x0, y0, x1, y1, [&](int p) {
        if (insidePolygon(xy, x(p), y(p)))
            found.push_back(p);
    });
    std::sort(found.begin(), found.end());
    return found;
}

void MapModel::select(const std::vector<int>& points, SelectMode mode)
{
    if (mode == SelectMode::Replace)
        std::fill(selected_.begin(), selected_.end(), std::uint8_t(0));
    const std::uint8_t value = mode == SelectMode::Remove ? 0 : 1;
    for (int p : points) {
        if (p >= 0 && p < size())
            selected_[static_cast<std::size_t>(p)] = value;
    }
    selection_.clear();
    for (int p = 0; p < size(); ++p) {
        if (selected_[static_cast<std::size_t>(p)])
            selection_.push_back(p);
    }
}

void MapModel::selectItems(const std::vector<std::int32_t>& items)
{
    std::vector<int> points;
    for (std::int32_t item : items) {
        const int p = pointOfItem(item);
        if (p >= 0)
            points.push_back(p);
    }
    select(points);
}

std::vector<std::int32_t> MapModel::selectedItems() const
{
    std::vector<std::int32_t> result;
    result.reserve(selection_.size());
    for (int p : selection_)
        result.push_back(item(p));
    std::sort(result.begin(), result.end());
    return result;
}

int MapModel::setHighlightedItems(const std::vector<std::int32_t>& items)
{
    highlighted_.clear();
    for (std::int32_t item : items) {
        const int p = pointOfItem(item);
        if (p >= 0)
            highlighted_.push_back(p);
    }
    std::sort(highlighted_.begin(), highlighted_.end());
    highlighted_.erase(std::unique(highlighted_.begin(), highlighted_.end()), highlighted_.end());
    return static_cast<int>(highlighted_.size());
}

}  // namespace crowdsift
