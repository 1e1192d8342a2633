#pragma once

// Fixture for the core_layers_violation test: data sits below project and may not include it.

#include "project/store.h"
#include "util/error.h"
