#include "tasks/longbench_dataset.h"

#include "tasks/jsonl_reader.h"

namespace evomem::tasks {

void for_each_longbench_sample(const std::filesystem::path& path, const std::function<void(LongBenchSample&&)>& visit,
                               std::size_t limit) {
  JsonlReader reader(path);
  JsonlRecord record;
  std::size_t count = 0;
  while ((limit == 0 || count < limit) && reader.next(record)) {
    LongBenchSample sample;
    sample.input = required_string(record, "input");
    sample.context = required_string(record, "context");
    sample.answers = string_list(record, "answers", false);
    if (sample.answers.empty()) field_error(record, "answers", "is empty (every sample needs at least one answer)");
    sample.length = required_integer(record, "length");
    sample.dataset = required_string(record, "dataset");
    sample.language = required_string(record, "language");
    sample.all_classes = string_list(record, "all_classes", true);
    sample.id = required_string(record, "_id");
    visit(std::move(sample));
    ++count;
  }
}

std::vector<LongBenchSample> read_longbench_file(const std::filesystem::path& path, std::size_t limit) {
  std::vector<LongBenchSample> samples;
  for_each_longbench_sample(path, [&](LongBenchSample&& sample) { samples.push_back(std::move(sample)); }, limit);
  return samples;
}

}  // namespace evomem::tasks
