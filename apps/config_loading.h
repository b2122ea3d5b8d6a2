#pragma once
// Builds a command's effective configuration from --config and --set.

#include "apps/command_registry.h"
#include "core/config.h"

namespace evomem::apps {

// Loads the --config file (or starts empty), applies every --set in order, validates against
// `schema` (unknown keys rejected, defaults filled). `required_file` makes --config mandatory.
core::Config load_config(const GlobalOptions& globals, const core::ConfigSchema& schema, bool required_file = false);

}  // namespace evomem::apps
