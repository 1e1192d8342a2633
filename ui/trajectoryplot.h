#pragma once

#include <QColor>
#include <QWidget>

#include <vector>

namespace crowdsift {

// One item's Data Parameter trajectory against its class, for the inspector: the item's instance
// sigma per epoch (a line in the colour of its band) over its class's median (dashed) and 25-75 %
// band (shaded), on a log scale since the triage rule reads log sigma, with the epochs the rule
// reads shaded. Painted with QPainter from a few vectors, so a new selection costs one repaint.
class TrajectoryPlot : public QWidget {
    Q_OBJECT
public:
    explicit TrajectoryPlot(QWidget* parent = nullptr);

    // `item`, `q25`, `median` and `q75`: E values each (NaN where unknown; the quartiles may be
    // empty, e.g. for an item not trained on); the rule reads the first `windowEpochs` epochs.
    void setTrajectory(std::vector<float> item, std::vector<float> q25, std::vector<float> median,
                       std::vector<float> q75, int windowEpochs, const QColor& color);
    void clear();

    bool hasTrajectory() const { return !item_.empty(); }
    const std::vector<float>& itemSigma() const { return item_; }
    const std::vector<float>& classQ25() const { return q25_; }
    const std::vector<float>& classMedian() const { return median_; }
    const std::vector<float>& classQ75() const { return q75_; }
    int windowEpochs() const { return window_; }
    QColor color() const { return color_; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<float> item_, q25_, median_, q75_;
    int window_ = 0;
    QColor color_;
};

}  // namespace crowdsift
