// The run configuration of `evomem evolve --config` (objectives/objective_factory.h): TOML
// parsed, validated against the run schema and read, with the objective's own settings; a
// configuration that passes must survive the round trip through to_toml() that carries it
// into run files and to the MPI workers.

#include "fuzz/fuzz_support.h"
#include "objectives/objective_factory.h"
#include "objectives/titans_objective.h"

namespace {

void read_objective(const evomem::search::EvolveConfig& config) {
  if (config.objective_kind == "namm") evomem::objectives::namm_objective_settings(config);
  if (config.objective_kind == "titans") evomem::objectives::titans_objective_settings(config);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = evomem::fuzz::input_text(data, size);
  evomem::search::EvolveConfig config;
  try {
    config = evomem::objectives::parse_run_config(text, "fuzz.toml");
  } catch (const evomem::InputError&) {
    return 0;
  }
  evomem::fuzz::expect_input_errors([&] { read_objective(config); });
  const std::string written = config.config.to_toml();
  const auto again = evomem::objectives::parse_run_config(written, "fuzz.toml written again");
  if (again.config.to_toml() != written) throw evomem::InternalError("to_toml() is not stable:\n" + written);
  return 0;
}
