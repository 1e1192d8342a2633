#include "terminal_progress.h"

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace crowdsift::cli {

static long long nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

TerminalProgress::TerminalProgress(bool enabled)
    : active_(enabled && isatty(STDERR_FILENO)), startMs_(nowMs())
{
    if (active_)
        progress_.setCallback([this](double fraction, const std::string& stage) { draw(fraction, stage); }, 100);
}

TerminalProgress::~TerminalProgress()
{
    finish();
}

void TerminalProgress::draw(double fraction, const std::string& stage)
{
    constexpr int width = 30;
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    const int filled = static_cast<int>(fraction * width + 0.5);
    char bar[width + 1];
    for (int i = 0; i < width; ++i)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    const double elapsed = static_cast<double>(nowMs() - startMs_) / 1000.0;
    std::fprintf(stderr, "\r\033[K[%s] %3d%%  %-28.28s %6.1fs", bar, static_cast<int>(fraction * 100 + 0.5),
                 stage.c_str(), elapsed);
    std::fflush(stderr);
    drawn_ = true;
}

void TerminalProgress::finish()
{
    if (drawn_) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        drawn_ = false;
    }
}

}  // namespace crowdsift::cli
