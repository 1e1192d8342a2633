#pragma once

#include "data/dataset.h"

#include <string>
#include <vector>

namespace crowdsift {

class Progress;

// Dataset readers and writers. Every reader either returns a complete, validated Dataset or
// throws InputError "<file>: <record>: <problem>" (record = "line 17", "task '12', worker '7'",
// "row 3, column 5", ...); nothing is half-imported. Common rules:
//
// - Items and annotators are indexed in naturalIdOrder() of their external ids (numeric when
//   every id is an integer), which is the indexing of the peer reference files. Annotators are
//   those that gave at least one answer, except in label matrices and Rodrigues files, where
//   every column is one.
// - Labels are integers in [0, K). K is the declared class count (ReadOptions::classCount), else
//   the format's own (peerannot n_classes, CIFAR-10H 10, vote-count columns), else max label + 1.
//   A declared count that disagrees with the format's own is an error. At most kMaxClasses
//   classes; a count taken from the largest label alone at most kMaxInferredClasses (a stray
//   label 32767 in a two-line file is an error naming its line, not 32,768 classes).
// - The same (item, annotator) pair answered twice: with the same label the answer is kept once
//   and the repeats are counted in a ReadWarning; with different labels it is an error naming both
//   records.
// - Text files may start with a UTF-8 byte order mark and use CRLF line ends.
//
// Formats:
// - Peerannot: a folder (or an answers JSON file inside it, e.g. answers_valid.json) with
//   answers.json {task: {worker: label}}, optional metadata.json {name, n_classes, n_workers,
//   n_tasks / n_task, class_names (ours)}, and images <split>/<class>/<stem>-<task>.<ext> with split
//   train, val or test. A complementary answer ("not class k") is written {"not": k} in place of
//   the label: {task: {worker: {"not": 3}}}. Items are the tasks of the answers file; an image is matched to its task
//   by the "-<task>" suffix of its stem; images of tasks without answers are only counted. An
//   image that resolves outside the folder (symlink, "..") or cannot be read is an error, as are
//   two images for one task. Class names: metadata class_names, else train/'s subfolders sorted
//   alphabetically when there are exactly K of them (except peerannot's CIFAR-10 names plane,
//   car, bird, ..., which keep the CIFAR-10 label order), else "0".."K-1". Without n_classes,
//   K = the train/ subfolder count when that covers every label.
// - Csv (long form): header naming a task column (task | question | item), a worker column
//   (worker | annotator) and a label column (label | answer), in any order; other columns are
//   ignored. Integer labels. An optional column `complementary` (0/1, true/false, empty = 0)
//   marks an answer "not class <label>".
// - Matrix: N x M label matrix. CSV: a cell is empty or NaN when not labelled. The first row is a
//   header (annotator ids) when any of its cells is neither empty, a number nor NaN; a header
//   whose cells are all numbers is read as data, so name the corner cell (pandas:
//   to_csv(index_label="task")). With a header, the first column holds item ids when the
//   header's first cell is empty or one of task, item, question, id, index, image. Without ids,
//   items are "0".."N-1" and annotators "0".."M-1". Integral floats ("3.0") are accepted.
//   .npy: float (NaN = not labelled) or integer (negative = not labelled), keys "0".."N-1"; a
//   sibling features.npy with N rows fills Dataset::features (other dimensions flattened).
//   With ReadOptions::complementary every label is a complementary one.
// - Cifar10h: cifar10h-raw.csv, columns found by name: annotator_id, chosen_label,
//   cifar10_test_test_idx, is_attn_check (rows with is_attn_check 1 are dropped) and, when
//   present, true_label (the CIFAR-10 test label, used as truth). Class names: CIFAR-10's.
// - Rodrigues: answers.txt (or the folder holding it), N x M whitespace-separated, -1 = not
//   labelled; items and annotators "0".."N-1" / "0".."M-1". A sibling features.npy or
//   data_train*.npy with N rows fills Dataset::features (other dimensions flattened). Truth
//   (labels_train.txt) only through ReadOptions::truthPath, never implicitly.
// - Counts: N x K .npy of vote counts (no annotators): fills Dataset::voteCounts; answers hold N
//   items and 0 annotators. Class names are CIFAR-10's when K = 10 and the file name contains
//   "cifar10", else "0".."K-1".
enum class Format { Auto, Peerannot, Csv, Matrix, Cifar10h, Rodrigues, Counts };

// "auto", "peerannot", "csv", "matrix", "cifar10h", "rodrigues", "counts" (case-insensitive);
// throws InputError naming the accepted names otherwise.
Format parseFormat(const std::string& name);
const char* formatName(Format format);

// Guesses the format from the path and a look at the content:
//   folder with answers.json -> Peerannot, folder with answers.txt -> Rodrigues,
//   .json -> Peerannot, .txt -> Rodrigues,
//   .csv -> Cifar10h (annotator_id, chosen_label, cifar10_test_test_idx columns), Csv (task/worker/
//           label header), else Matrix,
//   .npy -> Counts when the name contains "count", Matrix when it holds NaN or negative entries.
// Throws InputError when it cannot tell.
Format detectFormat(const std::string& path);

// The most classes a dataset may have (labels are stored as 16-bit values).
constexpr int kMaxClasses = 32768;
// The most classes read from the largest label alone, without a declared count.
constexpr int kMaxInferredClasses = 1000;

struct ReadOptions {
    Format format = Format::Auto;
    // Optional truth file, read by readTruth() after the answers.
    std::string truthPath;
    // Peerannot: truth of an item = class index of its image's <class> folder. Only on request,
    // since the folders of crowdsourced data usually hold the crowd's guess, not the truth.
    bool truthFromFolders = false;
    // 0 = the format's own or max label + 1; > 0 = declared (at most kMaxClasses), every label
    // must be below it.
    int classCount = 0;
    // Matrix only: every label of the matrix is complementary ("not class k"), as in the ACL
    // datasets' cl_labels (N x C, one column per complementary label given; each column is read
    // as one annotator). Other formats mark each answer themselves.
    bool complementary = false;
    // Optional; step() is called about every 64k records, so a read can be cancelled.
    Progress* progress = nullptr;
};

// What a reader dropped or changed without failing, for the caller to show (core logs nothing).
// The readers report:
// - repeated answers (same item, annotator and label) kept once;
// - CIFAR-10H attention-check rows dropped;
// - a Rodrigues or .npy matrix feature file whose rows are not one per item, not loaded;
// - peerannot images not matched to a task with answers (no -<task> suffix, or a task without
//   answers), not used;
// - truth entries that fall short of the items (items past the end have no truth).
struct ReadWarning {
    std::string file;     // the file or folder concerned, as given or found
    std::string problem;  // what was dropped or changed, with counts

    std::string text() const { return file + ": " + problem; }  // "<file>: <problem>"
};

struct DatasetRead {
    Dataset dataset;
    std::vector<ReadWarning> warnings;  // in the order met; empty when nothing was dropped or changed
};

// Reads a dataset (and options.truthPath) and says what it dropped or changed. Throws InputError
// on bad input, Cancelled through options.progress.
DatasetRead readDatasetWithWarnings(const std::string& path, const ReadOptions& options = {});
// readDatasetWithWarnings() without the warnings, for callers that have nowhere to show them
// (tests, benchmarks, re-reading a dataset already imported once).
Dataset readDataset(const std::string& path, const ReadOptions& options = {});

// Fills dataset.truth (N entries, -1 = unknown) from:
// - .npy integer or integral float vector, or .txt with one label per line (Rodrigues'
//   labels_train.txt): entry i is the truth of the item whose key is the integer i when every
//   key is an integer (keys past the end get -1), else of item index i (the length must then
//   be N). Negative entries mean unknown; NaN is an error.
// - CSV with a header naming a task column (task | question | item) and a label column
//   (label | truth): keyed by external id; an unknown task id is an error naming the line.
// Labels must lie in [0, K). On error dataset is left unchanged. Returns what it could not use
// (see ReadWarning).
std::vector<ReadWarning> readTruth(Dataset& dataset, const std::string& path);

// One label per item from a CSV whose header names a task column (task | question | item) and a
// label column (label | truth), keyed by the dataset's item ids; the truth CSV above and the
// labels files of `train` are read by it. labels: N entries in item order, -1 for an item without
// a row (or, with `allowEmpty`, with an empty label cell). A task may repeat with the same label.
// InputError naming the file and line for an unknown task, a task given two different labels
// (`what` names them: "task '7' has two truths, 1 and 2"), a label outside [0, K) or a short row.
struct ItemLabels {
    std::vector<std::int32_t> labels;
    std::size_t itemsWithRow = 0;  // distinct items the file has a row for
};
ItemLabels readItemLabelCsv(const Dataset& dataset, const std::string& path, const std::string& what, bool allowEmpty);

// Writers replace their files atomically (file.tmp, fsync, rename). Complementary answers are
// written as each format marks them (peerannot {"not": k}, the CSV's complementary column); a
// label matrix holds only one kind, so writeMatrix() throws InputError for a dataset mixing
// votes and complementary answers (a complementary-only one reads back with
// ReadOptions::complementary).
//
// answers.json {task: {worker: label}} (items in index order, items without answers as {}) and
// metadata.json {name, n_classes, n_workers, n_tasks, class_names} into `folder` (created if
// needed). Images are not copied: write into the dataset's own folder to keep them.
void writePeerannot(const Dataset& dataset, const std::string& folder);
// task,worker,label with a header, external ids, item-major order; a fourth column
// complementary (0/1) when the dataset has complementary answers.
void writeLongCsv(const Dataset& dataset, const std::string& path);
// N x M label matrix by extension: .csv (header "task,<annotator ids>", a first column of item
// ids, empty cell = not labelled) or .npy (float64, NaN = not labelled).
void writeMatrix(const Dataset& dataset, const std::string& path);

}  // namespace crowdsift
