// `evomem titans eval`: a Titans memory's retrieval accuracy per task and length, with given
// gates next to the published fixed values and two ablations of the given gates.

#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>

#include "apps/command_registry.h"
#include "core/error.h"
#include "memory/titans_gates.h"
#include "tasks/titans_evaluation.h"

namespace evomem::apps {
namespace {

struct TitansEvalOptions {
  std::string backbone = "models/evomem-tiny";
  std::string tasks = "passkey,number,word,recall_shift";
  std::string lengths = "2048,4096,8192,16384";
  std::int64_t samples = 16;
  std::int64_t batch = 8;
  std::uint64_t seed = 1000003;
  std::optional<double> alpha, eta, theta;
  std::int64_t depth = 2;
  std::int64_t expansion = 2;
  std::int64_t chunk_size = 16;
  double theta_max = 1.0;
  double init_scale = 1.0;
  std::uint64_t memory_seed = 0;
  std::int64_t recall_keys = 16;
  std::int64_t recall_segments = 4;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::vector<std::int64_t> parse_lengths(const std::string& text) {
  std::vector<std::int64_t> lengths;
  for (const auto& item : split_list(text)) {
    try {
      std::size_t used = 0;
      lengths.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError("--lengths: '" + item + "' is not a whole number of steps");
    }
  }
  if (lengths.empty()) throw InputError("--lengths names no length");
  return lengths;
}

// With-ablations: the gates' α or η replaced by 0 (constant gates only here).
struct NamedGates {
  std::string name;
  memory::TitansGates gates;
};

int run_titans_eval(const TitansEvalOptions& options) {
  std::vector<tasks::TitansStreamTask> task_list;
  for (const auto& name : split_list(options.tasks)) task_list.push_back(tasks::parse_titans_stream_task(name, "--tasks"));
  if (task_list.empty()) throw InputError("--tasks names no task");
  const auto lengths = parse_lengths(options.lengths);
  if (options.samples < 1 || options.batch < 1) throw InputError("--samples and --batch must be positive");
  memory::TitansConfig base;
  base.depth = options.depth;
  base.expansion = options.expansion;
  base.chunk_size = options.chunk_size;
  base.theta_max = options.theta_max;
  base.seed = options.memory_seed;
  base.init_scale = options.init_scale;
  base.silu = false;
  tasks::TitansStreamOptions stream_options;
  stream_options.recall_keys = options.recall_keys;
  stream_options.recall_segments = options.recall_segments;

  const double alpha = options.alpha.value_or(memory::kTitansPublishedAlpha);
  const double eta = options.eta.value_or(memory::kTitansPublishedEta);
  const double theta = options.theta.value_or(memory::kTitansPublishedTheta);
  std::vector<NamedGates> columns{{"given", memory::TitansGates::constant(alpha, eta, theta)},
                                  {"published", memory::TitansGates::constant(memory::kTitansPublishedAlpha,
                                                                               memory::kTitansPublishedEta,
                                                                               memory::kTitansPublishedTheta)},
                                  {"no_momentum", memory::TitansGates::constant(alpha, 0.0, theta)},
                                  {"no_forgetting", memory::TitansGates::constant(0.0, eta, theta)}};
  const auto evaluator = tasks::load_titans_evaluator(options.backbone, base);
  evaluator.config().validate();
  std::printf("%-14s %8s", "task", "length");
  for (const auto& column : columns) std::printf(" %14s", column.name.c_str());
  std::printf("\n");
  for (const auto task : task_list) {
    for (const auto length : lengths) {
      std::printf("%-14s %8lld", tasks::titans_stream_task_name(task), static_cast<long long>(length));
      for (const auto& column : columns) {
        const auto score = tasks::score_titans_task(evaluator, column.gates, task, length, options.seed, 0, options.samples,
                                                    options.batch, stream_options);
        std::printf(" %13.1f%%", 100.0 * score.accuracy());
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

void register_titans_commands(CommandRegistry& registry) {
  CLI::App& group = registry.add_group(registry.root(), "titans", "Titans neural memory: evaluate and search its gates");
  auto options = std::make_shared<TitansEvalOptions>();
  CLI::App& eval = registry.add(group, "eval",
                                "Retrieval accuracy per task and length: the given gates, the published fixed values "
                                "(alpha 0.001, eta 0.9, theta 0.01), no momentum and no forgetting",
                                [options] { return run_titans_eval(*options); });
  eval.add_option("--backbone", options->backbone, "Checkpoint folder whose token embeddings are the features")
      ->capture_default_str();
  eval.add_option("--tasks", options->tasks, "passkey, number, word, recall_shift (comma-separated)")->capture_default_str();
  eval.add_option("--lengths", options->lengths, "Stream lengths in steps (comma-separated)")->capture_default_str();
  eval.add_option("--samples", options->samples, "Streams per task and length")->capture_default_str();
  eval.add_option("--batch", options->batch, "Streams read at once")->capture_default_str();
  eval.add_option("--seed", options->seed, "Seed of the streams")->capture_default_str();
  eval.add_option("--alpha", options->alpha, "Forgetting in [0, 1]");
  eval.add_option("--eta", options->eta, "Momentum (surprise decay) in [0, 1]");
  eval.add_option("--theta", options->theta, "Learning rate >= 0");
  eval.add_option("--depth", options->depth, "Memory MLP depth 1..4")->capture_default_str();
  eval.add_option("--expansion", options->expansion, "Hidden width of the memory MLP / width")->capture_default_str();
  eval.add_option("--chunk-size", options->chunk_size, "Tokens per chunk (1: per token)")->capture_default_str();
  eval.add_option("--init-scale", options->init_scale, "Scale of the memory's Xavier-uniform initial weights")
      ->capture_default_str();
  eval.add_option("--memory-seed", options->memory_seed, "Seed of the memory's initial weights")->capture_default_str();
  eval.add_option("--recall-keys", options->recall_keys, "recall_shift: keys of the dictionary")->capture_default_str();
  eval.add_option("--recall-segments", options->recall_segments, "recall_shift: segments (shifts + 1)")->capture_default_str();
}

}  // namespace evomem::apps
