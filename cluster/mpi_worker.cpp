// The worker side of the MPI executor (protocol in cluster/mpi_executor.h): the main thread
// polls MPI while a second thread evaluates, so a worker answers `stop` even mid-evaluation.
#include "cluster/mpi_executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "cluster/mpi_messages.h"
#include "cluster/polling.h"
#include "core/logging.h"

namespace evomem::cluster {
namespace {

using Clock = std::chrono::steady_clock;

struct Job {
  Envelope envelope;
  search::WorkItem item;
};

struct Evaluation {
  Envelope envelope;
  search::ItemResult result;
};

// Hand-off between a worker's MPI thread and its evaluation thread. Shared ownership: a
// detached evaluation thread keeps it alive after serve_work() has returned.
struct EvaluationChannel {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Job> job;
  std::optional<Evaluation> done;
  bool running = false;
  bool quit = false;
};

search::ItemResult evaluate_item(search::Objective& objective, const search::WorkItem& item, int rank) {
  search::ItemResult result;
  result.id = item.id;
  result.worker = rank;
  const auto start = Clock::now();
  try {
    result.values = objective.evaluate(item);
    result.ok = true;
  } catch (const std::exception& error) {
    result.error = error.what();
  } catch (...) {
    result.error = "evaluation threw an exception that is not a std::exception";
  }
  result.seconds = seconds_between(start, Clock::now());
  if (!result.ok && result.error.empty()) result.error = "evaluation failed without a message";
  return result;
}

void evaluation_loop(std::shared_ptr<EvaluationChannel> channel, search::Objective* objective, int rank) {
  std::unique_lock<std::mutex> lock(channel->mutex);
  for (;;) {
    channel->changed.wait(lock, [&] { return channel->quit || channel->job.has_value(); });
    if (channel->quit) return;
    Job job = std::move(*channel->job);
    channel->job.reset();
    channel->running = true;
    lock.unlock();
    search::ItemResult result = evaluate_item(*objective, job.item, rank);
    lock.lock();
    channel->running = false;
    channel->done = Evaluation{job.envelope, std::move(result)};
    channel->changed.notify_all();
  }
}

// The evaluation thread of a worker. Ends it on destruction (also when serve_work() unwinds
// with an MPI error): joins when idle, detaches when an evaluation is still running.
class EvaluationThread {
 public:
  EvaluationThread(search::Objective& objective, int rank)
      : channel_(std::make_shared<EvaluationChannel>()), thread_(evaluation_loop, channel_, &objective, rank) {}
  ~EvaluationThread() { stop(); }
  EvaluationThread(const EvaluationThread&) = delete;
  EvaluationThread& operator=(const EvaluationThread&) = delete;

  void post(Job job) {
    {
      std::lock_guard<std::mutex> lock(channel_->mutex);
      EVOMEM_CHECK(!channel_->job && !channel_->running, "a worker evaluates one item at a time");
      channel_->job = std::move(job);
    }
    channel_->changed.notify_all();
  }

  // The finished evaluation, waiting up to `wait` for it.
  std::optional<Evaluation> take_done(std::chrono::microseconds wait = std::chrono::microseconds(0)) {
    std::unique_lock<std::mutex> lock(channel_->mutex);
    if (wait.count() > 0) channel_->changed.wait_for(lock, wait, [&] { return channel_->done.has_value(); });
    std::optional<Evaluation> done = std::move(channel_->done);
    channel_->done.reset();
    return done;
  }

  // True when an evaluation was still running, so the thread had to be left behind.
  bool stop() {
    if (!thread_.joinable()) return abandoned_;
    {
      std::lock_guard<std::mutex> lock(channel_->mutex);
      channel_->quit = true;
      abandoned_ = channel_->running;
    }
    channel_->changed.notify_all();
    if (abandoned_) {
      thread_.detach();
    } else {
      thread_.join();
    }
    return abandoned_;
  }

 private:
  std::shared_ptr<EvaluationChannel> channel_;
  std::thread thread_;
  bool abandoned_ = false;
};

}  // namespace

ServeEnd serve_work(search::Objective& objective, const MpiSession& session) {
  EVOMEM_CHECK(session.rank() != 0, "serve_work() runs on worker ranks; rank 0 coordinates");
  const MPI_Comm comm = session.comm();
  Outbox outbox(comm);
  EvaluationThread evaluator(objective, session.rank());
  std::deque<Job> queue;  // normally empty: the coordinator sends an item only to an idle worker
  bool evaluating = false;

  Clock::time_point answered_at{};
  auto send_result = [&](Evaluation& evaluation) {
    outbox.send(0, kTagResult, wrap(evaluation.envelope, search::encode(evaluation.result)));
    evaluating = false;
    answered_at = Clock::now();
  };

  PollBackoff backoff(kShortestPoll, kWorkerLongestPoll);
  bool stop = false;
  while (!stop) {
    bool progressed = false;
    if (evaluating) {
      if (auto done = evaluator.take_done()) {
        send_result(*done);
        progressed = true;
      }
    }
    while (auto message = try_receive(comm, 0)) {
      progressed = true;
      if (message->tag == kTagItem) {
        Job job;
        std::vector<char> body;
        job.envelope = unwrap(message->bytes, body);
        job.item = search::decode_work_item(body);
        queue.push_back(std::move(job));
      } else if (message->tag == kTagStop) {
        stop = true;
        break;
      } else {
        throw InternalError("worker rank " + std::to_string(session.rank()) + " got a message with unknown tag " +
                            std::to_string(message->tag));
      }
    }
    if (stop) break;
    if (!evaluating && !queue.empty()) {
      evaluator.post(std::move(queue.front()));
      queue.pop_front();
      evaluating = true;
      progressed = true;
    }
    outbox.progress();
    if (progressed) backoff.reset();
    if (evaluating) {
      // Woken as soon as the evaluation finishes, so a result never waits for the poll.
      if (auto done = evaluator.take_done(backoff.next())) {
        send_result(*done);
        backoff.reset();
      }
    } else {
      auto wait = backoff.next();
      if (Clock::now() - answered_at < kWorkerExpectingWindow) wait = std::min(wait, kWorkerExpectingPoll);
      std::this_thread::sleep_for(wait);
    }
  }

  // A result finished meanwhile is not sent: the coordinator has stopped listening for it.
  if (evaluating && evaluator.take_done()) evaluating = false;
  const bool abandoned = evaluator.stop();
  outbox.send(0, kTagStopped, std::vector<char>{static_cast<char>(abandoned ? 1 : 0)});
  if (!outbox.drain(kStopAnswerLimit)) core::log::warn("the coordinator did not take this worker's last messages");
  return abandoned ? ServeEnd::kEvaluationAbandoned : ServeEnd::kFinished;
}

void leave_after_abandoned_evaluation(MpiSession& session, int exit_code) {
  core::log::logger().flush();
  std::fflush(nullptr);
  try {
    session.finalize();
  } catch (const std::exception& error) {
    core::log::error("MPI shutdown failed: {}", error.what());
    core::log::logger().flush();
    std::_Exit(exit_code != 0 ? exit_code : 1);
  }
  std::_Exit(exit_code);
}

}  // namespace evomem::cluster
