#include "objectives/titans_objective.h"

#include <cmath>
#include <limits>
#include <utility>

#include "core/config_table.h"
#include "core/error.h"
#include "core/text.h"
#include "eval/titans_evaluation.h"
#include "objectives/objective_factory.h"

namespace evomem::objectives {
namespace {

// Seeds of the streams: a fresh draw per generation, and one fixed draw for the checks.
std::uint64_t generation_seed(std::uint64_t run_seed, std::int64_t generation) {
  return run_seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(generation) + 1;
}
std::uint64_t heldout_seed(std::uint64_t run_seed) { return run_seed ^ 0xA5A5A5A5DEADBEEFULL; }

std::int64_t batches(std::int64_t samples, std::int64_t batch) { return (samples + batch - 1) / batch; }

const core::ConfigTable<TitansObjectiveSettings>& titans_table() {
  static const core::ConfigTable<TitansObjectiveSettings> table = [] {
    using S = TitansObjectiveSettings;
    using M = memory::TitansConfig;
    const auto gate_mode = [](const std::string& text) {
      return memory::parse_titans_gate_mode(text, "objective.titans.gates");
    };
    const auto stream_tasks = [](const std::string& text) {
      std::vector<eval::TitansStreamTask> tasks;
      for (const auto& name : core::split(text))
        tasks.push_back(eval::parse_titans_stream_task(name, "objective.titans.tasks"));
      return tasks;
    };
    const auto step_counts = [](const std::string& text) {
      return text.empty() ? std::vector<std::int64_t>{} : eval::parse_titans_lengths(text, "objective.titans.lengths");
    };
    core::ConfigTable<TitansObjectiveSettings> t;
    t.string("backbone", "models/evomem-tiny", "Checkpoint folder whose token embeddings are the features",
             &S::backbone)
        .parsed("gates", "constant", "constant (alpha, eta, theta) or data_dependent", {"constant", "data_dependent"},
                gate_mode, &S::memory, &M::gate_mode)
        .number("theta_max", 1.0, "Data-dependent gates: theta_t = theta_max * sigmoid(...)", &S::memory, &M::theta_max)
        .integer("depth", 1, "Memory depth L_M (1: linear, 2-4: MLP)", &S::memory, &M::depth)
        .integer("expansion", 2, "MLP memory: hidden width / width", &S::memory, &M::expansion)
        .integer("chunk_size", 16, "Tokens per chunk (gradients at the chunk's start; 1: per token)", &S::memory,
                 &M::chunk_size)
        .boolean("silu", false, "SiLU on keys, values and queries", &S::memory, &M::silu)
        .boolean("l2_normalize", true, "Unit-length keys and queries", &S::memory, &M::l2_normalize)
        .number("grad_clip", 0.0, "Max L2 norm of one token's gradient (0: off)", &S::memory, &M::grad_clip)
        .number("init_scale", 0.01, "Scale of the memory's Xavier-uniform initial weights", &S::memory, &M::init_scale)
        .integer("memory_seed", 0, "Seed of the memory's initial weights", &S::memory, &M::seed)
        .number("start_alpha", memory::kTitansPublishedAlpha,
                "Starting mean of the search: alpha (data-dependent gates: at zero input)", &S::start_alpha)
        .number("start_eta", memory::kTitansPublishedEta, "Starting mean of the search: eta", &S::start_eta)
        .number("start_theta", memory::kTitansPublishedTheta, "Starting mean of the search: theta", &S::start_theta)
        .parsed("tasks", "passkey,number,word,recall_shift,capacity,burst", "Stream tasks, comma-separated", {},
                stream_tasks, &S::tasks)
        .integer("length", 4096, "Steps of the streams each generation reads (unless lengths is given)", &S::length)
        .parsed("lengths", "", "Stream lengths generations read in turn, comma-separated (e.g. 2048,16384)", {},
                step_counts, &S::lengths)
        .integer("samples", 8, "Streams per task per generation (the same for every member)", &S::samples)
        .integer("batch", 8, "Streams per work item", &S::batch)
        .integer("recall_keys", 48, "recall_shift: keys of the dictionary", &S::streams,
                 &eval::TitansStreamOptions::recall_keys)
        .integer("recall_segment", 256, "recall_shift: steps between shifts (values redrawn at each)", &S::streams,
                 &eval::TitansStreamOptions::recall_segment)
        .integer("capacity_keys", 256, "capacity: pairs of the table read in the first half", &S::streams,
                 &eval::TitansStreamOptions::capacity_keys)
        .integer("capacity_updates", 16, "capacity: table keys re-bound once in the last quarter and queried",
                 &S::streams, &eval::TitansStreamOptions::capacity_updates)
        .integer("burst_pairs", 8, "burst: new pairs in a row", &S::streams, &eval::TitansStreamOptions::burst_pairs)
        .integer("heldout_length", 16384, "Steps of the held-out streams", &S::heldout_length)
        .integer("heldout_samples", 16, "Held-out streams per task", &S::heldout_samples)
        .integer("heldout_interval", 5, "Check the mean genome on held-out streams every N generations (0: never)",
                 &S::heldout_interval);
    return t;
  }();
  return table;
}

constexpr const char* kTitansSection = "objective.titans.";

}  // namespace

void add_titans_keys(core::ConfigSchema& schema) { titans_table().declare(schema, kTitansSection); }

TitansObjectiveSettings titans_objective_settings(const search::EvolveConfig& config) {
  TitansObjectiveSettings s;
  titans_table().read(config.config, s, kTitansSection);
  if (s.tasks.empty())
    throw ConfigError("objective.titans.tasks names no task; use passkey, number, word, recall_shift, capacity, burst");
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
  try {
    titans_start_gates(s, probe);
  } catch (const Error& error) {
    throw ConfigError(std::string("objective.titans.start_*: ") + error.what());
  }
  return s;
}

TitansObjectiveSettings titans_objective_settings(const std::string& config_text, const std::string& where) {
  const auto evolve = parse_run_config(config_text, where);
  if (evolve.objective_kind != "titans") {
    throw InputError(where + ": objective.kind is '" + evolve.objective_kind + "', not titans");
  }
  return titans_objective_settings(evolve);
}

memory::TitansGates titans_start_gates(const TitansObjectiveSettings& settings, const memory::TitansConfig& config) {
  return memory::TitansGates::around(config, settings.start_alpha, settings.start_eta, settings.start_theta);
}

memory::TitansConfig titans_memory_config(const TitansObjectiveSettings& settings) {
  return eval::titans_pair_config(settings.memory, eval::titans_feature_width(settings.backbone));
}

struct TitansObjective::Impl {
  TitansObjectiveSettings settings;
  std::unique_ptr<eval::TitansEvaluator> evaluator;  // workers only
  memory::TitansConfig layout_config;                // titans_memory_config: the genome layout

  std::vector<search::WorkItem> items(std::int64_t generation, std::int64_t kind, std::int64_t candidate,
                                      const double* genome, Eigen::Index size, std::int64_t samples) const {
    std::vector<search::WorkItem> out;
    for (std::size_t task = 0; task < settings.tasks.size(); ++task) {
      for (std::int64_t b = 0; b < batches(samples, settings.batch); ++b) {
        search::WorkItem item;
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
  std::vector<double> task_accuracies(const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results, std::int64_t candidate,
                                      std::int64_t samples) const {
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

  search::CandidateOutcome outcome(const std::vector<double>& accuracy) const {
    search::CandidateOutcome candidate;
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

TitansObjective::TitansObjective(TitansObjectiveSettings settings, ObjectiveRole role)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  // The coordinator needs only the genome layout, which config.json alone gives.
  impl_->layout_config = titans_memory_config(impl_->settings);
  const auto& s = impl_->settings;
  // Every stream the run will read can be made: checked here, before any weights load or
  // generation runs.
  auto vocabulary = eval::load_titans_vocabulary(s.backbone);
  std::vector<std::int64_t> lengths = s.lengths.empty() ? std::vector<std::int64_t>{s.length} : s.lengths;
  if (s.heldout_interval > 0) lengths.push_back(s.heldout_length);
  eval::check_titans_streams(vocabulary, s.tasks, lengths, s.streams);
  if (role == ObjectiveRole::kWorker) {
    impl_->evaluator = std::make_unique<eval::TitansEvaluator>(
        eval::load_titans_evaluator(s.backbone, s.memory, std::move(vocabulary)));
  }
}

TitansObjective::~TitansObjective() = default;

Eigen::Index TitansObjective::dimension() const { return memory::TitansGates::layout(impl_->layout_config).size(); }

Eigen::VectorXd TitansObjective::initial_mean() const {
  const auto values = titans_start_gates(impl_->settings, impl_->layout_config).to_genome();
  Eigen::VectorXd mean(static_cast<Eigen::Index>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) mean[static_cast<Eigen::Index>(i)] = values[i];
  return mean;
}

std::vector<std::string> TitansObjective::task_names() const {
  std::vector<std::string> names;
  for (const auto task : impl_->settings.tasks) names.emplace_back(eval::titans_stream_task_name(task));
  return names;
}

std::vector<search::WorkItem> TitansObjective::plan(std::int64_t generation, const Eigen::MatrixXd& population) {
  std::vector<search::WorkItem> all;
  for (Eigen::Index c = 0; c < population.cols(); ++c) {
    auto items = impl_->items(generation, kMember, c, population.col(c).data(), population.rows(),
                              impl_->settings.samples);
    all.insert(all.end(), items.begin(), items.end());
  }
  return all;
}

search::GenerationOutcome TitansObjective::aggregate(std::int64_t /*generation*/,
                                                     const std::vector<search::WorkItem>& items,
                                                     const std::vector<search::ItemResult>& results) {
  std::int64_t candidates = 0;
  for (const auto& item : items) candidates = std::max(candidates, item.candidate + 1);
  search::GenerationOutcome outcome;
  for (std::int64_t c = 0; c < candidates; ++c) {
    outcome.candidates.push_back(impl_->outcome(impl_->task_accuracies(items, results, c, impl_->settings.samples)));
  }
  return outcome;
}

std::vector<search::WorkItem> TitansObjective::plan_check(std::int64_t generation, const Eigen::VectorXd& genome) {
  const auto& s = impl_->settings;
  if (s.heldout_interval == 0 || (generation + 1) % s.heldout_interval != 0) return {};
  return impl_->items(generation, kCheck, -1, genome.data(), genome.size(), s.heldout_samples);
}

search::CandidateOutcome TitansObjective::aggregate_check(const std::vector<search::WorkItem>& items,
                                                          const std::vector<search::ItemResult>& results) {
  return impl_->outcome(impl_->task_accuracies(items, results, -1, impl_->settings.heldout_samples));
}

std::vector<double> TitansObjective::evaluate(const search::WorkItem& item) {
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
  const auto score = eval::score_titans_task(
      *impl_->evaluator, gates, s.tasks[task], check ? s.heldout_length : s.generation_length(item.generation),
      check ? heldout_seed(s.seed) : generation_seed(s.seed, item.generation), static_cast<std::uint64_t>(first),
      std::min(s.batch, samples - first), s.batch, s.streams);
  return {static_cast<double>(score.correct), static_cast<double>(score.queries)};
}

}  // namespace evomem::objectives
