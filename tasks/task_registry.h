#pragma once
// The tasks evomem can score: the 21 LongBench v1 tasks and the InfiniteBench tasks with
// their published prompt templates, generation lengths, metrics and answer rules, plus tasks
// users add from a TOML file (docs/tasks.md).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "metrics/metric.h"

namespace evomem::tasks {

// Which JSONL layout a task's data file has.
enum class DatasetFormat { kLongBench, kInfiniteBench };

std::string dataset_format_name(DatasetFormat format);

// Everything needed to prompt for and score one task.
struct TaskSpec {
  std::string name;
  DatasetFormat format = DatasetFormat::kLongBench;
  // Python str.format-style template: {context}, {input}, and for InfiniteBench also
  // {question}, {OPTION_A}..{OPTION_D}, {prefix}, {func}, {func_call}; {{ and }} are braces.
  std::string prompt_template;
  int max_new_tokens = 0;
  metrics::Metric metric = metrics::Metric::kQaF1;
  bool first_line_only = false;           // LongBench's rule for trec, triviaqa, samsum, lsht
  std::vector<std::string> stop_strings;  // generation also stops at these (samsum: "\n")
  // LongBench's pred.py never wraps few-shot and code tasks in a chat template.
  bool chat_template_allowed = true;
  std::string data_file;  // file name inside the benchmark's data folder
  std::string source;     // where the definition comes from (for `tasks list`)
};

// One row of a built-in task table (the published prompt, generation length and metric).
struct TaskDefinition {
  const char* name;
  const char* prompt;
  int max_new_tokens;
  metrics::Metric metric;
};

// The TaskSpec of a table row: data file "<name>.jsonl", `source` as where it comes from.
TaskSpec task_spec_from(const TaskDefinition& definition, DatasetFormat format, const std::string& source);

// The names of a table, in its order.
template <std::size_t N>
std::vector<std::string> definition_names(const TaskDefinition (&table)[N]) {
  std::vector<std::string> names;
  for (const TaskDefinition& definition : table) names.emplace_back(definition.name);
  return names;
}

class TaskRegistry {
 public:
  // The built-in LongBench v1 and InfiniteBench tasks.
  static TaskRegistry builtin();

  // Adds or replaces a task (user tasks may override built-in ones by name).
  void add(TaskSpec task);
  bool contains(const std::string& name) const;
  // InputError naming the unknown task and listing the known ones.
  const TaskSpec& get(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::map<std::string, TaskSpec>& tasks() const { return tasks_; }

  // Adds the tasks of a TOML file: one table per task under [tasks.<name>] with keys
  // template, metric, max_new_tokens, and optionally format, first_line, stop, chat_template,
  // data_file. ConfigError naming the file and key on bad input.
  void add_from_toml(const std::filesystem::path& path);
  void add_from_config(const core::Config& config, const std::string& source);
  // The schema of such files.
  static core::ConfigSchema user_task_schema();

 private:
  std::map<std::string, TaskSpec> tasks_;
};

// Names of the 21 LongBench v1 tasks and of the InfiniteBench tasks, in the published order.
const std::vector<std::string>& longbench_task_names();
const std::vector<std::string>& infinitebench_task_names();

}  // namespace evomem::tasks
