#pragma once
// What `evomem evolve` and `evomem titans search` run: one process, or rank 0 of an MPI job
// coordinating ranks 1..n-1.

#include <CLI/CLI.hpp>

#include <string>

#include "apps/command_registry.h"

namespace evomem::apps {

struct EvolveOptions {
  std::string resume;
  bool overwrite = false;
  std::string required_kind;  // `titans search`: the run must be of this objective kind
};

// Adds --resume and --overwrite to `command`.
void add_evolve_options(CLI::App& command, EvolveOptions& options);

// Starts or resumes the run of --config/--resume (or serves as a worker under mpirun); the
// process exit code.
int run_evolve(const GlobalOptions& globals, const EvolveOptions& options);

}  // namespace evomem::apps
