#pragma once
// Runs a strategy to termination on a built-in test function: the engine of
// `evomem optimize`, the convergence tests and the evaluations-to-target benchmark.

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "evo/strategy.h"
#include "evo/test_functions.h"

namespace evomem::evo {

struct OptimizeResult {
  std::string function;
  Eigen::Index dimension = 0;
  std::int64_t evaluations = 0;
  std::int64_t generations = 0;
  double final_fitness = 0.0;  // best fitness found
  std::vector<std::string> stop_reasons;
  double wall_seconds = 0.0;
  Eigen::VectorXd best_solution;
};

// ask/evaluate/tell until strategy.stop(). The strategy must minimise.
OptimizeResult optimize(Strategy& strategy, const TestFunction& function);

}  // namespace evomem::evo
