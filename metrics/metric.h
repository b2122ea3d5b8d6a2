#pragma once
// The metrics a task can name, and one entry point that scores a prediction against a
// sample's answers the way the published evaluation scripts do.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/answer.h"
#include "metrics/code_sim.h"
#include "metrics/rouge.h"

namespace evomem::metrics {

enum class Metric {
  // LongBench (eval.py): the sample score is the max over the reference answers.
  kQaF1,
  kQaF1Zh,
  kRouge,
  kRougeZh,
  kClassification,
  kRetrieval,
  kRetrievalZh,
  kCount,
  kCodeSim,
  // InfiniteBench (compute_scores.py): the scorer sees the whole answer list.
  kPasskey,  // passkey, number_string
  kKvRetrieval,
  kChoice,    // longbook_choice_eng
  kDialogue,  // longdialogue_qa_eng
  kMathFind,
  kCodeRun,
  kCodeDebug,
  kRougeLsum,  // longbook_sum_eng (max over answers)
  // RULER (the synthetic tasks): fraction of the answers contained in the prediction.
  kStringMatchAll,
};

// Configuration names ("qa_f1", "rouge_zh", "passkey", "rouge_lsum", ...).
std::string metric_name(Metric metric);
std::optional<Metric> parse_metric(std::string_view name);
std::vector<std::string> metric_names();

struct ScoreOptions {
  SequenceRatio code_sim_ratio = SequenceRatio::kDifflib;
  RougeOptions rouge;
};

// What a metric needs besides the prediction.
struct References {
  std::vector<Answer> answers;           // LongBench answers are all strings
  std::vector<std::string> all_classes;  // classification only
};

References string_references(const std::vector<std::string>& answers, const std::vector<std::string>& all_classes = {});

// Score of one sample in 0..1. `first_line_only` applies LongBench's first-line rule before
// scoring (the task registry sets it for trec, triviaqa, samsum, lsht).
double score_prediction(Metric metric, std::string_view prediction, const References& references,
                        bool first_line_only = false, const ScoreOptions& options = {});

}  // namespace evomem::metrics
