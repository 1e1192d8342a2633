#pragma once

// Runs the real crowdsift-cli for end-to-end tests and collects its exit code and output.

#include "testdata.h"

#include <QProcess>
#include <QString>
#include <QStringList>

namespace crowdsift::testing {

struct CliRun {
    int exitCode = -1;  // -2: crashed; -1: timed out
    QString out;
    QString err;
};

inline CliRun runCli(const QStringList& arguments, int timeoutMs = 120000)
{
    QProcess process;
    process.start(cliPath(), arguments);
    CliRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = "timed out";
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

}  // namespace crowdsift::testing
