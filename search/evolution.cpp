#include "search/evolution.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/logging.h"
#include "core/progress.h"
#include "evo/statistics.h"

namespace evomem::search {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::unique_ptr<evo::Strategy> make_run_strategy(const EvolveConfig& config, const Objective& objective) {
  evo::CmaOptions options = config.strategy.cma;
  options.dimension = objective.dimension();
  options.initial_mean = objective.initial_mean();
  options.direction = objective.direction();
  // The loop counts generations itself, so that a resumed run may be given more of them.
  options.stop.max_generations = 0;
  return evo::make_strategy(config.strategy.kind, options, config.strategy.restart);
}

Evolution::Evolution(const EvolveConfig& config, Objective& objective, Executor& executor,
                     std::optional<RunCheckpoint> resume_from)
    : config_(config),
      objective_(objective),
      executor_(executor),
      strategy_(make_run_strategy(config, objective)),
      journal_(config.run.output) {
  if (resume_from) {
    resumed_ = true;
    run_ = std::move(*resume_from);
    if (run_.objective_kind != objective.kind()) {
      throw FormatError("the run file holds a '" + run_.objective_kind + "' run, the configuration a '" +
                        objective.kind() + "' objective");
    }
    strategy_->restore(run_.strategy);
    objective_.restore(run_.objective);
    run_.finished = false;
    run_.stop_reasons.clear();
  } else {
    run_.objective_kind = objective.kind();
    run_.task_names = objective.task_names();
    run_.best_fitness = evo::kMissingFitness;
    run_.best_genome = objective.initial_mean();
    run_.mean_genome = objective.initial_mean();
  }
  run_.config_text = config.config.to_toml();
  // Fail now, not after the first generation's work, when the run file cannot be written.
  const auto folder = std::filesystem::path(config.run.output).parent_path();
  std::error_code error;
  if (!folder.empty()) std::filesystem::create_directories(folder, error);
  if (error) throw InputError("run.output: cannot create the folder " + folder.string() + ": " + error.message());
  if (resumed_) {
    const auto kept = journal_.resume(static_cast<std::int64_t>(run_.history.size()), run_.next_item_id);
    if (kept > 0)
      core::log::info("{}: {} results recorded after the checkpoint will be reused", journal_.path().string(), kept);
  }
  executor_.set_result_listener(
      [this](const WorkItem& item, const ItemResult& result) { journal_.append(item, result); });
}

std::vector<ItemResult> Evolution::execute(std::vector<WorkItem>& items) {
  std::vector<ItemResult> results(items.size());
  std::vector<WorkItem> pending;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].id = run_.next_item_id++;
    if (auto recorded = journal_.find(items[i])) {
      if (!recorded->ok) ++journaled_failures_;
      results[i] = std::move(*recorded);
    } else {
      pending.push_back(items[i]);
      positions.push_back(i);
    }
  }
  if (pending.size() < items.size()) {
    core::log::info("{} of {} items taken from {}; {} to evaluate", items.size() - pending.size(), items.size(),
                    journal_.path().string(), pending.size());
  }
  if (pending.empty()) return results;
  auto fresh = executor_.run(pending);
  for (std::size_t k = 0; k < fresh.size(); ++k) results[positions[k]] = std::move(fresh[k]);
  return results;
}

void Evolution::save_checkpoint() {
  run_.strategy = strategy_->state();
  run_.objective = objective_.state();
  save_run(config_.run.output, run_);
  journal_.start(static_cast<std::int64_t>(run_.history.size()), run_.next_item_id);
}

void Evolution::record_generation(const GenerationOutcome& outcome, double seconds, const ExecutorStats& before) {
  const auto& after = executor_.stats();
  GenerationRecord record;
  record.generation = static_cast<std::int64_t>(run_.history.size());
  std::vector<double> finite;
  double retained_sum = 0.0;
  for (const auto& candidate : outcome.candidates) {
    record.fitness.push_back(candidate.fitness);
    record.retained.push_back(candidate.retained_fraction);
    std::vector<double> scores = candidate.task_scores;
    scores.resize(run_.task_names.size(), std::nan(""));
    record.task_scores.insert(record.task_scores.end(), scores.begin(), scores.end());
    if (std::isfinite(candidate.fitness)) {
      finite.push_back(candidate.fitness);
      retained_sum += candidate.retained_fraction;
    }
  }
  const bool maximize = objective_.direction() == evo::Direction::kMaximize;
  record.best = finite.empty() ? std::nan("")
                               : (maximize ? *std::max_element(finite.begin(), finite.end())
                                           : *std::min_element(finite.begin(), finite.end()));
  double sum = 0.0;
  for (const double value : finite) sum += value;
  record.mean = finite.empty() ? std::nan("") : sum / static_cast<double>(finite.size());
  record.median = evo::median(finite);
  record.mean_retained = finite.empty() ? std::nan("") : retained_sum / static_cast<double>(finite.size());
  record.sigma = strategy_->sigma();
  record.evaluations = strategy_->evaluations();
  record.failed_items = after.failed_items - before.failed_items + journaled_failures_;
  record.errors = after.errors - before.errors;
  record.timeouts = after.timeouts - before.timeouts;
  record.wall_seconds = seconds;
  run_.history.push_back(std::move(record));
}

std::string retained_text(double retained) {
  if (std::isnan(retained)) return {};
  char text[32];
  std::snprintf(text, sizeof text, " retained %.3f", retained);
  return text;
}

void Evolution::log_generation(const GenerationRecord& record, double elapsed_seconds) const {
  const auto done = static_cast<double>(run_.history.size());
  std::string eta = "?";
  if (config_.run.generations > 0) {
    const double per_generation = elapsed_seconds /
                                  std::max(1.0, static_cast<double>(run_.history.size() - first_generation_));
    eta = core::Progress::format_duration(per_generation * (static_cast<double>(config_.run.generations) - done));
  }
  const double evals_per_second = record.wall_seconds > 0
                                      ? static_cast<double>(record.fitness.size()) / record.wall_seconds
                                      : 0.0;
  core::log::info("generation {}{}: best {:.4f} mean {:.4f} median {:.4f} sigma {:.4g}{} | {:.2f} evals/s, "
                  "{} failed items ({} errors, {} timeouts), ETA {}",
                  record.generation + 1,
                  config_.run.generations > 0 ? "/" + std::to_string(config_.run.generations) : "", record.best,
                  record.mean, record.median, record.sigma, retained_text(record.mean_retained), evals_per_second,
                  record.failed_items, record.errors, record.timeouts, eta);
}

const RunCheckpoint& Evolution::run() {
  const auto started = std::chrono::steady_clock::now();
  first_generation_ = run_.history.size();
  if (!resumed_) save_checkpoint();
  auto setup = objective_.plan_setup();
  if (!setup.empty()) {
    const auto results = execute(setup);
    objective_.accept_setup(setup, results);
  }
  std::vector<std::string> reasons;
  for (;;) {
    const auto generation = static_cast<std::int64_t>(run_.history.size());
    if (config_.run.generations > 0 && generation >= config_.run.generations) {
      reasons.push_back("max_generations");
      break;
    }
    if (strategy_->stop()) {
      reasons = strategy_->stop_reason_names();
      break;
    }
    if (config_.run.time_limit_minutes > 0 && seconds_since(started) > 60.0 * config_.run.time_limit_minutes) {
      reasons.push_back("time_limit");
      break;
    }
    const auto generation_started = std::chrono::steady_clock::now();
    const ExecutorStats before = executor_.stats();
    journaled_failures_ = 0;
    const Eigen::MatrixXd population = strategy_->ask();
    auto items = objective_.plan(generation, population);
    const auto results = execute(items);
    const auto outcome = objective_.aggregate(generation, items, results);
    EVOMEM_CHECK(static_cast<Eigen::Index>(outcome.candidates.size()) == population.cols(),
                 "one outcome per candidate");
    std::vector<double> fitness;
    for (const auto& candidate : outcome.candidates) fitness.push_back(candidate.fitness);
    strategy_->tell(fitness);

    const Eigen::VectorXd mean = strategy_->mean();
    auto check_items = objective_.plan_check(generation, mean);
    if (!check_items.empty()) {
      const auto check_results = execute(check_items);
      const auto check = objective_.aggregate_check(check_items, check_results);
      std::vector<double> scores = check.task_scores;
      scores.resize(run_.task_names.size(), std::nan(""));
      run_.checks.push_back({generation, check.fitness, check.retained_fraction, scores});
      core::log::info("generation {}: held-out fitness of the mean {:.4f}{}", generation + 1, check.fitness,
                      retained_text(check.retained_fraction));
    }

    record_generation(outcome, seconds_since(generation_started), before);
    if (std::isfinite(strategy_->best_fitness())) {
      run_.best_genome = strategy_->best_solution();
      run_.best_fitness = strategy_->best_fitness();
    }
    run_.mean_genome = mean;
    if (run_.history.size() % static_cast<std::size_t>(config_.run.checkpoint_interval) == 0) save_checkpoint();
    log_generation(run_.history.back(), seconds_since(started));
  }
  run_.finished = true;
  run_.stop_reasons = reasons;
  run_.strategy = strategy_->state();
  run_.objective = objective_.state();
  save_run(config_.run.output, run_);
  journal_.remove();
  return run_;
}

}  // namespace evomem::search
