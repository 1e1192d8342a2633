#pragma once

// Widgets the project's dialogs (new project, export, report) build alike.

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QString>

namespace crowdsift {

// A dialog's error line: red, word-wrapped, selectable (to copy the message), hidden until shown.
inline QLabel* makeErrorLabel(const QString& objectName)
{
    auto* label = new QLabel;
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setStyleSheet(QStringLiteral("color: #c0392b"));
    label->hide();
    return label;
}

// `edit` stretched, with a "Browse…" button beside it (returned through `button`).
inline QHBoxLayout* makeBrowseRow(QLineEdit* edit, QPushButton*& button)
{
    button = new QPushButton(QObject::tr("Browse…"));
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(button);
    return row;
}

}  // namespace crowdsift
