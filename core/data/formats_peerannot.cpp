#include "data/formats.h"

#include "data/formats_internal.h"
#include "util/csv.h"
#include "util/json.h"
#include "util/error.h"
#include "util/progress.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>

#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace crowdsift {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 3,
// column 5: "; keep the part after that and name the line ourselves from the byte offset.
[[noreturn]] void throwJsonError(const std::string& file, const std::string& text, std::size_t position,
                                 const std::string& what)
{
    long long line = 1;
    const std::size_t end = std::min(position, text.size());
    for (std::size_t i = 0; i < end; ++i)
        if (text[i] == '\n')
            ++line;
    std::string problem = what;
    const std::size_t column = problem.find("column ");
    if (column != std::string::npos) {
        const std::size_t colon = problem.find(": ", column);
        if (colon != std::string::npos)
            problem = problem.substr(colon + 2);
    }
    throw InputError(file, "line " + std::to_string(line), "malformed JSON: " + problem);
}

bool isBlankText(const std::string& text)
{
    std::size_t start = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    return text.find_first_not_of(" \t\r\n", start) == std::string::npos;
}

// Streams {task: {worker: label}} straight into the collector. A DOM parse would keep only
// one of two identical keys, hiding the duplicates we must report.
class AnswersSax : public nlohmann::json_sax<json> {
public:
    AnswersSax(formats::AnswerCollector& collector, int classCount, const std::string& file,
               const std::string& text, Progress* progress)
        : collector_(collector), classCount_(classCount), file_(file), text_(text), progress_(progress)
    {
    }

    bool null() override { return badValue("null"); }
    bool boolean(bool) override { return badValue("a boolean"); }
    bool number_integer(number_integer_t value) override { return label(value); }
    bool number_unsigned(number_unsigned_t value) override
    {
        return label(value > static_cast<number_unsigned_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(value),
                     std::to_string(value));
    }
    // `text` is the number as written: 2^64 and beyond arrive here as floats.
    bool number_float(number_float_t value, const string_t& text) override
    {
        if (depth_ != 2 && depth_ != 3)
            return badValue("a number");
        if (!std::isfinite(value) || value != std::floor(value))
            throw InputError(file_, record(), "label " + text + " is not an integer");
        return label(static_cast<std::int64_t>(std::clamp(value, -1.0e15, 1.0e15)), text);
    }
    bool string(string_t&) override { return badValue("a string"); }
    bool binary(binary_t&) override { return badValue("binary data"); }

    // A complementary answer is the object {"not": label} in place of the label.
    bool start_object(std::size_t) override
    {
        if (depth_ == 3)
            return badValue("an object");
        if (depth_ == 2)
            notSeen_ = false;
        ++depth_;
        return true;
    }
    bool key(string_t& value) override
    {
        if (depth_ == 1) {
            taskKey_ = value;
            task_ = collector_.item(value);
        } else if (depth_ == 2) {
            workerKey_ = value;
        } else if (value != "not" || notSeen_) {
            throw InputError(file_, record(), "a complementary answer is {\"not\": label}, found the key '" + value + "'");
        }
        return true;
    }
    bool end_object() override
    {
        if (depth_ == 3 && !notSeen_)
            throw InputError(file_, record(), "a complementary answer is {\"not\": label}, found an empty object");
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override { return badValue("an array"); }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override
    {
        throwJsonError(file_, text_, position, ex.what());
    }

private:
    std::string record() const { return "task '" + taskKey_ + "', worker '" + workerKey_ + "'"; }

    bool badValue(const char* what)
    {
        if (depth_ == 0)
            throw InputError(file_, "", std::string("expected an object {task: {worker: label}}, found ") + what);
        if (depth_ == 1)
            throw InputError(file_, "task '" + taskKey_ + "'",
                             std::string("expected an object {worker: label}, found ") + what);
        throw InputError(file_, record(), std::string("expected an integer label or {\"not\": label}, found ") + what);
    }

    bool label(std::int64_t value, const std::string& shown = {})
    {
        if (depth_ != 2 && depth_ != 3)
            return badValue("a number");
        const std::int32_t label = formats::checkLabel(value, classCount_, file_, record(), shown);
        notSeen_ = depth_ == 3;
        collector_.add(task_, collector_.annotator(workerKey_), label,
                       static_cast<std::int64_t>(collector_.answerCount()), depth_ == 3);
        if (progress_ && (collector_.answerCount() & 0xFFFF) == 0)
            progress_->check();
        return true;
    }

    formats::AnswerCollector& collector_;
    int classCount_;
    const std::string& file_;
    const std::string& text_;
    Progress* progress_;
    int depth_ = 0;
    bool notSeen_ = false;  // inside {"not": label}: the label was read
    std::int32_t task_ = -1;
    std::string taskKey_;
    std::string workerKey_;
};

struct Metadata {
    std::string name;
    int classCount = 0;
    std::vector<std::string> classNames;
};

Metadata readMetadata(const fs::path& path)
{
    Metadata meta;
    std::error_code ec;
    if (!fs::exists(path, ec))
        return meta;
    const std::string file = path.string();
    const std::string text = readTextFile(file);
    if (isBlankText(text))
        throw InputError(file, "", "file is empty");
    requireJsonDepth(text, file);
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throwJsonError(file, text, e.byte > 0 ? e.byte - 1 : 0, e.what());
    } catch (const json::out_of_range& e) {
        // A number too large for a double ("1e400") is reported without a position; the message
        // quotes the token, so find it to name the line.
        const std::string what = e.what();
        const std::size_t open = what.find("parsing '");
        const std::size_t close = open == std::string::npos ? open : what.find('\'', open + 9);
        const std::size_t position =
            close == std::string::npos ? std::string::npos : text.find(what.substr(open + 9, close - open - 9));
        const std::size_t bracket = what.find("] ");
        throwJsonError(file, text, position == std::string::npos ? 0 : position,
                       bracket == std::string::npos ? what : what.substr(bracket + 2));
    }
    if (!doc.is_object())
        throw InputError(file, "", "expected a JSON object");
    if (doc.contains("name")) {
        if (doc["name"].is_string())
            meta.name = doc["name"].get<std::string>();
        else if (!doc["name"].is_null())
            meta.name = doc["name"].dump();
    }
    if (doc.contains("n_classes")) {
        const json& k = doc["n_classes"];
        const bool integral = k.is_number_integer()
                              || (k.is_number_float() && k.get<double>() == std::floor(k.get<double>()));
        if (!integral || k.get<double>() < 1 || k.get<double>() > 32768)
            throw InputError(file, "n_classes", "must be a positive integer, found " + k.dump());
        meta.classCount = static_cast<int>(k.get<double>());
    }
    if (doc.contains("class_names")) {
        const json& names = doc["class_names"];
        if (!names.is_array())
            throw InputError(file, "class_names", "must be an array of strings");
        for (const json& n : names) {
            if (!n.is_string())
                throw InputError(file, "class_names", "must be an array of strings, found " + n.dump());
            meta.classNames.push_back(n.get<std::string>());
        }
    }
    return meta;
}

bool isHidden(const fs::path& path)
{
    const std::string name = path.filename().string();
    return name.empty() || name[0] == '.';
}

std::vector<fs::path> sortedEntries(const fs::path& folder, bool directories)
{
    std::vector<fs::path> out;
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec)
        throw InputError(folder.string(), "", "cannot list the folder: " + ec.message());
    for (const fs::directory_entry& entry : it) {
        if (isHidden(entry.path()))
            continue;
        std::error_code typeError;
        const bool isDirectory = entry.is_directory(typeError);
        if (isDirectory == directories)
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// peerannot's CIFAR-10H folders use these names with torchvision's CIFAR-10 label order.
bool isPeerannotCifar10(std::vector<std::string> names)
{
    static const std::vector<std::string> cifar{"plane", "car", "bird", "cat", "deer",
                                                "dog",   "frog", "horse", "ship", "truck"};
    std::vector<std::string> sortedCifar = cifar;
    std::sort(sortedCifar.begin(), sortedCifar.end());
    std::sort(names.begin(), names.end());
    return names == sortedCifar;
}

std::vector<std::string> peerannotCifar10Order()
{
    return {"plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

// Fills imagePaths / splits (and the class folder of each item) from <split>/<class>/<stem>-<task>.<ext>.
void scanImages(const fs::path& folder, Dataset& dataset, std::vector<std::string>& folderClass, Progress* progress,
                std::vector<ReadWarning>& warnings)
{
    std::error_code ec;
    const fs::path root = fs::canonical(folder, ec);
    if (ec)
        throw InputError(folder.string(), "", "cannot resolve the folder: " + ec.message());
    std::unordered_map<std::string_view, std::int32_t> items;
    items.reserve(dataset.itemKeys.size());
    for (std::size_t i = 0; i < dataset.itemKeys.size(); ++i)
        items.emplace(dataset.itemKeys[i], static_cast<std::int32_t>(i));

    std::size_t images = 0, matched = 0, withoutAnswers = 0, withoutTask = 0;
    const std::pair<const char*, Split> splits[] = {{"train", Split::Train}, {"val", Split::Val}, {"test", Split::Test}};
    for (const auto& [splitName, split] : splits) {
        const fs::path splitFolder = folder / splitName;
        if (!fs::is_directory(splitFolder, ec))
            continue;
        for (const fs::path& classFolder : sortedEntries(splitFolder, true)) {
            const std::string className = classFolder.filename().string();
            for (const fs::path& image : sortedEntries(classFolder, false)) {
                ++images;
                if (progress && (images & 0x3FF) == 0)
                    progress->check();
                const std::string stem = image.stem().string();
                const std::size_t dash = stem.rfind('-');
                if (dash == std::string::npos) {
                    ++withoutTask;
                    continue;
                }
                const auto found = items.find(std::string_view(stem).substr(dash + 1));
                if (found == items.end()) {
                    ++withoutAnswers;
                    continue;
                }
                const auto item = static_cast<std::size_t>(found->second);
                const std::string relative = std::string(splitName) + "/" + className + "/" + image.filename().string();
                if (!dataset.imagePaths[item].empty())
                    throw InputError(image.string(), "task '" + dataset.itemKeys[item] + "'",
                                     "the task already has the image " + dataset.imagePaths[item]);
                std::error_code resolveError;
                const fs::path resolved = fs::canonical(image, resolveError);
                if (resolveError)
                    throw InputError(image.string(), "", "image cannot be resolved: " + resolveError.message());
                const fs::path inside = resolved.lexically_relative(root);
                if (inside.empty() || *inside.begin() == "..")
                    throw InputError(image.string(), "", "image resolves outside the dataset folder, to "
                                                             + resolved.string());
                if (!fs::is_regular_file(resolved, ec))
                    throw InputError(image.string(), "", "image is not a regular file");
                if (::access(resolved.c_str(), R_OK) != 0)
                    throw InputError(image.string(), "", "image cannot be read (permission denied)");
                dataset.imagePaths[item] = relative;
                dataset.splits[item] = split;
                folderClass[item] = className;
                ++matched;
            }
        }
    }
    if (withoutAnswers + withoutTask > 0)
        warnings.push_back({folder.string(), std::to_string(withoutAnswers + withoutTask) + " of "
                                                 + std::to_string(images) + " image(s) not used: "
                                                 + std::to_string(withoutAnswers) + " of tasks without answers, "
                                                 + std::to_string(withoutTask) + " without a -<task> suffix"});
}

}  // namespace

namespace formats {

Dataset readPeerannot(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    fs::path input = fs::absolute(fs::path(path)).lexically_normal();
    if (!input.has_filename())
        input = input.parent_path();
    std::error_code ec;
    fs::path folder, answersFile;
    if (fs::is_directory(input, ec)) {
        folder = input;
        answersFile = input / "answers.json";
    } else {
        answersFile = input;
        folder = input.parent_path();
    }
    if (!fs::exists(answersFile, ec))
        throw InputError(answersFile.string(), "", "no such file (a peerannot folder needs answers.json)");

    const fs::path metadataFile = folder / "metadata.json";
    const Metadata meta = readMetadata(metadataFile);
    if (options.classCount > 0 && meta.classCount > 0 && options.classCount != meta.classCount)
        throw InputError(metadataFile.string(), "n_classes",
                         "says " + std::to_string(meta.classCount) + " classes but "
                             + std::to_string(options.classCount) + " were declared");
    const int bound = options.classCount > 0 ? options.classCount : meta.classCount;

    const std::string file = answersFile.string();
    const std::string text = readTextFile(file);
    if (isBlankText(text))
        throw InputError(file, "", "file is empty");
    if (options.progress)
        options.progress->stage("reading answers");
    AnswerCollector collector(file, nullptr);
    {
        AnswersSax sax(collector, bound, file, text, options.progress);
        const std::size_t bom = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
        json::sax_parse(text.begin() + static_cast<std::ptrdiff_t>(bom), text.end(), &sax);
    }
    if (collector.itemCount() == 0)
        throw InputError(file, "", "holds no tasks");

    std::vector<std::string> classFolders;
    if (fs::is_directory(folder / "train", ec))
        for (const fs::path& p : sortedEntries(folder / "train", true))
            classFolders.push_back(p.filename().string());

    int own = meta.classCount;
    std::string ownWhat = "n_classes in " + metadataFile.string();
    if (own == 0 && options.classCount == 0 && !classFolders.empty()
        && static_cast<int>(classFolders.size()) > collector.maxLabel()) {
        own = static_cast<int>(classFolders.size());
        ownWhat = "the class folders in train/";
    }
    const int classCount = resolveClassCount(options.classCount, own, ownWhat, collector.maxLabel(), file, collector.maxLabelRecord());

    Dataset dataset = assemble(collector.finish(warnings), classCount);
    if (!meta.classNames.empty()) {
        if (static_cast<int>(meta.classNames.size()) != classCount)
            throw InputError(metadataFile.string(), "class_names",
                             "lists " + std::to_string(meta.classNames.size()) + " names for "
                                 + std::to_string(classCount) + " classes");
        dataset.classNames = meta.classNames;
    } else if (static_cast<int>(classFolders.size()) == classCount) {
        dataset.classNames = isPeerannotCifar10(classFolders) ? peerannotCifar10Order() : classFolders;
    }
    dataset.name = meta.name.empty() ? folder.filename().string() : meta.name;
    dataset.root = folder.string();

    std::vector<std::string> folderClass(dataset.itemKeys.size());
    if (options.progress)
        options.progress->stage("matching images");
    scanImages(folder, dataset, folderClass, options.progress, warnings);
    if (options.truthFromFolders) {
        dataset.truth.assign(dataset.itemKeys.size(), -1);
        for (std::size_t i = 0; i < folderClass.size(); ++i) {
            if (folderClass[i].empty())
                continue;
            const auto it = std::find(dataset.classNames.begin(), dataset.classNames.end(), folderClass[i]);
            if (it == dataset.classNames.end())
                throw InputError((folder / splitName(dataset.splits[i]) / folderClass[i]).string(), "",
                                 "folder name is not a class name, so it cannot give the truth");
            dataset.truth[i] = static_cast<std::int32_t>(it - dataset.classNames.begin());
        }
    }
    return dataset;
}

}  // namespace formats

void writePeerannot(const Dataset& dataset, const std::string& folder)
{
    fs::path target(folder);
    if (!target.has_filename())
        target = target.parent_path();  // "out/" names the folder out
    const std::string answersPath = (target / "answers.json").string();

    // JSON holds only UTF-8 text: an id that is not is named, not reported as type_error.316.
    const auto jsonProblem = [](const json::exception& e) {
        const std::string what = e.what();
        const std::size_t end = what.find("] ");
        return end == std::string::npos ? what : what.substr(end + 2);
    };
    const auto quoted = [&](const std::string& text, const std::string& what) {
        try {
            return json(text).dump();
        } catch (const json::type_error& e) {
            throw InputError(answersPath, what, "is not valid UTF-8 text, which JSON cannot hold (" + jsonProblem(e) + ")");
        }
    };
    std::vector<std::string> workers;
    workers.reserve(dataset.annotatorIds.size());
    for (std::size_t w = 0; w < dataset.annotatorIds.size(); ++w)
        workers.push_back(quoted(dataset.annotatorIds[w], "annotator #" + std::to_string(w)));
    std::string out = "{";
    for (int i = 0; i < dataset.itemCount(); ++i) {
        out += i == 0 ? "\n   " : ",\n   ";
        out += quoted(dataset.itemKeys[static_cast<std::size_t>(i)], "item #" + std::to_string(i));
        out += ": {";
        bool first = true;
        for (const auto& e : dataset.answers.ofItem(i)) {
            out += first ? "\n      " : ",\n      ";
            first = false;
            out += workers[static_cast<std::size_t>(e.other)];
            out += e.complementary() ? ": {\"not\": " : ": ";
            out += std::to_string(e.label);
            if (e.complementary())
                out += '}';
        }
        out += first ? "}" : "\n   }";
    }
    out += dataset.itemCount() > 0 ? "\n}\n" : "}\n";

    json meta = json::object();
    meta["name"] = dataset.name;
    meta["n_classes"] = dataset.classCount();
    meta["n_workers"] = dataset.annotatorCount();
    meta["n_tasks"] = dataset.itemCount();
    meta["class_names"] = dataset.classNames;
    std::string metaText;
    try {
        metaText = meta.dump(4) + "\n";
    } catch (const json::type_error& e) {
        throw InputError((target / "metadata.json").string(), "name or class names",
                         "is not valid UTF-8 text, which JSON cannot hold (" + jsonProblem(e) + ")");
    }

    std::error_code ec;
    if (fs::exists(target, ec)) {
        // Both files or neither (writeFilesAtomically); the folder's other files are left alone.
        writeFilesAtomically({{answersPath, out}, {(target / "metadata.json").string(), metaText}});
        return;
    }
    // A new folder appears whole: it is built under a fresh name beside it and renamed.
    const fs::path parent = fs::absolute(target).parent_path();
    fs::create_directories(parent, ec);
    if (ec)
        throw InputError(folder, "", "cannot create the folder: " + ec.message());
    std::string building = (parent / (target.filename().string() + ".tmp-XXXXXX")).string();
    if (::mkdtemp(building.data()) == nullptr)
        throw InputError(folder, "", "cannot create the folder: " + std::string(std::strerror(errno)));
    try {
        fs::permissions(building, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec
                                      | fs::perms::others_read | fs::perms::others_exec);
        writeFilesAtomically({{building + "/answers.json", out}, {building + "/metadata.json", metaText}});
        fs::rename(building, target);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(building, ec);
        throw InputError(folder, "", "cannot create the folder: " + e.code().message());
    } catch (...) {
        fs::remove_all(building, ec);
        throw;
    }
}

}  // namespace crowdsift
