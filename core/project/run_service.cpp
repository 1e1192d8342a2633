#include "project/run_service.h"

#include "util/error.h"

#include <exception>

namespace crowdsift {

namespace {

// Best effort: the original exception matters more than a second failure while recording it.
void endQuietly(Project& project, std::int64_t run, const std::string& status, const nlohmann::json& summary)
{
    try {
        project.finishRun(run, status, summary);
    } catch (const std::exception&) {
    }
}

}  // namespace

std::int64_t recordRun(Project& project, const std::string& kind, const nlohmann::json& params, const std::string& name,
                       const RunBody& body, const std::function<void(std::int64_t run)>& started,
                       std::int64_t parent)
{
    const std::int64_t run = project.beginRun(kind, params, name, parent);
    nlohmann::json summary;
    try {
        if (started)
            started(run);
        summary = body(run);
    } catch (const Cancelled&) {
        endQuietly(project, run, "cancelled", {{"error", "cancelled by the user"}});
        throw;
    } catch (const std::exception& e) {
        endQuietly(project, run, "failed", {{"error", e.what()}});
        throw;
    } catch (...) {
        endQuietly(project, run, "failed", {{"error", "unknown error"}});
        throw;
    }
    project.finishRun(run, "done", summary);
    return run;
}

std::string runError(const RunInfo& run)
{
    if (run.summary.is_object()) {
        const auto it = run.summary.find("error");
        if (it != run.summary.end() && it->is_string())
            return it->get<std::string>();
    }
    return {};
}

}  // namespace crowdsift
