#include "objectives/function_objectives.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"

namespace evomem::objectives {
namespace {

search::WorkItem item_with_id(std::int64_t id) {
  search::WorkItem item;
  item.id = id;
  item.genome = {1.0, 2.0, -0.5};
  return item;
}

TEST(SleepObjective, ItemTimesFollowTheSeededLognormal) {
  SleepObjective objective({4, 0.2, 0.3, 1, 9});
  SleepObjective same_seed({4, 0.2, 0.3, 1, 9});
  SleepObjective other_seed({4, 0.2, 0.3, 1, 10});
  std::vector<double> logs;
  int differing = 0;
  for (std::int64_t id = 0; id < 4000; ++id) {
    const double seconds = objective.seconds_for(item_with_id(id));
    EXPECT_EQ(seconds, same_seed.seconds_for(item_with_id(id)));
    if (seconds != other_seed.seconds_for(item_with_id(id))) ++differing;
    logs.push_back(std::log(seconds));
  }
  EXPECT_GT(differing, 3990);
  std::sort(logs.begin(), logs.end());
  const double median = std::exp(logs[logs.size() / 2]);
  double mean = 0.0;
  for (const double value : logs) mean += value;
  mean /= static_cast<double>(logs.size());
  double variance = 0.0;
  for (const double value : logs) variance += (value - mean) * (value - mean);
  const double sigma = std::sqrt(variance / static_cast<double>(logs.size() - 1));
  EXPECT_NEAR(median, 0.2, 0.01);
  EXPECT_NEAR(sigma, 0.3, 0.015);
}

TEST(SleepObjective, EvaluateSleepsAndReturnsTheGenomeSum) {
  SleepObjective objective({3, 0.02, 0.0, 1, 1});
  const auto start = std::chrono::steady_clock::now();
  const auto values = objective.evaluate(item_with_id(5));
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], 2.5);
  EXPECT_DOUBLE_EQ(values[1], 0.02);
  EXPECT_GE(elapsed, 0.02);
}

TEST(SleepObjective, PlansBatchesPerCandidateAndAggregatesThem) {
  SleepObjective objective({2, 0.0, 0.0, 3, 1});
  Eigen::MatrixXd population(2, 2);
  population << 1.0, 10.0, 2.0, 20.0;
  const auto items = objective.plan(4, population);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0].candidate, 0);
  EXPECT_EQ(items[2].batch, 2);
  EXPECT_EQ(items[3].candidate, 1);
  EXPECT_EQ(items[3].generation, 4);
  EXPECT_EQ(items[4].genome, (std::vector<double>{10.0, 20.0}));

  std::vector<search::ItemResult> results;
  for (const search::WorkItem& item : items) {
    search::ItemResult result;
    result.ok = true;
    result.values = objective.evaluate(item);
    results.push_back(result);
  }
  auto outcome = objective.aggregate(4, items, results);
  ASSERT_EQ(outcome.candidates.size(), 2u);
  EXPECT_EQ(outcome.candidates[0].fitness, 3.0);
  EXPECT_EQ(outcome.candidates[1].fitness, 30.0);

  results[4].ok = false;
  outcome = objective.aggregate(4, items, results);
  EXPECT_EQ(outcome.candidates[0].fitness, 3.0);
  EXPECT_TRUE(std::isnan(outcome.candidates[1].fitness));
}

TEST(SleepObjective, RejectsInvalidOptions) {
  EXPECT_THROW(SleepObjective({0, 0.1, 0.1, 1, 1}), ConfigError);
  EXPECT_THROW(SleepObjective({2, -0.1, 0.1, 1, 1}), ConfigError);
  EXPECT_THROW(SleepObjective({2, 0.1, 0.1, 0, 1}), ConfigError);
}

TEST(FaultInjectingObjective, ThrowsAtTheConfiguredRateReproducibly) {
  SleepObjective inner({3, 0.0, 0.0, 1, 1});
  FaultInjectingObjective first(inner, {0.3, 0.0, 0.0, 5}, 2);
  FaultInjectingObjective again(inner, {0.3, 0.0, 0.0, 5}, 2);
  FaultInjectingObjective other_rank(inner, {0.3, 0.0, 0.0, 5}, 3);
  auto threw = [](FaultInjectingObjective& objective) {
    try {
      objective.evaluate(item_with_id(1));
      return false;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("injected fault"), std::string::npos);
      return true;
    }
  };
  int throws = 0;
  int differences = 0;
  for (int i = 0; i < 2000; ++i) {
    const bool a = threw(first);
    EXPECT_EQ(a, threw(again));
    if (a != threw(other_rank)) ++differences;
    if (a) ++throws;
  }
  EXPECT_NEAR(throws / 2000.0, 0.3, 0.04);
  EXPECT_GT(differences, 500);
  EXPECT_EQ(first.injected_throws(), throws);
  EXPECT_EQ(first.evaluations(), 2000);
}

TEST(FaultInjectingObjective, HangsThenEvaluates) {
  SleepObjective inner({3, 0.0, 0.0, 1, 1});
  FaultInjectingObjective objective(inner, {0.0, 1.0, 0.05, 5}, 1);
  const auto start = std::chrono::steady_clock::now();
  const auto values = objective.evaluate(item_with_id(1));
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.05);
  EXPECT_EQ(values[0], 2.5);
  EXPECT_EQ(objective.injected_hangs(), 1);
  EXPECT_EQ(objective.kind(), "sleep");
  EXPECT_EQ(objective.dimension(), 3);
}

TEST(FaultInjectingObjective, RejectsInvalidProbabilities) {
  SleepObjective inner({3, 0.0, 0.0, 1, 1});
  EXPECT_THROW(FaultInjectingObjective(inner, {0.7, 0.5, 1.0, 1}, 1), ConfigError);
  EXPECT_THROW(FaultInjectingObjective(inner, {-0.1, 0.0, 1.0, 1}, 1), ConfigError);
  EXPECT_THROW(FaultInjectingObjective(inner, {0.1, 0.1, -1.0, 1}, 1), ConfigError);
}

}  // namespace
}  // namespace evomem::objectives
