#pragma once
// Samples of a task, read from its data file and turned into what the runner needs: prompt
// fields and references. Subsets are drawn with an explicit seed so runs are repeatable.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "metrics/metric.h"
#include "tasks/prompt_builder.h"
#include "tasks/task_registry.h"

namespace evomem::tasks {

// One sample ready to prompt and score.
struct EvalSample {
  std::string id;
  std::string where;  // "FILE:LINE" for messages
  PromptFields fields;
  metrics::References references;
  std::vector<ContextSpan> context_spans;  // byte offsets into fields["context"]
};

// Reads the task's samples from `path` (LongBench or InfiniteBench layout, as the task says).
// `count` = 0 keeps every sample; otherwise `count` samples are chosen uniformly without
// replacement with a generator seeded by `seed`, kept in file order.
std::vector<EvalSample> load_task_samples(const TaskSpec& task, const std::filesystem::path& path,
                                          std::size_t count = 0, std::uint64_t seed = 0);

// The data file of a task inside a benchmark folder: <folder>/<data_file>, or
// <folder>/data/<data_file> (the layout of LongBench's data.zip) when only that exists.
std::filesystem::path task_data_path(const TaskSpec& task, const std::filesystem::path& folder);

}  // namespace evomem::tasks
