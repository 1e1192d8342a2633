#pragma once

#include "project/store.h"

#include <QString>
#include <QUndoCommand>
#include <QVector>

#include <cstdint>
#include <vector>

namespace crowdsift {

class ProjectDocument;

// One review action as an undo command over the project's append-only decision log
// (project/review.h): redo() appends the action's rows, undo() appends one "undo" row per row
// the last redo() wrote, and a later redo() appends copies of the rows again. Every change goes
// through ProjectDocument::recordDecisions, so it is durable when the call returns and the
// views learn of it by the document's decisionsChanged signal.
class DecisionCommand : public QUndoCommand {
public:
    // `rows`: one decision per item, as relabelDecision() / acceptDecision() build them.
    DecisionCommand(ProjectDocument* document, std::vector<Decision> rows, const QString& text);
    // A step already in the log of a reopened project (rows with their ids): the first redo()
    // writes nothing, undo() takes those rows back.
    DecisionCommand(ProjectDocument* document, const std::vector<Decision>& writtenRows);

    void redo() override;
    void undo() override;

    const std::vector<Decision>& rows() const { return rows_; }
    // Ids of the rows the last redo() wrote; empty while undone.
    const std::vector<std::int64_t>& writtenIds() const { return ids_; }

private:
    ProjectDocument* document_;
    std::vector<Decision> rows_;     // what redo() writes: id 0, time 0
    std::vector<std::int64_t> ids_;
    // The next redo() writes nothing: the rows are in the log already (a step of a reopened
    // project), or the undo could not be written (the document said why) and they still apply.
    bool skipRedo_ = false;
};

// Relabels one item to class `label`, keeping the curator's note.
class RelabelCommand : public DecisionCommand {
public:
    RelabelCommand(ProjectDocument* document, int item, int label, const QString& note);
};

// Relabels every item of a selection to class `label` in one step.
class BulkRelabelCommand : public DecisionCommand {
public:
    BulkRelabelCommand(ProjectDocument* document, const QVector<int>& items, int label, const QString& note);
};

// Confirms the consensus of every item given: `rows` as acceptRows() builds them, each holding
// the label accepted and the run it came from.
class AcceptCommand : public DecisionCommand {
public:
    AcceptCommand(ProjectDocument* document, std::vector<Decision> rows);
};

}  // namespace crowdsift
