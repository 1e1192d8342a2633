#pragma once

// Where the shared datasets and peer reference outputs live: $CROWDSIFT_SHARED, else the path
// CMake saw at configure time (../shared beside the checkout). A test that needs a file fails
// loudly when it is missing; it never skips.

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QTest>

#include <string>

namespace crowdsift::testing {

inline QString sharedDir()
{
    const QByteArray env = qgetenv("CROWDSIFT_SHARED");
    return QDir::cleanPath(env.isEmpty() ? QString::fromUtf8(CROWDSIFT_SHARED_DIR) : QString::fromLocal8Bit(env));
}

// Absolute path of a file under the shared folder, e.g. "reference/dog/answers.csv".
inline std::string sharedPath(const QString& relative)
{
    return (sharedDir() + "/" + relative).toStdString();
}

inline bool sharedExists(const QString& relative)
{
    return QFileInfo::exists(sharedDir() + "/" + relative);
}

// A peer output of ../shared/reference/<dataset>/<file> (n_tasks, n_workers, n_classes,
// accuracy, n_correct, ...), so that tests take such numbers from the reference instead of
// repeating them; an empty object when the file is missing or unreadable (require it first).
inline QJsonObject referenceObject(const QString& dataset, const QString& file)
{
    QFile in(sharedDir() + "/reference/" + dataset + "/" + file);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(in.readAll()).object();
}

// Data rows (lines after the header) of a reference CSV such as answers.csv or truth.csv; -1
// when the file is missing.
inline int referenceCsvRows(const QString& dataset, const QString& file)
{
    QFile in(sharedDir() + "/reference/" + dataset + "/" + file);
    if (!in.open(QIODevice::ReadOnly))
        return -1;
    int rows = -1;
    while (!in.atEnd())
        rows += in.readLine().trimmed().isEmpty() ? 0 : 1;
    return rows;
}

inline QString cliPath()
{
    return QString::fromUtf8(CROWDSIFT_CLI_PATH);
}

}  // namespace crowdsift::testing

// Fails the current test when a shared file is missing.
#define CROWDSIFT_REQUIRE_SHARED(relative)                                                       \
    do {                                                                                          \
        if (!crowdsift::testing::sharedExists(relative))                                          \
            QFAIL(qPrintable(QStringLiteral("missing shared file: ") + crowdsift::testing::sharedDir() \
                             + "/" + (relative)));                                                \
    } while (false)
