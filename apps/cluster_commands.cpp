// `evomem evolve` (one process, or rank 0 of an MPI job coordinating ranks 1..n-1) and
// `evomem export` (the NAMM weights of a run).

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "apps/command_registry.h"
#include "apps/config_loading.h"
#include "cluster/device_choice.h"
#include "cluster/evolution.h"
#include "cluster/mpi_executor.h"
#include "cluster/mpi_session.h"
#include "cluster/objective_factory.h"
#include "cluster/signals.h"
#include "cluster/titans_params.h"
#include "core/error.h"
#include "core/logging.h"
#include "memory/namm_file.h"

namespace evomem::apps {
namespace {

struct EvolveOptions {
  std::string resume;
  bool overwrite = false;
  std::string required_kind;  // `titans search`: the run must be of this objective kind
};

struct ExportOptions {
  std::string run;
  std::string which = "mean";
  std::string out;
};

int device_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

core::Config parse_run_config(const std::string& text, const std::string& source) {
  auto config = core::Config::parse(text, source);
  config.validate(cluster::evolve_schema());
  return config;
}

// On resume only the run's length and where it runs may change; anything else would make the
// continuation a different run.
bool changeable_on_resume(const std::string& assignment) {
  for (const char* prefix :
       {"run.generations=", "run.time_limit_minutes=", "run.checkpoint_interval=", "executor.", "worker."}) {
    if (assignment.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

struct StartingPoint {
  cluster::EvolveConfig config;
  std::optional<cluster::RunCheckpoint> checkpoint;
};

StartingPoint starting_point(const GlobalOptions& globals, const EvolveOptions& options) {
  if (options.resume.empty()) {
    auto config = cluster::evolve_config(load_config(globals, cluster::evolve_schema(), true));
    if (std::filesystem::exists(config.run.output) && !options.overwrite) {
      throw InputError("run.output '" + config.run.output + "' exists: continue it with --resume " + config.run.output +
                       ", pass --overwrite, or choose another run.output");
    }
    return {config, std::nullopt};
  }
  if (!globals.config_path.empty()) {
    throw InputError("--resume takes the configuration from the run file; drop --config (use --set for run.generations)");
  }
  std::filesystem::path used;
  auto checkpoint = cluster::load_run_or_previous(options.resume, &used);
  auto config = core::Config::parse(checkpoint.config_text, used.string() + ":/config");
  for (const auto& assignment : globals.overrides) {
    if (!changeable_on_resume(assignment)) {
      throw InputError("--set " + assignment +
                       ": a resumed run keeps its configuration; only run.generations, run.time_limit_minutes, "
                       "executor.* and worker.* may change");
    }
    config.set(assignment);
  }
  config.set("run.output=\"" + options.resume + "\"");
  config.validate(cluster::evolve_schema());
  core::log::info("resuming {} after generation {}", used.string(), checkpoint.history.size());
  return {cluster::evolve_config(config), std::move(checkpoint)};
}

StartingPoint checked_starting_point(const GlobalOptions& globals, const EvolveOptions& options) {
  auto start = starting_point(globals, options);
  if (!options.required_kind.empty() && start.config.objective_kind != options.required_kind) {
    throw InputError("objective.kind is '" + start.config.objective_kind + "': this command runs objective.kind = \"" +
                     options.required_kind + "\" (use `evomem evolve` for other objectives)");
  }
  return start;
}

void print_summary(const cluster::RunCheckpoint& run) {
  std::printf("run file: written after %zu generations (stop: %s)\n", run.history.size(),
              run.stop_reasons.empty() ? "-" : run.stop_reasons.front().c_str());
  if (!run.history.empty()) {
    const auto& last = run.history.back();
    std::printf("last generation: best %.4f, mean %.4f, median %.4f, sigma %.4g%s\n", last.best, last.mean, last.median,
                last.sigma, cluster::retained_text(last.mean_retained).c_str());
  }
  std::printf("best fitness so far: %.4f\n", run.best_fitness);
  if (!run.checks.empty()) {
    const auto& check = run.checks.back();
    std::printf("held-out check of the mean (generation %lld): fitness %.4f%s\n", static_cast<long long>(check.generation + 1),
                check.fitness, cluster::retained_text(check.retained).c_str());
  }
}

int run_worker(cluster::MpiSession& session) {
  std::string text;
  session.broadcast_text(text);
  if (text.empty()) return 1;  // the coordinator could not start; it reports why
  const auto config = cluster::evolve_config(parse_run_config(text, "run configuration from rank 0"));
  torch::set_num_threads(static_cast<int>(config.worker.threads));
  const auto device = cluster::worker_device(config.worker.device, session.local_rank(), device_count());
  cluster::SignalGuard signals;
  auto objective = cluster::make_objective(config, cluster::ObjectiveRole::kWorker, device, session.rank());
  core::log::debug("worker rank {} on {}", session.rank(), device);
  if (cluster::serve_work(*objective, session) == cluster::ServeEnd::kEvaluationAbandoned) {
    cluster::leave_after_abandoned_evaluation(session);
  }
  return 0;
}

int run_evolve(const GlobalOptions& globals, const EvolveOptions& options) {
  std::optional<cluster::MpiSession> session;
  if (cluster::MpiSession::launched_by_mpirun()) {
    session.emplace();
    if (session->size() == 1) {
      session.reset();  // `mpirun -np 1`: nobody to coordinate, run in this process
    } else {
      core::log::set_rank(session->rank());
      if (!session->is_coordinator()) return run_worker(*session);
    }
  }
  StartingPoint start;
  std::unique_ptr<cluster::Objective> objective;
  try {
    start = checked_starting_point(globals, options);
    if (session) {
      objective = cluster::make_objective(start.config, cluster::ObjectiveRole::kCoordinator);
    } else {
      torch::set_num_threads(static_cast<int>(start.config.worker.threads));
      objective = cluster::make_objective(start.config, cluster::ObjectiveRole::kWorker,
                                          cluster::worker_device(start.config.worker.device, 0, device_count()));
    }
  } catch (...) {
    std::string nothing;
    if (session) session->broadcast_text(nothing);  // releases the workers before the error is reported
    throw;
  }
  if (session) {
    std::string text = start.config.config.to_toml();
    session->broadcast_text(text);
  }
  cluster::SignalGuard signals;
  std::unique_ptr<cluster::Executor> executor;
  if (session) {
    executor = std::make_unique<cluster::MpiExecutor>(*session, start.config.executor);
  } else {
    executor = cluster::make_local_executor(*objective, start.config.executor);
  }
  core::log::info("evolving a {}-dimensional {} genome with {} worker(s)", objective->dimension(), objective->kind(),
                  executor->worker_count());
  cluster::Evolution evolution(start.config, *objective, *executor, std::move(start.checkpoint));
  try {
    evolution.run();
  } catch (const cluster::Interrupted&) {
    executor->shutdown();
    const auto& run = evolution.checkpoint();
    std::fprintf(stderr, "evomem: interrupted by %s; %s holds generation %zu; continue with evomem evolve --resume %s\n",
                 cluster::signal_name(cluster::stop_signal()), start.config.run.output.c_str(), run.history.size(),
                 start.config.run.output.c_str());
    return 130;
  }
  executor->shutdown();
  print_summary(evolution.checkpoint());
  std::printf("run file: %s\n", start.config.run.output.c_str());
  return 0;
}

int run_export(const ExportOptions& options) {
  std::filesystem::path used;
  const auto run = cluster::load_run_or_previous(options.run, &used);
  const auto config = cluster::evolve_config(parse_run_config(run.config_text, used.string() + ":/config"));
  const auto& genome = options.which == "best" ? run.best_genome : run.mean_genome;
  if (config.objective_kind == "titans") {
    cluster::save_titans_params(options.out, run.config_text, genome);
    std::printf("exported the %s Titans gates after %zu generations (%lld values) -> %s\n", options.which.c_str(),
                run.history.size(), static_cast<long long>(genome.size()), options.out.c_str());
    return 0;
  }
  if (config.objective_kind != "namm") {
    throw InputError(used.string() + ": a '" + config.objective_kind + "' run has no weights to export");
  }
  const auto weights = cluster::namm_weights_from_state(cluster::namm_objective_settings(config), run.objective, genome);
  memory::save_namm(options.out, weights);
  std::printf("exported the %s genome after %zu generations (%zu values) -> %s\n", options.which.c_str(), run.history.size(),
              weights.genome.values.size(), options.out.c_str());
  return 0;
}

}  // namespace

void register_cluster_commands(CommandRegistry& registry) {
  auto evolve_options = std::make_shared<EvolveOptions>();
  const GlobalOptions& globals = registry.globals();
  auto& evolve = registry.add(registry.root(), "evolve",
                              "Evolve a NAMM (or a test function) with CMA-ES; under mpirun rank 0 coordinates the "
                              "other ranks",
                              [evolve_options, &globals] { return run_evolve(globals, *evolve_options); });
  evolve.add_option("--resume", evolve_options->resume, "Continue the run in this run file (or its .prev checkpoint)");
  evolve.add_flag("--overwrite", evolve_options->overwrite, "Replace an existing run.output");

  auto search_options = std::make_shared<EvolveOptions>();
  search_options->required_kind = "titans";
  auto& search = registry.add(titans_group(registry), "search",
                              "Search a Titans memory's gates (objective.kind = \"titans\") with CMA-ES, like `evomem "
                              "evolve`: run files, resume, mpirun",
                              [search_options, &globals] { return run_evolve(globals, *search_options); });
  search.add_option("--resume", search_options->resume, "Continue the run in this run file (or its .prev checkpoint)");
  search.add_flag("--overwrite", search_options->overwrite, "Replace an existing run.output");

  auto export_options = std::make_shared<ExportOptions>();
  auto& export_command = registry.add(registry.root(), "export", "Write the NAMM weights of a run (namm.safetensors or .h5), or a Titans run's gates (titans.safetensors)",
                                      [export_options] { return run_export(*export_options); });
  export_command.add_option("--run", export_options->run, "Run file")->required();
  export_command.add_option("--which", export_options->which, "mean (default, as published) or best")
      ->check(CLI::IsMember({"mean", "best"}))
      ->capture_default_str();
  export_command.add_option("--out", export_options->out, "Output file (.safetensors, or .h5 for HDF5)")->required();
}

}  // namespace evomem::apps
