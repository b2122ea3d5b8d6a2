#pragma once
// The stop tests of CMA-ES after a generation, as one table (stop_criteria.cpp): each
// StopReason with the test that raises it, in the order the reasons are reported.

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <vector>

#include "evo/strategy.h"

namespace evomem::evo {

// What the tests read. Fitness values are internal (minimised).
struct StopContext {
  const StopCriteria& stop;
  std::int64_t generation = 0;   // generations done
  std::int64_t evaluations = 0;  // evaluations done
  bool has_best = false;
  double best = 0.0;                          // best so far
  double target = 0.0;                        // stop.target_fitness, internal
  const std::vector<double>& valid;           // this generation's finite values
  const std::vector<double>& best_history;    // best per generation, oldest first
  const std::vector<double>& median_history;  // median per generation, oldest first
  std::size_t max_history = 0;                // the histories keep at most this many
  double dimension = 0.0;
  double population = 0.0;
  double sigma = 0.0;
  const Eigen::VectorXd& path_c;
  std::function<Eigen::VectorXd()> variances;  // diagonal of C (computed only when needed)
  std::function<double()> condition_number;
};

// Every reason whose test holds, in table order.
std::vector<StopReason> reached_stop_criteria(const StopContext& context);

}  // namespace evomem::evo
