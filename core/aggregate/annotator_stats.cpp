#include "aggregate/annotator_stats.h"

#include <cmath>
#include <limits>

namespace crowdsift {

static constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double spammerScore(const Eigen::MatrixXd& confusion)
{
    const int k = static_cast<int>(confusion.rows());
    if (k < 2)
        return nan;
    std::vector<int> rows;
    for (int t = 0; t < k; ++t)
        if (confusion.row(t).sum() > 0)
            rows.push_back(t);
    if (rows.size() < 2)
        return nan;
    double sum = 0.0;
    for (std::size_t a = 0; a < rows.size(); ++a)
        for (std::size_t b = a + 1; b < rows.size(); ++b)
            sum += (confusion.row(rows[a]) - confusion.row(rows[b])).squaredNorm();
    const double pairs = static_cast<double>(rows.size()) * static_cast<double>(rows.size() - 1);
    return sum / pairs;
}

std::vector<AnnotatorStats> annotatorStats(const Dataset& dataset, const AggregationResult& result)
{
    const int m = dataset.annotatorCount();
    const int k = dataset.classCount();
    std::vector<AnnotatorStats> out(static_cast<std::size_t>(m));
    std::vector<char> used(static_cast<std::size_t>(k));
    for (int w = 0; w < m; ++w) {
        AnnotatorStats& s = out[static_cast<std::size_t>(w)];
        std::fill(used.begin(), used.end(), 0);
        int agree = 0;
        for (const auto& e : dataset.answers.ofAnnotator(w)) {
            if (e.complementary()) {
                ++s.complementary;
                continue;
            }
            ++s.labels;
            if (!used[e.label]) {
                used[e.label] = 1;
                ++s.classesUsed;
            }
            if (result.labels[e.other] == e.label)
                ++agree;
        }
        s.agreement = s.labels > 0 ? static_cast<double>(agree) / s.labels : nan;

        s.estimatedAccuracy = nan;
        s.spammerScore = nan;
        // P(t) * share of the matrix's row t on its diagonal, over the rows with mass.
        const auto diagonalShare = [&](const Eigen::MatrixXd& c) {
            double on = 0.0;
            double mass = 0.0;
            for (int t = 0; t < k; ++t) {
                const double prior = result.classPriors.size() == k ? result.classPriors(t) : 1.0 / k;
                if (c.row(t).sum() <= 0)
                    continue;
                on += prior * c(t, t) / c.row(t).sum();
                mass += prior;
            }
            return mass > 0 ? on / mass : nan;
        };
        // A stored run made before the annotator joined has a zero matrix and no skill for it.
        const auto u = static_cast<std::size_t>(w);
        const bool weighed = u < result.confusions.size()
                             && (!result.confusions[u].isZero()
                                 || (w < result.annotatorSkill.size() && std::isfinite(result.annotatorSkill(w))));
        if (weighed && s.labels == 0 && s.complementary > 0 && result.posteriors.rows() == dataset.itemCount()
            && result.posteriors.cols() == k) {
            // Only "not k" answers: its vote confusion matrix is empty (or a prior), so it is judged
            // by its complementary transition matrix against the result's posteriors.
            Eigen::MatrixXd q = Eigen::MatrixXd::Zero(k, k);
            for (const auto& e : dataset.answers.ofAnnotator(w))
                q.col(e.label) += result.posteriors.row(e.other).transpose();
            s.estimatedAccuracy = 1.0 - diagonalShare(q);
            for (int t = 0; t < k; ++t)
                if (q.row(t).sum() > 0)
                    q.row(t) /= q.row(t).sum();
            s.spammerScore = spammerScore(q);
        } else if (u < result.confusions.size()) {
            const Eigen::MatrixXd& c = result.confusions[u];
            s.estimatedAccuracy = diagonalShare(c);
            s.spammerScore = spammerScore(c);
        }
        s.skill = w < result.annotatorSkill.size() ? result.annotatorSkill(w) : nan;
    }
    return out;
}

static nlohmann::json number(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json annotatorStatsJson(const Dataset& dataset, const AggregationResult& result,
                                  const std::vector<AnnotatorStats>& stats, bool withConfusions)
{
    nlohmann::json table = nlohmann::json::array();
    for (int w = 0; w < dataset.annotatorCount(); ++w) {
        const AnnotatorStats& s = stats[static_cast<std::size_t>(w)];
        nlohmann::json row = {
            {"id", dataset.annotatorIds[static_cast<std::size_t>(w)]},
            {"kind", dataset.isMachine(w) ? "machine" : "human"},
            {"labels", s.labels},
            {"complementary", s.complementary},
            {"classes_used", s.classesUsed},
            {"agreement", number(s.agreement)},
            {"estimated_accuracy", number(s.estimatedAccuracy)},
            {"spammer_score", number(s.spammerScore)},
            {"skill", number(s.skill)},
        };
        if (withConfusions && static_cast<std::size_t>(w) < result.confusions.size()) {
            const Eigen::MatrixXd& c = result.confusions[static_cast<std::size_t>(w)];
            nlohmann::json matrix = nlohmann::json::array();
            for (int t = 0; t < c.rows(); ++t) {
                nlohmann::json r = nlohmann::json::array();
                for (int o = 0; o < c.cols(); ++o)
                    r.push_back(number(c(t, o)));
                matrix.push_back(std::move(r));
            }
            row["confusion"] = std::move(matrix);
        }
        table.push_back(std::move(row));
    }
    return table;
}

}  // namespace crowdsift
