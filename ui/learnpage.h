#pragma once

#include "learn/crowdlab_loop.h"
#include "learn_project/learn_runs.h"

#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableWidget;

namespace crowdsift {

class ClassSigmaChart;
class InstanceSigmaChart;
class JobManager;
class LoopChart;
class ProjectDocument;
class RunJob;
class TrainingCurveChart;
enum class JobStatus;

// The "Learning" tab. Left: the model and training settings (defaults from
// defaultTrainConfig() per model and device), the aggregation run whose labels a training run
// learns, the loop's iteration limit, the Data Parameters settings, and "Train
// (cross-validated)" / "Run CROWDLAB loop" / "Train with Data Parameters" / "Learn from crowds"
// (CrowdLayer or CoNAL on the raw votes, stored as a "train" run), which run as JobManager jobs
// (progress, ETA, cancel here or in the Jobs panel). A finished training run is
// stored as a "train" run; a finished loop is stored as a "crowdlab-loop" aggregation run and
// announced (active at once only when the project has none), so Review can show its consensus;
// a Data Parameters training is stored as a "data-parameters" run, which has no consensus and is
// only listed. Right: the training curve of one fold (live while a job runs), the loop's accuracy
// per iteration against majority vote and Dawid-Skene with its iteration table, or for Data
// Parameters the item sigmas' quantiles and each class's sigma per epoch. The "Run" box shows a
// stored train, loop or Data Parameters run again from its outputs and summary; "Use these
// settings" beside it puts that run's settings back into the form (never on selection alone, so
// that browsing old runs keeps what the user typed).
//
// Training needs a project (.csift): the image cache lives in its cache folder and the results
// are stored as its runs.
//
// The fields of the form are built from trainSettings() (learn_project/train_settings.h). The
// class is defined across files, one per responsibility: learnpage.cpp (layout, buttons),
// learnform.cpp (the settings fields, the model's defaults, what the form asks for),
// learnparams.cpp (a stored run's parameters into the form), learnruns.cpp (the project's runs),
// learncharts.cpp (curves, loop chart, iteration table) and learnjob.cpp (the jobs).
class LearnPage : public QWidget {
    Q_OBJECT
public:
    enum IterationColumn { IterationColumn, ChangedColumn, NewlyChangedColumn, ConsensusAccuracyColumn,
                           ModelAccuracyColumn, ModelWeightColumn, SecondsColumn, HeldOutColumn,
                           IterationColumnCount };

    LearnPage(ProjectDocument* document, JobManager* jobs, QWidget* parent = nullptr);

    QComboBox* modelBox() const { return model_; }
    QLineEdit* backboneEdit() const { return backbone_; }
    QPushButton* backboneButton() const { return browseBackbone_; }
    QSpinBox* epochsBox() const { return epochs_; }
    QDoubleSpinBox* learningRateBox() const { return learningRate_; }
    QSpinBox* batchSizeBox() const { return batchSize_; }
    QSpinBox* foldsBox() const { return folds_; }
    QComboBox* optimizerBox() const { return optimizer_; }
    QDoubleSpinBox* labelSmoothingBox() const { return labelSmoothing_; }
    QCheckBox* softTargetsBox() const { return softTargets_; }
    QComboBox* deviceBox() const { return device_; }
    QSpinBox* imageSizeBox() const { return imageSize_; }
    QComboBox* inputBox() const { return inputKind_; }
    QComboBox* labelsBox() const { return labels_; }
    QSpinBox* loopIterationsBox() const { return loopIterations_; }
    // The CROWDLAB loop's start: data 0 = majority vote, else a run id (an aggregation run, or a
    // training run such as learn-from-crowds whose probabilities give iteration 1). Majority vote
    // by default.
    QComboBox* loopStartBox() const { return loopStart_; }
    QPushButton* trainButton() const { return trainButton_; }
    QPushButton* loopButton() const { return loopButton_; }
    QPushButton* dataParamsButton() const { return dataParamsButton_; }
    // "Learn from crowds": the strategy (data "crowdlayer[mw]", "crowdlayer[vw]", "crowdlayer[vb]",
    // "conal"), CoNAL's regulariser scale, and the button.
    QComboBox* crowdStrategyBox() const { return crowdStrategy_; }
    QLineEdit* crowdScaleEdit() const { return crowdScale_; }
    QPushButton* crowdButton() const { return crowdButton_; }
    // "Complementary labels" (train --complementary): the loss (data: its name, "scl-nl"...), the
    // transition (data "uniform", "anchors", "truth"), and the button.
    QComboBox* complementaryLossBox() const { return complementaryLoss_; }
    QComboBox* complementaryTransitionBox() const { return complementaryTransition_; }
    QPushButton* complementaryButton() const { return complementaryButton_; }
    QPushButton* cancelButton() const { return cancelButton_; }
    QLabel* statusLabel() const { return status_; }
    QComboBox* runBox() const { return runBox_; }
    QPushButton* useRunSettingsButton() const { return useRunSettings_; }
    QComboBox* foldBox() const { return foldBox_; }
    TrainingCurveChart* curveChart() const { return curveChart_; }
    LoopChart* loopChart() const { return loopChart_; }
    QTableWidget* iterationTable() const { return iterationTable_; }
    InstanceSigmaChart* instanceSigmaChart() const { return instanceSigmaChart_; }
    ClassSigmaChart* classSigmaChart() const { return classSigmaChart_; }
    // Whether the Data Parameters charts stand where the loop chart and the iteration table do.
    bool showsDataParams() const;
    // The class sigma chart is shown: a Data Parameters run of the class level (hidden for one
    // of the item level only).
    bool showsClassSigmas() const;
    // The form's field of setting `key` of trainSettings() (a spin box, check box, line edit or
    // combo box), nullptr for a setting the form does not show.
    QWidget* settingField(const std::string& key) const;

    // What the form asks for.
    ModelSpec modelSpec() const;
    TrainConfig trainConfig() const;
    LoopConfig loopConfig() const;
    LearnInputOptions inputOptions() const;
    // The Data Parameters of the form's box, over those kept behind it (the momentum).
    DataParamsConfig dataParamsConfig() const;
    // Puts defaultTrainConfig() of the chosen model and device into the form, and drops the
    // settings behind it that useRunSettings() took.
    void applyDefaults();

    // Start a job from the form; return its id, 0 when none started (the status line says why).
    int startTraining();
    int startLoop();
    // One model with Data Parameters on the chosen labels, stored as a "data-parameters" run.
    int startDataParams();
    // One classifier end to end on every annotator's raw votes (learn-from-crowds: CrowdLayer or
    // CoNAL, the form's model, training settings and folds), stored as a "train" run named
    // "<strategy> <model>" with the learned annotator confusions (and CoNAL's common confusion).
    int startLearnFromCrowds();
    // The strategy the crowd box asks for, as parseCrowdStrategy() reads it ("conal[scale=1e-05]");
    // InputError for a scale that is not a positive number.
    std::string crowdStrategyText() const;
    // One classifier on every answered item from its complementary ("not k") and ordinary answers
    // with the chosen complementary-label loss and transition (`train --complementary`: the
    // form's model and training settings, no folds), stored as a "train" run named after the loss
    // with its transition matrices (learn_project/complementary_runs.h).
    int startComplementary();
    void cancelJob();
    // The job started from this page, 0 when none runs.
    int currentJob() const;

    // Re-reads the project's runs into the label and run boxes.
    void refreshRuns();
    // Shows a stored "train", "crowdlab-loop" or "data-parameters" run: its training curves
    // (history output) and its iteration table and chart (summary), or its sigma charts (summary
    // per_epoch, sigma_class output). False, showing nothing new, for any other run.
    bool showRun(std::int64_t run);
    // The run shown, 0 for a live job or nothing.
    std::int64_t shownRun() const { return shownRun_; }
    // Puts the parameters stored with train, loop or Data Parameters run `run` (trainParams()'s
    // keys plus folds, soft, labels, max_iterations, the Data Parameters and a learn-from-crowds run's
    // strategy) into the form, so that modelSpec(), trainConfig(),
    // loopConfig() and inputOptions() give that run's settings again. Settings the form does not
    // show (weight decay, seed, hidden widths, ...) are kept behind it until another model is
    // chosen; the status line lists those that differ from the model's defaults. A setting the
    // run lacks keeps the form's value; one the form cannot take (unknown name, out of the
    // field's range, a labels run no longer in the project) keeps it too, with one status line
    // naming the field and the stored value. False, changing nothing, for any other run or
    // while a job of this page runs.
    bool useRunSettings(std::int64_t run);

Q_SIGNALS:
    // A job of this page stored run `run` in the project.
    void runStored(std::int64_t run);

private:
    struct JobSetup;
    enum class JobKind { Train, Loop, DataParams, Crowd, Complementary };

    // The settings fields (learnform.cpp) in their group box; loopIterations_ is laid out by the caller.
    QGroupBox* createSettingsForm();
    // The Data Parameters fields (learnform.cpp) and dataParamsButton_ in their group box.
    QGroupBox* createDataParamsBox();
    // The learn-from-crowds fields and crowdButton_ in their group box.
    QGroupBox* createCrowdBox();
    // The complementary-label fields and complementaryButton_ in their group box.
    QGroupBox* createComplementaryBox();
    // Greys out the fields of a level that is off.
    void updateDataParamsFields();
    // The training curve, the loop chart and the iteration table (learncharts.cpp) in splitters,
    // the Data Parameters charts stacked behind the last two.
    QWidget* createCharts();
    // The sigma charts in place of the loop chart and the iteration table, or back.
    // `classSigmas`: the Data Parameters run has (or will have) class sigmas to chart.
    void showDataParamsCharts(bool show, bool classSigmas = true);
    // The dataset's class names, for the class sigma chart's legend.
    QStringList classNames() const;

    void onDocumentLoaded();
    void onModelChanged();
    // defaults_ and specDefaults_ for the chosen model and device, under takenSettings_; with
    // fillForm also the fields the form shows.
    void updateDefaults(bool fillForm);
    void onRunBoxChanged();
    // The stored train, loop or Data Parameters run `run` of the open project; nothing for
    // another run, an unknown id or without a project.
    std::optional<RunInfo> storedLearnRun(std::int64_t run) const;
    // Selects the aggregation run a stored train run (`run`) learned, params "labels"; the
    // status line for a labels source the box does not hold, empty when selected.
    QString takeLabelsRun(std::int64_t run, const nlohmann::json& labels);
    void onFoldBoxChanged();
    void onJobFinished(JobStatus status);
    void chooseBackbone();
    void updateButtons();
    void updateInputFields();
    // Shared part of startTraining / startLoop: checks the form and copies what the worker needs.
    bool prepareJob(JobSetup& setup);
    int launch(const QString& title, JobKind kind, JobSetup setup);

    void beginLive(JobKind kind, int expectedEpochs, int expectedIterations, double majorityVote, double dawidSkene);
    void onLiveEpoch(int fold, const EpochRecord& record);
    void onLiveIteration(const LoopIteration& iteration);
    void showFold(int fold);
    void setFoldItems(int count);
    void clearIterations(bool truthKnown, int expectedIterations);
    void appendIterationRow(const LoopIteration& iteration);
    // Bold row of the kept iteration (from 1; 0 = none, e.g. a loop stored before it kept one).
    void markKeptIteration(int iteration);
    double dawidSkeneAccuracy() const;
    QString curveTitle(int fold) const;

    ProjectDocument* document_;
    JobManager* jobs_;

    QComboBox* model_ = nullptr;
    QComboBox* inputKind_ = nullptr;
    QLineEdit* backbone_ = nullptr;
    QPushButton* browseBackbone_ = nullptr;
    QSpinBox* epochs_ = nullptr;
    QDoubleSpinBox* learningRate_ = nullptr;
    QSpinBox* batchSize_ = nullptr;
    QSpinBox* folds_ = nullptr;
    QComboBox* optimizer_ = nullptr;
    QDoubleSpinBox* labelSmoothing_ = nullptr;
    QCheckBox* softTargets_ = nullptr;
    QComboBox* device_ = nullptr;
    QSpinBox* imageSize_ = nullptr;
    QComboBox* labels_ = nullptr;
    QSpinBox* loopIterations_ = nullptr;
    QComboBox* loopStart_ = nullptr;
    QPushButton* trainButton_ = nullptr;
    QPushButton* loopButton_ = nullptr;
    QPushButton* dataParamsButton_ = nullptr;
    QComboBox* crowdStrategy_ = nullptr;
    QLineEdit* crowdScale_ = nullptr;
    QPushButton* crowdButton_ = nullptr;
    QComboBox* complementaryLoss_ = nullptr;
    QComboBox* complementaryTransition_ = nullptr;
    QPushButton* complementaryButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QComboBox* runBox_ = nullptr;
    QPushButton* useRunSettings_ = nullptr;
    QComboBox* foldBox_ = nullptr;
    TrainingCurveChart* curveChart_ = nullptr;
    LoopChart* loopChart_ = nullptr;
    QTableWidget* iterationTable_ = nullptr;
    InstanceSigmaChart* instanceSigmaChart_ = nullptr;
    ClassSigmaChart* classSigmaChart_ = nullptr;
    QStackedWidget* sideCharts_ = nullptr;   // loop chart | item sigma chart
    QStackedWidget* lowerCharts_ = nullptr;  // iteration table | class sigma chart
    QSplitter* resultsSplitter_ = nullptr;
    std::map<std::string, QWidget*> fields_;  // settingField()

    // The settings the form does not show: the chosen model's defaults, under the ones taken
    // from a stored run (takenSettings_, that run's parameters; null when none).
    TrainConfig defaults_;
    ModelSpec specDefaults_;
    DataParamsConfig dataParamsDefaults_;
    nlohmann::json takenSettings_;
    RunJob* job_ = nullptr;  // the job started from this page
    JobKind currentKind_ = JobKind::Train;
    int liveTicket_ = 0;   // counts live charts; reports that arrive after the charts moved on are dropped
    std::int64_t shownRun_ = 0;
    std::int64_t labelsActive_ = -1;  // the active run when the labels box was last filled
    // What the charts show: per fold, the epochs of the current iteration (live) or of the run.
    std::vector<std::vector<EpochRecord>> foldHistory_;
    int expectedEpochs_ = 0;  // > 0 while live: the epoch axis is fixed to it
    int expectedFolds_ = 0;
    int liveIteration_ = 0;        // loop: the iteration whose folds are training
    bool iterationEnded_ = false;  // loop: the next epoch starts a new iteration
    QString shownTitle_;           // "Run 12" or "Training" / "CROWDLAB loop" / "Data Parameters"
};

}  // namespace crowdsift
