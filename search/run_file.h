#pragma once
// Run files (run.h5): everything an evolution run has learnt and everything needed to
// continue it bit-identically. Layout (readable with h5py; docs/formats.md):
//
//   /                     attributes format = "evomem-run", format_version, objective,
//                         generations (completed), next_item_id, finished, stop_reasons,
//                         complete = 1 (written last; a file without it is rejected)
//   /config               attribute text: the effective configuration (TOML)
//   /history/task_names   task names of the per-task score columns
//   /history/<series>     one value per generation: generation, population, best, mean,
//                         median, sigma, mean_retained, evaluations, failed_items, errors,
//                         timeouts, wall_seconds
//   /history/member_*     one row per population member, generation after generation
//                         (population[g] rows each): member_fitness, member_retained,
//                         member_task_scores [rows, tasks]; NaN marks a failed evaluation
//   /checks/*             held-out checks of the mean genome: generation, fitness, retained,
//                         task_scores [checks, tasks]
//   /strategy             the strategy's state (evo/state_file.h)
//   /objective            the objective's state (same layout)
//   /best/genome          best genome so far (attribute fitness), /mean/genome the mean
//   /provenance           string attributes: evomem_version, command_line, created, backbone,
//                         backbone_checksum (core/provenance.h), resumed (one line per resume)
//
// Saving writes a temporary file, fsyncs it and renames it over the old one, which is kept as
// "<path>.prev" until the next save: a crash at any moment leaves one complete checkpoint.

#include <Eigen/Core>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/provenance.h"
#include "evo/strategy.h"
#include "search/objective.h"

namespace evomem::search {

struct GenerationRecord {
  std::int64_t generation = 0;
  std::vector<double> fitness;      // per member
  std::vector<double> retained;     // per member
  std::vector<double> task_scores;  // per member, per task (row-major)
  double best = 0.0;                // best fitness of the generation
  double mean = 0.0;                // over members that did not fail
  double median = 0.0;
  double sigma = 0.0;  // after the update
  double mean_retained = 0.0;
  std::int64_t evaluations = 0;   // cumulative, strategy's count
  std::int64_t failed_items = 0;  // in this generation
  std::int64_t errors = 0;
  std::int64_t timeouts = 0;
  double wall_seconds = 0.0;
};

struct CheckRecord {
  std::int64_t generation = 0;
  double fitness = 0.0;
  double retained = 0.0;
  std::vector<double> task_scores;
};

struct RunCheckpoint {
  std::string config_text;
  std::string objective_kind;
  std::vector<std::string> task_names;
  std::vector<GenerationRecord> history;
  std::vector<CheckRecord> checks;
  evo::StrategyState strategy;
  ObjectiveState objective;
  Eigen::VectorXd best_genome;
  double best_fitness = 0.0;
  Eigen::VectorXd mean_genome;
  std::int64_t next_item_id = 0;
  bool finished = false;
  std::vector<std::string> stop_reasons;
  core::Provenance provenance;  // absent in files of older evomem versions
};

void save_run(const std::filesystem::path& path, const RunCheckpoint& checkpoint);
// FormatError naming the file and object when it is not a complete evomem run file.
RunCheckpoint load_run(const std::filesystem::path& path);
// load_run(path); when that file is damaged (e.g. truncated) and "<path>.prev" is a complete
// run file, warns and returns that one instead. `used` receives the file actually read.
RunCheckpoint load_run_or_previous(const std::filesystem::path& path, std::filesystem::path* used = nullptr);

}  // namespace evomem::search
