#pragma once
// NAMM weight files: `namm.safetensors` (one F32 tensor per genome entry plus `__metadata__`
// with the configuration and normalisation statistics as JSON strings) and the same content
// in HDF5 (.h5). The format is chosen by the file extension. See docs/memory.md.

#include <filesystem>
#include <memory>
#include <optional>

#include "core/provenance.h"
#include "memory/genome.h"
#include "memory/namm_config.h"
#include "memory/namm_features.h"

namespace evomem::memory {

class NammPolicy;

struct NammWeights {
  NammConfig config;
  Genome genome;
  NormalizationStats normalization;
  // Where the weights came from (core/provenance.h; `evomem export` adds source_run,
  // source_generation, which, backbone and backbone_checksum). Stored as "provenance.<name>"
  // metadata in safetensors and as attributes of /provenance in HDF5; empty in older files.
  core::Provenance provenance;
};

// Writes atomically; .h5/.hdf5 -> HDF5, anything else -> safetensors.
void save_namm(const std::filesystem::path& path, const NammWeights& weights);
// Reads and validates a file. With `expected`, a file whose feature or scorer configuration
// differs fails with a ConfigError naming the first mismatching field.
NammWeights load_namm(const std::filesystem::path& path, const std::optional<NammConfig>& expected = std::nullopt);

// The weights currently in a policy (its genome and normalisation statistics).
NammWeights namm_weights(const NammPolicy& policy);
// A policy holding `weights` (configuration, genome, normalisation statistics).
std::unique_ptr<NammPolicy> make_namm_policy(const NammWeights& weights);

}  // namespace evomem::memory
