#pragma once
// Restart wrappers around CmaEs. IPOP (Auger & Hansen 2005) restarts with a doubled
// population whenever a run stops on a local criterion (tolfun, tolx, condition,
// stagnation). BIPOP (Hansen 2009) interleaves those large-population runs with
// small-population runs (lambda_s = floor(lambda_0 (lambda_large / (2 lambda_0))^(u^2)),
// sigma_s = sigma0 * 10^(-2u), u uniform in [0, 1)) and always starts the regime that has
// used fewer evaluations. Every restart starts from the initial mean; budgets, the target
// and the failed-evaluation policy apply to the whole sequence.

#include <cstdint>
#include <memory>

#include "evo/cmaes.h"

namespace evomem::evo {

enum class RestartRegime { kIpop, kBipop };

struct RestartOptions {
  RestartRegime regime = RestartRegime::kIpop;
  // Restarts after the first run (BIPOP: large-population restarts only); 0 = until the
  // global budget or the target stops it.
  std::int64_t max_restarts = 9;
  double population_factor = 2.0;
};

class RestartStrategy : public Strategy {
 public:
  // `base.stop` holds the global budget and target; the local criteria apply to each run.
  RestartStrategy(CmaOptions base, RestartOptions restart);

  const Eigen::MatrixXd& ask() override;
  void tell(const std::vector<double>& fitness, const std::vector<bool>& missing = {}) override;
  bool stop() const override { return !stop_reasons_.empty(); }
  std::vector<StopReason> stop_reasons() const override { return stop_reasons_; }
  StrategyState state() const override;
  void restore(const StrategyState& state) override;
  void inject(const Eigen::VectorXd& solution) override { run_->inject(solution); }

  Eigen::Index dimension() const override { return run_->dimension(); }
  Eigen::Index population_size() const override { return run_->population_size(); }
  std::int64_t generation() const override { return generations_done_ + run_->generation(); }
  std::int64_t evaluations() const override { return evaluations_done_ + run_->evaluations(); }
  std::int64_t failed_evaluations() const override { return failed_done_ + run_->failed_evaluations(); }
  double sigma() const override { return run_->sigma(); }
  Eigen::VectorXd mean() const override { return run_->mean(); }
  const Eigen::VectorXd& best_solution() const override;
  double best_fitness() const override;
  Eigen::VectorXd recommendation() const override;

  std::int64_t restarts() const { return restarts_; }
  const CmaEs& current_run() const { return *run_; }
  // Why the previous runs stopped, one line per run ("lambda=20 tolfun").
  const std::vector<std::string>& run_log() const { return run_log_; }

 private:
  void start_run(Eigen::Index lambda, double sigma);
  void restart();
  bool better(double a, double b) const;

  CmaOptions base_;
  RestartOptions restart_;
  Rng rng_;
  std::unique_ptr<CmaEs> run_;
  Eigen::Index default_lambda_ = 0;
  Eigen::Index large_lambda_ = 0;
  std::int64_t restarts_ = 0;
  std::int64_t large_runs_ = 0;
  std::int64_t generations_done_ = 0;
  std::int64_t evaluations_done_ = 0;
  std::int64_t failed_done_ = 0;
  std::int64_t large_evaluations_ = 0;
  std::int64_t small_evaluations_ = 0;
  bool current_is_large_ = true;
  bool has_best_ = false;
  Eigen::VectorXd best_solution_;
  double best_fitness_ = 0.0;
  std::vector<StopReason> stop_reasons_;
  std::vector<std::string> run_log_;
};

}  // namespace evomem::evo
