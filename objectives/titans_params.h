#pragma once
// A Titans search result as a file: titans.safetensors holds the gate genome as named
// tensors (memory/titans/gates.h layout) and, in __metadata__, format = "evomem-titans" and
// the run's whole configuration (TOML), which fixes the memory, features and tasks the gates
// belong to. `evomem export` writes it for Titans runs; `evomem titans eval --params` reads it.

#include <filesystem>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "objectives/titans_objective.h"

namespace evomem::objectives {

struct TitansParams {
  std::string config_text;  // the run configuration
  TitansObjectiveSettings settings;
  std::vector<float> genome;  // in TitansGates::layout order
};

// `genome` must have the layout the settings give (InputError otherwise).
void save_titans_params(const std::filesystem::path& path, const std::string& config_text,
                        const Eigen::VectorXd& genome);
// FormatError naming the file and what is missing or wrong.
TitansParams load_titans_params(const std::filesystem::path& path);

}  // namespace evomem::objectives
