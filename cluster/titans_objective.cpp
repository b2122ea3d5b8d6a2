#include "cluster/titans_objective.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/text.h"
#include "tasks/titans_evaluation.h"

namespace evomem::cluster {
namespace {

// Seeds of the streams: a fresh draw per generation, and one fixed draw for the checks.
std::uint64_t generation_seed(std::uint64_t run_seed, std::int64_t generation) {
  return run_seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(generation) + 1;
}
std::uint64_t heldout_seed(std::uint64_t run_seed) { return run_seed ^ 0xA5A5A5A5DEADBEEFULL; }

std::int64_t batches(std::int64_t samples, std::int64_t batch) { return (samples + batch - 1) / batch; }

}  // namespace

TitansObjectiveSettings titans_objective_settings(const EvolveConfig& config) {
  const auto& c = config.config;
  TitansObjectiveSettings s;
  s.backbone = c.get_string("objective.titans.backbone");
  auto& m = s.memory;
  m.depth = c.get_int("objective.titans.depth");
  m.expansion = c.get_int("objective.titans.expansion");
  m.chunk_size = c.get_int("objective.titans.chunk_size");
  m.silu = c.get_bool("objective.titans.silu");
  m.l2_normalize = c.get_bool("objective.titans.l2_normalize");
  m.grad_clip = c.get_double("objective.titans.grad_clip");
  m.gate_mode = memory::parse_titans_gate_mode(c.get_string("objective.titans.gates"), "objective.titans.gates");
  m.theta_max = c.get_double("objective.titans.theta_max");
  m.init_scale = c.get_double("objective.titans.init_scale");
  m.seed = static_cast<std::uint64_t>(c.get_int("objective.titans.memory_seed"));
  for (const auto& name : core::split(c.get_string("objective.titans.tasks"))) {
    s.tasks.push_back(tasks::parse_titans_stream_task(name, "objective.titans.tasks"));
  }
  if (s.tasks.empty()) throw ConfigError("objective.titans.tasks names no task; use passkey, number, word, recall_shift");
  s.streams.recall_keys = c.get_int("objective.titans.recall_keys");
  s.streams.recall_segment = c.get_int("objective.titans.recall_segment");
  s.length = c.get_int("objective.titans.length");
  s.samples = c.get_int("objective.titans.samples");
  s.batch = c.get_int("objective.titans.batch");
  s.heldout_length = c.get_int("objective.titans.heldout_length");
  s.heldout_samples = c.get_int("objective.titans.heldout_samples");
  s.heldout_interval = c.get_int("objective.titans.heldout_interval");
  s.seed = config.run.seed;
  if (s.samples < 1) throw ConfigError("objective.titans.samples must be >= 1");
  if (s.batch < 1) throw ConfigError("objective.titans.batch must be >= 1");
  if (s.heldout_samples < 1) throw ConfigError("objective.titans.heldout_samples must be >= 1");
  if (s.heldout_interval < 0) throw ConfigError("objective.titans.heldout_interval must be >= 0");
  // The memory checks its own keys; the pair layout's dimensions are filled in later.
  memory::TitansConfig probe = s.memory;
  probe.input_dim = 2;
  probe.width = 1;
  probe.projection = memory::TitansProjectionKind::kGiven;
  probe.validate();
  return s;
}

TitansObjectiveSettings titans_objective_settings(const std::string& config_text, const std::string& where) {
  auto config = core::Config::parse(config_text, where);
  config.validate(evolve_schema());
  const auto evolve = evolve_config(config);
  if (evolve.objective_kind != "titans") {
    throw InputError(where + ": objective.kind is '" + evolve.objective_kind + "', not titans");
  }
  return titans_objective_settings(evolve);
}

memory::TitansConfig titans_memory_config(const TitansObjectiveSettings& settings) {
  return tasks::titans_pair_config(settings.memory, tasks::titans_feature_width(settings.backbone));
}

struct TitansObjective::Impl {
  TitansObjectiveSettings settings;
  std::unique_ptr<tasks::TitansEvaluator> evaluator;  // workers only
  memory::TitansConfig layout_config;                 // titans_memory_config: the genome layout

  std::vector<WorkItem> items(std::int64_t generation, std::int64_t kind, std::int64_t candidate,
                              const double* genome, Eigen::Index size, std::int64_t samples) const {
    std::vector<WorkItem> out;
    for (std::size_t task = 0; task < settings.tasks.size(); ++task) {
      for (std::int64_t b = 0; b < batches(samples, settings.batch); ++b) {
        WorkItem item;
        item.generation = generation;
        item.candidate = candidate;
        item.kind = kind;
        item.batch = static_cast<std::int64_t>(task) * batches(samples, settings.batch) + b;
        item.genome.assign(genome, genome + size);
        out.push_back(std::move(item));
      }
    }
    return out;
  }

  // Per task: accuracy over the items of one candidate (NaN if any item failed).
  std::vector<double> task_accuracies(const std::vector<WorkItem>& items, const std::vector<ItemResult>& results,
                                      std::int64_t candidate, std::int64_t samples) const {
    const std::size_t tasks = settings.tasks.size();
    std::vector<double> correct(tasks, 0.0), asked(tasks, 0.0);
    std::vector<bool> failed(tasks, false);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].candidate != candidate) continue;
      const auto task = static_cast<std::size_t>(items[i].batch / batches(samples, settings.batch));
      if (!results[i].ok || results[i].values.size() != 2) {
        failed[task] = true;
        continue;
      }
      correct[task] += results[i].values[0];
      asked[task] += results[i].values[1];
    }
    std::vector<double> accuracy(tasks);
    for (std::size_t t = 0; t < tasks; ++t) {
      accuracy[t] = failed[t] || asked[t] == 0 ? std::numeric_limits<double>::quiet_NaN() : correct[t] / asked[t];
    }
    return accuracy;
  }

  CandidateOutcome outcome(const std::vector<double>& accuracy) const {
    CandidateOutcome candidate;
    candidate.task_scores = accuracy;
    // A Titans memory keeps no KV cache: nothing is retained or evicted.
    candidate.retained_fraction = std::numeric_limits<double>::quiet_NaN();
    double sum = 0.0;
    for (const double value : accuracy) {
      if (std::isnan(value)) return candidate;  // fitness stays missing
      sum += value;
    }
    candidate.fitness = sum / static_cast<double>(accuracy.size());
    return candidate;
  }
};

TitansObjective::TitansObjective(TitansObjectiveSettings settings, ObjectiveRole role) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  // The coordinator needs only the genome layout, which config.json alone gives.
  impl_->layout_config = titans_memory_config(impl_->settings);
  if (role == ObjectiveRole::kWorker) {
    impl_->evaluator = std::make_unique<tasks::TitansEvaluator>(
        tasks::load_titans_evaluator(impl_->settings.backbone, impl_->settings.memory));
  }
}

TitansObjective::~TitansObjective() = default;

Eigen::Index TitansObjective::dimension() const { return memory::TitansGates::layout(impl_->layout_config).size(); }

Eigen::VectorXd TitansObjective::initial_mean() const {
  const auto values = memory::TitansGates::published(impl_->layout_config).to_genome();
  Eigen::VectorXd mean(static_cast<Eigen::Index>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) mean[static_cast<Eigen::Index>(i)] = values[i];
  return mean;
}

std::vector<std::string> TitansObjective::task_names() const {
  std::vector<std::string> names;
  for (const auto task : impl_->settings.tasks) names.emplace_back(tasks::titans_stream_task_name(task));
  return names;
}

std::vector<WorkItem> TitansObjective::plan(std::int64_t generation, const Eigen::MatrixXd& population) {
  std::vector<WorkItem> all;
  for (Eigen::Index c = 0; c < population.cols(); ++c) {
    auto items = impl_->items(generation, kMember, c, population.col(c).data(), population.rows(), impl_->settings.samples);
    all.insert(all.end(), items.begin(), items.end());
  }
  return all;
}

GenerationOutcome TitansObjective::aggregate(std::int64_t /*generation*/, const std::vector<WorkItem>& items,
                                             const std::vector<ItemResult>& results) {
  std::int64_t candidates = 0;
  for (const auto& item : items) candidates = std::max(candidates, item.candidate + 1);
  GenerationOutcome outcome;
  for (std::int64_t c = 0; c < candidates; ++c) {
    outcome.candidates.push_back(impl_->outcome(impl_->task_accuracies(items, results, c, impl_->settings.samples)));
  }
  return outcome;
}

std::vector<WorkItem> TitansObjective::plan_check(std::int64_t generation, const Eigen::VectorXd& genome) {
  const auto& s = impl_->settings;
  if (s.heldout_interval == 0 || (generation + 1) % s.heldout_interval != 0) return {};
  return impl_->items(generation, kCheck, -1, genome.data(), genome.size(), s.heldout_samples);
}

CandidateOutcome TitansObjective::aggregate_check(const std::vector<WorkItem>& items, const std::vector<ItemResult>& results) {
  return impl_->outcome(impl_->task_accuracies(items, results, -1, impl_->settings.heldout_samples));
}

std::vector<double> TitansObjective::evaluate(const WorkItem& item) {
  if (!impl_->evaluator) throw InternalError("the coordinator's Titans objective cannot evaluate items");
  const auto& s = impl_->settings;
  const bool check = item.kind == kCheck;
  const std::int64_t samples = check ? s.heldout_samples : s.samples;
  const std::int64_t per_task = batches(samples, s.batch);
  const auto task = static_cast<std::size_t>(item.batch / per_task);
  const std::int64_t first = (item.batch % per_task) * s.batch;
  if (task >= s.tasks.size() || item.kind < kMember || item.kind > kCheck) {
    throw InternalError("Titans work item " + std::to_string(item.id) + " names no task of this objective");
  }
  std::vector<float> values(item.genome.begin(), item.genome.end());
  const auto gates = memory::TitansGates::from_genome(impl_->layout_config, values);
  const auto score = tasks::score_titans_task(*impl_->evaluator, gates, s.tasks[task], check ? s.heldout_length : s.length,
                                              check ? heldout_seed(s.seed) : generation_seed(s.seed, item.generation),
                                              static_cast<std::uint64_t>(first), std::min(s.batch, samples - first), s.batch,
                                              s.streams);
  return {static_cast<double>(score.correct), static_cast<double>(score.queries)};
}

}  // namespace evomem::cluster
