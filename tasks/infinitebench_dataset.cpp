#include "tasks/infinitebench_dataset.h"

#include "tasks/jsonl_reader.h"

namespace evomem::tasks {
namespace {

metrics::Answer to_answer(const JsonlRecord& record, const core::Json& value, const std::string& label) {
  metrics::Answer answer;
  if (value.is_string()) {
    answer.kind = metrics::Answer::Kind::kString;
    answer.text = value.get<std::string>();
  } else if (value.is_number_integer()) {
    answer.kind = metrics::Answer::Kind::kInteger;
    answer.text = value.dump();
  } else if (value.is_number_float()) {
    answer.kind = metrics::Answer::Kind::kNumber;
    answer.text = value.dump();
  } else {
    field_error(record, "answer", label + "must be a string or a number, got " + std::string(value.type_name()));
  }
  return answer;
}

}  // namespace

void for_each_infinitebench_sample(const std::filesystem::path& path,
                                   const std::function<void(InfiniteBenchSample&&)>& visit, std::size_t limit) {
  JsonlReader reader(path);
  JsonlRecord record;
  std::size_t count = 0;
  while ((limit == 0 || count < limit) && reader.next(record)) {
    InfiniteBenchSample sample;
    const auto id = record.value.find("id");
    if (id == record.value.end()) field_error(record, "id", "is missing");
    if (id->is_number_integer()) {
      sample.id = id->dump();
    } else if (id->is_string()) {
      sample.id = id->get<std::string>();
    } else {
      field_error(record, "id", std::string("must be an integer or a string, got ") + id->type_name());
    }
    sample.context = required_string(record, "context");
    sample.input = required_string(record, "input");
    const auto answer = record.value.find("answer");
    if (answer == record.value.end()) field_error(record, "answer", "is missing");
    if (answer->is_array()) {
      for (std::size_t i = 0; i < answer->size(); ++i) {
        sample.answers.push_back(to_answer(record, (*answer)[i], "item " + std::to_string(i) + " "));
      }
      if (sample.answers.empty()) field_error(record, "answer", "is empty (every sample needs at least one answer)");
    } else {
      sample.answers.push_back(to_answer(record, *answer, ""));
    }
    sample.options = string_list(record, "options", true);
    visit(std::move(sample));
    ++count;
  }
}

std::vector<InfiniteBenchSample> read_infinitebench_file(const std::filesystem::path& path, std::size_t limit) {
  std::vector<InfiniteBenchSample> samples;
  for_each_infinitebench_sample(
      path, [&](InfiniteBenchSample&& sample) { samples.push_back(std::move(sample)); }, limit);
  return samples;
}

std::vector<std::string> answer_texts(const std::vector<metrics::Answer>& answers) {
  std::vector<std::string> texts;
  texts.reserve(answers.size());
  for (const auto& answer : answers) texts.push_back(answer.text);
  return texts;
}

}  // namespace evomem::tasks
