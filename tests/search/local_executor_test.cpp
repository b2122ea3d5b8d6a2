#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <string>

#include "search/executor.h"
#include "search/signals.h"

namespace evomem::search {
namespace {

// Returns {2 * id}; items listed in failures_ throw that many times before succeeding; an
// item listed in raise_at raises the signal during its evaluation.
class ScriptedObjective : public Objective {
 public:
  std::string kind() const override { return "scripted"; }
  Eigen::Index dimension() const override { return 1; }
  evo::Direction direction() const override { return evo::Direction::kMinimize; }
  std::vector<WorkItem> plan(std::int64_t, const Eigen::MatrixXd&) override { return {}; }
  GenerationOutcome aggregate(std::int64_t, const std::vector<WorkItem>&, const std::vector<ItemResult>&) override {
    return {};
  }
  std::vector<double> evaluate(const WorkItem& item) override {
    ++evaluations;
    if (item.id == raise_at) std::raise(SIGINT);
    auto failure = failures.find(item.id);
    if (failure != failures.end() && failure->second > 0) {
      --failure->second;
      throw InputError("item " + std::to_string(item.id) + " is broken");
    }
    return {2.0 * static_cast<double>(item.id)};
  }

  std::map<std::int64_t, int> failures;
  std::int64_t raise_at = -1;
  int evaluations = 0;
};

std::vector<WorkItem> make_items(int count) {
  std::vector<WorkItem> items(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) items[static_cast<std::size_t>(i)].id = 100 + i;
  return items;
}

TEST(LocalExecutor, ReturnsResultsInItemOrder) {
  ScriptedObjective objective;
  auto executor = make_local_executor(objective, ExecutorOptions{});
  const auto items = make_items(6);
  const auto results = executor->run(items);
  ASSERT_EQ(results.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(results[i].id, items[i].id);
    EXPECT_TRUE(results[i].ok);
    EXPECT_EQ(results[i].values, std::vector<double>{2.0 * static_cast<double>(items[i].id)});
    EXPECT_EQ(results[i].attempts, 1);
    EXPECT_EQ(results[i].worker, 0);
  }
  EXPECT_EQ(executor->worker_count(), 1);
  EXPECT_EQ(executor->stats().items, 6);
  EXPECT_EQ(executor->stats().dispatches, 6);
  EXPECT_TRUE(executor->run({}).empty());
}

TEST(LocalExecutor, RetriesAThrowingEvaluation) {
  ScriptedObjective objective;
  objective.failures[102] = 2;
  auto executor = make_local_executor(objective, ExecutorOptions{0.0, 3});
  const auto results = executor->run(make_items(4));
  EXPECT_TRUE(results[2].ok);
  EXPECT_EQ(results[2].attempts, 3);
  EXPECT_EQ(executor->stats().errors, 2);
  EXPECT_EQ(executor->stats().dispatches, 6);
  EXPECT_EQ(executor->stats().failed_items, 0);
}

TEST(LocalExecutor, FailsAnItemAfterMaxAttempts) {
  ScriptedObjective objective;
  objective.failures[101] = 100;
  auto executor = make_local_executor(objective, ExecutorOptions{0.0, 2});
  const auto results = executor->run(make_items(3));
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].id, 101);
  EXPECT_EQ(results[1].error, "item 101 is broken");
  EXPECT_EQ(results[1].attempts, 2);
  EXPECT_TRUE(results[2].ok);
  EXPECT_EQ(executor->stats().errors, 2);
  EXPECT_EQ(executor->stats().failed_items, 1);
}

TEST(LocalExecutor, ThrowsInterruptedWhenASignalArrives) {
  SignalGuard guard;
  clear_stop_request();
  ScriptedObjective objective;
  objective.raise_at = 102;
  auto executor = make_local_executor(objective, ExecutorOptions{});
  try {
    executor->run(make_items(6));
    ADD_FAILURE() << "run() finished despite SIGINT";
  } catch (const Interrupted& interrupted) {
    EXPECT_NE(std::string(interrupted.what()).find("SIGINT"), std::string::npos) << interrupted.what();
  }
  // The item that was running finishes; nothing after it starts.
  EXPECT_EQ(objective.evaluations, 3);
  EXPECT_TRUE(stop_requested());
  clear_stop_request();
}

TEST(LocalExecutor, RunAfterShutdownIsAnInternalError) {
  ScriptedObjective objective;
  auto executor = make_local_executor(objective, ExecutorOptions{});
  executor->shutdown();
  executor->shutdown();
  EXPECT_THROW(executor->run(make_items(1)), InternalError);
}

TEST(LocalExecutor, RejectsInvalidOptions) {
  ScriptedObjective objective;
  EXPECT_THROW(make_local_executor(objective, ExecutorOptions{0.0, 0}), ConfigError);
  EXPECT_THROW(make_local_executor(objective, ExecutorOptions{-1.0, 3}), ConfigError);
}

}  // namespace
}  // namespace evomem::search
