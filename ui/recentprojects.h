#pragma once

#include <QStringList>

namespace crowdsift {

// The projects File > Open Recent offers, newest first, kept in QSettings so that they outlive
// the session.
constexpr int kMaxRecentProjects = 8;

// The remembered projects that still exist, newest first; entries whose file is gone are
// forgotten for good.
QStringList recentProjects();
// Puts `path` (made absolute) first, forgets an older entry of it and keeps the newest
// kMaxRecentProjects.
void addRecentProject(const QString& path);
void clearRecentProjects();

}  // namespace crowdsift
