#include "evo/restarts.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "core/error.h"

namespace evomem::evo {
namespace {

bool is_global(StopReason reason) {
  return reason == StopReason::kMaxEvaluations || reason == StopReason::kMaxGenerations ||
         reason == StopReason::kTargetFitness;
}

std::string regime_name(RestartRegime regime) { return regime == RestartRegime::kIpop ? "ipop" : "bipop"; }

}  // namespace

RestartStrategy::RestartStrategy(CmaOptions base, RestartOptions restart)
    : base_(std::move(base)), restart_(restart), rng_(base_.seed ^ 0x5bd1e995ULL) {
  validate(base_);
  if (restart_.max_restarts < 0) {
    throw InputError("max restarts is " + std::to_string(restart_.max_restarts) + "; use 0 (unlimited) or more");
  }
  if (!(restart_.population_factor > 1.0)) {
    throw InputError("restart population factor is " + std::to_string(restart_.population_factor) +
                     "; use a factor above 1");
  }
  const double n = static_cast<double>(base_.dimension);
  default_lambda_ = base_.population_size > 0 ? base_.population_size
                                              : 4 + static_cast<Eigen::Index>(std::floor(3.0 * std::log(n)));
  large_lambda_ = default_lambda_;
  start_run(default_lambda_, base_.sigma0);
}

void RestartStrategy::start_run(Eigen::Index lambda, double sigma) {
  CmaOptions options = base_;
  options.population_size = lambda;
  options.parent_count = 0;
  options.sigma0 = sigma;
  // Each run gets its own stream, drawn from the wrapper's generator.
  options.seed = rng_.next_u64();
  // The global budget is enforced here; each run only sees what is left.
  options.stop.max_generations = base_.stop.max_generations > 0 ? base_.stop.max_generations - generations_done_ : 0;
  options.stop.max_evaluations = base_.stop.max_evaluations > 0 ? base_.stop.max_evaluations - evaluations_done_ : 0;
  run_ = std::make_unique<CmaEs>(std::move(options));
}

bool RestartStrategy::better(double a, double b) const {
  return base_.direction == Direction::kMinimize ? a < b : a > b;
}

const Eigen::MatrixXd& RestartStrategy::ask() { return run_->ask(); }

void RestartStrategy::tell(const std::vector<double>& fitness, const std::vector<bool>& missing) {
  run_->tell(fitness, missing);
  if (run_->best_solution().size() != 0 && (!has_best_ || better(run_->best_fitness(), best_fitness_))) {
    has_best_ = true;
    best_fitness_ = run_->best_fitness();
    best_solution_ = run_->best_solution();
  }
  stop_reasons_.clear();
  if (!run_->stop()) return;
  const auto reasons = run_->stop_reasons();
  for (StopReason reason : reasons) {
    if (is_global(reason)) stop_reasons_.push_back(reason);
  }
  if (!stop_reasons_.empty()) return;
  // BIPOP counts only large-population restarts against the limit (Hansen 2009).
  const std::int64_t counted = restart_.regime == RestartRegime::kIpop ? restarts_ : large_runs_;
  if (restart_.max_restarts > 0 && counted >= restart_.max_restarts) {
    stop_reasons_ = reasons;
    stop_reasons_.push_back(StopReason::kMaxRestarts);
    return;
  }
  restart();
}

void RestartStrategy::restart() {
  std::ostringstream line;
  line << "lambda=" << run_->offspring();
  for (StopReason reason : run_->stop_reasons()) line << ' ' << to_string(reason);
  run_log_.push_back(line.str());

  generations_done_ += run_->generation();
  evaluations_done_ += run_->evaluations();
  failed_done_ += run_->failed_evaluations();
  if (current_is_large_) {
    large_evaluations_ += run_->evaluations();
  } else {
    small_evaluations_ += run_->evaluations();
  }
  ++restarts_;

  const bool large = restart_.regime == RestartRegime::kIpop || large_runs_ == 0 ||
                     large_evaluations_ <= small_evaluations_;
  if (large) {
    ++large_runs_;
    large_lambda_ = static_cast<Eigen::Index>(
        std::ceil(static_cast<double>(large_lambda_) * restart_.population_factor));
    current_is_large_ = true;
    start_run(large_lambda_, base_.sigma0);
    return;
  }
  const double u = rng_.uniform();
  const double ratio = static_cast<double>(large_lambda_) / (2.0 * static_cast<double>(default_lambda_));
  const auto small_lambda = std::max<Eigen::Index>(
      2, static_cast<Eigen::Index>(
             std::floor(static_cast<double>(default_lambda_) * std::pow(std::max(ratio, 1.0), u * u))));
  const double small_sigma = base_.sigma0 * std::pow(10.0, -2.0 * rng_.uniform());
  current_is_large_ = false;
  start_run(small_lambda, small_sigma);
}

const Eigen::VectorXd& RestartStrategy::best_solution() const {
  return has_best_ ? best_solution_ : run_->best_solution();
}

double RestartStrategy::best_fitness() const { return has_best_ ? best_fitness_ : run_->best_fitness(); }

Eigen::VectorXd RestartStrategy::recommendation() const {
  if (base_.recommendation == Recommendation::kMean || !has_best_) return run_->mean();
  return best_solution_;
}

StrategyState RestartStrategy::state() const {
  StrategyState state;
  state.kind = regime_name(restart_.regime);
  state.set_rng(rng_);
  state.set_integer("dimension", base_.dimension);
  state.set_integer("run_lambda", run_->offspring());
  state.set_real("run_sigma0", run_->options().sigma0);
  state.set_integer("run_seed", static_cast<std::int64_t>(run_->options().seed));
  state.set_integer("run_max_generations", run_->options().stop.max_generations);
  state.set_integer("run_max_evaluations", run_->options().stop.max_evaluations);
  state.set_integer("default_lambda", default_lambda_);
  state.set_integer("large_lambda", large_lambda_);
  state.set_integer("restarts", restarts_);
  state.set_integer("large_runs", large_runs_);
  state.set_integer("generations_done", generations_done_);
  state.set_integer("evaluations_done", evaluations_done_);
  state.set_integer("failed_done", failed_done_);
  state.set_integer("large_evaluations", large_evaluations_);
  state.set_integer("small_evaluations", small_evaluations_);
  state.set_integer("current_is_large", current_is_large_ ? 1 : 0);
  state.set_integer("has_best", has_best_ ? 1 : 0);
  state.set_vector("best_solution", has_best_ ? best_solution_ : Eigen::VectorXd::Zero(base_.dimension).eval());
  state.set_real("best_fitness", best_fitness_);
  state.set_stop_reasons(stop_reasons_);
  for (std::size_t k = 0; k < run_log_.size(); ++k) state.texts["run_log/" + std::to_string(k)] = run_log_[k];
  state.set_integer("run_log_size", static_cast<std::int64_t>(run_log_.size()));
  state.embed("run", run_->state());
  return state;
}

void RestartStrategy::restore(const StrategyState& state) {
  const std::string expected = regime_name(restart_.regime);
  state.require_kind(expected);
  state.require_integer("dimension", base_.dimension);
  const Rng rng = state.rng();
  const Eigen::Index lambda = state.integer("run_lambda");
  if (lambda < 2) throw FormatError(expected + " state has run_lambda < 2; the state file is corrupt");
  std::vector<StopReason> reasons = state.stop_reasons();
  std::vector<std::string> run_log;
  const std::int64_t log_size = state.integer("run_log_size");
  for (std::int64_t k = 0; k < log_size; ++k) run_log.push_back(state.text("run_log/" + std::to_string(k)));

  CmaOptions options = base_;
  options.population_size = lambda;
  options.parent_count = 0;
  options.sigma0 = state.real("run_sigma0");
  options.seed = static_cast<std::uint64_t>(state.integer("run_seed"));
  options.stop.max_generations = state.integer("run_max_generations");
  options.stop.max_evaluations = state.integer("run_max_evaluations");
  auto run = std::make_unique<CmaEs>(std::move(options));
  run->restore(state.extract("run"));
  const bool has_best = state.integer("has_best") != 0;
  Eigen::VectorXd best_solution = state.vector("best_solution", base_.dimension);

  rng_ = rng;
  run_ = std::move(run);
  default_lambda_ = state.integer("default_lambda");
  large_lambda_ = state.integer("large_lambda");
  restarts_ = state.integer("restarts");
  large_runs_ = state.integer("large_runs");
  generations_done_ = state.integer("generations_done");
  evaluations_done_ = state.integer("evaluations_done");
  failed_done_ = state.integer("failed_done");
  large_evaluations_ = state.integer("large_evaluations");
  small_evaluations_ = state.integer("small_evaluations");
  current_is_large_ = state.integer("current_is_large") != 0;
  has_best_ = has_best;
  best_solution_ = has_best ? best_solution : Eigen::VectorXd();
  best_fitness_ = state.real("best_fitness");
  stop_reasons_ = reasons;
  run_log_ = run_log;
}

}  // namespace evomem::evo
