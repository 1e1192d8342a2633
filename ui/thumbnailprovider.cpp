#include "thumbnailprovider.h"

#include "data/dataset.h"

#include <QFileInfo>
#include <QImageReader>
#include <QMetaObject>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace crowdsift {

namespace {

QImage::Format qtFormat(Thumbnail::Format format)
{
    switch (format) {
    case Thumbnail::Format::Gray8:
        return QImage::Format_Grayscale8;
    case Thumbnail::Format::Rgb8:
        return QImage::Format_RGB888;
    case Thumbnail::Format::Rgba8:
        return QImage::Format_RGBA8888;
    }
    return QImage::Format_Invalid;
}

// QImage cleanup: the image held one reference to the thumbnail's pixels.
void releaseThumbnail(void* info)
{
    delete static_cast<std::shared_ptr<const Thumbnail>*>(info);
}

std::shared_ptr<Thumbnail> failedThumbnail(const std::string& path, const std::string& problem)
{
    auto thumbnail = std::make_shared<Thumbnail>();
    thumbnail->error = path + ": " + problem;
    return thumbnail;
}

bool isGrayFormat(QImage::Format format)
{
    switch (format) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Grayscale16:
    case QImage::Format_Mono:
    case QImage::Format_MonoLSB:
        return true;
    default:
        return false;
    }
}

bool isGray(const QImage& image)
{
    switch (image.format()) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Grayscale16:
    case QImage::Format_Mono:
    case QImage::Format_MonoLSB:
        return true;
    case QImage::Format_Indexed8:
        return image.isGrayscale();
    default:
        return false;
    }
}

}  // namespace

std::shared_ptr<Thumbnail> ThumbnailProvider::decode(const std::string& path, int size)
{
    const QString file = QString::fromStdString(path);
    const QFileInfo info(file);
    if (!info.exists())
        return failedThumbnail(path, "file not found");
    if (info.isDir())
        return failedThumbnail(path, "is a folder, not an image");
    try {
        QImageReader reader(file);
        reader.setAutoTransform(true);
        const QSize full = reader.size();
        // What the file holds: shrinking may widen a gray image to 32 bits.
        const bool grayFile = isGrayFormat(reader.imageFormat());
        if (full.isValid() && std::max(full.width(), full.height()) > size) {
            // Shrunk while decoding where the format allows it (libjpeg's DCT scaling for JPEG).
            const double scale = double(size) / std::max(full.width(), full.height());
            reader.setScaledSize(QSize(std::max(1, static_cast<int>(std::lround(full.width() * scale))),
                                       std::max(1, static_cast<int>(std::lround(full.height() * scale)))));
        }
        QImage image = reader.read();
        if (image.isNull())
            return failedThumbnail(path, "not a readable image (" + reader.errorString().toStdString() + ")");
        if (std::max(image.width(), image.height()) > size)  // a reader that ignored the scaled size
            image = image.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);

        auto thumbnail = std::make_shared<Thumbnail>();
        int channels = 3;
        if ((grayFile || isGray(image)) && !image.hasAlphaChannel()) {
            image = image.convertToFormat(QImage::Format_Grayscale8);
            thumbnail->format = Thumbnail::Format::Gray8;
            channels = 1;
        } else if (image.hasAlphaChannel()) {
            image = image.convertToFormat(QImage::Format_RGBA8888);
            thumbnail->format = Thumbnail::Format::Rgba8;
            channels = 4;
        } else {
            image = image.convertToFormat(QImage::Format_RGB888);
            thumbnail->format = Thumbnail::Format::Rgb8;
        }
        thumbnail->width = image.width();
        thumbnail->height = image.height();
        thumbnail->stride = (image.width() * channels + 3) / 4 * 4;
        thumbnail->pixels.assign(std::size_t(thumbnail->stride) * image.height(), 0);
        const std::size_t rowBytes = std::size_t(image.width()) * channels;
        for (int y = 0; y < image.height(); ++y)
            std::copy_n(image.constScanLine(y), rowBytes, thumbnail->pixels.data() + std::size_t(thumbnail->stride) * y);
        return thumbnail;
    } catch (const std::bad_alloc&) {
        return failedThumbnail(path, "out of memory while decoding");
    } catch (const std::exception& error) {
        return failedThumbnail(path, std::string("cannot decode: ") + error.what());
    }
}

ThumbnailProvider::ThumbnailProvider(QObject* parent, int threads, std::size_t cacheBytes, int size,
                                     std::size_t pixmapCacheBytes)
    : QObject(parent)
    , loader_(std::make_unique<ThumbnailLoader>(threads, cacheBytes, size, &ThumbnailProvider::decode))
{
    pixmaps_.setMaxCost(static_cast<qsizetype>(pixmapCacheBytes / 1024));
    throttle_.setSingleShot(true);
    throttle_.setInterval(30);
    connect(&throttle_, &QTimer::timeout, this, [this] {
        if (hasPending_)
            flushRequest();
    });
    // Runs on a worker thread: hop to this object's thread before telling anyone. Events still
    // queued when this object dies are discarded with it.
    loader_->setOnReady([this](int item) {
        QMetaObject::invokeMethod(this, [this, item] { Q_EMIT thumbnailReady(item); }, Qt::QueuedConnection);
    });
}

ThumbnailProvider::~ThumbnailProvider()
{
    // Join the workers while the members their callback touches are still alive.
    loader_.reset();
}

void ThumbnailProvider::setSource(const std::string& root, std::vector<std::string> imagePaths)
{
    throttle_.stop();
    pendingItems_.clear();
    hasPending_ = false;
    pixmaps_.clear();
    loader_->setSource(root, std::move(imagePaths));
}

void ThumbnailProvider::setSource(const Dataset& dataset)
{
    setSource(dataset.root, dataset.imagePaths);
}

int ThumbnailProvider::itemCount() const
{
    return loader_->itemCount();
}

void ThumbnailProvider::request(const QVector<int>& items)
{
    const int count = loader_->itemCount();
    for (int item : items) {
        if (item < 0 || item >= count)
            throw std::out_of_range("ThumbnailProvider::request: item " + std::to_string(item) + " outside the source's "
                                    + std::to_string(count) + " items");
    }
    pendingItems_ = items;
    hasPending_ = true;
    // The first request after a pause goes out at once (the first page must not wait); the
    // ones that follow within the interval collapse into the last of them.
    if (!throttle_.isActive())
        flushRequest();
}

void ThumbnailProvider::setRequestInterval(int ms)
{
    throttle_.setInterval(std::max(0, ms));
}

void ThumbnailProvider::flushRequest()
{
    hasPending_ = false;
    loader_->request(std::vector<int>(pendingItems_.cbegin(), pendingItems_.cend()));
    pendingItems_.clear();
    if (throttle_.interval() > 0)
        throttle_.start();
}

QImage ThumbnailProvider::image(int item) const
{
    const std::shared_ptr<const Thumbnail> thumbnail = loader_->thumbnail(item);
    if (!thumbnail || thumbnail->failed() || thumbnail->pixels.empty())
        return {};
    auto* hold = new std::shared_ptr<const Thumbnail>(thumbnail);
    return QImage(thumbnail->pixels.data(), thumbnail->width, thumbnail->height, thumbnail->stride,
                  qtFormat(thumbnail->format), releaseThumbnail, hold);
}

QPixmap ThumbnailProvider::pixmap(int item)
{
    if (const QPixmap* cached = pixmaps_.object(item))
        return *cached;
    const QImage source = image(item);
    if (source.isNull())
        return {};
    auto* made = new QPixmap(QPixmap::fromImage(source));
    const QPixmap result = *made;
    const qsizetype cost = std::max<qsizetype>(1, qsizetype(made->width()) * made->height() * made->depth() / 8 / 1024);
    pixmaps_.insert(item, made, cost);
    return result;
}

bool ThumbnailProvider::isFailed(int item) const
{
    const std::shared_ptr<const Thumbnail> thumbnail = loader_->thumbnail(item);
    return thumbnail && thumbnail->failed();
}

QString ThumbnailProvider::failureReason(int item) const
{
    return QString::fromStdString(loader_->failureReason(item));
}

int ThumbnailProvider::thumbnailSize() const
{
    return loader_->thumbnailSize();
}

}  // namespace crowdsift
