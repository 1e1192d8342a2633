#include "output.h"

#include "util/error.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>

namespace crowdsift::cli {

std::string numberCell(double value, const char* format)
{
    if (!std::isfinite(value))
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

nlohmann::json activeRunJson(const RunComparison& c, bool activated)
{
    const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    return {{"active_run", c.activeRun},
            {"is_active", c.isActive},
            {"activated", activated},
            {"accuracy", number(c.accuracy)},
            {"active_strategy", c.activeStrategy},
            {"active_accuracy", number(c.activeAccuracy)},
            {"differing_items", c.differing}};
}

void printStoredAndWritten(const nlohmann::json& summary, const std::string& path, const std::vector<std::string>& written)
{
    if (summary.contains("run"))
        std::printf("stored as run %lld in %s\n", static_cast<long long>(summary["run"].get<std::int64_t>()), path.c_str());
    if (summary.contains("active")) {
        const nlohmann::json& a = summary["active"];
        const long long run = summary["run"].get<long long>();
        if (a.value("is_active", false)) {
            std::printf("run %lld is the active run%s: the review and export use it\n", run,
                        a.value("activated", false) ? " (the project had none)" : "");
        } else {
            const std::string own = a["accuracy"].is_number() ? " (accuracy " + numberCell(a["accuracy"].get<double>()) + ")" : "";
            const std::string active = a["active_accuracy"].is_number()
                                           ? ", accuracy " + numberCell(a["active_accuracy"].get<double>())
                                           : "";
            std::printf("run %lld%s is not active: the active run stays %lld (%s%s); %d item(s) are labelled "
                        "differently; make it active with `crowdsift-cli runs %s --activate %lld`\n",
                        run, own.c_str(), a["active_run"].get<long long>(), a["active_strategy"].get<std::string>().c_str(),
                        active.c_str(), a["differing_items"].get<int>(), path.c_str(), run);
        }
    }
    for (const std::string& file : written)
        std::printf("wrote %s\n", file.c_str());
}

void requireWritableOutput(const std::string& option, const std::string& output, const std::vector<std::string>& inputs)
{
    if (output.empty())
        return;
    namespace fs = std::filesystem;
    std::error_code error;
    for (const std::string& input : inputs)
        if (!input.empty() && fs::equivalent(output, input, error))
            throw InputError(option, output, "is an input of this command (" + input + "); write the results elsewhere");
    const fs::path folder = fs::absolute(output, error).parent_path();
    if (!fs::is_directory(folder, error))
        throw InputError(option, output, "its folder " + folder.string() + " does not exist");
}

std::vector<std::string> datasetFolders(const Dataset& dataset)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    if (!dataset.root.empty())
        candidates.emplace_back(dataset.root);
    if (!dataset.source.empty()) {
        const fs::path parent = fs::path(dataset.source).parent_path();
        candidates.push_back(parent.empty() ? fs::path(".") : parent);
    }
    std::vector<std::string> folders;
    for (const fs::path& candidate : candidates) {
        std::error_code error;
        const fs::path absolute = fs::absolute(candidate, error);
        if (!error && fs::is_directory(absolute, error))
            folders.push_back(absolute.lexically_normal().string());
    }
    return folders;
}

namespace {

// A folder laid out as a dataset (peerannot: answers.json, metadata.json).
bool holdsDataset(const std::filesystem::path& folder)
{
    std::error_code error;
    return std::filesystem::exists(folder / "answers.json", error) || std::filesystem::exists(folder / "metadata.json", error);
}

}  // namespace

void requireOutsideDataset(const std::string& option, const std::string& output, const Dataset& dataset, bool force)
{
    namespace fs = std::filesystem;
    std::error_code error;
    if (output.empty() || force || !fs::exists(output, error))
        return;
    const fs::path folder = fs::absolute(output, error).parent_path();
    for (const std::string& datasetFolder : datasetFolders(dataset))
        if (fs::equivalent(folder, datasetFolder, error) && holdsDataset(folder))
            throw InputError(option, output, "exists in the folder of the dataset (" + datasetFolder
                                                 + "); write elsewhere, or pass --force to replace it");
}

void requireWritableFolder(const std::string& option, const std::string& folder, const Dataset& dataset, bool force)
{
    namespace fs = std::filesystem;
    if (folder.empty())
        return;
    std::error_code error;
    if (!fs::exists(folder, error))
        return;
    if (!fs::is_directory(folder, error))
        throw InputError(option, folder, "exists and is not a folder");
    for (const std::string& datasetFolder : datasetFolders(dataset))
        if (fs::equivalent(folder, datasetFolder, error))
            throw InputError(option, folder, "is the folder of the dataset this data was read from; write the export "
                                             "to a new folder");
    if (!force && holdsDataset(folder))
        throw InputError(option, folder, "holds a dataset (answers.json or metadata.json); write to a new folder, or "
                                         "pass --force to replace its answers.json and metadata.json");
}

}  // namespace crowdsift::cli
