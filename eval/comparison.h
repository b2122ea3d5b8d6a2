#pragma once
// `evomem compare`'s experiment: a policy under test, the full cache, and hand-designed
// baselines run on the same samples at the same update interval and chunk size, each baseline
// at the absolute budget whose mean retained fraction matches the policy under test's (found
// by eval/budget_search), and optionally every policy at fixed ratio budgets (a NAMM then
// selects top-k; a baseline whose retained fraction at that ratio misses the NAMM's by more
// than the tolerance is matched to it by the same search). The retained fraction is eval::retained_fraction for every
// policy alike.

#include <cstdint>
#include <string>
#include <vector>

#include "core/progress.h"
#include "eval/runner.h"

namespace evomem::eval {

// What a comparison keeps of one sample's result.
struct SampleOutcome {
  std::string task;
  std::string id;
  std::string prediction;
  double score = 0.0;     // 0..1
  double retained = 0.0;  // retained_fraction
  std::int64_t tokens_seen = 0;
  std::size_t new_tokens = 0;
};

// One budget tried by the matched-cache search.
struct SearchStep {
  std::string budget;  // tokens per head ("517"), or the ratio a fixed-budget run tried first ("0.25")
  std::size_t samples = 0;
  double retained = 0.0;
};

// One policy at one setting.
struct PolicyRun {
  std::string policy;                   // label: "namm", "h2o", "h2o@0.25"
  std::string spec;                     // canonical spec (make_policy(spec) rebuilds it)
  std::string setting;                  // "under test", "full", "matched", or the ratio budget ("0.25")
  std::vector<SearchStep> search;       // "matched" only
  std::vector<SampleOutcome> outcomes;  // every sample, tasks in order
};

// The baselines `evomem compare` knows, in table order: full, recency, streaming, h2o, snapkv,
// l2, random, pyramidkv, adakv, tova.
const std::vector<std::string>& comparison_baselines();

// The spec of baseline `name` keeping `budget` tokens per head (a token count such as "517"
// or a ratio of the tokens seen such as "0.25"), updating every `interval` tokens. Budgets are
// split the way each paper splits them (H2O: half heavy hitters, half recent; StreamingLLM:
// 4 sinks and the rest recent; SnapKV family: its observation window inside the budget;
// PyramidKV spreads it over the model's `layers`). InputError for an unknown name.
std::string baseline_spec(const std::string& name, const std::string& budget, std::int64_t interval,
                          std::int64_t layers);

// The policy under test at a fixed budget: a NAMM with top-k selection, a baseline through
// baseline_spec. InputError for other policies.
std::string policy_at_budget(const std::string& policy_spec, const std::string& budget, std::int64_t interval,
                             std::int64_t layers);

struct ComparisonOptions {
  std::string policy;                  // spec of the policy under test
  std::vector<std::string> baselines;  // names from comparison_baselines()
  std::vector<double> budgets;         // fixed ratio budgets in (0, 1)
  std::size_t probe_samples = 8;       // per task, for the budget search's probes
  double tolerance = 0.01;             // matched: |retained - target| at most this
  std::int64_t layers = 0;             // the backbone's layer count (PyramidKV's schedule)
};

class Comparison {
 public:
  // Checks the options and builds every spec once (unknown baseline, bad budget or spec: one
  // InputError/ConfigError), so that bad input fails before the model loads.
  explicit Comparison(ComparisonOptions options);

  // Samples a comparison on `runs` is expected to run (search probes estimated at three per
  // baseline; run() corrects the progress total after each search).
  std::int64_t planned_samples(const std::vector<TaskRun>& runs) const;
  // Runs everything on `runs` with `runner`, advancing `progress` once per sample and policy:
  // the policy under test (with the full cache beside it, when asked for), then each baseline
  // at the matched budget, then the fixed budgets (every policy at one ratio together).
  // Policies run together read a sample once, one batch row each (memory::PolicyGroup).
  std::vector<PolicyRun> run(Runner& runner, const std::vector<TaskRun>& runs, core::Progress& progress);

 private:
  // `spec` built once, run on the first `per_task` samples of each task (0: all).
  PolicyRun evaluate(const std::string& spec, std::size_t per_task, core::Progress& progress);
  // The same for several specs sharing the update interval, one batch row each.
  std::vector<PolicyRun> evaluate_together(const std::vector<std::string>& specs, std::size_t per_task,
                                           core::Progress& progress);
  // `run` (label and setting filled) with baseline `name` at the budget matching `reference`.
  PolicyRun matched(const std::string& name, PolicyRun run, const PolicyRun& reference, std::int64_t planned,
                    core::Progress& progress);

  ComparisonOptions options_;
  std::int64_t interval_ = 0;   // the policy under test's, given to every baseline
  std::string policy_name_;     // the policy under test's name ("namm")
  bool also_baseline_ = false;  // it is also one of the baselines
  // Set by run() for its duration.
  Runner* runner_ = nullptr;
  const std::vector<TaskRun>* runs_ = nullptr;
  std::size_t total_samples_ = 0;
  std::size_t probe_total_ = 0;
};

// Mean retained fraction of outcomes.
double mean_retained(const std::vector<SampleOutcome>& outcomes);

}  // namespace evomem::eval
