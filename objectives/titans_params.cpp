#include "objectives/titans_params.h"

#include "core/error.h"
#include "core/safetensors.h"
#include "memory/titans/gates.h"

namespace evomem::objectives {
namespace {

constexpr const char* kFormat = "evomem-titans";

memory::GenomeLayout layout_of(const TitansObjectiveSettings& settings) {
  return memory::TitansGates::layout(titans_memory_config(settings));
}

}  // namespace

void save_titans_params(const std::filesystem::path& path, const std::string& config_text,
                        const Eigen::VectorXd& genome) {
  const auto settings = titans_objective_settings(config_text, path.string() + " (run configuration)");
  const auto layout = layout_of(settings);
  if (layout.size() != genome.size()) {
    throw InputError("a Titans genome of " + std::to_string(genome.size()) + " values does not fit the run's gates (" +
                     std::to_string(layout.size()) + " values)");
  }
  memory::Genome values = memory::Genome::zeros(layout);
  for (Eigen::Index i = 0; i < genome.size(); ++i)
    values.values[static_cast<std::size_t>(i)] = static_cast<float>(genome[i]);
  core::SafetensorsWriter writer;
  for (const auto& entry : layout.entries()) writer.add_f32(entry.name, entry.shape, values.tensor(entry.name));
  writer.set_metadata("format", kFormat);
  writer.set_metadata("config", config_text);
  writer.write(path);
}

TitansParams load_titans_params(const std::filesystem::path& path) {
  const core::SafetensorsFile file(path);
  const auto& metadata = file.metadata();
  const auto format = metadata.find("format");
  if (format == metadata.end() || format->second != kFormat) {
    throw FormatError(path.string() + ": __metadata__ format is not '" + kFormat +
                      "' (not a Titans parameters file; write one with `evomem export --run titans.h5`)");
  }
  const auto config = metadata.find("config");
  if (config == metadata.end()) throw FormatError(path.string() + ": __metadata__ has no 'config'");
  TitansParams params;
  params.config_text = config->second;
  params.settings = titans_objective_settings(params.config_text, path.string() + " __metadata__ config");
  const auto layout = layout_of(params.settings);
  for (const auto& entry : layout.entries()) {
    const auto values = file.tensor(entry.name).to_float32();
    if (static_cast<std::int64_t>(values.size()) != entry.size) {
      throw FormatError(path.string() + ": tensor '" + entry.name + "' has " + std::to_string(values.size()) +
                        " values, the gates need " + std::to_string(entry.size));
    }
    params.genome.insert(params.genome.end(), values.begin(), values.end());
  }
  return params;
}

}  // namespace evomem::objectives
