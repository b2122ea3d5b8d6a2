// `evomem evolve`: evolve a NAMM (or a test function) with CMA-ES.

#include <memory>

#include "apps/commands/commands.h"
#include "apps/evolve_run.h"

namespace evomem::apps {

void add_evolve_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<EvolveOptions>();
  const GlobalOptions& globals = registry.globals();
  auto& evolve = registry.add(parent, "evolve",
                              "Evolve a NAMM (or a test function) with CMA-ES; under mpirun rank 0 coordinates the "
                              "other ranks",
                              [options, &globals] { return run_evolve(globals, *options); });
  add_evolve_options(evolve, *options);
}

}  // namespace evomem::apps
