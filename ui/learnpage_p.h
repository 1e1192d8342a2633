#pragma once

// What the files of the Learning tab share (learnpage.cpp: the page and its layout;
// learnform.cpp: the settings form built from trainSettings(); learnparams.cpp: a stored run's
// parameters into the form; learnruns.cpp: the project's train, loop and Data Parameters runs;
// learncharts.cpp: curves, loop chart and iteration table, sigma charts; learnjob.cpp: the
// training, loop and Data Parameters jobs). Not for other parts of the UI.

#include "learn_project/train_settings.h"
#include "project/store.h"

#include <QString>
#include <Qt>

#include <limits>
#include <vector>

class QComboBox;
class QWidget;

namespace crowdsift::learnpage {

inline const char* const kLoopStrategy = "crowdlab-loop";
inline const char* const kDataParamsKind = "data-parameters";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The number stored under `key` of a JSON object, NaN when there is none.
double jsonNumber(const nlohmann::json& object, const char* key);

bool isLoopRun(const RunInfo& run);
bool isDataParamsRun(const RunInfo& run);
// A finished train, loop or Data Parameters run: what the run box lists.
bool isLearnRun(const RunInfo& run);

// Whether the device box asks for the GPU ("auto" does where there is one).
bool wantsCuda(const QComboBox* device);
void setItemEnabled(QComboBox* box, int index, bool enabled, const QString& toolTip);
bool itemEnabled(const QComboBox* box, int index);

// The stored name of a settings combo box's item ("adamw"), beside its data (the enum as int).
constexpr int kSettingNameRole = Qt::UserRole + 1;

// Puts `value`, a value of the field's setting (settingProblem() empty), into a field that
// learnform.cpp built: spin box, check box, line edit or combo box (the item of that name).
void setFieldValue(QWidget* field, const nlohmann::json& value);
// What such a field holds, as its setting stores it.
nlohmann::json fieldValue(const QWidget* field);

// The page's tr() for the helpers that are not its members.
QString pageTr(const char* text);

// Reads the settings of `params` that the form does not show (trainParams()'s momentum,
// weight_decay, schedule, ..., width, hidden, dropout, and dp_momentum) over `settings`' config,
// spec and dataParams, with the limits of trainSettings().
std::vector<DecodedSetting> decodeBehindForm(const nlohmann::json& params, TrainSettings& settings);

}  // namespace crowdsift::learnpage
