#include "objectives/namm_objective.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/config_table.h"
#include "core/error.h"
#include "core/logging.h"
#include "eval/runner.h"
#include "memory/namm_policy.h"
#include "metrics/metric.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/random.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"
#include "tasks/task_registry.h"
#include "tasks/task_samples.h"

namespace evomem::objectives {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Values per sample in an item's result: score, retained cache fraction.
constexpr std::size_t kValuesPerSample = 2;

struct SampleRef {
  std::size_t task = 0;
  std::size_t index = 0;  // in the task's training or held-out pool
};

bool is_synthetic(const std::string& name) {
  const auto& names = tasks::synthetic_task_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::unique_ptr<memory::NammPolicy> make_namm(const std::string& spec) {
  std::unique_ptr<memory::Policy> policy;
  try {
    policy = memory::make_policy(spec);
  } catch (const ConfigError& error) {
    throw ConfigError("objective.namm.policy = '" + spec + "': " + error.what());
  }
  auto* namm = dynamic_cast<memory::NammPolicy*>(policy.get());
  if (namm == nullptr) {
    throw ConfigError("objective.namm.policy: '" + spec + "' is not a NAMM policy spec; write namm[:key=value,...]");
  }
  policy.release();
  return std::unique_ptr<memory::NammPolicy>(namm);
}

// Splits `refs` into consecutive batches of `size`.
std::vector<std::vector<SampleRef>> batches_of(const std::vector<SampleRef>& refs, std::int64_t size) {
  std::vector<std::vector<SampleRef>> batches;
  for (std::size_t start = 0; start < refs.size(); start += static_cast<std::size_t>(size)) {
    const auto end = std::min(refs.size(), start + static_cast<std::size_t>(size));
    batches.emplace_back(refs.begin() + static_cast<std::ptrdiff_t>(start),
                         refs.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

std::int64_t reference_key(const SampleRef& ref) { return static_cast<std::int64_t>(ref.task << 32 | ref.index); }

const core::ConfigTable<NammObjectiveSettings>& namm_table() {
  static const core::ConfigTable<NammObjectiveSettings> table = [] {
    using S = NammObjectiveSettings;
    core::ConfigTable<NammObjectiveSettings> t;
    t.string("backbone", "models/evomem-tiny", "Backbone checkpoint folder", &S::backbone)
        .string("policy", "namm", "NAMM policy spec (selection and update interval, see docs/memory.md)", &S::policy)
        .string("tasks_file", "", "Extra task definitions (TOML) for non-built-in tasks read from files",
                &S::tasks_file)
        .integer("samples_per_task", 4, "Samples per task per generation (the same for every member)",
                 &S::samples_per_task)
        .integer("batch_size", 2, "Samples per work item", &S::batch_size)
        .integer("genomes_per_item", 4, "Population members per work item, evaluated together as the rows of one batch",
                 &S::genomes_per_item)
        .boolean("normalize", true, "Divide a task's score by the full-cache score of the same samples", &S::normalize)
        .number("retention_penalty", 0.0, "Fitness minus this times the mean retained cache fraction",
                &S::retention_penalty)
        .integer("heldout_interval", 5, "Evaluate the mean genome on held-out samples every N generations (0: never)",
                 &S::heldout_interval)
        .integer("heldout_samples", 8, "Held-out samples per task", &S::heldout_samples)
        .integer("chunk_size", 256, "Prefill chunk (tokens)", &S::chunk_size)
        .integer("context_window", 32768,
                 "Prompts longer than this minus max_new_tokens keep their first and last halves", &S::context_window)
        .integer("calibration_samples", 64,
                 "Training samples of the first stage's tasks (taken in turn, zero genome) that fix the feature "
                 "normalisation",
                 &S::calibration_samples);
    return t;
  }();
  return table;
}

const core::ConfigTable<NammTaskSettings>& namm_task_table() {
  static const core::ConfigTable<NammTaskSettings> table = [] {
    using T = NammTaskSettings;
    core::ConfigTable<NammTaskSettings> t;
    t.number("weight", 1.0, "Weight of the task in the fitness", &T::weight)
        .string("file", "", "LongBench/InfiniteBench JSONL (empty: a synthetic task, generated)", &T::file)
        .integer("length", 2048, "Synthetic: prompt tokens per sample", &T::length)
        .integer("pool", 64, "Samples to draw training samples from", &T::pool)
        .integer("from_generation", 0, "Incremental stages: first generation using the task", &T::from_generation);
    return t;
  }();
  return table;
}

constexpr const char* kNammSection = "objective.namm.";
constexpr const char* kNammTasks = "objective.namm.tasks";

}  // namespace

void add_namm_keys(core::ConfigSchema& schema) {
  namm_table().declare(schema, kNammSection);
  namm_task_table().declare(schema, std::string(kNammTasks) + ".*.");
}

NammObjectiveSettings namm_objective_settings(const search::EvolveConfig& config) {
  const core::Config& c = config.config;
  NammObjectiveSettings s;
  namm_table().read(c, s, kNammSection);
  s.seed = config.run.seed;
  for (const auto& name : c.children(kNammTasks)) {
    const std::string prefix = std::string(kNammTasks) + "." + name + ".";
    NammTaskSettings task;
    task.name = name;
    namm_task_table().read(c, task, prefix);
    if (!(task.weight > 0.0)) throw ConfigError(prefix + "weight must be positive");
    if (task.pool < 1 || task.length < 1) throw ConfigError(prefix + "pool and " + prefix + "length must be positive");
    if (task.from_generation < 0) throw ConfigError(prefix + "from_generation must be >= 0");
    s.tasks.push_back(task);
  }
  std::sort(s.tasks.begin(), s.tasks.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (s.tasks.empty()) {
    throw ConfigError("objective.namm.tasks: no task; add e.g. [objective.namm.tasks.synth_passkey] with weight = 1.0");
  }
  if (std::none_of(s.tasks.begin(), s.tasks.end(), [](const auto& t) { return t.from_generation == 0; })) {
    throw ConfigError("objective.namm.tasks: some task must start at from_generation = 0");
  }
  if (s.samples_per_task < 1 || s.batch_size < 1) {
    throw ConfigError("objective.namm.samples_per_task and objective.namm.batch_size must be positive");
  }
  if (s.genomes_per_item < 1) throw ConfigError("objective.namm.genomes_per_item must be positive");
  if (s.heldout_interval < 0 || s.heldout_samples < 0) {
    throw ConfigError("objective.namm.heldout_interval and objective.namm.heldout_samples must be >= 0");
  }
  if (s.chunk_size < 1) throw ConfigError("objective.namm.chunk_size must be positive");
  if (s.calibration_samples < 1) throw ConfigError("objective.namm.calibration_samples must be positive");
  return s;
}

struct NammObjective::Impl {
  struct TaskPools {
    NammTaskSettings settings;
    tasks::TaskSpec spec;
    std::vector<tasks::EvalSample> train;
    std::vector<tasks::EvalSample> heldout;
  };

  NammObjectiveSettings settings;
  ObjectiveRole role;
  std::unique_ptr<memory::NammPolicy> policy;  // configuration, initial genome; the worker's scorer
  std::vector<TaskPools> pools;
  std::optional<model::Backbone> backbone;
  std::optional<model::Tokenizer> tokenizer;
  std::unique_ptr<eval::Runner> runner;
  // Coordinator state.
  std::map<std::int64_t, double> train_reference;
  std::map<std::int64_t, double> heldout_reference;
  std::optional<memory::NormalizationStats> normalization;

  void load_pools() {
    tasks::TaskRegistry registry = tasks::TaskRegistry::builtin();
    if (!settings.tasks_file.empty()) registry.add_from_toml(settings.tasks_file);
    const auto functions = tasks::synthetic_tokenizer(*tokenizer);
    for (std::size_t t = 0; t < settings.tasks.size(); ++t) {
      const auto& task = settings.tasks[t];
      TaskPools pool{task, {}, {}, {}};
      if (task.file.empty()) {
        if (!is_synthetic(task.name)) {
          throw ConfigError("objective.namm.tasks." + task.name + ".file: '" + task.name +
                            "' is not a synthetic task, so it needs a data file (LongBench/InfiniteBench JSONL)");
        }
        pool.spec = tasks::synthetic_task_spec(task.name);
        const auto generate = [&](std::int64_t count, std::uint64_t stream) {
          tasks::SyntheticOptions options;
          options.task = task.name;
          options.length = static_cast<std::size_t>(task.length);
          options.samples = static_cast<std::size_t>(count);
          options.seed = tasks::SyntheticRng::for_stream(settings.seed, 2 * t + stream).next();
          std::vector<tasks::EvalSample> samples;
          if (count == 0) return samples;
          for (const auto& sample : tasks::generate_synthetic(options, functions)) {
            samples.push_back(tasks::eval_sample(sample));
          }
          return samples;
        };
        try {
          pool.train = generate(task.pool, 0);
          pool.heldout = generate(settings.heldout_samples, 1);
        } catch (const InputError& error) {
          throw ConfigError("objective.namm.tasks." + task.name + ".length: " + error.what());
        }
      } else {
        pool.spec = registry.get(task.name);
        auto samples = tasks::load_task_samples(pool.spec, task.file);
        const auto heldout = std::min<std::size_t>(samples.size() / 2,
                                                   static_cast<std::size_t>(settings.heldout_samples));
        pool.heldout.assign(samples.end() - static_cast<std::ptrdiff_t>(heldout), samples.end());
        samples.resize(samples.size() - heldout);
        pool.train = std::move(samples);
        if (pool.train.empty()) throw InputError(task.file + ": no samples left for training after the held-out ones");
      }
      pools.push_back(std::move(pool));
    }
  }

  std::vector<std::size_t> active_tasks(std::int64_t generation) const {
    std::vector<std::size_t> active;
    for (std::size_t t = 0; t < pools.size(); ++t) {
      if (pools[t].settings.from_generation <= generation) active.push_back(t);
    }
    return active;
  }

  // The training samples of a generation: the same on every rank.
  std::vector<SampleRef> generation_samples(std::int64_t generation) const {
    std::vector<SampleRef> refs;
    for (const auto t : active_tasks(generation)) {
      auto rng = tasks::SyntheticRng::for_stream(settings.seed ^ 0x6E616D6D5F67656EULL,
                                                 static_cast<std::uint64_t>(generation) * 1024 + t);
      std::vector<std::size_t> indices(pools[t].train.size());
      for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = i;
      const auto take = std::min(indices.size(), static_cast<std::size_t>(settings.samples_per_task));
      for (std::size_t i = 0; i < take; ++i) std::swap(indices[i], indices[i + rng.below(indices.size() - i)]);
      indices.resize(take);
      std::sort(indices.begin(), indices.end());
      for (const auto index : indices) refs.push_back({t, index});
    }
    return refs;
  }

  std::vector<SampleRef> heldout_samples() const {
    std::vector<SampleRef> refs;
    for (std::size_t t = 0; t < pools.size(); ++t) {
      for (std::size_t i = 0; i < pools[t].heldout.size(); ++i) refs.push_back({t, i});
    }
    return refs;
  }

  // Every item of a kind over `refs`: one per batch; reference items only for batches with
  // a sample whose full-cache score is not cached yet.
  std::vector<search::WorkItem> items_for(const std::vector<SampleRef>& refs, std::int64_t generation,
                                          std::int64_t kind, std::int64_t candidate,
                                          const std::vector<double>& genome) const {
    std::vector<search::WorkItem> items;
    const auto batches = batches_of(refs, settings.batch_size);
    const bool reference = kind == kReference || kind == kCheckReference;
    const auto& cache = kind == kReference ? train_reference : heldout_reference;
    for (std::size_t b = 0; b < batches.size(); ++b) {
      if (reference && std::all_of(batches[b].begin(), batches[b].end(),
                                   [&](const SampleRef& ref) { return cache.count(reference_key(ref)) > 0; })) {
        continue;
      }
      search::WorkItem item;
      item.generation = generation;
      item.candidate = candidate;
      item.batch = static_cast<std::int64_t>(b);
      item.kind = kind;
      item.genome = genome;
      items.push_back(std::move(item));
    }
    return items;
  }

  // Scores of one candidate's (or the check's) samples from the results, with the reference
  // items of the same call filling the cache first.
  // `values` holds one entry per batch: the candidate's (score, retained) per sample, or
  // nothing when its item failed.
  search::CandidateOutcome outcome(const std::vector<SampleRef>& refs,
                                   const std::vector<std::optional<std::vector<double>>>& values,
                                   const std::map<std::int64_t, double>& cache) const {
    search::CandidateOutcome outcome;
    outcome.task_scores.assign(pools.size(), kNaN);
    std::vector<double> sums(pools.size(), 0.0), references(pools.size(), 0.0), counts(pools.size(), 0.0);
    double retained = 0.0;
    const auto batches = batches_of(refs, settings.batch_size);
    EVOMEM_CHECK(values.size() == batches.size(), "one result per batch");
    for (std::size_t b = 0; b < batches.size(); ++b) {
      if (!values[b]) return outcome;  // fitness stays missing
      const std::vector<double>& batch_values = *values[b];
      EVOMEM_CHECK(batch_values.size() == kValuesPerSample * batches[b].size(), "values per sample");
      // A genome that failed alone inside its group reports NaN (Impl::run_members).
      if (std::any_of(batch_values.begin(), batch_values.end(), [](double v) { return std::isnan(v); })) {
        return outcome;
      }
      for (std::size_t s = 0; s < batches[b].size(); ++s) {
        const auto& ref = batches[b][s];
        sums[ref.task] += batch_values[kValuesPerSample * s];
        retained += batch_values[kValuesPerSample * s + 1];
        counts[ref.task] += 1.0;
        const auto cached = cache.find(reference_key(ref));
        references[ref.task] += cached != cache.end() ? cached->second : kNaN;
      }
    }
    double weighted = 0.0, weights = 0.0;
    for (std::size_t t = 0; t < pools.size(); ++t) {
      if (counts[t] == 0.0) continue;
      const double mean = sums[t] / counts[t];
      const double reference = references[t] / counts[t];
      outcome.task_scores[t] = mean;
      // A task whose full-cache score is 0 (or unknown after a failed reference item) is
      // counted unnormalised: dividing by it would be meaningless.
      const double contribution = settings.normalize && reference > 0.0 ? mean / reference : mean;
      weighted += pools[t].settings.weight * contribution;
      weights += pools[t].settings.weight;
    }
    outcome.retained_fraction = retained / static_cast<double>(refs.size());
    outcome.fitness = weighted / weights - settings.retention_penalty * outcome.retained_fraction;
    return outcome;
  }

  void learn_references(const std::vector<SampleRef>& refs, const std::vector<search::WorkItem>& items,
                        const std::vector<search::ItemResult>& results, std::int64_t kind,
                        std::map<std::int64_t, double>& cache) {
    const auto batches = batches_of(refs, settings.batch_size);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind != kind) continue;
      if (!results[i].ok) {
        core::log::warn("full-cache reference of batch {} failed ({}); its tasks count unnormalised", items[i].batch,
                        results[i].error);
        continue;
      }
      const auto& batch = batches.at(static_cast<std::size_t>(items[i].batch));
      for (std::size_t s = 0; s < batch.size(); ++s)
        cache[reference_key(batch[s])] = results[i].values[kValuesPerSample * s];
    }
  }

  const tasks::EvalSample& sample(const SampleRef& ref, bool heldout) const {
    const auto& pool = heldout ? pools[ref.task].heldout : pools[ref.task].train;
    return pool.at(ref.index);
  }

  // (score, retained) per sample of `batch`, for each of the active policy's variants in
  // turn (its genomes; one for the full cache): variant v, sample s at 2 * (v * samples + s).
  std::vector<double> run_batch(const std::vector<SampleRef>& batch, bool heldout, memory::Policy* active_policy) {
    const std::int64_t variants = active_policy != nullptr ? active_policy->branches() : 1;
    std::vector<double> values(kValuesPerSample * batch.size() * static_cast<std::size_t>(variants));
    for (std::size_t s = 0; s < batch.size(); ++s) {
      const auto& ref = batch[s];
      const auto results = runner->run_branches(pools[ref.task].spec, sample(ref, heldout), active_policy);
      for (std::size_t v = 0; v < results.size(); ++v) {
        const std::size_t at = kValuesPerSample * (v * batch.size() + s);
        values[at] = results[v].score;
        values[at + 1] = eval::retained_fraction(results[v]);
      }
    }
    return values;
  }

  // The member item's genomes run together; a genome that cannot run (non-finite values, or
  // an error it alone raises) gets NaN values, so its candidate counts as failed while the
  // others keep their results. Throws only when no genome of the group succeeds.
  std::vector<double> run_members(const std::vector<SampleRef>& batch, const std::vector<double>& genomes,
                                  std::int64_t dimension) {
    const std::size_t count = genomes.size() / static_cast<std::size_t>(dimension);
    const std::size_t per_genome = kValuesPerSample * batch.size();
    std::vector<double> values(per_genome * count, kNaN);
    std::vector<std::size_t> runnable;
    std::vector<float> loaded;
    for (std::size_t g = 0; g < count; ++g) {
      const auto first = genomes.begin() + static_cast<std::ptrdiff_t>(g * static_cast<std::size_t>(dimension));
      const auto last = first + dimension;
      if (!std::all_of(first, last, [](double v) { return std::isfinite(v); })) continue;
      runnable.push_back(g);
      loaded.insert(loaded.end(), first, last);
    }
    const auto place = [&](const std::vector<double>& results, std::size_t at, std::size_t g) {
      std::copy(results.begin() + static_cast<std::ptrdiff_t>(at * per_genome),
                results.begin() + static_cast<std::ptrdiff_t>((at + 1) * per_genome),
                values.begin() + static_cast<std::ptrdiff_t>(g * per_genome));
    };
    std::string error = "every genome of the item has non-finite values";
    if (!runnable.empty()) {
      try {
        policy->load_genomes(loaded, static_cast<std::int64_t>(runnable.size()));
        const auto results = run_batch(batch, false, policy.get());
        for (std::size_t i = 0; i < runnable.size(); ++i) place(results, i, runnable[i]);
        return values;
      } catch (const std::exception& group_error) {
        if (runnable.size() == 1) throw;
        error = group_error.what();
        core::log::warn("a group of {} genomes failed ({}); evaluating them one by one", runnable.size(), error);
      }
    }
    // One by one: what fails alone is that genome's.
    bool any = false;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      try {
        policy->load_genome(std::vector<float>(loaded.begin() + static_cast<std::ptrdiff_t>(i * dimension),
                                               loaded.begin() + static_cast<std::ptrdiff_t>((i + 1) * dimension)));
        place(run_batch(batch, false, policy.get()), 0, runnable[i]);
        any = true;
      } catch (const std::exception& alone) {
        error = alone.what();
      }
    }
    if (!any) throw Error(error);
    return values;
  }

  // The calibration samples: the first stage's tasks (from_generation 0) in turn, each from the
  // start of its training pool, until calibration_samples or the pools run out.
  std::vector<SampleRef> calibration_refs() const {
    std::vector<std::size_t> first_stage;
    for (std::size_t t = 0; t < pools.size(); ++t) {
      if (pools[t].settings.from_generation == 0) first_stage.push_back(t);
    }
    std::vector<SampleRef> refs;
    const auto wanted = static_cast<std::size_t>(settings.calibration_samples);
    for (std::size_t index = 0; refs.size() < wanted; ++index) {
      const std::size_t before = refs.size();
      for (const std::size_t t : first_stage) {
        if (index < pools[t].train.size() && refs.size() < wanted) refs.push_back({t, index});
      }
      if (refs.size() == before) break;
    }
    return refs;
  }

  // Every worker computes the feature normalisation on the same samples with the keep-all
  // genome (every layer contributes), then freezes it: decisions never depend on which
  // samples a worker saw first.
  void calibrate() {
    policy->load_genome(std::vector<float>(static_cast<std::size_t>(policy->layout().size()), 0.0f));
    for (const auto& ref : calibration_refs()) runner->run(pools[ref.task].spec, sample(ref, false), policy.get());
    policy->features().freeze_normalization();
  }
};

NammObjective::NammObjective(NammObjectiveSettings settings, ObjectiveRole role, const std::string& device)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->role = role;
  impl_->policy = make_namm(impl_->settings.policy);
  const std::filesystem::path folder = impl_->settings.backbone;
  if (!std::filesystem::is_directory(folder)) {
    throw ConfigError("objective.namm.backbone: '" + folder.string() +
                      "' is not a folder; name a checkpoint folder (config.json, *.safetensors, tokenizer.json)");
  }
  impl_->tokenizer.emplace(model::Tokenizer::load(folder / "tokenizer.json"));
  // The coordinator needs only the pool sizes, but building the pools on rank 0 too checks
  // every data file and synthetic length before any worker loads a model.
  impl_->load_pools();
  if (role == ObjectiveRole::kWorker) {
    model::LoadOptions load;
    load.device = model::parse_device(device);
    impl_->backbone.emplace(model::Backbone::load(folder, load));
    eval::RunnerOptions options;
    options.chunk_size = impl_->settings.chunk_size;
    options.update_interval = impl_->policy->update_interval();
    options.prompt.context_window = static_cast<std::size_t>(impl_->settings.context_window);
    impl_->runner = std::make_unique<eval::Runner>(*impl_->backbone, *impl_->tokenizer, options);
    impl_->calibrate();
  }
}

NammObjective::~NammObjective() = default;

Eigen::Index NammObjective::dimension() const { return impl_->policy->layout().size(); }

Eigen::VectorXd NammObjective::initial_mean() const {
  const auto genome = impl_->policy->genome();
  Eigen::VectorXd mean(static_cast<Eigen::Index>(genome.values.size()));
  for (Eigen::Index i = 0; i < mean.size(); ++i) mean[i] = genome.values[static_cast<std::size_t>(i)];
  return mean;
}

std::vector<std::string> NammObjective::task_names() const {
  std::vector<std::string> names;
  for (const auto& pool : impl_->pools) names.push_back(pool.settings.name);
  return names;
}

std::vector<search::WorkItem> NammObjective::plan_setup() {
  if (impl_->normalization) return {};
  search::WorkItem item;
  item.kind = kCalibration;
  return {item};
}

void NammObjective::accept_setup(const std::vector<search::WorkItem>& items,
                                 const std::vector<search::ItemResult>& results) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != kCalibration) continue;
    if (!results[i].ok) throw Error("NAMM calibration failed on every attempt: " + results[i].error);
    const auto& values = results[i].values;
    const auto bins = static_cast<std::size_t>(impl_->policy->config().spectrogram.bins());
    EVOMEM_CHECK(values.size() == 1 + 2 * bins, "calibration result size");
    memory::NormalizationStats stats;
    stats.count = values[0];
    stats.mean.assign(values.begin() + 1, values.begin() + 1 + static_cast<std::ptrdiff_t>(bins));
    stats.variance.assign(values.begin() + 1 + static_cast<std::ptrdiff_t>(bins), values.end());
    stats.frozen = true;
    impl_->normalization = stats;
  }
}

std::vector<search::WorkItem> NammObjective::plan(std::int64_t generation, const Eigen::MatrixXd& population) {
  const auto refs = impl_->generation_samples(generation);
  std::vector<search::WorkItem> items = impl_->items_for(refs, generation, kReference, -1, {});
  if (!impl_->settings.normalize) items.clear();
  const Eigen::Index group = impl_->settings.genomes_per_item;
  for (Eigen::Index first = 0; first < population.cols(); first += group) {
    // Columns are contiguous in Eigen's column-major storage: the group's genomes one after
    // the other.
    const Eigen::Index count = std::min(group, population.cols() - first);
    const double* start = population.col(first).data();
    const std::vector<double> genomes(start, start + count * population.rows());
    auto member = impl_->items_for(refs, generation, kMember, first, genomes);
    items.insert(items.end(), std::make_move_iterator(member.begin()), std::make_move_iterator(member.end()));
  }
  return items;
}

search::GenerationOutcome NammObjective::aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                                   const std::vector<search::ItemResult>& results) {
  const auto refs = impl_->generation_samples(generation);
  impl_->learn_references(refs, items, results, kReference, impl_->train_reference);
  std::int64_t candidates = 0;
  for (const auto& item : items) {
    const auto genomes = static_cast<std::int64_t>(item.genome.size()) / dimension();
    candidates = std::max(candidates, item.candidate + std::max<std::int64_t>(genomes, 1));
  }
  const auto batches = (refs.size() + static_cast<std::size_t>(impl_->settings.batch_size) - 1) /
                       static_cast<std::size_t>(impl_->settings.batch_size);
  std::vector<std::vector<std::optional<std::vector<double>>>> per_candidate(
      static_cast<std::size_t>(candidates), std::vector<std::optional<std::vector<double>>>(batches));
  const auto dimension = static_cast<std::size_t>(this->dimension());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != kMember) continue;
    // The item's genomes are candidates candidate, candidate + 1, ...; each owns one slice of
    // the values.
    const std::size_t genomes = items[i].genome.size() / dimension;
    const std::size_t per_genome = results[i].ok ? results[i].values.size() / genomes : 0;
    for (std::size_t g = 0; g < genomes; ++g) {
      auto& slot =
          per_candidate[static_cast<std::size_t>(items[i].candidate) + g][static_cast<std::size_t>(items[i].batch)];
      if (results[i].ok) {
        slot.emplace(results[i].values.begin() + static_cast<std::ptrdiff_t>(g * per_genome),
                     results[i].values.begin() + static_cast<std::ptrdiff_t>((g + 1) * per_genome));
      }
    }
  }
  search::GenerationOutcome outcome;
  for (const auto& candidate_results : per_candidate) {
    outcome.candidates.push_back(impl_->outcome(refs, candidate_results, impl_->train_reference));
  }
  return outcome;
}

std::vector<search::WorkItem> NammObjective::plan_check(std::int64_t generation, const Eigen::VectorXd& genome) {
  const auto interval = impl_->settings.heldout_interval;
  if (interval == 0 || impl_->settings.heldout_samples == 0 || (generation + 1) % interval != 0) return {};
  const auto refs = impl_->heldout_samples();
  std::vector<search::WorkItem> items;
  if (impl_->settings.normalize) items = impl_->items_for(refs, generation, kCheckReference, -1, {});
  auto checks = impl_->items_for(refs, generation, kCheck, -1,
                                 std::vector<double>(genome.data(), genome.data() + genome.size()));
  items.insert(items.end(), std::make_move_iterator(checks.begin()), std::make_move_iterator(checks.end()));
  return items;
}

search::CandidateOutcome NammObjective::aggregate_check(const std::vector<search::WorkItem>& items,
                                                        const std::vector<search::ItemResult>& results) {
  const auto refs = impl_->heldout_samples();
  impl_->learn_references(refs, items, results, kCheckReference, impl_->heldout_reference);
  std::vector<std::optional<std::vector<double>>> batch_results(batches_of(refs, impl_->settings.batch_size).size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind == kCheck && results[i].ok)
      batch_results[static_cast<std::size_t>(items[i].batch)] = results[i].values;
  }
  return impl_->outcome(refs, batch_results, impl_->heldout_reference);
}

search::ObjectiveState NammObjective::state() const {
  search::ObjectiveState state;
  state.kind = "namm";
  const auto save_cache = [&](const std::string& name, const std::map<std::int64_t, double>& cache) {
    std::vector<std::int64_t> keys;
    Eigen::VectorXd values(static_cast<Eigen::Index>(cache.size()));
    for (const auto& [key, value] : cache) {
      values[static_cast<Eigen::Index>(keys.size())] = value;
      keys.push_back(key);
    }
    state.integers[name + "_keys"] = keys;
    state.set_vector(name + "_scores", values);
  };
  save_cache("train_reference", impl_->train_reference);
  save_cache("heldout_reference", impl_->heldout_reference);
  if (impl_->normalization) {
    const auto& stats = *impl_->normalization;
    state.set_real("normalization_count", stats.count);
    state.set_vector("normalization_mean", Eigen::Map<const Eigen::VectorXd>(
                                               stats.mean.data(), static_cast<Eigen::Index>(stats.mean.size())));
    state.set_vector(
        "normalization_variance",
        Eigen::Map<const Eigen::VectorXd>(stats.variance.data(), static_cast<Eigen::Index>(stats.variance.size())));
  }
  return state;
}

namespace {

std::optional<memory::NormalizationStats> normalization_from(const search::ObjectiveState& state, std::int64_t bins) {
  if (state.arrays.count("normalization_mean") == 0) return std::nullopt;
  memory::NormalizationStats stats;
  stats.count = state.real("normalization_count");
  const auto mean = state.vector("normalization_mean", bins);
  const auto variance = state.vector("normalization_variance", bins);
  stats.mean.assign(mean.data(), mean.data() + mean.size());
  stats.variance.assign(variance.data(), variance.data() + variance.size());
  stats.frozen = true;
  return stats;
}

}  // namespace

void NammObjective::restore(const search::ObjectiveState& state) {
  state.require_kind("namm");
  const auto load_cache = [&](const std::string& name, std::map<std::int64_t, double>& cache) {
    const auto& keys = state.integer_array(name + "_keys");
    const auto values = state.vector(name + "_scores", static_cast<Eigen::Index>(keys.size()));
    cache.clear();
    for (std::size_t i = 0; i < keys.size(); ++i) cache[keys[i]] = values[static_cast<Eigen::Index>(i)];
  };
  load_cache("train_reference", impl_->train_reference);
  load_cache("heldout_reference", impl_->heldout_reference);
  impl_->normalization = normalization_from(state, impl_->policy->config().spectrogram.bins());
}

std::vector<double> NammObjective::evaluate(const search::WorkItem& item) {
  EVOMEM_CHECK(impl_->role == ObjectiveRole::kWorker, "evaluate() needs a worker-side NAMM objective");
  Impl& impl = *impl_;
  if (item.kind == kCalibration) {
    const auto& stats = impl.policy->features().normalization();
    std::vector<double> values{stats.count};
    values.insert(values.end(), stats.mean.begin(), stats.mean.end());
    values.insert(values.end(), stats.variance.begin(), stats.variance.end());
    return values;
  }
  const bool heldout = item.kind == kCheck || item.kind == kCheckReference;
  const auto refs = heldout ? impl.heldout_samples() : impl.generation_samples(item.generation);
  const auto batches = batches_of(refs, impl.settings.batch_size);
  if (item.batch < 0 || item.batch >= static_cast<std::int64_t>(batches.size())) {
    throw InternalError("work item " + std::to_string(item.id) + " names batch " + std::to_string(item.batch) + " of " +
                        std::to_string(batches.size()));
  }
  const auto& batch = batches[static_cast<std::size_t>(item.batch)];
  if (item.kind == kReference || item.kind == kCheckReference) return impl.run_batch(batch, heldout, nullptr);
  const auto size = static_cast<Eigen::Index>(item.genome.size());
  if (size == 0 || size % dimension() != 0 || (item.kind == kCheck && size != dimension())) {
    throw InternalError("work item " + std::to_string(item.id) + " carries " + std::to_string(item.genome.size()) +
                        " genome values; the NAMM has " + std::to_string(dimension()) + " per genome");
  }
  if (item.kind == kMember) return impl.run_members(batch, item.genome, dimension());
  impl.policy->load_genome(std::vector<float>(item.genome.begin(), item.genome.end()));
  return impl.run_batch(batch, heldout, impl.policy.get());
}

memory::NammWeights NammObjective::weights(const Eigen::VectorXd& genome) const {
  return namm_weights_from_state(impl_->settings, state(), genome);
}

memory::NammWeights namm_weights_from_state(const NammObjectiveSettings& settings, const search::ObjectiveState& state,
                                            const Eigen::VectorXd& genome) {
  const auto policy = make_namm(settings.policy);
  memory::NammWeights weights;
  weights.config = policy->config();
  weights.genome = policy->genome();
  if (static_cast<Eigen::Index>(weights.genome.values.size()) != genome.size()) {
    throw FormatError("the run's genome has " + std::to_string(genome.size()) +
                      " values; its NAMM configuration expects " + std::to_string(weights.genome.values.size()));
  }
  for (Eigen::Index i = 0; i < genome.size(); ++i)
    weights.genome.values[static_cast<std::size_t>(i)] = static_cast<float>(genome[i]);
  const auto stats = normalization_from(state, weights.config.spectrogram.bins());
  if (!stats) throw FormatError("the run holds no NAMM normalisation statistics (it stopped before its calibration)");
  weights.normalization = *stats;
  return weights;
}

}  // namespace evomem::objectives
