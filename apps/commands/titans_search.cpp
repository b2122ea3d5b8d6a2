// `evomem titans search`: search a Titans memory's gates with CMA-ES; an `evolve` run that must
// have objective.kind = "titans".

#include <memory>

#include "apps/commands/commands.h"
#include "apps/evolve_run.h"

namespace evomem::apps {

void add_titans_search_command(CommandRegistry& registry, CLI::App& parent) {
  const GlobalOptions& globals = registry.globals();
  auto options = std::make_shared<EvolveOptions>();
  options->required_kind = "titans";
  auto& search = registry.add(parent, "search",
                              "Search a Titans memory's gates (objective.kind = \"titans\") with CMA-ES, like `evomem "
                              "evolve`: run files, resume, mpirun",
                              [options, &globals] { return run_evolve(globals, *options); });
  add_evolve_options(search, *options);
}

}  // namespace evomem::apps
