#include "apps/eval_inputs.h"

#include <filesystem>

#include "core/error.h"
#include "core/logging.h"
#include "core/provenance.h"
#include "core/text.h"
#include "memory/namm_file.h"
#include "memory/policy_spec.h"

namespace evomem::apps {

void add_eval_input_options(CLI::App& command, EvalInputOptions& options) {
  command.add_option("--backbone", options.backbone, "Checkpoint folder (config.json, safetensors, tokenizer.json)")
      ->required()
      ->check(CLI::ExistingDirectory);
  command.add_option("--tasks", options.tasks, "Comma-separated tasks, each NAME or NAME=FILE.jsonl")->required();
  command.add_option("--data", options.data, "Folder with the benchmark files (<task>.jsonl or data/<task>.jsonl)");
  command.add_option("--samples", options.samples, "Samples per task, drawn with --seed (0: all)")
      ->capture_default_str();
  command.add_option("--seed", options.seed, "Seed of the sample draw")->capture_default_str();
  command.add_option("--tasks-file", options.tasks_file, "TOML file with extra tasks")->check(CLI::ExistingFile);
  command.add_option("--tokenizer", options.tokenizer, "tokenizer.json (default: the backbone folder's)");
  add_load_flags(command, options.load);
  command.add_option("--chunk-size", options.chunk_size, "Prefill chunk")->capture_default_str();
  command
      .add_option("--context-window", options.context_window,
                  "Prompt + answer tokens at most; longer prompts keep their first and last halves")
      ->capture_default_str();
  command.add_flag("--chat-template", options.chat_template, "Wrap prompts in the Llama 3 chat template");
  command.add_flag("--no-bos", options.no_bos, "Do not start prompts with BOS");
}

tasks::TaskRegistry load_task_registry(const std::string& tasks_file) {
  auto registry = tasks::TaskRegistry::builtin();
  if (!tasks_file.empty()) registry.add_from_toml(tasks_file);
  return registry;
}

tasks::TaskRegistry load_task_registry(const EvalInputOptions& options) {
  return load_task_registry(options.tasks_file);
}

std::vector<TaskRun> load_task_runs(const tasks::TaskRegistry& registry, const EvalInputOptions& options) {
  std::vector<TaskRun> runs;
  for (const auto& item : core::split(options.tasks)) {
    const std::size_t equals = item.find('=');
    const std::string name = item.substr(0, equals);
    const auto& task = registry.get(name);
    std::filesystem::path path;
    if (equals != std::string::npos) {
      path = item.substr(equals + 1);
    } else if (!options.data.empty()) {
      path = tasks::task_data_path(task, options.data);
    } else {
      throw InputError("task '" + name + "' has no data file: give --data FOLDER or --tasks " + name + "=FILE");
    }
    runs.push_back({&task, tasks::load_task_samples(task, path, options.samples, options.seed)});
  }
  if (runs.empty()) throw InputError("--tasks names no task");
  return runs;
}

LoadedBackbone load_backbone(const EvalInputOptions& options) {
  if (options.chunk_size <= 0) throw InputError("--chunk-size must be positive");
  auto backbone = load_backbone(options.backbone, options.load);
  const std::filesystem::path tokenizer_path = options.tokenizer.empty()
                                                   ? std::filesystem::path(options.backbone) / "tokenizer.json"
                                                   : std::filesystem::path(options.tokenizer);
  return {std::move(backbone), model::Tokenizer::load(tokenizer_path)};
}

eval::RunnerOptions runner_options(const EvalInputOptions& options) {
  eval::RunnerOptions runner;
  runner.chunk_size = options.chunk_size;
  runner.prompt.add_bos = !options.no_bos;
  runner.prompt.use_chat_template = options.chat_template;
  runner.prompt.context_window = options.context_window;
  return runner;
}

void warn_about_foreign_namms(const std::vector<std::string>& policy_specs, const std::string& backbone) {
  std::string checksum;
  for (const auto& text : policy_specs) {
    if (text.empty()) continue;
    const auto spec = memory::parse_policy_spec(text);
    if (spec.name != "namm") continue;
    for (const auto& [key, path] : spec.options) {
      if (key != "weights") continue;
      const auto provenance = memory::load_namm(path).provenance;
      const auto recorded = provenance.find("backbone_checksum");
      if (recorded == provenance.end()) continue;
      if (checksum.empty()) checksum = core::backbone_checksum(backbone);
      if (recorded->second == checksum) continue;
      const auto source = provenance.find("backbone");
      core::log::warn("{} was evolved on the backbone {} (checksum {}), not on {} (checksum {}); its scores and "
                      "retained fractions may not carry over",
                      path, source == provenance.end() ? std::string("?") : source->second, recorded->second, backbone,
                      checksum);
    }
  }
}

}  // namespace evomem::apps
