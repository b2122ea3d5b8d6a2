#pragma once
// CMA-ES (Hansen's tutorial, arXiv 1604.00772) with active negative weights, in two
// covariance models: full (rank-one + rank-mu updates of an n x n matrix) and separable
// (sep-CMA-ES, diagonal covariance with learning rates scaled by (n + 2) / 3).
//
// Large n is what shapes the implementation: the rank-mu update is one SYRK, sampling is one
// GEMM (or TRMM), and the covariance is factorised lazily, every
// max(1, floor(1 / (10 n (c1 + cmu)))) generations, either by a symmetric eigendecomposition
// (the tutorial's B D B^T) or by a Cholesky factor C = L L^T, which at n ~ 4,000 is ~20x
// cheaper (docs/evo.md, docs/benchmarks.md). With a Cholesky factor, L^{-1} plays the role of
// C^{-1/2} in the step-size path, as in the Cholesky-CMA-ES.

#include <Eigen/Core>

#include <cstdint>
#include <vector>

#include "evo/box_transform.h"
#include "evo/cma_options.h"
#include "evo/random.h"
#include "evo/strategy.h"

namespace evomem::evo {

class CmaEs : public Strategy {
 public:
  explicit CmaEs(CmaOptions options);

  const Eigen::MatrixXd& ask() override;
  void tell(const std::vector<double>& fitness, const std::vector<bool>& missing = {}) override;
  bool stop() const override { return !stop_reasons_.empty(); }
  std::vector<StopReason> stop_reasons() const override { return stop_reasons_; }
  StrategyState state() const override;
  void restore(const StrategyState& state) override;
  void inject(const Eigen::VectorXd& solution) override;

  Eigen::Index dimension() const override { return n_; }
  Eigen::Index population_size() const override { return lambda_ + (options_.evaluate_mean ? 1 : 0); }
  std::int64_t generation() const override { return generation_; }
  std::int64_t evaluations() const override { return evaluations_; }
  std::int64_t failed_evaluations() const override { return failed_; }
  double sigma() const override { return sigma_; }
  Eigen::VectorXd mean() const override;
  const Eigen::VectorXd& best_solution() const override { return best_solution_; }
  double best_fitness() const override { return best_fitness_; }
  Eigen::VectorXd recommendation() const override;

  const CmaOptions& options() const { return options_; }
  Eigen::Index offspring() const { return lambda_; }
  Eigen::Index parents() const { return mu_; }
  double mu_eff() const { return mu_eff_; }
  const Eigen::VectorXd& weights() const { return weights_; }
  // Fitness of the mean in the last generation (NaN unless evaluate_mean).
  double mean_fitness() const { return mean_fitness_; }
  bool uses_cholesky() const { return use_cholesky_; }
  // Condition number of the covariance as of the last factorisation (an estimate from the
  // Cholesky diagonal in Cholesky mode).
  double condition_number() const;
  // Decompositions done so far (for benchmarks and tests of the lazy schedule).
  std::int64_t decompositions() const { return decompositions_; }
  Eigen::Index decomposition_gap() const { return decomposition_gap_; }
  // Covariance diagonal (internal coordinates).
  Eigen::VectorXd covariance_diagonal() const;

 private:
  void set_parameters();
  void decompose();
  // Whitened version of an internal step y: z with y = A z for the current factor A.
  Eigen::VectorXd whiten(const Eigen::VectorXd& y) const;
  Eigen::VectorXd to_user(const Eigen::VectorXd& internal) const;
  Eigen::VectorXd to_internal(const Eigen::VectorXd& user) const;
  std::vector<Eigen::Index> rank(const std::vector<double>& internal_fitness) const;
  // tell()'s steps: which evaluations failed (InputError for a bad call or too many
  // failures), best and mean bookkeeping, the CMA update, the stop tests.
  std::vector<bool> failed_evaluations(const std::vector<double>& fitness, const std::vector<bool>& missing) const;
  std::vector<double> record_evaluations(const std::vector<double>& fitness, const std::vector<bool>& failed);
  Eigen::VectorXd effective_weights(const std::vector<Eigen::Index>& order) const;
  void update_distribution(const std::vector<Eigen::Index>& order);
  void update_stop_reasons(const std::vector<double>& internal_fitness);
  double to_internal_fitness(double value) const;

  CmaOptions options_;
  BoxTransform transform_;
  Eigen::Index n_ = 0;
  Eigen::Index lambda_ = 0;
  Eigen::Index mu_ = 0;
  bool separable_ = false;
  bool use_cholesky_ = false;

  // Strategy parameters (fixed after construction).
  Eigen::VectorXd weights_;
  double mu_eff_ = 0.0;
  double c_sigma_ = 0.0;
  double d_sigma_ = 0.0;
  double c_c_ = 0.0;
  double c_1_ = 0.0;
  double c_mu_ = 0.0;
  double chi_n_ = 0.0;
  Eigen::Index decomposition_gap_ = 1;

  // Dynamic state.
  Rng rng_;
  Eigen::VectorXd mean_;
  double sigma_ = 0.0;
  Eigen::VectorXd path_sigma_;
  Eigen::VectorXd path_c_;
  Eigen::MatrixXd covariance_;      // full: lower triangle is authoritative
  Eigen::VectorXd diagonal_;        // separable covariance
  Eigen::MatrixXd factor_;          // eigenvectors B or Cholesky factor L
  Eigen::VectorXd scales_;          // eigen mode: D (square roots of the eigenvalues)
  Eigen::MatrixXd scratch_;         // eigen mode: workspace reused between decompositions
  std::int64_t decomposed_at_ = 0;  // generation of the last factorisation
  std::int64_t decompositions_ = 0;
  std::int64_t generation_ = 0;
  std::int64_t evaluations_ = 0;
  std::int64_t failed_ = 0;
  Eigen::VectorXd best_solution_;
  double best_fitness_ = 0.0;
  bool has_best_ = false;
  double mean_fitness_ = 0.0;
  std::vector<double> best_history_;    // internal (minimised) best per generation
  std::vector<double> median_history_;  // internal median per generation
  std::vector<StopReason> stop_reasons_;

  bool pending_ = false;
  Eigen::MatrixXd z_;           // whitened steps of the pending population
  Eigen::MatrixXd y_;           // steps in internal coordinates: x = mean + sigma * y
  Eigen::MatrixXd candidates_;  // user coordinates, returned by ask()
  Eigen::MatrixXd injected_;    // queued external solutions (user coordinates), one per column
};

}  // namespace evomem::evo
