#pragma once

// The message of the InputError that `f` throws, or an empty string when it throws none.

#include "util/error.h"

#include <QString>

namespace crowdsift::testing {

template <class F>
QString inputErrorOf(F&& f)
{
    try {
        f();
    } catch (const InputError& error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

}  // namespace crowdsift::testing
