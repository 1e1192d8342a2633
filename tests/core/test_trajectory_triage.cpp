#include "analysis/trajectory_triage.h"
#include "util/error.h"

#include "input_error.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace crowdsift;

namespace {

constexpr double kTolerance = 1e-5;  // the sigmas are float32: log(float(exp(v))) is v to ~1e-7
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// 11 items, 2 classes, 4 epochs. Every sigma is exp(v), so each level is a mean of v's and every
// number below is computed by hand. Epochs 1-2 carry the levels, epochs 3-4 are log sigma 0
// except item 0's (3.0), so the window decides whether item 0 stands out.
//   class 0: items 0-4, levels over the first 2 epochs 0, 0.1, 0.2, 0.3, 2.0 (item 4 planted)
//            median 0.2, q25 0.1, q75 0.3, IQR 0.2 -> spreads -1, -0.5, 0, 0.5, 9
//   class 1: items 5-8, levels -0.4, -0.2, 0, 0.3
//            median -0.1, q25 -0.25, q75 0.075, IQR 0.325 -> spreads -0.3, -0.1, 0.1, 0.4 / 0.325
// No spread lies on a threshold the cases below use: the float rounding cannot tip a band.
//   item 9:  label -1 (not trained on); item 10: label 1 but a NaN row (not trained on)
struct Fixture {
    std::vector<float> sigma;
    std::vector<int> labels{0, 0, 0, 0, 0, 1, 1, 1, 1, -1, 1};
    std::size_t epochs = 4;
    int classes = 2;
};

Fixture fixture()
{
    Fixture f;
    const std::vector<double> level{0.0, 0.1, 0.2, 0.3, 2.0, -0.4, -0.2, 0.0, 0.3};
    for (std::size_t i = 0; i < 11; ++i) {
        for (std::size_t e = 0; e < f.epochs; ++e) {
            if (i >= level.size())
                f.sigma.push_back(kNaN);
            else if (e < 2)
                f.sigma.push_back(static_cast<float>(std::exp(level[i])));
            else
                f.sigma.push_back(static_cast<float>(std::exp(i == 0 ? 3.0 : 0.0)));
        }
    }
    return f;
}

QString letters(const std::vector<Triage>& categories)
{
    QString s;
    for (Triage t : categories)
        s += t == Triage::Easy ? 'E' : t == Triage::Hard ? 'H' : 'N';
    return s;
}

// Crowd evidence for the fixture's 11 items: all labelled as trained, posterior 0.95, except
// item 1 (posterior 0.5) and item 2 (no consensus).
TriageEvidence crowd()
{
    TriageEvidence e;
    e.labels = {0, 0, -1, 0, 0, 1, 1, 1, 1, 0, 1};
    e.posterior.assign(11, 0.95);
    e.posterior[1] = 0.5;
    e.posterior[2] = std::nan("");
    e.agreement.assign(11, 1.0);
    e.answers.assign(11, 3);
    return e;
}

}  // namespace

class TestTrajectoryTriage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void windowEpochs_data()
    {
        QTest::addColumn<double>("window");
        QTest::addColumn<int>("epochs");
        QTest::addColumn<int>("expected");
        QTest::newRow("half of 4") << 0.5 << 4 << 2;
        QTest::newRow("0.3 of 4 rounds up") << 0.3 << 4 << 2;
        QTest::newRow("a quarter of 4") << 0.25 << 4 << 1;
        QTest::newRow("all") << 1.0 << 4 << 4;
        QTest::newRow("at least one") << 0.01 << 4 << 1;
        QTest::newRow("half of 3") << 0.5 << 3 << 2;
        // 0.2 x 10 is 2.0000000000000004 in doubles: still 2 epochs.
        QTest::newRow("0.2 of 10") << 0.2 << 10 << 2;
        QTest::newRow("0.7 of 10") << 0.7 << 10 << 7;
    }

    void windowEpochs()
    {
        QFETCH(double, window);
        QFETCH(int, epochs);
        QFETCH(int, expected);
        QCOMPARE(crowdsift::windowEpochs(window, static_cast<std::size_t>(epochs)), expected);
    }

    void spreadsAreHandComputed()
    {
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 0.5);
        QCOMPARE(s.itemCount(), 11);
        QCOMPARE(s.epochsRead, 2);
        QCOMPARE(s.labels, (std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1, -1, -1}));
        const std::vector<double> level{0.0, 0.1, 0.2, 0.3, 2.0, -0.4, -0.2, 0.0, 0.3};
        const std::vector<double> spread{-1.0, -0.5, 0.0, 0.5, 9.0, -0.3 / 0.325, -0.1 / 0.325, 0.1 / 0.325,
                                         0.4 / 0.325};
        for (std::size_t i = 0; i < spread.size(); ++i) {
            QVERIFY2(std::abs(s.level[i] - level[i]) < kTolerance, qPrintable(QString::number(i)));
            QVERIFY2(std::abs(s.spread[i] - spread[i]) < kTolerance, qPrintable(QString::number(s.spread[i])));
        }
        for (std::size_t i : {9, 10}) {
            QVERIFY(std::isnan(s.level[i]));
            QVERIFY(std::isnan(s.spread[i]));
            QVERIFY(std::isnan(s.noisyProbability[i]));
        }
    }

    // The whole trajectory: item 0's late rise (log sigma 3 in epochs 3-4) now counts.
    // Class 0 levels 1.5, 0.05, 0.1, 0.15, 1.0: median 0.15, q25 0.1, q75 1.0, IQR 0.9.
    void theWindowDecidesWhatIsRead()
    {
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 1.0);
        QCOMPARE(s.epochsRead, 4);
        QVERIFY(std::abs(s.level[0] - 1.5) < kTolerance);
        QVERIFY(std::abs(s.spread[0] - 1.35 / 0.9) < kTolerance);
        QVERIFY(std::abs(s.spread[4] - 0.85 / 0.9) < kTolerance);
        QVERIFY(std::abs(s.spread[1] - (-0.1 / 0.9)) < kTolerance);
        QVERIFY(s.spread[0] > s.spread[4]);
    }

    void aClassOfTiesGetsATinyIqr()
    {
        const std::vector<float> sigma{2.0f, 2.0f, 2.0f, 5.0f};
        const TrajectoryScores s = trajectoryScores(sigma, 1, {0, 0, 0, 1}, 2, 1.0);
        for (std::size_t i = 0; i < 4; ++i)
            QCOMPARE(s.spread[i], 0.0);
    }

    void categories_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<bool>("withCrowd");
        QTest::addColumn<QString>("expected");
        // Spreads: -1, -0.5, 0, 0.5, 9 | -0.92, -0.31, 0.31, 1.23 | -, -
        QTest::newRow("defaults, no crowd") << "{}" << false << "EEEEHEEENHH";
        QTest::newRow("tight easy, hard from 0.9") << R"({"easy_spread": 0.4, "hard_spread": 0.9})" << false
                                                    << "EEENHEEEHHH";
        QTest::newRow("below the median only") << R"({"easy_spread": -0.6, "hard_spread": 0.4})" << false
                                               << "ENNHHENNHHH";
        // Item 1's crowd posterior 0.5 keeps it from easy; item 2 has no consensus: hard.
        QTest::newRow("with the crowd") << "{}" << true << "ENHEHEEENHH";
        QTest::newRow("crowd asked but not used") << R"({"use_crowd": false})" << true << "EEEEHEEENHH";
        QTest::newRow("crowd at 0.5") << R"({"easy_posterior": 0.5})" << true << "EEHEHEEENHH";
        // Ranks over the 10 items with consensus: nine tie at 0.95 (rank 0.55), item 1 is
        // lowest (0.05). The rank defaults ask for >= 0.5.
        QTest::newRow("rank scale") << R"({"scale": "rank"})" << true << "ENHEHEEENHH";
        QTest::newRow("rank scale, top 40%") << R"({"scale": "rank", "easy_posterior": 0.6})" << true
                                             << "NNHNHNNNNHH";
    }

    void categories()
    {
        QFETCH(QString, json);
        QFETCH(bool, withCrowd);
        QFETCH(QString, expected);
        const Fixture f = fixture();
        const TrajectoryTriageRule rule = TrajectoryTriageRule::fromJson(nlohmann::json::parse(json.toStdString()));
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, rule.window);
        const TriageEvidence evidence = crowd();
        QCOMPARE(letters(trajectoryTriage(s, withCrowd ? &evidence : nullptr, rule)), expected);
    }

    // On the fixture the mixture's upper component is the planted item alone.
    void theMixtureFindsThePlantedItem()
    {
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 0.5);
        QVERIFY(s.noisyProbability[4] > 0.99);
        for (std::size_t i : {0, 1, 2, 3, 5, 6, 7, 8})
            QVERIFY2(s.noisyProbability[i] < 0.01, qPrintable(QString::number(s.noisyProbability[i])));
    }

    // 3 classes of 300 items with normal levels, each with 15 planted items well above: every
    // planted item gets a higher responsibility than every item within one IQR of its class.
    void responsibilitiesOrderTheTail()
    {
        std::mt19937 rng(5);
        std::normal_distribution<double> typical(0.0, 0.3);
        std::normal_distribution<double> noisy(2.5, 0.3);
        const int classes = 3;
        const int perClass = 300;
        const int planted = 15;
        std::vector<float> sigma;
        std::vector<int> labels;
        std::vector<char> isPlanted;
        for (int c = 0; c < classes; ++c) {
            for (int j = 0; j < perClass; ++j) {
                const bool p = j < planted;
                const double level = (p ? noisy(rng) : typical(rng)) + 0.5 * c;
                sigma.push_back(static_cast<float>(std::exp(level)));
                labels.push_back(c);
                isPlanted.push_back(p);
            }
        }
        const TrajectoryScores s = trajectoryScores(sigma, 1, labels, classes, 1.0);
        double lowestPlanted = 1.0;
        double highestTypical = 0.0;
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (isPlanted[i])
                lowestPlanted = std::min(lowestPlanted, s.noisyProbability[i]);
            else if (s.spread[i] <= 1.0)
                highestTypical = std::max(highestTypical, s.noisyProbability[i]);
        }
        QVERIFY2(lowestPlanted > 0.9, qPrintable(QString::number(lowestPlanted)));
        QVERIFY2(highestTypical < 0.1, qPrintable(QString::number(highestTypical)));
        QVERIFY(lowestPlanted > highestTypical);
    }

    void wrongProbabilityPoolsTheCrowd()
    {
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 0.5);
        const std::vector<double> alone = wrongProbability(s, nullptr);
        const TriageEvidence evidence = crowd();
        const std::vector<double> pooled = wrongProbability(s, &evidence);
        for (std::size_t i = 0; i < 9; ++i)
            QCOMPARE(alone[i], s.noisyProbability[i]);
        QCOMPARE(pooled[0], 0.5 * (s.noisyProbability[0] + 0.05));
        QCOMPARE(pooled[1], 0.5 * (s.noisyProbability[1] + 0.5));
        // No consensus: the trajectory's estimate alone.
        QCOMPARE(pooled[2], s.noisyProbability[2]);
        QCOMPARE(pooled[4], 0.5 * (s.noisyProbability[4] + 0.05));
        for (std::size_t i : {9, 10}) {
            QVERIFY(std::isnan(alone[i]));
            QVERIFY(std::isnan(pooled[i]));
        }
    }

    void bandEstimatesAverageEachBand()
    {
        const std::vector<BandEstimate> bands = bandEstimates(
            {Triage::Easy, Triage::Hard, Triage::Easy, Triage::NeedReview, Triage::Easy, Triage::Hard},
            {0.1, 0.8, std::nan(""), 0.4, 0.3, 0.6});
        QCOMPARE(bands.size(), std::size_t(3));
        QCOMPARE(bands[0].count, 3);
        QCOMPARE(bands[0].estimatedWrong, 0.2);  // the NaN skipped
        QCOMPARE(bands[1].count, 1);
        QCOMPARE(bands[1].estimatedWrong, 0.4);
        QCOMPARE(bands[2].count, 2);
        QCOMPARE(bands[2].estimatedWrong, 0.7);
        const std::vector<BandEstimate> none = bandEstimates({Triage::Hard}, {0.5});
        QCOMPARE(none[0].count, 0);
        QVERIFY(std::isnan(none[0].estimatedWrong));
        QVERIFY(!testing::inputErrorOf([] { bandEstimates({Triage::Hard}, {}); }).isEmpty());
    }

    void reviewOrderPutsTheWorstFirst()
    {
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 0.5);
        // Untrained items first (by index), then spread descending.
        QCOMPARE(trajectoryReviewOrder(s, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
                 (std::vector<int>{9, 10, 4, 8, 3, 7, 2, 6, 1, 5, 0}));
        QCOMPARE(trajectoryReviewOrder(s, {5, 10, 3}), (std::vector<int>{10, 3, 5}));
        QVERIFY(trajectoryReviewOrder(s, {}).empty());
        // Two classes with the same sigmas: equal spreads, ties by index.
        const TrajectoryScores tied = trajectoryScores({1, 2, 4, 1, 2, 4}, 1, {0, 0, 0, 1, 1, 1}, 2, 1.0);
        QCOMPARE(trajectoryReviewOrder(tied, {5, 4, 3, 2, 1, 0}), (std::vector<int>{2, 5, 1, 4, 0, 3}));
    }

    // Per class and epoch, linear-interpolation quartiles of the trained items' sigmas.
    //   class 0 (items 0-3): epoch 1 {1, 2, 3, 4} -> 1.75, 2.5, 3.25; epoch 2 {4, 3, 2, 1} the same
    //   class 1 (items 4, 5; item 6 has a NaN row): epoch 1 {5, 7} -> 5.5, 6, 6.5; epoch 2 {1, 1}
    //   class 2: no items -> NaN; item 7 (label -1) counts nowhere
    void classQuartilesAreHandComputed()
    {
        const std::vector<float> sigma{1, 4, 2, 3, 3, 2, 4, 1, 5, 1, 7, 1, kNaN, kNaN, 100, 100};
        const ClassSigmaQuartiles q = classSigmaQuartiles(sigma, 2, {0, 0, 0, 0, 1, 1, 1, -1}, 3);
        QCOMPARE(q.epochs, std::size_t(2));
        QCOMPARE(q.q25.size(), std::size_t(6));
        QCOMPARE(q.q25[0], 1.75f);
        QCOMPARE(q.median[0], 2.5f);
        QCOMPARE(q.q75[0], 3.25f);
        QCOMPARE(q.q25[1], 1.75f);
        QCOMPARE(q.median[1], 2.5f);
        QCOMPARE(q.q75[1], 3.25f);
        QCOMPARE(q.q25[2], 5.5f);
        QCOMPARE(q.median[2], 6.0f);
        QCOMPARE(q.q75[2], 6.5f);
        QCOMPARE(q.q25[3], 1.0f);
        QCOMPARE(q.median[3], 1.0f);
        QCOMPARE(q.q75[3], 1.0f);
        for (std::size_t cell : {4, 5}) {
            QVERIFY(std::isnan(q.q25[cell]));
            QVERIFY(std::isnan(q.median[cell]));
            QVERIFY(std::isnan(q.q75[cell]));
        }
    }

    void validationNamesTheField_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("field");
        QTest::newRow("window 0") << R"({"window": 0})" << "window";
        QTest::newRow("window above 1") << R"({"window": 1.5})" << "window";
        QTest::newRow("hard at easy") << R"({"easy_spread": 2, "hard_spread": 2})" << "hard_spread";
        QTest::newRow("hard below easy") << R"({"hard_spread": 0.5})" << "hard_spread";
        QTest::newRow("posterior above 1") << R"({"easy_posterior": 1.2})" << "easy_posterior";
        QTest::newRow("posterior below 0") << R"({"easy_posterior": -0.1})" << "easy_posterior";
        QTest::newRow("unknown key") << R"({"windows": 0.5})" << "windows";
        QTest::newRow("wrong type") << R"({"window": "half"})" << "window";
        QTest::newRow("use_crowd not a bool") << R"({"use_crowd": 1})" << "use_crowd";
        QTest::newRow("unknown scale") << R"({"scale": "logit"})" << "scale";
        QTest::newRow("not an object") << "[1]" << "JSON object";
    }

    void validationNamesTheField()
    {
        QFETCH(QString, json);
        QFETCH(QString, field);
        const QString message = testing::inputErrorOf(
            [&] { TrajectoryTriageRule::fromJson(nlohmann::json::parse(json.toStdString())); });
        QVERIFY2(message.contains(field), qPrintable(message));
    }

    void validateRejectsNonFiniteSpreads()
    {
        TrajectoryTriageRule rule;
        rule.easySpread = std::numeric_limits<double>::infinity();
        QVERIFY(testing::inputErrorOf([&] { rule.validate(); }).contains("easy_spread"));
        rule = TrajectoryTriageRule();
        rule.hardSpread = std::nan("");
        QVERIFY(testing::inputErrorOf([&] { rule.validate(); }).contains("hard_spread"));
        rule = TrajectoryTriageRule();
        rule.window = std::nan("");
        QVERIFY(testing::inputErrorOf([&] { rule.validate(); }).contains("window"));
        // trajectoryTriage validates first.
        const Fixture f = fixture();
        const TrajectoryScores s = trajectoryScores(f.sigma, f.epochs, f.labels, f.classes, 0.5);
        QVERIFY(testing::inputErrorOf([&] { trajectoryTriage(s, nullptr, rule); }).contains("window"));
    }

    void inputsAreChecked()
    {
        const Fixture f = fixture();
        QVERIFY(testing::inputErrorOf([&] { trajectoryScores(f.sigma, 3, f.labels, 2, 0.5); }).contains("44 values"));
        QVERIFY(testing::inputErrorOf([&] { trajectoryScores({}, 0, {}, 2, 0.5); }).contains("no epochs"));
        std::vector<int> labels = f.labels;
        labels[3] = 2;
        QVERIFY(testing::inputErrorOf([&] { trajectoryScores(f.sigma, 4, labels, 2, 0.5); })
                    .contains("outside the 2 classes"));
        QVERIFY(testing::inputErrorOf([&] { trajectoryScores(f.sigma, 4, f.labels, 2, 0.0); }).contains("window"));
        QVERIFY(testing::inputErrorOf([&] { classSigmaQuartiles(f.sigma, 3, f.labels, 2); }).contains("44 values"));
        const TrajectoryScores s = trajectoryScores(f.sigma, 4, f.labels, 2, 0.5);
        TriageEvidence shortCrowd = crowd();
        shortCrowd.labels.pop_back();
        QVERIFY(testing::inputErrorOf([&] { trajectoryTriage(s, &shortCrowd, {}); }).contains("crowd evidence"));
        QVERIFY(testing::inputErrorOf([&] { wrongProbability(s, &shortCrowd); }).contains("crowd evidence"));
    }

    void jsonRoundTrip()
    {
        TrajectoryTriageRule rule;
        rule.window = 0.3;
        rule.easySpread = -0.25;
        rule.hardSpread = 2.5;
        rule.useCrowd = false;
        rule.scale = TriageScale::Rank;
        rule.easyPosterior = 0.7;
        QCOMPARE(TrajectoryTriageRule::fromJson(rule.toJson()), rule);
        QCOMPARE(TrajectoryTriageRule::fromJson(TrajectoryTriageRule().toJson()), TrajectoryTriageRule());
        // Missing keys keep the defaults of the scale.
        const TrajectoryTriageRule rank = TrajectoryTriageRule::fromJson({{"scale", "rank"}});
        QCOMPARE(rank, TrajectoryTriageRule::defaults(TriageScale::Rank));
        QCOMPARE(rank.easyPosterior, 0.5);
        QCOMPARE(TrajectoryTriageRule::fromJson(nlohmann::json::object()), TrajectoryTriageRule());
        QVERIFY(TrajectoryTriageRule::fromJson({{"window", 0.4}}) != TrajectoryTriageRule());
    }

    void describeSaysTheRule()
    {
        QCOMPARE(QString::fromStdString(TrajectoryTriageRule().describe()),
                 QStringLiteral("reads the first 50% of the epochs; easy: spread <= 1.0 class IQR and posterior >= "
                                "0.90; hard: no label, or spread >= 3.0; need review: the rest"));
        TrajectoryTriageRule rule = TrajectoryTriageRule::defaults(TriageScale::Rank);
        QVERIFY(QString::fromStdString(rule.describe()).contains("posterior in the top 50% of the run"));
        rule.useCrowd = false;
        rule.window = 0.25;
        QCOMPARE(QString::fromStdString(rule.describe()),
                 QStringLiteral("reads the first 25% of the epochs; easy: spread <= 1.0 class IQR; hard: no label, "
                                "or spread >= 3.0; need review: the rest"));
    }
};

QTEST_APPLESS_MAIN(TestTrajectoryTriage)
#include "test_trajectory_triage.moc"
