#include "data/formats.h"

#include "data/formats_internal.h"
#include "util/csv.h"
#include "util/error.h"

#include <algorithm>
#include <charconv>

namespace crowdsift {

namespace {

std::string lineName(std::int64_t line)
{
    return "line " + std::to_string(line);
}

// Index of the first header field named one of `names`, or -1.
int findColumn(const std::vector<std::string>& header, std::initializer_list<const char*> names)
{
    for (const char* name : names)
        for (std::size_t c = 0; c < header.size(); ++c)
            if (header[c] == name)
                return static_cast<int>(c);
    return -1;
}

std::string joined(const std::vector<std::string>& names)
{
    std::string out;
    for (const std::string& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::vector<std::string> readHeader(CsvReader& reader, std::vector<std::string_view>& fields)
{
    if (!reader.next(fields))
        throw InputError(reader.file(), "", "file is empty");
    std::vector<std::string> header;
    for (std::string_view f : fields)
        header.push_back(normalizedName(f));
    return header;
}

// The common case without allocation: a plain integer within range. Anything else goes
// through parseLabel() for the precise error (or the integral-float case).
std::int32_t fastLabel(std::string_view text, int classCount, const CsvReader& reader)
{
    int value = 0;
    const char* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), last, value);
    if (ec == std::errc() && ptr == last && value >= 0 && value < (classCount > 0 ? classCount : 32768))
        return value;
    return formats::parseLabel(text, classCount, reader.file(), reader.lineName());
}

}  // namespace

namespace formats {

Dataset readLongCsv(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    const std::string text = readTextFile(path);
    CsvReader reader(text, path);
    std::vector<std::string_view> fields;
    const std::vector<std::string> header = readHeader(reader, fields);
    const int taskColumn = findColumn(header, {"task", "question", "item"});
    const int workerColumn = findColumn(header, {"worker", "annotator"});
    const int labelColumn = findColumn(header, {"label", "answer"});
    if (taskColumn < 0 || workerColumn < 0 || labelColumn < 0) {
        std::vector<std::string> missing;
        if (taskColumn < 0)
            missing.push_back("task (or question, item)");
        if (workerColumn < 0)
            missing.push_back("worker (or annotator)");
        if (labelColumn < 0)
            missing.push_back("label (or answer)");
        throw InputError(path, reader.lineName(), "missing header column(s) " + joined(missing)
                                                      + "; the header is: " + joined(header));
    }
    const int flagColumn = findColumn(header, {"complementary"});
    const std::size_t needed =
        static_cast<std::size_t>(std::max({taskColumn, workerColumn, labelColumn, flagColumn})) + 1;

    AnswerCollector collector(path, lineName);
    collector.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    Ticker ticker(options.progress, "reading answers");
    std::size_t rows = 0;
    while (reader.next(fields)) {
        if (fields.size() < needed)
            throw InputError(path, reader.lineName(), "expected at least " + std::to_string(needed)
                                                          + " fields, found " + std::to_string(fields.size()));
        const std::string_view task = fields[static_cast<std::size_t>(taskColumn)];
        const std::string_view worker = fields[static_cast<std::size_t>(workerColumn)];
        if (task.empty())
            throw InputError(path, reader.lineName(), "task id is empty");
        if (worker.empty())
            throw InputError(path, reader.lineName(), "worker id is empty");
        const std::int32_t label = fastLabel(fields[static_cast<std::size_t>(labelColumn)], options.classCount, reader);
        const bool complementary = flagColumn >= 0
                                   && formats::parseFlag(fields[static_cast<std::size_t>(flagColumn)], path,
                                                         reader.lineName(), "complementary");
        const std::int32_t item = collector.item(task);
        collector.add(item, collector.annotator(worker), label, reader.line(), complementary);
        ticker.tick(++rows, static_cast<double>(reader.offset()), static_cast<double>(reader.size()));
    }
    if (rows == 0)
        throw InputError(path, "", "holds no answers after the header");
    const int classCount = resolveClassCount(options.classCount, 0, "", collector.maxLabel(), path, collector.maxLabelRecord());
    Dataset dataset = assemble(collector.finish(warnings), classCount);
    dataset.name = nameFromPath(path);
    ticker.report(1.0, 1.0);
    return dataset;
}

Dataset readCifar10hRaw(const std::string& path, const ReadOptions& options, std::vector<ReadWarning>& warnings)
{
    const int classCount = resolveClassCount(options.classCount, 10, "CIFAR-10's 10 classes", -1, path);
    const std::string text = readTextFile(path);
    CsvReader reader(text, path);
    std::vector<std::string_view> fields;
    const std::vector<std::string> header = readHeader(reader, fields);
    const int annotatorColumn = findColumn(header, {"annotator_id"});
    const int labelColumn = findColumn(header, {"chosen_label"});
    const int imageColumn = findColumn(header, {"cifar10_test_test_idx"});
    const int checkColumn = findColumn(header, {"is_attn_check"});
    const int truthColumn = findColumn(header, {"true_label"});
    std::vector<std::string> missing;
    if (annotatorColumn < 0)
        missing.push_back("annotator_id");
    if (labelColumn < 0)
        missing.push_back("chosen_label");
    if (imageColumn < 0)
        missing.push_back("cifar10_test_test_idx");
    if (checkColumn < 0)
        missing.push_back("is_attn_check");
    if (!missing.empty())
        throw InputError(path, reader.lineName(), "missing header column(s) " + joined(missing));
    const std::size_t needed =
        static_cast<std::size_t>(std::max({annotatorColumn, labelColumn, imageColumn, checkColumn, truthColumn})) + 1;

    AnswerCollector collector(path, lineName);
    std::vector<std::int32_t> truth;       // by provisional item, -1 = unknown
    std::vector<std::int64_t> truthLine;
    Ticker ticker(options.progress, "reading answers");
    std::size_t rows = 0;
    std::size_t attentionChecks = 0;
    while (reader.next(fields)) {
        ticker.tick(++rows, static_cast<double>(reader.offset()), static_cast<double>(reader.size()));
        if (fields.size() < needed)
            throw InputError(path, reader.lineName(), "expected at least " + std::to_string(needed)
                                                          + " fields, found " + std::to_string(fields.size()));
        const std::string check = normalizedName(fields[static_cast<std::size_t>(checkColumn)]);
        if (check == "1" || check == "true" || check == "1.0") {
            ++attentionChecks;
            continue;
        }
        if (check != "0" && check != "false" && check != "0.0")
            throw InputError(path, reader.lineName(), "is_attn_check '" + check + "' is neither 0 nor 1");
        const std::string_view image = fields[static_cast<std::size_t>(imageColumn)];
        std::int64_t index = 0;
        bool isNan = false;
        if (!parseWholeNumber(image, index, isNan) || isNan || index < 0)
            throw InputError(path, reader.lineName(), "cifar10_test_test_idx '" + std::string(image)
                                                          + "' is not a test image index");
        const std::string_view annotator = fields[static_cast<std::size_t>(annotatorColumn)];
        if (annotator.empty())
            throw InputError(path, reader.lineName(), "annotator_id is empty");
        const std::int32_t label = fastLabel(fields[static_cast<std::size_t>(labelColumn)], classCount, reader);
        const std::int32_t item = collector.item(std::to_string(index));
        collector.add(item, collector.annotator(annotator), label, reader.line());
        if (truthColumn < 0)
            continue;
        if (truth.size() <= static_cast<std::size_t>(item)) {
            truth.resize(static_cast<std::size_t>(item) + 1, -1);
            truthLine.resize(static_cast<std::size_t>(item) + 1, 0);
        }
        const std::string_view truthText = fields[static_cast<std::size_t>(truthColumn)];
        std::int64_t value = -1;
        if (!truthText.empty() && (!parseWholeNumber(truthText, value, isNan) || isNan))
            throw InputError(path, reader.lineName(), "true_label '" + std::string(truthText) + "' is not an integer");
        if (value < 0)
            continue;
        const std::int32_t t = checkLabel(value, classCount, path, reader.lineName(), truthText);
        auto& known = truth[static_cast<std::size_t>(item)];
        if (known >= 0 && known != t)
            throw InputError(path, lineName(truthLine[static_cast<std::size_t>(item)]) + " and " + reader.lineName(),
                             "image " + std::to_string(index) + " has two true labels, "
                                 + std::to_string(known) + " and " + std::to_string(t));
        known = t;
        truthLine[static_cast<std::size_t>(item)] = reader.line();
    }
    if (collector.answerCount() == 0)
        throw InputError(path, "", "holds no answers (after dropping attention checks)");
    if (attentionChecks > 0)
        warnings.push_back({path, std::to_string(attentionChecks) + " attention-check row(s) (is_attn_check 1) dropped"});
    AnswerCollector::Result result = collector.finish(warnings);
    std::vector<std::int32_t> itemTruth;
    if (truthColumn >= 0) {
        itemTruth.assign(result.itemKeys.size(), -1);
        for (std::size_t p = 0; p < truth.size(); ++p)
            itemTruth[static_cast<std::size_t>(result.itemIndex[p])] = truth[p];
    }
    Dataset dataset = assemble(std::move(result), classCount);
    dataset.classNames = cifar10Names();
    dataset.truth = std::move(itemTruth);
    dataset.name = nameFromPath(path);
    ticker.report(1.0, 1.0);
    return dataset;
}

}  // namespace formats

void writeLongCsv(const Dataset& dataset, const std::string& path)
{
    const bool withFlag = std::any_of(dataset.answers.byItem().begin(), dataset.answers.byItem().end(),
                                      [](const Answers::Entry& e) { return e.complementary(); });
    std::vector<std::string> workers;
    workers.reserve(dataset.annotatorIds.size());
    for (const std::string& id : dataset.annotatorIds)
        workers.push_back(csvField(id));
    std::string out = withFlag ? "task,worker,label,complementary\n" : "task,worker,label\n";
    out.reserve(dataset.answers.size() * 16 + out.size());
    for (int i = 0; i < dataset.itemCount(); ++i) {
        const std::string task = csvField(dataset.itemKeys[static_cast<std::size_t>(i)]) + ",";
        for (const auto& e : dataset.answers.ofItem(i)) {
            out += task;
            out += workers[static_cast<std::size_t>(e.other)];
            out += ',';
            out += std::to_string(e.label);
            if (withFlag)
                out += e.complementary() ? ",1" : ",0";
            out += '\n';
        }
    }
    writeFileAtomically(path, out);
}

}  // namespace crowdsift
