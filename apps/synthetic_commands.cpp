// `evomem tasks make` (seeded synthetic long-context samples) and `evomem backbone train`
// (the built-in backbone, trained on those tasks).

#include <cstdio>
#include <memory>
#include <optional>

#include "apps/command_registry.h"
#include "apps/config_loading.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/text.h"
#include "model/tokenizer.h"
#include "tasks/backbone_trainer.h"
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
}

}  // namespace evomem::apps
