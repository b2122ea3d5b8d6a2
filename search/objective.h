#pragma once
// search::Objective: genome -> fitness, split into the coordinator's half (plan the work
// items of a generation, aggregate their results into one fitness per candidate) and the
// worker's half (evaluate one item). Every rank builds the same objective from the same
// configuration, so items carry only ids, indices and genomes. Executors know nothing about
// which objective runs (NAMM, Titans, a test function, a fault-injecting wrapper).

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "evo/strategy.h"
#include "search/work_item.h"

namespace evomem::search {

// What the coordinator learns about one candidate.
struct CandidateOutcome {
  double fitness = evo::kMissingFitness;  // missing when any of its items failed
  std::vector<double> task_scores;        // one per task_names(), NaN when unknown
  double retained_fraction = 1.0;         // mean retained KV-cache fraction (1 = everything kept)
};

struct GenerationOutcome {
  std::vector<CandidateOutcome> candidates;  // one per population column
};

// Named arrays an objective keeps across generations (e.g. cached reference scores); stored
// in the run file under /objective with the same layout as a strategy's state.
using ObjectiveState = evo::StrategyState;

class Objective {
 public:
  virtual ~Objective() = default;

  virtual std::string kind() const = 0;
  virtual Eigen::Index dimension() const = 0;
  virtual evo::Direction direction() const = 0;
  // Where the search starts (NAMM: zeros, i.e. keep every token).
  virtual Eigen::VectorXd initial_mean() const { return Eigen::VectorXd::Zero(dimension()); }
  // Names of the per-task scores of CandidateOutcome (may be empty).
  virtual std::vector<std::string> task_names() const { return {}; }

  // Coordinator: items to evaluate once before the first generation (e.g. calibration) and
  // what to learn from their results. Default: none.
  virtual std::vector<WorkItem> plan_setup() { return {}; }
  virtual void accept_setup(const std::vector<WorkItem>& /*items*/, const std::vector<ItemResult>& /*results*/) {}

  // Coordinator: the items that evaluate `population` (one candidate per column) in
  // `generation`. Ids are assigned by the caller afterwards.
  virtual std::vector<WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) = 0;
  // Coordinator: one outcome per population column from the results of plan()'s items, in
  // plan()'s order (a failed item has ok = false).
  virtual GenerationOutcome aggregate(std::int64_t generation, const std::vector<WorkItem>& items,
                                      const std::vector<ItemResult>& results) = 0;

  // Coordinator: a periodic check of one genome (the distribution mean) on samples the search
  // never sees; no items = no check in this generation.
  virtual std::vector<WorkItem> plan_check(std::int64_t /*generation*/, const Eigen::VectorXd& /*genome*/) {
    return {};
  }
  virtual CandidateOutcome aggregate_check(const std::vector<WorkItem>& /*items*/,
                                           const std::vector<ItemResult>& /*results*/) {
    return {};
  }

  // Coordinator: state to keep in checkpoints so that a resumed run continues identically.
  virtual ObjectiveState state() const { return {}; }
  virtual void restore(const ObjectiveState& /*state*/) {}

  // Worker: evaluates one item. Throws on failure (the executor retries it elsewhere).
  virtual std::vector<double> evaluate(const WorkItem& item) = 0;
};

}  // namespace evomem::search
