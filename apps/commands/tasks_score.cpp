// `evomem tasks score`: the published metrics on a predictions file, as the official scripts
// compute them.

#include <cstdio>
#include <iostream>
#include <memory>

#include "apps/commands/commands.h"
#include "apps/eval_inputs.h"
#include "core/files.h"
#include "core/json_file.h"
#include "metrics/metric.h"
#include "tasks/prediction_scoring.h"
#include "tasks/task_registry.h"

namespace evomem::apps {
namespace {

struct ScoreCommandOptions {
  std::string tasks_file;  // extra user tasks (TOML)
  std::string task;
  std::string predictions;
  std::string out;
  std::string code_sim_ratio = "difflib";
  int rouge_recursion_budget = metrics::RougeOptions{}.recursion_budget;
  bool as_json = false;
};

int score_tasks(const ScoreCommandOptions& options) {
  const auto registry = load_task_registry(options.tasks_file);
  const auto& task = registry.get(options.task);
  metrics::ScoreOptions score_options;
  score_options.code_sim_ratio = options.code_sim_ratio == "levenshtein" ? metrics::SequenceRatio::kLevenshtein
                                                                         : metrics::SequenceRatio::kDifflib;
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
                            {"metric", metrics::metric_name(task.metric)},
                            {"samples", scores.sample_scores.size()},
                            {"score", scores.task_score}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s: %.2f (%s, %zu samples)\n", task.name.c_str(), scores.task_score,
                metrics::metric_name(task.metric).c_str(), scores.sample_scores.size());
  }
  return 0;
}

}  // namespace

void add_tasks_score_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<ScoreCommandOptions>();
  CLI::App& score = registry.add(parent, "score",
                                 "Score a predictions file (JSONL with pred, answers, all_classes) as the official "
                                 "evaluation script does",
                                 [options] { return score_tasks(*options); });
  score.add_option("--task", options->task, "Task name (see `evomem tasks list`)")->required();
  score.add_option("--predictions", options->predictions, "Predictions file (JSONL)")
      ->required()
      ->check(CLI::ExistingFile);
  score.add_option("--tasks-file", options->tasks_file, "TOML file with extra tasks")->check(CLI::ExistingFile);
  score.add_option("--out", options->out, "Also write per-sample scores (JSONL) to this file");
  score
      .add_option("--code-sim-ratio", options->code_sim_ratio,
                  "Sequence ratio behind fuzz.ratio: difflib (pip fuzzywuzzy) or levenshtein (python-Levenshtein)")
      ->check(CLI::IsMember({"difflib", "levenshtein"}))
      ->capture_default_str();
  score
      .add_option("--rouge-recursion-budget", options->rouge_recursion_budget,
                  "Python frames the rouge package may use per LCS (0: no limit; see docs/tasks.md)")
      ->capture_default_str();
  score.add_flag("--json", options->as_json, "Print JSON instead of a line of text");
}

}  // namespace evomem::apps
