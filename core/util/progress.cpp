#include "util/progress.h"

#include "util/error.h"

#include <chrono>

namespace crowdsift {

static long long nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Progress::Progress(Callback callback, int minIntervalMs)
    : callback_(std::move(callback)), minIntervalMs_(minIntervalMs)
{
}

void Progress::setCallback(Callback callback, int minIntervalMs)
{
    std::lock_guard<std::mutex> lock(mutex_);
    callback_ = std::move(callback);
    minIntervalMs_ = minIntervalMs;
}

void Progress::step(double done, double total, const std::string& stage)
{
    check();
    if (!callback_)
        return;
    std::lock_guard<std::mutex> lock(mutex_);
    const long long now = nowMs();
    const bool finished = done >= total;
    const bool newStage = !stage.empty() && stage != stage_;
    if (!finished && !newStage && lastReportMs_ >= 0 && now - lastReportMs_ < minIntervalMs_)
        return;
    if (newStage)
        stage_ = stage;
    lastReportMs_ = now;
    callback_(total > 0 ? done / total : 0.0, stage_);
}

void Progress::stage(const std::string& stage, double fraction)
{
    check();
    std::lock_guard<std::mutex> lock(mutex_);
    stage_ = stage;
    lastReportMs_ = nowMs();
    if (callback_)
        callback_(fraction, stage_);
}

void Progress::check() const
{
    if (cancelled_.load())
        throw Cancelled();
}

Progress& Progress::none()
{
    thread_local Progress token;
    return token;
}

}  // namespace crowdsift
