// `evomem eval`: a backbone on benchmark samples under one or more memory policies (prompt,
// generate, score); per-sample results to a JSONL file, a per-task table to the terminal.
// Several policies read each sample together, one batch row each (memory::PolicyGroup).

#include <cstdio>
#include <memory>

#include "apps/commands/commands.h"
#include "apps/eval_inputs.h"
#include "core/files.h"
#include "core/json_file.h"
#include "core/progress.h"
#include "eval/runner.h"
#include "memory/policy.h"
#include "memory/policy_group.h"

namespace evomem::apps {
namespace {

struct EvalOptions {
  EvalInputOptions inputs;
  std::vector<std::string> policies = {"full"};
  std::string out;
};

core::Json result_json(const eval::SampleResult& result) {
  return {
      {"task", result.task},
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
      {"retained_fraction", eval::retained_fraction(result)},
      {"seconds",
       {{"prompt", result.prompt_seconds}, {"generate", result.generate_seconds}, {"score", result.score_seconds}}}};
}

int run_eval(const EvalOptions& options) {
  core::check_output_file(options.out, "--out");
  const auto registry = load_task_registry(options.inputs);
  // The policy specs and every data file are checked before the model loads, so bad input
  // fails fast.
  std::vector<std::unique_ptr<memory::Policy>> members;
  std::vector<std::string> specs;
  for (const auto& spec : options.policies) {
    members.push_back(memory::make_policy(spec));
    specs.push_back(members.back()->spec());
  }
  std::unique_ptr<memory::Policy> policy = members.size() == 1
                                               ? std::move(members.front())
                                               : std::make_unique<memory::PolicyGroup>(std::move(members));
  const auto runs = load_task_runs(registry, options.inputs);
  warn_about_foreign_namms(options.policies, options.inputs.backbone);
  auto loaded = load_backbone(options.inputs);
  eval::Runner runner(loaded.backbone, loaded.tokenizer, runner_options(options.inputs));

  std::string lines;
  struct Summary {
    std::size_t policy = 0;  // index into specs
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
    std::vector<Summary> task_summaries(specs.size());
    for (std::size_t p = 0; p < specs.size(); ++p) {
      task_summaries[p].policy = p;
      task_summaries[p].task = run.task->name;
    }
    for (const auto& sample : run.samples) {
      const auto results = runner.run_branches(*run.task, sample, policy.get());
      for (std::size_t p = 0; p < results.size(); ++p) {
        const auto& result = results[p];
        Summary& summary = task_summaries[p];
        core::Json json = result_json(result);
        json["policy"] = specs[p];
        lines += json.dump() + "\n";
        ++summary.samples;
        summary.score_sum += result.score;
        summary.fraction_sum += json["retained_fraction"].get<double>();
        summary.tokens += static_cast<double>(result.prompt_tokens + result.new_tokens);
        summary.seconds += result.prompt_seconds + result.generate_seconds + result.score_seconds;
        summary.overhead += result.prompt_seconds + result.score_seconds;
        summary.truncated += result.truncated ? 1 : 0;
      }
      progress.advance();
    }
    summaries.insert(summaries.end(), task_summaries.begin(), task_summaries.end());
  }
  progress.finish();
  core::write_text_file_atomically(options.out, lines);

  const bool several = specs.size() > 1;
  if (several) std::printf("%-4s ", "#");
  std::printf("%-22s %8s %8s %10s %10s %10s %9s\n", "task", "samples", "score", "retained", "truncated", "tokens/s",
              "overhead");
  for (const auto& summary : summaries) {
    const double n = static_cast<double>(summary.samples);
    if (several) {
      std::printf("%-4zu ", summary.policy + 1);
    }
    std::printf("%-22s %8zu %8.2f %10.3f %10zu %10.1f %8.3f%%\n", summary.task.c_str(), summary.samples,
                100.0 * summary.score_sum / n, summary.fraction_sum / n, summary.truncated,
                summary.seconds > 0 ? summary.tokens / summary.seconds : 0.0,
                summary.seconds > 0 ? 100.0 * summary.overhead / summary.seconds : 0.0);
  }
  if (several) {
    for (std::size_t p = 0; p < specs.size(); ++p) std::printf("#%zu: %s\n", p + 1, specs[p].c_str());
  }
  return 0;
}

}  // namespace

void add_eval_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App& eval = registry.add(parent, "eval",
                                "Run a backbone on benchmark tasks (prompt, greedy generation, score); per-sample "
                                "results go to --out, a per-task table to the terminal",
                                [options] { return run_eval(*options); });
  add_eval_input_options(eval, options->inputs);
  eval.add_option("--policy", options->policies,
                  "Memory policy spec, e.g. full, recency:window=256, h2o:heavy=128,recent=128 (docs/memory.md); "
                  "repeat it to run several policies on each sample together, one batch row each")
      ->capture_default_str();
  eval.add_option("--out", options->out, "Per-sample results (JSONL), written when every sample is done")->required();
}

}  // namespace evomem::apps
