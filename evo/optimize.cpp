#include "evo/optimize.h"

#include <chrono>

#include "core/error.h"

namespace evomem::evo {

OptimizeResult optimize(Strategy& strategy, const TestFunction& function) {
  if (strategy.dimension() != function.dimension) {
    throw InputError("strategy dimension " + std::to_string(strategy.dimension()) + " differs from test function '" +
                     function.name + "' dimension " + std::to_string(function.dimension));
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> fitness;
  while (!strategy.stop()) {
    const Eigen::MatrixXd& candidates = strategy.ask();
    fitness.resize(static_cast<std::size_t>(candidates.cols()));
    for (Eigen::Index k = 0; k < candidates.cols(); ++k)
      fitness[static_cast<std::size_t>(k)] = function(candidates.col(k));
    strategy.tell(fitness);
  }
  OptimizeResult result;
  result.function = function.name;
  result.dimension = function.dimension;
  result.evaluations = strategy.evaluations();
  result.generations = strategy.generation();
  result.final_fitness = strategy.best_fitness();
  result.stop_reasons = strategy.stop_reason_names();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.best_solution = strategy.best_solution();
  return result;
}

}  // namespace evomem::evo
