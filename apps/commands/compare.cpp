// `evomem compare`: a memory policy against the full cache and the hand-designed baselines on
// the same samples, every baseline at the policy's retained fraction (within one point) and at
// the same update interval and chunk size, with bootstrap intervals and paired differences
// (eval/comparison.h). comparison.csv, differences.csv, comparison.md, samples.jsonl,
// budget_search.csv, pareto.svg and the samples of generated tasks go to --out.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "apps/commands/commands.h"
#include "apps/eval_inputs.h"
#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "core/text.h"
#include "eval/comparison.h"
#include "eval/comparison_table.h"
#include "model/config.h"
#include "model/tokenizer.h"
#include "report/pareto_svg.h"
#include "tasks/synthetic/generators.h"
#include "tasks/synthetic/suite.h"
#include "tasks/synthetic/tokenizer.h"

namespace evomem::apps {
namespace {

struct CompareOptions {
  EvalInputOptions inputs;
  std::string policy;
  std::string baselines = core::join(eval::comparison_baselines(), ",");
  std::string budgets;
  std::size_t synthetic_length = 0;
  std::uint64_t synthetic_seed = 0;
  std::size_t probe_samples = 8;
  double tolerance_points = 1.0;
  std::int64_t resamples = 10000;
  std::uint64_t bootstrap_seed = 0;
  std::string out;
  bool overwrite = false;
};

std::vector<double> parse_budgets(const std::string& text) {
  std::vector<double> budgets;
  for (const auto& item : core::split(text)) {
    std::size_t used = 0;
    double value = 0.0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(value > 0.0 && value < 1.0)) {
      throw InputError("--budgets: '" + item + "' is not a share of the tokens in (0, 1), e.g. 0.125,0.25,0.5");
    }
    budgets.push_back(value);
  }
  return budgets;
}

// Synthetic tasks named without a file are generated here (--synthetic-length and
// --synthetic-seed) into a temporary folder, read like any task file, and copied to
// --out/tasks/ with the results.
struct GeneratedTasks {
  std::filesystem::path folder;
  std::vector<std::pair<std::string, std::string>> files;  // task, JSONL text
  ~GeneratedTasks() {
    std::error_code ignored;
    if (!folder.empty()) std::filesystem::remove_all(folder, ignored);
  }
};

std::string generate_synthetic_tasks(CompareOptions& options, tasks::TaskRegistry& registry,
                                     GeneratedTasks& generated) {
  const auto& names = tasks::synthetic_task_names();
  std::string tasks_arg;
  std::unique_ptr<model::Tokenizer> tokenizer;
  for (const auto& item : core::split(options.inputs.tasks)) {
    const bool is_synthetic = std::find(names.begin(), names.end(), item) != names.end();
    if (!is_synthetic || item.find('=') != std::string::npos || options.synthetic_length == 0) {
      tasks_arg += (tasks_arg.empty() ? "" : ",") + item;
      continue;
    }
    if (options.inputs.samples == 0) throw InputError("--synthetic-length needs --samples above 0");
    if (!registry.contains(item)) registry.add(tasks::synthetic_task_spec(item));
    if (!tokenizer) {
      tokenizer = std::make_unique<model::Tokenizer>(model::Tokenizer::load(
          options.inputs.tokenizer.empty() ? std::filesystem::path(options.inputs.backbone) / "tokenizer.json"
                                           : std::filesystem::path(options.inputs.tokenizer)));
      char pattern[] = "/tmp/evomem-compare-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw InputError("cannot create a temporary folder for generated tasks");
      generated.folder = pattern;
    }
    tasks::SyntheticOptions synthetic;
    synthetic.task = item;
    synthetic.length = options.synthetic_length;
    synthetic.samples = options.inputs.samples;
    synthetic.seed = options.synthetic_seed;
    std::string text;
    for (const auto& sample : tasks::generate_synthetic(synthetic, tasks::synthetic_tokenizer(*tokenizer))) {
      text += tasks::synthetic_sample_json(sample) + "\n";
    }
    const auto path = generated.folder / (item + ".jsonl");
    core::write_text_file_atomically(path, text);
    generated.files.emplace_back(item, text);
    tasks_arg += (tasks_arg.empty() ? "" : ",") + item + "=" + path.string();
  }
  return tasks_arg;
}

std::vector<std::string> header_lines(const CompareOptions& options, const std::vector<eval::PolicyRun>& runs,
                                      std::size_t samples_per_task, std::int64_t chunk_size) {
  const double target = eval::mean_retained(runs.front().outcomes);
  std::string line = "# evomem compare: " + runs.front().policy + " against " + std::to_string(runs.size() - 1) +
                     " baseline settings";
  char detail[512];
  std::snprintf(detail, sizeof detail,
                "Matched baselines keep %.1f%% +- %.1f of the tokens like `%s`; update interval and chunk size as "
                "the policy under test (chunk %lld); %zu samples per task; intervals: %lld bootstrap resamples "
                "(seed %llu).",
                100.0 * target, options.tolerance_points, options.policy.c_str(), static_cast<long long>(chunk_size),
                samples_per_task, static_cast<long long>(options.resamples),
                static_cast<unsigned long long>(options.bootstrap_seed));
  return {line, "", detail};
}

int run_compare(CompareOptions options) {
  // Every input is checked before the model loads.
  const std::filesystem::path out(options.out);
  core::check_output_folder(out, "--out", "comparison.csv", options.overwrite);
  eval::ComparisonOptions comparison;
  comparison.policy = options.policy;
  comparison.baselines = core::split(options.baselines);
  if (comparison.baselines.empty()) throw InputError("--baselines names no baseline");
  comparison.budgets = parse_budgets(options.budgets);
  comparison.probe_samples = options.probe_samples;
  comparison.tolerance = options.tolerance_points / 100.0;
  comparison.layers =
      model::load_config(std::filesystem::path(options.inputs.backbone) / "config.json").num_hidden_layers;
  eval::Comparison experiment(comparison);
  if (options.resamples < 100) throw InputError("--bootstrap-resamples must be at least 100");
  auto registry = load_task_registry(options.inputs);
  GeneratedTasks generated;
  options.inputs.tasks = generate_synthetic_tasks(options, registry, generated);
  // Generated files hold exactly --samples samples; files given by the user are drawn from.
  const auto runs = load_task_runs(registry, options.inputs);
  for (const auto& run : runs) {
    if (run.samples.empty()) throw InputError("task '" + run.task->name + "' has no samples");
  }

  warn_about_foreign_namms({options.policy}, options.inputs.backbone);
  auto loaded = load_backbone(options.inputs);
  eval::RunnerOptions runner_settings = runner_options(options.inputs);
  eval::Runner runner(loaded.backbone, loaded.tokenizer, runner_settings);
  core::Progress::Options progress_options;
  progress_options.unit = "samples";
  core::Progress progress("compare", experiment.planned_samples(runs), progress_options);
  const auto policy_runs = experiment.run(runner, runs, progress);
  progress.finish();

  metrics::BootstrapOptions bootstrap;
  bootstrap.seed = options.bootstrap_seed;
  bootstrap.resamples = options.resamples;
  const auto rows = eval::comparison_rows(policy_runs, 0, bootstrap);
  std::size_t per_task = 0;
  for (const auto& run : runs) per_task = std::max(per_task, run.samples.size());
  const std::string markdown = eval::comparison_markdown(
      rows, header_lines(options, policy_runs, per_task, options.inputs.chunk_size));
  const std::string svg = report::render_pareto_svg(eval::pareto_series(rows),
                                                    "Score against cache size: " + policy_runs.front().policy);

  core::write_folder_atomically(out, [&](const std::filesystem::path& folder) {
    for (const auto& [task, text] : generated.files) {
      std::filesystem::create_directories(folder / "tasks");
      core::write_text_file_atomically(folder / "tasks" / (task + ".jsonl"), text);
    }
    core::write_text_file_atomically(folder / "samples.jsonl", eval::comparison_samples_jsonl(policy_runs));
    core::write_text_file_atomically(folder / "budget_search.csv", eval::budget_search_csv(policy_runs));
    core::write_text_file_atomically(folder / "differences.csv", eval::differences_csv(rows));
    core::write_text_file_atomically(folder / "pareto.svg", svg);
    core::write_text_file_atomically(folder / "comparison.md", markdown);
    core::write_text_file_atomically(folder / "comparison.csv", eval::comparison_csv(rows));
  });
  std::printf("%s\nwrote %s: comparison.csv, comparison.md, differences.csv, samples.jsonl, budget_search.csv, "
              "pareto.svg\n",
              markdown.c_str(), out.string().c_str());
  return 0;
}

}  // namespace

void add_compare_command(CommandRegistry& registry, CLI::App& parent) {
  auto options = std::make_shared<CompareOptions>();
  options->inputs.samples = 64;
  CLI::App& compare = registry.add(
      parent, "compare",
      "Compare a memory policy with the full cache and hand-designed baselines at the same retained fraction, "
      "update interval and chunk size, with 95% bootstrap intervals; tables, per-sample results and a Pareto plot "
      "go to --out",
      [options] { return run_compare(*options); });
  add_eval_input_options(compare, options->inputs);
  compare.add_option("--policy", options->policy, "The policy under test, e.g. namm:weights=namm.safetensors")
      ->required();
  compare
      .add_option("--baselines", options->baselines,
                  "Comma-separated baselines; each but full runs at the budget that matches the policy's retained "
                  "fraction")
      ->capture_default_str();
  compare.add_option("--budgets", options->budgets,
                     "Also compare at these shares of the tokens seen, e.g. 0.125,0.25,0.5 (a NAMM selects top-k)");
  compare.add_option("--synthetic-length", options->synthetic_length,
                     "Generate the synthetic tasks named without a file at this many tokens (--samples of them)");
  compare.add_option("--synthetic-seed", options->synthetic_seed, "Seed of the generated synthetic samples")
      ->capture_default_str();
  compare
      .add_option("--probe-samples", options->probe_samples,
                  "Samples per task for the budget search's probes (the match is then checked on all)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  compare.add_option("--tolerance", options->tolerance_points, "Matched: retained fractions within this many points")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 50.0));
  compare.add_option("--bootstrap-resamples", options->resamples, "Bootstrap resamples of the intervals")
      ->capture_default_str();
  compare.add_option("--bootstrap-seed", options->bootstrap_seed, "Seed of the bootstrap")->capture_default_str();
  compare.add_option("--out", options->out, "Output folder (new or empty; --overwrite replaces an earlier comparison)")
      ->required();
  compare.add_flag("--overwrite", options->overwrite, "Replace the files of an earlier comparison in --out");
}

}  // namespace evomem::apps
