#include "evo/restarts.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "evo/optimize.h"
#include "evo/strategy_factory.h"
#include "evo/test_functions.h"

namespace evomem::evo {
namespace {

CmaOptions rastrigin_options(std::uint64_t seed) {
  CmaOptions options;
  options.dimension = 5;
  options.initial_mean_value = 3.0;
  options.sigma0 = 2.0;
  options.seed = seed;
  options.stop.has_target = true;
  options.stop.target_fitness = 1e-8;
  options.stop.max_evaluations = 100000;
  return options;
}

TEST(Restarts, IpopDoublesThePopulationAfterALocalStop) {
  RestartOptions restart;
  restart.max_restarts = 3;
  RestartStrategy strategy(rastrigin_options(1), restart);
  const Eigen::Index first = strategy.current_run().offspring();
  TestFunction f = make_test_function("rastrigin", 5);
  while (!strategy.stop() && strategy.restarts() == 0) {
    const Eigen::MatrixXd& x = strategy.ask();
    std::vector<double> values;
    for (Eigen::Index k = 0; k < x.cols(); ++k) values.push_back(f(x.col(k)));
    strategy.tell(values);
  }
  if (strategy.restarts() == 1) {
    EXPECT_EQ(strategy.current_run().offspring(), 2 * first);
    EXPECT_EQ(strategy.current_run().generation(), 0);
    ASSERT_EQ(strategy.run_log().size(), 1u);
    EXPECT_EQ(strategy.run_log()[0].rfind("lambda=", 0), 0u);
  } else {
    // The first run solved it: the target is a global criterion, no restart.
    EXPECT_EQ(strategy.stop_reason_names(), std::vector<std::string>{"target_fitness"});
  }
}

TEST(Restarts, GlobalBudgetCoversAllRuns) {
  CmaOptions options = rastrigin_options(2);
  options.dimension = 8;
  options.stop.has_target = false;
  options.stop.max_evaluations = 6000;
  options.stop.tolfun = 1e-2;
  auto strategy = make_strategy(StrategyKind::kIpop, options);
  const OptimizeResult result = optimize(*strategy, make_test_function("rastrigin", 8));
  EXPECT_GE(result.evaluations, 6000);
  EXPECT_LT(result.evaluations, 6000 + 8 * 64);
  EXPECT_EQ(result.stop_reasons, std::vector<std::string>{"max_evaluations"});
  EXPECT_GT(static_cast<const RestartStrategy&>(*strategy).restarts(), 0);
}

TEST(Restarts, MaxRestartsIsReportedByName) {
  CmaOptions options = rastrigin_options(3);
  options.stop.has_target = false;
  options.stop.tolfun = 1e-1;
  RestartOptions restart;
  restart.max_restarts = 2;
  RestartStrategy strategy(options, restart);
  optimize(strategy, make_test_function("rastrigin", 5));
  const auto names = strategy.stop_reason_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "max_restarts");
  EXPECT_EQ(strategy.restarts(), 2);
  EXPECT_EQ(strategy.run_log().size(), 2u);
}

TEST(Restarts, BipopSolvesRastrigin5) {
  auto strategy = make_strategy(StrategyKind::kBipop, rastrigin_options(4));
  const OptimizeResult result = optimize(*strategy, make_test_function("rastrigin", 5));
  EXPECT_LE(result.final_fitness, 1e-8);
}

TEST(Restarts, RejectsBadOptions) {
  RestartOptions restart;
  restart.population_factor = 1.0;
  EXPECT_THROW(RestartStrategy(rastrigin_options(1), restart), InputError);
  EXPECT_THROW(parse_strategy_kind("nes"), InputError);
}

}  // namespace
}  // namespace evomem::evo
