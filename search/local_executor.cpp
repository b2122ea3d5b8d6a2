// The in-process executor: the reference behaviour of the Executor contract, used on one
// machine without mpirun and by tests. Items run one after another in the calling thread, so
// item_timeout_seconds has nothing to act on here (a running evaluation cannot be handed to
// anyone else) and is ignored.
#include <chrono>
#include <exception>
#include <string>

#include "search/executor.h"
#include "search/signals.h"

namespace evomem::search {
namespace {

class LocalExecutor final : public Executor {
 public:
  LocalExecutor(Objective& objective, ExecutorOptions options) : objective_(objective), options_(options) {
    validate(options_);
  }
  ~LocalExecutor() override { shutdown(); }

  std::vector<ItemResult> run(const std::vector<WorkItem>& items) override {
    EVOMEM_CHECK(!shut_down_, "run() called after shutdown() of the local executor");
    stats_.items += static_cast<std::int64_t>(items.size());
    std::vector<ItemResult> results;
    results.reserve(items.size());
    for (std::size_t index = 0; index < items.size(); ++index) {
      throw_if_interrupted(index, items.size());
      results.push_back(evaluate_with_retries(items[index], index, items.size()));
      report(items[index], results.back());
    }
    return results;
  }

  int worker_count() const override { return 1; }
  const ExecutorStats& stats() const override { return stats_; }
  void shutdown() override { shut_down_ = true; }

 private:
  void throw_if_interrupted(std::size_t index, std::size_t count) const {
    if (stop_requested()) {
      throw Interrupted(std::string("run interrupted by ") + signal_name(stop_signal()) + " before item " +
                        std::to_string(index + 1) + " of " + std::to_string(count));
    }
  }

  ItemResult evaluate_with_retries(const WorkItem& item, std::size_t index, std::size_t count) {
    ItemResult result;
    result.id = item.id;
    result.worker = 0;
    while (result.attempts < options_.max_attempts) {
      if (result.attempts > 0) throw_if_interrupted(index, count);
      ++result.attempts;
      ++stats_.dispatches;
      const auto start = std::chrono::steady_clock::now();
      try {
        result.values = objective_.evaluate(item);
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        result.ok = true;
        result.error.clear();
        return result;
      } catch (const Interrupted&) {
        // An objective that watches the stop flag itself ends the run, not just the item.
        throw;
      } catch (const std::exception& error) {
        result.error = error.what();
      } catch (...) {
        result.error = "evaluation threw an exception that is not a std::exception";
      }
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++stats_.errors;
    }
    ++stats_.failed_items;
    result.ok = false;
    return result;
  }

  Objective& objective_;
  ExecutorOptions options_;
  ExecutorStats stats_;
  bool shut_down_ = false;
};

}  // namespace

std::unique_ptr<Executor> make_local_executor(Objective& objective, ExecutorOptions options) {
  return std::make_unique<LocalExecutor>(objective, options);
}

}  // namespace evomem::search
