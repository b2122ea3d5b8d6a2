#include "cluster/mpi_executor.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "cluster/mpi_messages.h"
#include "cluster/polling.h"
#include "core/logging.h"
#include "search/signals.h"

namespace evomem::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// When no worker has been able to take pending items for this long, say so.
constexpr double kAllLostWarningSeconds = 30.0;

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

bool contains(const std::vector<int>& ranks, int rank) {
  return std::find(ranks.begin(), ranks.end(), rank) != ranks.end();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Coordinator

class MpiExecutor::State {
 public:
  State(const MpiSession& session, search::ExecutorOptions options)
      : session_(session), options_(options), outbox_(session.comm()) {
    search::validate(options_);
    if (session.size() < 2) {
      throw ConfigError("the MPI executor needs a coordinator and at least one worker, but this job has 1 rank: run "
                        "without mpirun to evaluate in-process (local executor), or start 2 or more ranks "
                        "(mpirun -np N, N >= 2)");
    }
    EVOMEM_CHECK(session.rank() == 0, "the MPI executor lives on rank 0; the other ranks call serve_work()");
    for (int rank = 1; rank < session.size(); ++rank) workers_.push_back(Worker{rank});
  }

  std::vector<search::ItemResult> run(const std::vector<search::WorkItem>& items);
  void shutdown();

  int worker_count() const { return static_cast<int>(workers_.size()); }
  const search::ExecutorStats& stats() const { return stats_; }
  const DispatchTiming& timing() const { return timing_; }

  search::ResultListener on_settled;  // the executor's report()

 private:
  struct Worker {
    int rank = 0;
    bool busy = false;
    std::int64_t run = 0;  // envelope of the item it holds
    std::int64_t index = 0;
    Clock::time_point since{};  // when that item was sent
  };

  // The coordinator's view of one item during one run() call.
  struct ItemState {
    std::int64_t dispatches = 0;
    std::vector<int> tried;    // ranks it was sent to
    std::vector<int> running;  // ranks evaluating it now
    bool settled = false;
    std::string last_error;
    int last_rank = 0;
  };

  struct RunState {
    std::int64_t number = 0;
    const std::vector<search::WorkItem>* items = nullptr;
    std::vector<ItemState> states;
    std::vector<search::ItemResult> results;
    std::deque<std::size_t> pending;  // never dispatched, or every copy failed
    std::size_t settled = 0;
    std::optional<Clock::time_point> all_lost_since;  // no worker could take a pending item since then
    bool warned_all_lost = false;
  };

  Worker& worker_of(int rank) {
    EVOMEM_CHECK(rank >= 1 && rank <= static_cast<int>(workers_.size()),
                 "executor message from rank " + std::to_string(rank) + ", which is no worker");
    return workers_[static_cast<std::size_t>(rank - 1)];
  }

  bool timeouts_enabled() const { return options_.item_timeout_seconds > 0.0; }

  // Age of the newest copy of `index` still running (the item's clock restarts with every
  // duplicate).
  double newest_copy_age(const RunState& run, std::size_t index, Clock::time_point now) {
    double age = -1.0;
    for (const int rank : run.states[index].running) {
      const double copy_age = seconds_between(worker_of(rank).since, now);
      age = age < 0.0 ? copy_age : std::min(age, copy_age);
    }
    return age;
  }

  // A worker that will soon be able to take an item: idle, or on a live item of this run
  // that has not outlived the timeout. Busy with a straggler of an earlier run, or with a
  // settled item (a losing duplicate), counts as gone: nobody knows when it returns.
  bool available_soon(const Worker& worker, const RunState& run, Clock::time_point now) const {
    if (!worker.busy) return true;
    if (worker.run != run.number) return false;
    if (run.states[static_cast<std::size_t>(worker.index)].settled) return false;
    return !timeouts_enabled() || seconds_between(worker.since, now) < options_.item_timeout_seconds;
  }

  void handle_message(RunState& run, Message& message, Clock::time_point now);
  void handle_result(RunState& run, int source, const std::vector<char>& bytes, Clock::time_point now);
  void expire_exhausted(RunState& run, Clock::time_point now);
  bool dispatch(RunState& run, Clock::time_point now);
  std::optional<std::size_t> choose_duplicate(RunState& run, const Worker& idle, Clock::time_point now);
  // Position in run.pending of the item `idle` should take, if any.
  std::optional<std::size_t> choose_pending(RunState& run, const Worker& idle, Clock::time_point now);
  void send_item(RunState& run, std::size_t index, Worker& worker, Clock::time_point now);
  void settle(RunState& run, std::size_t index, search::ItemResult result);
  void fail(RunState& run, std::size_t index, std::string error);

  const MpiSession& session_;
  search::ExecutorOptions options_;
  search::ExecutorStats stats_;
  DispatchTiming timing_;
  std::vector<Worker> workers_;  // workers_[r - 1] is rank r
  Outbox outbox_;
  std::int64_t run_count_ = 0;
  bool shut_down_ = false;
};

std::vector<search::ItemResult> MpiExecutor::State::run(const std::vector<search::WorkItem>& items) {
  EVOMEM_CHECK(!shut_down_, "run() called after shutdown() of the MPI executor");
  const double cpu_start = thread_cpu_seconds();
  const auto wall_start = Clock::now();

  RunState run;
  run.number = ++run_count_;
  run.items = &items;
  run.states.resize(items.size());
  run.results.resize(items.size());
  for (std::size_t index = 0; index < items.size(); ++index) run.pending.push_back(index);
  stats_.items += static_cast<std::int64_t>(items.size());

  PollBackoff backoff(kShortestPoll, kCoordinatorLongestPoll);
  while (run.settled < items.size()) {
    if (search::stop_requested()) {
      throw search::Interrupted(std::string("run interrupted by ") + search::signal_name(search::stop_signal()) +
                                " with " + std::to_string(items.size() - run.settled) + " of " +
                                std::to_string(items.size()) + " items unfinished");
    }
    bool progressed = false;
    while (auto message = try_receive(session_.comm(), MPI_ANY_SOURCE)) {
      handle_message(run, *message, Clock::now());
      progressed = true;
    }
    const auto now = Clock::now();
    expire_exhausted(run, now);
    if (dispatch(run, now)) progressed = true;
    outbox_.progress();
    if (run.settled == items.size()) break;
    if (progressed) {
      backoff.reset();
    } else {
      backoff.sleep();
    }
  }
  timing_.coordinator_cpu_seconds += thread_cpu_seconds() - cpu_start;
  timing_.run_seconds += seconds_between(wall_start, Clock::now());
  return std::move(run.results);
}

void MpiExecutor::State::handle_message(RunState& run, Message& message, Clock::time_point now) {
  if (message.tag == kTagResult) {
    handle_result(run, message.source, message.bytes, now);
    return;
  }
  throw InternalError("the MPI coordinator got a message with tag " + std::to_string(message.tag) + " from rank " +
                      std::to_string(message.source) + " during run(); only results are expected then");
}

void MpiExecutor::State::handle_result(RunState& run, int source, const std::vector<char>& bytes,
                                       Clock::time_point now) {
  std::vector<char> body;
  const Envelope envelope = unwrap(bytes, body);
  search::ItemResult result = search::decode_item_result(body);
  Worker& worker = worker_of(source);
  EVOMEM_CHECK(worker.busy && worker.run == envelope.run && worker.index == envelope.index,
               "rank " + std::to_string(source) + " answered an item it does not hold");
  worker.busy = false;
  const auto index = static_cast<std::size_t>(envelope.index);
  if (envelope.run != run.number || run.states[index].settled) {
    ++stats_.dropped_results;
    return;
  }
  ItemState& state = run.states[index];
  const auto copy = std::find(state.running.begin(), state.running.end(), source);
  EVOMEM_CHECK(copy != state.running.end(), "result from a rank the item is not running on");
  state.running.erase(copy);
  if (result.ok) {
    ++timing_.results;
    timing_.round_trip_overhead_seconds += seconds_between(worker.since, now) - result.seconds;
    result.id = (*run.items)[index].id;
    result.worker = source;
    result.attempts = state.dispatches;
    settle(run, index, std::move(result));
    return;
  }
  ++stats_.errors;
  state.last_error = result.error.empty() ? "evaluation failed without a message" : result.error;
  state.last_rank = source;
  core::log::debug("item {} failed on rank {} (dispatch {} of {}): {}", (*run.items)[index].id, source,
                   state.dispatches, options_.max_attempts, state.last_error);
  if (!state.running.empty()) return;  // another copy may still succeed
  if (state.dispatches < options_.max_attempts) {
    // To the front: the generation cannot finish before this item does.
    run.pending.push_front(index);
  } else {
    fail(run, index, state.last_error);
  }
}

void MpiExecutor::State::expire_exhausted(RunState& run, Clock::time_point now) {
  if (!timeouts_enabled()) return;
  for (const Worker& worker : workers_) {
    if (!worker.busy || worker.run != run.number) continue;
    const auto index = static_cast<std::size_t>(worker.index);
    const ItemState& state = run.states[index];
    if (state.settled || state.dispatches < options_.max_attempts) continue;
    if (newest_copy_age(run, index, now) < options_.item_timeout_seconds) continue;
    std::string error = "timed out: no result within item_timeout_seconds = " +
                        std::to_string(options_.item_timeout_seconds) + " after " + std::to_string(state.dispatches) +
                        " dispatches";
    if (!state.last_error.empty()) error += " (an earlier attempt failed: " + state.last_error + ")";
    fail(run, index, std::move(error));
  }
}

bool MpiExecutor::State::dispatch(RunState& run, Clock::time_point now) {
  bool sent = false;
  bool anyone_available = false;
  for (Worker& worker : workers_) {
    if (worker.busy) {
      anyone_available = anyone_available || available_soon(worker, run, now);
      continue;
    }
    anyone_available = true;
    if (auto duplicate = choose_duplicate(run, worker, now)) {
      ++stats_.timeouts;
      core::log::debug("item {} ran past {} s; also sent to rank {}", (*run.items)[*duplicate].id,
                       options_.item_timeout_seconds, worker.rank);
      send_item(run, *duplicate, worker, now);
      sent = true;
    } else if (auto position = choose_pending(run, worker, now)) {
      const auto at = run.pending.begin() + static_cast<std::ptrdiff_t>(*position);
      const std::size_t index = *at;
      run.pending.erase(at);
      send_item(run, index, worker, now);
      sent = true;
    }
  }
  // Short spells of this are normal with stragglers about; only a lasting one is news.
  if (anyone_available || run.pending.empty()) {
    run.all_lost_since.reset();
  } else if (!run.all_lost_since) {
    run.all_lost_since = now;
  } else if (!run.warned_all_lost && seconds_between(*run.all_lost_since, now) >=
                                         std::max(kAllLostWarningSeconds, 3.0 * options_.item_timeout_seconds)) {
    run.warned_all_lost = true;
    core::log::warn("every worker has been busy past the item timeout or with abandoned work for {:.0f} s; {} items "
                    "wait until one returns (SIGINT stops the run)",
                    seconds_between(*run.all_lost_since, now), run.pending.size());
  }
  return sent;
}

std::optional<std::size_t> MpiExecutor::State::choose_duplicate(RunState& run, const Worker& idle,
                                                                Clock::time_point now) {
  if (!timeouts_enabled()) return std::nullopt;
  // Stragglers first: the generation waits for them, while fresh items have other takers.
  std::optional<std::size_t> fallback;
  for (const Worker& worker : workers_) {
    if (!worker.busy || worker.run != run.number) continue;
    const auto index = static_cast<std::size_t>(worker.index);
    const ItemState& state = run.states[index];
    if (state.settled || state.dispatches >= options_.max_attempts) continue;
    if (newest_copy_age(run, index, now) < options_.item_timeout_seconds) continue;
    if (!contains(state.tried, idle.rank)) return index;
    if (!fallback) fallback = index;
  }
  return fallback;
}

std::optional<std::size_t> MpiExecutor::State::choose_pending(RunState& run, const Worker& idle,
                                                              Clock::time_point now) {
  for (std::size_t position = 0; position < run.pending.size(); ++position) {
    if (!contains(run.states[run.pending[position]].tried, idle.rank)) return position;
  }
  // Every pending item already failed here. Take one anyway unless another rank that has not
  // tried it can take it soon: a retry should meet a different machine, but not wait forever.
  for (std::size_t position = 0; position < run.pending.size(); ++position) {
    const ItemState& state = run.states[run.pending[position]];
    const bool someone_else = std::any_of(workers_.begin(), workers_.end(), [&](const Worker& other) {
      return other.rank != idle.rank && !contains(state.tried, other.rank) && available_soon(other, run, now);
    });
    if (!someone_else) return position;
  }
  return std::nullopt;
}

void MpiExecutor::State::send_item(RunState& run, std::size_t index, Worker& worker, Clock::time_point now) {
  ItemState& state = run.states[index];
  ++state.dispatches;
  ++stats_.dispatches;
  if (!contains(state.tried, worker.rank)) state.tried.push_back(worker.rank);
  state.running.push_back(worker.rank);
  worker.busy = true;
  worker.run = run.number;
  worker.index = static_cast<std::int64_t>(index);
  worker.since = now;
  const Envelope envelope{run.number, static_cast<std::int64_t>(index)};
  outbox_.send(worker.rank, kTagItem, wrap(envelope, search::encode((*run.items)[index])));
}

void MpiExecutor::State::settle(RunState& run, std::size_t index, search::ItemResult result) {
  ItemState& state = run.states[index];
  EVOMEM_CHECK(!state.settled, "item settled twice");
  state.settled = true;
  if (!result.ok) ++stats_.failed_items;
  run.results[index] = std::move(result);
  ++run.settled;
  on_settled((*run.items)[index], run.results[index]);
}

void MpiExecutor::State::fail(RunState& run, std::size_t index, std::string error) {
  const ItemState& state = run.states[index];
  search::ItemResult result;
  result.id = (*run.items)[index].id;
  result.ok = false;
  result.error = std::move(error);
  result.worker = state.last_rank != 0 ? state.last_rank : (state.tried.empty() ? 0 : state.tried.back());
  result.attempts = state.dispatches;
  core::log::warn("item {} failed after {} dispatches: {}", result.id, result.attempts, result.error);
  settle(run, index, std::move(result));
}

void MpiExecutor::State::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (const Worker& worker : workers_) outbox_.send(worker.rank, kTagStop, {});

  // Collect every worker's `stopped`. MPI keeps the order of messages from one sender, so
  // once a worker's answer is in, none of its results can still be on the way.
  std::vector<bool> answered(workers_.size(), false);
  std::size_t remaining = workers_.size();
  int abandoned = 0;
  const auto deadline = Clock::now() + kStopAnswerLimit;
  PollBackoff backoff(kShortestPoll, kCoordinatorLongestPoll);
  while (remaining > 0) {
    bool progressed = false;
    while (auto message = try_receive(session_.comm(), MPI_ANY_SOURCE)) {
      progressed = true;
      Worker& worker = worker_of(message->source);
      if (message->tag == kTagStopped) {
        const auto slot = static_cast<std::size_t>(worker.rank - 1);
        if (!answered[slot]) {
          answered[slot] = true;
          --remaining;
          if (!message->bytes.empty() && message->bytes[0] != 0) ++abandoned;
        }
      } else if (message->tag == kTagResult) {
        worker.busy = false;
        ++stats_.dropped_results;
      } else {
        core::log::warn("ignoring a message with tag {} from rank {} during shutdown", message->tag, worker.rank);
      }
    }
    outbox_.progress();
    if (remaining == 0) break;
    if (Clock::now() >= deadline) {
      core::log::warn("{} of {} workers did not confirm the stop within {} s; finishing without them", remaining,
                      workers_.size(), kStopAnswerLimit.count());
      break;
    }
    if (progressed) {
      backoff.reset();
    } else {
      backoff.sleep();
    }
  }
  if (abandoned > 0) core::log::debug("{} workers left an evaluation running at the stop", abandoned);
  if (!outbox_.drain(std::chrono::seconds(5))) core::log::warn("some messages to workers were never delivered");
}

MpiExecutor::MpiExecutor(const MpiSession& session, search::ExecutorOptions options)
    : state_(std::make_unique<State>(session, options)) {}

MpiExecutor::~MpiExecutor() {
  try {
    shutdown();
  } catch (const std::exception& error) {
    core::log::error("MPI executor shutdown failed: {}", error.what());
  }
}

std::vector<search::ItemResult> MpiExecutor::run(const std::vector<search::WorkItem>& items) {
  state_->on_settled = [this](const search::WorkItem& item, const search::ItemResult& result) { report(item, result); };
  return state_->run(items);
}
int MpiExecutor::worker_count() const { return state_->worker_count(); }
const search::ExecutorStats& MpiExecutor::stats() const { return state_->stats(); }
void MpiExecutor::shutdown() { state_->shutdown(); }
const DispatchTiming& MpiExecutor::timing() const { return state_->timing(); }

}  // namespace evomem::cluster
