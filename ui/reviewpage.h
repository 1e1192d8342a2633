#pragma once

#include "analysis/review_query.h"
#include "analysis/trajectory_triage.h"
#include "analysis/triage.h"
#include "jobmanager.h"

#include <QVector>
#include <QWidget>

#include <array>
#include <functional>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListView;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTimer;
class QTreeWidget;
class QUndoStack;

namespace crowdsift {

class InspectorPanel;
class ProjectDocument;
class RunJob;
class ThumbnailDelegate;
class ThumbnailGridModel;
class ThumbnailProvider;
class TrajectorySource;
struct TrajectoryData;
struct AggregationResult;

// The "Review" tab. Left: where the triage comes from ("Triage from": the crowd's consensus or a
// data-parameters run), that rule's thresholds (spin boxes; every change re-sorts at once) and the
// classes with their easy / need-review / hard counts. Centre: for the selected class (the active
// run's consensus label), three bands of thumbnails, worst first: easy (green), need review
// (orange), hard (red), each titled with its count and the estimated share of wrong labels in it
// (ReviewQuery::estimates). Right: the InspectorPanel, with the item's trajectory when a
// data-parameters run is loaded.
//
// Trajectory triage (analysis/trajectory_triage.h). When the project has a finished data-parameters
// run with item sigmas, the page triages from the newest one (read with the project by the loader
// thread); the box lists every such run and the crowd rule. A run finished later (the document's
// runsChanged) is listed, and takes over the review only while the page triages by the crowd
// because there was no run to triage from: never once the curator chose a source, nor from
// another data-parameters run. Reading a run and rescoring it at another window (O(N·E)) run off
// the GUI thread (TrajectorySource); the thresholds re-triage at once (O(N)). Triage only moves
// items between bands: decisions are untouched.
//
// Keys on a band or the inspector: 1-9, 0 and a-z relabel the selection to that class, Enter
// accepts its consensus; either moves on to the next item of the band. Arrows move within a
// band; at its edge Down / Right go on to the next band (easy, need review, hard) and past the
// last to the next class, Up / Left back. Shift/Ctrl selection is the list view's own, within
// one band. Without an aggregation run the page offers
// "Run Dawid-Skene", which runs off the GUI thread with a progress bar and cancel and stores
// the run in the project.
//
// A filter bar above the bands narrows and orders what they show: sort order, one annotator's
// items, items whose answers disagree, decided / undecided items, and an explicit item list
// (showItems, e.g. a confusion-matrix cell of the Annotators tab). The class list's counts follow
// the filters, and its "All classes" row lifts the consensus-label filter. Filters are applied
// when they change, not on every decision, so a decided item stays in place under "Undecided"
// until the filters change. The page is a view over a ReviewQuery (core/analysis), which holds
// the per-run data, the buckets by class and band and the filters; see there for the cost.
class ReviewPage : public QWidget {
    Q_OBJECT
public:
    using SortOrder = ReviewSort;
    using DecidedFilter = crowdsift::DecidedFilter;
    // currentClass() / showClass() value of the "All classes" row.
    static constexpr int AllClasses = ReviewQuery::AllClasses;

    explicit ReviewPage(ProjectDocument* document, QWidget* parent = nullptr);
    // Cancels a running aggregation and waits for it.
    ~ReviewPage() override;

    // The bands by Triage value (Easy, NeedReview, Hard).
    QListView* band(Triage triage) const { return views_[static_cast<std::size_t>(triage)]; }
    ThumbnailGridModel* bandModel(Triage triage) const { return models_[static_cast<std::size_t>(triage)]; }
    QTreeWidget* classList() const { return classes_; }
    InspectorPanel* inspector() const { return inspector_; }
    QPushButton* runButton() const { return runButton_; }
    ThumbnailProvider* thumbnails() const { return provider_; }

    TriageRule rule() const { return rule_; }
    // Sets the scale box and the spin boxes, which re-sorts the bands. The page keeps the last
    // rule of each scale: when the active run changes to one whose natural scale
    // (naturalTriageScale of its strategy) differs from the rule's, that scale's rule takes over.
    void setRule(const TriageRule& rule);
    QComboBox* scaleBox() const { return scale_; }
    // The triage of every item under the current rule; empty without a run.
    const std::vector<Triage>& categories() const { return query_.categories(); }
    const ReviewQuery& query() const { return query_; }

    // "Triage from": item 0 the crowd rule (data 0), then every finished data-parameters run with
    // item sigmas, newest first (data: its id).
    QComboBox* sourceBox() const { return source_; }
    // The data-parameters run the page triages from (or is reading, to do so), 0 for the crowd rule.
    std::int64_t triageSource() const { return trajectoryRun_; }
    // Triage from data-parameters run `run`, or with 0 by the crowd rule, as when the curator picks
    // it in sourceBox(): a run finished later then does not take over. A run is read off the GUI
    // thread when it is not loaded yet; the bands change when it is (trajectories()->ready()).
    void setTriageSource(std::int64_t run);
    // The trajectory rule of the spin boxes (kept while the crowd rule triages).
    TrajectoryTriageRule trajectoryRule() const { return trajectoryRule_; }
    // Sets its widgets, which re-triages (and rescores off the GUI thread when the window changes).
    void setTrajectoryRule(const TrajectoryTriageRule& rule);
    TrajectorySource* trajectories() const { return trajectories_; }
    // The title above a band: "Hard (842) · est. 61% wrong".
    QLabel* bandTitle(Triage triage) const { return bandTitles_[static_cast<std::size_t>(triage)]; }
    // Why the trajectories are not used, or that they are being read; empty otherwise.
    QLabel* trajectoryStatus() const { return trajectoryStatus_; }
    // The class whose bands are shown, -1 for the items without consensus.
    int currentClass() const { return currentClass_; }
    void showClass(int label);

    // Review: worst first by consensus posterior, then agreement (reviewOrder). LabelQuality:
    // the self-confidence label-quality score of the consensus label under the run's
    // posteriors, ascending, items without consensus first. ItemId: natural order of the keys.
    void setSortOrder(SortOrder order);
    SortOrder sortOrder() const { return query_.sort(); }
    // Only items that `annotator` answered; -1 = any annotator. Throws std::out_of_range for an
    // index outside [-1, M).
    void setAnnotatorFilter(int annotator);
    int annotatorFilter() const { return query_.annotator(); }
    // Only items whose usable answers are not all equal to the consensus (agreement < 1).
    void setDisagreementOnly(bool on);
    bool disagreementOnly() const { return query_.disagreementOnly(); }
    void setDecidedFilter(DecidedFilter filter);
    DecidedFilter decidedFilter() const { return query_.decided(); }
    // Shows only `items` (dataset indices; others and duplicates ignored), over all classes,
    // with `title` in the filter bar and a button that clears it. The other filters still apply.
    void showItems(const QVector<int>& items, const QString& title);
    void clearItemFilter();
    bool hasItemFilter() const { return query_.hasItemFilter(); }
    // True when `item` passes every filter but the consensus-label (class) one.
    bool passesFilters(int item) const;
    // ReviewQuery::labelQuality(); empty without a run.
    const std::vector<double>& labelQuality() const { return query_.labelQuality(); }

    // Background runs go through the Runs tab, so that it and the Jobs panel list and cancel
    // every run in one place; `start` launches a Dawid-Skene run there and returns its job
    // (null when none started). Without a runner the Run button stays disabled.
    void setRunner(std::function<RunJob*()> start);
    // Gives the keyboard to the grid the curator works in (the selected class's current grid),
    // so that 1-9, Enter and the arrows act on it at once.
    void focusGrid();
    // Starts "ds" on the open dataset in the background; no-op while one runs.
    void runDawidSkene();
    void cancelRun();
    bool isRunning() const { return job_ != nullptr; }
    // "Run 3 · Dawid-Skene (ds) · accuracy 94.39%": the active run, from the document's run list.
    QLabel* activeRunLabel() const { return activeRun_; }

Q_SIGNALS:
    // An aggregation started from this page finished (stored when a project is open), failed or
    // was cancelled.
    void runFinished(bool ok, const QString& message);
    // The tiles selected in the bands changed: their items, ascending (the Map tab rings them).
    void selectionChanged(const QVector<int>& items);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onJobFinished(JobStatus status);
    void onDocumentLoaded();
    void onAggregationChanged();
    void updateActiveRunLabel();
    void onRuleEdited();
    void onTrajectoryRuleEdited();
    // Sets the trajectory rule's widgets; `apply`: as if edited (re-triages), else only takes the
    // rule (for a valid rule whose triage follows anyway).
    void showTrajectoryRule(const TrajectoryTriageRule& rule, bool apply = true);
    void fillSourceBox();
    void chooseSource(std::int64_t run);
    void onRunsChanged();
    void onTrajectoryReady();
    void onTrajectoryFailed(std::int64_t run, const QString& message);
    void adoptTrajectoryScale(const TrajectoryData& data);
    // Triages every item under trajectoryRule_ from the loaded trajectories and hands them to the
    // inspector; into the query when they are the source. Fills nothing.
    void updateTrajectoryTriage();
    void setTrajectoryStatus(const QString& text, bool error);
    void onFiltersEdited();
    void onAnnotatorEdited();
    void applyFilters();
    void recomputeTriage();
    IsDecided isDecided() const;
    void fillClassList();
    void fillBands();
    void onSelectionChanged(Triage triage);
    void scheduleThumbnailRequest();
    void requestVisibleThumbnails();
    void advance(QListView* view);
    // Tiles per line of `view`, and the tiles it shows at once (partly shown lines counted).
    int columns(const QListView* view) const;
    // After an undo, selects the items of the step undone (where they are in the bands on show).
    void onUndoIndexChanged(const QUndoStack* stack, int index);
    int screenful(const QListView* view) const;
    void moveTo(QListView* view, int row);
    // An arrow `key` at the edge of `view`'s band moves into the next (Down, Right) or previous
    // (Up, Left) band with items, past the last band into the next class; false when `key` is
    // not at the edge and the view moves itself.
    bool crossBand(QListView* view, int key);
    QListView* activeView() const;

    ProjectDocument* document_;
    ThumbnailProvider* provider_ = nullptr;
    ThumbnailDelegate* delegate_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QWidget* emptyPage_ = nullptr;
    QWidget* reviewPane_ = nullptr;
    QLabel* emptyText_ = nullptr;
    QPushButton* runButton_ = nullptr;
    QProgressBar* runProgress_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QLabel* runStage_ = nullptr;

    QComboBox* scale_ = nullptr;
    QLabel* easyPosteriorLabel_ = nullptr;
    QLabel* hardPosteriorLabel_ = nullptr;
    QDoubleSpinBox* easyPosterior_ = nullptr;
    QDoubleSpinBox* easyAgreement_ = nullptr;
    QSpinBox* easyMinAnswers_ = nullptr;
    QDoubleSpinBox* hardPosterior_ = nullptr;
    QDoubleSpinBox* hardAgreement_ = nullptr;
    QLabel* ruleText_ = nullptr;
    QComboBox* source_ = nullptr;
    QStackedWidget* ruleStack_ = nullptr;
    QWidget* crowdRulePanel_ = nullptr;
    QWidget* trajectoryRulePanel_ = nullptr;
    QSpinBox* window_ = nullptr;
    QDoubleSpinBox* easySpread_ = nullptr;
    QDoubleSpinBox* hardSpread_ = nullptr;
    QCheckBox* useCrowd_ = nullptr;
    QLabel* trajectoryEasyPosteriorLabel_ = nullptr;
    QDoubleSpinBox* trajectoryEasyPosterior_ = nullptr;
    QLabel* trajectoryRuleText_ = nullptr;
    QLabel* trajectoryStatus_ = nullptr;
    QTreeWidget* classes_ = nullptr;
    QComboBox* sortBox_ = nullptr;
    QLineEdit* annotatorEdit_ = nullptr;
    QCheckBox* disagreementBox_ = nullptr;
    QComboBox* decidedBox_ = nullptr;
    QWidget* itemFilterBar_ = nullptr;
    QLabel* itemFilterText_ = nullptr;
    std::array<QLabel*, 3> bandTitles_{};
    std::array<QListView*, 3> views_{};
    std::array<ThumbnailGridModel*, 3> models_{};
    InspectorPanel* inspector_ = nullptr;
    QTimer* requestTimer_ = nullptr;

    TriageRule rule_;
    std::array<TriageRule, 2> rules_{TriageRule::defaults(TriageScale::Posterior),
                                     TriageRule::defaults(TriageScale::Rank)};  // by TriageScale
    ReviewQuery query_;
    TrajectorySource* trajectories_ = nullptr;
    TrajectoryTriageRule trajectoryRule_;
    std::int64_t trajectoryRun_ = 0;  // the source: 0 = the crowd rule
    bool sourceChosen_ = false;       // the curator chose the source (setTriageSource)
    std::int64_t failedRun_ = 0;      // the run whose trajectories could not be read last
    bool settingTrajectoryRule_ = false;
    quint64 generation_ = 0;          // the document generation the page last loaded
    bool settingFilters_ = false;
    int currentClass_ = 0;
    bool syncingSelection_ = false;
    int undoIndex_ = 0;  // the undo stack's index last seen, to tell an undo from a new step
    bool settingRule_ = false;

    std::function<RunJob*()> startRun_;
    RunJob* job_ = nullptr;  // the running job started from this page
    QLabel* activeRun_ = nullptr;
};

}  // namespace crowdsift
