#pragma once
// Objectives without a model: built-in test functions (smoke runs, tests of the evolution
// loop), and objectives for the executors' tests and benchmarks that cost wall time the way
// real evaluations do (with a realistic spread between items), return values that can be
// checked, and can misbehave on purpose.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evo/test_functions.h"
#include "search/objective.h"

namespace evomem::objectives {

// A built-in test function (evo/test_functions.h) as an objective: one item per candidate,
// fitness = f(x), optionally after sleeping as an expensive objective would.
class FunctionObjective : public search::Objective {
 public:
  FunctionObjective(const std::string& name, Eigen::Index dimension, double x0, double seconds_per_evaluation);

  std::string kind() const override { return "function"; }
  Eigen::Index dimension() const override { return function_.dimension; }
  evo::Direction direction() const override { return evo::Direction::kMinimize; }
  Eigen::VectorXd initial_mean() const override { return Eigen::VectorXd::Constant(function_.dimension, x0_); }

  std::vector<search::WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override;
  search::GenerationOutcome aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results) override;
  std::vector<double> evaluate(const search::WorkItem& item) override;

 private:
  evo::TestFunction function_;
  double x0_;
  double delay_;
};

struct SleepObjectiveOptions {
  Eigen::Index dimension = 8;
  double median_seconds = 0.2;  // median evaluation time of an item
  double sigma = 0.3;           // standard deviation of log(seconds): lognormal spread
  std::int64_t batches = 1;     // items per candidate
  std::uint64_t seed = 1;
};

// Each item sleeps for a time drawn from a lognormal distribution seeded by (seed, item id),
// so every rank agrees on it and a benchmark knows the ideal schedule in advance. An item's
// values are {sum of its genome, seconds slept}; a candidate's fitness is the mean of its
// items' first values (i.e. the sum of its genome), to be minimised.
class SleepObjective : public search::Objective {
 public:
  explicit SleepObjective(SleepObjectiveOptions options);

  std::string kind() const override { return "sleep"; }
  Eigen::Index dimension() const override { return options_.dimension; }
  evo::Direction direction() const override { return evo::Direction::kMinimize; }

  // One item per candidate and batch, candidate-major, kind 0.
  std::vector<search::WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override;
  search::GenerationOutcome aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results) override;
  std::vector<double> evaluate(const search::WorkItem& item) override;

  // How long evaluate(item) sleeps.
  double seconds_for(const search::WorkItem& item) const;
  // The first value evaluate(item) returns.
  static double expected_value(const search::WorkItem& item);

 private:
  SleepObjectiveOptions options_;
};

struct FaultOptions {
  double p_throw = 0.0;  // probability that an evaluation throws
  double p_hang = 0.0;   // probability that it first stalls for hang_seconds
  double hang_seconds = 0.0;
  std::uint64_t seed = 1;
};

// ConfigError naming the run-configuration keys (faults.*) unless the options make sense.
void validate(const FaultOptions& options);

// Wraps another objective and makes its evaluations fail or stall at random: the test bed for
// the executors' retry and timeout handling. Decisions come from a generator seeded by
// (seed, rank, number of evaluations so far on this rank), so a rank's sequence of faults is
// reproducible while different ranks fail differently. The coordinator's half is forwarded
// unchanged.
class FaultInjectingObjective : public search::Objective {
 public:
  FaultInjectingObjective(search::Objective& inner, FaultOptions options, int rank);
  // The same, owning the objective it wraps.
  FaultInjectingObjective(std::unique_ptr<search::Objective> inner, FaultOptions options, int rank);

  std::string kind() const override { return inner_.kind(); }
  Eigen::Index dimension() const override { return inner_.dimension(); }
  evo::Direction direction() const override { return inner_.direction(); }
  Eigen::VectorXd initial_mean() const override { return inner_.initial_mean(); }
  std::vector<std::string> task_names() const override { return inner_.task_names(); }
  std::vector<search::WorkItem> plan_setup() override { return inner_.plan_setup(); }
  void accept_setup(const std::vector<search::WorkItem>& items,
                    const std::vector<search::ItemResult>& results) override {
    inner_.accept_setup(items, results);
  }
  std::vector<search::WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override {
    return inner_.plan(generation, population);
  }
  search::GenerationOutcome aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results) override {
    return inner_.aggregate(generation, items, results);
  }
  std::vector<search::WorkItem> plan_check(std::int64_t generation, const Eigen::VectorXd& genome) override {
    return inner_.plan_check(generation, genome);
  }
  search::CandidateOutcome aggregate_check(const std::vector<search::WorkItem>& items,
                                           const std::vector<search::ItemResult>& results) override {
    return inner_.aggregate_check(items, results);
  }
  search::ObjectiveState state() const override { return inner_.state(); }
  void restore(const search::ObjectiveState& state) override { inner_.restore(state); }

  // Throws evomem::Error("injected fault ...") with probability p_throw; otherwise, with
  // probability p_hang, sleeps hang_seconds and then evaluates normally.
  std::vector<double> evaluate(const search::WorkItem& item) override;

  std::int64_t evaluations() const { return evaluations_.load(); }
  std::int64_t injected_throws() const { return throws_.load(); }
  std::int64_t injected_hangs() const { return hangs_.load(); }

 private:
  std::unique_ptr<search::Objective> owned_;  // null when the inner objective is borrowed
  search::Objective& inner_;
  FaultOptions options_;
  int rank_;
  std::atomic<std::int64_t> evaluations_{0};
  std::atomic<std::int64_t> throws_{0};
  std::atomic<std::int64_t> hangs_{0};
};

}  // namespace evomem::objectives
