#pragma once
// What `evomem eval` and `evomem analyze` share: the options that name a backbone, tasks and
// samples, loading them (bad input fails before the model loads), and the runner options.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "apps/backbone_loading.h"
#include "eval/runner.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "tasks/task_registry.h"
#include "tasks/task_samples.h"

namespace evomem::apps {

struct EvalInputOptions {
  std::string backbone;
  std::string tokenizer;  // default: the backbone folder's tokenizer.json
  std::string tasks;      // "qasper,passkey=data/passkey.jsonl"
  std::string data;       // folder holding <task>.jsonl (or data/<task>.jsonl)
  std::string tasks_file;
  std::size_t samples = 0;
  std::uint64_t seed = 0;
  LoadFlags load;  // --device, --dtype, --threads
  std::int64_t chunk_size = 512;
  std::size_t context_window = 32768;
  bool chat_template = false;
  bool no_bos = false;
};

// Adds --backbone, --tasks, --data, --samples, --seed, --tasks-file, --tokenizer, --device,
// --dtype, --threads, --chunk-size, --context-window, --chat-template and --no-bos to `command`.
void add_eval_input_options(CLI::App& command, EvalInputOptions& options);

using eval::TaskRun;

// The built-in tasks plus those of a TOML tasks file (none if empty).
tasks::TaskRegistry load_task_registry(const std::string& tasks_file);
// The built-in tasks plus --tasks-file.
tasks::TaskRegistry load_task_registry(const EvalInputOptions& options);
// The samples of every task of --tasks; InputError for an unknown task or a missing file.
std::vector<TaskRun> load_task_runs(const tasks::TaskRegistry& registry, const EvalInputOptions& options);

struct LoadedBackbone {
  model::Backbone backbone;
  model::Tokenizer tokenizer;
};
// The backbone (backbone_loading.h: --threads applied first) and its tokenizer.
LoadedBackbone load_backbone(const EvalInputOptions& options);

eval::RunnerOptions runner_options(const EvalInputOptions& options);

// Warns (one line per file) when a `namm:weights=FILE` spec names weights evolved on another
// backbone than `backbone`, by the checksum recorded in the file at export.
void warn_about_foreign_namms(const std::vector<std::string>& policy_specs, const std::string& backbone);

}  // namespace evomem::apps
