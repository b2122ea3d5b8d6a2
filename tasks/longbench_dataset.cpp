#include "tasks/longbench_dataset.h"

#include "tasks/jsonl_reader.h"

namespace evomem::tasks {
namespace {

// evomem's synthetic files list [{"kind", "text", "char_span": [begin, end], ...}].
std::vector<ContextSpan> context_spans(const JsonlRecord& record, std::size_t context_bytes) {
  std::vector<ContextSpan> spans;
  const auto found = record.value.find("needles");
  if (found == record.value.end() || found->is_null()) return spans;
  if (!found->is_array()) field_error(record, "needles", "must be a list of {kind, char_span} objects");
  for (std::size_t i = 0; i < found->size(); ++i) {
    const core::Json& entry = (*found)[i];
    const std::string item = "item " + std::to_string(i);
    if (!entry.is_object() || !entry.contains("kind") || !entry["kind"].is_string()) {
      field_error(record, "needles", item + " needs a string \"kind\"");
    }
    const core::Json& span = entry.contains("char_span") ? entry["char_span"] : core::Json();
    if (!span.is_array() || span.size() != 2 || !span[0].is_number_unsigned() || !span[1].is_number_unsigned() ||
        span[0].get<std::size_t>() > span[1].get<std::size_t>() || span[1].get<std::size_t>() > context_bytes) {
      field_error(record, "needles",
                  item + " needs \"char_span\": [begin, end] with 0 <= begin <= end <= " +
                      std::to_string(context_bytes) + " (bytes of the context)");
    }
    spans.push_back({entry["kind"].get<std::string>(), span[0].get<std::size_t>(), span[1].get<std::size_t>()});
  }
  return spans;
}

}  // namespace

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
    sample.context_spans = context_spans(record, sample.context.size());
    visit(std::move(sample));
    ++count;
  }
}

std::vector<LongBenchSample> read_longbench_file(const std::filesystem::path& path, std::size_t limit) {
  std::vector<LongBenchSample> samples;
  for_each_longbench_sample(
      path, [&](LongBenchSample&& sample) { samples.push_back(std::move(sample)); }, limit);
  return samples;
}

}  // namespace evomem::tasks
