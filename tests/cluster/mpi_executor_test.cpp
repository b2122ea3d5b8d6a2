// The MPI executor under `mpirun -np 3` and `-np 5`. Rank 0 runs the tests as coordinator;
// the other ranks serve work. Before each test the coordinator broadcasts a scenario name,
// from which every worker builds the same objective, then serves until the test's executor
// shuts down; "exit" ends the workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "cluster/mpi_executor.h"
#include "cluster/mpi_session.h"
#include "objectives/function_objectives.h"
#include "search/signals.h"

namespace evomem::cluster {
namespace {

MpiSession* g_session = nullptr;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void sleep_seconds(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// Worker behaviour driven by item kind and rank; the value is always the genome's sum.
//   kind 1: 1.5 s on rank 1, 10 ms elsewhere     kind 7: always throws
//   rank_one_broken: every evaluation on rank 1 throws
class ScriptedObjective : public search::Objective {
 public:
  ScriptedObjective(int rank, bool rank_one_broken) : rank_(rank), rank_one_broken_(rank_one_broken) {}
  std::string kind() const override { return "scripted"; }
  Eigen::Index dimension() const override { return 3; }
  evo::Direction direction() const override { return evo::Direction::kMinimize; }
  std::vector<search::WorkItem> plan(std::int64_t, const Eigen::MatrixXd&) override { return {}; }
  search::GenerationOutcome aggregate(std::int64_t, const std::vector<search::WorkItem>&,
                                      const std::vector<search::ItemResult>&) override {
    return {};
  }
  std::vector<double> evaluate(const search::WorkItem& item) override {
    if (rank_one_broken_ && rank_ == 1) throw Error("rank 1 is broken");
    if (item.kind == 7) throw Error("bad genome: kind 7 on rank " + std::to_string(rank_));
    sleep_seconds(item.kind == 1 && rank_ == 1 ? 1.5 : 0.01);
    return {objectives::SleepObjective::expected_value(item)};
  }

 private:
  int rank_;
  bool rank_one_broken_;
};

objectives::SleepObjectiveOptions spread_sleep() { return {3, 0.01, 0.8, 1, 7}; }
objectives::SleepObjectiveOptions fault_sleep() { return {3, 0.015, 0.5, 1, 11}; }
objectives::FaultOptions faults() { return {0.1, 0.05, 1.0, 23}; }

// What a worker serves for one scenario; both parts stay alive as long as needed.
struct WorkerObjective {
  std::unique_ptr<search::Objective> inner;
  std::unique_ptr<search::Objective> outer;
};

WorkerObjective make_worker_objective(const std::string& scenario, int rank) {
  WorkerObjective made;
  if (scenario == "spread") {
    made.outer = std::make_unique<objectives::SleepObjective>(spread_sleep());
  } else if (scenario == "steady") {
    made.outer = std::make_unique<objectives::SleepObjective>(objectives::SleepObjectiveOptions{3, 0.05, 0.0, 1, 1});
  } else if (scenario == "scripted") {
    made.outer = std::make_unique<ScriptedObjective>(rank, false);
  } else if (scenario == "rank_one_broken") {
    made.outer = std::make_unique<ScriptedObjective>(rank, true);
  } else if (scenario == "faults") {
    made.inner = std::make_unique<objectives::SleepObjective>(fault_sleep());
    made.outer = std::make_unique<objectives::FaultInjectingObjective>(*made.inner, faults(), rank);
  } else {
    throw InternalError("unknown test scenario " + scenario);
  }
  return made;
}

// Starts the workers on `scenario` and returns the coordinator of one test.
std::unique_ptr<MpiExecutor> start(std::string scenario, search::ExecutorOptions options) {
  g_session->broadcast_text(scenario);
  return std::make_unique<MpiExecutor>(*g_session, options);
}

// Items with ids first_id.., genomes that differ between calls (tag), kind 0.
std::vector<search::WorkItem> make_items(int count, double tag, std::int64_t first_id = 0) {
  std::vector<search::WorkItem> items(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    search::WorkItem& item = items[static_cast<std::size_t>(i)];
    item.id = first_id + i;
    item.candidate = i;
    item.genome = {tag, static_cast<double>(i), 0.25};
  }
  return items;
}

void expect_correct(const std::vector<search::WorkItem>& items, const std::vector<search::ItemResult>& results) {
  ASSERT_EQ(results.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(results[i].id, items[i].id) << "position " << i;
    ASSERT_TRUE(results[i].ok) << "item " << items[i].id << ": " << results[i].error;
    ASSERT_FALSE(results[i].values.empty());
    EXPECT_EQ(results[i].values[0], objectives::SleepObjective::expected_value(items[i])) << "item " << items[i].id;
    EXPECT_GE(results[i].worker, 1);
    EXPECT_LT(results[i].worker, g_session->size());
  }
}

TEST(MpiSession, KnowsRanksAndNode) {
  EXPECT_EQ(g_session->rank(), 0);
  EXPECT_GE(g_session->size(), 3);
  EXPECT_TRUE(g_session->is_coordinator());
  // mpirun --oversubscribe on one machine: every rank shares the node.
  EXPECT_EQ(g_session->local_rank(), 0);
  EXPECT_EQ(g_session->local_size(), g_session->size());
  EXPECT_TRUE(MpiSession::launched_by_mpirun());
}

TEST(MpiExecutor, ReturnsEveryItemInOrderWhenItemsTakeRandomTimes) {
  auto executor = start("spread", search::ExecutorOptions{});
  EXPECT_EQ(executor->worker_count(), g_session->size() - 1);
  const auto items = make_items(40, 1.0, 1000);
  const auto results = executor->run(items);
  expect_correct(items, results);
  std::set<int> workers;
  for (const auto& result : results) {
    workers.insert(result.worker);
    EXPECT_EQ(result.attempts, 1);
    EXPECT_GT(result.seconds, 0.0);
  }
  EXPECT_EQ(static_cast<int>(workers.size()), g_session->size() - 1);

  const auto again = make_items(25, 2.0, 1000);
  expect_correct(again, executor->run(again));
  EXPECT_TRUE(executor->run({}).empty());
  const search::ExecutorStats& stats = executor->stats();
  EXPECT_EQ(stats.items, 65);
  EXPECT_EQ(stats.dispatches, 65);
  EXPECT_EQ(stats.errors, 0);
  EXPECT_EQ(stats.timeouts, 0);
  EXPECT_EQ(stats.failed_items, 0);
  EXPECT_EQ(stats.dropped_results, 0);
  EXPECT_EQ(executor->timing().results, 65);
}

TEST(MpiExecutor, DropsALateDuplicateEvenDuringTheNextRun) {
  auto executor = start("scripted", search::ExecutorOptions{0.3, 3});
  // Item 0 goes to rank 1 (the first idle worker), which takes 1.5 s on kind 1: after 0.3 s
  // it is duplicated, the copy wins, and rank 1's answer comes during the next run().
  auto items = make_items(6, 1.0);
  items[0].kind = 1;
  const auto start_time = std::chrono::steady_clock::now();
  const auto results = executor->run(items);
  expect_correct(items, results);
  EXPECT_NE(results[0].worker, 1);
  EXPECT_EQ(results[0].attempts, 2);
  EXPECT_EQ(executor->stats().timeouts, 1);
  EXPECT_EQ(executor->stats().dropped_results, 0);

  sleep_seconds(std::max(0.0, 2.5 - seconds_since(start_time)));
  // Same ids, other genomes: a confused result would carry the old value.
  const auto next = make_items(12, 2.0);
  const auto next_results = executor->run(next);
  expect_correct(next, next_results);
  EXPECT_EQ(executor->stats().dropped_results, 1);
  // Rank 1 is back in the pool.
  EXPECT_TRUE(std::any_of(next_results.begin(), next_results.end(),
                          [](const search::ItemResult& result) { return result.worker == 1; }));
}

TEST(MpiExecutor, WorkerExceptionTextArrivesAndTheItemFailsAfterMaxAttempts) {
  auto executor = start("scripted", search::ExecutorOptions{0.0, 3});
  auto items = make_items(9, 1.0);
  items[3].kind = 7;
  const auto results = executor->run(items);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i == 3) continue;
    EXPECT_TRUE(results[i].ok) << results[i].error;
  }
  EXPECT_FALSE(results[3].ok);
  EXPECT_EQ(results[3].id, items[3].id);
  EXPECT_NE(results[3].error.find("bad genome: kind 7 on rank"), std::string::npos) << results[3].error;
  EXPECT_EQ(results[3].attempts, 3);
  EXPECT_EQ(executor->stats().errors, 3);
  EXPECT_EQ(executor->stats().failed_items, 1);
}

TEST(MpiExecutor, RetriesAFailedItemOnAnotherRank) {
  auto executor = start("rank_one_broken", search::ExecutorOptions{0.0, 2});
  const auto items = make_items(12, 3.0);
  const auto results = executor->run(items);
  expect_correct(items, results);
  for (const auto& result : results) {
    EXPECT_NE(result.worker, 1);
    EXPECT_LE(result.attempts, 2);
  }
  EXPECT_GE(executor->stats().errors, 1);
  EXPECT_EQ(executor->stats().failed_items, 0);
}

TEST(MpiExecutor, SurvivesInjectedThrowsAndHangsOverSeveralRuns) {
  auto executor = start("faults", search::ExecutorOptions{0.25, 4});
  std::int64_t failed = 0;
  for (int run = 0; run < 5; ++run) {
    const auto items = make_items(32, 10.0 + run, 100 * run);
    const auto start_time = std::chrono::steady_clock::now();
    const auto results = executor->run(items);
    EXPECT_LT(seconds_since(start_time), 10.0) << "run " << run;
    ASSERT_EQ(results.size(), items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(results[i].id, items[i].id);
      if (results[i].ok) {
        EXPECT_EQ(results[i].values[0], objectives::SleepObjective::expected_value(items[i]));
      } else {
        ++failed;
        EXPECT_FALSE(results[i].error.empty());
      }
    }
  }
  const search::ExecutorStats& stats = executor->stats();
  EXPECT_EQ(stats.items, 160);
  EXPECT_EQ(stats.failed_items, failed);
  EXPECT_GT(stats.errors, 0);
  EXPECT_GT(stats.timeouts, 0);
  EXPECT_GE(stats.dispatches, stats.items + stats.timeouts);
  std::printf("faults over 5 runs of 32 items on %d workers: %lld dispatches, %lld errors, %lld timeouts, "
              "%lld failed, %lld dropped\n",
              executor->worker_count(), static_cast<long long>(stats.dispatches), static_cast<long long>(stats.errors),
              static_cast<long long>(stats.timeouts), static_cast<long long>(stats.failed_items),
              static_cast<long long>(stats.dropped_results));
}

TEST(MpiExecutor, SignalInterruptsRunAndShutdownStillReleasesWorkers) {
  search::clear_stop_request();
  auto executor = start("steady", search::ExecutorOptions{});
  std::thread signaller([] {
    sleep_seconds(0.2);
    std::raise(SIGINT);
  });
  EXPECT_THROW(executor->run(make_items(200, 4.0)), search::Interrupted);
  signaller.join();
  EXPECT_EQ(search::stop_signal(), SIGINT);
  search::clear_stop_request();
  executor->shutdown();
  executor->shutdown();
  EXPECT_THROW(executor->run(make_items(1, 5.0)), InternalError);
}

}  // namespace
}  // namespace evomem::cluster

int main(int argc, char** argv) {
  using namespace evomem::cluster;
  MpiSession session(&argc, &argv);
  g_session = &session;
  // On every rank, as in the application: a Ctrl-C must not kill workers behind the
  // coordinator's back.
  evomem::search::SignalGuard guard;
  if (session.rank() == 0) {
    ::testing::InitGoogleTest(&argc, argv);
    const int failed = RUN_ALL_TESTS();
    std::string exit = "exit";
    session.broadcast_text(exit);
    return failed;
  }
  bool abandoned = false;
  for (;;) {
    std::string scenario;
    session.broadcast_text(scenario);
    if (scenario == "exit") break;
    WorkerObjective objective = make_worker_objective(scenario, session.rank());
    if (serve_work(*objective.outer, session) == ServeEnd::kEvaluationAbandoned) {
      // The abandoned evaluation still uses this objective: keep it for the process's life.
      abandoned = true;
      objective.inner.release();
      objective.outer.release();
    }
  }
  if (abandoned) leave_after_abandoned_evaluation(session, 0);
  return 0;
}
