#pragma once

// The curator's review state, replayed from the project's append-only decision log.
//
// Conventions for the rows (Decision) the GUI and the CLI write:
//   status "relabel"  label = the new class index in [0, K): the item's final label is `label`.
//   status "accept"   label = the class the curator saw as the consensus and confirmed, run = the
//                     aggregation run it came from: the final label is `label`, whatever run is
//                     active later. (Schema 1 stored accepts without a label; the migration gives
//                     them the label of the run that was newest when they were made. One it could
//                     not resolve keeps label -1 and follows the active run's consensus.)
//   status "clear"    label = -1: the item is undecided again (consensus, not reviewed).
//   status "note"     label = -1: changes only the item's note, not its decision.
//   status "undo"     label = -1, `undoes` = the id of an earlier effective row of the same item
//                     (any status but "undo"): takes that row back, as if it had never been
//                     written. An undo is never undone; a redo is a new row equal to the undone
//                     one (same item, label, status, note; undoes = 0), so a QUndoCommand must
//                     keep the id of the row its redo wrote and undo that one next time.
// Every other row has undoes = 0, and every row but an accept has run = 0. A row is "effective" when it is not an undo and nothing undid
// it. An item's decision is that of its newest effective relabel / accept / clear row (none
// without one); its note is the note of its newest effective row of any status, so a relabel
// or accept should carry the note the curator sees (the GUI copies the current note into it).
//
// Rows written by one user action (a bulk relabel) should share one `time` and `reviewer`:
// undoSteps() regroups them into one step when a project is reopened.

#include "project/store.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

namespace decision_status {
inline constexpr const char* Relabel = "relabel";
inline constexpr const char* Accept = "accept";
inline constexpr const char* Clear = "clear";
inline constexpr const char* Note = "note";
inline constexpr const char* Undo = "undo";
}  // namespace decision_status

enum class ReviewKind : std::uint8_t { None = 0, Relabel = 1, Accept = 2 };

// Rows to append (id 0: the store assigns it). Their time is 0, stamped when appended.
Decision relabelDecision(int item, int label, const std::string& reviewer, const std::string& note = {});
// `label`: the consensus label accepted (>= 0), `run`: the aggregation run it is the label of.
Decision acceptDecision(int item, int label, std::int64_t run, const std::string& reviewer, const std::string& note = {});
Decision clearDecision(int item, const std::string& reviewer, const std::string& note = {});
Decision noteDecision(int item, const std::string& reviewer, const std::string& note);
Decision undoDecision(const Decision& target, const std::string& reviewer);
// The row that redoes `undone`: a copy with id 0, time 0 and undoes 0.
Decision redoDecision(const Decision& undone);

class ReviewState {
public:
    ReviewState() = default;
    explicit ReviewState(int itemCount);

    // Applies `log` (in id order, as Project::decisions() returns it) to an empty state.
    // Throws InputError ("decision log: decision <id>: <problem>") for a row that breaks the
    // conventions above, e.g. a project written by a newer version with unknown statuses.
    static ReviewState replay(int itemCount, const std::vector<Decision>& log);

    // Throws InputError, leaving the state unchanged, when `decision` breaks the conventions or
    // its id is not larger than every id applied so far. check() runs the same tests except the
    // one on the id, for a row about to be appended.
    void apply(const Decision& decision);
    void check(const Decision& decision) const;

    int itemCount() const { return static_cast<int>(head_.size()); }

    ReviewKind kindOf(int item) const;
    bool isDecided(int item) const { return kindOf(item) != ReviewKind::None; }
    // The relabelled class of `item`, -1 unless its decision is a relabel.
    int decisionOf(int item) const;
    // The class the item's decision fixed: the relabelled class, or the label accepted; -1 when
    // undecided (or an accept migrated without a label).
    int decidedLabelOf(int item) const;
    // decidedLabelOf(item) when there is one, else `consensus` (the active run's label).
    int labelOf(int item, int consensus) const;
    // The effective row holding the item's decision, nullptr when undecided. Valid until the
    // next apply().
    const Decision* decisionRow(int item) const;
    const std::string& noteOf(int item) const;
    // Every row about `item` (undone ones and undo rows included), in id order.
    std::vector<Decision> historyOf(int item) const;

    int decidedCount() const { return relabelled_ + accepted_; }
    int relabelledCount() const { return relabelled_; }
    int acceptedCount() const { return accepted_; }

    // All rows applied, in id order.
    const std::vector<Decision>& log() const { return log_; }
    // The effective rows in id order: the undo history to rebuild after reopening a project
    // (the redo history is not rebuilt; the undone rows stay in log()).
    std::vector<Decision> effectiveDecisions() const;
    std::vector<std::int64_t> undoableIds() const;
    // effectiveDecisions() grouped into undo steps: consecutive rows with the same nonzero time
    // and reviewer form one step.
    std::vector<std::vector<Decision>> undoSteps() const;
    // True when row `id` was applied and later undone.
    bool isUndone(std::int64_t id) const;

private:
    int rowIndex(std::int64_t id) const;  // -1 when not applied
    void checkRow(const Decision& decision, const char* when) const;
    const Decision* newest(int item, bool decisionOnly) const;
    void count(const Decision* row, int sign);

    std::vector<Decision> log_;
    std::vector<char> undone_;          // parallel to log_
    std::vector<int> previous_;         // parallel to log_: the item's previous row, -1 = none
    std::vector<int> head_;             // per item: its newest row, -1 = none
    int relabelled_ = 0;
    int accepted_ = 0;
};

// The state of `project`'s decision log.
ReviewState loadReviewState(const Project& project);

// Checks `decision` against `state`, appends it to `project` (durable on return), applies it
// with its new id and returns that id. Nothing is written when the check fails (InputError).
std::int64_t recordDecision(Project& project, ReviewState& state, Decision decision);
// The same for the decisions of one action, written in one transaction: every one is checked
// against `state` first; all are written and applied, or (InputError, a write error) none.
std::vector<std::int64_t> recordDecisions(Project& project, ReviewState& state, std::vector<Decision> decisions);

}  // namespace crowdsift
