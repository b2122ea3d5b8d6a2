#pragma once
// search::Executor: evaluates a list of work items with an Objective, in-process (local) or
// on MPI workers (rank 0 coordinates). One contract for both, so the evolution loop and its
// results do not depend on where items ran.
//
// Fault handling (both executors): an item whose evaluation throws is retried (on another
// worker where there is one) up to ExecutorOptions::max_attempts dispatches, then returned
// with ok = false. MPI only: an item still running after item_timeout_seconds is also sent to
// another idle worker; the first result wins and later ones are dropped.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/error.h"
#include "search/objective.h"
#include "search/work_item.h"

namespace evomem::search {

struct ExecutorOptions {
  double item_timeout_seconds = 0.0;  // 0: never re-dispatch a slow item
  std::int64_t max_attempts = 3;      // dispatches per item before it counts as failed
};

// Cumulative counts since the executor started.
struct ExecutorStats {
  std::int64_t items = 0;            // items asked for
  std::int64_t dispatches = 0;       // items sent to workers, duplicates and retries included
  std::int64_t errors = 0;           // evaluations that threw
  std::int64_t timeouts = 0;         // items re-dispatched because they ran past the timeout
  std::int64_t failed_items = 0;     // items returned with ok = false
  std::int64_t dropped_results = 0;  // results that came after their item was settled (late
                                     // duplicates, or an earlier run's stragglers): discarded
};

// Throws ConfigError naming the field when an option is out of range (max_attempts < 1,
// a negative or non-finite timeout). Both executors call it on construction.
void validate(const ExecutorOptions& options);

// Thrown by run() when SIGINT or SIGTERM arrived (see search/signals.h); the caller shuts
// down and exits without writing partial output.
class Interrupted : public Error {
 public:
  using Error::Error;
};

// Called once per item as soon as its result is final (ok, or failed after its attempts),
// before run() returns: the evolution loop journals results with it (search/run_journal.h).
using ResultListener = std::function<void(const WorkItem& item, const ItemResult& result)>;

class Executor {
 public:
  virtual ~Executor() = default;
  void set_result_listener(ResultListener listener) { listener_ = std::move(listener); }
  // Evaluates every item; result i belongs to items[i].
  virtual std::vector<ItemResult> run(const std::vector<WorkItem>& items) = 0;
  virtual int worker_count() const = 0;
  virtual const ExecutorStats& stats() const = 0;
  // Releases the workers (MPI: tells every worker rank to exit its serve loop). Idempotent;
  // the destructor calls it too.
  virtual void shutdown() = 0;

 protected:
  void report(const WorkItem& item, const ItemResult& result) const {
    if (listener_) listener_(item, result);
  }

 private:
  ResultListener listener_;
};

// Evaluates items one after another in this process with `objective`.
std::unique_ptr<Executor> make_local_executor(Objective& objective, ExecutorOptions options);

}  // namespace evomem::search
