#include "cluster/objective_factory.h"

#include <chrono>
#include <thread>

#include "cluster/synthetic_objectives.h"
#include "cluster/titans_objective.h"
#include "core/error.h"
#include "evo/test_functions.h"

namespace evomem::cluster {
namespace {

// A built-in test function as an objective: one item per candidate, fitness = f(x).
class FunctionObjective : public Objective {
 public:
  FunctionObjective(const std::string& name, Eigen::Index dimension, double x0, double seconds_per_evaluation)
      : function_(evo::make_test_function(name, dimension)), x0_(x0), delay_(seconds_per_evaluation) {}

  std::string kind() const override { return "function"; }
  Eigen::Index dimension() const override { return function_.dimension; }
  evo::Direction direction() const override { return evo::Direction::kMinimize; }
  Eigen::VectorXd initial_mean() const override { return Eigen::VectorXd::Constant(function_.dimension, x0_); }

  std::vector<WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override {
    std::vector<WorkItem> items;
    for (Eigen::Index c = 0; c < population.cols(); ++c) {
      WorkItem item;
      item.generation = generation;
      item.candidate = c;
      item.genome.assign(population.col(c).data(), population.col(c).data() + population.rows());
      items.push_back(std::move(item));
    }
    return items;
  }

  GenerationOutcome aggregate(std::int64_t, const std::vector<WorkItem>& items, const std::vector<ItemResult>& results) override {
    GenerationOutcome outcome;
    outcome.candidates.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto& candidate = outcome.candidates[static_cast<std::size_t>(items[i].candidate)];
      if (results[i].ok && results[i].values.size() == 1) candidate.fitness = results[i].values[0];
    }
    return outcome;
  }

  std::vector<double> evaluate(const WorkItem& item) override {
    if (static_cast<Eigen::Index>(item.genome.size()) != function_.dimension) {
      throw InternalError("work item " + std::to_string(item.id) + " carries " + std::to_string(item.genome.size()) +
                          " values for a " + std::to_string(function_.dimension) + "-dimensional function");
    }
    if (delay_ > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay_));
    return {function_(Eigen::Map<const Eigen::VectorXd>(item.genome.data(), function_.dimension))};
  }

 private:
  evo::TestFunction function_;
  double x0_;
  double delay_;
};

std::unique_ptr<Objective> make_plain_objective(const EvolveConfig& config, ObjectiveRole role, const std::string& device) {
  if (config.objective_kind == "function") {
    const auto& c = config.config;
    const auto dimension = c.get_int("objective.function.dimension");
    if (dimension < 1) throw ConfigError("objective.function.dimension must be positive");
    return std::make_unique<FunctionObjective>(c.get_string("objective.function.name"), dimension,
                                               c.get_double("objective.function.x0"),
                                               c.get_double("objective.function.seconds_per_evaluation"));
  }
  if (config.objective_kind == "namm") {
    return std::make_unique<NammObjective>(namm_objective_settings(config), role, device);
  }
  if (config.objective_kind == "titans") {
    return std::make_unique<TitansObjective>(titans_objective_settings(config), role);
  }
  throw ConfigError("objective.kind: unknown objective '" + config.objective_kind + "'; use namm, titans or function");
}

}  // namespace

std::unique_ptr<Objective> make_objective(const EvolveConfig& config, ObjectiveRole role, const std::string& device,
                                          int rank) {
  auto objective = make_plain_objective(config, role, device);
  FaultOptions faults;
  faults.p_throw = config.config.get_double("faults.throw_probability");
  faults.p_hang = config.config.get_double("faults.hang_probability");
  faults.hang_seconds = config.config.get_double("faults.hang_seconds");
  faults.seed = config.run.seed;
  validate(faults);  // on the coordinator too, which never wraps its objective
  if (role == ObjectiveRole::kCoordinator || (faults.p_throw == 0.0 && faults.p_hang == 0.0)) return objective;
  return std::make_unique<FaultInjectingObjective>(std::move(objective), faults, rank);
}

}  // namespace evomem::cluster
