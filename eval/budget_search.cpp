#include "eval/budget_search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/error.h"

namespace evomem::eval {
namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * fraction);
  return text;
}

// The next budget from a one-sided bracket: scale the budget by target / retained (the
// fraction is close to proportional to the budget), moving at least one token.
std::int64_t extrapolate(const BudgetProbe& probe, double target, const BudgetSearchOptions& options) {
  const double scaled = probe.retained > 0.0 ? static_cast<double>(probe.budget) * target / probe.retained
                                             : 2.0 * static_cast<double>(probe.budget);
  auto next = static_cast<std::int64_t>(std::llround(scaled));
  if (probe.retained < target) next = std::max(next, probe.budget + 1);
  if (probe.retained > target) next = std::min(next, probe.budget - 1);
  return std::clamp(next, options.min_budget, options.max_budget);
}

// The next budget strictly inside (low, high): interpolated on even steps, the midpoint on odd.
std::int64_t inside(const BudgetProbe& low, const BudgetProbe& high, double target, std::size_t step) {
  double guess = 0.5 * static_cast<double>(low.budget + high.budget);
  if (step % 2 == 0 && high.retained > low.retained) {
    guess = static_cast<double>(low.budget) +
            (target - low.retained) * static_cast<double>(high.budget - low.budget) / (high.retained - low.retained);
  }
  return std::clamp(static_cast<std::int64_t>(std::llround(guess)), low.budget + 1, high.budget - 1);
}

}  // namespace

BudgetSearchResult search_budget(const std::function<double(std::int64_t)>& measure, const BudgetSearchOptions& options,
                                 const std::string& what) {
  if (options.min_budget < 1 || options.max_budget < options.min_budget) {
    throw InputError(what + ": no budget to search (the samples are empty?)");
  }
  const double target = options.target;
  BudgetSearchResult result;
  std::optional<BudgetProbe> low;   // the largest budget that keeps too little
  std::optional<BudgetProbe> high;  // the smallest budget that keeps too much
  std::int64_t budget = std::clamp(options.first_guess, options.min_budget, options.max_budget);
  for (int probe_index = 0; probe_index < options.max_probes; ++probe_index) {
    const BudgetProbe probe{budget, measure(budget)};
    result.probes.push_back(probe);
    if (std::abs(probe.retained - target) <= options.tolerance) {
      result.budget = probe.budget;
      result.retained = probe.retained;
      return result;
    }
    if (probe.retained < target) {
      if (probe.budget == options.max_budget) {
        throw InputError(what + ": even " + std::to_string(probe.budget) + " tokens per head keep only " +
                         percent(probe.retained) + " of the tokens, below the target " + percent(target));
      }
      if (!low || probe.budget > low->budget) low = probe;
    } else {
      if (probe.budget == options.min_budget) {
        throw InputError(what + ": even " + std::to_string(probe.budget) + " token(s) per head keep " +
                         percent(probe.retained) + " of the tokens, above the target " + percent(target) +
                         " (the target is below what the smallest budget keeps)");
      }
      if (!high || probe.budget < high->budget) high = probe;
    }
    if (low && high) {
      if (high->budget - low->budget <= 1) {
        throw InputError(what + ": the retained fraction jumps from " + percent(low->retained) + " at " +
                         std::to_string(low->budget) + " tokens per head to " + percent(high->retained) + " at " +
                         std::to_string(high->budget) + ", past the target " + percent(target) + " +- " +
                         percent(options.tolerance));
      }
      budget = inside(*low, *high, target, result.probes.size());
    } else {
      budget = extrapolate(probe, target, options);
    }
  }
  throw InputError(what + ": no budget within " + percent(options.tolerance) + " of " + percent(target) + " after " +
                   std::to_string(options.max_probes) + " probes");
}

}  // namespace evomem::eval
