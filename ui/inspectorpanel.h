#pragma once

#include "analysis/trajectory_triage.h"

#include <QVector>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QButtonGroup;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;

namespace crowdsift {

class ProjectDocument;
class TrajectoryPlot;
struct TrajectoryData;

// What the inspector shows of a data-parameters run, set by the Review tab: the run's data, every
// item's category under the trajectory rule `rule` (N entries), and whether the review triages
// from it (else it triages by the crowd and the trajectory is shown for information).
struct InspectorTrajectory {
    std::shared_ptr<const TrajectoryData> data;
    std::shared_ptr<const std::vector<Triage>> categories;
    TrajectoryTriageRule rule;
    bool triageSource = false;
};

// The review inspector: the current item's image large, every annotator's vote with the
// annotator's estimated accuracy from the active run, the consensus and its posterior per class,
// the decision, the item's Data Parameter trajectory against its class when a data-parameters run
// is loaded (TrajectoryPlot, with its spread and category in words), a note field, and one button per class (with its key) plus "Accept consensus".
// The buttons act on the selection (bulk relabel when several items are selected) through the
// document's undoable edits; ReviewPage routes the keys to the same actions. The panel has a fixed
// width and wraps its text, so that the grid beside it keeps its columns whatever item is shown.
// Enter in the note field keeps the note for the next decision and hands the keys back
// (noteCommitted) instead of acting. An action on more items than the grid shows at once asks
// first.
class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(ProjectDocument* document, QWidget* parent = nullptr);

    // `current`: the item shown, -1 for none; `selection`: the items the actions apply to.
    void setSelection(int current, const QVector<int>& selection);
    int currentItem() const { return current_; }
    const QVector<int>& selection() const { return selection_; }

    // The class a key assigns: 1-9 then 0 for the first ten classes, a-z for the next 26; -1 when
    // the key assigns none (or the class does not exist).
    int classForKey(int key) const;
    static QString keyForClass(int label);

    // Relabels the selection to `label`, or accepts its consensus, with the note field's text.
    // When the selection holds more items than `screenful` returns (the tiles the grid shows at
    // once), asks first and does nothing unless the curator says yes.
    void assignClass(int label);
    void acceptConsensus();
    void setScreenful(std::function<int()> screenful) { screenful_ = std::move(screenful); }

    // The panel's fixed width, in pixels.
    static constexpr int fixedWidth = 300;

    QLineEdit* noteEdit() const { return note_; }
    QTreeWidget* votesTree() const { return votes_; }
    QTreeWidget* posteriorTree() const { return posteriors_; }
    QLabel* consensusLabel() const { return consensus_; }
    QLabel* qualityLabel() const { return quality_; }
    QLabel* decisionLabel() const { return decision_; }

    // The trajectory drawn for the current item; hidden while `trajectory.data` is null.
    void setTrajectory(InspectorTrajectory trajectory);
    const InspectorTrajectory& trajectory() const { return trajectory_; }
    TrajectoryPlot* trajectoryPlot() const { return plot_; }
    QLabel* trajectoryLabel() const { return trajectoryText_; }

Q_SIGNALS:
    // After an action on the selection, so the page can move on to the next item.
    void decided();
    // Enter in the note field: the note waits for the next decision, the keys go back to the grid.
    void noteCommitted();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void rebuildClassButtons();
    void refresh();
    void refreshTrajectory();
    void onDecisionsChanged(const QVector<int>& items);
    bool confirmBulk(const QString& action);

    ProjectDocument* document_;
    int current_ = -1;
    QVector<int> selection_;
    QLabel* image_ = nullptr;
    QLabel* title_ = nullptr;
    QLabel* consensus_ = nullptr;
    QLabel* quality_ = nullptr;
    QLabel* decision_ = nullptr;
    QTreeWidget* votes_ = nullptr;
    QTreeWidget* posteriors_ = nullptr;
    QLineEdit* note_ = nullptr;
    QWidget* buttonBox_ = nullptr;
    QGridLayout* buttonLayout_ = nullptr;
    QVector<QPushButton*> classButtons_;
    QPushButton* acceptButton_ = nullptr;
    std::function<int()> screenful_;
    InspectorTrajectory trajectory_;
    TrajectoryPlot* plot_ = nullptr;
    QLabel* trajectoryText_ = nullptr;
};

}  // namespace crowdsift
