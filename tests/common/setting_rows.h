#pragma once

// Data-driven tests over the training settings: one row per setting of trainSettings(), named
// by its key; the test reads it back with settingOfRow().

#include "learn_project/train_settings.h"

#include <QString>
#include <QTest>

namespace crowdsift::testing {

inline void addSettingRows()
{
    QTest::addColumn<QString>("key");
    for (const SettingInfo& setting : trainSettings())
        QTest::newRow(setting.key) << QString::fromLatin1(setting.key);
}

inline const SettingInfo& settingOfRow()
{
    QFETCH(QString, key);
    return trainSetting(key.toStdString());
}

}  // namespace crowdsift::testing
