#include "images/demo.h"
#include "data/formats.h"
#include "images/idx.h"
#include "util/error.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace crowdsift;

namespace {

constexpr int smallItems = 300;

QByteArray readBytes(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

nlohmann::json readJson(const QString& path)
{
    return nlohmann::json::parse(readBytes(path).toStdString());
}

DemoOptions smallOptions()
{
    DemoOptions options;
    options.itemCount = smallItems;
    return options;
}

// Relative path -> bytes of every file under `root`.
std::map<QString, QByteArray> folderContents(const QString& root)
{
    std::map<QString, QByteArray> files;
    QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files[QDir(root).relativeFilePath(path)] = readBytes(path);
    }
    return files;
}

std::vector<std::int32_t> cyclicTruth(int n)
{
    std::vector<std::int32_t> truth(n);
    for (int i = 0; i < n; ++i)
        truth[i] = i % 10;
    return truth;
}

// Entries of the parent folder whose name starts with the demo folder's hidden partial prefix.
QStringList leftovers(const QString& parent, const QString& leaf)
{
    return QDir(parent).entryList({"." + leaf + ".partial-*", leaf + ".old-*"},
                                  QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), qint64(bytes.size()));
}

}  // namespace

class TestDemo : public QObject {
    Q_OBJECT

private:
    QTemporaryDir temp_;
    QString folder_;
    DemoResult result_;

private Q_SLOTS:
    void initTestCase()
    {
        const QString fashion = QString::fromStdString(DemoOptions().fashionDir);
        if (!QFileInfo::exists(fashion + "/t10k-images-idx3-ubyte.gz"))
            QFAIL(qPrintable("missing " + fashion + "/t10k-images-idx3-ubyte.gz: install dataset-fashion-mnist"));
        QVERIFY(temp_.isValid());
        folder_ = temp_.filePath("demo");
        result_ = buildDemo(folder_.toStdString(), smallOptions(), Progress::none());
    }

    void writesPeerannotFolder()
    {
        QCOMPARE(QString::fromStdString(result_.folder), QFileInfo(folder_).absoluteFilePath());
        QCOMPARE(result_.items, smallItems);
        QCOMPARE(result_.annotators, 40);
        QCOMPARE(result_.classes, 10);
        for (const char* name : {"answers.json", "metadata.json", "truth.csv", "crowd.json"})
            QVERIFY2(QFileInfo::exists(folder_ + "/" + name), name);

        const nlohmann::json metadata = readJson(folder_ + "/metadata.json");
        QCOMPARE(metadata["name"].get<std::string>(), std::string("fashion-mnist-demo"));
        QCOMPARE(metadata["n_classes"].get<int>(), 10);
        QCOMPARE(metadata["n_workers"].get<int>(), 40);
        QCOMPARE(metadata["n_tasks"].get<int>(), smallItems);

        const QStringList classDirs = QDir(folder_ + "/train").entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QStringList expected;
        for (const std::string& name : demoClassNames())
            expected << QString::fromStdString(name);
        QCOMPARE(classDirs, expected);
        QVERIFY(!expected.join("").contains('-'));
        QCOMPARE(expected.front(), QStringLiteral("0_tshirt_top"));
        QCOMPARE(expected.back(), QStringLiteral("9_ankle_boot"));
    }

    void imagesSitInTheirTrueClass()
    {
        const QList<QByteArray> lines = readBytes(folder_ + "/truth.csv").trimmed().split('\n');
        QCOMPARE(lines.front(), QByteArray("task,label"));
        QCOMPARE(lines.size(), smallItems + 1);
        const std::vector<std::string> names = demoClassNames();
        std::vector<int> perClass(10, 0);
        for (int i = 0; i < smallItems; ++i) {
            const QList<QByteArray> cells = lines[i + 1].split(',');
            QCOMPARE(cells.size(), 2);
            QCOMPARE(cells[0].toInt(), i);
            const int label = cells[1].toInt();
            QVERIFY(label >= 0 && label < 10);
            ++perClass[label];
            const QString name = QString::fromStdString(names[label]);
            const QByteArray png = readBytes(QString("%1/train/%2/%2-%3.png").arg(folder_, name).arg(i));
            QVERIFY2(png.startsWith("\x89PNG\r\n\x1a\n"), qPrintable(QString("image %1").arg(i)));
            // IHDR: width, height (big-endian), bit depth 8, colour type 0 (grayscale).
            QCOMPARE(png.mid(16, 10), QByteArray("\0\0\0\x1c\0\0\0\x1c\x08\0", 10));
        }
        int pngCount = 0;
        QDirIterator it(folder_ + "/train", {"*.png"}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            ++pngCount;
        }
        QCOMPARE(pngCount, smallItems);
        for (int count : perClass)
            QVERIFY(count > 0);
    }

    void votesFromDistinctAnnotators()
    {
        const nlohmann::json answers = readJson(folder_ + "/answers.json");
        QCOMPARE(int(answers.size()), smallItems);
        int total = 0;
        std::set<std::string> workers;
        for (int i = 0; i < smallItems; ++i) {
            const std::string task = std::to_string(i);
            QVERIFY2(answers.contains(task), task.c_str());
            const nlohmann::json& votes = answers[task];
            QVERIFY2(votes.size() >= 3 && votes.size() <= 5, task.c_str());
            for (const auto& [worker, label] : votes.items()) {
                const int id = std::stoi(worker);
                QVERIFY(id >= 0 && id < 40 && std::to_string(id) == worker);
                QVERIFY(label.get<int>() >= 0 && label.get<int>() < 10);
                workers.insert(worker);
            }
            total += int(votes.size());
        }
        QCOMPARE(total, result_.answers);
        QVERIFY(workers.size() >= 35);

        const DemoCrowd crowd = simulateDemoCrowd(cyclicTruth(2000), DemoOptions());
        std::vector<int> perItem(2000, 0);
        for (std::size_t k = 0; k < crowd.answers.size(); ++k) {
            const Answer& a = crowd.answers[k];
            ++perItem[a.item];
            if (k > 0 && crowd.answers[k - 1].item == a.item)
                QVERIFY(crowd.answers[k - 1].annotator < a.annotator);
        }
        for (int count : perItem)
            QVERIFY(count >= 3 && count <= 5);
    }

    void workloadsDiffer()
    {
        const DemoCrowd crowd = simulateDemoCrowd(cyclicTruth(10000), DemoOptions());
        std::vector<int> load(40, 0);
        for (const Answer& a : crowd.answers)
            ++load[a.annotator];
        const auto [least, most] = std::minmax_element(load.begin(), load.end());
        QVERIFY2(*most > 3 * *least, qPrintable(QString("%1 vs %2").arg(*most).arg(*least)));
    }

    void sameSeedSameBytes()
    {
        QTemporaryDir temp;
        DemoOptions single = smallOptions();
        single.threads = 1;
        DemoOptions four = smallOptions();
        four.threads = 4;
        buildDemo(temp.filePath("one").toStdString(), single, Progress::none());
        buildDemo(temp.filePath("four").toStdString(), four, Progress::none());
        const auto one = folderContents(temp.filePath("one"));
        const auto other = folderContents(temp.filePath("four"));
        const auto base = folderContents(folder_);
        QCOMPARE(int(one.size()), smallItems + 4);
        QVERIFY(one == other);
        QVERIFY(one == base);
    }

    void otherSeedDiffers()
    {
        QTemporaryDir temp;
        DemoOptions options = smallOptions();
        options.seed += 1;
        buildDemo(temp.filePath("demo").toStdString(), options, Progress::none());
        QVERIFY(readBytes(temp.filePath("demo/answers.json")) != readBytes(folder_ + "/answers.json"));
        QCOMPARE(readBytes(temp.filePath("demo/truth.csv")), readBytes(folder_ + "/truth.csv"));
    }

    void crowdJsonDescribesTheCrowd()
    {
        const nlohmann::json crowd = readJson(folder_ + "/crowd.json");
        QCOMPARE(crowd["seed"].get<std::uint64_t>(), DemoOptions().seed);
        QCOMPARE(crowd["generator"].get<std::string>(), std::string("crowdsift-demo"));
        std::map<std::string, int> kinds;
        for (const nlohmann::json& a : crowd["annotators"])
            ++kinds[a["kind"].get<std::string>()];
        QCOMPARE(kinds["reliable"], 10);
        QCOMPARE(kinds["sloppy"], 16);
        QCOMPARE(kinds["confuser"], 12);
        QCOMPARE(kinds["random_spammer"], 1);
        QCOMPARE(kinds["constant_spammer"], 1);
        QCOMPARE(crowd["description"].get<std::string>(), demoCrowdDescription(smallOptions()));
        const std::string text = demoCrowdDescription(DemoOptions());
        QVERIFY(text.find("constant spammer") != std::string::npos);
        QVERIFY(text.find("confuser             12") != std::string::npos);
    }

    void constantSpammerGivesOneLabel()
    {
        const nlohmann::json crowd = readJson(folder_ + "/crowd.json");
        const nlohmann::json answers = readJson(folder_ + "/answers.json");
        std::string spammer;
        int label = -1;
        for (const nlohmann::json& a : crowd["annotators"])
            if (a["kind"] == "constant_spammer") {
                spammer = a["id"].get<std::string>();
                label = a["label"].get<int>();
            }
        QVERIFY(!spammer.empty());
        int votes = 0;
        for (const auto& [task, byWorker] : answers.items())
            if (byWorker.contains(spammer)) {
                QCOMPARE(byWorker[spammer].get<int>(), label);
                ++votes;
            }
        QVERIFY(votes > 10);
    }

    void kindsBehaveAsDocumented()
    {
        const std::vector<std::int32_t> truth = cyclicTruth(10000);
        const DemoCrowd crowd = simulateDemoCrowd(truth, DemoOptions());
        const std::set<int> upper = {0, 2, 4, 6};
        std::vector<int> right(40, 0), total(40, 0), upperRight(40, 0), upperTotal(40, 0);
        std::vector<std::set<int>> labelsUsed(40);
        for (const Answer& a : crowd.answers) {
            const DemoAnnotator& annotator = crowd.annotators[a.annotator];
            const bool correct = a.label == truth[a.item];
            const bool inUpper = upper.count(truth[a.item]) > 0;
            labelsUsed[a.annotator].insert(a.label);
            if (annotator.kind == DemoAnnotatorKind::Confuser && inUpper) {
                ++upperTotal[a.annotator];
                upperRight[a.annotator] += correct;
                if (!correct)
                    QCOMPARE(a.label, annotator.confusedWith[truth[a.item]]);
                continue;
            }
            ++total[a.annotator];
            right[a.annotator] += correct;
        }
        for (int j = 0; j < 40; ++j) {
            const DemoAnnotator& annotator = crowd.annotators[j];
            const double accuracy = double(right[j]) / total[j];
            switch (annotator.kind) {
            case DemoAnnotatorKind::Reliable:
                QVERIFY(annotator.accuracy >= 0.85 && annotator.accuracy <= 0.95);
                QVERIFY(std::abs(accuracy - annotator.accuracy) < 0.06);
                break;
            case DemoAnnotatorKind::Sloppy:
                QVERIFY(annotator.accuracy >= 0.60 && annotator.accuracy <= 0.70);
                QVERIFY(std::abs(accuracy - annotator.accuracy) < 0.06);
                break;
            case DemoAnnotatorKind::Confuser: {
                QVERIFY(std::abs(accuracy - annotator.accuracy) < 0.06);
                QVERIFY(double(upperRight[j]) / upperTotal[j] < 0.4);
                for (int k : upper)
                    QVERIFY(annotator.confusedWith[k] != k && upper.count(annotator.confusedWith[k]));
                break;
            }
            case DemoAnnotatorKind::RandomSpammer:
                QVERIFY(accuracy > 0.05 && accuracy < 0.15);
                QCOMPARE(int(labelsUsed[j].size()), 10);
                break;
            case DemoAnnotatorKind::ConstantSpammer:
                QCOMPARE(int(labelsUsed[j].size()), 1);
                QCOMPARE(*labelsUsed[j].begin(), annotator.constantLabel);
                break;
            }
        }
    }

    void majorityVoteInBand()
    {
        QVERIFY2(result_.majorityVoteAccuracy > 0.70 && result_.majorityVoteAccuracy < 0.92,
                 qPrintable(QString::number(result_.majorityVoteAccuracy)));
        const std::vector<std::int32_t> truth = cyclicTruth(10000);
        const double full = majorityVoteAccuracy(simulateDemoCrowd(truth, DemoOptions()).answers, truth, 10);
        QVERIFY2(full > 0.78 && full < 0.86, qPrintable(QString::number(full)));
    }

    void majorityVoteTiesCountTheirExpectation()
    {
        const std::vector<Answer> answers = {
            {0, 0, 1, false}, {0, 1, 1, false}, {0, 2, 2, false},  // right
            {1, 0, 3, false}, {1, 1, 4, false},                    // tie of 2 holding the truth
            {2, 0, 5, false}, {2, 1, 5, false}, {2, 2, 2, false},  // wrong
            {3, 0, 0, false}, {3, 1, 1, false}, {3, 2, 2, false},  // tie of 3 holding the truth
        };
        QCOMPARE(majorityVoteAccuracy(answers, {1, 3, 2, 2}, 10), (1.0 + 0.5 + 0.0 + 1.0 / 3.0) / 4.0);
    }

    void readsBackAsPeerannot()
    {
        ReadOptions options;
        options.truthPath = (folder_ + "/truth.csv").toStdString();
        const Dataset dataset = readDataset(folder_.toStdString(), options);
        QCOMPARE(dataset.itemCount(), smallItems);
        QCOMPARE(dataset.classCount(), 10);
        QVERIFY(dataset.classNames == demoClassNames());
        QCOMPARE(int(dataset.answers.size()), result_.answers);
        QCOMPARE(dataset.imageCount(), smallItems);
        QVERIFY(dataset.hasTruth());
        const nlohmann::json answers = readJson(folder_ + "/answers.json");
        std::set<std::string> workers;
        for (const auto& [task, byWorker] : answers.items())
            for (const auto& [worker, label] : byWorker.items())
                workers.insert(worker);
        QCOMPARE(dataset.annotatorCount(), int(workers.size()));
        for (int i = 0; i < smallItems; ++i) {
            QCOMPARE(dataset.itemKeys[i], std::to_string(i));
            const std::string className = demoClassNames()[dataset.truth[i]];
            const std::string image = "train/" + className + "/" + className + "-" + std::to_string(i) + ".png";
            const std::string& path = dataset.imagePaths[i];
            QVERIFY2(path.size() >= image.size() && path.compare(path.size() - image.size(), image.size(), image) == 0,
                     path.c_str());
        }
    }

    void missingFashionDirIsAClearError()
    {
        QTemporaryDir temp;
        DemoOptions options = smallOptions();
        options.fashionDir = temp.filePath("no-such-dir").toStdString();
        const QString out = temp.filePath("demo");
        try {
            buildDemo(out.toStdString(), options, Progress::none());
            QFAIL("expected InputError");
        } catch (const InputError& error) {
            const QString message = error.what();
            QVERIFY2(message.contains("no-such-dir/t10k-images-idx3-ubyte.gz"), qPrintable(message));
            QVERIFY2(message.contains("dataset-fashion-mnist"), qPrintable(message));
        }
        QVERIFY(!QFileInfo::exists(out));
        QVERIFY(leftovers(temp.path(), "demo").isEmpty());
    }

    void malformedIdxIsAClearError_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("rank");
        QTest::addColumn<QString>("problem");
        QTest::newRow("empty") << QByteArray() << 0 << "ends before";
        QTest::newRow("float magic") << QByteArray("\0\0\x0d\x01\0\0\0\x01\0\0\0\0", 12) << 0 << "magic number 0x00000d01";
        QTest::newRow("wrong rank") << QByteArray("\0\0\x08\x01\0\0\0\x02\1\2", 10) << 3 << "rank is 1, expected 3";
        QTest::newRow("zero dim") << QByteArray("\0\0\x08\x01\0\0\0\0", 8) << 0 << "dimension is 0";
        QTest::newRow("header cut") << QByteArray("\0\0\x08\x02\0\0\0\x02\0\0", 10) << 0 << "inside the IDX header";
        QTest::newRow("truncated") << QByteArray("\0\0\x08\x01\0\0\0\x04\1\2\3", 11) << 0 << "truncated";
        QTest::newRow("trailing") << QByteArray("\0\0\x08\x01\0\0\0\x02\1\2\3", 11) << 0 << "trailing bytes";
    }

    void malformedIdxIsAClearError()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, rank);
        QFETCH(QString, problem);
        QTemporaryDir temp;
        const QString path = temp.filePath("bad-idx1-ubyte");
        writeFile(path, bytes);
        try {
            readIdxUbyte(path.toStdString(), rank);
            QFAIL("expected InputError");
        } catch (const InputError& error) {
            const QString message = error.what();
            QVERIFY2(message.startsWith(path) && message.contains(problem), qPrintable(message));
        }
    }

    void readsPlainIdx()
    {
        QTemporaryDir temp;
        const QString path = temp.filePath("ok-idx2-ubyte");
        writeFile(path, QByteArray("\0\0\x08\x02\0\0\0\x02\0\0\0\x03\1\2\3\4\5\6", 18));
        const IdxArray array = readIdxUbyte(path.toStdString(), 2);
        QVERIFY(array.dims == (std::vector<std::int64_t>{2, 3}));
        QVERIFY(array.data == (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
    }

    void refusesAnOccupiedFolder()
    {
        QTemporaryDir temp;
        const QString out = temp.filePath("mine");
        QVERIFY(QDir().mkpath(out));
        writeFile(out + "/notes.txt", "keep me");
        DemoOptions options = smallOptions();
        QVERIFY_THROWS_EXCEPTION(InputError, buildDemo(out.toStdString(), options, Progress::none()));
        options.replaceExisting = true;
        try {
            buildDemo(out.toStdString(), options, Progress::none());
            QFAIL("expected InputError");
        } catch (const InputError& error) {
            QVERIFY2(QString(error.what()).contains("not an earlier Crowdsift demo"), error.what());
        }
        QCOMPARE(readBytes(out + "/notes.txt"), QByteArray("keep me"));
        QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size(), 1);
        QVERIFY(leftovers(temp.path(), "mine").isEmpty());
    }

    void replacesAnEarlierDemoOrAnEmptyFolder()
    {
        QTemporaryDir temp;
        const QString out = temp.filePath("demo");
        QVERIFY(QDir().mkpath(out));
        DemoOptions options = smallOptions();
        options.itemCount = 50;
        buildDemo(out.toStdString(), options, Progress::none());
        QVERIFY_THROWS_EXCEPTION(InputError, buildDemo(out.toStdString(), options, Progress::none()));

        options.itemCount = 60;
        options.replaceExisting = true;
        const DemoResult result = buildDemo(out.toStdString(), options, Progress::none());
        QCOMPARE(result.items, 60);
        QCOMPARE(int(readJson(out + "/answers.json").size()), 60);
        int pngCount = 0;
        QDirIterator it(out + "/train", {"*.png"}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            ++pngCount;
        }
        QCOMPARE(pngCount, 60);
        QVERIFY(leftovers(temp.path(), "demo").isEmpty());
    }

    void cancelLeavesNothing()
    {
        QTemporaryDir temp;
        const QString out = temp.filePath("demo");
        Progress progress;
        std::vector<std::string> stages;
        progress.setCallback(
            [&](double, const std::string& stage) {
                stages.push_back(stage);
                if (stage == "writing images")
                    progress.cancel();
            },
            0);
        QVERIFY_THROWS_EXCEPTION(Cancelled, buildDemo(out.toStdString(), smallOptions(), progress));
        QVERIFY(!QFileInfo::exists(out));
        QVERIFY(leftovers(temp.path(), "demo").isEmpty());
        QVERIFY(std::find(stages.begin(), stages.end(), "reading Fashion-MNIST") != stages.end());
    }

    void rejectsBadOptions_data()
    {
        QTest::addColumn<int>("items");
        QTest::addColumn<int>("annotators");
        QTest::addColumn<int>("minVotes");
        QTest::addColumn<int>("maxVotes");
        QTest::newRow("no items") << 0 << 40 << 3 << 5;
        QTest::newRow("too many items") << 10001 << 40 << 3 << 5;
        QTest::newRow("too few annotators") << 10 << 7 << 3 << 5;
        QTest::newRow("votes reversed") << 10 << 40 << 5 << 3;
        QTest::newRow("more votes than annotators") << 10 << 8 << 3 << 9;
    }

    void rejectsBadOptions()
    {
        QFETCH(int, items);
        QFETCH(int, annotators);
        QFETCH(int, minVotes);
        QFETCH(int, maxVotes);
        QTemporaryDir temp;
        DemoOptions options;
        options.itemCount = items;
        options.annotatorCount = annotators;
        options.minVotes = minVotes;
        options.maxVotes = maxVotes;
        QVERIFY_THROWS_EXCEPTION(InputError, buildDemo(temp.filePath("demo").toStdString(), options, Progress::none()));
        QVERIFY(!QFileInfo::exists(temp.filePath("demo")));
    }
};

QTEST_APPLESS_MAIN(TestDemo)
#include "test_demo.moc"
