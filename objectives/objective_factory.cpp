#include "objectives/objective_factory.h"

#include <algorithm>

#include "core/config_table.h"
#include "core/error.h"
#include "core/text.h"
#include "evo/test_functions.h"
#include "objectives/function_objectives.h"
#include "objectives/titans_objective.h"

namespace evomem::objectives {
namespace {

// objective.kind = "function": a built-in test function (tests and smoke runs).
struct FunctionSettings {
  std::string name;
  std::int64_t dimension = 0;
  double x0 = 0.0;
  double seconds_per_evaluation = 0.0;
};

const core::ConfigTable<FunctionSettings>& function_table() {
  static const core::ConfigTable<FunctionSettings> table = [] {
    using F = FunctionSettings;
    core::ConfigTable<FunctionSettings> t;
    t.string("objective.function.name", "sphere", "Test function (see `evomem optimize --help`)", &F::name)
        .integer("objective.function.dimension", 10, "Dimension", &F::dimension)
        .number("objective.function.x0", 1.0, "Initial mean in every coordinate", &F::x0)
        .number("objective.function.seconds_per_evaluation", 0.0,
                "Sleep this long per evaluation (stands in for an expensive objective)", &F::seconds_per_evaluation);
    return t;
  }();
  return table;
}

// Fault injection on the workers (testing a deployment's retry and timeout settings).
const core::ConfigTable<FaultOptions>& fault_table() {
  static const core::ConfigTable<FaultOptions> table = [] {
    core::ConfigTable<FaultOptions> t;
    t.number("faults.throw_probability", 0.0, "Share of evaluations that throw", &FaultOptions::p_throw)
        .number("faults.hang_probability", 0.0, "Share of evaluations that first stall for faults.hang_seconds",
                &FaultOptions::p_hang)
        .number("faults.hang_seconds", 0.0, "How long a stalled evaluation stalls", &FaultOptions::hang_seconds);
    return t;
  }();
  return table;
}

std::unique_ptr<search::Objective> make_plain_objective(const search::EvolveConfig& config, ObjectiveRole role,
                                                        const std::string& device) {
  if (config.objective_kind == "function") {
    FunctionSettings function;
    function_table().read(config.config, function);
    if (function.dimension < 1) throw ConfigError("objective.function.dimension must be positive");
    const auto names = evo::test_function_names();
    if (std::find(names.begin(), names.end(), function.name) == names.end()) {
      throw ConfigError("objective.function.name: unknown test function '" + function.name +
                        "'; use one of: " + core::join(names));
    }
    return std::make_unique<FunctionObjective>(function.name, function.dimension, function.x0,
                                               function.seconds_per_evaluation);
  }
  if (config.objective_kind == "namm") {
    return std::make_unique<NammObjective>(namm_objective_settings(config), role, device);
  }
  if (config.objective_kind == "titans") {
    return std::make_unique<TitansObjective>(titans_objective_settings(config), role);
  }
  throw ConfigError("objective.kind: unknown objective '" + config.objective_kind + "'; use namm, titans or function");
}

}  // namespace

core::ConfigSchema run_schema() {
  core::ConfigSchema schema = search::evolve_schema();
  function_table().declare(schema);
  fault_table().declare(schema);
  add_namm_keys(schema);
  add_titans_keys(schema);
  return schema;
}

search::EvolveConfig parse_run_config(const std::string& text, const std::string& source) {
  auto config = core::Config::parse(text, source);
  config.validate(run_schema());
  return search::evolve_config(config);
}

std::unique_ptr<search::Objective> make_objective(const search::EvolveConfig& config, ObjectiveRole role,
                                                  const std::string& device, int rank) {
  auto objective = make_plain_objective(config, role, device);
  FaultOptions faults;
  fault_table().read(config.config, faults);
  faults.seed = config.run.seed;
  validate(faults);  // on the coordinator too, which never wraps its objective
  if (role == ObjectiveRole::kCoordinator || (faults.p_throw == 0.0 && faults.p_hang == 0.0)) return objective;
  return std::make_unique<FaultInjectingObjective>(std::move(objective), faults, rank);
}

}  // namespace evomem::objectives
