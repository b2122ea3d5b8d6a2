// The budget search behind `evomem compare`'s matched cache, on retained-fraction curves of
// known shape.

#include "eval/budget_search.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace evomem::eval {
namespace {

BudgetSearchOptions options(double target, std::int64_t first_guess, std::int64_t max_budget = 1040) {
  BudgetSearchOptions out;
  out.target = target;
  out.first_guess = first_guess;
  out.max_budget = max_budget;
  return out;
}

// A fixed budget B on 1,040-token sequences with 16 tokens after the last update point.
double fixed_budget_curve(std::int64_t budget) {
  return static_cast<double>(std::min<std::int64_t>(budget + 16, 1040)) / 1040.0;
}

TEST(BudgetSearch, ConvergesWithinTheTolerance) {
  for (const double target : {0.05, 0.16, 0.513, 0.9}) {
    for (const std::int64_t guess : {1, 300, 1040}) {
      const auto result = search_budget(fixed_budget_curve, options(target, guess), "test");
      EXPECT_LE(std::abs(result.retained - target), 0.01) << target << " from " << guess;
      EXPECT_EQ(result.retained, fixed_budget_curve(result.budget));
      EXPECT_LE(result.probes.size(), 6u) << target << " from " << guess;
      EXPECT_EQ(result.probes.back().budget, result.budget);
    }
  }
}

TEST(BudgetSearch, ConvergesOnACurvedStaircase) {
  // Coarse steps of 8 tokens and a concave shape: interpolation alone would crawl.
  const auto curve = [](std::int64_t budget) { return std::sqrt(static_cast<double>(budget / 8 * 8) / 4096.0); };
  const auto result = search_budget(curve, options(0.3, 4000, 4096), "staircase");
  EXPECT_LE(std::abs(result.retained - 0.3), 0.01);
  EXPECT_LE(result.probes.size(), 12u);
}

TEST(BudgetSearch, FailsWhenTheTargetIsBelowOneTokenPerHead) {
  try {
    search_budget(fixed_budget_curve, options(0.005, 100), "h2o");
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("h2o: even 1 token(s) per head keep 1.63%"), std::string::npos) << message;
  }
}

TEST(BudgetSearch, FailsWhenEvenTheLargestBudgetKeepsTooLittle) {
  const auto capped = [](std::int64_t budget) { return std::min(0.5, fixed_budget_curve(budget)); };
  EXPECT_THROW(search_budget(capped, options(0.8, 100), "capped"), InputError);
}

TEST(BudgetSearch, FailsWhenTheFractionJumpsOverTheTarget) {
  const auto step = [](std::int64_t budget) { return budget < 500 ? 0.2 : 0.6; };
  try {
    search_budget(step, options(0.4, 100), "step");
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("jumps from 20.00% at 499 tokens per head to 60.00% at 500"), std::string::npos) << message;
  }
}

TEST(BudgetSearch, RejectsAnEmptyRange) {
  EXPECT_THROW(search_budget(fixed_budget_curve, options(0.5, 1, 0), "empty"), InputError);
}

}  // namespace
}  // namespace evomem::eval
