#pragma once

#include "mapjob.h"

#include <QVector>
#include <QWidget>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QToolButton;

namespace crowdsift {

class InspectorPanel;
class MapWidget;
class ProjectDocument;
class ReviewPage;
class RunJob;
class ThumbnailProvider;

// The "Map" tab: a 2-D map (t-SNE) of the items from a stored tsne run, as a scatter (MapWidget).
// "Show" picks the whole dataset's map or one class's own map, "Map" the run among those;
// "Colour by" colours the points by triage category (the Review tab's, with its borders' colours),
// consensus label, curator decision, annotator agreement or one class against the rest. Hovering a
// point shows its thumbnail, id, consensus and category. Selected points (click, rectangle, lasso)
// go to the inspector on the right and, through selectionChanged, to the Review grid; the Review
// grid's selection comes back with highlightItems(). A run is read off the GUI thread on its own
// connection to the project; the colours follow the document and are recomputed (O(points)) when
// the tab is shown or the review changes.
class MapPage : public QWidget {
    Q_OBJECT
public:
    enum class ColourBy { Triage = 0, Consensus, Decision, Agreement, OneClass };

    MapPage(ProjectDocument* document, ReviewPage* review, QWidget* parent = nullptr);
    ~MapPage() override;

    MapWidget* map() const { return map_; }
    InspectorPanel* inspector() const { return inspector_; }
    QComboBox* classBox() const { return classBox_; }
    QComboBox* runBox() const { return runBox_; }
    QComboBox* colourBox() const { return colourBox_; }
    QComboBox* oneClassBox() const { return oneClassBox_; }
    QToolButton* lassoButton() const { return lassoButton_; }
    QPushButton* computeButton() const { return computeButton_; }
    QLabel* statusLabel() const { return status_; }

    // The tsne run shown (0 when none) and the one being read (0 when none).
    std::int64_t shownRun() const { return shownRun_; }
    bool isLoading() const { return loadingRun_ != 0; }
    // Shows the whole dataset's maps (-1) or class `label`'s in the run box, newest first, and
    // reads the newest.
    void showClass(int label);
    // Reads tsne run `run` (off the GUI thread); mapLoaded or mapFailed follows.
    void showRun(std::int64_t run);
    void setColourBy(ColourBy mode, int oneClass = 0);
    ColourBy colourBy() const;
    // Recomputes the colours from the document and the Review tab.
    void recolour();

    // The Review grid's selection: ringed on the map (items without a point are ignored).
    void highlightItems(const QVector<int>& items);
    // The selected items, ascending.
    QVector<int> selectedItems() const;

    // "Compute map" starts a t-SNE job through `start` (it returns the job, null when none
    // started), e.g. startMapJob (mapjob.h) with the engine; without one the button stays
    // disabled. The job records a tsne run; once it finished the page shows it.
    void setRunner(std::function<RunJob*(const MapRequest&)> start);
    // The request "Compute map" makes now, for the class "Show" picks, from the input "from"
    // picks. "Automatic" takes the first the project has of: the Review tab's data-parameters run
    // (when it triages from one), the newest data-parameters run, the newest train or loop run
    // with embeddings, the dataset's feature vectors, else the cached GIST features. A chosen
    // input reads the Review tab's data-parameters run (else the newest) or the newest run with
    // embeddings.
    MapRequest mapRequest() const;
    QComboBox* inputBox() const { return inputBox_; }

Q_SIGNALS:
    // The map's selection changed (the items, ascending; empty when cleared).
    void selectionChanged(const QVector<int>& items);
    // "Show in Review".
    void reviewRequested();
    void mapLoaded(std::int64_t run);
    void mapFailed(std::int64_t run, const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onDocumentLoaded();
    void fillClassBox();
    void fillRunBox();
    void onRunChosen();
    void onMapSelectionChanged();
    void onHover(int item);
    void updateStatus();
    QString describe(std::int32_t item) const;
    void computeMap();

    ProjectDocument* document_;
    ReviewPage* review_;
    ThumbnailProvider* thumbnails_ = nullptr;
    MapWidget* map_ = nullptr;
    InspectorPanel* inspector_ = nullptr;
    QComboBox* classBox_ = nullptr;
    QComboBox* runBox_ = nullptr;
    QComboBox* colourBox_ = nullptr;
    QComboBox* oneClassBox_ = nullptr;
    QToolButton* lassoButton_ = nullptr;
    QPushButton* resetButton_ = nullptr;
    QPushButton* reviewButton_ = nullptr;
    QPushButton* computeButton_ = nullptr;
    QComboBox* inputBox_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* empty_ = nullptr;
    std::int64_t shownRun_ = 0;
    std::int64_t loadingRun_ = 0;
    quint64 loadTicket_ = 0;
    int shownClass_ = -1;
    std::vector<std::int32_t> highlight_;
    std::function<RunJob*(const MapRequest&)> startMap_;
};

}  // namespace crowdsift
