#pragma once

#include "util/progress.h"

#include <string>

namespace crowdsift::cli {

// Makes SIGINT (Ctrl-C) and SIGTERM cancel the job of the latest TerminalProgress alive (its
// token() throws Cancelled at the job's next step); a second signal, one while no job runs, or a
// job still running 5 s later (blocked where it checks no progress) ends the process as by
// default. Called once, by main(); uses SIGALRM.
void installInterruptHandlers();
// The signal that cancelled a job (SIGINT, SIGTERM); 0 when none came.
int interruptSignal();

// Draws a one-line progress bar on stderr when it is a terminal; silent otherwise, so logs and
// pipes stay clean. Finish() ends the line.
class TerminalProgress {
public:
    explicit TerminalProgress(bool enabled = true);
    ~TerminalProgress();
    Progress& token() { return progress_; }
    void finish();
    // "crowdsift-cli: warning: <text>" on its own line of stderr (clearing the bar first; the
    // next update redraws it). Printed whether or not the bar is enabled: callers leave warnings
    // out under --quiet.
    void warn(const std::string& text);

private:
    void draw(double fraction, const std::string& stage);

    Progress progress_;
    Progress* previous_ = nullptr;  // the token signals cancelled before this one
    bool active_ = false;
    bool drawn_ = false;
    long long startMs_ = 0;
};

}  // namespace crowdsift::cli
