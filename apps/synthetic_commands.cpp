// `evomem tasks make` (seeded synthetic long-context samples), `evomem backbone train` (the
// built-in backbone, trained on those tasks) and `evomem backbone attention` (where its heads
// look).

#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>
#include <optional>

#include "apps/command_registry.h"
#include "apps/config_loading.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/logging.h"
#include "core/text.h"
#include "model/tokenizer.h"
#include "tasks/backbone_attention.h"
#include "tasks/backbone_trainer.h"
#include "tasks/backbone_trainer_model.h"
#include "tasks/synthetic_generators.h"
#include "tasks/synthetic_tasks.h"
#include "tasks/synthetic_tokenizer.h"

namespace evomem::apps {
namespace {

struct MakeOptions {
  std::string task;
  std::size_t length = 4096;
  std::size_t samples = 10;
  std::uint64_t seed = 0;
  double depth = -1.0;  // negative: evenly spread
  std::string tokenizer;
  std::string out;
};

int make_samples(const MakeOptions& options) {
  const auto tokenizer = model::Tokenizer::load(options.tokenizer);
  tasks::SyntheticOptions synthetic;
  synthetic.task = options.task;
  synthetic.length = options.length;
  synthetic.samples = options.samples;
  synthetic.seed = options.seed;
  if (options.depth >= 0.0) synthetic.depth = options.depth;
  const auto samples = tasks::generate_synthetic(synthetic, tasks::synthetic_tokenizer(tokenizer));
  tasks::write_synthetic_jsonl(samples, options.out);
  std::printf("%s: %zu samples of %zu tokens -> %s\n", options.task.c_str(), samples.size(), options.length,
              options.out.c_str());
  return 0;
}

int train_backbone_command(const GlobalOptions& globals) {
  const auto config = tasks::backbone_training_config(load_config(globals, tasks::backbone_training_schema(), true));
  const auto result = tasks::train_backbone(config);
  std::printf("trained %lld steps in %.0f s, final loss %.4f -> %s\n", static_cast<long long>(result.steps_done),
              result.seconds, result.final_loss, config.output.c_str());
  for (const auto& [task, score] : result.held_out_exact_match) {
    std::printf("  held-out exact match %-22s %.3f\n", task.c_str(), score);
  }
  std::printf("  max |logits(trainer) - logits(model::Backbone)| = %.3g\n", result.logits_max_difference);
  if (result.logits_max_difference > 1e-3) {
    throw InternalError("the exported checkpoint does not reproduce the trainer's logits");
  }
  return 0;
}

struct AttentionOptions {
  std::string backbone;
  std::string prompt_file;
  std::int64_t position = -1;  // negative: counted from the end
  std::int64_t top = 3;
  std::int64_t target = -1;  // negative: none
};

// One line per head: its most attended positions; with a target, how the target's score
// compares with the best other position's, frequency pair by pair.
int attention_command(const AttentionOptions& options) {
  if (options.top < 1) throw InputError("backbone attention: --top must be at least 1");
  const auto model = tasks::TrainableLlama::from_checkpoint(options.backbone);
  const auto tokenizer = model::Tokenizer::load(options.backbone);
  const auto tokens = tokenizer.encode(core::read_text_file(options.prompt_file), true);
  const auto length = static_cast<std::int64_t>(tokens.size());
  const std::int64_t query = options.position < 0 ? length + options.position : options.position;
  if (query < 0 || query >= length) {
    throw InputError("backbone attention: --position " + std::to_string(options.position) + " is outside the " +
                     std::to_string(length) + " tokens of " + options.prompt_file);
  }
  if (options.target > query) {
    throw InputError("backbone attention: --target " + std::to_string(options.target) +
                     " comes after the query position " + std::to_string(query) + "; a head only sees positions up to it");
  }
  const auto piece = [&](std::int64_t position) { return core::Json(tokenizer.decode({tokens[position]})).dump(); };
  std::printf("%lld tokens; query position %lld %s\n", static_cast<long long>(length), static_cast<long long>(query),
              piece(query).c_str());
  for (const auto& head : tasks::attention_at(model, tokens, query)) {
    const auto& p = head.probabilities;
    std::vector<std::int64_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    const auto shown = std::min<std::size_t>(static_cast<std::size_t>(options.top), order.size());
    // At least two ranked, so that the best position other than the target is known.
    const auto ranked = std::min<std::size_t>(std::max<std::size_t>(shown, 2), order.size());
    std::partial_sort(order.begin(), order.begin() + ranked, order.end(), [&](auto a, auto b) { return p[a] > p[b]; });
    std::printf("layer %lld head %lld:", static_cast<long long>(head.layer), static_cast<long long>(head.head));
    for (std::size_t i = 0; i < shown; ++i) {
      std::printf(" %lld %s %.3f", static_cast<long long>(order[i]), piece(order[i]).c_str(), p[order[i]]);
    }
    if (options.target >= 0) {
      const auto other = order[0] != options.target ? order[0] : order[std::min<std::size_t>(1, ranked - 1)];
      const auto score = [&](std::int64_t position) {
        float sum = 0.0f;
        for (const auto& pair : head.pair_scores) sum += pair[position];
        return sum;
      };
      std::printf(" | target %lld %.3f, score %.2f vs %.2f at %lld; by pair:", static_cast<long long>(options.target),
                  p[options.target], score(options.target), score(other), static_cast<long long>(other));
      for (std::size_t i = 0; i < head.pair_scores.size(); ++i) {
        std::printf(" %zu:%+.1f", i, head.pair_scores[i][options.target] - head.pair_scores[i][other]);
      }
    }
    std::printf("\n");
  }
  return 0;
}

CLI::App& find_group(CommandRegistry& registry, const std::string& name, const std::string& description) {
  for (auto* command : registry.root().get_subcommands([](const CLI::App*) { return true; })) {
    if (command->get_name() == name) return *command;
  }
  return registry.add_group(registry.root(), name, description);
}

}  // namespace

void register_synthetic_commands(CommandRegistry& registry) {
  auto make_options = std::make_shared<MakeOptions>();
  CLI::App& tasks_group = find_group(registry, "tasks", "Benchmark tasks");
  CLI::App& make = registry.add(tasks_group, "make", "Generate seeded synthetic long-context samples (LongBench JSONL)",
                                [make_options] { return make_samples(*make_options); });
  make.add_option("--task", make_options->task, "One of: " + core::join(tasks::synthetic_task_names()))->required();
  make.add_option("--length", make_options->length, "Prompt tokens (template filled, no BOS), within 1%")->required();
  make.add_option("--samples", make_options->samples, "Number of samples")->capture_default_str();
  make.add_option("--seed", make_options->seed, "Seed; the same seed gives byte-identical files")->capture_default_str();
  make.add_option("--depth", make_options->depth, "Depth 0..1 of the queried needle (default: evenly spread)");
  make.add_option("--tokenizer", make_options->tokenizer, "tokenizer.json (or a checkpoint folder) measuring lengths")
      ->required();
  make.add_option("--out", make_options->out, "Output JSONL file")->required();

  CLI::App& backbone_group = find_group(registry, "backbone", "Llama checkpoint folders");
  registry.add(backbone_group, "train", "Train the built-in backbone on the synthetic tasks (--config FILE.toml)",
               [&registry] { return train_backbone_command(registry.globals()); });

  auto attention_options = std::make_shared<AttentionOptions>();
  CLI::App& attention = registry.add(backbone_group, "attention",
                                     "Where each head looks from one position of a prompt, and which RoPE pairs decide it",
                                     [attention_options] { return attention_command(*attention_options); });
  attention.add_option("--backbone", attention_options->backbone, "Checkpoint folder (with tokenizer.json)")->required();
  attention.add_option("--prompt-file", attention_options->prompt_file, "Prompt text (the whole file; BOS is added)")
      ->required();
  attention.add_option("--position", attention_options->position, "Query position (negative: from the end)")
      ->capture_default_str();
  attention.add_option("--top", attention_options->top, "Positions shown per head")->capture_default_str();
  attention.add_option("--target", attention_options->target,
                       "Also compare this position's score with the best other one's, per frequency pair");
}

}  // namespace evomem::apps
