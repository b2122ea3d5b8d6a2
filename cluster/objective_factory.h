#pragma once
// Builds the objective a run configuration names (objective.kind): "namm" (cluster/
// namm_objective.h) or "function" (a built-in test function; for smoke runs and for testing
// the evolution loop, executors and run files without a model).

#include <memory>
#include <string>

#include "cluster/evolve_config.h"
#include "cluster/namm_objective.h"
#include "cluster/objective.h"

namespace evomem::cluster {

// `device` matters only to workers of objectives that hold a model. With faults.* set, a
// worker's objective throws or stalls at random (FaultInjectingObjective, seeded by `rank`).
std::unique_ptr<Objective> make_objective(const EvolveConfig& config, ObjectiveRole role, const std::string& device = "cpu",
                                          int rank = 0);

}  // namespace evomem::cluster
