#include "runlistmodel.h"

#include "tableroles.h"

#include "aggregate/registry.h"
#include "project/aggregation_runs.h"

#include <QDateTime>
#include <QFont>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <limits>

namespace crowdsift {

RunListModel::RunListModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString RunListModel::title(const RunInfo& run)
{
    if (run.kind == "aggregate" && run.name == "crowdlab-loop")
        return tr("CROWDLAB loop");
    // An automatic run is named by what it chose: "Automatic → Dawid-Skene with a Dirichlet prior (ds-prior)".
    if (const std::string chosen = automaticChoice(run); !chosen.empty()) {
        return tr("Automatic → %1 (%2)").arg(strategyTitle(chosen), QString::fromStdString(chosen));
    }
    if (run.kind == "aggregate") {
        const QString title = strategyTitle(run.name);
        return title == QString::fromStdString(run.name) ? title
                                                          : QStringLiteral("%1 (%2)").arg(title, QString::fromStdString(run.name));
    }
    if (run.kind == "train")
        return tr("training (%1)").arg(QString::fromStdString(run.name));
    if (run.kind == "data-parameters")
        return tr("Data Parameters (%1)").arg(QString::fromStdString(run.name));
    return QStringLiteral("%1 (%2)").arg(QString::fromStdString(run.name), QString::fromStdString(run.kind));
}

QString RunListModel::chooserTip(const RunInfo& run)
{
    if (!run.summary.is_object() || !run.summary.contains("chooser") || !run.summary["chooser"].is_object())
        return {};
    const nlohmann::json& chooser = run.summary["chooser"];
    const nlohmann::json scores = chooser.value("held_out_log_likelihood", nlohmann::json::object());
    const nlohmann::json excluded = chooser.value("excluded", nlohmann::json::object());
    if (!scores.is_object() || !chooser.contains("candidates") || !chooser["candidates"].is_array())
        return {};
    const bool kept = chooser.contains("default") && chooser["default"].is_string() && chooser.contains("margin")
                      && chooser["margin"].is_number();
    const nlohmann::json z = chooser.value("z_over_default", nlohmann::json::object());
    QStringList lines;
    lines << tr("Held-out log-likelihood per answer (higher is better):");
    if (kept)
        lines << tr("%1 is kept unless a candidate beats it by more than %2 standard errors")
                     .arg(QString::fromStdString(chooser["default"].get<std::string>()))
                     .arg(chooser["margin"].get<double>());
    for (const nlohmann::json& candidate : chooser["candidates"]) {
        if (!candidate.is_string())
            continue;
        const std::string name = candidate.get<std::string>();
        QString line = QString::fromStdString(name);
        if (scores.contains(name) && scores[name].is_number())
            line += QStringLiteral("  %1").arg(scores[name].get<double>(), 0, 'f', 4);
        if (kept && chooser["default"].get<std::string>() == name)
            line += tr("  (default)");
        else if (kept && z.is_object() && z.contains(name) && z[name].is_number())
            line += tr("  %1 SE").arg(QString::asprintf("%+.2f", z[name].get<double>()));
        if (excluded.is_object() && excluded.contains(name) && excluded[name].is_string())
            line += tr("  (excluded: %1)").arg(QString::fromStdString(excluded[name].get<std::string>()));
        if (chooser.value("chosen", std::string()) == name)
            line += tr("  ← chosen");
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

QString RunListModel::strategyTitle(const std::string& name)
{
    const auto known = std::find_if(strategies().begin(), strategies().end(),
                                    [&name](const StrategyInfo& info) { return info.name == name; });
    return QString::fromStdString(known == strategies().end() ? name : known->title);
}

double RunListModel::accuracy(const RunInfo& run)
{
    if (run.summary.is_object() && run.summary.contains("accuracy") && run.summary["accuracy"].is_number())
        return run.summary["accuracy"].get<double>();
    return std::numeric_limits<double>::quiet_NaN();
}

QVariant RunListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const RunInfo& run = runs_[static_cast<std::size_t>(index.row())];
    const bool active = run.id == active_;
    switch (role) {
    case RunIdRole:
        return static_cast<qlonglong>(run.id);
    case KindRole:
        return QString::fromStdString(run.kind);
    case StatusRole:
        return QString::fromStdString(run.status);
    case ActiveRole:
        return active;
    case Qt::FontRole:
        if (active) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() >= IterationsColumn ? int(Qt::AlignRight | Qt::AlignVCenter) : int(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        // Why a run failed, e.g. that its process died before it finished (see Project::open).
        if (index.column() == StatusColumn && run.summary.is_object() && run.summary.contains("error")
            && run.summary["error"].is_string())
            return QString::fromStdString(run.summary["error"].get<std::string>());
        if (index.column() == IdColumn && run.parent != 0 && !active)
            return tr("Derived from run %1 (e.g. a retrain without the items that run ranked highest)").arg(run.parent);
        if (index.column() == IdColumn && active)
            return tr("The active run: the Review tab and export use its consensus");
        if (index.column() == StrategyColumn)
            return chooserTip(run);
        return {};
    case SortRole:
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    const bool hasSummary = run.summary.is_object();
    switch (index.column()) {
    case IdColumn:
        if (role == SortRole)
            return static_cast<qlonglong>(run.id);
    {
        // A derived run names its parent as `crowdsift-cli runs` does: "4 ← 3".
        const QString id = run.parent != 0 ? tr("%1 ← %2").arg(run.id).arg(run.parent) : QString::number(run.id);
        return active ? tr("%1 ● active").arg(id) : id;
    }
    case StrategyColumn:
        return title(run);
    case CreatedColumn:
        if (role == SortRole)
            return run.created;
        return QLocale().toString(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(run.created * 1000.0)),
                                  QLocale::ShortFormat);
    case StatusColumn:
        return QString::fromStdString(run.status);
    case IterationsColumn:
        if (hasSummary && run.summary.contains("iterations") && run.summary["iterations"].is_number()
            && run.summary["iterations"].get<int>() > 0)
            return role == SortRole ? QVariant(run.summary["iterations"].get<int>())
                                    : QVariant(QString::number(run.summary["iterations"].get<int>()));
        return role == SortRole ? QVariant(-1) : QVariant(QString());
    case AccuracyColumn: {
        const double acc = run.status == "done" ? accuracy(run) : std::numeric_limits<double>::quiet_NaN();
        if (role == SortRole)
            return std::isfinite(acc) ? acc : -1.0;
        return std::isfinite(acc) ? QStringLiteral("%1%").arg(acc * 100.0, 0, 'f', 2) : QString();
    }
    case SecondsColumn:
        if (hasSummary && run.summary.contains("seconds") && run.summary["seconds"].is_number())
            return role == SortRole ? QVariant(run.summary["seconds"].get<double>())
                                    : QVariant(QString::number(run.summary["seconds"].get<double>(), 'f', 2));
        return role == SortRole ? QVariant(-1.0) : QVariant(QString());
    default:
        return {};
    }
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == AccuracyColumn)
        return tr("Share of the items with known truth labelled right (a training run: out of sample)");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return tr("Run");
    case StrategyColumn: return tr("Strategy");
    case CreatedColumn: return tr("Created");
    case StatusColumn: return tr("Status");
    case IterationsColumn: return tr("Iterations");
    case AccuracyColumn: return tr("Accuracy");
    case SecondsColumn: return tr("Seconds");
    default: return {};
    }
}

void RunListModel::setRuns(std::vector<RunInfo> runs, std::int64_t active)
{
    beginResetModel();
    std::reverse(runs.begin(), runs.end());
    runs_ = std::move(runs);
    active_ = active;
    endResetModel();
}

void RunListModel::setActiveRun(std::int64_t active)
{
    if (active == active_)
        return;
    const int before = rowOf(active_);
    const int after = rowOf(active);
    active_ = active;
    for (int row : {before, after})
        if (row >= 0)
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

int RunListModel::rowOf(std::int64_t id) const
{
    for (std::size_t r = 0; r < runs_.size(); ++r)
        if (runs_[r].id == id)
            return static_cast<int>(r);
    return -1;
}

const RunInfo* RunListModel::find(std::int64_t id) const
{
    const int row = rowOf(id);
    return row < 0 ? nullptr : &runs_[static_cast<std::size_t>(row)];
}

}  // namespace crowdsift
