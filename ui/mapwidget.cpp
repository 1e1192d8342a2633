#include "mapwidget.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace crowdsift {

namespace {

constexpr int kMargin = 16;           // pixels around the whole map
constexpr double kHitRadius = 6.0;    // pixels
constexpr double kWheelStep = 1.25;   // zoom per wheel notch and per + / -
constexpr double kKeyPanShare = 0.1;  // of the widget's size per arrow key
constexpr double kDragThreshold = 3.0;

// Pixel offsets of a filled disc of `radius` device pixels; with `inner` > 0 a ring.
std::vector<QPoint> disc(double radius, double inner = -1)
{
    std::vector<QPoint> offsets;
    const int r = static_cast<int>(std::ceil(radius));
    for (int dy = -r; dy <= r; ++dy) {
        for (int dx = -r; dx <= r; ++dx) {
            const double d = dx * dx + dy * dy;
            if (d <= radius * radius && (inner < 0 || d > inner * inner))
                offsets.push_back({dx, dy});
        }
    }
    return offsets;
}

// Writes `sprite` (offsets) at (x, y) in an RGB32 image of w x h, clipping at its edges.
inline void stamp(QRgb* bits, int w, int h, int stride, int x, int y, int reach, const std::vector<QPoint>& sprite, QRgb color)
{
    if (x >= reach && y >= reach && x < w - reach && y < h - reach) {
        QRgb* centre = bits + static_cast<std::ptrdiff_t>(y) * stride + x;
        for (const QPoint& o : sprite)
            centre[static_cast<std::ptrdiff_t>(o.y()) * stride + o.x()] = color;
        return;
    }
    for (const QPoint& o : sprite) {
        const int px = x + o.x(), py = y + o.y();
        if (px >= 0 && py >= 0 && px < w && py < h)
            bits[static_cast<std::ptrdiff_t>(py) * stride + px] = color;
    }
}

QColor faded(const QColor& color)
{
    // Two thirds of the way to white: the points outside a selection step back.
    return QColor(255 - (255 - color.red()) / 3, 255 - (255 - color.green()) / 3, 255 - (255 - color.blue()) / 3);
}

}  // namespace

MapWidget::MapWidget(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(200, 200);
}

void MapWidget::setPoints(std::vector<std::int32_t> items, std::vector<float> coords)
{
    model_.setPoints(std::move(items), std::move(coords));
    palette_ = {QColor(0x60, 0x60, 0x60)};
    legend_.clear();
    hovered_ = -1;
    resetView();
}

void MapWidget::setColours(std::vector<std::uint8_t> classes, QVector<QColor> palette, QVector<MapLegendEntry> legend)
{
    model_.setColours(std::move(classes), palette.size());
    palette_ = std::move(palette);
    legend_ = std::move(legend);
    invalidate();
}

void MapWidget::selectRect(const QRectF& rect, MapModel::SelectMode mode)
{
    const QRectF r = rect.normalized();
    MapRect area{static_cast<float>(view_.mapX(r.left())), static_cast<float>(view_.mapY(r.bottom())),
                 static_cast<float>(view_.mapX(r.right())), static_cast<float>(view_.mapY(r.top()))};
    model_.select(model_.pointsInRect(area), mode);
    invalidate();
    Q_EMIT selectionChanged();
}

void MapWidget::selectLasso(const QPolygonF& polygon, MapModel::SelectMode mode)
{
    // The viewport is affine, so a point lies inside the drawn polygon exactly when its map
    // position lies inside the polygon's map image.
    std::vector<double> xy;
    xy.reserve(static_cast<std::size_t>(polygon.size()) * 2);
    for (const QPointF& p : polygon) {
        xy.push_back(view_.mapX(p.x()));
        xy.push_back(view_.mapY(p.y()));
    }
    model_.select(model_.pointsInPolygon(xy), mode);
    invalidate();
    Q_EMIT selectionChanged();
}

void MapWidget::selectItems(const std::vector<std::int32_t>& items)
{
    model_.selectItems(items);
    invalidate();
    Q_EMIT selectionChanged();
}

void MapWidget::clearSelection()
{
    model_.clearSelection();
    invalidate();
    Q_EMIT selectionChanged();
}

void MapWidget::setHighlightedItems(const std::vector<std::int32_t>& items)
{
    model_.setHighlightedItems(items);
    invalidate();
}

int MapWidget::pointAt(const QPointF& pos) const
{
    return model_.nearest(view_.mapX(pos.x()), view_.mapY(pos.y()), kHitRadius / view_.scale);
}

QPointF MapWidget::screenPosition(int point) const
{
    return {view_.screenX(model_.x(point)), view_.screenY(model_.y(point))};
}

void MapWidget::resetView()
{
    view_.width = std::max(1, width());
    view_.height = std::max(1, height());
    view_.fit(model_.bounds(), kMargin);
    viewSet_ = true;
    fitted_ = true;
    invalidate();
}

void MapWidget::zoomBy(double factor)
{
    view_.zoomAt(width() * 0.5, height() * 0.5, factor);
    fitted_ = false;
    invalidate();
}

void MapWidget::panBy(double dx, double dy)
{
    view_.pan(dx, dy);
    fitted_ = false;
    invalidate();
}

void MapWidget::setHoveredPoint(int point)
{
    if (point == hovered_)
        return;
    hovered_ = point;
    update();
    Q_EMIT hoveredItemChanged(point >= 0 ? model_.item(point) : -1);
}

void MapWidget::invalidate()
{
    dirty_ = true;
    update();
}

void MapWidget::rasterise()
{
    const qreal ratio = devicePixelRatioF();
    const QSize device = (QSizeF(size()) * ratio).toSize().expandedTo(QSize(1, 1));
    if (cache_.size() != device)
        cache_ = QImage(device, QImage::Format_RGB32);
    cache_.setDevicePixelRatio(ratio);
    cache_.fill(palette().color(QPalette::Base));
    dirty_ = false;
    if (model_.isEmpty())
        return;

    const double dot = 2.5 * ratio;
    static thread_local double spritesFor = 0;
    static thread_local std::vector<QPoint> point, outline, ring;
    if (spritesFor != ratio) {
        point = disc(dot);
        outline = disc(dot + 1.5 * ratio);
        ring = disc(dot + 4.0 * ratio, dot + 2.5 * ratio);
        spritesFor = ratio;
    }
    const int reach = static_cast<int>(std::ceil(dot + 4.0 * ratio));

    const bool anySelected = !model_.selection().empty();
    std::vector<QRgb> colors(static_cast<std::size_t>(model_.colourCount()));
    for (int c = 0; c < model_.colourCount(); ++c) {
        const QColor color = palette_.value(c, QColor(0x60, 0x60, 0x60));
        colors[static_cast<std::size_t>(c)] = (anySelected ? faded(color) : color).rgb();
    }
    QRgb* bits = reinterpret_cast<QRgb*>(cache_.bits());
    const int w = cache_.width(), h = cache_.height();
    const int stride = static_cast<int>(cache_.bytesPerLine() / 4);
    // The transform in device pixels, once.
    const double sx = view_.scale * ratio;
    const double ox = (view_.width * 0.5 - view_.centerX * view_.scale) * ratio;
    const double oy = (view_.height * 0.5 + view_.centerY * view_.scale) * ratio;
    const std::vector<float>& coords = model_.coords();
    auto place = [&](int p, int& x, int& y) {
        const double fx = coords[2 * static_cast<std::size_t>(p)] * sx + ox;
        const double fy = oy - coords[2 * static_cast<std::size_t>(p) + 1] * sx;
        if (fx < -reach || fy < -reach || fx >= w + reach || fy >= h + reach)
            return false;
        x = static_cast<int>(std::lround(fx));
        y = static_cast<int>(std::lround(fy));
        return true;
    };
    int x = 0, y = 0;
    for (int p : model_.drawOrder()) {
        if (place(p, x, y))
            stamp(bits, w, h, stride, x, y, reach, point, colors[model_.colour(p)]);
    }
    const QRgb dark = qRgb(0x20, 0x20, 0x20);
    for (int p : model_.selection()) {
        if (place(p, x, y)) {
            stamp(bits, w, h, stride, x, y, reach, outline, dark);
            stamp(bits, w, h, stride, x, y, reach, point, palette_.value(model_.colour(p)).rgb());
        }
    }
    const QRgb ringColor = qRgb(0x1f, 0x6f, 0xd0);
    for (int p : model_.highlighted()) {
        if (place(p, x, y))
            stamp(bits, w, h, stride, x, y, reach, ring, ringColor);
    }
}

void MapWidget::paintEvent(QPaintEvent*)
{
    if (dirty_ || cache_.size() != (QSizeF(size()) * devicePixelRatioF()).toSize())
        rasterise();
    QPainter painter(this);
    painter.drawImage(0, 0, cache_);
    painter.setRenderHint(QPainter::Antialiasing);
    if (drag_ == Drag::Rect) {
        painter.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DashLine));
        painter.setBrush(QColor(0x1f, 0x6f, 0xd0, 40));
        painter.drawRect(QRectF(pressPos_, lastPos_).normalized());
    } else if (drag_ == Drag::Lasso && lasso_.size() > 1) {
        painter.setPen(QPen(palette().color(QPalette::Highlight), 1.5));
        painter.setBrush(QColor(0x1f, 0x6f, 0xd0, 40));
        painter.drawPolygon(lassoPolygon());
    }
    drawLegend(painter);
    drawHoverCard(painter);
}

void MapWidget::drawLegend(QPainter& painter) const
{
    if (legend_.isEmpty())
        return;
    const QFontMetrics metrics = painter.fontMetrics();
    const int line = metrics.height() + 2;
    int textWidth = 0;
    for (const MapLegendEntry& entry : legend_)
        textWidth = std::max(textWidth, metrics.horizontalAdvance(entry.text));
    const QRect box(width() - textWidth - 40, 8, textWidth + 32, line * static_cast<int>(legend_.size()) + 8);
    painter.setPen(QColor(0xc0, 0xc0, 0xc0));
    painter.setBrush(QColor(255, 255, 255, 220));
    painter.drawRoundedRect(box, 4, 4);
    int y = box.top() + 4;
    for (const MapLegendEntry& entry : legend_) {
        painter.setPen(Qt::NoPen);
        painter.setBrush(entry.color);
        painter.drawEllipse(QPointF(box.left() + 12, y + line / 2.0), 5, 5);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QRect(box.left() + 24, y, textWidth + 4, line), Qt::AlignVCenter | Qt::AlignLeft, entry.text);
        y += line;
    }
}

void MapWidget::drawHoverCard(QPainter& painter)
{
    if (hovered_ < 0 || hovered_ >= model_.size())
        return;
    const QPointF at = screenPosition(hovered_);
    painter.setPen(QPen(QColor(0x20, 0x20, 0x20), 2));
    painter.setBrush(Qt::NoBrush);
    painter.drawEllipse(at, 6, 6);

    const std::int32_t item = model_.item(hovered_);
    const QString text = description(item);
    QPixmap thumb = thumbnail_ ? thumbnail_(item) : QPixmap();
    const int side = 96;
    const QFontMetrics metrics = painter.fontMetrics();
    const QRect textRect = metrics.boundingRect(QRect(0, 0, 240, 1000), Qt::TextWordWrap, text);
    const int cardWidth = std::max(side, textRect.width()) + 16;
    const int cardHeight = side + textRect.height() + 20;
    QPointF topLeft = at + QPointF(14, 14);
    if (topLeft.x() + cardWidth > width())
        topLeft.setX(at.x() - 14 - cardWidth);
    if (topLeft.y() + cardHeight > height())
        topLeft.setY(at.y() - 14 - cardHeight);
    const QRectF card(topLeft, QSizeF(cardWidth, cardHeight));
    painter.setPen(QColor(0xa0, 0xa0, 0xa0));
    painter.setBrush(QColor(255, 255, 255, 240));
    painter.drawRoundedRect(card, 4, 4);
    const QRectF imageRect(card.left() + (cardWidth - side) / 2.0, card.top() + 8, side, side);
    if (!thumb.isNull()) {
        painter.drawPixmap(imageRect.toRect(), thumb);
    } else {
        painter.setPen(QColor(0x90, 0x90, 0x90));
        painter.drawText(imageRect, Qt::AlignCenter, tr("(image)"));
    }
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRectF(card.left() + 8, imageRect.bottom() + 6, cardWidth - 16, textRect.height() + 4),
                     Qt::TextWordWrap, text);
}

QPolygonF MapWidget::lassoPolygon() const
{
    return QPolygonF(lasso_);
}

void MapWidget::resizeEvent(QResizeEvent*)
{
    if (!viewSet_ || fitted_) {
        resetView();
        return;
    }
    // Keep the centre and the scale; the cache follows the new size.
    view_.width = std::max(1, width());
    view_.height = std::max(1, height());
    invalidate();
}

void MapWidget::wheelEvent(QWheelEvent* event)
{
    const double notches = event->angleDelta().y() / 120.0;
    if (notches == 0)
        return;
    view_.zoomAt(event->position().x(), event->position().y(), std::pow(kWheelStep, notches));
    fitted_ = false;
    invalidate();
    event->accept();
}

void MapWidget::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton) {
        QWidget::mousePressEvent(event);
        return;
    }
    setFocus(Qt::MouseFocusReason);
    pressPos_ = lastPos_ = event->position();
    moved_ = false;
    const Qt::KeyboardModifiers modifiers = event->modifiers();
    if (modifiers & Qt::ShiftModifier)
        drag_ = Drag::Rect;
    else if (lassoMode_ || (modifiers & (Qt::AltModifier | Qt::ControlModifier)))
        drag_ = Drag::Lasso;
    else
        drag_ = Drag::Pan;
    lasso_ = {pressPos_};
    setHoveredPoint(-1);
}

void MapWidget::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF pos = event->position();
    if (drag_ == Drag::None) {
        setHoveredPoint(pointAt(pos));
        return;
    }
    if (QLineF(pressPos_, pos).length() >= kDragThreshold)
        moved_ = true;
    if (drag_ == Drag::Pan) {
        panBy(pos.x() - lastPos_.x(), pos.y() - lastPos_.y());
    } else if (drag_ == Drag::Lasso) {
        lasso_.push_back(pos);
        update();
    } else {
        update();
    }
    lastPos_ = pos;
}

void MapWidget::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || drag_ == Drag::None) {
        QWidget::mouseReleaseEvent(event);
        return;
    }
    const Drag drag = drag_;
    drag_ = Drag::None;
    lastPos_ = event->position();
    if (!moved_) {
        const int point = pointAt(event->position());
        if (point >= 0) {
            model_.select({point});
            invalidate();
            Q_EMIT selectionChanged();
            Q_EMIT pointClicked(model_.item(point));
        } else if (!model_.selection().empty()) {
            clearSelection();
        }
        return;
    }
    if (drag == Drag::Rect) {
        selectRect(QRectF(pressPos_, lastPos_));
    } else if (drag == Drag::Lasso) {
        lasso_.push_back(lastPos_);
        if (lasso_.size() >= 3)
            selectLasso(lassoPolygon());
        lasso_.clear();
        update();
    }
}

void MapWidget::leaveEvent(QEvent*)
{
    setHoveredPoint(-1);
}

void MapWidget::keyPressEvent(QKeyEvent* event)
{
    const double stepX = width() * kKeyPanShare;
    const double stepY = height() * kKeyPanShare;
    switch (event->key()) {
    case Qt::Key_Left:
        panBy(stepX, 0);
        break;
    case Qt::Key_Right:
        panBy(-stepX, 0);
        break;
    case Qt::Key_Up:
        panBy(0, stepY);
        break;
    case Qt::Key_Down:
        panBy(0, -stepY);
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(kWheelStep);
        break;
    case Qt::Key_Minus:
        zoomBy(1 / kWheelStep);
        break;
    case Qt::Key_0:
        resetView();
        break;
    case Qt::Key_Escape:
        if (model_.selection().empty()) {
            QWidget::keyPressEvent(event);
            return;
        }
        clearSelection();
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

}  // namespace crowdsift
