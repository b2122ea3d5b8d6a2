#include "tasks/prediction_scoring.h"

#include <cmath>

#include "core/error.h"
#include "tasks/jsonl_reader.h"

namespace evomem::tasks {
namespace {

struct PredictionLine {
  std::string prediction;
  metrics::References references;
};

metrics::Answer answer_value(const JsonlRecord& record, const std::string& field, const core::Json& value) {
  if (value.is_string()) return {metrics::Answer::Kind::kString, value.get<std::string>()};
  if (value.is_number_integer()) return {metrics::Answer::Kind::kInteger, value.dump()};
  if (value.is_number_float()) return {metrics::Answer::Kind::kNumber, value.dump()};
  field_error(record, field, std::string("items must be strings or numbers, got ") + value.type_name());
}

}  // namespace

PredictionScores score_predictions_file(const TaskSpec& task, const std::filesystem::path& path,
                                        const metrics::ScoreOptions& options) {
  JsonlReader reader(path);
  JsonlRecord record;
  std::vector<PredictionLine> lines;
  std::vector<std::string> last_classes;
  while (reader.next(record)) {
    PredictionLine line;
    if (task.format == DatasetFormat::kLongBench) {
      line.prediction = required_string(record, "pred");
      line.references = metrics::string_references(string_list(record, "answers", false));
      if (line.references.answers.empty()) field_error(record, "answers", "is empty");
      last_classes = record.value.contains("all_classes") ? string_list(record, "all_classes", true)
                                                          : std::vector<std::string>{};
    } else {
      const std::string prediction_field = record.value.contains("pred") ? "pred" : "prediction";
      line.prediction = required_string(record, prediction_field);
      std::string answer_field;
      for (const char* candidate : {"answers", "ground_truth", "label"}) {
        if (record.value.contains(candidate)) {
          answer_field = candidate;
          break;
        }
      }
      if (answer_field.empty())
        field_error(record, "answers", "is missing (also looked for 'ground_truth' and 'label')");
      const core::Json& value = record.value.at(answer_field);
      if (value.is_array()) {
        for (const auto& item : value) line.references.answers.push_back(answer_value(record, answer_field, item));
        if (line.references.answers.empty()) field_error(record, answer_field, "is empty");
      } else {
        line.references.answers.push_back(answer_value(record, answer_field, value));
      }
    }
    lines.push_back(std::move(line));
  }
  if (lines.empty()) throw InputError(path.string() + ": no predictions in the file");
  PredictionScores scores;
  double total = 0.0;
  for (auto& line : lines) {
    line.references.all_classes = last_classes;
    const double score = metrics::score_prediction(task.metric, line.prediction, line.references, task.first_line_only,
                                                   options);
    scores.sample_scores.push_back(score);
    total += score;
  }
  scores.task_score = 100 * total / static_cast<double>(lines.size());
  return scores;
}

}  // namespace evomem::tasks
