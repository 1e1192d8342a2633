#include "project/review_actions.h"

#include "util/csv.h"
#include "util/error.h"

#include <charconv>
#include <unordered_map>
#include <unordered_set>

namespace crowdsift {

std::vector<Decision> relabelRows(const std::vector<int>& items, int label, const std::string& reviewer,
                                  const std::string& note)
{
    std::vector<Decision> rows;
    rows.reserve(items.size());
    for (int item : items)
        rows.push_back(relabelDecision(item, label, reviewer, note));
    return rows;
}

std::vector<Decision> acceptRows(const Dataset& dataset, const std::vector<int>& items, const std::vector<int>& consensus,
                                 std::int64_t run, const std::string& reviewer, const std::string& note,
                                 const std::string& where)
{
    const auto name = [&](int item) {
        return item >= 0 && item < static_cast<int>(dataset.itemKeys.size())
                   ? "item " + dataset.itemKeys[static_cast<std::size_t>(item)]
                   : "item #" + std::to_string(item);
    };
    std::vector<Decision> rows;
    rows.reserve(items.size());
    for (int item : items) {
        if (run <= 0)
            throw InputError(where, name(item), "there is no active run whose consensus could be accepted");
        if (item < 0 || item >= static_cast<int>(consensus.size()))
            throw InputError(where, name(item), "outside the active run's items");
        const int label = consensus[static_cast<std::size_t>(item)];
        if (label < 0)
            throw InputError(where, name(item), "the active run gives it no consensus (nobody answered it)");
        rows.push_back(acceptDecision(item, label, run, reviewer, note));
    }
    return rows;
}

std::vector<Decision> undoNewestStepRows(const ReviewState& state, const std::string& reviewer)
{
    const std::vector<std::vector<Decision>> steps = state.undoSteps();
    std::vector<Decision> rows;
    if (steps.empty())
        return rows;
    for (const Decision& row : steps.back())
        rows.push_back(undoDecision(row, reviewer));
    return rows;
}

int parseClass(const Dataset& dataset, const std::string& text, const std::string& file, const std::string& record)
{
    const int k = dataset.classCount();
    int value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc() && ptr == end && !text.empty()) {
        if (value < 0 || value >= k)
            throw InputError(file, record, "label " + text + " is outside the " + std::to_string(k) + " classes (0-"
                                               + std::to_string(k - 1) + ")");
        return value;
    }
    for (int c = 0; c < k; ++c)
        if (dataset.classNames[static_cast<std::size_t>(c)] == text)
            return c;
    throw InputError(file, record, "label '" + text + "' is neither a class index nor a class name");
}

int itemByKey(const Dataset& dataset, const std::string& key, const std::string& file, const std::string& record)
{
    for (std::size_t i = 0; i < dataset.itemKeys.size(); ++i)
        if (dataset.itemKeys[i] == key)
            return static_cast<int>(i);
    throw InputError(file, record, "there is no task '" + key + "' in the project");
}

std::vector<Decision> decisionsFromCsv(const std::string& path, const Dataset& dataset, const std::string& reviewer)
{
    const std::string text = readFileBytes(path);
    CsvReader reader(text, path);
    std::vector<std::string_view> fields;
    if (!reader.next(fields))
        throw InputError(path, "", "the file is empty; expected a header task,label[,note]");
    int taskColumn = -1;
    int labelColumn = -1;
    int noteColumn = -1;
    for (std::size_t c = 0; c < fields.size(); ++c) {
        const std::string name(fields[c]);
        int& column = name == "task" ? taskColumn : name == "label" ? labelColumn : noteColumn;
        if (name != "task" && name != "label" && name != "note")
            throw InputError(path, reader.lineName(), "unknown column '" + name + "'; expected task,label[,note]");
        if (column >= 0)
            throw InputError(path, reader.lineName(), "column '" + name + "' is given twice");
        column = static_cast<int>(c);
    }
    if (taskColumn < 0 || labelColumn < 0)
        throw InputError(path, reader.lineName(), "the header needs the columns task and label");
    const std::size_t columns = fields.size();

    std::unordered_map<std::string, int> items;
    items.reserve(dataset.itemKeys.size());
    for (std::size_t i = 0; i < dataset.itemKeys.size(); ++i)
        items.emplace(dataset.itemKeys[i], static_cast<int>(i));
    std::unordered_map<int, long long> seen;
    std::vector<Decision> rows;
    while (reader.next(fields)) {
        const std::string record = reader.lineName();
        if (fields.size() != columns)
            throw InputError(path, record, std::to_string(fields.size()) + " fields, the header has "
                                               + std::to_string(columns));
        const std::string key(fields[static_cast<std::size_t>(taskColumn)]);
        const auto it = items.find(key);
        if (it == items.end())
            throw InputError(path, record, "there is no task '" + key + "' in the project");
        const auto [previous, inserted] = seen.emplace(it->second, reader.line());
        if (!inserted)
            throw InputError(path, record, "task '" + key + "' is given twice (first on line "
                                               + std::to_string(previous->second) + ")");
        const int label = parseClass(dataset, std::string(fields[static_cast<std::size_t>(labelColumn)]), path, record);
        const std::string note = noteColumn >= 0 ? std::string(fields[static_cast<std::size_t>(noteColumn)]) : std::string();
        rows.push_back(relabelDecision(it->second, label, reviewer, note));
    }
    if (rows.empty())
        throw InputError(path, "", "no decisions: the file has a header but no rows");
    return rows;
}

}  // namespace crowdsift
