#include "evo/stop_criteria.h"

#include <algorithm>
#include <cmath>

#include "evo/statistics.h"

namespace evomem::evo {
namespace {

bool max_generations(const StopContext& c) {
  return c.stop.max_generations > 0 && c.generation >= c.stop.max_generations;
}

bool max_evaluations(const StopContext& c) {
  return c.stop.max_evaluations > 0 && c.evaluations >= c.stop.max_evaluations;
}

bool target_fitness(const StopContext& c) { return c.stop.has_target && c.has_best && c.best <= c.target; }

// Recent best values and the current generation all within tolfun.
bool tolfun(const StopContext& c) {
  const auto window = static_cast<std::size_t>(10 + std::ceil(30.0 * c.dimension / c.population));
  if (!(c.stop.tolfun > 0.0 && c.best_history.size() >= window && !c.valid.empty())) return false;
  double low = *std::min_element(c.valid.begin(), c.valid.end());
  double high = *std::max_element(c.valid.begin(), c.valid.end());
  for (std::size_t k = c.best_history.size() - window; k < c.best_history.size(); ++k) {
    low = std::min(low, c.best_history[k]);
    high = std::max(high, c.best_history[k]);
  }
  return high - low < c.stop.tolfun;
}

bool tolx(const StopContext& c) {
  if (!(c.stop.tolx > 0.0)) return false;
  const Eigen::VectorXd variances = c.variances();
  bool small = true;
  for (Eigen::Index j = 0; j < variances.size() && small; ++j) {
    small = c.sigma * std::max(std::sqrt(std::max(variances[j], 0.0)), std::abs(c.path_c[j])) < c.stop.tolx;
  }
  return small;
}

bool condition(const StopContext& c) {
  return c.stop.max_condition > 0.0 && c.condition_number() > c.stop.max_condition;
}

// Hansen (2009): over the last 20% of the run (at least 120 + 30 n / lambda generations), the
// median of the latest 30% of both the best and the median values is no better than the
// median of the earliest 30%.
bool stagnation(const StopContext& c) {
  if (!c.stop.stagnation) return false;
  const auto minimum = static_cast<std::size_t>(120 + std::ceil(30.0 * c.dimension / c.population));
  const std::size_t span = std::min(
      c.max_history, std::max(minimum, static_cast<std::size_t>(0.2 * static_cast<double>(c.generation))));
  if (!(c.best_history.size() >= span && static_cast<std::size_t>(c.generation) >= span)) return false;
  const std::size_t part = std::max<std::size_t>(1, static_cast<std::size_t>(0.3 * static_cast<double>(span)));
  auto stagnant = [&](const std::vector<double>& history) {
    const auto end = history.end();
    const auto begin = end - static_cast<std::ptrdiff_t>(span);
    const double early = median(std::vector<double>(begin, begin + static_cast<std::ptrdiff_t>(part)));
    const double late = median(std::vector<double>(end - static_cast<std::ptrdiff_t>(part), end));
    return !(late < early);
  };
  return stagnant(c.best_history) && stagnant(c.median_history);
}

struct StopTest {
  StopReason reason;
  bool (*holds)(const StopContext&);
};

constexpr StopTest kStopTests[] = {
    {StopReason::kMaxGenerations, max_generations},
    {StopReason::kMaxEvaluations, max_evaluations},
    {StopReason::kTargetFitness, target_fitness},
    {StopReason::kTolFun, tolfun},
    {StopReason::kTolX, tolx},
    {StopReason::kCondition, condition},
    {StopReason::kStagnation, stagnation},
};

}  // namespace

std::vector<StopReason> reached_stop_criteria(const StopContext& context) {
  std::vector<StopReason> reasons;
  for (const StopTest& test : kStopTests) {
    if (test.holds(context)) reasons.push_back(test.reason);
  }
  return reasons;
}

}  // namespace evomem::evo
