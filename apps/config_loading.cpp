#include "apps/config_loading.h"

#include "core/error.h"

namespace evomem::apps {

core::Config load_config(const GlobalOptions& globals, const core::ConfigSchema& schema, bool required_file) {
  if (required_file && globals.config_path.empty()) {
    throw InputError("this command needs a configuration: pass --config FILE.toml");
  }
  core::Config config = globals.config_path.empty() ? core::Config() : core::Config::load(globals.config_path);
  for (const auto& assignment : globals.overrides) config.set(assignment);
  config.validate(schema);
  return config;
}

}  // namespace evomem::apps
