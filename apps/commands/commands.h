#pragma once
// One function per subcommand of `evomem`, each in apps/commands/<command>.cpp: it adds the
// command with its options under `parent` (the root or a group such as `backbone`) and binds
// the action. add_all_commands (commands.cpp) lays out the whole command tree in one place.

#include <CLI/CLI.hpp>

#include "apps/command_registry.h"

namespace evomem::apps {

void add_all_commands(CommandRegistry& registry);

void add_inspect_command(CommandRegistry& registry, CLI::App& parent);
void add_backbone_info_command(CommandRegistry& registry, CLI::App& parent);
void add_backbone_logits_command(CommandRegistry& registry, CLI::App& parent);
void add_backbone_random_command(CommandRegistry& registry, CLI::App& parent);
void add_backbone_train_command(CommandRegistry& registry, CLI::App& parent);
void add_backbone_attention_command(CommandRegistry& registry, CLI::App& parent);
void add_generate_command(CommandRegistry& registry, CLI::App& parent);
void add_tokenize_command(CommandRegistry& registry, CLI::App& parent);
void add_optimize_command(CommandRegistry& registry, CLI::App& parent);
void add_tasks_list_command(CommandRegistry& registry, CLI::App& parent);
void add_tasks_score_command(CommandRegistry& registry, CLI::App& parent);
void add_tasks_make_command(CommandRegistry& registry, CLI::App& parent);
void add_eval_command(CommandRegistry& registry, CLI::App& parent);
void add_evolve_command(CommandRegistry& registry, CLI::App& parent);
void add_titans_search_command(CommandRegistry& registry, CLI::App& parent);
void add_titans_eval_command(CommandRegistry& registry, CLI::App& parent);
void add_export_command(CommandRegistry& registry, CLI::App& parent);
void add_analyze_command(CommandRegistry& registry, CLI::App& parent);
void add_compare_command(CommandRegistry& registry, CLI::App& parent);

}  // namespace evomem::apps
