#pragma once
// The Titans objective: a genome is the gate parameters of a Titans memory (constant α, η, θ
// or data-dependent gates; memory/titans/gates.h) and its fitness is the memory's mean
// retrieval accuracy over the configured stream tasks (eval/titans_streams.h). Every
// generation reads fresh streams (seeded by run seed and generation, the same for every
// member); periodic checks read fixed held-out streams at a longer length. The search starts
// from objective.titans.start_* (the published fixed values by default).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eval/titans_streams.h"
#include "memory/titans/config.h"
#include "memory/titans/gates.h"
#include "objectives/namm_objective.h"
#include "search/evolve_config.h"
#include "search/objective.h"

namespace evomem::objectives {

struct TitansObjectiveSettings {
  std::string backbone;         // its token embeddings are the features
  memory::TitansConfig memory;  // everything but the pair layout (eval/titans_evaluation.h)
  std::vector<eval::TitansStreamTask> tasks;
  eval::TitansStreamOptions streams;
  std::int64_t length = 4096;         // steps of the streams a generation reads
  std::vector<std::int64_t> lengths;  // if given: generation g reads lengths[g mod size] instead
  std::int64_t samples = 8;           // streams per task per generation
  std::int64_t batch = 8;             // streams per work item
  std::int64_t heldout_length = 16384;
  std::int64_t heldout_samples = 16;
  std::int64_t heldout_interval = 5;
  // Where the search starts: constant gates at these values, or data-dependent gates with zero
  // weights and these values at every input (the published ones by default).
  double start_alpha = memory::kTitansPublishedAlpha;
  double start_eta = memory::kTitansPublishedEta;
  double start_theta = memory::kTitansPublishedTheta;
  std::uint64_t seed = 0;  // run.seed

  std::int64_t generation_length(std::int64_t generation) const {
    return lengths.empty() ? length : lengths[static_cast<std::size_t>(generation) % lengths.size()];
  }
};

// Declares the keys of [objective.titans].
void add_titans_keys(core::ConfigSchema& schema);
// objective.titans.* of a run configuration; ConfigError naming the key on bad values.
TitansObjectiveSettings titans_objective_settings(const search::EvolveConfig& config);
// The same from a run configuration's text (a run file's or a parameters file's; `where`
// names it in messages); InputError unless its objective.kind is titans. The text
// `[objective] kind = "titans"` gives the defaults.
TitansObjectiveSettings titans_objective_settings(const std::string& config_text, const std::string& where);

// The gates a search of these settings starts from, for a memory of `config`.
memory::TitansGates titans_start_gates(const TitansObjectiveSettings& settings, const memory::TitansConfig& config);

// The memory configuration the settings give on their backbone's features (its hidden size,
// read from config.json alone): what the gate genome's layout depends on.
memory::TitansConfig titans_memory_config(const TitansObjectiveSettings& settings);

class TitansObjective : public search::Objective {
 public:
  enum ItemKind : std::int64_t { kMember = 0, kCheck = 1 };

  // A worker loads the backbone's embeddings; the coordinator loads nothing.
  TitansObjective(TitansObjectiveSettings settings, ObjectiveRole role);
  ~TitansObjective() override;

  std::string kind() const override { return "titans"; }
  Eigen::Index dimension() const override;
  evo::Direction direction() const override { return evo::Direction::kMaximize; }
  Eigen::VectorXd initial_mean() const override;
  std::vector<std::string> task_names() const override;

  std::vector<search::WorkItem> plan(std::int64_t generation, const Eigen::MatrixXd& population) override;
  search::GenerationOutcome aggregate(std::int64_t generation, const std::vector<search::WorkItem>& items,
                                      const std::vector<search::ItemResult>& results) override;
  std::vector<search::WorkItem> plan_check(std::int64_t generation, const Eigen::VectorXd& genome) override;
  search::CandidateOutcome aggregate_check(const std::vector<search::WorkItem>& items,
                                           const std::vector<search::ItemResult>& results) override;

  std::vector<double> evaluate(const search::WorkItem& item) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace evomem::objectives
