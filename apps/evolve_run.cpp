#include "apps/evolve_run.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "apps/config_loading.h"
#include "cluster/device_choice.h"
#include "cluster/mpi_executor.h"
#include "cluster/mpi_session.h"
#include "core/error.h"
#include "core/files.h"
#include "core/logging.h"
#include "core/provenance.h"
#include "core/text.h"
#include "model/threads.h"
#include "objectives/objective_factory.h"
#include "search/evolution.h"
#include "search/signals.h"

namespace evomem::apps {
namespace {

int device_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

// On resume only the run's length, where it runs and where its backbone lies may change;
// anything else would make the continuation a different run.
bool changeable_on_resume(const std::string& assignment) {
  for (const char* prefix : {"run.generations=", "run.time_limit_minutes=", "run.checkpoint_interval=", "executor.",
                             "worker.", "objective.namm.backbone=", "objective.titans.backbone="}) {
    if (assignment.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string toml_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// The configuration's input paths made absolute, so that the run file's configuration works
// from any working directory (a resumed cluster job rarely starts where the first one did).
void make_input_paths_absolute(core::Config& config) {
  std::vector<std::string> keys = {"objective.namm.backbone", "objective.titans.backbone"};
  for (const auto& task : config.children("objective.namm.tasks"))
    keys.push_back("objective.namm.tasks." + task + ".file");
  for (const auto& key : keys) {
    if (!config.has(key)) continue;
    const std::filesystem::path path = config.get_string(key);
    if (path.empty() || path.is_absolute()) continue;
    config.set(key + "=" + toml_string(std::filesystem::absolute(path).lexically_normal().string()));
  }
}

// A finished run that resuming would not extend: it reached run.generations (not raised with
// --set), or the strategy stopped on its own criteria, which hold again at once.
bool nothing_left_to_run(const search::RunCheckpoint& run, const search::EvolveConfig& config) {
  if (!run.finished) return false;
  const auto& reasons = run.stop_reasons;
  if (std::find(reasons.begin(), reasons.end(), "time_limit") != reasons.end()) return false;
  const bool reached_length = reasons.size() == 1 && reasons.front() == "max_generations";
  return !reached_length || config.run.generations <= static_cast<std::int64_t>(run.history.size());
}

// Resuming a run that is already finished: said on one line, the file left untouched, exit 0
// (a requeued cluster job that finds its run done has nothing to report as an error).
class FinishedRun : public Error {
 public:
  using Error::Error;
};

// What the coordinator sends its workers instead of a configuration when a resumed run is
// already finished; an empty text means it could not start.
constexpr const char* kNothingToRun = "# nothing to run";

struct StartingPoint {
  search::EvolveConfig config;
  std::optional<search::RunCheckpoint> checkpoint;
  core::Provenance provenance;
};

// The run's backbone folder, for objectives that have one ("" otherwise).
std::string backbone_of(const search::EvolveConfig& config) {
  const std::string key = "objective." + config.objective_kind + ".backbone";
  return config.config.has(key) ? config.config.get_string(key) : std::string();
}

// A new run records who made it with which backbone; a resumed one keeps that record, adds a
// line for this resume and refuses a backbone whose weights differ from the recorded ones (a
// moved copy is fine): the continuation would be another run's.
core::Provenance run_provenance(const StartingPoint& start) {
  const std::string backbone = backbone_of(start.config);
  const std::string checksum = backbone.empty() ? std::string() : core::backbone_checksum(backbone);
  if (!start.checkpoint) {
    auto provenance = core::current_provenance();
    if (!backbone.empty()) {
      provenance["backbone"] = backbone;
      provenance["backbone_checksum"] = checksum;
    }
    return provenance;
  }
  auto provenance = start.checkpoint->provenance;
  const auto recorded = provenance.find("backbone_checksum");
  if (!backbone.empty() && recorded != provenance.end() && recorded->second != checksum) {
    throw InputError("objective." + start.config.objective_kind + ".backbone " + backbone +
                     ": its config.json and weights differ from those the run started with (checksum " + checksum +
                     ", recorded " + recorded->second + "); give that backbone's folder");
  }
  if (!backbone.empty()) provenance["backbone"] = backbone;
  provenance["resumed"] += core::utc_now() + " " + core::command_line() + "\n";
  return provenance;
}

StartingPoint starting_point(const GlobalOptions& globals, const EvolveOptions& options) {
  if (options.resume.empty()) {
    auto loaded = load_config(globals, objectives::run_schema(), true);
    make_input_paths_absolute(loaded);
    auto config = search::evolve_config(loaded);
    core::check_output_file(config.run.output, "run.output");
    if (std::filesystem::exists(config.run.output) && !options.overwrite) {
      throw InputError("run.output '" + config.run.output + "' exists: continue it with --resume " + config.run.output +
                       ", pass --overwrite, or choose another run.output");
    }
    return {config, std::nullopt, {}};
  }
  if (!globals.config_path.empty()) {
    throw InputError(
        "--resume takes the configuration from the run file; drop --config (use --set for run.generations)");
  }
  std::filesystem::path used;
  auto checkpoint = search::load_run_or_previous(options.resume, &used);
  core::check_output_file(options.resume, "--resume");
  auto config = core::Config::parse(checkpoint.config_text, used.string() + ":/config");
  for (const auto& assignment : globals.overrides) {
    if (!changeable_on_resume(assignment)) {
      throw InputError("--set " + assignment +
                       ": a resumed run keeps its configuration; only run.generations, run.time_limit_minutes, "
                       "executor.*, worker.* and objective.<kind>.backbone may change");
    }
    config.set(assignment);
  }
  config.set("run.output=" + toml_string(options.resume));
  config.validate(objectives::run_schema());
  auto evolve_config = search::evolve_config(config);
  if (nothing_left_to_run(checkpoint, evolve_config)) {
    throw FinishedRun(used.string() + " is finished (" + std::to_string(checkpoint.history.size()) +
                      " generations, stop: " + core::join(checkpoint.stop_reasons, ",") +
                      "); nothing to do. To go on, raise run.generations with --set run.generations=N");
  }
  core::log::info("resuming {} after generation {}", used.string(), checkpoint.history.size());
  return {std::move(evolve_config), std::move(checkpoint), {}};
}

StartingPoint checked_starting_point(const GlobalOptions& globals, const EvolveOptions& options) {
  auto start = starting_point(globals, options);
  if (!options.required_kind.empty() && start.config.objective_kind != options.required_kind) {
    throw InputError("objective.kind is '" + start.config.objective_kind + "': this command runs objective.kind = \"" +
                     options.required_kind + "\" (use `evomem evolve` for other objectives)");
  }
  return start;
}

void print_summary(const search::RunCheckpoint& run) {
  std::printf("run file: written after %zu generations (stop: %s)\n", run.history.size(),
              run.stop_reasons.empty() ? "-" : run.stop_reasons.front().c_str());
  if (!run.history.empty()) {
    const auto& last = run.history.back();
    std::printf("last generation: best %.4f, mean %.4f, median %.4f, sigma %.4g%s\n", last.best, last.mean, last.median,
                last.sigma, search::retained_text(last.mean_retained).c_str());
  }
  std::printf("best fitness so far: %.4f\n", run.best_fitness);
  if (!run.checks.empty()) {
    const auto& check = run.checks.back();
    std::printf("held-out check of the mean (generation %lld): fitness %.4f%s\n",
                static_cast<long long>(check.generation + 1), check.fitness,
                search::retained_text(check.retained).c_str());
  }
}

int run_worker(cluster::MpiSession& session) {
  std::string text;
  session.broadcast_text(text);
  if (text == kNothingToRun) return 0;
  if (text.empty()) return 1;  // the coordinator could not start; it reports why
  const auto config = objectives::parse_run_config(text, "run configuration from rank 0");
  model::apply_threads(static_cast<int>(config.worker.threads));
  const auto device = cluster::worker_device(config.worker.device, session.local_rank(), device_count());
  search::SignalGuard signals;
  auto objective = objectives::make_objective(config, objectives::ObjectiveRole::kWorker, device, session.rank());
  core::log::debug("worker rank {} on {}", session.rank(), device);
  if (cluster::serve_work(*objective, session) == cluster::ServeEnd::kEvaluationAbandoned) {
    cluster::leave_after_abandoned_evaluation(session);
  }
  return 0;
}

}  // namespace

void add_evolve_options(CLI::App& command, EvolveOptions& options) {
  command.add_option("--resume", options.resume, "Continue the run in this run file (or its .prev checkpoint)");
  command.add_flag("--overwrite", options.overwrite, "Replace an existing run.output");
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
  std::unique_ptr<search::Objective> objective;
  try {
    start = checked_starting_point(globals, options);
    if (session) {
      objective = objectives::make_objective(start.config, objectives::ObjectiveRole::kCoordinator);
    } else {
      model::apply_threads(static_cast<int>(start.config.worker.threads));
      objective = objectives::make_objective(start.config, objectives::ObjectiveRole::kWorker,
                                             cluster::worker_device(start.config.worker.device, 0, device_count()));
    }
    start.provenance = run_provenance(start);  // after the objective has checked the backbone folder
  } catch (const FinishedRun& finished) {
    std::string nothing = kNothingToRun;
    if (session) session->broadcast_text(nothing);
    std::fprintf(stderr, "evomem: %s\n", finished.what());
    return 0;
  } catch (...) {
    std::string nothing;
    if (session) session->broadcast_text(nothing);  // releases the workers before the error is reported
    throw;
  }
  if (session) {
    std::string text = start.config.config.to_toml();
    session->broadcast_text(text);
  }
  search::SignalGuard signals;
  std::unique_ptr<search::Executor> executor;
  if (session) {
    executor = std::make_unique<cluster::MpiExecutor>(*session, start.config.executor);
  } else {
    executor = search::make_local_executor(*objective, start.config.executor);
  }
  core::log::info("evolving a {}-dimensional {} genome with {} worker(s)", objective->dimension(), objective->kind(),
                  executor->worker_count());
  search::Evolution evolution(start.config, *objective, *executor, std::move(start.checkpoint));
  evolution.set_provenance(start.provenance);
  try {
    evolution.run();
  } catch (const search::Interrupted&) {
    executor->shutdown();
    const auto& run = evolution.checkpoint();
    std::fprintf(stderr,
                 "evomem: interrupted by %s; %s holds generation %zu; continue with evomem evolve --resume %s\n",
                 search::signal_name(search::stop_signal()), start.config.run.output.c_str(), run.history.size(),
                 start.config.run.output.c_str());
    return 130;
  }
  executor->shutdown();
  print_summary(evolution.checkpoint());
  std::printf("run file: %s\n", start.config.run.output.c_str());
  return 0;
}

}  // namespace evomem::apps
