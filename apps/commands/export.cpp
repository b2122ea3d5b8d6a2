// `evomem export`: the NAMM weights of a run (safetensors or HDF5), or a Titans run's gates.

#include <cstdio>
#include <filesystem>
#include <memory>

#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/provenance.h"
#include "memory/namm_file.h"
#include "objectives/namm_objective.h"
#include "objectives/objective_factory.h"
#include "objectives/titans_params.h"
#include "search/evolve_config.h"
#include "search/run_file.h"

namespace evomem::apps {
namespace {

struct ExportOptions {
  std::string run;
  std::string which = "mean";
  std::string out;
};

// The extension decides the format; anything else would be written as safetensors under a
// misleading name.
void check_output_extension(const std::string& out, bool titans) {
  const std::string extension = std::filesystem::path(out).extension().string();
  const bool namm_format = extension == ".safetensors" || extension == ".h5" || extension == ".hdf5";
  if (titans ? extension != ".safetensors" : !namm_format) {
    throw InputError("--out " + out + ": write " +
                     (titans ? std::string("a .safetensors file (Titans gates)")
                             : std::string("a .safetensors file, or .h5 / .hdf5 for HDF5")) +
                     ", not '" + extension + "'");
  }
}

int run_export(const ExportOptions& options) {
  std::filesystem::path used;
  const auto run = search::load_run_or_previous(options.run, &used);
  const auto config = objectives::parse_run_config(run.config_text, used.string() + ":/config");
  const auto& genome = options.which == "best" ? run.best_genome : run.mean_genome;
  check_output_extension(options.out, config.objective_kind == "titans");
  core::check_output_file(options.out, "--out");
  if (config.objective_kind == "titans") {
    objectives::save_titans_params(options.out, run.config_text, genome);
    std::printf("exported the %s Titans gates after %zu generations (%lld values) -> %s\n", options.which.c_str(),
                run.history.size(), static_cast<long long>(genome.size()), options.out.c_str());
    return 0;
  }
  if (config.objective_kind != "namm") {
    throw InputError(used.string() + ": a '" + config.objective_kind + "' run has no weights to export");
  }
  auto weights = objectives::namm_weights_from_state(objectives::namm_objective_settings(config), run.objective,
                                                     genome);
  weights.provenance = core::current_provenance();
  weights.provenance["source_run"] = std::filesystem::absolute(used).lexically_normal().string();
  weights.provenance["source_generation"] = std::to_string(run.history.size());
  weights.provenance["which"] = options.which;
  for (const char* key : {"backbone", "backbone_checksum"}) {
    const auto recorded = run.provenance.find(key);
    if (recorded != run.provenance.end()) weights.provenance[key] = recorded->second;
  }
  memory::save_namm(options.out, weights);
  std::printf("exported the %s genome after %zu generations (%zu values) -> %s\n", options.which.c_str(),
              run.history.size(), weights.genome.values.size(), options.out.c_str());
  return 0;
}

}  // namespace

void add_export_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<ExportOptions>();
  auto& export_command = registry.add(
      parent, "export",
      "Write the NAMM weights of a run (namm.safetensors or .h5), or a Titans run's gates (titans.safetensors)",
      [options] { return run_export(*options); });
  export_command.add_option("--run", options->run, "Run file")->required();
  export_command.add_option("--which", options->which, "mean (default, as published) or best")
      ->check(CLI::IsMember({"mean", "best"}))
      ->capture_default_str();
  export_command.add_option("--out", options->out, "Output file (.safetensors, or .h5 for HDF5)")->required();
}

}  // namespace evomem::apps
