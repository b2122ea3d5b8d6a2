// `evomem tasks list`, `evomem tasks score` (the published metrics on a predictions file) and
// `evomem eval` (a backbone on benchmark samples: prompt, generate, score).

#include <cstdio>
#include <iostream>
#include <memory>

#include <chrono>

#include "apps/command_registry.h"
#include "apps/eval_inputs.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/logging.h"
#include "core/progress.h"
#include "memory/policy.h"
#include "model/backbone.h"
#include "model/tokenizer.h"
#include "tasks/prediction_scoring.h"
#include "tasks/runner.h"
#include "tasks/task_registry.h"
#include "tasks/task_samples.h"

namespace evomem::apps {
namespace {

struct TasksOptions {
  std::string tasks_file;  // extra user tasks (TOML)
  std::string task;
  std::string predictions;
  std::string out;
  std::string code_sim_ratio = "difflib";
  int rouge_recursion_budget = tasks::RougeOptions{}.recursion_budget;
  bool as_json = false;
};

tasks::TaskRegistry load_registry(const TasksOptions& options) {
  auto registry = tasks::TaskRegistry::builtin();
  if (!options.tasks_file.empty()) registry.add_from_toml(options.tasks_file);
  return registry;
}

std::string quoted(const std::vector<std::string>& values) {
  std::string text;
  for (const auto& value : values) text += (text.empty() ? "" : ",") + core::Json(value).dump();
  return text.empty() ? "-" : text;
}

int list_tasks(const TasksOptions& options) {
  const auto registry = load_registry(options);
  if (options.as_json) {
    core::Json tasks = core::Json::array();
    for (const auto& [name, task] : registry.tasks()) {
      tasks.push_back({{"name", name},
                       {"format", tasks::dataset_format_name(task.format)},
                       {"metric", tasks::metric_name(task.metric)},
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
                tasks::metric_name(task.metric).c_str(), task.max_new_tokens, task.first_line_only ? "yes" : "no",
                quoted(task.stop_strings).c_str());
  }
  return 0;
}

int score_tasks(const TasksOptions& options) {
  const auto registry = load_registry(options);
  const auto& task = registry.get(options.task);
  tasks::ScoreOptions score_options;
  score_options.code_sim_ratio =
      options.code_sim_ratio == "levenshtein" ? tasks::SequenceRatio::kLevenshtein : tasks::SequenceRatio::kDifflib;
  score_options.rouge.recursion_budget = options.rouge_recursion_budget;
  const auto scores = tasks::score_predictions_file(task, options.predictions, score_options);
  if (!options.out.empty()) {
    std::string text;
    for (std::size_t i = 0; i < scores.sample_scores.size(); ++i) {
      text += core::Json{{"line", i + 1}, {"score", scores.sample_scores[i]}}.dump() + "\n";
    }
    core::write_text_file_atomically(options.out, text);
  }
  if (options.as_json) {
    std::cout << core::Json{{"task", task.name},
                            {"metric", tasks::metric_name(task.metric)},
                            {"samples", scores.sample_scores.size()},
                            {"score", scores.task_score}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s: %.2f (%s, %zu samples)\n", task.name.c_str(), scores.task_score,
                tasks::metric_name(task.metric).c_str(), scores.sample_scores.size());
  }
  return 0;
}


struct EvalOptions {
  EvalInputOptions inputs;
  std::string policy = "full";
  std::string out;
};

core::Json result_json(const tasks::SampleResult& result) {
  return {{"task", result.task},
          {"id", result.id},
          {"prediction", result.prediction},
          {"score", result.score},
          {"prompt_tokens", result.prompt_tokens},
          {"untruncated_prompt_tokens", result.untruncated_prompt_tokens},
          {"truncated", result.truncated},
          {"new_tokens", result.new_tokens},
          {"stop_reason", result.stop_reason},
          {"retained_mean", result.retained_mean},
          {"retained_final", result.retained_final},
          {"retained_fraction", tasks::retained_fraction(result)},
          {"seconds", {{"prompt", result.prompt_seconds}, {"generate", result.generate_seconds}, {"score", result.score_seconds}}}};
}

int run_eval(const EvalOptions& options) {
  const auto registry = load_task_registry(options.inputs);
  // The policy spec and every data file are checked before the model loads, so bad input
  // fails fast.
  const auto policy = memory::make_policy(options.policy);
  const auto runs = load_task_runs(registry, options.inputs);
  auto loaded = load_backbone(options.inputs);
  tasks::Runner runner(loaded.backbone, loaded.tokenizer, runner_options(options.inputs));

  std::string lines;
  struct Summary {
    std::string task;
    std::size_t samples = 0;
    double score_sum = 0.0, fraction_sum = 0.0, tokens = 0.0, seconds = 0.0, overhead = 0.0;
    std::size_t truncated = 0;
  };
  std::vector<Summary> summaries;
  std::size_t total = 0;
  for (const auto& run : runs) total += run.samples.size();
  core::Progress progress("eval", static_cast<std::int64_t>(total));
  for (const auto& run : runs) {
    Summary summary;
    summary.task = run.task->name;
    for (const auto& sample : run.samples) {
      const auto result = runner.run(*run.task, sample, policy.get());
      core::Json json = result_json(result);
      json["policy"] = policy->spec();
      lines += json.dump() + "\n";
      ++summary.samples;
      summary.score_sum += result.score;
      summary.fraction_sum += json["retained_fraction"].get<double>();
      summary.tokens += static_cast<double>(result.prompt_tokens + result.new_tokens);
      summary.seconds += result.prompt_seconds + result.generate_seconds + result.score_seconds;
      summary.overhead += result.prompt_seconds + result.score_seconds;
      summary.truncated += result.truncated ? 1 : 0;
      progress.advance();
    }
    summaries.push_back(summary);
  }
  progress.finish();
  core::write_text_file_atomically(options.out, lines);

  std::printf("%-22s %8s %8s %10s %10s %10s %9s\n", "task", "samples", "score", "retained", "truncated", "tokens/s",
              "overhead");
  for (const auto& summary : summaries) {
    const double n = static_cast<double>(summary.samples);
    std::printf("%-22s %8zu %8.2f %10.3f %10zu %10.1f %8.3f%%\n", summary.task.c_str(), summary.samples,
                100.0 * summary.score_sum / n, summary.fraction_sum / n, summary.truncated,
                summary.seconds > 0 ? summary.tokens / summary.seconds : 0.0,
                summary.seconds > 0 ? 100.0 * summary.overhead / summary.seconds : 0.0);
  }
  return 0;
}

}  // namespace

void register_tasks_commands(CommandRegistry& registry) {
  auto options = std::make_shared<TasksOptions>();
  CLI::App& group = registry.add_group(registry.root(), "tasks", "Benchmark tasks: list them, score predictions");

  CLI::App& list = registry.add(group, "list", "List the built-in LongBench / InfiniteBench tasks (and user tasks)",
                                [options] { return list_tasks(*options); });
  list.add_option("--tasks-file", options->tasks_file, "TOML file with extra tasks ([tasks.<name>] tables)")
      ->check(CLI::ExistingFile);
  list.add_flag("--json", options->as_json, "Print JSON instead of a table");

  CLI::App& score = registry.add(group, "score",
                                 "Score a predictions file (JSONL with pred, answers, all_classes) as the official "
                                 "evaluation script does",
                                 [options] { return score_tasks(*options); });
  score.add_option("--task", options->task, "Task name (see `evomem tasks list`)")->required();
  score.add_option("--predictions", options->predictions, "Predictions file (JSONL)")->required()->check(CLI::ExistingFile);
  score.add_option("--tasks-file", options->tasks_file, "TOML file with extra tasks")->check(CLI::ExistingFile);
  score.add_option("--out", options->out, "Also write per-sample scores (JSONL) to this file");
  score.add_option("--code-sim-ratio", options->code_sim_ratio,
                   "Sequence ratio behind fuzz.ratio: difflib (pip fuzzywuzzy) or levenshtein (python-Levenshtein)")
      ->check(CLI::IsMember({"difflib", "levenshtein"}))
      ->capture_default_str();
  score.add_option("--rouge-recursion-budget", options->rouge_recursion_budget,
                   "Python frames the rouge package may use per LCS (0: no limit; see docs/tasks.md)")
      ->capture_default_str();
  score.add_flag("--json", options->as_json, "Print JSON instead of a line of text");

  auto eval_options = std::make_shared<EvalOptions>();
  CLI::App& eval = registry.add(registry.root(), "eval",
                                "Run a backbone on benchmark tasks (prompt, greedy generation, score); per-sample "
                                "results go to --out, a per-task table to the terminal",
                                [eval_options] { return run_eval(*eval_options); });
  add_eval_input_options(eval, eval_options->inputs);
  eval.add_option("--policy", eval_options->policy,
                  "Memory policy spec, e.g. full, recency:window=256, h2o:heavy=128,recent=128 (docs/memory.md)")
      ->capture_default_str();
  eval.add_option("--out", eval_options->out, "Per-sample results (JSONL), written when every sample is done")->required();
}

}  // namespace evomem::apps
