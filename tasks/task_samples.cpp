#include "tasks/task_samples.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"
#include "tasks/infinitebench_dataset.h"
#include "tasks/longbench_dataset.h"

namespace evomem::tasks {

std::vector<EvalSample> load_task_samples(const TaskSpec& task, const std::filesystem::path& path, std::size_t count,
                                          std::uint64_t seed) {
  std::vector<EvalSample> samples;
  std::size_t line = 0;
  if (task.format == DatasetFormat::kLongBench) {
    for_each_longbench_sample(path, [&](LongBenchSample&& sample) {
      EvalSample item;
      item.id = sample.id;
      item.where = path.string() + " sample " + std::to_string(++line);
      item.fields = longbench_fields(sample);
      item.references = metrics::string_references(sample.answers, sample.all_classes);
      item.context_spans = std::move(sample.context_spans);
      samples.push_back(std::move(item));
    });
  } else {
    for_each_infinitebench_sample(path, [&](InfiniteBenchSample&& sample) {
      EvalSample item;
      item.id = sample.id;
      item.where = path.string() + " sample " + std::to_string(++line);
      item.fields = infinitebench_fields(sample);
      item.references.answers = std::move(sample.answers);
      samples.push_back(std::move(item));
    });
  }
  if (samples.empty()) throw InputError(path.string() + ": no samples in the file");
  if (count == 0 || count >= samples.size()) return samples;
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 generator(seed);
  // Partial Fisher-Yates with an explicit uniform draw (std::shuffle's use of the generator
  // is implementation-defined; this keeps subsets identical across standard libraries).
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t span = order.size() - i;
    const std::size_t pick = i + static_cast<std::size_t>(generator() % span);
    std::swap(order[i], order[pick]);
  }
  order.resize(count);
  std::sort(order.begin(), order.end());
  std::vector<EvalSample> chosen;
  chosen.reserve(count);
  for (const std::size_t index : order) chosen.push_back(std::move(samples[index]));
  return chosen;
}

std::filesystem::path task_data_path(const TaskSpec& task, const std::filesystem::path& folder) {
  const auto direct = folder / task.data_file;
  if (std::filesystem::exists(direct)) return direct;
  const auto nested = folder / "data" / task.data_file;
  if (std::filesystem::exists(nested)) return nested;
  throw InputError("no data file for task '" + task.name + "': neither " + direct.string() + " nor " + nested.string() +
                   " exists (see docs/tasks.md for where to get the benchmark files)");
}

}  // namespace evomem::tasks
