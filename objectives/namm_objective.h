#pragma once
// The NAMM objective: a genome is a NAMM scorer's weights; its fitness is the weighted mean
// over tasks of the backbone's score on the generation's samples with the NAMM pruning the
// KV cache (optionally divided by the full-cache score of the same samples), minus an
// optional penalty on the retained cache fraction.
//
// Samples: every task has a training pool (a data file, or generated synthetic samples) and a
// held-out pool the search never sees. Each generation draws `samples_per_task` samples per
// active task from a generator seeded by (run seed, generation), so every member of a
// generation sees the same samples and any worker can rebuild an item's samples from its
// (generation, batch) alone. Tasks join at their `from_generation` (incremental stages).
//
// Work items (WorkItem::kind): kMember (`genomes_per_item` consecutive population members on
// one batch, their genomes one after the other in WorkItem::genome, WorkItem::candidate the
// first; the worker runs them as one row each of one batch per sample, the prompt prefilled
// once up to the first update point), kReference (the
// full cache on one batch; computed once per sample and cached), kCheck / kCheckReference
// (the same on held-out samples), kCalibration (the NAMM's feature normalisation statistics,
// computed once on a fixed sample by every worker and reported for export).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memory/namm_file.h"
#include "search/evolve_config.h"
#include "search/objective.h"

namespace evomem::objectives {

struct NammTaskSettings {
  std::string name;
  double weight = 1.0;
  std::string file;            // empty: synthetic, generated
  std::int64_t length = 2048;  // synthetic prompt tokens
  std::int64_t pool = 64;      // training pool size (synthetic)
  std::int64_t from_generation = 0;
};

struct NammObjectiveSettings {
  std::string backbone;
  std::string policy = "namm";
  std::string tasks_file;
  std::vector<NammTaskSettings> tasks;  // sorted by name
  std::int64_t samples_per_task = 4;
  std::int64_t batch_size = 2;
  std::int64_t genomes_per_item = 4;
  bool normalize = true;
  double retention_penalty = 0.0;
  std::int64_t heldout_interval = 5;
  std::int64_t heldout_samples = 8;
  std::int64_t chunk_size = 256;
  std::int64_t context_window = 32768;
  std::int64_t calibration_samples = 64;
  std::uint64_t seed = 1;
};

// Declares the keys of [objective.namm] and [objective.namm.tasks.<name>].
void add_namm_keys(core::ConfigSchema& schema);
// The settings of a configuration validated against a schema with those keys.
NammObjectiveSettings namm_objective_settings(const search::EvolveConfig& config);

enum class ObjectiveRole { kCoordinator, kWorker };

class NammObjective : public search::Objective {
 public:
  enum ItemKind : std::int64_t { kMember = 0, kReference = 1, kCheck = 2, kCheckReference = 3, kCalibration = 4 };

  // A worker loads the backbone on `device`; the coordinator reads only the tokenizer and
  // the samples.
  NammObjective(NammObjectiveSettings settings, ObjectiveRole role, const std::string& device = "cpu");
  ~NammObjective() override;

  std::string kind() const override { return "namm"; }
  Eigen::Index dimension() const override;
  evo::Direction direction() const override { return evo::Direction::kMaximize; }
  Eigen::VectorXd initial_mean() const override;
  std::vector<std::string> task_names() const override;

  std::vector<search::WorkItem> plan_setup() override;
  void accept_setup(const std::vector<search::WorkItem>& items,
                    const std::vector<search::ItemResult>& results) override;
  std::vector<search::WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override;
  search::GenerationOutcome aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results) override;
  std::vector<search::WorkItem> plan_check(std::int64_t generation, const Eigen::VectorXd& genome) override;
  search::CandidateOutcome aggregate_check(const std::vector<search::WorkItem>& items,
                                           const std::vector<search::ItemResult>& results) override;
  search::ObjectiveState state() const override;
  void restore(const search::ObjectiveState& state) override;

  std::vector<double> evaluate(const search::WorkItem& item) override;

  // The NAMM weights file content for a genome (configuration and the calibrated
  // normalisation statistics included).
  memory::NammWeights weights(const Eigen::VectorXd& genome) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The NAMM configuration and normalisation statistics of a run, without loading anything:
// for `evomem export`.
memory::NammWeights namm_weights_from_state(const NammObjectiveSettings& settings, const search::ObjectiveState& state,
                                            const Eigen::VectorXd& genome);

}  // namespace evomem::objectives
