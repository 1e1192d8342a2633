#include "guimodule.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibrary>
#include <QMessageBox>
#include <QStringList>

namespace crowdsift {

namespace {

const GuiModule* registered = nullptr;

// Entry point of crowdsift_gui_learn.so (guimodule_impl.cpp).
using EntryPoint = const GuiModule* (*)();
constexpr const char* kEntryPoint = "crowdsift_gui_module";
constexpr const char* kFileName = "crowdsift_gui_learn.so";

QStringList candidates()
{
    const QByteArray named = qgetenv("CROWDSIFT_GUI_MODULE");
    if (!named.isEmpty())
        return {QString::fromLocal8Bit(named)};
    const QDir dir(QCoreApplication::applicationDirPath());
    return {dir.filePath(QLatin1String(kFileName)),
            QDir::cleanPath(dir.filePath(QStringLiteral("../lib/crowdsift/") + QLatin1String(kFileName)))};
}

}  // namespace

void registerGuiModule(const GuiModule* module)
{
    registered = module;
}

bool guiModuleLoaded()
{
    return registered != nullptr;
}

const GuiModule* guiModule(QString* error)
{
    if (registered)
        return registered;
    static QString failure;  // tried once: a missing file does not appear while the program runs
    static bool tried = false;
    if (!tried) {
        tried = true;
        QStringList problems;
        for (const QString& file : candidates()) {
            if (!QFileInfo::exists(file)) {
                problems << QCoreApplication::translate("GuiModule", "%1: no such file").arg(file);
                continue;
            }
            QLibrary library(file);
            // Its symbols stay local: it uses the executable's, never the reverse.
            if (!library.load()) {
                problems << library.errorString();
                continue;
            }
            const auto entry = reinterpret_cast<EntryPoint>(library.resolve(kEntryPoint));
            if (!entry) {
                problems << QCoreApplication::translate("GuiModule", "%1: no %2 in it").arg(file, QLatin1String(kEntryPoint));
                continue;
            }
            registered = entry();  // the library stays loaded for the life of the program
            break;
        }
        if (!registered)
            failure = problems.join(QLatin1Char('\n'));
    }
    if (!registered && error)
        *error = failure;
    return registered;
}

const GuiModule* requireGuiModule(QWidget* parent)
{
    QString error;
    const GuiModule* module = guiModule(&error);
    if (!module)
        QMessageBox::critical(parent, QCoreApplication::translate("GuiModule", "Learning module missing"),
                              QCoreApplication::translate("GuiModule",
                                                          "The learning and report module (%1) could not be loaded, so "
                                                          "training and reports are unavailable; everything else works.\n\n%2")
                                  .arg(QLatin1String(kFileName), error));
    return module;
}

}  // namespace crowdsift
