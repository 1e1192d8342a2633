#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

namespace crowdsift {

// Progress reporting and cooperative cancellation for long core jobs (plain C++, no Qt).
// A job calls step() inside its loops; step() throws Cancelled once cancel() was called from
// any thread. The callback runs on the job's thread, at most every `minIntervalMs`, so a caller
// (a terminal bar, a Qt worker) can forward it cheaply.
class Progress {
public:
    // fraction in [0, 1]; stage is a short human label ("reading answers", "EM iteration 12").
    using Callback = std::function<void(double fraction, const std::string& stage)>;

    Progress() = default;
    explicit Progress(Callback callback, int minIntervalMs = 100);

    void setCallback(Callback callback, int minIntervalMs = 100);

    // Reports done/total of the current stage; throws Cancelled when cancelled.
    void step(double done, double total, const std::string& stage = {});
    // Reports a stage change immediately (not rate limited).
    void stage(const std::string& stage, double fraction = 0.0);
    // Throws Cancelled when cancelled.
    void check() const;

    void cancel() { cancelled_.store(true); }
    bool isCancelled() const { return cancelled_.load(); }

    // A do-nothing token for callers that do not care.
    static Progress& none();

private:
    Callback callback_;
    int minIntervalMs_ = 100;
    long long lastReportMs_ = -1;
    std::string stage_;
    std::atomic<bool> cancelled_{false};
    std::mutex mutex_;
};

}  // namespace crowdsift
