// `evomem tasks list`: the built-in LongBench / InfiniteBench / synthetic tasks and user tasks.

#include <cstdio>
#include <iostream>
#include <memory>

#include "apps/commands/commands.h"
#include "apps/eval_inputs.h"
#include "core/json_file.h"
#include "metrics/metric.h"
#include "tasks/task_registry.h"

namespace evomem::apps {
namespace {

struct ListOptions {
  std::string tasks_file;  // extra user tasks (TOML)
  bool as_json = false;
};

std::string quoted(const std::vector<std::string>& values) {
  std::string text;
  for (const auto& value : values) text += (text.empty() ? "" : ",") + core::Json(value).dump();
  return text.empty() ? "-" : text;
}

int list_tasks(const ListOptions& options) {
  const auto registry = load_task_registry(options.tasks_file);
  if (options.as_json) {
    core::Json tasks = core::Json::array();
    for (const auto& [name, task] : registry.tasks()) {
      tasks.push_back({{"name", name},
                       {"format", tasks::dataset_format_name(task.format)},
                       {"metric", metrics::metric_name(task.metric)},
                       {"max_new_tokens", task.max_new_tokens},
                       {"first_line_only", task.first_line_only},
                       {"stop", task.stop_strings},
                       {"chat_template_allowed", task.chat_template_allowed},
                       {"data_file", task.data_file},
                       {"source", task.source},
                       {"template", task.prompt_template}});
    }
    std::cout << tasks.dump() << "\n";
    return 0;
  }
  std::printf("%-22s %-14s %-15s %8s  %-10s %s\n", "task", "benchmark", "metric", "new_tok", "first_line", "stop");
  for (const auto& [name, task] : registry.tasks()) {
    std::printf("%-22s %-14s %-15s %8d  %-10s %s\n", name.c_str(), task.source.c_str(),
                metrics::metric_name(task.metric).c_str(), task.max_new_tokens, task.first_line_only ? "yes" : "no",
                quoted(task.stop_strings).c_str());
  }
  return 0;
}

}  // namespace

void add_tasks_list_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<ListOptions>();
  CLI::App& list = registry.add(parent, "list", "List the built-in LongBench / InfiniteBench tasks (and user tasks)",
                                [options] { return list_tasks(*options); });
  list.add_option("--tasks-file", options->tasks_file, "TOML file with extra tasks ([tasks.<name>] tables)")
      ->check(CLI::ExistingFile);
  list.add_flag("--json", options->as_json, "Print JSON instead of a table");
}

}  // namespace evomem::apps
