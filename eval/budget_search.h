#pragma once
// Finding the absolute cache budget (tokens per KV head) at which a policy keeps a target
// share of the tokens. `evomem compare` uses it to give every baseline the retained fraction
// of the policy under test: a baseline's retained fraction grows with its budget, so a
// bracketing search over integer budgets converges; each probe is an evaluation, so the next
// budget is interpolated inside the bracket (every second probe bisects it, so the bracket at
// least halves every two probes whatever the curve looks like).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace evomem::eval {

struct BudgetProbe {
  std::int64_t budget = 0;
  double retained = 0.0;
};

struct BudgetSearchOptions {
  double target = 0.0;      // retained fraction to reach
  double tolerance = 0.01;  // |retained - target| allowed (0.01: one percentage point)
  std::int64_t min_budget = 1;
  std::int64_t max_budget = 0;   // the largest budget worth trying (e.g. the longest sequence)
  std::int64_t first_guess = 0;  // clamped into [min_budget, max_budget]
  int max_probes = 24;
};

struct BudgetSearchResult {
  std::int64_t budget = 0;
  double retained = 0.0;
  std::vector<BudgetProbe> probes;  // in the order they ran, the last one the match
};

// Calls `measure(budget)` (the retained fraction at that budget, non-decreasing in the budget)
// until a probe lies within the tolerance. InputError naming `what` when no budget can match:
// the smallest budget keeps too much (a target below one token per head), the largest keeps
// too little, the fraction jumps over the target between two neighbouring budgets, or the
// probes run out.
BudgetSearchResult search_budget(const std::function<double(std::int64_t)>& measure, const BudgetSearchOptions& options,
                                 const std::string& what);

}  // namespace evomem::eval
