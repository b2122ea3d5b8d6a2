#include "search/evolve_config.h"

#include "core/config_table.h"
#include "core/error.h"

namespace evomem::search {

namespace {

// The keys of `evomem evolve` that search/ reads; the objectives declare their own sections
// (objectives::run_schema() joins them).
const core::ConfigTable<EvolveConfig>& evolve_table() {
  static const core::ConfigTable<EvolveConfig> table = [] {
    using C = EvolveConfig;
    using R = RunSettings;
    using S = StrategySettings;
    using W = WorkerSettings;
    const EvolveConfig d;
    const evo::CmaOptions cma;
    core::ConfigTable<EvolveConfig> t;
    t.integer("run.seed", static_cast<std::int64_t>(d.run.seed), "Seed of the strategy and of every sample draw",
              &C::run, &R::seed)
        .integer("run.generations", d.run.generations, "Generations to run (0: until the strategy stops)", &C::run,
                 &R::generations)
        .number("run.time_limit_minutes", d.run.time_limit_minutes, "Stop after the generation crossing this (0: none)",
                &C::run, &R::time_limit_minutes)
        .string("run.output", d.run.output, "Run file (HDF5), rewritten atomically every generation", &C::run,
                &R::output)
        .integer("run.checkpoint_interval", d.run.checkpoint_interval,
                 "Generations between run-file writes (full covariance at large n: each write is n^2 doubles twice)",
                 &C::run, &R::checkpoint_interval)
        .parsed("strategy.kind", "sep", "Search strategy", evo::strategy_kind_names(), evo::parse_strategy_kind,
                &C::strategy, &S::kind)
        .integer("strategy.population", 0, "Population size (0: 4 + floor(3 ln n))", &C::strategy, &S::cma,
                 &evo::CmaOptions::population_size)
        .number("strategy.sigma", 0.065, "Initial step size", &C::strategy, &S::cma, &evo::CmaOptions::sigma0)
        .boolean("strategy.active", cma.active, "Negative (active) weights for the worse half", &C::strategy, &S::cma,
                 &evo::CmaOptions::active)
        .boolean("strategy.mirrored", cma.mirrored, "Mirrored sampling with pairwise selection", &C::strategy, &S::cma,
                 &evo::CmaOptions::mirrored)
        .parsed("strategy.export", "mean", "Genome recommended for export", {"mean", "best"}, evo::parse_recommendation,
                &C::strategy, &S::cma, &evo::CmaOptions::recommendation)
        .parsed("strategy.decomposition", "auto", "Full covariance factorisation", {"auto", "eigen", "cholesky"},
                evo::parse_decomposition, &C::strategy, &S::cma, &evo::CmaOptions::decomposition)
        .number("strategy.max_failed_fraction", cma.max_failed_fraction,
                "A generation with more failed evaluations than this share is refused", &C::strategy, &S::cma,
                &evo::CmaOptions::max_failed_fraction)
        .integer("strategy.max_restarts", 9, "ipop/bipop: restarts allowed (0: unlimited)", &C::strategy, &S::restart,
                 &evo::RestartOptions::max_restarts)
        .number("executor.item_timeout_seconds", d.executor.item_timeout_seconds,
                "MPI: also send an item to another worker after this long (0: never)", &C::executor,
                &ExecutorOptions::item_timeout_seconds)
        .integer("executor.max_attempts", d.executor.max_attempts, "Dispatches of an item before it counts as failed",
                 &C::executor, &ExecutorOptions::max_attempts)
        .string("worker.device", d.worker.device, "cpu, cuda, cuda:N or auto (cuda:<node-local rank> when present)",
                &C::worker, &W::device)
        .integer("worker.threads", d.worker.threads, "LibTorch, OpenMP and OpenBLAS threads per worker (1..1024)",
                 &C::worker, &W::threads)
        .parsed(
            "objective.kind", d.objective_kind, "What a genome is evaluated on", {"namm", "titans", "function"},
            [](const std::string& kind) { return kind; }, &C::objective_kind);
    return t;
  }();
  return table;
}

}  // namespace

core::ConfigSchema evolve_schema() {
  core::ConfigSchema schema;
  evolve_table().declare(schema);
  return schema;
}

EvolveConfig evolve_config(const core::Config& config) {
  EvolveConfig c;
  c.config = config;
  evolve_table().read(config, c);
  if (c.run.generations < 0) throw ConfigError("run.generations must be >= 0");
  if (c.run.checkpoint_interval < 1) throw ConfigError("run.checkpoint_interval must be >= 1");
  if (c.run.output.empty()) throw ConfigError("run.output must name the run file to write");
  auto& cma = c.strategy.cma;
  cma.seed = c.run.seed;
  if (cma.population_size < 0) throw ConfigError("strategy.population must be >= 0");
  if (!(cma.sigma0 > 0.0)) throw ConfigError("strategy.sigma must be positive");
  validate(c.executor);
  // model::kMaxThreads; search does not use model.
  if (c.worker.threads < 1 || c.worker.threads > 1024) throw ConfigError("worker.threads must be 1..1024");
  return c;
}

}  // namespace evomem::search
