#include "inspectorpanel.h"

#include "projectdocument.h"
#include "sharebardelegate.h"
#include "tableroles.h"
#include "thumbnaildelegate.h"
#include "trajectoryplot.h"
#include "thumbnailprovider.h"
#include "trajectorysource.h"

#include "aggregate/label_quality.h"
#include "images/thumbnails.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QHeaderView>
#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace crowdsift {

namespace {

// Small enough that the Review tab fits a 1280 x 680 window (a 1366 x 768 laptop).
constexpr int kImageSide = 200;
constexpr int kMaxKeyedClasses = 36;

QImage toImage(const Thumbnail& thumbnail)
{
    const QImage::Format format = thumbnail.format == Thumbnail::Format::Gray8   ? QImage::Format_Grayscale8
                                  : thumbnail.format == Thumbnail::Format::Rgba8 ? QImage::Format_RGBA8888
                                                                                 : QImage::Format_RGB888;
    return QImage(thumbnail.pixels.data(), thumbnail.width, thumbnail.height, thumbnail.stride, format).copy();
}

QTreeWidget* makeTree(const QStringList& headers)
{
    auto* tree = new QTreeWidget;
    tree->setHeaderLabels(headers);
    tree->setRootIsDecorated(false);
    tree->setUniformRowHeights(true);
    tree->setSelectionMode(QAbstractItemView::NoSelection);
    tree->setFocusPolicy(Qt::NoFocus);
    tree->header()->setStretchLastSection(true);
    return tree;
}

}  // namespace

InspectorPanel::InspectorPanel(ProjectDocument* document, QWidget* parent)
    : QWidget(parent), document_(document)
{
    image_ = new QLabel;
    image_->setObjectName(QStringLiteral("inspectorImage"));
    image_->setAlignment(Qt::AlignCenter);
    image_->setFixedSize(kImageSide, kImageSide);
    image_->setStyleSheet(QStringLiteral("background: #202020; color: #a0a0a0;"));
    title_ = new QLabel;
    title_->setWordWrap(true);
    QFont titleFont = title_->font();
    titleFont.setBold(true);
    title_->setFont(titleFont);
    quality_ = new QLabel;
    quality_->setObjectName(QStringLiteral("qualityLabel"));
    quality_->setWordWrap(true);
    consensus_ = new QLabel;
    consensus_->setObjectName(QStringLiteral("consensusLabel"));
    consensus_->setWordWrap(true);
    decision_ = new QLabel;
    decision_->setWordWrap(true);

    plot_ = new TrajectoryPlot;
    plot_->setObjectName(QStringLiteral("trajectoryPlot"));
    plot_->setFixedHeight(96);
    plot_->hide();
    trajectoryText_ = new QLabel;
    trajectoryText_->setObjectName(QStringLiteral("trajectoryLabel"));
    trajectoryText_->setWordWrap(true);
    trajectoryText_->hide();

    votes_ = makeTree({tr("Annotator"), tr("Vote"), tr("Accuracy")});
    votes_->setObjectName(QStringLiteral("votesTree"));
    posteriors_ = makeTree({tr("Class"), tr("Posterior"), tr("Model")});
    posteriors_->setObjectName(QStringLiteral("posteriorTree"));
    posteriors_->setItemDelegateForColumn(1, new ShareBarDelegate(posteriors_));
    posteriors_->setItemDelegateForColumn(2, new ShareBarDelegate(posteriors_));
    posteriors_->headerItem()->setToolTip(1, tr("Posterior of the active run"));
    posteriors_->headerItem()->setToolTip(2, tr("The model's out-of-sample probabilities that the CROWDLAB "
                                                "consensus combined with the votes"));
    posteriors_->setColumnHidden(2, true);

    note_ = new QLineEdit;
    note_->setObjectName(QStringLiteral("noteEdit"));
    note_->setPlaceholderText(tr("Note (saved with the next decision)"));
    note_->setToolTip(tr("Saved with the next decision; Enter returns to the grid"));
    note_->installEventFilter(this);

    buttonBox_ = new QWidget;
    buttonLayout_ = new QGridLayout(buttonBox_);
    buttonLayout_->setContentsMargins(0, 0, 0, 0);
    buttonLayout_->setSpacing(3);
    acceptButton_ = new QPushButton(tr("Accept consensus  (Enter)"));
    acceptButton_->setObjectName(QStringLiteral("acceptButton"));
    acceptButton_->setFocusPolicy(Qt::NoFocus);
    connect(acceptButton_, &QPushButton::clicked, this, &InspectorPanel::acceptConsensus);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(3);
    layout->addWidget(image_, 0, Qt::AlignHCenter);
    layout->addWidget(title_);
    layout->addWidget(consensus_);
    layout->addWidget(quality_);
    layout->addWidget(decision_);
    layout->addWidget(plot_);
    layout->addWidget(trajectoryText_);
    layout->addWidget(votes_, 2);
    layout->addWidget(posteriors_, 2);
    layout->addWidget(note_);
    layout->addWidget(buttonBox_);
    layout->addWidget(acceptButton_);
    setFixedWidth(fixedWidth);

    connect(document_, &ProjectDocument::decisionsChanged, this, &InspectorPanel::onDecisionsChanged);
    connect(document_, &ProjectDocument::loaded, this, [this] {
        rebuildClassButtons();
        setSelection(-1, {});
    });
    connect(document_, &ProjectDocument::aggregationChanged, this, &InspectorPanel::refresh);
    rebuildClassButtons();
    refresh();
}

int InspectorPanel::classForKey(int key) const
{
    int label = -1;
    if (key >= Qt::Key_1 && key <= Qt::Key_9)
        label = key - Qt::Key_1;
    else if (key == Qt::Key_0)
        label = 9;
    else if (key >= Qt::Key_A && key <= Qt::Key_Z)
        label = 10 + (key - Qt::Key_A);
    return label >= 0 && label < document_->dataset().classCount() ? label : -1;
}

QString InspectorPanel::keyForClass(int label)
{
    if (label >= 0 && label < 9)
        return QString::number(label + 1);
    if (label == 9)
        return QStringLiteral("0");
    if (label >= 10 && label < kMaxKeyedClasses)
        return QString(QChar('A' + (label - 10)));
    return {};
}

void InspectorPanel::rebuildClassButtons()
{
    qDeleteAll(classButtons_);
    classButtons_.clear();
    const std::vector<std::string>& names = document_->dataset().classNames;
    const int columns = 3;
    for (int label = 0; label < static_cast<int>(names.size()); ++label) {
        const QString key = keyForClass(label);
        const QString name = QString::fromStdString(names[static_cast<std::size_t>(label)]);
        auto* button = new QPushButton(key.isEmpty() ? name : QStringLiteral("%1  %2").arg(key, name));
        button->setObjectName(QStringLiteral("classButton%1").arg(label));
        button->setFocusPolicy(Qt::NoFocus);
        button->setStyleSheet(QStringLiteral("text-align: left; padding: 2px 3px;"));
        // Three buttons a row in the fixed-width panel: a long name may be cut.
        button->setToolTip(name);
        connect(button, &QPushButton::clicked, this, [this, label] { assignClass(label); });
        buttonLayout_->addWidget(button, label / columns, label % columns);
        classButtons_.push_back(button);
    }
}

void InspectorPanel::setSelection(int current, const QVector<int>& selection)
{
    current_ = current;
    selection_ = selection;
    if (selection_.isEmpty() && current_ >= 0)
        selection_ = {current_};
    // A decision carries the note the curator sees, so the item's note is kept unless edited.
    const ReviewState& review = document_->reviewState();
    note_->setText(selection_.size() == 1 && current_ >= 0 && current_ < review.itemCount()
                       ? QString::fromStdString(review.noteOf(current_))
                       : QString());
    refresh();
}

void InspectorPanel::onDecisionsChanged(const QVector<int>& items)
{
    if (current_ >= 0 && items.contains(current_))
        refresh();
}

void InspectorPanel::refresh()
{
    const Dataset& dataset = document_->dataset();
    const AggregationResult* run = document_->aggregation();
    const bool enabled = !selection_.isEmpty() && run && !document_->isReadOnly();
    for (QPushButton* button : classButtons_)
        button->setEnabled(enabled);
    acceptButton_->setEnabled(enabled);
    votes_->clear();
    posteriors_->clear();
    refreshTrajectory();
    if (current_ < 0 || current_ >= dataset.itemCount()) {
        image_->setPixmap({});
        image_->setText(tr("No image selected"));
        title_->clear();
        consensus_->clear();
        decision_->clear();
        quality_->clear();
        return;
    }
    const int item = current_;
    const auto className = [&dataset](int label) {
        return label >= 0 && label < dataset.classCount()
                   ? QString::fromStdString(dataset.classNames[static_cast<std::size_t>(label)])
                   : tr("none");
    };

    const std::string& relative = dataset.imagePaths[static_cast<std::size_t>(item)];
    if (relative.empty()) {
        image_->setPixmap({});
        image_->setText(tr("No image"));
    } else {
        const std::string path = QFileInfo(QString::fromStdString(relative)).isAbsolute()
                                     ? relative
                                     : dataset.root + "/" + relative;
        const std::shared_ptr<Thumbnail> thumbnail = ThumbnailProvider::decode(path, kImageSide);
        if (thumbnail->failed()) {
            image_->setPixmap({});
            image_->setText(QString::fromStdString(thumbnail->error));
        } else {
            const QImage picture = toImage(*thumbnail).scaled(kImageSide, kImageSide, Qt::KeepAspectRatio,
                                                              Qt::SmoothTransformation);
            image_->setPixmap(QPixmap::fromImage(picture));
        }
    }
    QString title = QString::fromStdString(dataset.itemKeys[static_cast<std::size_t>(item)]);
    if (selection_.size() > 1)
        title += tr("  ·  %n items selected", nullptr, static_cast<int>(selection_.size()));
    title_->setText(title);

    const int consensus = run ? run->labels[static_cast<std::size_t>(item)] : -1;
    if (run) {
        const double posterior = consensus >= 0 ? run->posteriors(item, consensus) : std::nan("");
        consensus_->setText(consensus >= 0 ? tr("Consensus (%1): %2, posterior %3")
                                                 .arg(QString::fromStdString(run->strategy), className(consensus))
                                                 .arg(posterior, 0, 'f', 2)
                                           : tr("No consensus: the item has no usable answer"));
    } else {
        consensus_->setText(tr("No aggregation run yet"));
    }
    const ReviewState& review = document_->reviewState();
    switch (review.kindOf(item)) {
    case ReviewKind::Relabel:
        decision_->setText(tr("Relabelled as %1").arg(className(review.decisionOf(item))));
        break;
    case ReviewKind::Accept: {
        // The label the curator saw and accepted, whatever run is active now.
        const Decision* row = review.decisionRow(item);
        const int accepted = review.decidedLabelOf(item);
        QString text = accepted >= 0 ? tr("Consensus accepted · %1").arg(className(accepted)) : tr("Consensus accepted");
        if (row && row->run > 0)
            text += tr(" (run %1)").arg(row->run);
        if (accepted >= 0 && consensus >= 0 && consensus != accepted)
            text += tr("; the active run says %1").arg(className(consensus));
        decision_->setText(text);
        break;
    }
    case ReviewKind::None:
        decision_->setText(tr("Not reviewed"));
        break;
    }
    if (!review.noteOf(item).empty())
        decision_->setText(decision_->text() + tr(" — note: %1").arg(QString::fromStdString(review.noteOf(item))));
    // How well the current label (the curator's, else the consensus) fits the model's
    // out-of-sample probabilities when the run has a model, else the run's posterior: cleanlab's
    // self-confidence and normalized margin, lower = more likely wrong.
    const int current = review.labelOf(item, consensus);
    const bool model = run && run->hasModelProbabilities();
    if (run && current >= 0) {
        const double* row = model ? run->modelProbabilities.row(item).data() : run->posteriors.row(item).data();
        const double confidence =
            labelQualityScore(current, row, run->classCount(), LabelQualityMethod::SelfConfidence);
        const double margin = labelQualityScore(current, row, run->classCount(), LabelQualityMethod::NormalizedMargin);
        quality_->setText((model ? tr("Label quality of %1 under the model: self-confidence %2, normalized margin %3")
                                 : tr("Label quality of %1: self-confidence %2, normalized margin %3"))
                              .arg(className(current))
                              .arg(confidence, 0, 'f', 2)
                              .arg(margin, 0, 'f', 2));
    } else {
        quality_->clear();
    }

    for (const Answers::Entry& entry : dataset.answers.ofItem(item)) {
        auto* row = new QTreeWidgetItem(votes_);
        const QString id = QString::fromStdString(dataset.annotatorIds[static_cast<std::size_t>(entry.other)]);
        row->setText(0, dataset.isMachine(entry.other) ? tr("%1 (machine)").arg(id) : id);
        row->setText(1, (entry.complementary() ? tr("not ") : QString()) + className(entry.label));
        if (run && entry.other < run->annotatorSkill.size())
            row->setText(2, QStringLiteral("%1").arg(run->annotatorSkill(entry.other), 0, 'f', 2));
        if (consensus >= 0 && (entry.complementary() ? entry.label == consensus : entry.label != consensus))
            row->setForeground(1, QColor(0xd0, 0x2f, 0x2f));
    }
    votes_->resizeColumnToContents(0);
    posteriors_->setColumnHidden(2, !model);
    if (run) {
        for (int label = 0; label < run->classCount(); ++label) {
            auto* row = new QTreeWidgetItem(posteriors_);
            const double p = run->posteriors(item, label);
            row->setText(0, className(label));
            row->setText(1, QStringLiteral("%1").arg(p, 0, 'f', 3));
            row->setData(1, FractionRole, p);
            if (model) {
                const double q = run->modelProbabilities(item, label);
                row->setText(2, QStringLiteral("%1").arg(q, 0, 'f', 3));
                row->setData(2, FractionRole, q);
            }
        }
        posteriors_->resizeColumnToContents(0);
    }
}

void InspectorPanel::setTrajectory(InspectorTrajectory trajectory)
{
    trajectory_ = std::move(trajectory);
    refreshTrajectory();
}

void InspectorPanel::refreshTrajectory()
{
    const TrajectoryData* data = trajectory_.data.get();
    const int item = current_;
    const bool shown = data && data->run && data->scores && trajectory_.categories && item >= 0
                       && item < data->scores->itemCount()
                       && static_cast<std::size_t>(item) < trajectory_.categories->size();
    plot_->setVisible(data != nullptr);
    trajectoryText_->setVisible(data != nullptr);
    if (!shown) {
        plot_->clear();
        trajectoryText_->setText(data ? tr("Data Parameters run %1").arg(data->run->run) : QString());
        return;
    }
    const auto i = static_cast<std::size_t>(item);
    const TrajectoryRun& run = *data->run;
    const std::size_t epochs = run.epochs;
    const auto row = [epochs](const std::vector<float>& values, std::size_t r) {
        return r * epochs + epochs <= values.size()
                   ? std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(r * epochs),
                                        values.begin() + static_cast<std::ptrdiff_t>(r * epochs + epochs))
                   : std::vector<float>();
    };
    const Triage category = (*trajectory_.categories)[i];
    const int label = data->scores->labels[i];
    const QString source = trajectory_.triageSource ? QString() : tr(" (the review triages by the crowd)");
    const Dataset& dataset = document_->dataset();
    if (label < 0) {
        plot_->setTrajectory(row(run.sigma, i), {}, {}, {}, data->scores->epochsRead,
                             ThumbnailDelegate::triageColor(category));
        trajectoryText_->setText(tr("Data Parameters run %1: not trained on (no label), so hard%2")
                                     .arg(run.run)
                                     .arg(source));
        return;
    }
    const auto c = static_cast<std::size_t>(label);
    const ClassSigmaQuartiles& q = *data->quartiles;
    plot_->setTrajectory(row(run.sigma, i), row(q.q25, c), row(q.median, c), row(q.q75, c), data->scores->epochsRead,
                         ThumbnailDelegate::triageColor(category));
    const QString className = label < dataset.classCount() ? QString::fromStdString(dataset.classNames[c])
                                                           : QString::number(label);
    const double spread = data->scores->spread[i];
    QString why;
    switch (category) {
    case Triage::Hard:
        why = spread >= trajectory_.rule.hardSpread
                  ? tr("hard (from %1)").arg(trajectory_.rule.hardSpread, 0, 'f', 1)
                  : tr("hard (no crowd consensus)");
        break;
    case Triage::NeedReview:
        why = spread <= trajectory_.rule.easySpread ? tr("need review (the crowd is not sure enough for easy)")
                                                    : tr("need review");
        break;
    case Triage::Easy:
        why = tr("easy (up to %1)").arg(trajectory_.rule.easySpread, 0, 'f', 1);
        break;
    }
    trajectoryText_->setText(tr("Run %1 · trained as %2 · spread %3 class IQRs over the first %n epoch(s): %4%5",
                                nullptr, data->scores->epochsRead)
                                 .arg(run.run)
                                 .arg(className)
                                 .arg(spread, 0, 'f', 1)
                                 .arg(why)
                                 .arg(source));
}

bool InspectorPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == note_ && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent*>(event)->key();
        // A QLineEdit passes Enter on to its parent, where the page would accept the consensus
        // and move on, leaving the keys in the note.
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            Q_EMIT noteCommitted();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

bool InspectorPanel::confirmBulk(const QString& action)
{
    const int count = static_cast<int>(selection_.size());
    if (count <= 1 || !screenful_ || count <= screenful_())
        return true;
    return QMessageBox::question(this, tr("Change %n item(s)?", nullptr, count),
                                 tr("%1: %n item(s), more than the grid shows at once. Go ahead?", nullptr, count)
                                     .arg(action),
                                 QMessageBox::Yes | QMessageBox::No, QMessageBox::No)
           == QMessageBox::Yes;
}

void InspectorPanel::assignClass(int label)
{
    if (selection_.isEmpty() || !document_->aggregation() || label < 0 || label >= document_->dataset().classCount())
        return;
    if (!confirmBulk(tr("Relabel as %1").arg(QString::fromStdString(document_->dataset().classNames[static_cast<std::size_t>(label)]))))
        return;
    document_->relabel(selection_, label, note_->text());
    Q_EMIT decided();
}

void InspectorPanel::acceptConsensus()
{
    if (selection_.isEmpty() || !document_->aggregation())
        return;
    if (!confirmBulk(tr("Accept the consensus")))
        return;
    document_->accept(selection_, note_->text());
    Q_EMIT decided();
}

}  // namespace crowdsift
