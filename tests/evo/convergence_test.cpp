// Evaluations to f <= 1e-8 against the reference medians of plain CMA-ES (REFERENCE.md),
// sep-CMA versus full CMA on the separable ellipsoid, and IPOP on Rastrigin.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "evo/optimize.h"
#include "evo/strategy_factory.h"

namespace evomem::evo {
namespace {

struct RunSetup {
  std::string function;
  Eigen::Index dimension;
  double x0;
  double sigma0;
};

// Evaluations to reach the target, or +inf when the run stopped without reaching it.
double evaluations_to_target(StrategyKind kind, const RunSetup& setup, std::uint64_t seed,
                             std::int64_t max_evaluations) {
  CmaOptions options;
  options.dimension = setup.dimension;
  options.initial_mean_value = setup.x0;
  options.sigma0 = setup.sigma0;
  options.seed = seed;
  options.stop.has_target = true;
  options.stop.target_fitness = 1e-8;
  options.stop.max_evaluations = max_evaluations;
  auto strategy = make_strategy(kind, options);
  const OptimizeResult result = optimize(*strategy, make_test_function(setup.function, setup.dimension));
  if (result.final_fitness > 1e-8) return std::numeric_limits<double>::infinity();
  return static_cast<double>(result.evaluations);
}

double median_evaluations(StrategyKind kind, const RunSetup& setup, int seeds, std::int64_t max_evaluations) {
  std::vector<double> runs;
  for (int seed = 1; seed <= seeds; ++seed) runs.push_back(evaluations_to_target(kind, setup, seed, max_evaluations));
  std::sort(runs.begin(), runs.end());
  const std::size_t middle = runs.size() / 2;
  return runs.size() % 2 == 1 ? runs[middle] : 0.5 * (runs[middle - 1] + runs[middle]);
}

void expect_within_reference(const RunSetup& setup, int seeds, double reference) {
  const double median = median_evaluations(StrategyKind::kCmaes, setup, seeds,
                                           static_cast<std::int64_t>(20 * reference));
  ::testing::Test::RecordProperty("median_evaluations", std::to_string(median));
  EXPECT_LE(median, 1.2 * reference) << setup.function << " " << setup.dimension << "-D median " << median;
  // A median far below the reference would mean the test is not measuring what it claims.
  EXPECT_GE(median, 0.3 * reference) << setup.function << " " << setup.dimension << "-D median " << median;
}

TEST(EvoConvergence, Sphere10) { expect_within_reference({"sphere", 10, 1.0, 1.0}, 10, 1450); }
TEST(EvoConvergence, Ellipsoid10) { expect_within_reference({"ellipsoid", 10, 0.1, 0.5}, 10, 5905); }
TEST(EvoConvergence, RotatedEllipsoid10) { expect_within_reference({"rotated_ellipsoid", 10, 0.1, 0.5}, 10, 5905); }
TEST(EvoConvergence, Rosenbrock10) { expect_within_reference({"rosenbrock", 10, 0.1, 0.5}, 10, 6055); }
TEST(EvoConvergence, Sphere40) { expect_within_reference({"sphere", 40, 1.0, 1.0}, 5, 5100); }
TEST(EvoConvergence, Ellipsoid40) { expect_within_reference({"ellipsoid", 40, 0.1, 0.5}, 5, 67935); }
TEST(EvoConvergence, Rosenbrock40) { expect_within_reference({"rosenbrock", 40, 0.1, 0.5}, 5, 77865); }

TEST(EvoConvergence, SepBeatsFullOnSeparableEllipsoid40) {
  const RunSetup setup{"ellipsoid", 40, 0.1, 0.5};
  const double full = median_evaluations(StrategyKind::kCmaes, setup, 5, 400000);
  const double sep = median_evaluations(StrategyKind::kSep, setup, 5, 400000);
  ::testing::Test::RecordProperty("full", std::to_string(full));
  ::testing::Test::RecordProperty("sep", std::to_string(sep));
  EXPECT_LT(sep, full) << "sep " << sep << " full " << full;
}

TEST(EvoConvergence, IpopSolvesRastrigin10) {
  int solved = 0;
  for (int seed = 1; seed <= 10; ++seed) {
    if (std::isfinite(evaluations_to_target(StrategyKind::kIpop, {"rastrigin", 10, 3.0, 2.0}, seed, 400000))) ++solved;
  }
  EXPECT_GE(solved, 8);
}

TEST(EvoConvergence, PlainCmaesRarelySolvesRastrigin10) {
  // The contrast that makes the IPOP test meaningful: one default-population run gets stuck.
  int solved = 0;
  for (int seed = 1; seed <= 10; ++seed) {
    if (std::isfinite(evaluations_to_target(StrategyKind::kCmaes, {"rastrigin", 10, 3.0, 2.0}, seed, 400000))) ++solved;
  }
  EXPECT_LE(solved, 3);
}

}  // namespace
}  // namespace evomem::evo
