#pragma once
// The synthetic long-context tasks (InfiniteBench passkey / number_string / kv_retrieval and
// RULER's NIAH, variable tracking and common-words families): their prompt templates,
// generation lengths and metrics. The same definitions are in tasks/synthetic/tasks.toml so
// that `evomem eval --tasks-file tasks/synthetic/tasks.toml` scores the generated files.

#include <string>
#include <vector>

#include "tasks/task_registry.h"

namespace evomem::tasks {

// Names in a stable order: synth_passkey, synth_number_string, synth_kv_retrieval,
// synth_niah_single, synth_niah_multikey, synth_niah_multivalue, synth_niah_multiquery,
// synth_variable_tracking, synth_common_words.
const std::vector<std::string>& synthetic_task_names();

// The TaskSpec of one synthetic task (LongBench JSONL layout); InputError for other names.
TaskSpec synthetic_task_spec(const std::string& name);

}  // namespace evomem::tasks
