#pragma once
// Builds the objective a run configuration names (objective.kind): "namm"
// (objectives/namm_objective.h), "titans" (objectives/titans_objective.h) or "function" (a
// built-in test function; for smoke runs and for testing the evolution loop, executors and
// run files without a model).

#include <memory>
#include <string>

#include "objectives/namm_objective.h"
#include "search/evolve_config.h"
#include "search/objective.h"

namespace evomem::objectives {

// Every key `evomem evolve` accepts, with defaults: search/'s sections (run, strategy,
// executor, worker, objective.kind) and every objective's.
core::ConfigSchema run_schema();
// A run configuration's text (a run file's /config, rank 0's broadcast), validated against
// run_schema() and read; `source` names it in messages.
search::EvolveConfig parse_run_config(const std::string& text, const std::string& source);

// `device` matters only to workers of objectives that hold a model. With faults.* set, a
// worker's objective throws or stalls at random (FaultInjectingObjective, seeded by `rank`).
std::unique_ptr<search::Objective> make_objective(const search::EvolveConfig& config, ObjectiveRole role,
                                                  const std::string& device = "cpu", int rank = 0);

}  // namespace evomem::objectives
