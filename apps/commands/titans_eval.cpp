// `evomem titans eval`: a Titans memory's retrieval accuracy and its 95% interval per task and
// length, with searched (or given) gates next to the published fixed values and ablations of
// those gates (no forgetting, no momentum, no momentum at the same effective step). The
// memory options below apply to --alpha/--eta/--theta; --params and --run bring the memory
// configuration of their run.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "apps/backbone_loading.h"
#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/text.h"
#include "eval/titans_evaluation.h"
#include "memory/titans/gates.h"
#include "model/threads.h"
#include "objectives/titans_params.h"
#include "search/run_file.h"

namespace evomem::apps {
namespace {

struct TitansEvalOptions {
  std::string tasks = "passkey,number,word,recall_shift,capacity,burst";
  std::string lengths = "2048,4096,8192,16384";
  std::int64_t samples = 64;  // streams per task and length, as every quoted score in docs/ uses
  std::int64_t batch = 16;
  std::uint64_t seed = 1000003;
  std::string params;
  std::string run;
  std::string which = "mean";
  std::optional<double> alpha, eta, theta;
  int threads = model::kDefaultThreads;
  // Backbone, memory and recall settings of --alpha/--eta/--theta, starting at the defaults of
  // objective.titans.* (the command-line options write into it).
  objectives::TitansObjectiveSettings settings = objectives::titans_objective_settings(
      std::string("[objective]\nkind = \"titans\"\n"), "the titans defaults");
};

struct NamedGates {
  std::string name;
  memory::TitansGates gates;
};

// The gates with one of α or η switched off: its weights zero and its bias (or logit) at -100,
// i.e. sigmoid = 4e-44, zero for every product it enters.
memory::TitansGates without(const memory::TitansConfig& config, std::vector<float> genome, const std::string& gate) {
  const auto layout = memory::TitansGates::layout(config);
  for (const auto& entry : layout.entries()) {
    if (entry.name.rfind(gate + ".", 0) != 0) continue;
    const bool weight = entry.name == gate + ".weight";
    std::fill(genome.begin() + entry.offset, genome.begin() + entry.offset + entry.size, weight ? 0.0f : -100.0f);
  }
  return memory::TitansGates::from_genome(config, genome);
}

// Constant gates without momentum at the same effective step: η = 0 and θ / (1 - η) (the step a
// lasting gradient gets in total with momentum), so the ablation does not also shrink the step
// a hundredfold. None for data-dependent gates, whose ratio varies per token.
std::optional<memory::TitansGates> without_momentum_same_step(const memory::TitansGates& gates) {
  if (gates.mode() != memory::TitansGateMode::kConstant) return std::nullopt;
  return memory::TitansGates::constant(gates.alpha(), 0.0, gates.theta() / (1.0 - gates.eta()));
}

// "93.8 [85.1, 97.9]": accuracy and its 95% interval, in percent.
std::string score_cell(const eval::TitansScore& score) {
  const auto interval = score.interval();
  char cell[64];
  std::snprintf(cell, sizeof(cell), "%5.1f [%5.1f,%5.1f]", 100.0 * score.accuracy(), 100.0 * interval.low,
                100.0 * interval.high);
  return cell;
}

// Where the evaluated gates come from: a parameters file, a run file, or --alpha/--eta/--theta.
struct GatesSource {
  objectives::TitansObjectiveSettings settings;
  std::vector<float> genome;
  std::string label;
};

GatesSource gates_source(const TitansEvalOptions& options) {
  GatesSource source;
  if (!options.params.empty() || !options.run.empty()) {
    if (options.alpha || options.eta || options.theta) {
      throw InputError("--alpha, --eta and --theta are for evaluating constants; drop them with --params or --run");
    }
    if (!options.params.empty()) {
      auto params = objectives::load_titans_params(options.params);
      source.settings = std::move(params.settings);
      source.genome = std::move(params.genome);
    } else {
      std::filesystem::path used;
      const auto run = search::load_run_or_previous(options.run, &used);
      source.settings = objectives::titans_objective_settings(run.config_text, used.string() + ":/config");
      const auto& genome = options.which == "best" ? run.best_genome : run.mean_genome;
      source.genome.assign(genome.data(), genome.data() + genome.size());
    }
    source.label = "searched";
    return source;
  }
  source.settings = options.settings;
  const auto gates = memory::TitansGates::constant(options.alpha.value_or(memory::kTitansPublishedAlpha),
                                                   options.eta.value_or(memory::kTitansPublishedEta),
                                                   options.theta.value_or(memory::kTitansPublishedTheta));
  // 0 and 1 have no finite logit (nor 0 a log): ±100 stands for them, as in the ablations.
  const auto logit = [](double p) {
    return p <= 0.0 ? -100.0f : p >= 1.0 ? 100.0f : static_cast<float>(std::log(p / (1.0 - p)));
  };
  source.genome = {logit(gates.alpha()), logit(gates.eta()),
                   gates.theta() > 0.0 ? static_cast<float>(std::log(gates.theta())) : -100.0f};
  source.label = "given";
  return source;
}

int run_titans_eval(const TitansEvalOptions& options) {
  std::vector<eval::TitansStreamTask> task_list;
  for (const auto& name : core::split(options.tasks))
    task_list.push_back(eval::parse_titans_stream_task(name, "--tasks"));
  if (task_list.empty()) throw InputError("--tasks names no task");
  const auto lengths = eval::parse_titans_lengths(options.lengths, "--lengths");
  if (options.samples < 1 || options.batch < 1) throw InputError("--samples and --batch must be positive");
  const auto source = gates_source(options);
  auto vocabulary = eval::load_titans_vocabulary(source.settings.backbone);
  eval::check_titans_streams(vocabulary, task_list, lengths, source.settings.streams);
  model::apply_threads(options.threads);
  const auto evaluator = eval::load_titans_evaluator(source.settings.backbone, source.settings.memory,
                                                     std::move(vocabulary));
  const auto& config = evaluator.config();
  std::vector<NamedGates> columns{{source.label, memory::TitansGates::from_genome(config, source.genome)},
                                  {"published", memory::TitansGates::published(config)},
                                  {"no_forgetting", without(config, source.genome, "alpha")},
                                  {"no_momentum", without(config, source.genome, "eta")}};
  if (auto same_step = without_momentum_same_step(columns.front().gates))
    columns.push_back({"no_mom_same_step", *same_step});
  std::printf("gates: %s\n", columns.front().gates.describe().c_str());
  std::printf("memory: depth %lld, width %lld, chunk %lld; %lld streams per task and length, seed %llu\n",
              static_cast<long long>(config.depth), static_cast<long long>(config.width),
              static_cast<long long>(config.chunk_size), static_cast<long long>(options.samples),
              static_cast<unsigned long long>(options.seed));
  std::printf("accuracy %% [95%% interval: Wilson for one query per stream, else bootstrap over streams]\n");
  std::printf("%-13s %6s %7s", "task", "length", "queries");
  for (const auto& column : columns) std::printf(" %19s", column.name.c_str());
  std::printf("\n");
  for (const auto length : lengths) {
    std::vector<double> sums(columns.size(), 0.0);
    for (const auto task : task_list) {
      std::vector<std::string> cells;
      std::int64_t queries = 0;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const auto score = eval::score_titans_task(evaluator, columns[c].gates, task, length, options.seed, 0,
                                                   options.samples, options.batch, source.settings.streams);
        sums[c] += score.accuracy();
        queries = score.queries;
        cells.push_back(score_cell(score));
      }
      std::printf("%-13s %6lld %7lld", eval::titans_stream_task_name(task), static_cast<long long>(length),
                  static_cast<long long>(queries));
      for (const auto& cell : cells) std::printf(" %19s", cell.c_str());
      std::printf("\n");
      std::fflush(stdout);
    }
    std::printf("%-13s %6lld %7s", "mean", static_cast<long long>(length), "");
    for (const double sum : sums) std::printf(" %12.1f       ", 100.0 * sum / static_cast<double>(task_list.size()));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void add_titans_eval_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<TitansEvalOptions>();
  CLI::App& eval = registry.add(parent, "eval",
                                "Retrieval accuracy with 95% intervals per task and length: the given gates, the "
                                "published fixed values (alpha 0.001, eta 0.9, theta 0.01), no forgetting, no momentum "
                                "and (constant gates) no momentum at the same effective step",
                                [options] { return run_titans_eval(*options); });
  auto& settings = options->settings;
  eval.add_option("--backbone", settings.backbone, "Checkpoint folder whose token embeddings are the features")
      ->capture_default_str();
  eval.add_option("--tasks", options->tasks, "passkey, number, word, recall_shift, capacity, burst (comma-separated)")
      ->capture_default_str();
  eval.add_option("--lengths", options->lengths, "Stream lengths in steps (comma-separated)")->capture_default_str();
  eval.add_option("--samples", options->samples, "Streams per task and length")->capture_default_str();
  eval.add_option("--batch", options->batch, "Streams read at once")->capture_default_str();
  eval.add_option("--seed", options->seed, "Seed of the streams")->capture_default_str();
  eval.add_option("--params", options->params, "Gates from `evomem export` of a Titans run (titans.safetensors)")
      ->check(CLI::ExistingFile);
  eval.add_option("--run", options->run, "Gates of a Titans run file")->check(CLI::ExistingFile);
  eval.add_option("--which", options->which, "With --run: mean (default) or best")
      ->check(CLI::IsMember({"mean", "best"}))
      ->capture_default_str();
  eval.add_option("--alpha", options->alpha, "Forgetting in [0, 1]");
  eval.add_option("--eta", options->eta, "Momentum (surprise decay) in [0, 1]");
  eval.add_option("--theta", options->theta, "Learning rate >= 0");
  eval.add_option("--depth", settings.memory.depth, "Memory depth 1..4 (1: linear)")->capture_default_str();
  eval.add_option("--expansion", settings.memory.expansion, "Hidden width of the memory MLP / width")
      ->capture_default_str();
  eval.add_option("--chunk-size", settings.memory.chunk_size, "Tokens per chunk (1: per token)")->capture_default_str();
  eval.add_option("--init-scale", settings.memory.init_scale, "Scale of the memory's Xavier-uniform initial weights")
      ->capture_default_str();
  eval.add_option("--memory-seed", settings.memory.seed, "Seed of the memory's initial weights")->capture_default_str();
  eval.add_option("--recall-keys", settings.streams.recall_keys, "recall_shift: keys of the dictionary")
      ->capture_default_str();
  eval.add_option("--recall-segment", settings.streams.recall_segment, "recall_shift: steps between shifts")
      ->capture_default_str();
  eval.add_option("--capacity-keys", settings.streams.capacity_keys, "capacity: pairs of the table")
      ->capture_default_str();
  eval.add_option("--capacity-updates", settings.streams.capacity_updates, "capacity: table keys re-bound and queried")
      ->capture_default_str();
  eval.add_option("--burst-pairs", settings.streams.burst_pairs, "burst: new pairs in a row")->capture_default_str();
  add_threads_flag(eval, options->threads);
}

}  // namespace evomem::apps
