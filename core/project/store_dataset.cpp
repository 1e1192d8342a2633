#include "project/store.h"

#include "project/store_internal.h"
#include "util/error.h"
#include "util/progress.h"

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace crowdsift {

namespace fs = std::filesystem;

using store::FloatMatrix;
using store::Prepared;
using store::columnText;
using store::guarded;
using store::progressEvery;
using store::readArray;

Dataset Project::loadDataset(Progress& progress) const
{
    const auto damaged = [&](const std::string& problem) {
        return StoreError(path_ + ": the project file is damaged (" + problem + ")");
    };
    Dataset d;
    guarded(path_, "cannot read the dataset", [&] {
        SQLite::Database& db = *db_;
        SQLite::Statement meta(db, "SELECT key, value FROM metadata");
        while (meta.executeStep()) {
            const std::string key = meta.getColumn(0).getString();
            const std::string value = columnText(meta.getColumn(1));
            if (key == "name")
                d.name = value;
            else if (key == "source")
                d.source = value;
            else if (key == "format")
                d.format = value;
            else if (key == "root")
                d.root = value;
        }

        SQLite::Statement classes(db, "SELECT idx, name FROM classes ORDER BY idx");
        while (classes.executeStep()) {
            if (classes.getColumn(0).getInt64() != static_cast<std::int64_t>(d.classNames.size()))
                throw damaged("class indices are not contiguous");
            d.classNames.push_back(classes.getColumn(1).getString());
        }

        progress.stage("reading items");
        const int n = itemCount_;
        d.itemKeys.reserve(static_cast<std::size_t>(n));
        d.splits.reserve(static_cast<std::size_t>(n));
        d.imagePaths.reserve(static_cast<std::size_t>(n));
        d.truth.assign(static_cast<std::size_t>(n), -1);
        bool anyTruth = false;
        SQLite::Statement items(db, "SELECT idx, key, split, image, truth FROM items ORDER BY idx");
        while (items.executeStep()) {
            const std::int64_t i = items.getColumn(0).getInt64();
            if (i != static_cast<std::int64_t>(d.itemKeys.size()) || i >= n)
                throw damaged("item indices are not contiguous");
            const int split = items.getColumn(2).getInt();
            if (split < 0 || split > 2)
                throw damaged("item " + std::to_string(i) + " has split " + std::to_string(split));
            d.itemKeys.push_back(items.getColumn(1).getString());
            d.splits.push_back(static_cast<Split>(split));
            d.imagePaths.push_back(columnText(items.getColumn(3)));
            const SQLite::Column truth = items.getColumn(4);
            if (!truth.isNull()) {
                d.truth[static_cast<std::size_t>(i)] = truth.getInt();
                anyTruth = true;
            }
            if (i % progressEvery == 0)
                progress.step(static_cast<double>(i), n, "reading items");
        }
        if (!anyTruth)
            d.truth.clear();

        SQLite::Statement annotators(db, "SELECT idx, external_id, kind FROM annotators ORDER BY idx");
        std::vector<std::uint8_t> machine;
        bool anyMachine = false;
        while (annotators.executeStep()) {
            if (annotators.getColumn(0).getInt64() != static_cast<std::int64_t>(d.annotatorIds.size()))
                throw damaged("annotator indices are not contiguous");
            d.annotatorIds.push_back(annotators.getColumn(1).getString());
            machine.push_back(annotators.getColumn(2).getString() == "machine" ? 1 : 0);
            anyMachine = anyMachine || machine.back() != 0;
        }
        if (anyMachine)
            d.machineAnnotators = std::move(machine);

        progress.stage("reading answers");
        const auto total = static_cast<std::size_t>(db.execAndGet("SELECT count(*) FROM answers").getInt64());
        std::vector<Answer> triplets;
        triplets.reserve(total);
        Prepared answers(db, "SELECT item, annotator, label, complementary FROM answers ORDER BY item, annotator");
        sqlite3_stmt* row = answers.get();
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(row)) == SQLITE_ROW) {
            triplets.push_back(Answer{sqlite3_column_int(row, 0), sqlite3_column_int(row, 1),
                                      sqlite3_column_int(row, 2), sqlite3_column_int(row, 3) != 0});
            if (triplets.size() % progressEvery == 0)
                progress.step(static_cast<double>(triplets.size()), static_cast<double>(total), "reading answers");
        }
        if (rc != SQLITE_DONE)
            throw SQLite::Exception(db.getHandle(), rc);
        try {
            d.answers = Answers::fromTriplets(n, d.annotatorCount(), triplets);
        } catch (const std::logic_error& e) {
            throw damaged(std::string("an answer is out of range: ") + e.what());
        }
    });

    const std::vector<std::pair<std::string, FloatMatrix*>> matrices{
        {"features", &d.features}, {"voteCounts", &d.voteCounts}};
    std::map<std::string, std::string> files;
    guarded(path_, "cannot read the dataset arrays", [&] {
        SQLite::Statement arrays(*db_, "SELECT name, file FROM dataset_arrays");
        while (arrays.executeStep())
            files[arrays.getColumn(0).getString()] = arrays.getColumn(1).getString();
    });
    for (const auto& [name, matrix] : matrices) {
        const auto it = files.find(name);
        if (it == files.end())
            continue;
        progress.stage("reading " + name);
        const fs::path file = fs::path(cacheDir()) / it->second;
        const NpyArray array = readArray(file, "the dataset's " + name);
        if (array.shape.size() != 2 || array.shape[0] != static_cast<std::size_t>(d.itemCount()))
            throw StoreError(file.string() + ": expected " + std::to_string(d.itemCount()) + " rows of " + name);
        const std::vector<float> values = array.as<float>();
        *matrix = Eigen::Map<const FloatMatrix>(values.data(), static_cast<Eigen::Index>(array.shape[0]),
                                                static_cast<Eigen::Index>(array.shape[1]));
    }

    try {
        d.validate();
    } catch (const std::logic_error& e) {
        throw damaged(std::string("the stored dataset is inconsistent: ") + e.what());
    }
    return d;
}

int Project::addMachineAnnotator(const std::string& id, const nlohmann::json& source, const std::vector<Answer>& answers)
{
    if (id.empty())
        throw std::invalid_argument("addMachineAnnotator: the annotator id is empty");
    for (const Answer& a : answers) {
        if (a.item < 0 || a.item >= itemCount_)
            throw std::invalid_argument("addMachineAnnotator: item " + std::to_string(a.item) + " is out of range");
        if (a.label < 0 || a.label >= classCount_)
            throw std::invalid_argument("addMachineAnnotator: label " + std::to_string(a.label) + " is out of range");
    }
    return guarded(path_, "cannot add the machine annotator", [&] {
        SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
        {
            SQLite::Statement taken(*db_, "SELECT 1 FROM annotators WHERE external_id = ?");
            taken.bind(1, id);
            if (taken.executeStep())
                throw std::invalid_argument("addMachineAnnotator: the project has an annotator '" + id
                                            + "' already (choose another --name)");
        }
        const int index = db_->execAndGet("SELECT count(*) FROM annotators").getInt();
        SQLite::Statement insert(*db_, "INSERT INTO annotators (idx, external_id, kind, source) VALUES (?, ?, 'machine', ?)");
        insert.bind(1, index);
        insert.bind(2, id);
        insert.bind(3, source.dump());
        insert.exec();
        SQLite::Statement answer(*db_, "INSERT INTO answers (item, annotator, label, complementary) VALUES (?, ?, ?, ?)");
        for (const Answer& a : answers) {
            answer.reset();
            answer.bind(1, a.item);
            answer.bind(2, index);
            answer.bind(3, a.label);
            answer.bind(4, a.complementary ? 1 : 0);
            answer.exec();
        }
        transaction.commit();
        return index;
    });
}

std::vector<nlohmann::json> Project::annotatorSources() const
{
    return guarded(path_, "cannot read the annotators", [&] {
        std::vector<nlohmann::json> sources;
        SQLite::Statement select(*db_, "SELECT source FROM annotators ORDER BY idx");
        while (select.executeStep())
            sources.push_back(select.getColumn(0).isNull()
                                  ? nlohmann::json()
                                  : store::storedJson(select.getColumn(0).getString(), path_, "an annotator's source"));
        return sources;
    });
}

}  // namespace crowdsift
