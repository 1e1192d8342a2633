#include "documentloader.h"
#include "mainwindow.h"
#include "projectdocument.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>
#include <QWindow>

#include <cstdio>

namespace {

// Saves the window to `file` once the event loop has laid it out and painted it, then quits.
void grabAndQuit(crowdsift::MainWindow& window, const QString& file, int exitCode)
{
    QTimer::singleShot(200, &window, [&window, file, exitCode] {
        const bool saved = window.grab().save(file);
        if (!saved)
            std::fprintf(stderr, "crowdsift: could not write screenshot %s\n", qPrintable(file));
        QCoreApplication::exit(saved ? exitCode : 1);
    });
}

// --startup-probe: quits as soon as the window has been exposed (drawn on screen) and, when a
// project was named, that project has loaded; for measuring the time to the first window
// (bench/bench_startup). Prints nothing.
class StartupProbe : public QObject {
public:
    StartupProbe(crowdsift::MainWindow& window, bool waitForProject)
        : QObject(&window)
        , waitForProject_(waitForProject)
    {
        QObject::connect(window.document(), &crowdsift::ProjectDocument::loaded, this, [this] {
            loaded_ = true;
            check();
        });
        QObject::connect(window.document(), &crowdsift::ProjectDocument::loadFailed, this, [] { QCoreApplication::exit(1); });
    }
    void watch(QWindow* handle) { handle->installEventFilter(this); }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Expose && static_cast<QWindow*>(watched)->isExposed()) {
            exposed_ = true;
            check();
        }
        return false;
    }

private:
    void check()
    {
        if (exposed_ && (loaded_ || !waitForProject_))
            QTimer::singleShot(0, qApp, [] { QCoreApplication::exit(0); });
    }

    bool waitForProject_;
    bool exposed_ = false;
    bool loaded_ = false;
};

}  // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Crowdsift"));
    QApplication::setOrganizationName(QStringLiteral("Crowdsift"));
    QApplication::setApplicationVersion(QStringLiteral(CROWDSIFT_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("crowdsift"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Curate crowdsourced image-classification labels: aggregate, review, relabel."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QStringLiteral("Project file (.csift) to open, or a dataset file or folder to make a "
                                                "new project from."),
                                 QStringLiteral("[path]"));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window once <path> has loaded (or failed to), then quit."),
        QStringLiteral("file"));
    const QCommandLineOption tabOption(QStringLiteral("tab"),
                                       QStringLiteral("Tab to show first: overview, annotators, review, map, runs or learning."),
                                       QStringLiteral("name"), QStringLiteral("overview"));
    const QCommandLineOption sizeOption(QStringLiteral("size"),
                                        QStringLiteral("Window size, e.g. 1200x760."), QStringLiteral("WxH"));
    const QCommandLineOption probeOption(
        QStringLiteral("startup-probe"),
        QStringLiteral("Quit as soon as the window is shown and <path> (a project) has loaded; prints nothing."));
    parser.addOptions({screenshotOption, tabOption, sizeOption, probeOption});
    parser.process(app);

    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1)
        parser.showHelp(2);
    const QString tab = parser.value(tabOption).toLower();
    crowdsift::MainWindow::Page page = crowdsift::MainWindow::Page::Overview;
    if (tab == QLatin1String("annotators")) {
        page = crowdsift::MainWindow::Page::Annotators;
    } else if (tab == QLatin1String("review")) {
        page = crowdsift::MainWindow::Page::Review;
    } else if (tab == QLatin1String("map")) {
        page = crowdsift::MainWindow::Page::Map;
    } else if (tab == QLatin1String("runs")) {
        page = crowdsift::MainWindow::Page::Runs;
    } else if (tab == QLatin1String("learning")) {
        page = crowdsift::MainWindow::Page::Learning;
    } else if (tab != QLatin1String("overview")) {
        std::fprintf(stderr, "crowdsift: --tab must be overview, annotators, review, map, runs or learning, not %s\n",
                     qPrintable(tab));
        return 2;
    }

    crowdsift::MainWindow window;
    if (parser.isSet(sizeOption)) {
        const QStringList parts = parser.value(sizeOption).split(QLatin1Char('x'));
        bool widthOk = false;
        bool heightOk = false;
        const int width = parts.size() == 2 ? parts[0].toInt(&widthOk) : 0;
        const int height = parts.size() == 2 ? parts[1].toInt(&heightOk) : 0;
        if (!widthOk || !heightOk || width < 200 || height < 150) {
            std::fprintf(stderr, "crowdsift: --size must look like 1200x760\n");
            return 2;
        }
        window.resize(width, height);
    }
    window.showPage(page);
    const QString probePath = parser.positionalArguments().isEmpty() ? QString() : parser.positionalArguments().front();
    StartupProbe* probe = parser.isSet(probeOption) ? new StartupProbe(window, !probePath.isEmpty()) : nullptr;
    if (probe)
        window.winId();  // creates the native window, so its expose can be watched
    if (probe)
        probe->watch(window.windowHandle());
    window.show();

    const QString screenshot = parser.value(screenshotOption);
    const QString path = positional.isEmpty() ? QString() : QFileInfo(positional.front()).absoluteFilePath();
    // A dataset opens the New Project dialog, which waits for the user: nothing would ever load.
    if (!screenshot.isEmpty() && !path.isEmpty() && QFileInfo::exists(path) && !crowdsift::isProjectPath(path)) {
        std::fprintf(stderr, "crowdsift: --screenshot needs a project file; make one with crowdsift-cli import\n");
        return 2;
    }
    crowdsift::ProjectDocument* document = window.document();
    if (!screenshot.isEmpty()) {
        QObject::connect(document, &crowdsift::ProjectDocument::loaded, &window,
                         [&window, screenshot] { grabAndQuit(window, screenshot, 0); });
        QObject::connect(document, &crowdsift::ProjectDocument::loadFailed, &window,
                         [&window, screenshot](const QString&, const QString& message) {
                             std::fprintf(stderr, "crowdsift: %s\n", qPrintable(message));
                             grabAndQuit(window, screenshot, 1);
                         });
        if (positional.isEmpty())
            grabAndQuit(window, screenshot, 0);
    }
    if (!path.isEmpty())
        window.openPath(path);
    return app.exec();
}
