#include "cluster/evolve_config.h"

#include "core/error.h"

namespace evomem::cluster {

core::ConfigSchema evolve_schema() {
  const EvolveConfig d;
  const evo::CmaOptions cma;
  core::ConfigSchema schema;
  schema.integer("run.seed", static_cast<std::int64_t>(d.run.seed), "Seed of the strategy and of every sample draw")
      .integer("run.generations", d.run.generations, "Generations to run (0: until the strategy stops)")
      .number("run.time_limit_minutes", d.run.time_limit_minutes, "Stop after the generation crossing this (0: none)")
      .string("run.output", d.run.output, "Run file (HDF5), rewritten atomically every generation")
      .integer("run.checkpoint_interval", d.run.checkpoint_interval,
               "Generations between run-file writes (full covariance at large n: each write is n^2 doubles twice)")
      .string("strategy.kind", "sep", "Search strategy", evo::strategy_kind_names())
      .integer("strategy.population", 0, "Population size (0: 4 + floor(3 ln n))")
      .number("strategy.sigma", 0.065, "Initial step size")
      .boolean("strategy.active", cma.active, "Negative (active) weights for the worse half")
      .boolean("strategy.mirrored", cma.mirrored, "Mirrored sampling with pairwise selection")
      .string("strategy.export", "mean", "Genome recommended for export", {"mean", "best"})
      .string("strategy.decomposition", "auto", "Full covariance factorisation", {"auto", "eigen", "cholesky"})
      .number("strategy.max_failed_fraction", cma.max_failed_fraction,
              "A generation with more failed evaluations than this share is refused")
      .integer("strategy.max_restarts", 9, "ipop/bipop: restarts allowed (0: unlimited)")
      .number("executor.item_timeout_seconds", d.executor.item_timeout_seconds,
              "MPI: also send an item to another worker after this long (0: never)")
      .integer("executor.max_attempts", d.executor.max_attempts, "Dispatches of an item before it counts as failed")
      .string("worker.device", d.worker.device, "cpu, cuda, cuda:N or auto (cuda:<node-local rank> when present)")
      .integer("worker.threads", d.worker.threads, "LibTorch threads per worker")
      .string("objective.kind", d.objective_kind, "What a genome is evaluated on", {"namm", "titans", "function"})
      // kind = "function": a built-in test function (tests and smoke runs).
      .string("objective.function.name", "sphere", "Test function (see `evomem optimize --help`)")
      .integer("objective.function.dimension", 10, "Dimension")
      .number("objective.function.x0", 1.0, "Initial mean in every coordinate")
      .number("objective.function.seconds_per_evaluation", 0.0, "Sleep this long per evaluation (stands in for an expensive objective)")
      // Fault injection on the workers (testing a deployment's retry and timeout settings).
      .number("faults.throw_probability", 0.0, "Share of evaluations that throw")
      .number("faults.hang_probability", 0.0, "Share of evaluations that first stall for faults.hang_seconds")
      .number("faults.hang_seconds", 0.0, "How long a stalled evaluation stalls")
      // kind = "namm": a NAMM on a backbone and tasks (cluster/namm_objective.h).
      .string("objective.namm.backbone", "models/evomem-tiny", "Backbone checkpoint folder")
      .string("objective.namm.policy", "namm", "NAMM policy spec (selection and update interval, see docs/memory.md)")
      .string("objective.namm.tasks_file", "", "Extra task definitions (TOML) for non-built-in tasks read from files")
      .integer("objective.namm.samples_per_task", 4, "Samples per task per generation (the same for every member)")
      .integer("objective.namm.batch_size", 2, "Samples per work item")
      .boolean("objective.namm.normalize", true, "Divide a task's score by the full-cache score of the same samples")
      .number("objective.namm.retention_penalty", 0.0, "Fitness minus this times the mean retained cache fraction")
      .integer("objective.namm.heldout_interval", 5, "Evaluate the mean genome on held-out samples every N generations (0: never)")
      .integer("objective.namm.heldout_samples", 8, "Held-out samples per task")
      .integer("objective.namm.chunk_size", 256, "Prefill chunk (tokens)")
      .integer("objective.namm.context_window", 32768, "Prompts longer than this minus max_new_tokens keep their first and last halves")
      .number("objective.namm.tasks.*.weight", 1.0, "Weight of the task in the fitness")
      .string("objective.namm.tasks.*.file", "", "LongBench/InfiniteBench JSONL (empty: a synthetic task, generated)")
      .integer("objective.namm.tasks.*.length", 2048, "Synthetic: prompt tokens per sample")
      .integer("objective.namm.tasks.*.pool", 64, "Samples to draw training samples from")
      .integer("objective.namm.tasks.*.from_generation", 0, "Incremental stages: first generation using the task")
      // kind = "titans": the gates of a Titans memory (cluster/titans_objective.h, docs/titans.md).
      .string("objective.titans.backbone", "models/evomem-tiny", "Checkpoint folder whose token embeddings are the features")
      .string("objective.titans.gates", "constant", "constant (alpha, eta, theta) or data_dependent", {"constant", "data_dependent"})
      .number("objective.titans.theta_max", 1.0, "Data-dependent gates: theta_t = theta_max * sigmoid(...)")
      .integer("objective.titans.depth", 1, "Memory depth L_M (1: linear, 2-4: MLP)")
      .integer("objective.titans.expansion", 2, "MLP memory: hidden width / width")
      .integer("objective.titans.chunk_size", 16, "Tokens per chunk (gradients at the chunk's start; 1: per token)")
      .boolean("objective.titans.silu", false, "SiLU on keys, values and queries")
      .boolean("objective.titans.l2_normalize", true, "Unit-length keys and queries")
      .number("objective.titans.grad_clip", 0.0, "Max L2 norm of one token's gradient (0: off)")
      .number("objective.titans.init_scale", 0.01, "Scale of the memory's Xavier-uniform initial weights")
      .integer("objective.titans.memory_seed", 0, "Seed of the memory's initial weights")
      .string("objective.titans.tasks", "passkey,number,word,recall_shift", "Stream tasks, comma-separated")
      .integer("objective.titans.length", 4096, "Steps of the streams each generation reads")
      .integer("objective.titans.samples", 8, "Streams per task per generation (the same for every member)")
      .integer("objective.titans.batch", 8, "Streams per work item")
      .integer("objective.titans.recall_keys", 48, "recall_shift: keys of the dictionary")
      .integer("objective.titans.recall_segment", 256, "recall_shift: steps between shifts (values redrawn at each)")
      .integer("objective.titans.heldout_length", 16384, "Steps of the held-out streams")
      .integer("objective.titans.heldout_samples", 16, "Held-out streams per task")
      .integer("objective.titans.heldout_interval", 5, "Check the mean genome on held-out streams every N generations (0: never)");
  return schema;
}

EvolveConfig evolve_config(const core::Config& config) {
  EvolveConfig c;
  c.config = config;
  c.run.seed = static_cast<std::uint64_t>(config.get_int("run.seed"));
  c.run.generations = config.get_int("run.generations");
  c.run.time_limit_minutes = config.get_double("run.time_limit_minutes");
  c.run.output = config.get_string("run.output");
  c.run.checkpoint_interval = config.get_int("run.checkpoint_interval");
  if (c.run.generations < 0) throw ConfigError("run.generations must be >= 0");
  if (c.run.checkpoint_interval < 1) throw ConfigError("run.checkpoint_interval must be >= 1");
  if (c.run.output.empty()) throw ConfigError("run.output must name the run file to write");

  c.strategy.kind = evo::parse_strategy_kind(config.get_string("strategy.kind"));
  auto& cma = c.strategy.cma;
  cma.population_size = config.get_int("strategy.population");
  cma.sigma0 = config.get_double("strategy.sigma");
  cma.active = config.get_bool("strategy.active");
  cma.mirrored = config.get_bool("strategy.mirrored");
  cma.recommendation = evo::parse_recommendation(config.get_string("strategy.export"));
  cma.decomposition = evo::parse_decomposition(config.get_string("strategy.decomposition"));
  cma.max_failed_fraction = config.get_double("strategy.max_failed_fraction");
  cma.seed = c.run.seed;
  c.strategy.restart.max_restarts = config.get_int("strategy.max_restarts");
  if (cma.population_size < 0) throw ConfigError("strategy.population must be >= 0");
  if (!(cma.sigma0 > 0.0)) throw ConfigError("strategy.sigma must be positive");

  c.executor.item_timeout_seconds = config.get_double("executor.item_timeout_seconds");
  c.executor.max_attempts = config.get_int("executor.max_attempts");
  validate(c.executor);
  c.worker.device = config.get_string("worker.device");
  c.worker.threads = config.get_int("worker.threads");
  if (c.worker.threads < 1) throw ConfigError("worker.threads must be >= 1");
  c.objective_kind = config.get_string("objective.kind");
  return c;
}

}  // namespace evomem::cluster
