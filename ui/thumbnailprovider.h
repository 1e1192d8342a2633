#pragma once

#include "images/thumbnails.h"

#include <QCache>
#include <QImage>
#include <QObject>
#include <QPixmap>
#include <QString>
#include <QTimer>
#include <QVector>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace crowdsift {

struct Dataset;

// Qt face of ThumbnailLoader for the review grid. Lives on the GUI thread: the view asks for the
// items in (and just beyond) its viewport with request() whenever it scrolls or resizes; requests
// go to the loader at most once per requestInterval, the latest winning, so a fast scroll does
// not queue work for rows already gone. Decoded items are announced by thumbnailReady(), always
// emitted on this object's thread whatever the connection type, after which image() / pixmap()
// return them; an item that could not be decoded is announced too, and isFailed() /
// failureReason() say why, so the delegate can paint a broken-image placeholder. Right after
// setSource() a late thumbnailReady() may still name an item of the old source; image() then
// answers for the new one (usually a null image), so a receiver needs no special case.
class ThumbnailProvider : public QObject {
    Q_OBJECT
public:
    static constexpr std::size_t defaultPixmapCacheBytes = std::size_t(64) << 20;

    // threads decoder threads; cacheBytes bounds decoded thumbnails, pixmapCacheBytes the
    // pixmaps made from them; size is the thumbnails' longest side in pixels.
    explicit ThumbnailProvider(QObject* parent = nullptr, int threads = 2,
                               std::size_t cacheBytes = ThumbnailLoader::defaultCacheBytes, int size = 128,
                               std::size_t pixmapCacheBytes = defaultPixmapCacheBytes);
    ~ThumbnailProvider() override;

    // Item i shows imagePaths[i], relative to root unless absolute, "" = no image. Forgets all
    // thumbnails and pending requests.
    void setSource(const std::string& root, std::vector<std::string> imagePaths);
    void setSource(const Dataset& dataset);
    int itemCount() const;

    // Items the view needs, most urgent first; replaces earlier requests. Throws
    // std::out_of_range for an item outside [0, itemCount()).
    void request(const QVector<int>& items);
    // Minimum time between two requests handed to the loader, ms (0: hand each one over).
    void setRequestInterval(int ms);
    int requestInterval() const { return throttle_.interval(); }

    // The decoded thumbnail, sharing the loader's pixels (no copy, read-only); a null image when
    // not decoded yet or failed.
    QImage image(int item) const;
    // The same as a pixmap, from a bounded pixmap cache; null when image() is.
    QPixmap pixmap(int item);
    bool isFailed(int item) const;
    QString failureReason(int item) const;

    int thumbnailSize() const;
    ThumbnailLoader& loader() { return *loader_; }

    // The decoder the provider gives its loader: Qt's image readers (QImageReader, EXIF
    // orientation applied, JPEGs decoded at a reduced scale by libjpeg), so that showing
    // thumbnails loads no OpenCV. Same contract as decodeThumbnail: never throws; a missing,
    // unreadable or unsupported file gives a failed Thumbnail naming the file and the problem;
    // gray images become Gray8, colour ones Rgb8, those with alpha Rgba8, shrunk to fit a
    // size x size box keeping their aspect ratio.
    static std::shared_ptr<Thumbnail> decode(const std::string& path, int size);

Q_SIGNALS:
    void thumbnailReady(int item);

private:
    void flushRequest();

    std::unique_ptr<ThumbnailLoader> loader_;
    QTimer throttle_;
    QVector<int> pendingItems_;
    bool hasPending_ = false;
    QCache<int, QPixmap> pixmaps_;  // cost in KiB
};

}  // namespace crowdsift
