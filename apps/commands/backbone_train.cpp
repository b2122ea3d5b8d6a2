// `evomem backbone train`: the built-in backbone, trained on the synthetic tasks (--config FILE.toml).

#include <cstdio>

#include "apps/commands/commands.h"
#include "apps/config_loading.h"
#include "core/error.h"
#include "training/backbone_trainer.h"

namespace evomem::apps {
namespace {

int train_backbone_command(const GlobalOptions& globals) {
  const auto config = training::backbone_training_config(
      load_config(globals, training::backbone_training_schema(), true));
  const auto result = training::train_backbone(config);
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

}  // namespace

void add_backbone_train_command(CommandRegistry& registry, CLI::App& parent) {
  registry.add(parent, "train", "Train the built-in backbone on the synthetic tasks (--config FILE.toml)",
               [&registry] { return train_backbone_command(registry.globals()); });
}

}  // namespace evomem::apps
