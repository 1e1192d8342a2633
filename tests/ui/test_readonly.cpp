// A project opened read-only (this process cannot write its file or folder; Project::readOnly())
// says so in a banner and offers nothing that would write it. Run as root, the test drops to
// nobody first: root may write anywhere, so nothing would be read-only for it.
#include "inspectorpanel.h"
#ifdef CROWDSIFT_HAVE_LEARN
#include "learnpage.h"
#endif
#include "mainwindow.h"
#include "mappage.h"
#include "projectdocument.h"
#include "reviewpage.h"
#include "runspage.h"

#include "data/dataset.h"
#include "pets_dataset.h"
#include "project/store.h"
#include "util/progress.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

using namespace crowdsift;

namespace {

constexpr int kLoadTimeoutMs = 30000;

Dataset smallDataset()
{
    return testing::petsDataset("readonly-test");
}

bool waitForLoad(MainWindow& window)
{
    return QTest::qWaitFor([&window] { return !window.document()->isLoading(); }, kLoadTimeoutMs);
}

}  // namespace

class TestReadOnly : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString writable_;
    QString readOnly_;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(tmp_.isValid());
        writable_ = tmp_.filePath(QStringLiteral("pets.csift"));
        Project::create(QFile::encodeName(writable_).toStdString(), smallDataset(), Progress::none());
        const QString folder = tmp_.filePath(QStringLiteral("shared"));
        QVERIFY(QDir().mkpath(folder));
        readOnly_ = folder + QStringLiteral("/pets.csift");
        Project::create(QFile::encodeName(readOnly_).toStdString(), smallDataset(), Progress::none());
        QVERIFY(QFile::setPermissions(readOnly_, QFileDevice::ReadOwner));
        QVERIFY(QFile::setPermissions(folder, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        QVERIFY(Project::open(QFile::encodeName(readOnly_).toStdString()).readOnly());
    }

    void cleanupTestCase()
    {
        QFile::setPermissions(tmp_.filePath(QStringLiteral("shared")),
                              QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }

    void aWritableProjectHasNoBanner()
    {
        MainWindow window;
        window.show();
        window.openPath(writable_);
        QVERIFY(waitForLoad(window));
        QVERIFY(window.document()->project());
        QVERIFY(!window.document()->isReadOnly());
        QVERIFY(!window.readOnlyBanner()->isVisible());
        QVERIFY(window.runsPage()->runButton()->isEnabled());
        QVERIFY(window.mapPage()->computeButton()->isEnabled());
    }

    void aReadOnlyProjectSaysSoAndWritesNothing()
    {
        MainWindow window;
        window.show();
        window.openPath(readOnly_);
        QVERIFY(waitForLoad(window));
        ProjectDocument* document = window.document();
        QVERIFY(document->project());
        QVERIFY(document->isReadOnly());

        QVERIFY(window.readOnlyBanner()->isVisible());
        QCOMPARE(window.readOnlyBanner()->text(), QStringLiteral("Read-only: decisions cannot be saved"));

        // The actions that would write: runs, activation, a map, the review's run, decisions.
        QVERIFY(!window.runsPage()->runButton()->isEnabled());
        QVERIFY(!window.runsPage()->makeActiveButton()->isEnabled());
        QVERIFY(!window.mapPage()->computeButton()->isEnabled());
        QVERIFY(!window.reviewPage()->runButton()->isEnabled());
        QVERIFY(!window.undoAction()->isEnabled());
        const auto decisionButtons = window.reviewPage()->inspector()->findChildren<QPushButton*>();
        QVERIFY(!decisionButtons.isEmpty());
        for (QPushButton* button : decisionButtons)
            if (button->objectName() == QLatin1String("acceptButton"))
                QVERIFY(!button->isEnabled());

        // A decision asked for anyway (a key press) is refused with the banner's words.
        QSignalSpy refused(document, &ProjectDocument::reviewError);
        QSignalSpy changed(document, &ProjectDocument::decisionsChanged);
        document->relabel({0}, 1);
        document->accept({1});
        QCOMPARE(refused.count(), 2);
        QVERIFY(refused.front().front().toString().contains(QStringLiteral("Read-only")));
        QCOMPARE(changed.count(), 0);
        QCOMPARE(document->undoStack()->count(), 0);

#ifdef CROWDSIFT_HAVE_LEARN
        LearnPage* learn = window.learnPage();
        QVERIFY(learn);
        for (const char* name : {"trainButton", "loopButton"}) {
            auto* button = learn->findChild<QPushButton*>(QLatin1String(name));
            QVERIFY2(button, name);
            QVERIFY2(!button->isEnabled(), name);
        }
#endif
    }
};

int main(int argc, char** argv)
{
    // Root writes anywhere: become nobody, with a home of its own for Qt's test settings.
    if (::geteuid() == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
            std::perror("test_readonly: cannot drop root");
            return 1;
        }
    }
    char home[] = "/tmp/crowdsift-readonly-home-XXXXXX";
    if (!::mkdtemp(home)) {
        std::perror("test_readonly: mkdtemp");
        return 1;
    }
    ::setenv("HOME", home, 1);
    ::setenv("XDG_CONFIG_HOME", home, 1);
    ::setenv("XDG_RUNTIME_DIR", home, 1);
    QApplication app(argc, argv);
    TestReadOnly test;
    const int failed = QTest::qExec(&test, argc, argv);
    QDir(QString::fromLocal8Bit(home)).removeRecursively();
    return failed;
}

#include "test_readonly.moc"
