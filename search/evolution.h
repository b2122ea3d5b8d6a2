#pragma once
// The evolution loop of `evomem evolve`: ask the strategy for a population, have the
// executor evaluate the objective's work items, tell the fitness back, record the
// generation and write the run file. Everything random lives in the strategy (seeded, saved
// in the run file) and in the objective's per-generation sample draws (seeded by generation),
// so a run gives the same history with any executor and any number of workers, and a
// resumed run continues exactly as the uninterrupted one would have.

#include <memory>
#include <optional>

#include "search/evolve_config.h"
#include "search/executor.h"
#include "search/objective.h"
#include "search/run_file.h"
#include "search/run_journal.h"

namespace evomem::search {

// The strategy of a run: dimension and initial mean from the objective, the rest from the
// configuration.
std::unique_ptr<evo::Strategy> make_run_strategy(const EvolveConfig& config, const Objective& objective);

class Evolution {
 public:
  // A new run, or (with `resume_from`) the continuation of a saved one; the checkpoint's
  // strategy and objective states are restored.
  Evolution(const EvolveConfig& config, Objective& objective, Executor& executor,
            std::optional<RunCheckpoint> resume_from = std::nullopt);

  // Runs until run.generations, the time limit or the strategy's own stop. A new run writes
  // its run file before any work (so an unwritable output fails at once), then after every
  // run.checkpoint_interval generations; results of finished items are journaled in between
  // (search/run_journal.h) and the journal is deleted when the run finishes. Throws
  // Interrupted (from the executor) on SIGINT/SIGTERM: the last complete checkpoint and the
  // journal stay on disk.
  const RunCheckpoint& run();

  // Recorded in the run file (core/provenance.h); call before run().
  void set_provenance(core::Provenance provenance) { run_.provenance = std::move(provenance); }
  const RunCheckpoint& checkpoint() const { return run_; }
  const evo::Strategy& strategy() const { return *strategy_; }

 private:
  // Numbers the items and evaluates them, taking the results the journal already holds.
  std::vector<ItemResult> execute(std::vector<WorkItem>& items);
  void save_checkpoint();
  void record_generation(const GenerationOutcome& outcome, double seconds, const ExecutorStats& before);
  void log_generation(const GenerationRecord& record, double elapsed_seconds) const;

  EvolveConfig config_;
  Objective& objective_;
  Executor& executor_;
  std::unique_ptr<evo::Strategy> strategy_;
  RunCheckpoint run_;
  std::size_t first_generation_ = 0;  // generations done before this process started
  RunJournal journal_;
  bool resumed_ = false;
  std::int64_t journaled_failures_ = 0;  // failed items taken from the journal this generation
};

// " retained 0.123" for a printed line, or nothing when the objective keeps no cache (NaN).
std::string retained_text(double retained);

}  // namespace evomem::search
