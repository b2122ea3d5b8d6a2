// How well the MPI executor keeps its workers busy. Run under
//   mpirun -np W+1 --oversubscribe cluster_scaling_bench [--generations 4] [--lambda 32]
//       [--batches 1] [--median 0.2] [--sigma 0.3] [--seed 1] [--order plan|longest-first]
// Every generation plans lambda x batches items of a SleepObjective (lognormal item times),
// runs them through the executor and checks every value. `--order longest-first` hands the
// items over sorted by decreasing time, as an objective that can predict its costs (e.g. from
// sample lengths) would plan them. Rank 0 prints one JSON line:
//   ideal_seconds        sum of the item times / workers (no scheduler can beat it)
//   efficiency           ideal_seconds / wall_seconds
//   schedule_seconds     the same pull schedule computed with zero overhead: items in plan
//                        order, each to the worker that frees up first, a barrier after every
//                        generation; what remains of the gap to it is the executor's cost
//   schedule_efficiency  schedule_seconds / wall_seconds
//   overhead_ms_per_item messaging + polling latency per item (dispatch to result, minus the
//                        worker's evaluation time)
//   coordinator_cpu_us_per_item  CPU time of the coordinator per item
// Sleeping workers need no core, so 16 workers fit on a 2-core machine.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cluster/mpi_executor.h"
#include "cluster/mpi_session.h"
#include "evo/random.h"
#include "objectives/function_objectives.h"
#include "search/signals.h"

namespace {

using namespace evomem;
using Clock = std::chrono::steady_clock;

struct Settings {
  long generations = 4;
  long lambda = 32;
  bool longest_first = false;
  objectives::SleepObjectiveOptions sleep{8, 0.2, 0.3, 1, 1};
};

Settings parse(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw InputError("cluster_scaling_bench: " + flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--generations") settings.generations = std::stol(value);
    else if (flag == "--lambda") settings.lambda = std::stol(value);
    else if (flag == "--batches") settings.sleep.batches = std::stol(value);
    else if (flag == "--median") settings.sleep.median_seconds = std::stod(value);
    else if (flag == "--sigma") settings.sleep.sigma = std::stod(value);
    else if (flag == "--seed") settings.sleep.seed = std::stoull(value);
    else if (flag == "--order" && (value == "plan" || value == "longest-first"))
      settings.longest_first = value != "plan";
    else throw InputError("cluster_scaling_bench: unknown flag " + flag);
  }
  return settings;
}

// Makespan of list scheduling in plan order on `workers` identical workers: what the pull
// model achieves when messages cost nothing.
double pull_schedule_seconds(const std::vector<double>& item_seconds, int workers) {
  std::vector<double> free_at(static_cast<std::size_t>(workers), 0.0);
  for (const double seconds : item_seconds) {
    auto earliest = std::min_element(free_at.begin(), free_at.end());
    *earliest += seconds;
  }
  return *std::max_element(free_at.begin(), free_at.end());
}

int coordinate(const cluster::MpiSession& session, const Settings& settings) {
  objectives::SleepObjective objective(settings.sleep);
  cluster::MpiExecutor executor(session, search::ExecutorOptions{});
  const int workers = executor.worker_count();
  evo::Rng rng(settings.sleep.seed);
  std::int64_t next_id = 0;
  std::int64_t wrong = 0;
  double item_seconds_sum = 0.0;
  double ideal_seconds = 0.0;
  double schedule_seconds = 0.0;
  double wall_seconds = 0.0;
  std::int64_t items_done = 0;
  for (long generation = 0; generation < settings.generations; ++generation) {
    Eigen::MatrixXd population(settings.sleep.dimension, settings.lambda);
    for (Eigen::Index j = 0; j < population.cols(); ++j) {
      for (Eigen::Index i = 0; i < population.rows(); ++i) population(i, j) = rng.normal();
    }
    std::vector<search::WorkItem> items = objective.plan(generation, population);
    for (auto& item : items) item.id = next_id++;
    if (settings.longest_first) {
      std::stable_sort(items.begin(), items.end(), [&](const search::WorkItem& a, const search::WorkItem& b) {
        return objective.seconds_for(a) > objective.seconds_for(b);
      });
    }
    std::vector<double> planned;
    for (const auto& item : items) planned.push_back(objective.seconds_for(item));
    const auto start = Clock::now();
    const auto results = executor.run(items);
    wall_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    double generation_sum = 0.0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!results[i].ok || results[i].values.empty() ||
          results[i].values[0] != objectives::SleepObjective::expected_value(items[i])) {
        ++wrong;
      }
      generation_sum += planned[i];
    }
    item_seconds_sum += generation_sum;
    ideal_seconds += generation_sum / workers;
    schedule_seconds += pull_schedule_seconds(planned, workers);
    items_done += static_cast<std::int64_t>(items.size());
  }
  const auto& timing = executor.timing();
  executor.shutdown();
  std::printf("{\"workers\": %d, \"generations\": %ld, \"items\": %lld, \"batches\": %lld, \"order\": \"%s\", "
              "\"median_s\": %g, \"sigma\": %g, "
              "\"wall_seconds\": %.4f, \"item_seconds\": %.4f, \"ideal_seconds\": %.4f, \"schedule_seconds\": %.4f, "
              "\"items_per_second\": %.3f, \"efficiency\": %.4f, \"schedule_efficiency\": %.4f, "
              "\"overhead_ms_per_item\": %.4f, \"coordinator_cpu_us_per_item\": %.2f, \"wrong_results\": %lld}\n",
              workers, settings.generations, static_cast<long long>(items_done),
              static_cast<long long>(settings.sleep.batches), settings.longest_first ? "longest-first" : "plan",
              settings.sleep.median_seconds, settings.sleep.sigma, wall_seconds, item_seconds_sum, ideal_seconds,
              schedule_seconds, static_cast<double>(items_done) / wall_seconds, ideal_seconds / wall_seconds,
              schedule_seconds / wall_seconds,
              1e3 * timing.round_trip_overhead_seconds / static_cast<double>(std::max<std::int64_t>(timing.results, 1)),
              1e6 * timing.coordinator_cpu_seconds / static_cast<double>(std::max<std::int64_t>(items_done, 1)),
              static_cast<long long>(wrong));
  std::fflush(stdout);
  return wrong == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Settings settings = parse(argc, argv);
    cluster::MpiSession session(&argc, &argv);
    search::SignalGuard guard;
    if (session.is_coordinator()) return coordinate(session, settings);
    objectives::SleepObjective objective(settings.sleep);
    if (cluster::serve_work(objective, session) == cluster::ServeEnd::kEvaluationAbandoned) {
      cluster::leave_after_abandoned_evaluation(session, 0);
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "cluster_scaling_bench: " << error.what() << "\n";
    return 1;
  }
}
