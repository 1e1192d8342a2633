#pragma once

// Fixture for the core_layers_violation test: core logs nothing, so no module includes spdlog.

#include <spdlog/spdlog.h>
