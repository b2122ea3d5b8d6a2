#pragma once
// The MPI executor: rank 0 coordinates, ranks 1..size-1 evaluate. Same contract as the local
// executor (search/executor.h); docs/cluster.md describes it for users.
//
// Protocol (point-to-point on MpiSession::comm(), a private duplicate of MPI_COMM_WORLD;
// tag values in cluster/mpi_messages.h):
//
//   tag        direction             payload
//   item       coordinator -> worker  Envelope{run, index} + encode(WorkItem)
//   result     worker -> coordinator  Envelope{run, index} + encode(ItemResult)
//   stop       coordinator -> worker  (empty)
//   stopped    worker -> coordinator  1 byte: 1 when the worker left an evaluation running
//
//   Envelope = two host-order int64: `run` counts the coordinator's run() calls, `index` is
//   the item's position in that call. The coordinator matches results by envelope, not by
//   WorkItem::id, so a straggler from an earlier call can never be taken for a result of the
//   current one, whatever ids the caller uses.
//
// Scheduling: pull model. A worker holds at most one item; whenever a worker is idle the
// coordinator sends it the next pending item, so fast workers take more items. Results come
// back in any order and run() returns them in the items' order.
//
// Faults:
//   - A worker's evaluation throws: the worker answers ok = false with the message; the item
//     goes back to the front of the queue and is preferably given to a rank that has not
//     tried it yet, until it has had max_attempts dispatches; then it is returned ok = false
//     with the last message (ExecutorStats::errors, failed_items).
//   - An item runs longer than item_timeout_seconds (> 0) and some worker is idle: the item
//     is also sent there (ExecutorStats::timeouts); the first result wins, later ones are
//     dropped (ExecutorStats::dropped_results). When its max_attempts dispatches are used up
//     and the newest one is past the timeout too, the item fails with "timed out".
//   - A worker that never returns from an evaluation stays busy and is lost to the pool
//     until it does; with every worker lost, run() waits (SIGINT/SIGTERM still stop it).
//
// Stop: shutdown() sends `stop` to every worker and collects their `stopped` answers, taking
// in (and discarding) any result still on its way, so no message is left in flight when MPI
// finalises. A worker polls MPI in its main thread while a second thread evaluates, so even
// a worker stuck in an evaluation answers `stop` (see serve_work()).
//
// Waiting never spins: both sides poll MPI_Improbe / MPI_Test and sleep in between
// (cluster/polling.h), because ranks often share cores: the coordinator 50 us .. 0.5 ms,
// a worker 50 us .. 2 ms (0.2 ms at most during the 10 ms after it answered, when its next
// item is due).

#include <cstdint>
#include <memory>

#include "cluster/mpi_session.h"
#include "search/executor.h"

namespace evomem::cluster {

// Where the coordinator's time goes; for benchmarks and logs.
struct DispatchTiming {
  std::int64_t results = 0;  // results that settled an item (first results)
  // Sum over those results of (received - dispatched - the worker's evaluation seconds): the
  // messaging and polling latency an item pays on top of its evaluation.
  double round_trip_overhead_seconds = 0.0;
  double coordinator_cpu_seconds = 0.0;  // CPU time of the coordinator thread inside run()
  double run_seconds = 0.0;              // wall time inside run()
};

// The coordinator half. Construct on rank 0 only; the session must outlive the executor.
class MpiExecutor final : public search::Executor {
 public:
  // ConfigError when the job has a single rank (no worker), InternalError off rank 0.
  MpiExecutor(const MpiSession& session, search::ExecutorOptions options);
  ~MpiExecutor() override;

  // Throws Interrupted when SIGINT/SIGTERM was recorded (search/signals.h); the items in
  // flight are abandoned and their late results dropped by a later run(). InternalError
  // after shutdown().
  std::vector<search::ItemResult> run(const std::vector<search::WorkItem>& items) override;
  int worker_count() const override;
  const search::ExecutorStats& stats() const override;
  void shutdown() override;

  const DispatchTiming& timing() const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

// How serve_work() ended.
enum class ServeEnd {
  kFinished,             // idle at `stop`: everything joined, the objective may be destroyed
  kEvaluationAbandoned,  // an evaluation was still running at `stop` (see below)
};

// The worker half (ranks 1..size-1): evaluates the coordinator's items with `objective` until
// the coordinator sends `stop`. Every rank must build the same objective from the same
// configuration (items carry ids, indices and genomes only).
//
// A stop that arrives while an evaluation is still running (a hung or very slow item) does
// not wait for it: its thread is detached and kEvaluationAbandoned returned. That thread still
// uses `objective`, so the caller must then neither destroy the objective nor return from
// main(): call leave_after_abandoned_evaluation(), which finalises MPI (so mpirun sees a clean
// exit 0) and ends the process with std::_Exit, skipping destructors.
//
// Workers should hold a SignalGuard too: Ctrl-C reaches every rank of the job, and a worker
// killed by it would take the job down with it; with the guard the coordinator decides.
ServeEnd serve_work(search::Objective& objective, const MpiSession& session);

// For kEvaluationAbandoned: flushes stdout/stderr, finalises MPI and ends the process with
// `exit_code` without running destructors (the evaluation thread is still using them).
[[noreturn]] void leave_after_abandoned_evaluation(MpiSession& session, int exit_code = 0);

}  // namespace evomem::cluster
