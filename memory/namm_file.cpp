#include "memory/namm_file.h"

#include <cstring>

#include "core/error.h"
#include "core/hdf5.h"
#include "core/safetensors.h"
#include "core/text.h"
#include "memory/namm_policy.h"
#include "memory/scorer.h"

namespace evomem::memory {
namespace {

constexpr const char* kFormat = "evomem-namm";
constexpr const char* kVersion = "1";
constexpr const char* kProvenancePrefix = "provenance.";

bool is_hdf5(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".h5" || extension == ".hdf5";
}

// The layout a configuration implies (files are checked against it).
GenomeLayout layout_for(const NammConfig& config) { return make_scorer(config.scorer, config.feature_dim())->layout(); }

NammWeights assemble(const std::filesystem::path& path, const core::Json& config_json,
                     const core::Json& normalization_json,
                     const std::function<std::vector<float>(const GenomeEntry&)>& read_tensor,
                     const std::optional<NammConfig>& expected) {
  const std::string where = path.string();
  NammWeights weights;
  weights.config = NammConfig::from_json(config_json, where);
  if (expected) {
    const std::string mismatch = genome_config_mismatch(weights.config, *expected);
    if (!mismatch.empty()) throw ConfigError(where + ": NAMM file was written for another configuration: " + mismatch);
  }
  weights.normalization = NormalizationStats::from_json(normalization_json, weights.config.spectrogram.bins(), where);
  weights.genome = Genome::zeros(layout_for(weights.config));
  for (const auto& entry : weights.genome.layout.entries()) {
    const std::vector<float> values = read_tensor(entry);
    std::copy(values.begin(), values.end(), weights.genome.values.begin() + entry.offset);
  }
  return weights;
}

void save_safetensors(const std::filesystem::path& path, const NammWeights& weights) {
  core::SafetensorsWriter writer;
  for (const auto& entry : weights.genome.layout.entries())
    writer.add_f32(entry.name, entry.shape, weights.genome.tensor(entry.name));
  writer.set_metadata("format", kFormat);
  writer.set_metadata("version", kVersion);
  writer.set_metadata("config", weights.config.to_json().dump());
  writer.set_metadata("normalization", weights.normalization.to_json().dump());
  writer.set_metadata("genome_size", std::to_string(weights.genome.layout.size()));
  for (const auto& [name, text] : weights.provenance) writer.set_metadata(kProvenancePrefix + name, text);
  writer.write(path);
}

NammWeights load_safetensors(const std::filesystem::path& path, const std::optional<NammConfig>& expected) {
  const core::SafetensorsFile file(path);
  const auto& metadata = file.metadata();
  auto field = [&](const char* key) -> const std::string& {
    const auto it = metadata.find(key);
    if (it == metadata.end())
      throw FormatError(path.string() + ": __metadata__ has no '" + key + "' (not a NAMM weights file)");
    return it->second;
  };
  if (field("format") != kFormat)
    throw FormatError(path.string() + ": __metadata__ format is '" + field("format") + "', expected '" + kFormat + "'");
  const core::Json config = core::parse_json(field("config"), path.string() + " __metadata__ config");
  const core::Json normalization = core::parse_json(field("normalization"),
                                                    path.string() + " __metadata__ normalization");
  auto weights = assemble(
      path, config, normalization,
      [&](const GenomeEntry& entry) {
        const core::TensorView& view = file.tensor(entry.name);
        if (view.dtype != core::DType::kF32 || view.shape != entry.shape) {
          throw FormatError(path.string() + ": tensor '" + entry.name + "' is " + core::dtype_name(view.dtype) + " " +
                            core::shape_text(view.shape) + ", expected F32 " + core::shape_text(entry.shape));
        }
        std::vector<float> values(static_cast<std::size_t>(entry.size));
        std::memcpy(values.data(), view.data, values.size() * sizeof(float));
        return values;
      },
      expected);
  for (const auto& [key, text] : metadata) {
    if (key.rfind(kProvenancePrefix, 0) == 0) weights.provenance[key.substr(std::strlen(kProvenancePrefix))] = text;
  }
  return weights;
}

void save_hdf5(const std::filesystem::path& path, const NammWeights& weights) {
  core::h5::write_file_atomically(path, [&](core::h5::File& file) {
    file.set_attribute("format", kFormat);
    file.set_attribute("version", kVersion);
    file.set_attribute("config", weights.config.to_json().dump());
    file.set_attribute("normalization", weights.normalization.to_json().dump());
    auto group = file.create_group("genome");
    for (const auto& entry : weights.genome.layout.entries()) {
      core::h5::Shape shape(entry.shape.begin(), entry.shape.end());
      group.write<float>(entry.name, weights.genome.tensor(entry.name), shape);
    }
    group.write<float>("__flat__", weights.genome.values);
    auto provenance = file.create_group("provenance");
    for (const auto& [name, text] : weights.provenance) provenance.set_attribute(name, text);
  });
}

NammWeights load_hdf5(const std::filesystem::path& path, const std::optional<NammConfig>& expected) {
  const auto file = core::h5::File::open(path);
  if (!file.has_attribute("format") || file.string_attribute("format") != kFormat) {
    throw FormatError(path.string() + ": no 'format' = '" + kFormat + "' attribute (not a NAMM weights file)");
  }
  const core::Json config = core::parse_json(file.string_attribute("config"), path.string() + " attribute config");
  const core::Json normalization = core::parse_json(file.string_attribute("normalization"),
                                                    path.string() + " attribute normalization");
  const auto group = file.group("genome");
  auto weights = assemble(
      path, config, normalization,
      [&](const GenomeEntry& entry) {
        if (!group.contains(entry.name))
          throw FormatError(path.string() + ": dataset /genome/" + entry.name + " is missing");
        const auto dataset = group.dataset(entry.name);
        const auto shape = dataset.shape();
        if (std::vector<std::int64_t>(shape.begin(), shape.end()) != entry.shape) {
          throw FormatError(path.string() + ": dataset /genome/" + entry.name + " has shape " +
                            core::shape_text(std::vector<std::int64_t>(shape.begin(), shape.end())) + ", expected " +
                            core::shape_text(entry.shape));
        }
        return dataset.read<float>();
      },
      expected);
  if (file.contains("provenance")) weights.provenance = file.group("provenance").string_attributes();
  return weights;
}

}  // namespace

void save_namm(const std::filesystem::path& path, const NammWeights& weights) {
  EVOMEM_CHECK(weights.genome.layout == layout_for(weights.config),
               "save_namm: genome layout does not match the configuration");
  if (is_hdf5(path)) {
    save_hdf5(path, weights);
  } else {
    save_safetensors(path, weights);
  }
}

NammWeights load_namm(const std::filesystem::path& path, const std::optional<NammConfig>& expected) {
  if (!std::filesystem::exists(path)) throw InputError(path.string() + ": NAMM weights file not found");
  return is_hdf5(path) ? load_hdf5(path, expected) : load_safetensors(path, expected);
}

NammWeights namm_weights(const NammPolicy& policy) {
  NammWeights weights;
  weights.config = policy.config();
  weights.genome = policy.genome();
  weights.normalization = policy.features().normalization();
  return weights;
}

std::unique_ptr<NammPolicy> make_namm_policy(const NammWeights& weights) {
  auto policy = std::make_unique<NammPolicy>(weights.config);
  policy->load_genome(weights.genome.values);
  policy->features().set_normalization(weights.normalization);
  return policy;
}

}  // namespace evomem::memory
