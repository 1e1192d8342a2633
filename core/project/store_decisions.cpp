#include "project/store.h"

#include "project/store_internal.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

using store::bindText;
using store::columnText;
using store::guarded;
using store::nowSeconds;

std::int64_t Project::appendDecision(const Decision& decision)
{
    return appendDecisions({decision}).front();
}

std::vector<std::int64_t> Project::appendDecisions(const std::vector<Decision>& decisions)
{
    for (const Decision& decision : decisions) {
        if (decision.item < 0 || decision.item >= itemCount_)
            throw std::invalid_argument("appendDecision: item " + std::to_string(decision.item) + " is out of range");
        if (decision.label < -1 || decision.label >= classCount_)
            throw std::invalid_argument("appendDecision: label " + std::to_string(decision.label) + " is out of range");
        if (decision.status.empty())
            throw std::invalid_argument("appendDecision: a decision needs a status");
        if (decision.run < 0)
            throw std::invalid_argument("appendDecision: run " + std::to_string(decision.run) + " is no run id");
    }
    return guarded(path_, "cannot record the decision", [&] {
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement find(*db_, "SELECT 1 FROM decisions WHERE id = ?");
        SQLite::Statement insert(*db_, "INSERT INTO decisions (item, label, status, reviewer, time, note, undoes, run) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement findRun(*db_, "SELECT 1 FROM runs WHERE id = ?");
        std::vector<std::int64_t> ids;
        ids.reserve(decisions.size());
        for (const Decision& decision : decisions) {
            if (decision.undoes != 0) {
                find.reset();
                find.bind(1, static_cast<std::int64_t>(decision.undoes));
                if (!find.executeStep())
                    throw std::invalid_argument("appendDecision: there is no decision "
                                                + std::to_string(decision.undoes) + " to undo");
            }
            if (decision.run != 0) {
                findRun.reset();
                findRun.bind(1, static_cast<std::int64_t>(decision.run));
                if (!findRun.executeStep())
                    throw std::invalid_argument("appendDecision: there is no run " + std::to_string(decision.run));
            }
            insert.reset();
            insert.clearBindings();
            insert.bind(1, decision.item);
            if (decision.label >= 0)
                insert.bind(2, decision.label);
            insert.bind(3, decision.status);
            bindText(insert, 4, decision.reviewer);
            insert.bind(5, decision.time > 0 ? decision.time : nowSeconds());
            bindText(insert, 6, decision.note);
            if (decision.undoes != 0)
                insert.bind(7, static_cast<std::int64_t>(decision.undoes));
            if (decision.run != 0)
                insert.bind(8, static_cast<std::int64_t>(decision.run));
            insert.exec();
            ids.push_back(static_cast<std::int64_t>(db_->getLastInsertRowid()));
        }
        transaction.commit();
        return ids;
    });
}

std::vector<Decision> Project::decisions() const
{
    return guarded(path_, "cannot read the decisions", [&] {
        std::vector<Decision> result;
        SQLite::Statement select(*db_, "SELECT id, item, label, status, reviewer, time, note, undoes, run FROM decisions ORDER BY id");
        while (select.executeStep()) {
            Decision d;
            d.id = select.getColumn(0).getInt64();
            d.item = select.getColumn(1).getInt();
            d.label = select.getColumn(2).isNull() ? -1 : select.getColumn(2).getInt();
            d.status = select.getColumn(3).getString();
            d.reviewer = columnText(select.getColumn(4));
            d.time = select.getColumn(5).getDouble();
            d.note = columnText(select.getColumn(6));
            d.undoes = select.getColumn(7).isNull() ? 0 : select.getColumn(7).getInt64();
            d.run = select.getColumn(8).isNull() ? 0 : select.getColumn(8).getInt64();
            result.push_back(std::move(d));
        }
        return result;
    });
}

}  // namespace crowdsift
