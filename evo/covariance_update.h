#pragma once
// The covariance update of one CMA-ES generation (Hansen's tutorial, eq. 47 with active
// negative weights): decay, rank-one term from the evolution path p_c, rank-mu term from the
// ranked steps. One type per covariance model, so that CmaEs::tell reads as the tutorial's
// steps and each model's numerics (SYRK on a lower triangle, or elementwise on a diagonal)
// stay in one place.

#include <Eigen/Core>

#include <vector>

namespace evomem::evo {

// What both models read. Weights are the effective recombination weights in rank order (the
// negative ones already rescaled by n / ||z||^2).
struct RankUpdate {
  const Eigen::MatrixXd& steps;            // y, one column per candidate
  const std::vector<Eigen::Index>& order;  // candidate columns, best first
  const Eigen::VectorXd& weights;          // effective weight of rank i
  const Eigen::VectorXd& path;             // p_c
  double decay = 1.0;                      // 1 + c1 delta(h_sigma) - c1 - c_mu sum(w)
  double c_1 = 0.0;
  double c_mu = 0.0;
};

// Full covariance: only the lower triangle is maintained. Rank-one and positive rank-mu
// terms are one SYRK (p_c is an extra column), the negative rank-mu terms a second one.
class FullCovarianceUpdate {
 public:
  static void apply(const RankUpdate& update, Eigen::MatrixXd& lower);
};

// Separable (diagonal) covariance. A diagonal entry the negative terms drive non-positive
// keeps only the positive part, and if that is not positive either, its old value.
class SeparableCovarianceUpdate {
 public:
  static void apply(const RankUpdate& update, Eigen::VectorXd& diagonal);
};

}  // namespace evomem::evo
