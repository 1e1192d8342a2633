#pragma once

#include "data/dataset.h"
#include "util/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace crowdsift {

// The built-in demo: Fashion-MNIST test images labelled by a simulated, seeded crowd, written as
// a peerannot folder so that every reader, aggregator and view can be tried without real data.
//
// Each of the first `itemCount` images of the Fashion-MNIST t10k split gets 3 to 5 votes (uniform
// count) from distinct annotators, drawn without replacement with probability proportional to
// each annotator's workload weight, so that some annotators label far more images than others
// (sloppy ones most, careful ones least). A vote depends only on the annotator and the true
// class. The crowd mixes five kinds; the counts below are for the default 40 annotators (for M:
// one of each spammer, round(0.3 M) confusers, round(0.4 M) sloppy, the rest reliable), shuffled
// over the annotator ids by the seed. "Upper body" is the group T-shirt/top, Pullover, Coat,
// Shirt (labels 0, 2, 4, 6), the classes real annotators mix up. Each confuser has its own fixed
// swap of these four (a derangement drawn by the seed, e.g. Shirt -> Coat, Coat -> T-shirt/top)
// and, when wrong on an upper-body image, answers with it.
//
//   kind              count  right answer with probability  wrong answers      weight
//   reliable             10  U[0.85, 0.95] per annotator    uniform, other 9   U[0.30, 1.00]
//   sloppy               16  U[0.60, 0.70] per annotator    uniform, other 9   U[1.00, 2.50]
//   confuser             12  U[0.88, 0.95] elsewhere        uniform, other 9   U[0.50, 2.00]
//                            U[0.10, 0.30] upper body       its own swap
//   random spammer        1  0.10 (every label alike)       -                  2.00
//   constant spammer      1  one label, drawn by the seed   -                  2.00
//
// With the default options majority vote is right on 0.824 of the images (ties broken at random,
// counted at their expectation) and on only about 0.69 of the upper-body ones; Dawid-Skene
// (full confusion matrices, EM) reaches about 0.94, because it learns each confuser's swap and
// discounts the spammers.
//
// Randomness: one std::mt19937_64 seeded with `seed`; integers and uniforms are derived from its
// raw 64-bit output (never from std:: distributions, whose output differs between standard
// libraries), so a seed gives the same crowd on every platform.

struct DemoOptions {
    // Folder of the Debian package dataset-fashion-mnist (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).
    std::string fashionDir = "/usr/share/datasets/fashion-mnist";
    std::uint64_t seed = 20261122;
    int itemCount = 10000;     // the first itemCount t10k images, 1..10000
    int annotatorCount = 40;   // 8..100000
    int minVotes = 3;          // votes per image, from distinct annotators; 1 <= min <= max <= annotatorCount
    int maxVotes = 5;
    int threads = 2;           // PNG writers; the output does not depend on it
    // A non-empty outFolder is replaced only when this is set and the folder holds an earlier
    // demo (its crowd.json names this generator); any other non-empty folder is refused.
    bool replaceExisting = false;
};

enum class DemoAnnotatorKind { Reliable, Sloppy, Confuser, RandomSpammer, ConstantSpammer };
const char* demoAnnotatorKindName(DemoAnnotatorKind kind);  // "reliable", "random_spammer", ...

struct DemoAnnotator {
    DemoAnnotatorKind kind = DemoAnnotatorKind::Reliable;
    double accuracy = 0.0;       // P(right); for a confuser, outside the upper-body group
    double groupAccuracy = 0.0;  // confuser only: P(right) inside the upper-body group
    double weight = 1.0;         // relative workload
    int constantLabel = -1;      // constant spammer only
    // Confuser only, 10 entries: the label given for class k when wrong inside the upper body.
    std::vector<int> confusedWith;
};

struct DemoCrowd {
    std::vector<DemoAnnotator> annotators;  // M, index = annotator id
    // Item-major, sorted by annotator within an item; items index `truth`.
    std::vector<Answer> answers;
};

struct DemoResult {
    int items = 0;
    int annotators = 0;
    int answers = 0;
    int classes = 0;
    double majorityVoteAccuracy = 0.0;  // against truth, random tie-break at its expectation
    std::string folder;                 // absolute path of the written peerannot folder
};

// Class folder names in Fashion-MNIST label order ("0_tshirt_top" ... "9_ankle_boot"): the
// numeric prefix makes alphabetical order, which the peerannot reader uses, equal label order,
// and no name contains '-', which separates the task id in image file names.
std::vector<std::string> demoClassNames();

// The labels 0, 2, 4, 6 (T-shirt/top, Pullover, Coat, Shirt) that confusers mix up.
std::vector<int> demoUpperBodyClasses();

// The paragraph and table above, with the counts for `options`, for the README and the CLI.
std::string demoCrowdDescription(const DemoOptions& options);

// Simulates the crowd for true labels `truth` (N entries in [0, 10)). Pure and deterministic.
DemoCrowd simulateDemoCrowd(const std::vector<std::int32_t>& truth, const DemoOptions& options);

// Fraction of items whose majority vote equals the truth; a tie among t labels that includes
// the truth counts 1/t. `answers` are item-major triplets for items 0..truth.size()-1.
double majorityVoteAccuracy(const std::vector<Answer>& answers, const std::vector<std::int32_t>& truth,
                            int classCount);

// Reads Fashion-MNIST, simulates the crowd and writes the peerannot folder `outFolder`:
//   answers.json   {task: {worker: label}}, tasks "0".."N-1", workers "0".."M-1"
//   metadata.json  name "fashion-mnist-demo", n_classes, n_workers, n_tasks
//   train/<class>/<class>-<task>.png   28 x 28 grayscale, in the folder of its true class
//   truth.csv      task,label (for evaluation only)
//   crowd.json     seed, options, every annotator's kind and parameters, this description
// Everything is written into a hidden sibling folder first and renamed into place at the end,
// so outFolder never holds a half-written demo; a cancelled or failed run removes its partial
// folder. Throws InputError when the Fashion-MNIST files are missing or malformed, the options
// are out of range, or outFolder exists and may not be replaced; Cancelled when cancelled.
DemoResult buildDemo(const std::string& outFolder, const DemoOptions& options,
                     Progress& progress = Progress::none());

}  // namespace crowdsift
