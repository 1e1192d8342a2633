#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>

namespace crowdsift {

// A K x K matrix painted as a grid of colored cells (white to deep blue), rows = true or
// consensus class, columns = given class, with the class names on both axes. Cells large enough
// show their value; hovering shows it in a tooltip; clicking a cell emits cellClicked.
class ConfusionHeatmap : public QWidget {
    Q_OBJECT
public:
    // Count: whole numbers, colored relative to the largest cell; the tooltip adds the share of
    // the row. Fraction: values in [0, 1], colored on that absolute scale, shown as percentages.
    enum class Format { Count, Fraction };

    explicit ConfusionHeatmap(QWidget* parent = nullptr);

    // `values`: K x K, row-major, K = classNames.size().
    void setMatrix(const QStringList& classNames, const QVector<double>& values, Format format);
    // Shows `message` instead of a matrix.
    void clear(const QString& message);
    void setAxisTitles(const QString& rows, const QString& columns);

    int classCount() const { return static_cast<int>(classNames_.size()); }
    // The message shown instead of a matrix (clear()); empty while a matrix is shown.
    QString message() const { return message_; }
    Format format() const { return format_; }
    double value(int row, int column) const;
    double total() const;
    // The cell's rectangle in widget coordinates; empty when out of range.
    QRect cellRect(int row, int column) const;
    // Row and column of the cell under `pos` as (x = column, y = row); (-1, -1) when none.
    QPoint cellAt(const QPoint& pos) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void cellClicked(int row, int column);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct Geometry {
        QRect grid;
        int cell = 0;
    };
    Geometry geometry() const;
    int labelWidth() const;
    QColor cellColor(double value) const;
    QString cellText(double value) const;
    QString toolTipFor(int row, int column) const;

    QStringList classNames_;
    QVector<double> values_;  // K x K, row-major
    Format format_ = Format::Count;
    double maxValue_ = 0.0;
    QString message_;
    QString rowTitle_;
    QString columnTitle_;
    QPoint hovered_{-1, -1};
};

}  // namespace crowdsift
