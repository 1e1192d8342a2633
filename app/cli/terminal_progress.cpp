#include "terminal_progress.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

namespace crowdsift::cli {

namespace {

int terminalColumns()
{
    winsize size{};
    return ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
}

// The end of `stage` in at most `columns` bytes, "..." in front when cut: nested stages
// ("iteration 2/5 · fold 3/5, epoch 4/20") say the most at their end. Never splits a UTF-8
// character.
std::string fitStage(const std::string& stage, int columns)
{
    if (static_cast<int>(stage.size()) <= columns)
        return stage;
    std::size_t start = stage.size() - static_cast<std::size_t>(std::max(columns - 3, 1));
    while (start < stage.size() && (static_cast<unsigned char>(stage[start]) & 0xC0) == 0x80)
        ++start;
    return "..." + stage.substr(start);
}

// The token of the job a Ctrl-C (SIGINT) or SIGTERM cancels, and the first such signal.
std::atomic<Progress*> interruptible{nullptr};
volatile sig_atomic_t interruptedBy = 0;
constexpr unsigned graceSeconds = 5;

// Cancels the running job, which then stops at its next progress step and undoes what it had
// half done (an import removes its build; a replaced project stays whole). With no job to cancel,
// or at a second signal, the signal does what it does by default.
void onInterrupt(int signal)
{
    Progress* job = interruptible.load();
    if (job && interruptedBy == 0) {
        interruptedBy = signal;
        job->cancel();
        // A job blocked where it checks no progress (a slow disk, a pipe) must not make the
        // signal powerless: it ends the process after a grace period (what it leaves, the next
        // open or create recovers, as from a kill).
        ::alarm(graceSeconds);
        return;
    }
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

void onGraceOver(int)
{
    const int signal = interruptedBy;
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

}  // namespace

void installInterruptHandlers()
{
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int signal : {SIGINT, SIGTERM})
        ::sigaction(signal, &action, nullptr);
    struct sigaction grace {};
    grace.sa_handler = onGraceOver;
    sigemptyset(&grace.sa_mask);
    ::sigaction(SIGALRM, &grace, nullptr);
}

int interruptSignal()
{
    return interruptedBy;
}

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
    previous_ = interruptible.exchange(&progress_);
}

TerminalProgress::~TerminalProgress()
{
    interruptible.store(previous_);
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
    // "[bar] 100%  <stage> 1234.5s" on one line of the terminal: the stage gets what is left.
    const int stageColumns = std::max(12, terminalColumns() - width - 19);
    std::fprintf(stderr, "\r\033[K[%s] %3d%%  %s %6.1fs", bar, static_cast<int>(fraction * 100 + 0.5),
                 fitStage(stage, stageColumns).c_str(), elapsed);
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

void TerminalProgress::warn(const std::string& text)
{
    finish();
    std::fprintf(stderr, "crowdsift-cli: warning: %s\n", text.c_str());
    std::fflush(stderr);
}

}  // namespace crowdsift::cli
