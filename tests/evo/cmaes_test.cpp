#include "evo/cmaes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "evo/optimize.h"
#include "evo/test_functions.h"

namespace evomem::evo {
namespace {

CmaOptions basic_options(Eigen::Index n = 5) {
  CmaOptions options;
  options.dimension = n;
  options.initial_mean_value = 1.0;
  options.sigma0 = 0.5;
  options.seed = 7;
  return options;
}

std::vector<double> sphere_values(const Eigen::MatrixXd& x) {
  std::vector<double> f;
  for (Eigen::Index k = 0; k < x.cols(); ++k) f.push_back(x.col(k).squaredNorm());
  return f;
}

TEST(CmaEs, DefaultParametersFollowTheTutorial) {
  CmaEs strategy(basic_options(10));
  EXPECT_EQ(strategy.offspring(), 4 + 6);  // 4 + floor(3 ln 10)
  EXPECT_EQ(strategy.parents(), 5);
  const Eigen::VectorXd& w = strategy.weights();
  EXPECT_NEAR(w.head(5).sum(), 1.0, 1e-12);
  for (Eigen::Index i = 1; i < w.size(); ++i) EXPECT_LT(w[i], w[i - 1]);
  EXPECT_LT(w[9], 0.0);  // active CMA: negative weights for the worst half
  EXPECT_NEAR(strategy.mu_eff(), 3.1672, 1e-3);
  EXPECT_EQ(strategy.population_size(), 10);
}

TEST(CmaEs, PassiveHasNoNegativeWeights) {
  CmaOptions options = basic_options(10);
  options.active = false;
  CmaEs strategy(options);
  EXPECT_GE(strategy.weights().minCoeff(), 0.0);
}

TEST(CmaEs, RejectsBadOptions) {
  CmaOptions options = basic_options();
  options.dimension = 0;
  EXPECT_THROW(CmaEs{options}, InputError);
  options = basic_options();
  options.sigma0 = 0.0;
  EXPECT_THROW(CmaEs{options}, InputError);
  options.sigma0 = -1.0;
  EXPECT_THROW(CmaEs{options}, InputError);
  options = basic_options();
  options.lower = Eigen::VectorXd::Constant(5, 1.0);
  options.upper = Eigen::VectorXd::Constant(5, 2.0);
  options.upper[3] = 0.5;
  EXPECT_THROW(CmaEs{options}, InputError);
  options = basic_options();
  options.initial_mean = Eigen::VectorXd::Zero(4);
  EXPECT_THROW(CmaEs{options}, InputError);
  options = basic_options();
  options.scaling = Eigen::VectorXd::Constant(5, -1.0);
  EXPECT_THROW(CmaEs{options}, InputError);
  options = basic_options();
  options.population_size = 1;
  EXPECT_THROW(CmaEs{options}, InputError);
}

TEST(CmaEs, BadOptionMessageNamesTheProblem) {
  CmaOptions options = basic_options();
  options.sigma0 = -2.0;
  try {
    CmaEs strategy(options);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("initial sigma"), std::string::npos) << error.what();
  }
}

TEST(CmaEs, WrongFitnessCountIsRejected) {
  CmaEs strategy(basic_options());
  const Eigen::MatrixXd& x = strategy.ask();
  std::vector<double> f = sphere_values(x);
  f.pop_back();
  EXPECT_THROW(strategy.tell(f), InputError);
  EXPECT_THROW(strategy.tell(sphere_values(x), std::vector<bool>(3, false)), InputError);
  // The refused tell left the population pending; a correct one is accepted.
  EXPECT_NO_THROW(strategy.tell(sphere_values(strategy.ask())));
  EXPECT_THROW(strategy.tell(sphere_values(x)), InputError);  // no pending ask
}

TEST(CmaEs, AskTwiceReturnsTheSamePopulation) {
  CmaEs strategy(basic_options());
  const Eigen::MatrixXd first = strategy.ask();
  const Eigen::MatrixXd second = strategy.ask();
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.rows(), 5);
  EXPECT_EQ(first.cols(), strategy.population_size());
}

TEST(CmaEs, FailedEvaluationsRankWorstAndAreCounted) {
  CmaOptions options = basic_options(10);
  options.population_size = 20;
  options.max_failed_fraction = 0.2;
  CmaEs strategy(options);
  std::vector<double> f = sphere_values(strategy.ask());
  f[0] = std::numeric_limits<double>::quiet_NaN();
  f[1] = std::numeric_limits<double>::infinity();
  std::vector<bool> missing(20, false);
  missing[2] = true;
  strategy.tell(f, missing);
  EXPECT_EQ(strategy.failed_evaluations(), 3);
  EXPECT_EQ(strategy.evaluations(), 20);
  // The best solution is never a failed one.
  double best_valid = std::numeric_limits<double>::infinity();
  for (int k = 3; k < 20; ++k) best_valid = std::min(best_valid, f[static_cast<std::size_t>(k)]);
  EXPECT_EQ(strategy.best_fitness(), best_valid);

  // A generation where a failed candidate would otherwise be the best: the mean must move
  // toward valid good points, not toward the failed one.
  const Eigen::MatrixXd x = strategy.ask();
  std::vector<double> g = sphere_values(x);
  g[5] = kMissingFitness;
  EXPECT_NO_THROW(strategy.tell(g));
  EXPECT_EQ(strategy.failed_evaluations(), 4);
}

TEST(CmaEs, TooManyFailuresFailTheGeneration) {
  CmaOptions options = basic_options(10);
  options.population_size = 10;
  options.max_failed_fraction = 0.2;
  CmaEs strategy(options);
  std::vector<double> f = sphere_values(strategy.ask());
  f[0] = f[1] = f[2] = std::numeric_limits<double>::quiet_NaN();
  try {
    strategy.tell(f);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("3 of 10 evaluations failed"), std::string::npos) << error.what();
  }
  EXPECT_EQ(strategy.generation(), 0);
  EXPECT_EQ(strategy.failed_evaluations(), 0);
}

TEST(CmaEs, MaximizationFindsTheMaximum) {
  CmaOptions options = basic_options(4);
  options.direction = Direction::kMaximize;
  options.stop.max_generations = 300;
  CmaEs strategy(options);
  while (!strategy.stop()) {
    std::vector<double> f = sphere_values(strategy.ask());
    for (double& v : f) v = 5.0 - v;
    strategy.tell(f);
  }
  EXPECT_GT(strategy.best_fitness(), 5.0 - 1e-8);
  EXPECT_LT(strategy.best_solution().norm(), 1e-3);
}

TEST(CmaEs, MirroredSamplingPairsSteps) {
  CmaOptions options = basic_options(6);
  options.mirrored = true;
  options.population_size = 8;
  options.initial_mean_value = 0.0;
  CmaEs strategy(options);
  const Eigen::MatrixXd x = strategy.ask();
  for (Eigen::Index k = 0; k + 1 < 8; k += 2) EXPECT_LT((x.col(k) + x.col(k + 1)).norm(), 1e-12);
  options.stop.has_target = true;
  options.stop.target_fitness = 1e-10;
  options.stop.max_evaluations = 20000;
  options.initial_mean_value = 1.0;
  CmaEs run(options);
  const OptimizeResult result = optimize(run, make_test_function("sphere", 6));
  EXPECT_LE(result.final_fitness, 1e-10);
}

TEST(CmaEs, InjectedSolutionIsEvaluatedAndCanWin) {
  CmaOptions options = basic_options(5);
  CmaEs strategy(options);
  const Eigen::VectorXd optimum = Eigen::VectorXd::Zero(5);
  strategy.inject(optimum);
  const Eigen::MatrixXd x = strategy.ask();
  EXPECT_EQ(x.col(0), optimum);
  strategy.tell(sphere_values(x));
  EXPECT_EQ(strategy.best_fitness(), 0.0);
  // The injected step pulled the mean toward the optimum more than a normal step would.
  EXPECT_LT(strategy.mean().norm(), Eigen::VectorXd::Ones(5).norm());
  EXPECT_THROW(strategy.inject(Eigen::VectorXd::Zero(4)), InputError);
}

TEST(CmaEs, EvaluatesTheMeanWhenAsked) {
  CmaOptions options = basic_options(5);
  options.evaluate_mean = true;
  options.recommendation = Recommendation::kMean;
  CmaEs strategy(options);
  const Eigen::MatrixXd x = strategy.ask();
  EXPECT_EQ(x.cols(), strategy.offspring() + 1);
  EXPECT_EQ(x.col(x.cols() - 1), strategy.mean());
  strategy.tell(sphere_values(x));
  EXPECT_DOUBLE_EQ(strategy.mean_fitness(), x.col(x.cols() - 1).squaredNorm());
  EXPECT_EQ(strategy.evaluations(), strategy.offspring() + 1);
  EXPECT_EQ(strategy.recommendation(), strategy.mean());
}

TEST(CmaEs, BoundsAreRespectedAndTheBoundaryOptimumIsFound) {
  CmaOptions options = basic_options(4);
  options.lower = Eigen::VectorXd::Constant(4, 0.5);
  options.upper = Eigen::VectorXd::Constant(4, 3.0);
  options.initial_mean_value = 2.0;
  options.stop.max_generations = 400;
  CmaEs strategy(options);
  while (!strategy.stop()) {
    const Eigen::MatrixXd& x = strategy.ask();
    EXPECT_GE(x.minCoeff(), 0.5);
    EXPECT_LE(x.maxCoeff(), 3.0);
    strategy.tell(sphere_values(x));
  }
  EXPECT_NEAR(strategy.best_fitness(), 4 * 0.25, 1e-6);
}

TEST(CmaEs, ScalingSetsPerCoordinateStepSizes) {
  CmaOptions options = basic_options(2);
  options.initial_mean_value = 0.0;
  options.scaling = Eigen::Vector2d(1.0, 100.0);
  options.population_size = 2000;
  CmaEs strategy(options);
  const Eigen::MatrixXd x = strategy.ask();
  const double spread0 = std::sqrt(x.row(0).squaredNorm() / 2000.0);
  const double spread1 = std::sqrt(x.row(1).squaredNorm() / 2000.0);
  EXPECT_NEAR(spread0, 0.5, 0.05);
  EXPECT_NEAR(spread1, 50.0, 5.0);
}

TEST(CmaEs, EigenAndCholeskyBothConverge) {
  for (Decomposition decomposition : {Decomposition::kEigen, Decomposition::kCholesky}) {
    CmaOptions options = basic_options(12);
    options.decomposition = decomposition;
    options.stop.has_target = true;
    options.stop.target_fitness = 1e-8;
    options.stop.max_evaluations = 40000;
    CmaEs strategy(options);
    EXPECT_EQ(strategy.uses_cholesky(), decomposition == Decomposition::kCholesky);
    const OptimizeResult result = optimize(strategy, make_test_function("rotated_ellipsoid", 12));
    EXPECT_LE(result.final_fitness, 1e-8) << to_string(decomposition);
    EXPECT_EQ(result.stop_reasons, std::vector<std::string>{"target_fitness"});
    EXPECT_GT(strategy.condition_number(), 1e4) << "the covariance should have learnt the conditioning";
  }
}

TEST(CmaEs, LazyDecompositionFollowsTheTutorialGap) {
  CmaOptions options = basic_options(600);
  options.population_size = 32;
  CmaEs strategy(options);
  EXPECT_TRUE(strategy.uses_cholesky());
  const Eigen::Index gap = strategy.decomposition_gap();
  EXPECT_GT(gap, 1);
  for (int g = 0; g < 3 * gap; ++g) strategy.tell(sphere_values(strategy.ask()));
  EXPECT_EQ(strategy.decompositions(), 2);  // at generations gap and 2 gap
}

TEST(CmaEs, StopCriteriaAreReportedByName) {
  CmaOptions options = basic_options(3);
  options.stop.max_generations = 5;
  CmaEs generations(options);
  optimize(generations, make_test_function("sphere", 3));
  EXPECT_EQ(generations.stop_reason_names(), std::vector<std::string>{"max_generations"});

  options = basic_options(3);
  options.stop.max_evaluations = 30;
  CmaEs evaluations(options);
  optimize(evaluations, make_test_function("sphere", 3));
  EXPECT_EQ(evaluations.stop_reason_names(), std::vector<std::string>{"max_evaluations"});
  EXPECT_GE(evaluations.evaluations(), 30);

  // Without a target, the sphere run ends by tolx or tolfun once sigma collapses.
  options = basic_options(3);
  CmaEs converged(options);
  optimize(converged, make_test_function("sphere", 3));
  const auto reasons = converged.stop_reason_names();
  ASSERT_FALSE(reasons.empty());
  EXPECT_TRUE(reasons[0] == "tolfun" || reasons[0] == "tolx") << reasons[0];

  // A flat function never improves: stagnation or tolfun.
  options = basic_options(3);
  options.stop.tolfun = 0.0;
  options.stop.tolx = 0.0;
  CmaEs flat(options);
  TestFunction constant{"constant", 3, [](const Eigen::Ref<const Eigen::VectorXd>&) { return 1.0; }};
  optimize(flat, constant);
  EXPECT_EQ(flat.stop_reason_names(), std::vector<std::string>{"stagnation"});

  // An ill-conditioned problem run without tolerances hits the condition limit.
  options = basic_options(3);
  options.stop.tolfun = 0.0;
  options.stop.tolx = 0.0;
  options.stop.stagnation = false;
  options.stop.max_condition = 1e8;
  CmaEs conditioned(options);
  TestFunction ill{"ill", 3, [](const Eigen::Ref<const Eigen::VectorXd>& x) {
                     return x[0] * x[0] + 1e12 * (x[1] * x[1] + x[2] * x[2]);
                   }};
  optimize(conditioned, ill);
  EXPECT_EQ(conditioned.stop_reason_names(), std::vector<std::string>{"condition"});
}

TEST(CmaEs, SameSeedSameTrajectoryOtherSeedDifferent) {
  auto run = [](std::uint64_t seed) {
    CmaOptions options = basic_options(8);
    options.seed = seed;
    options.stop.max_generations = 30;
    CmaEs strategy(options);
    optimize(strategy, make_test_function("rosenbrock", 8));
    return strategy.mean();
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(CmaEs, InMemoryStateRoundTripContinuesIdentically) {
  for (CovarianceModel model : {CovarianceModel::kFull, CovarianceModel::kSeparable}) {
    for (Decomposition decomposition : {Decomposition::kEigen, Decomposition::kCholesky}) {
      CmaOptions options = basic_options(9);
      options.covariance = model;
      options.decomposition = decomposition;
      const TestFunction f = make_test_function("rotated_ellipsoid", 9);
      CmaEs reference(options);
      CmaEs first(options);
      auto step = [&](CmaEs& s) {
        const Eigen::MatrixXd& x = s.ask();
        std::vector<double> values;
        for (Eigen::Index k = 0; k < x.cols(); ++k) values.push_back(f(x.col(k)));
        s.tell(values);
      };
      for (int g = 0; g < 17; ++g) {
        step(reference);
        step(first);
      }
      first.ask();  // saved with a pending population
      const StrategyState saved = first.state();
      CmaEs second(options);
      second.restore(saved);
      for (int g = 0; g < 25; ++g) {
        step(reference);
        step(second);
        ASSERT_EQ(reference.mean(), second.mean()) << "generation " << g;
        ASSERT_EQ(reference.sigma(), second.sigma());
      }
      EXPECT_EQ(reference.best_fitness(), second.best_fitness());
      EXPECT_EQ(reference.covariance_diagonal(), second.covariance_diagonal());
    }
  }
}

TEST(CmaEs, RestoreRefusesMismatchedState) {
  CmaEs full(basic_options(5));
  CmaOptions other = basic_options(6);
  CmaEs wider(other);
  EXPECT_THROW(wider.restore(full.state()), FormatError);
  CmaOptions sep = basic_options(5);
  sep.covariance = CovarianceModel::kSeparable;
  CmaEs separable(sep);
  EXPECT_THROW(separable.restore(full.state()), FormatError);
  StrategyState broken = full.state();
  broken.arrays.erase("path_c");
  CmaEs fresh(basic_options(5));
  EXPECT_THROW(fresh.restore(broken), FormatError);
}

}  // namespace
}  // namespace evomem::evo
