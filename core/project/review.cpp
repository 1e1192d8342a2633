#include "project/review.h"

#include "util/error.h"

#include <algorithm>
#include <chrono>

namespace crowdsift {

namespace {

const std::string kEmpty;

Decision makeRow(int item, int label, const char* status, const std::string& reviewer, const std::string& note)
{
    Decision d;
    d.item = item;
    d.label = label;
    d.status = status;
    d.reviewer = reviewer;
    d.note = note;
    return d;
}

bool is(const Decision& d, const char* status)
{
    return d.status == status;
}

bool holdsDecision(const Decision& d)
{
    return is(d, decision_status::Relabel) || is(d, decision_status::Accept) || is(d, decision_status::Clear);
}

std::string recordName(const Decision& d)
{
    return d.id > 0 ? "decision " + std::to_string(d.id) : "new decision for item " + std::to_string(d.item);
}

}  // namespace

Decision relabelDecision(int item, int label, const std::string& reviewer, const std::string& note)
{
    return makeRow(item, label, decision_status::Relabel, reviewer, note);
}

Decision acceptDecision(int item, int label, std::int64_t run, const std::string& reviewer, const std::string& note)
{
    Decision d = makeRow(item, label, decision_status::Accept, reviewer, note);
    d.run = run;
    return d;
}

Decision clearDecision(int item, const std::string& reviewer, const std::string& note)
{
    return makeRow(item, -1, decision_status::Clear, reviewer, note);
}

Decision noteDecision(int item, const std::string& reviewer, const std::string& note)
{
    return makeRow(item, -1, decision_status::Note, reviewer, note);
}

Decision undoDecision(const Decision& target, const std::string& reviewer)
{
    Decision d = makeRow(target.item, -1, decision_status::Undo, reviewer, {});
    d.undoes = target.id;
    return d;
}

Decision redoDecision(const Decision& undone)
{
    Decision d = undone;
    d.id = 0;
    d.time = 0;
    d.undoes = 0;
    return d;
}

ReviewState::ReviewState(int itemCount) : head_(static_cast<std::size_t>(std::max(itemCount, 0)), -1) {}

ReviewState ReviewState::replay(int itemCount, const std::vector<Decision>& log)
{
    ReviewState state(itemCount);
    state.log_.reserve(log.size());
    state.undone_.reserve(log.size());
    state.previous_.reserve(log.size());
    for (const Decision& d : log)
        state.apply(d);
    return state;
}

int ReviewState::rowIndex(std::int64_t id) const
{
    const auto it = std::lower_bound(log_.begin(), log_.end(), id,
                                     [](const Decision& d, std::int64_t value) { return d.id < value; });
    if (it == log_.end() || it->id != id)
        return -1;
    return static_cast<int>(it - log_.begin());
}

void ReviewState::checkRow(const Decision& d, const char* when) const
{
    const auto fail = [&](const std::string& problem) { throw InputError("decision log", recordName(d), problem); };
    if (d.item < 0 || d.item >= itemCount())
        fail("item " + std::to_string(d.item) + " is outside the project's " + std::to_string(itemCount()) + " items");
    const bool known = holdsDecision(d) || is(d, decision_status::Note) || is(d, decision_status::Undo);
    if (!known)
        fail("unknown status '" + d.status + "' " + when + "; known: relabel, accept, clear, note, undo");
    if (is(d, decision_status::Relabel)) {
        if (d.label < 0)
            fail("a relabel needs a class, got label " + std::to_string(d.label));
    } else if (is(d, decision_status::Accept)) {
        // -1 only in the log: an accept of schema 1 whose label the migration could not recover.
        if (d.label < -1 || (d.label == -1 && std::string(when) != "in the log"))
            fail("an accept needs the label accepted, got label " + std::to_string(d.label));
    } else if (d.label != -1) {
        fail("a '" + d.status + "' row carries no label, got " + std::to_string(d.label));
    }
    if (d.run != 0 && !is(d, decision_status::Accept))
        fail("only an accept row names a run ('" + d.status + "' names run " + std::to_string(d.run) + ")");
    if (d.run < 0)
        fail("run " + std::to_string(d.run) + " is no run id");
    if (!is(d, decision_status::Undo)) {
        if (d.undoes != 0)
            fail("only an undo row may name a decision to undo ('" + d.status + "' names "
                 + std::to_string(d.undoes) + ")");
        return;
    }
    const int target = rowIndex(d.undoes);
    if (target < 0)
        fail("undoes decision " + std::to_string(d.undoes) + ", which is not in the log before it");
    const Decision& t = log_[static_cast<std::size_t>(target)];
    if (is(t, decision_status::Undo))
        fail("undoes decision " + std::to_string(t.id) + ", itself an undo (a redo is a new row)");
    if (undone_[static_cast<std::size_t>(target)])
        fail("undoes decision " + std::to_string(t.id) + ", which was already undone");
    if (t.item != d.item)
        fail("undoes decision " + std::to_string(t.id) + " about item " + std::to_string(t.item) + ", not item "
             + std::to_string(d.item));
}

void ReviewState::check(const Decision& decision) const
{
    checkRow(decision, "for a new row");
}

void ReviewState::apply(const Decision& decision)
{
    if (decision.id <= 0 || (!log_.empty() && decision.id <= log_.back().id))
        throw InputError("decision log", "decision " + std::to_string(decision.id),
                         "ids must increase from 1 (the last applied is "
                             + std::to_string(log_.empty() ? 0 : log_.back().id) + ")");
    checkRow(decision, "in the log");

    const int item = decision.item;
    count(newest(item, true), -1);
    if (is(decision, decision_status::Undo))
        undone_[static_cast<std::size_t>(rowIndex(decision.undoes))] = 1;
    log_.push_back(decision);
    undone_.push_back(0);
    previous_.push_back(head_[static_cast<std::size_t>(item)]);
    head_[static_cast<std::size_t>(item)] = static_cast<int>(log_.size()) - 1;
    count(newest(item, true), +1);
}

const Decision* ReviewState::newest(int item, bool decisionOnly) const
{
    for (int r = head_[static_cast<std::size_t>(item)]; r >= 0; r = previous_[static_cast<std::size_t>(r)]) {
        const Decision& d = log_[static_cast<std::size_t>(r)];
        if (undone_[static_cast<std::size_t>(r)] || is(d, decision_status::Undo))
            continue;
        if (!decisionOnly || holdsDecision(d))
            return &d;
    }
    return nullptr;
}

void ReviewState::count(const Decision* row, int sign)
{
    if (!row)
        return;
    if (is(*row, decision_status::Relabel))
        relabelled_ += sign;
    else if (is(*row, decision_status::Accept))
        accepted_ += sign;
}

ReviewKind ReviewState::kindOf(int item) const
{
    const Decision* d = newest(item, true);
    if (!d)
        return ReviewKind::None;
    if (is(*d, decision_status::Relabel))
        return ReviewKind::Relabel;
    if (is(*d, decision_status::Accept))
        return ReviewKind::Accept;
    return ReviewKind::None;
}

int ReviewState::decisionOf(int item) const
{
    const Decision* d = newest(item, true);
    return d && is(*d, decision_status::Relabel) ? d->label : -1;
}

int ReviewState::decidedLabelOf(int item) const
{
    const Decision* d = newest(item, true);
    return d && (is(*d, decision_status::Relabel) || is(*d, decision_status::Accept)) ? d->label : -1;
}

int ReviewState::labelOf(int item, int consensus) const
{
    const int label = decidedLabelOf(item);
    return label >= 0 ? label : consensus;
}

const Decision* ReviewState::decisionRow(int item) const
{
    const Decision* d = newest(item, true);
    return d && !is(*d, decision_status::Clear) ? d : nullptr;
}

const std::string& ReviewState::noteOf(int item) const
{
    const Decision* d = newest(item, false);
    return d ? d->note : kEmpty;
}

std::vector<Decision> ReviewState::historyOf(int item) const
{
    std::vector<Decision> rows;
    for (int r = head_[static_cast<std::size_t>(item)]; r >= 0; r = previous_[static_cast<std::size_t>(r)])
        rows.push_back(log_[static_cast<std::size_t>(r)]);
    std::reverse(rows.begin(), rows.end());
    return rows;
}

std::vector<Decision> ReviewState::effectiveDecisions() const
{
    std::vector<Decision> rows;
    for (std::size_t r = 0; r < log_.size(); ++r)
        if (!undone_[r] && !is(log_[r], decision_status::Undo))
            rows.push_back(log_[r]);
    return rows;
}

std::vector<std::int64_t> ReviewState::undoableIds() const
{
    std::vector<std::int64_t> ids;
    for (std::size_t r = 0; r < log_.size(); ++r)
        if (!undone_[r] && !is(log_[r], decision_status::Undo))
            ids.push_back(log_[r].id);
    return ids;
}

std::vector<std::vector<Decision>> ReviewState::undoSteps() const
{
    std::vector<std::vector<Decision>> steps;
    for (Decision& d : effectiveDecisions()) {
        const bool joins = !steps.empty() && d.time != 0 && steps.back().back().time == d.time
                           && steps.back().back().reviewer == d.reviewer;
        if (!joins)
            steps.emplace_back();
        steps.back().push_back(std::move(d));
    }
    return steps;
}

bool ReviewState::isUndone(std::int64_t id) const
{
    const int r = rowIndex(id);
    return r >= 0 && undone_[static_cast<std::size_t>(r)];
}

ReviewState loadReviewState(const Project& project)
{
    return ReviewState::replay(project.itemCount(), project.decisions());
}

std::int64_t recordDecision(Project& project, ReviewState& state, Decision decision)
{
    return recordDecisions(project, state, {std::move(decision)}).front();
}

std::vector<std::int64_t> recordDecisions(Project& project, ReviewState& state, std::vector<Decision> decisions)
{
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (Decision& decision : decisions) {
        state.check(decision);
        if (decision.time <= 0)
            decision.time = now;
    }
    const std::vector<std::int64_t> ids = project.appendDecisions(decisions);
    for (std::size_t i = 0; i < decisions.size(); ++i) {
        decisions[i].id = ids[i];
        state.apply(decisions[i]);
    }
    return ids;
}

}  // namespace crowdsift
