#include "targets.h"
#include "targets_internal.h"

#include "data/dataset.h"
#include "data/formats.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/json.h"
#include "util/npy.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace fs = std::filesystem;

namespace crowdsift::fuzz {

namespace {

// A folder of this process's own under the temporary folder, removed at exit.
class Scratch {
public:
    Scratch()
    {
        std::string pattern = (fs::temp_directory_path() / "crowdsift-fuzz-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a folder under " + fs::temp_directory_path().string());
        root_ = pattern;
    }
    ~Scratch()
    {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    const fs::path& root() const { return root_; }

private:
    fs::path root_;
};

}  // namespace

const fs::path& scratch()
{
    static const Scratch folder;
    return folder.root();
}

void writeBytes(const fs::path& path, std::string_view bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

fs::path freshFolder(const std::string& name)
{
    const fs::path folder = scratch() / name;
    std::error_code ec;
    fs::remove_all(folder, ec);
    fs::create_directories(folder);
    return folder;
}

namespace {

void readAs(const fs::path& path, Format format, bool complementary = false)
{
    ReadOptions options;
    options.format = format;
    options.complementary = complementary;
    expectInputErrors([&] { readDatasetWithWarnings(path.string(), options); });
    // The format guess looks at the content too.
    expectInputErrors([&] { detectFormat(path.string()); });
}

void fuzzCsv(std::string_view bytes)
{
    const fs::path file = freshFolder("csv") / "answers.csv";
    writeBytes(file, bytes);
    readAs(file, Format::Csv);
}

void fuzzMatrixCsv(std::string_view bytes)
{
    const fs::path file = freshFolder("matrix") / "matrix.csv";
    writeBytes(file, bytes);
    readAs(file, Format::Matrix);
    readAs(file, Format::Matrix, true);
}

void fuzzNpy(std::string_view bytes)
{
    const fs::path folder = freshFolder("npy");
    const fs::path matrix = folder / "labels.npy";
    writeBytes(matrix, bytes);
    expectInputErrors([&] {
        const NpyArray array = readNpy(matrix.string());
        // What the readers do next with an array they accepted.
        array.as<double>();
    });
    readAs(matrix, Format::Matrix);
    readAs(matrix, Format::Matrix, true);
    const fs::path counts = folder / "cifar10h-counts.npy";
    fs::rename(matrix, counts);
    readAs(counts, Format::Counts);
}

void fuzzPeerannot(std::string_view bytes)
{
    const fs::path folder = freshFolder("peerannot");
    const std::size_t marker = bytes.find(kAnswersMarker);
    if (marker == std::string_view::npos) {
        writeBytes(folder / "answers.json", bytes);
    } else {
        writeBytes(folder / "metadata.json", bytes.substr(0, marker));
        writeBytes(folder / "answers.json", bytes.substr(marker + std::string_view(kAnswersMarker).size()));
    }
    readAs(folder, Format::Peerannot);
    readAs(folder / "answers.json", Format::Auto);
}

void fuzzCifar10h(std::string_view bytes)
{
    const fs::path file = freshFolder("cifar10h") / "cifar10h-raw.csv";
    writeBytes(file, bytes);
    readAs(file, Format::Cifar10h);
}

void fuzzRodrigues(std::string_view bytes)
{
    const fs::path folder = freshFolder("rodrigues");
    const std::size_t marker = bytes.find(kFeaturesMarker);
    if (marker == std::string_view::npos) {
        writeBytes(folder / "answers.txt", bytes);
    } else {
        writeBytes(folder / "answers.txt", bytes.substr(0, marker));
        writeBytes(folder / "features.npy", bytes.substr(marker + std::string_view(kFeaturesMarker).size()));
    }
    readAs(folder, Format::Rodrigues);
}

}  // namespace

const Dataset& smallDataset()
{
    static const Dataset dataset = [] {
        const fs::path file = scratch() / "small.csv";
        writeBytes(file, "task,worker,label\n0,a,0\n1,a,1\n7,b,2\n7,a,2\n");
        return readDataset(file.string(), {});
    }();
    return dataset;
}

namespace {

// First byte: the file's extension (.csv, .txt, .npy) and whether empty label cells are allowed;
// the rest: the file.
void fuzzTruth(std::string_view bytes)
{
    if (bytes.empty())
        return;
    static const char* const extensions[] = {".csv", ".txt", ".npy"};
    const unsigned char selector = static_cast<unsigned char>(bytes[0]);
    const fs::path file = freshFolder("truth") / (std::string("truth") + extensions[selector % 3]);
    writeBytes(file, bytes.substr(1));
    Dataset dataset = smallDataset();
    expectInputErrors([&] { readTruth(dataset, file.string()); });
    if (file.extension() == ".csv")
        expectInputErrors([&] { readItemLabelCsv(dataset, file.string(), "labels", (selector & 4) != 0); });
}

// As `aggregate -p key=value` and every JSON text we read: the depth check, then nlohmann's
// parser, then the text written back (a run's params are stored and printed).
void fuzzJson(std::string_view bytes)
{
    expectInputErrors([&] {
        requireJsonDepth(bytes, "--param p");
        const nlohmann::json value = nlohmann::json::parse(bytes, nullptr, false);
        if (!value.is_discarded())
            jsonText(value, 2, "--param p");
        jsonText(nlohmann::json(std::string(bytes)), -1, "--param p");
    });
}

const std::map<std::string, std::function<void(std::string_view)>>& targets()
{
    static const std::map<std::string, std::function<void(std::string_view)>> table = {
        {"csv", fuzzCsv},
        {"matrix_csv", fuzzMatrixCsv},
        {"npy", fuzzNpy},
        {"peerannot", fuzzPeerannot},
        {"cifar10h", fuzzCifar10h},
        {"rodrigues", fuzzRodrigues},
        {"truth", fuzzTruth},
        {"json", fuzzJson},
#if CROWDSIFT_FUZZ_WITH_PROJECT
        {"decisions", fuzzDecisions},
        {"project", fuzzProject},
#endif
    };
    return table;
}

}  // namespace

const std::vector<std::string>& targetNames()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all;
        for (const auto& entry : targets())
            all.push_back(entry.first);
        return all;
    }();
    return names;
}

void runTarget(const std::string& name, const std::uint8_t* data, std::size_t size)
{
    const auto found = targets().find(name);
    if (found == targets().end())
        throw std::invalid_argument("no fuzz target '" + name + "'");
    found->second(std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace crowdsift::fuzz
