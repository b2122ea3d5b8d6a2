#pragma once
// The numbers of a comparison and the files `evomem compare` writes: per policy and task the
// score with its 95% bootstrap interval and the retained fraction, and the paired difference
// against the policy under test on the same samples; comparison.csv, differences.csv,
// comparison.md, samples.jsonl and the Pareto plot.

#include <string>
#include <vector>

#include "eval/comparison.h"
#include "metrics/bootstrap.h"
#include "report/pareto_svg.h"

namespace evomem::eval {

struct ComparisonRow {
  std::string policy;   // PolicyRun::policy
  std::string spec;     // PolicyRun::spec
  std::string setting;  // PolicyRun::setting
  std::string task;     // a task name, or "mean" (mean over tasks of the task scores)
  std::size_t samples = 0;
  double score = 0.0;  // percent
  metrics::Interval interval;
  double retained = 0.0;        // mean over the samples (all tasks for "mean"), a fraction
  bool has_difference = false;  // false for the policy under test itself
  double difference = 0.0;      // score minus the policy under test's, percent, paired
  metrics::Interval difference_interval;
};

// One row per run and task, then the run's "mean" row; tasks in the order of the first run's
// samples. Runs other than runs[reference] are paired with it sample by sample: they must hold
// the same tasks and sample ids in the same order (InternalError otherwise).
std::vector<ComparisonRow> comparison_rows(const std::vector<PolicyRun>& runs, std::size_t reference,
                                           const metrics::BootstrapOptions& bootstrap);

// policy,spec,task,samples,score,ci_low,ci_high,retained (RFC 4180 quoting).
std::string comparison_csv(const std::vector<ComparisonRow>& rows);
// policy,spec,task,samples,difference,ci_low,ci_high for every run but the policy under test.
std::string differences_csv(const std::vector<ComparisonRow>& rows);
// The tables as printed: scores with intervals, retained fractions, then the paired differences,
// then the spec of every row. `header` lines go first.
std::string comparison_markdown(const std::vector<ComparisonRow>& rows, const std::vector<std::string>& header);
// One JSON line per policy and sample: policy, spec, setting, task, id, score, retained_fraction,
// tokens_seen, new_tokens, prediction.
std::string comparison_samples_jsonl(const std::vector<PolicyRun>& runs);
// Mean rows as points: one series per policy name over its settings (the full cache alone).
std::vector<report::ParetoSeries> pareto_series(const std::vector<ComparisonRow>& rows);
// The budget searches, one line per probe: policy,budget,samples,retained (budget: tokens per
// head, or the ratio a fixed-budget run tried before its search).
std::string budget_search_csv(const std::vector<PolicyRun>& runs);

}  // namespace evomem::eval
