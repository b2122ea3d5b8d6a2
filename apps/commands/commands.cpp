#include "apps/commands/commands.h"

namespace evomem::apps {

// `evomem --help` lists the commands in this order.
void add_all_commands(CommandRegistry& registry) {
  CLI::App& root = registry.root();
  add_inspect_command(registry, root);

  CLI::App& backbone = registry.add_group(root, "backbone", "Inspect, check and create Llama checkpoint folders");
  add_backbone_info_command(registry, backbone);
  add_backbone_logits_command(registry, backbone);
  add_backbone_random_command(registry, backbone);
  add_generate_command(registry, root);
  add_tokenize_command(registry, root);
  add_optimize_command(registry, root);

  CLI::App& tasks = registry.add_group(root, "tasks", "Benchmark tasks: list them, score predictions");
  add_tasks_list_command(registry, tasks);
  add_tasks_score_command(registry, tasks);
  add_eval_command(registry, root);
  add_tasks_make_command(registry, tasks);
  add_backbone_train_command(registry, backbone);
  add_backbone_attention_command(registry, backbone);

  add_evolve_command(registry, root);
  CLI::App& titans = registry.add_group(root, "titans", "Titans neural memory: search its gates and evaluate them");
  add_titans_search_command(registry, titans);
  add_export_command(registry, root);
  add_analyze_command(registry, root);
  add_compare_command(registry, root);
  add_titans_eval_command(registry, titans);
}

}  // namespace evomem::apps
