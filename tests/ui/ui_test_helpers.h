#pragma once

// Helpers shared by the GUI tests.

#include "mainwindow.h"
#include "projectdocument.h"

#include <QSignalSpy>
#include <QString>
#include <QtTest>

namespace crowdsift::testing {

// Opens `path` in `window` and waits up to `timeoutMs` for the project to load (a QVERIFY).
inline void openAndWait(MainWindow& window, const QString& path, int timeoutMs)
{
    QSignalSpy loaded(window.document(), &ProjectDocument::loaded);
    window.openPath(path);
    QVERIFY(loaded.wait(timeoutMs));
}

}  // namespace crowdsift::testing
