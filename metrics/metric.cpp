#include "metrics/metric.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/error.h"
#include "metrics/classification.h"
#include "metrics/infinitebench_scorers.h"
#include "metrics/normalize.h"
#include "metrics/number_match.h"
#include "metrics/qa_f1.h"
#include "metrics/synthetic_metric.h"

namespace evomem::metrics {
namespace {

constexpr std::array<std::pair<Metric, const char*>, 18> kNames = {{
    {Metric::kQaF1, "qa_f1"},
    {Metric::kQaF1Zh, "qa_f1_zh"},
    {Metric::kRouge, "rouge"},
    {Metric::kRougeZh, "rouge_zh"},
    {Metric::kClassification, "classification"},
    {Metric::kRetrieval, "retrieval"},
    {Metric::kRetrievalZh, "retrieval_zh"},
    {Metric::kCount, "count"},
    {Metric::kCodeSim, "code_sim"},
    {Metric::kPasskey, "passkey"},
    {Metric::kKvRetrieval, "kv_retrieval"},
    {Metric::kChoice, "choice"},
    {Metric::kDialogue, "dialogue"},
    {Metric::kMathFind, "math_find"},
    {Metric::kCodeRun, "code_run"},
    {Metric::kCodeDebug, "code_debug"},
    {Metric::kRougeLsum, "rouge_lsum"},
    {Metric::kStringMatchAll, "string_match_all"},
}};

}  // namespace

std::string metric_name(Metric metric) {
  for (const auto& [value, name] : kNames) {
    if (value == metric) return name;
  }
  throw InternalError("metric without a name");
}

std::optional<Metric> parse_metric(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (name == known) return value;
  }
  return std::nullopt;
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const auto& entry : kNames) names.emplace_back(entry.second);
  return names;
}

References string_references(const std::vector<std::string>& answers, const std::vector<std::string>& all_classes) {
  References references;
  for (const auto& answer : answers) references.answers.push_back({Answer::Kind::kString, answer});
  references.all_classes = all_classes;
  return references;
}

double score_prediction(Metric metric, std::string_view prediction, const References& references, bool first_line_only,
                        const ScoreOptions& options) {
  std::string line;
  if (first_line_only) {
    line = first_line(prediction);
    prediction = line;
  }
  const auto& answers = references.answers;
  // LongBench: max over the references, starting from 0.
  const auto best = [&](auto&& score_one) {
    double score = 0.0;
    for (const auto& answer : answers) score = std::max(score, score_one(answer.text));
    return score;
  };
  switch (metric) {
    case Metric::kQaF1: return best([&](const std::string& answer) { return qa_f1(prediction, answer); });
    case Metric::kQaF1Zh: return best([&](const std::string& answer) { return qa_f1_zh(prediction, answer); });
    case Metric::kRouge:
      return best([&](const std::string& answer) { return rouge_l(prediction, answer, options.rouge); });
    case Metric::kRougeZh:
      return best([&](const std::string& answer) { return rouge_zh(prediction, answer, options.rouge); });
    case Metric::kClassification:
      return best(
          [&](const std::string& answer) { return classification(prediction, answer, references.all_classes); });
    case Metric::kRetrieval:
      return best([&](const std::string& answer) { return retrieval_score(prediction, answer); });
    case Metric::kRetrievalZh:
      return best([&](const std::string& answer) { return retrieval_zh_score(prediction, answer); });
    case Metric::kCount: return best([&](const std::string& answer) { return count_score(prediction, answer); });
    case Metric::kCodeSim:
      return best([&](const std::string& answer) { return code_sim(prediction, answer, options.code_sim_ratio); });
    case Metric::kPasskey: return passkey_score(prediction, answers);
    case Metric::kKvRetrieval: return kv_retrieval_score(prediction, answers);
    case Metric::kChoice: return choice_score(prediction, answers);
    case Metric::kDialogue: return dialogue_score(prediction, answers);
    case Metric::kMathFind: return math_find_score(prediction, answers);
    case Metric::kCodeRun: return code_run_score(prediction, answers);
    case Metric::kCodeDebug: return code_debug_score(prediction, answers);
    case Metric::kRougeLsum: return best([&](const std::string& answer) { return rouge_lsum(prediction, answer); });
    case Metric::kStringMatchAll: return string_match_all_score(prediction, answers);
  }
  throw InternalError("unhandled metric");
}

}  // namespace evomem::metrics
