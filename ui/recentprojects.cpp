#include "recentprojects.h"

#include <QFileInfo>
#include <QSettings>

namespace crowdsift {

namespace {

const char* const kRecentProjectsKey = "paths/recentProjects";

void store(const QStringList& paths)
{
    QSettings().setValue(QLatin1String(kRecentProjectsKey), paths);
}

}  // namespace

QStringList recentProjects()
{
    const QStringList stored = QSettings().value(QLatin1String(kRecentProjectsKey)).toStringList();
    QStringList existing;
    for (const QString& path : stored) {
        if (QFileInfo(path).isFile() && !existing.contains(path))
            existing.append(path);
    }
    if (existing != stored)
        store(existing);
    return existing;
}

void addRecentProject(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList paths = recentProjects();
    paths.removeAll(absolute);
    paths.prepend(absolute);
    while (paths.size() > kMaxRecentProjects)
        paths.removeLast();
    store(paths);
}

void clearRecentProjects()
{
    QSettings().remove(QLatin1String(kRecentProjectsKey));
}

}  // namespace crowdsift
