#pragma once
// Scoring a predictions file the way the official scripts do.
//  - LongBench (eval.py): one JSON object per line with `pred`, `answers` (list of strings) and
//    `all_classes` (list or null). As in eval.py, the class list of the *last* line is used
//    for every line; the first-line rule applies to trec, triviaqa, samsum and lsht; the
//    sample score is the max over the answers; the task score is 100 * mean (eval.py rounds
//    it to 2 decimals).
//  - InfiniteBench (compute_scores.py): `pred` or `prediction`, and `answers`,
//    `ground_truth` or `label` (a string, a number or a list); the task score is 100 * mean.

#include <filesystem>
#include <string>
#include <vector>

#include "metrics/metric.h"
#include "tasks/task_registry.h"

namespace evomem::tasks {

struct PredictionScores {
  std::vector<double> sample_scores;  // 0..1, in file order
  // 100 * mean, unrounded; eval.py prints round(score, 2), which is what "%.2f" shows (the
  // exact binary value is rounded in both cases).
  double task_score = 0.0;
};

// FormatError naming file, line and field on bad input; InputError for an empty file.
PredictionScores score_predictions_file(const TaskSpec& task, const std::filesystem::path& path,
                                        const metrics::ScoreOptions& options = {});

}  // namespace evomem::tasks
