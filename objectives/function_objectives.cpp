#include "objectives/function_objectives.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "core/error.h"
#include "evo/random.h"

namespace evomem::objectives {

FunctionObjective::FunctionObjective(const std::string& name, Eigen::Index dimension, double x0,
                                     double seconds_per_evaluation)
    : function_(evo::make_test_function(name, dimension)), x0_(x0), delay_(seconds_per_evaluation) {}

std::vector<search::WorkItem> FunctionObjective::plan(std::int64_t generation, const Eigen::MatrixXd& population) {
  std::vector<search::WorkItem> items;
  for (Eigen::Index c = 0; c < population.cols(); ++c) {
    search::WorkItem item;
    item.generation = generation;
    item.candidate = c;
    item.genome.assign(population.col(c).data(), population.col(c).data() + population.rows());
    items.push_back(std::move(item));
  }
  return items;
}

search::GenerationOutcome FunctionObjective::aggregate(std::int64_t, const std::vector<search::WorkItem>& items,
                                                       const std::vector<search::ItemResult>& results) {
  search::GenerationOutcome outcome;
  outcome.candidates.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& candidate = outcome.candidates[static_cast<std::size_t>(items[i].candidate)];
    if (results[i].ok && results[i].values.size() == 1) candidate.fitness = results[i].values[0];
  }
  return outcome;
}

std::vector<double> FunctionObjective::evaluate(const search::WorkItem& item) {
  if (static_cast<Eigen::Index>(item.genome.size()) != function_.dimension) {
    throw InternalError("work item " + std::to_string(item.id) + " carries " + std::to_string(item.genome.size()) +
                        " values for a " + std::to_string(function_.dimension) + "-dimensional function");
  }
  if (delay_ > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay_));
  return {function_(Eigen::Map<const Eigen::VectorXd>(item.genome.data(), function_.dimension))};
}

namespace {

// Combines seed parts into one well-mixed seed (splitmix64 finaliser), so neighbouring ids
// or ranks do not produce correlated streams.
std::uint64_t mix(std::uint64_t seed, std::uint64_t value) {
  std::uint64_t z = seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void sleep_seconds(double seconds) {
  if (seconds > 0.0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

bool is_probability(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }

}  // namespace

SleepObjective::SleepObjective(SleepObjectiveOptions options) : options_(options) {
  if (options_.dimension < 1) throw ConfigError("sleep objective: dimension must be at least 1");
  if (!(options_.median_seconds >= 0.0) || !std::isfinite(options_.median_seconds)) {
    throw ConfigError("sleep objective: median_seconds must be a finite number >= 0");
  }
  if (!(options_.sigma >= 0.0) || !std::isfinite(options_.sigma)) {
    throw ConfigError("sleep objective: sigma must be a finite number >= 0");
  }
  if (options_.batches < 1) throw ConfigError("sleep objective: batches must be at least 1");
}

std::vector<search::WorkItem> SleepObjective::plan(std::int64_t generation, const Eigen::MatrixXd& population) {
  EVOMEM_CHECK(population.rows() == options_.dimension, "population rows differ from the objective's dimension");
  std::vector<search::WorkItem> items;
  items.reserve(static_cast<std::size_t>(population.cols() * options_.batches));
  for (Eigen::Index candidate = 0; candidate < population.cols(); ++candidate) {
    for (std::int64_t batch = 0; batch < options_.batches; ++batch) {
      search::WorkItem item;
      item.generation = generation;
      item.candidate = candidate;
      item.batch = batch;
      item.genome.assign(population.col(candidate).data(), population.col(candidate).data() + population.rows());
      items.push_back(std::move(item));
    }
  }
  return items;
}

search::GenerationOutcome SleepObjective::aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                                    const std::vector<search::ItemResult>& results) {
  EVOMEM_CHECK(items.size() == results.size(), "one result per planned item");
  std::int64_t candidates = 0;
  for (const search::WorkItem& item : items) candidates = std::max(candidates, item.candidate + 1);
  search::GenerationOutcome outcome;
  outcome.candidates.resize(static_cast<std::size_t>(candidates));
  std::vector<double> sums(outcome.candidates.size(), 0.0);
  std::vector<std::int64_t> counts(outcome.candidates.size(), 0);
  std::vector<bool> failed(outcome.candidates.size(), false);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].candidate < 0) continue;
    const auto candidate = static_cast<std::size_t>(items[i].candidate);
    if (!results[i].ok || results[i].values.empty()) {
      failed[candidate] = true;
      continue;
    }
    sums[candidate] += results[i].values[0];
    ++counts[candidate];
  }
  for (std::size_t candidate = 0; candidate < outcome.candidates.size(); ++candidate) {
    if (!failed[candidate] && counts[candidate] > 0) {
      outcome.candidates[candidate].fitness = sums[candidate] / static_cast<double>(counts[candidate]);
    }
  }
  return outcome;
}

std::vector<double> SleepObjective::evaluate(const search::WorkItem& item) {
  const double seconds = seconds_for(item);
  sleep_seconds(seconds);
  return {expected_value(item), seconds};
}

double SleepObjective::seconds_for(const search::WorkItem& item) const {
  evo::Rng rng(mix(options_.seed, static_cast<std::uint64_t>(item.id)));
  return options_.median_seconds * std::exp(options_.sigma * rng.normal());
}

double SleepObjective::expected_value(const search::WorkItem& item) {
  double sum = 0.0;
  for (const double value : item.genome) sum += value;
  return sum;
}

void validate(const FaultOptions& options) {
  if (!is_probability(options.p_throw) || !is_probability(options.p_hang) || options.p_throw + options.p_hang > 1.0) {
    throw ConfigError(
        "faults.throw_probability and faults.hang_probability must be probabilities that add up to at most 1");
  }
  if (!(options.hang_seconds >= 0.0) || !std::isfinite(options.hang_seconds)) {
    throw ConfigError("faults.hang_seconds must be a finite number >= 0");
  }
}

FaultInjectingObjective::FaultInjectingObjective(search::Objective& inner, FaultOptions options, int rank)
    : inner_(inner), options_(options), rank_(rank) {
  validate(options_);
}

FaultInjectingObjective::FaultInjectingObjective(std::unique_ptr<search::Objective> inner, FaultOptions options,
                                                 int rank)
    : owned_(std::move(inner)), inner_(*owned_), options_(options), rank_(rank) {
  validate(options_);
}

std::vector<double> FaultInjectingObjective::evaluate(const search::WorkItem& item) {
  const std::int64_t evaluation = evaluations_.fetch_add(1);
  evo::Rng rng(mix(mix(options_.seed, static_cast<std::uint64_t>(rank_)), static_cast<std::uint64_t>(evaluation)));
  const double draw = rng.uniform();
  if (draw < options_.p_throw) {
    throws_.fetch_add(1);
    throw Error("injected fault: evaluation " + std::to_string(evaluation) + " of item " + std::to_string(item.id) +
                " on rank " + std::to_string(rank_) + " threw");
  }
  if (draw < options_.p_throw + options_.p_hang) {
    hangs_.fetch_add(1);
    sleep_seconds(options_.hang_seconds);
  }
  return inner_.evaluate(item);
}

}  // namespace evomem::objectives
