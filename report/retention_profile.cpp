#include "report/retention_profile.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace evomem::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Records come from files; a record whose arrays disagree with its own sizes would index out
// of bounds, so it is rejected with the sample named rather than trusted.
void check_sample_shape(const SampleRetention& sample) {
  const std::string where = "retention record of sample '" + sample.id + "' (" + sample.task + ")";
  if (sample.layers < 0 || sample.kv_heads < 1) {
    throw InputError(where + ": needs at least one KV head and a non-negative layer count, got layers=" +
                     std::to_string(sample.layers) + " kv_heads=" + std::to_string(sample.kv_heads));
  }
  if (static_cast<std::int64_t>(sample.evicted_at.size()) != sample.layers) {
    throw InputError(where + ": has eviction arrays for " + std::to_string(sample.evicted_at.size()) +
                     " layers but declares " + std::to_string(sample.layers));
  }
  const std::size_t expected = static_cast<std::size_t>(sample.kv_heads * sample.tokens());
  for (std::size_t layer = 0; layer < sample.evicted_at.size(); ++layer) {
    if (sample.evicted_at[layer].size() != expected) {
      throw InputError(where + ": layer " + std::to_string(layer) + " has " +
                       std::to_string(sample.evicted_at[layer].size()) +
                       " eviction entries, expected kv_heads * tokens = " + std::to_string(expected));
    }
  }
}

double ratio(std::int64_t kept, std::int64_t entries) {
  return entries > 0 ? static_cast<double>(kept) / static_cast<double>(entries) : kNaN;
}

}  // namespace

RetentionProfile retention_profile(const std::vector<SampleRetention>& samples, std::int64_t bins) {
  if (bins < 1) throw InputError("retention profile: the bin count must be at least 1, got " + std::to_string(bins));
  RetentionProfile profile;
  profile.bins = bins;
  profile.samples = static_cast<std::int64_t>(samples.size());
  profile.all_layers_kept.assign(static_cast<std::size_t>(bins), kNaN);
  profile.all_layers_entries.assign(static_cast<std::size_t>(bins), 0);
  if (samples.empty()) return profile;

  const std::int64_t layers = samples.front().layers;
  const std::int64_t kv_heads = samples.front().kv_heads;
  for (const SampleRetention& sample : samples) {
    check_sample_shape(sample);
    if (sample.layers != layers || sample.kv_heads != kv_heads) {
      throw InputError("retention profile: sample '" + sample.id + "' has " + std::to_string(sample.layers) +
                       " layers x " + std::to_string(sample.kv_heads) + " KV heads but sample '" + samples.front().id +
                       "' has " + std::to_string(layers) + " x " + std::to_string(kv_heads) +
                       "; profile records of one backbone only");
    }
  }

  profile.layers = layers;
  const auto bin_count = static_cast<std::size_t>(bins);
  std::vector<std::vector<std::int64_t>> kept_entries(static_cast<std::size_t>(layers),
                                                      std::vector<std::int64_t>(bin_count, 0));
  profile.entries.assign(static_cast<std::size_t>(layers), std::vector<std::int64_t>(bin_count, 0));
  for (const SampleRetention& sample : samples) {
    const std::int64_t tokens = sample.tokens();
    for (std::int64_t layer = 0; layer < layers; ++layer) {
      const auto& evicted = sample.evicted_at[static_cast<std::size_t>(layer)];
      auto& kept_row = kept_entries[static_cast<std::size_t>(layer)];
      auto& entry_row = profile.entries[static_cast<std::size_t>(layer)];
      for (std::int64_t token = 0; token < tokens; ++token) {
        // Integer arithmetic so that a token on a bin edge lands in the same bin on every machine.
        const auto bin = static_cast<std::size_t>(token * bins / tokens);
        std::int64_t kept = 0;
        for (std::int64_t head = 0; head < kv_heads; ++head) {
          if (evicted[static_cast<std::size_t>(head * tokens + token)] == kNeverEvicted) ++kept;
        }
        kept_row[bin] += kept;
        entry_row[bin] += kv_heads;
      }
    }
  }

  profile.kept.assign(static_cast<std::size_t>(layers), std::vector<double>(bin_count, kNaN));
  std::vector<std::int64_t> all_kept(bin_count, 0);
  for (std::size_t layer = 0; layer < static_cast<std::size_t>(layers); ++layer) {
    for (std::size_t bin = 0; bin < bin_count; ++bin) {
      profile.kept[layer][bin] = ratio(kept_entries[layer][bin], profile.entries[layer][bin]);
      all_kept[bin] += kept_entries[layer][bin];
      profile.all_layers_entries[bin] += profile.entries[layer][bin];
    }
  }
  for (std::size_t bin = 0; bin < bin_count; ++bin) {
    profile.all_layers_kept[bin] = ratio(all_kept[bin], profile.all_layers_entries[bin]);
  }
  return profile;
}

double TokenRetention::layer_kept(std::int64_t layer, std::int64_t token) const {
  EVOMEM_CHECK(layer >= 0 && layer < layers && token >= 0 && token < tokens, "token retention index out of range");
  return static_cast<double>(heads_kept[static_cast<std::size_t>(layer)][static_cast<std::size_t>(token)]) /
         static_cast<double>(kv_heads);
}

TokenRetention token_retention(const SampleRetention& sample) {
  check_sample_shape(sample);
  TokenRetention retention;
  retention.layers = sample.layers;
  retention.kv_heads = sample.kv_heads;
  retention.tokens = sample.tokens();
  const auto tokens = static_cast<std::size_t>(retention.tokens);
  retention.heads_kept.assign(static_cast<std::size_t>(sample.layers), std::vector<std::int32_t>(tokens, 0));
  retention.mean_kept.assign(tokens, 0.0);
  for (std::size_t layer = 0; layer < static_cast<std::size_t>(sample.layers); ++layer) {
    const auto& evicted = sample.evicted_at[layer];
    for (std::size_t head = 0; head < static_cast<std::size_t>(sample.kv_heads); ++head) {
      for (std::size_t token = 0; token < tokens; ++token) {
        if (evicted[head * tokens + token] == kNeverEvicted) ++retention.heads_kept[layer][token];
      }
    }
  }
  if (sample.layers > 0) {
    const double denominator = static_cast<double>(sample.layers * sample.kv_heads);
    for (std::size_t token = 0; token < tokens; ++token) {
      std::int64_t kept = 0;
      for (const auto& row : retention.heads_kept) kept += row[token];
      retention.mean_kept[token] = static_cast<double>(kept) / denominator;
    }
  }
  return retention;
}

}  // namespace evomem::report
