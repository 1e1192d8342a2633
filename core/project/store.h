#pragma once

#include "data/dataset.h"
#include "util/npy.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace crowdsift {

class Progress;

// One background job recorded in a project (aggregation, training, t-SNE, ...).
struct RunInfo {
    std::int64_t id = 0;
    std::string kind;                  // e.g. "aggregate", "train"
    std::string name;                  // user-facing label, may be empty
    nlohmann::json params;             // as given to beginRun
    std::string status;                // running | done | failed | cancelled (a run whose process
                                       // died is found failed, see Project::open)
    double created = 0;                // seconds since the Unix epoch (UTC)
    double finished = 0;               // 0 while running
    nlohmann::json summary;            // null until finished
    std::vector<std::string> outputs;  // output array names, sorted
    std::int64_t parent = 0;           // the run this one was derived from (e.g. the ranking run
                                       // of a retrain on a subset); 0 = none
};

// One review decision. Decisions are never edited or deleted: an undo is a new decision whose
// `undoes` names the one it takes back, so the full history survives restarts.
struct Decision {
    std::int64_t id = 0;     // assigned by appendDecision, increasing from 1
    std::int32_t item = 0;   // item index
    std::int32_t label = -1; // new class index; -1 = none (accept consensus, cleared)
    std::string status;      // relabel | accept | revert | ...
    std::string reviewer;
    double time = 0;         // seconds since the Unix epoch (UTC); 0 = stamped on append
    std::string note;
    std::int64_t undoes = 0; // id of the decision this one takes back; 0 = none
    std::int64_t run = 0;    // an accept: the aggregation run whose consensus `label` is; else 0
};

// A project: one SQLite file (`.csift`, WAL mode) holding the imported dataset, the runs and
// the review decisions, plus the sibling cache folder `<path>.cache/` for large arrays (`.npy`,
// readable from Python). Every write is one transaction, so a crash or a kill at any moment
// leaves the last committed state. A Project owns its connection: use it from one thread at a
// time. Methods throw StoreError when the file cannot be read or written.
class Project {
public:
    // Creates the project at `path` and imports `dataset` in one transaction. The file is built
    // as `<path>.tmp-<pid>` and renamed into place once complete, so a kill mid-import leaves
    // nothing at `path`. Replacing (`overwrite`) is as safe: the old project stays whole until
    // the new one has taken its name, a kill at any moment leaves one of them whole (the next
    // open or create finishes the replacement or undoes it), and a project that a Project in any
    // process has open is not replaced (StoreError). A relative dataset root is stored made absolute. Throws StoreError when
    // `path` exists (unless `overwrite`), std::logic_error when the dataset is inconsistent,
    // Cancelled when `progress` is cancelled (nothing is left behind then either).
    static Project create(const std::string& path, const Dataset& dataset, Progress& progress,
                          bool overwrite = false);
    // Opens an existing project, migrating an older schema; read-only when the file or its folder
    // cannot be written (readOnly()). Waits up to 5 s while another process replaces it (create
    // with overwrite), and holds `<path>.lock` shared while open so that none replaces it under
    // this one; finishes or undoes a replacement whose process died. Throws StoreError naming the file
    // for a missing, empty, damaged or foreign file and for a schema newer than this build's.
    // A run still "running" whose process has ended (crashed or killed: it no longer holds the
    // run's lock file, see beginRun) is marked failed, with summary {"error": why}.
    static Project open(const std::string& path);
    // True when `path` starts with the SQLite magic and carries Crowdsift's application id.
    // Reads 100 bytes; never throws.
    static bool looksLikeProject(const std::string& path);

    Project(Project&&) noexcept;
    Project& operator=(Project&&) noexcept;
    ~Project();

    // The dataset as it was imported: same keys, splits, image paths (relative to root), truth
    // (empty when no item had one), answers, features and vote counts.
    Dataset loadDataset(Progress& progress) const;

    // Adds a machine annotator (annotators.kind 'machine'): the external id `id`, `source` (JSON:
    // the model file or run and the options it answered with) and its answers (each Answer's
    // `annotator` is ignored; items and labels must lie in range), all in one transaction. The
    // new annotator's index is the old annotator count; existing answers, runs and decisions are
    // untouched (a run made before it has one annotator less: its per-annotator outputs cover the
    // first M). Returns the new index. std::invalid_argument when the id is taken, is empty, or an
    // answer is out of range (nothing is written then).
    int addMachineAnnotator(const std::string& id, const nlohmann::json& source, const std::vector<Answer>& answers);
    // The source JSON of every annotator, M entries, null for people.
    std::vector<nlohmann::json> annotatorSources() const;
    // True when this process cannot write the project's file or folder: it was opened read-only
    // (reading works; a write throws StoreError saying so). An older schema is not migrated then:
    // open() throws StoreError.
    bool readOnly() const { return readOnly_; }

    int schemaVersion() const;
    // What the migration of this open changed, one line each (e.g. which label old accept rows
    // now keep); empty when the project was already at the current schema.
    const std::vector<std::string>& migrationNotes() const { return migrationNotes_; }

    // The active run: the aggregation run whose consensus the review shows and export writes
    // unless told otherwise; part of the project, so it survives reopening. 0 when none.
    std::int64_t activeRun() const;
    // Makes `run` the active run. std::invalid_argument unless it is a finished ("done")
    // aggregation run of this project.
    void setActiveRun(std::int64_t run);
    // Makes `run` the active run only when the project has none; true when it did. A new run
    // never takes the place of the curator's choice.
    bool activateIfNone(std::int64_t run);
    const std::string& path() const { return path_; }
    // `<path>.cache`; may not exist when the project has no arrays yet.
    std::string cacheDir() const;
    int itemCount() const { return itemCount_; }
    int classCount() const { return classCount_; }

    // Runs. beginRun records a run as "running" and returns its id. addRunOutput writes the
    // array to `<cache>/runs/<run>/<name>.npy` (replacing an output of that name) and then
    // records it; `name` is a file stem: letters, digits, '_', '-', '.', not starting with '.'.
    // `data` holds product(shape) values, row-major. finishRun sets the final status (done,
    // failed or cancelled), the finish time and the summary. While a run is running this
    // Project holds an exclusive lock on `<cache>/locks/run-<id>` (flock; the system drops it
    // when the process dies), which tells other processes that the run is alive. `parent`, when
    // not 0, is the run this one derives from (RunInfo::parent): std::invalid_argument unless it
    // is a run of this project.
    std::int64_t beginRun(const std::string& kind, const nlohmann::json& params,
                          const std::string& name = {}, std::int64_t parent = 0);
    void addRunOutput(std::int64_t run, const std::string& name, const float* data,
                      const std::vector<std::size_t>& shape);
    void addRunOutput(std::int64_t run, const std::string& name, const double* data,
                      const std::vector<std::size_t>& shape);
    void addRunOutput(std::int64_t run, const std::string& name, const std::int32_t* data,
                      const std::vector<std::size_t>& shape);
    void finishRun(std::int64_t run, const std::string& status, const nlohmann::json& summary);
    // Replaces the params of a running run, e.g. with defaults resolved once the job started.
    // std::invalid_argument unless `run` is running.
    void setRunParams(std::int64_t run, const nlohmann::json& params);
    std::vector<RunInfo> runs() const;  // in id order
    RunInfo run(std::int64_t id) const;  // std::invalid_argument for an unknown id
    // The array as written, for dtype float32, float64 or int32; std::invalid_argument for an
    // unknown run or name, StoreError when its file is missing from the cache folder.
    NpyArray runOutput(std::int64_t run, const std::string& name) const;

    // Decisions. appendDecision commits one transaction and is durable (fsynced) when it
    // returns; it returns the new id. Throws std::invalid_argument for an item or label out of
    // range or an `undoes` that names no earlier decision. appendDecisions does the same for
    // several decisions (one action of the curator, e.g. a bulk relabel) in one transaction:
    // all of them or, when one is invalid or the write fails, none; ids in the given order.
    std::int64_t appendDecision(const Decision& decision);
    std::vector<std::int64_t> appendDecisions(const std::vector<Decision>& decisions);
    std::vector<Decision> decisions() const;  // in id order

private:
    explicit Project(std::string path);
    void readHeader();
    template <typename T>
    void addRunOutputTyped(std::int64_t run, const std::string& name, const T* data,
                           const std::vector<std::size_t>& shape);

    void failInterruptedRuns();
    void releaseRunLock(std::int64_t run);
    std::string runLockPath(std::int64_t run) const;

    struct RunLocks;
    std::string path_;
    std::unique_ptr<SQLite::Database> db_;
    std::unique_ptr<RunLocks> runLocks_;
    int itemCount_ = 0;
    int classCount_ = 0;
    bool readOnly_ = false;
    std::vector<std::string> migrationNotes_;
};

}  // namespace crowdsift
