#include "tasks/synthetic/suite.h"

#include "core/error.h"
#include "core/text.h"

namespace evomem::tasks {
namespace {

// Passkey and number_string keep InfiniteBench's base-model templates; the RULER-style
// families end the prompt with the words that precede the answer in the needle, so that the
// answer is a continuation (the RULER templates end with an answer prefix for the same reason).
const TaskDefinition kEntries[] = {
    {"synth_passkey",
     "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you "
     "about the important information there.\n\n{context}\n\n{input}\n\nThe pass key is",
     6, metrics::Metric::kPasskey},
    {"synth_number_string",
     "There is an important info hidden inside a lot of irrelevant text. Find it. I will quiz you about the "
     "important information there.\n\n{context}\n\n{input}\n\nThe sequence of digits is",
     12, metrics::Metric::kPasskey},
    {"synth_kv_retrieval",
     "Extract the value corresponding to the specified key in the JSON object below.\n\n{context}\n\n{input}", 50,
     metrics::Metric::kKvRetrieval},
    {"synth_niah_single",
     "Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you "
     "about the numbers afterwards.\n{context}\n{input}",
     16, metrics::Metric::kStringMatchAll},
    {"synth_niah_multikey",
     "Some special magic uuids are hidden within the following text. Make sure to memorize it. I will quiz you "
     "about the uuids afterwards.\n{context}\n{input}",
     48, metrics::Metric::kStringMatchAll},
    {"synth_niah_multivalue",
     "Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you "
     "about the numbers afterwards.\n{context}\n{input}",
     64, metrics::Metric::kStringMatchAll},
    {"synth_niah_multiquery",
     "Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you "
     "about the numbers afterwards.\n{context}\n{input}",
     64, metrics::Metric::kStringMatchAll},
    {"synth_variable_tracking",
     "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\n{input}", 32,
     metrics::Metric::kStringMatchAll},
    {"synth_common_words",
     "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones "
     "that appear most often.\n{context}\n{input}",
     64, metrics::Metric::kStringMatchAll},
};

}  // namespace

const std::vector<std::string>& synthetic_task_names() {
  static const std::vector<std::string> names = definition_names(kEntries);
  return names;
}

TaskSpec synthetic_task_spec(const std::string& name) {
  for (const auto& entry : kEntries) {
    if (name == entry.name) return task_spec_from(entry, DatasetFormat::kLongBench, "evomem synthetic");
  }
  throw InputError("unknown synthetic task '" + name + "'; known: " + core::join(synthetic_task_names()));
}

}  // namespace evomem::tasks
