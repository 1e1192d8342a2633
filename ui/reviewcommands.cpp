#include "reviewcommands.h"

#include "projectdocument.h"

#include "project/review.h"
#include "project/review_actions.h"

#include <QCoreApplication>

#include <algorithm>

namespace crowdsift {

namespace {

QString tr(const char* text, const char* disambiguation = nullptr, int n = -1)
{
    return QCoreApplication::translate("crowdsift::ReviewCommands", text, disambiguation, n);
}

QString className(const ProjectDocument* document, int label)
{
    const std::vector<std::string>& names = document->dataset().classNames;
    return label >= 0 && label < static_cast<int>(names.size()) ? QString::fromStdString(names[label])
                                                                : QString::number(label);
}

QString itemName(const ProjectDocument* document, int item)
{
    const std::vector<std::string>& keys = document->dataset().itemKeys;
    return item >= 0 && item < static_cast<int>(keys.size()) ? QString::fromStdString(keys[item])
                                                             : QString::number(item);
}

QString describeStep(const ProjectDocument* document, const std::vector<Decision>& rows)
{
    if (rows.empty())
        return {};
    const Decision& first = rows.front();
    if (first.status == decision_status::Relabel) {
        if (rows.size() == 1)
            return tr("Relabel %1 as %2").arg(itemName(document, first.item), className(document, first.label));
        return tr("Relabel %n item(s) as %1", nullptr, static_cast<int>(rows.size()))
            .arg(className(document, first.label));
    }
    if (first.status == decision_status::Accept)
        return tr("Accept %n item(s)", nullptr, static_cast<int>(rows.size()));
    return tr("Review %n item(s)", nullptr, static_cast<int>(rows.size()));
}

std::vector<Decision> rowsOfRelabel(const ProjectDocument* document, const QVector<int>& items, int label,
                                    const QString& note)
{
    return relabelRows(std::vector<int>(items.begin(), items.end()), label, document->reviewer(), note.toStdString());
}

}  // namespace

DecisionCommand::DecisionCommand(ProjectDocument* document, std::vector<Decision> rows, const QString& text)
    : document_(document), rows_(std::move(rows))
{
    setText(text);
}

DecisionCommand::DecisionCommand(ProjectDocument* document, const std::vector<Decision>& writtenRows)
    : document_(document), skipRedo_(true)
{
    for (const Decision& row : writtenRows) {
        ids_.push_back(row.id);
        rows_.push_back(redoDecision(row));
    }
    setText(describeStep(document, rows_));
}

void DecisionCommand::redo()
{
    if (skipRedo_) {
        skipRedo_ = false;
        return;
    }
    std::vector<Decision> rows;
    rows.reserve(rows_.size());
    for (const Decision& row : rows_)
        rows.push_back(redoDecision(row));
    ids_ = document_->recordDecisions(std::move(rows));
    // Nothing written (the document reported why): a command without effect has no place on
    // the stack.
    if (ids_.empty())
        setObsolete(true);
}

void DecisionCommand::undo()
{
    const std::vector<Decision>& log = document_->reviewState().log();
    std::vector<Decision> rows;
    rows.reserve(ids_.size());
    for (std::int64_t id : ids_) {
        const auto it = std::lower_bound(log.begin(), log.end(), id,
                                         [](const Decision& row, std::int64_t value) { return row.id < value; });
        if (it != log.end() && it->id == id)
            rows.push_back(undoDecision(*it, document_->reviewer()));
    }
    if (!rows.empty() && document_->recordDecisions(std::move(rows)).empty()) {
        // Nothing was taken back: the stack moves on, but the step's rows stay in force, so the
        // redo that undoes this undo must not write them a second time.
        skipRedo_ = true;
        return;
    }
    ids_.clear();
}

RelabelCommand::RelabelCommand(ProjectDocument* document, int item, int label, const QString& note)
    : DecisionCommand(document, rowsOfRelabel(document, {item}, label, note),
                      tr("Relabel %1 as %2").arg(itemName(document, item), className(document, label)))
{
}

BulkRelabelCommand::BulkRelabelCommand(ProjectDocument* document, const QVector<int>& items, int label,
                                       const QString& note)
    : DecisionCommand(document, rowsOfRelabel(document, items, label, note),
                      tr("Relabel %n item(s) as %1", nullptr, static_cast<int>(items.size()))
                          .arg(className(document, label)))
{
}

AcceptCommand::AcceptCommand(ProjectDocument* document, std::vector<Decision> rows)
    : DecisionCommand(document, std::move(rows), {})
{
    setText(describeStep(document, this->rows()));
}

}  // namespace crowdsift
