#pragma once
// The configuration of `evomem evolve` (docs/cluster.md): run, strategy, executor and
// objective sections. The effective configuration text is stored in every run file, so a
// resumed run and every MPI worker rebuild exactly the same strategy and objective.

#include <cstdint>
#include <string>

#include "core/config.h"
#include "evo/cmaes.h"
#include "evo/strategy_factory.h"
#include "search/executor.h"

namespace evomem::search {

struct RunSettings {
  std::uint64_t seed = 1;
  std::int64_t generations = 20;         // stop after this many generations (0: strategy's own criteria)
  double time_limit_minutes = 0.0;       // stop after the generation that crosses it (0: none)
  std::string output = "run.h5";         // the run file, rewritten atomically
  std::int64_t checkpoint_interval = 1;  // generations between run-file writes (and at the end)
};

struct StrategySettings {
  evo::StrategyKind kind = evo::StrategyKind::kSep;
  evo::CmaOptions cma;  // dimension and initial mean come from the objective
  evo::RestartOptions restart;
};

struct WorkerSettings {
  std::string device = "auto";  // cpu, cuda, cuda:N or auto (see cluster/device_choice.h)
  std::int64_t threads = 1;     // LibTorch, OpenMP and OpenBLAS threads per worker process
};

struct EvolveConfig {
  RunSettings run;
  StrategySettings strategy;
  ExecutorOptions executor;
  WorkerSettings worker;
  std::string objective_kind = "namm";  // namm | function | sleep
  core::Config config;                  // the validated configuration (objective sections included)
};

// The keys of `evomem evolve` that search/ reads (run, strategy, executor, worker,
// objective.kind), with defaults. The objectives add their sections to it
// (objectives::run_schema()).
core::ConfigSchema evolve_schema();
// Typed settings from a configuration validated against a schema holding evolve_schema()'s
// keys; ConfigError naming the key for values out of range.
EvolveConfig evolve_config(const core::Config& config);

}  // namespace evomem::search
