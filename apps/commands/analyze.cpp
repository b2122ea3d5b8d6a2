// `evomem analyze`: which tokens each layer and KV head of a backbone keeps under a memory
// policy (or two, side by side), as retention.h5, a per-layer summary table (terminal and
// CSV), a self-contained report.html and SVG charts.

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "apps/commands/commands.h"
#include "apps/eval_inputs.h"
#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "eval/retention_analysis.h"
#include "memory/policy.h"
#include "report/retention_file.h"
#include "report/retention_report.h"
#include "report/retention_summary.h"
#include "search/run_file.h"

namespace evomem::apps {
namespace {

struct AnalyzeOptions {
  EvalInputOptions inputs;
  std::string policy;
  std::string compare;
  std::string run;
  std::string out;
  std::int64_t bins = report::kDefaultProfileBins;
};

report::FitnessHistory fitness_history(const std::string& path) {
  const auto checkpoint = search::load_run(path);
  report::FitnessHistory history;
  history.run = path;
  for (const auto& record : checkpoint.history) {
    history.generation.push_back(record.generation);
    history.best.push_back(record.best);
    history.mean.push_back(record.mean);
    history.median.push_back(record.median);
  }
  if (history.generation.empty()) {
    throw InputError(path + ": the run has no finished generation yet; nothing to plot");
  }
  return history;
}

// The options that decide the records, as a command that makes them again.
std::string command_line(const AnalyzeOptions& options) {
  const auto& inputs = options.inputs;
  std::string line = "evomem analyze --backbone " + inputs.backbone + " --policy " + options.policy + " --tasks " +
                     inputs.tasks + " --samples " + std::to_string(inputs.samples) + " --seed " +
                     std::to_string(inputs.seed);
  if (!inputs.data.empty()) line += " --data " + inputs.data;
  if (!options.compare.empty()) line += " --compare " + options.compare;
  if (!inputs.tasks_file.empty()) line += " --tasks-file " + inputs.tasks_file;
  line += " --chunk-size " + std::to_string(inputs.chunk_size) + " --context-window " +
          std::to_string(inputs.context_window);
  if (inputs.chat_template) line += " --chat-template";
  if (inputs.no_bos) line += " --no-bos";
  return line;
}

int run_analyze(const AnalyzeOptions& options) {
  if (options.bins < 2 || options.bins > 1024) throw InputError("--bins must be 2..1024");
  const std::filesystem::path out(options.out);
  // An earlier analysis is replaced file by file, each atomically.
  core::check_output_folder(out, "--out", "retention.h5", true);
  // Everything that can be wrong with the input is found before the model loads.
  std::vector<std::unique_ptr<memory::Policy>> policies;
  policies.push_back(memory::make_policy(options.policy));
  if (!options.compare.empty()) policies.push_back(memory::make_policy(options.compare));
  const auto registry = load_task_registry(options.inputs);
  const auto runs = load_task_runs(registry, options.inputs);
  std::optional<report::FitnessHistory> fitness;
  if (!options.run.empty()) fitness = fitness_history(options.run);

  warn_about_foreign_namms({options.policy, options.compare}, options.inputs.backbone);
  auto loaded = load_backbone(options.inputs);
  eval::RetentionAnalyzer analyzer(loaded.backbone, loaded.tokenizer, runner_options(options.inputs));
  std::size_t total = 0;
  for (const auto& run : runs) total += run.samples.size();
  core::Progress progress("analyze", static_cast<std::int64_t>(total * policies.size()));
  report::RetentionFile file;
  file.backbone = options.inputs.backbone;
  file.command_line = command_line(options);
  for (auto& policy : policies) {
    report::RetentionSet set;
    set.policy = policy->spec();
    for (const auto& run : runs) {
      for (const auto& sample : run.samples) {
        set.samples.push_back(analyzer.analyze(*run.task, sample, *policy));
        progress.advance();
      }
    }
    set.summary = report::summarize_retention(set.samples);
    file.sets.push_back(std::move(set));
  }
  progress.finish();

  report::ReportInput report;
  report.title = "What each layer retains";
  report.backbone = options.inputs.backbone;
  report.fitness = fitness;
  report.bins = options.bins;
  std::string csv;
  for (const auto& set : file.sets) {
    report.policies.push_back({set.policy, &set.samples, set.summary});
    csv += report::retention_summary_csv(set.policy, set.summary, csv.empty());
  }
  const std::string html = report::render_retention_report(report);
  const auto svgs = report::render_retention_report_svgs(report);

  core::write_folder_atomically(out, [&](const std::filesystem::path& folder) {
    report::write_retention_file(folder / "retention.h5", file);
    core::write_text_file_atomically(folder / "summary.csv", csv);
    for (const auto& [name, content] : svgs) core::write_text_file_atomically(folder / name, content);
    core::write_text_file_atomically(folder / "report.html", html);
  });

  for (const auto& set : file.sets) {
    double score = 0.0;
    for (const auto& sample : set.samples) score += sample.score;
    std::printf("%s  (%zu samples, mean score %.2f)\n%s\n", set.policy.c_str(), set.samples.size(),
                100.0 * score / static_cast<double>(set.samples.size()),
                report::retention_summary_text(set.summary).c_str());
  }
  std::printf("wrote %s: retention.h5, summary.csv, report.html", out.string().c_str());
  for (const auto& svg : svgs) std::printf(", %s", svg.first.c_str());
  std::printf("\n");
  return 0;
}

}  // namespace

void add_analyze_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<AnalyzeOptions>();
  CLI::App& analyze = registry.add(
      parent, "analyze",
      "Record which tokens every layer and KV head keeps under a memory policy (or two, with --compare): "
      "retention.h5, summary.csv, report.html and SVG charts in --out",
      [options] { return run_analyze(*options); });
  add_eval_input_options(analyze, options->inputs);
  analyze
      .add_option("--policy", options->policy,
                  "Memory policy spec, e.g. namm:weights=namm.safetensors (docs/memory.md)")
      ->required();
  analyze.add_option("--compare", options->compare,
                     "A second policy shown side by side, e.g. h2o:heavy=128,recent=128");
  analyze.add_option("--run", options->run, "The run file the NAMM came from (its fitness history joins the report)")
      ->check(CLI::ExistingFile);
  analyze.add_option("--out", options->out, "Output folder (new, empty, or an earlier analysis)")->required();
  analyze.add_option("--bins", options->bins, "Relative-position bins of the heatmap and curves")
      ->capture_default_str();
}

}  // namespace evomem::apps
