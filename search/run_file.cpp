#include "search/run_file.h"

#include <functional>

#include "core/error.h"
#include "core/files.h"
#include "core/hdf5.h"
#include "core/logging.h"
#include "core/text.h"
#include "evo/state_file.h"

namespace evomem::search {
namespace {

constexpr const char* kFormat = "evomem-run";
constexpr std::int64_t kFormatVersion = 1;

std::vector<double> to_vector(const Eigen::VectorXd& values) { return {values.data(), values.data() + values.size()}; }

Eigen::VectorXd to_eigen(const std::vector<double>& values) {
  return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

// One column per generation-level series; `get` reads the field of a record.
template <typename T, typename Record>
void write_series(core::h5::Group& group, const std::string& name, const std::vector<Record>& records,
                  const std::function<T(const Record&)>& get) {
  std::vector<T> values;
  for (const auto& record : records) values.push_back(get(record));
  group.write(name, values);
}

template <typename T>
std::vector<T> read_series(const core::h5::Group& group, const std::string& name, std::size_t expected) {
  auto values = group.read<T>(name);
  if (values.size() != expected) {
    throw FormatError(group.describe() + "/" + name + ": " + std::to_string(values.size()) + " values, expected " +
                      std::to_string(expected));
  }
  return values;
}

void write_history(core::h5::Group history, const RunCheckpoint& run) {
  const auto& records = run.history;
  const std::size_t tasks = run.task_names.size();
  history.write_strings("task_names", run.task_names);
  using R = GenerationRecord;
  write_series<std::int64_t, R>(history, "generation", records, [](const R& r) { return r.generation; });
  write_series<std::int64_t, R>(history, "population", records,
                                [](const R& r) { return static_cast<std::int64_t>(r.fitness.size()); });
  write_series<double, R>(history, "best", records, [](const R& r) { return r.best; });
  write_series<double, R>(history, "mean", records, [](const R& r) { return r.mean; });
  write_series<double, R>(history, "median", records, [](const R& r) { return r.median; });
  write_series<double, R>(history, "sigma", records, [](const R& r) { return r.sigma; });
  write_series<double, R>(history, "mean_retained", records, [](const R& r) { return r.mean_retained; });
  write_series<std::int64_t, R>(history, "evaluations", records, [](const R& r) { return r.evaluations; });
  write_series<std::int64_t, R>(history, "failed_items", records, [](const R& r) { return r.failed_items; });
  write_series<std::int64_t, R>(history, "errors", records, [](const R& r) { return r.errors; });
  write_series<std::int64_t, R>(history, "timeouts", records, [](const R& r) { return r.timeouts; });
  write_series<double, R>(history, "wall_seconds", records, [](const R& r) { return r.wall_seconds; });
  std::vector<double> fitness, retained, scores;
  for (const auto& record : records) {
    fitness.insert(fitness.end(), record.fitness.begin(), record.fitness.end());
    retained.insert(retained.end(), record.retained.begin(), record.retained.end());
    scores.insert(scores.end(), record.task_scores.begin(), record.task_scores.end());
  }
  history.write("member_fitness", fitness);
  history.write("member_retained", retained);
  history.write("member_task_scores", scores, {fitness.size(), tasks});
}

void write_checks(core::h5::Group checks, const RunCheckpoint& run) {
  using C = CheckRecord;
  write_series<std::int64_t, C>(checks, "generation", run.checks, [](const C& c) { return c.generation; });
  write_series<double, C>(checks, "fitness", run.checks, [](const C& c) { return c.fitness; });
  write_series<double, C>(checks, "retained", run.checks, [](const C& c) { return c.retained; });
  std::vector<double> scores;
  for (const auto& check : run.checks) scores.insert(scores.end(), check.task_scores.begin(), check.task_scores.end());
  checks.write("task_scores", scores, {run.checks.size(), run.task_names.size()});
}

void read_history(const core::h5::Group& history, RunCheckpoint& run) {
  run.task_names = history.dataset("task_names").read_strings();
  const auto generations = history.read<std::int64_t>("generation");
  const std::size_t count = generations.size();
  const auto population = read_series<std::int64_t>(history, "population", count);
  const auto best = read_series<double>(history, "best", count);
  const auto mean = read_series<double>(history, "mean", count);
  const auto median = read_series<double>(history, "median", count);
  const auto sigma = read_series<double>(history, "sigma", count);
  const auto mean_retained = read_series<double>(history, "mean_retained", count);
  const auto evaluations = read_series<std::int64_t>(history, "evaluations", count);
  const auto failed_items = read_series<std::int64_t>(history, "failed_items", count);
  const auto errors = read_series<std::int64_t>(history, "errors", count);
  const auto timeouts = read_series<std::int64_t>(history, "timeouts", count);
  const auto wall = read_series<double>(history, "wall_seconds", count);
  std::size_t rows = 0;
  for (const auto size : population) {
    if (size < 0) throw FormatError(history.describe() + "/population: negative population size");
    rows += static_cast<std::size_t>(size);
  }
  const auto fitness = read_series<double>(history, "member_fitness", rows);
  const auto retained = read_series<double>(history, "member_retained", rows);
  const std::size_t tasks = run.task_names.size();
  const auto scores = read_series<double>(history, "member_task_scores", rows * tasks);
  std::size_t row = 0;
  for (std::size_t g = 0; g < count; ++g) {
    GenerationRecord record;
    record.generation = generations[g];
    const auto size = static_cast<std::size_t>(population[g]);
    const auto begin = static_cast<std::ptrdiff_t>(row);
    const auto end = static_cast<std::ptrdiff_t>(row + size);
    record.fitness.assign(fitness.begin() + begin, fitness.begin() + end);
    record.retained.assign(retained.begin() + begin, retained.begin() + end);
    record.task_scores.assign(scores.begin() + begin * static_cast<std::ptrdiff_t>(tasks),
                              scores.begin() + end * static_cast<std::ptrdiff_t>(tasks));
    record.best = best[g];
    record.mean = mean[g];
    record.median = median[g];
    record.sigma = sigma[g];
    record.mean_retained = mean_retained[g];
    record.evaluations = evaluations[g];
    record.failed_items = failed_items[g];
    record.errors = errors[g];
    record.timeouts = timeouts[g];
    record.wall_seconds = wall[g];
    run.history.push_back(std::move(record));
    row += size;
  }
}

void read_checks(const core::h5::Group& checks, RunCheckpoint& run) {
  const auto generations = checks.read<std::int64_t>("generation");
  const std::size_t count = generations.size();
  const auto fitness = read_series<double>(checks, "fitness", count);
  const auto retained = read_series<double>(checks, "retained", count);
  const std::size_t tasks = run.task_names.size();
  const auto scores = read_series<double>(checks, "task_scores", count * tasks);
  for (std::size_t c = 0; c < count; ++c) {
    const auto begin = scores.begin() + static_cast<std::ptrdiff_t>(c * tasks);
    run.checks.push_back({generations[c], fitness[c], retained[c],
                          std::vector<double>(begin, begin + static_cast<std::ptrdiff_t>(tasks))});
  }
}

}  // namespace

void save_run(const std::filesystem::path& path, const RunCheckpoint& run) {
  core::AtomicWriteOptions options;
  options.keep_previous = true;
  core::h5::write_file_atomically(
      path,
      [&](core::h5::File& file) {
        file.set_attribute("format", kFormat);
        file.set_attribute("format_version", kFormatVersion);
        file.set_attribute("objective", run.objective_kind);
        file.set_attribute("generations", static_cast<std::int64_t>(run.history.size()));
        file.set_attribute("next_item_id", run.next_item_id);
        file.set_attribute("finished", static_cast<std::int64_t>(run.finished ? 1 : 0));
        file.set_attribute("stop_reasons", core::join(run.stop_reasons, ","));
        file.create_group("config").set_attribute("text", run.config_text);
        write_history(file.create_group("history"), run);
        write_checks(file.create_group("checks"), run);
        auto strategy = file.create_group("strategy");
        evo::save_state(run.strategy, strategy);
        auto objective = file.create_group("objective");
        evo::save_state(run.objective, objective);
        auto best = file.create_group("best");
        best.write("genome", to_vector(run.best_genome)).set_attribute("fitness", run.best_fitness);
        file.create_group("mean").write("genome", to_vector(run.mean_genome));
        auto provenance = file.create_group("provenance");
        for (const auto& [name, text] : run.provenance) provenance.set_attribute(name, text);
        file.set_attribute("complete", static_cast<std::int64_t>(1));
      },
      options);
}

RunCheckpoint load_run(const std::filesystem::path& path) {
  const auto file = core::h5::File::open(path);
  const std::string where = path.string();
  if (!file.has_attribute("format") || file.string_attribute("format") != kFormat) {
    throw FormatError(where + ": not an evomem run file (no format = \"" + std::string(kFormat) + "\" attribute)");
  }
  if (file.int_attribute("format_version") != kFormatVersion) {
    throw FormatError(where + ": run file format_version " + std::to_string(file.int_attribute("format_version")) +
                      "; this evomem reads version " + std::to_string(kFormatVersion));
  }
  if (!file.has_attribute("complete"))
    throw FormatError(where + ": incomplete run file (written by an interrupted save)");
  RunCheckpoint run;
  run.objective_kind = file.string_attribute("objective");
  run.next_item_id = file.int_attribute("next_item_id");
  run.finished = file.int_attribute("finished") != 0;
  run.stop_reasons = core::split(file.string_attribute("stop_reasons"));
  run.config_text = file.group("config").string_attribute("text");
  read_history(file.group("history"), run);
  read_checks(file.group("checks"), run);
  if (static_cast<std::int64_t>(run.history.size()) != file.int_attribute("generations")) {
    throw FormatError(where + ":/history holds " + std::to_string(run.history.size()) + " generations, the file says " +
                      std::to_string(file.int_attribute("generations")));
  }
  run.strategy = evo::load_state(file.group("strategy"));
  run.objective = evo::load_state(file.group("objective"));
  const auto best = file.group("best").dataset("genome");
  run.best_genome = to_eigen(best.read<double>());
  run.best_fitness = best.double_attribute("fitness");
  run.mean_genome = to_eigen(file.group("mean").read<double>("genome"));
  if (file.contains("provenance")) run.provenance = file.group("provenance").string_attributes();
  return run;
}

RunCheckpoint load_run_or_previous(const std::filesystem::path& path, std::filesystem::path* used) {
  const std::filesystem::path previous = path.string() + ".prev";
  try {
    if (used != nullptr) *used = path;
    return load_run(path);
  } catch (const FormatError& error) {
    if (!std::filesystem::exists(previous)) throw;
    core::log::warn("{}; using the previous checkpoint {}", error.what(), previous.string());
    if (used != nullptr) *used = previous;
    return load_run(previous);
  }
}

}  // namespace evomem::search
