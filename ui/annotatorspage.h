#pragma once

#include <QVector>
#include <QWidget>

#include <cstdint>
#include <vector>

class QBarSet;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;

namespace crowdsift {

class AnnotatorTableModel;
class ConfusionHeatmap;
class ProjectDocument;

// The "Annotators" tab. Left: a sortable, filterable table of annotators with the labels each
// gave, the classes each used and, under the active aggregation run, their quality figures.
// Right, "Annotator": the selected annotator's confusion matrix as a heatmap, rows = the run's
// consensus label, columns = the label given, as counts of its answers, row-normalised counts,
// or the run's own model of it; clicking a cell asks to show those items (showItemsRequested).
// Right, "All annotators" (the managers' view): a histogram of the estimated accuracies and the
// class-by-class agreement matrix, where cell (c, g) is the share of all answers on items with
// consensus c that said g. Right, "Complementary": the complementary transition matrix of the
// data, cell (y, k) the share of the "not k" answers on items of class y.
//
// Learning from crowds (learn-from-crowds runs: "train" runs with an annotator_confusions output):
// the annotator heatmap's "Learned from crowds" mode shows the annotator's confusion as the chosen
// run's crowd layer learned it (the newest such run by default; the mode is off, with a tooltip
// saying how to get one, while the project has none). Right, "Common confusion": a CoNAL run's
// common confusion, what everybody confuses, cell (k, g) the probability of the answer g for an
// item of class k when the common confusion speaks; clicking cell (k, g) lists the items whose
// consensus (the active run) is k and whose class by that run's model (argmax of its
// probabilities) is g.
class AnnotatorsPage : public QWidget {
    Q_OBJECT
public:
    // What the annotator heatmap shows, in the order of its combo box.
    enum class HeatmapMode { Counts, RowNormalised, Model, Learned };

    explicit AnnotatorsPage(ProjectDocument* document, QWidget* parent = nullptr);

    QTableView* annotatorTable() const { return table_; }
    QLineEdit* filterEdit() const { return filter_; }
    AnnotatorTableModel* annotatorModel() const { return model_; }
    QLabel* qualityNote() const { return note_; }
    QTabWidget* detailTabs() const { return details_; }
    ConfusionHeatmap* confusionHeatmap() const { return confusion_; }
    ConfusionHeatmap* agreementHeatmap() const { return agreement_; }
    // The "Complementary" tab: P(answer "not k" | class y), rows y by the active run's consensus
    // (posterior-weighted) or by the ground truth (complementarySource index 1), or from index 2
    // on the transition a stored complementary-label train run estimated (item data: the run id;
    // newest first, a new one chosen as it appears): its anchor estimate, cpe-t's learned T, or
    // else the answers counted against its model's probabilities (transition_data).
    ConfusionHeatmap* complementaryHeatmap() const { return complementary_; }
    QComboBox* complementarySource() const { return complementarySource_; }
    QChartView* accuracyChart() const { return chart_; }
    QComboBox* heatmapModeBox() const { return mode_; }
    // The learn-from-crowds run whose learned confusions the "Learned from crowds" mode shows
    // (item data: the run id), newest first.
    QComboBox* learnedRunBox() const { return learnedRun_; }
    // The "Common confusion" tab: the CoNAL run (item data: the run id) and its heatmap.
    QComboBox* commonRunBox() const { return commonRun_; }
    ConfusionHeatmap* commonHeatmap() const { return common_; }

    // The annotator whose confusion is shown (dataset index), -1 when none.
    int currentAnnotator() const { return currentAnnotator_; }
    // Selects the annotator's row in the table (clearing the filter if it hides the row).
    void selectAnnotator(int annotator);
    HeatmapMode heatmapMode() const;
    void setHeatmapMode(HeatmapMode mode);
    // Annotators per tenth of estimated accuracy, [0, 0.1), ..., [0.9, 1.0]; annotators whose
    // accuracy is undefined are left out. Empty without an aggregation run.
    QVector<int> accuracyHistogram() const { return histogram_; }

    // Items with consensus `trueClass` in the active run that `annotator` labelled `givenClass`,
    // ascending.
    QVector<int> itemsOfCell(int annotator, int trueClass, int givenClass) const;
    // Items with consensus `trueClass` that at least one annotator labelled `givenClass`.
    QVector<int> itemsOfAgreementCell(int trueClass, int givenClass) const;
    // Items with consensus `trueClass` in the active run whose most probable class by the chosen
    // CoNAL run's probabilities is `modelClass`, ascending.
    QVector<int> itemsOfCommonCell(int trueClass, int modelClass) const;

Q_SIGNALS:
    // A heatmap cell was clicked: show these dataset items under this title.
    void showItemsRequested(const QVector<int>& items, const QString& title);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void updateCount();
    void onStatsChanged();
    void onCurrentRowChanged();
    void refreshConfusion();
    void refreshManagersView();
    void refreshComplementary();
    // The complementary train runs in complementarySource_ (refreshCrowdRuns calls it).
    void refreshComplementaryRuns();
    void onConfusionClicked(int trueClass, int givenClass);
    void onAgreementClicked(int trueClass, int givenClass);
    void onCommonClicked(int trueClass, int modelClass);
    // Re-reads the project's learn-from-crowds runs into learnedRun_ and commonRun_.
    void refreshCrowdRuns();
    void refreshCommon();
    // Output `name` (float32) of run `run`, empty when it cannot be read; `shape` receives its shape.
    std::vector<float> readOutput(std::int64_t run, const char* name, std::vector<std::size_t>& shape) const;
    // Output `name` of run `run` as K x K heatmap values (row-major), empty when it cannot be read
    // or is not K x K for this dataset's K classes.
    QVector<double> readClassMatrix(std::int64_t run, const char* name) const;
    // The dataset's class names, in order, for a heatmap's axes.
    QStringList classNames() const;
    QString annotatorName(int annotator) const;
    QString className(int label) const;

    ProjectDocument* document_;
    AnnotatorTableModel* model_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QLabel* count_ = nullptr;
    QLabel* note_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QTableView* table_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QTabWidget* details_ = nullptr;
    QLabel* confusionTitle_ = nullptr;
    QComboBox* mode_ = nullptr;
    ConfusionHeatmap* confusion_ = nullptr;
    QLabel* confusionHint_ = nullptr;
    QChartView* chart_ = nullptr;
    QBarSet* bars_ = nullptr;
    QLabel* histogramTitle_ = nullptr;
    ConfusionHeatmap* agreement_ = nullptr;
    QLabel* complementaryTitle_ = nullptr;
    QComboBox* complementarySource_ = nullptr;
    ConfusionHeatmap* complementary_ = nullptr;
    QComboBox* learnedRun_ = nullptr;
    QLabel* commonTitle_ = nullptr;
    QComboBox* commonRun_ = nullptr;
    ConfusionHeatmap* common_ = nullptr;
    QLabel* commonHint_ = nullptr;
    // The learned confusions of learnedRun_'s run (M x K x K), read once per run.
    std::int64_t learnedLoaded_ = 0;
    // The newest run of learnedRun_ and commonRun_ when last filled: a newer one is chosen.
    std::int64_t newestLearned_ = 0;
    std::int64_t newestCommon_ = 0;
    std::int64_t newestComplementary_ = -1;  // -1: a project was just opened, choose nothing new
    std::vector<float> learned_;
    std::vector<std::size_t> learnedShape_;

    int currentAnnotator_ = -1;
    bool splitInitialised_ = false;
    QVector<int> histogram_;
};

}  // namespace crowdsift
