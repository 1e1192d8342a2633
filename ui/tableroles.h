#pragma once

#include <Qt>

namespace crowdsift {

// Item data roles shared by the UI's table models.
enum TableRole {
    // A value that sorts correctly where the display text would not (numbers, natural id order).
    SortRole = Qt::UserRole + 1,
    // A fraction in [0, 1] that ShareBarDelegate draws as a bar.
    FractionRole,
};

}  // namespace crowdsift
