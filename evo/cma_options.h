#pragma once
// The options of a CMA-ES instance (evo/cmaes.h) and their validation.

#include <Eigen/Core>

#include <cstdint>
#include <string>

#include "evo/strategy.h"

namespace evomem::evo {

enum class CovarianceModel { kFull, kSeparable };
// How the full covariance is factorised; kAuto uses the eigendecomposition below
// kCholeskyFromDimension and the Cholesky factor from there on.
enum class Decomposition { kAuto, kEigen, kCholesky };
// What recommendation() exports.
enum class Recommendation { kBest, kMean };

inline constexpr Eigen::Index kCholeskyFromDimension = 200;

Decomposition parse_decomposition(const std::string& text);
std::string to_string(Decomposition decomposition);
Recommendation parse_recommendation(const std::string& text);

struct CmaOptions {
  Eigen::Index dimension = 0;
  // Initial mean in user coordinates: the vector if given, else initial_mean_value everywhere.
  Eigen::VectorXd initial_mean;
  double initial_mean_value = 0.0;
  double sigma0 = 0.0;
  // Per-coordinate scale: the strategy searches u with x = scaling .* u, so sigma0 is
  // relative to each coordinate's scale. Empty = all ones.
  Eigen::VectorXd scaling;
  // Box bounds (user coordinates) through BoxTransform; empty = unbounded.
  Eigen::VectorXd lower;
  Eigen::VectorXd upper;
  // 0 = 4 + floor(3 ln n), and floor(lambda / 2) parents.
  Eigen::Index population_size = 0;
  Eigen::Index parent_count = 0;
  bool active = true;
  // Samples pairs z, -z; only the better of each pair can get a positive weight (pairwise
  // selection), which avoids the step-size bias of plain mirroring.
  bool mirrored = false;
  // Appends the mean as an extra last column of ask(); its fitness is recorded (mean_fitness)
  // and counts for best tracking, but not for the update.
  bool evaluate_mean = false;
  Recommendation recommendation = Recommendation::kBest;
  CovarianceModel covariance = CovarianceModel::kFull;
  Decomposition decomposition = Decomposition::kAuto;
  Direction direction = Direction::kMinimize;
  std::uint64_t seed = 1;
  // A generation with more failed evaluations than this fraction of lambda is refused.
  double max_failed_fraction = 0.15;
  double mean_learning_rate = 1.0;
  StopCriteria stop;
};

// Throws InputError naming the option if `options` cannot define a strategy.
void validate(const CmaOptions& options);

}  // namespace evomem::evo
