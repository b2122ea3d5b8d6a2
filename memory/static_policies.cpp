#include "memory/static_policies.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "core/error.h"
#include "memory/selection.h"

namespace evomem::memory {
namespace {

std::string interval_suffix(const Policy& policy) { return ",interval=" + std::to_string(policy.update_interval()); }

}  // namespace

RecencyPolicy::RecencyPolicy(Budget window, std::int64_t update_interval) : Policy(update_interval), window_(window) {}

std::string RecencyPolicy::spec() const { return "recency:window=" + window_.to_string() + interval_suffix(*this); }

std::optional<at::Tensor> RecencyPolicy::select(const model::AttentionObservation& observation) {
  return keep_newest(observation.positions, observation.valid, budget_counts(window_, observation));
}

StreamingPolicy::StreamingPolicy(std::int64_t sinks, Budget window, std::int64_t update_interval)
    : Policy(update_interval), sinks_(sinks), window_(window) {
  if (sinks_ < 0) throw ConfigError("streaming policy: sinks must not be negative, got " + std::to_string(sinks_));
}

std::string StreamingPolicy::spec() const {
  return "streaming:sinks=" + std::to_string(sinks_) + ",window=" + window_.to_string() + interval_suffix(*this);
}

std::optional<at::Tensor> StreamingPolicy::select(const model::AttentionObservation& observation) {
  const at::Tensor& valid = observation.valid;
  const at::Tensor recent = keep_newest(observation.positions, valid, budget_counts(window_, observation));
  const at::Tensor sinks = keep_oldest(observation.positions, valid, count_valid(valid).clamp_max(sinks_));
  return recent.logical_or(sinks);
}

L2NormPolicy::L2NormPolicy(Budget keep, std::vector<std::int64_t> skip_layers, std::int64_t update_interval)
    : Policy(update_interval), keep_(keep), skip_layers_(std::move(skip_layers)) {}

std::string L2NormPolicy::spec() const {
  std::string text = "l2:keep=" + keep_.to_string();
  if (!skip_layers_.empty()) {
    text += ",skip_layers=";
    for (std::size_t i = 0; i < skip_layers_.size(); ++i) text += (i ? ";" : "") + std::to_string(skip_layers_[i]);
  }
  return text + interval_suffix(*this);
}

std::optional<at::Tensor> L2NormPolicy::select(const model::AttentionObservation& observation) {
  if (std::find(skip_layers_.begin(), skip_layers_.end(), observation.layer) != skip_layers_.end()) return std::nullopt;
  const at::Tensor& valid = observation.valid;
  // Small key norms go with large attention (Devoto et al.), so the smallest norms stay.
  return keep_top(observation.key_norms.to(at::kDouble).neg(), valid, budget_counts(keep_, observation));
}

RandomPolicy::RandomPolicy(Budget keep, std::uint64_t seed, std::int64_t update_interval)
    : Policy(update_interval), keep_(keep), seed_(seed) {}

std::string RandomPolicy::spec() const {
  return "random:keep=" + keep_.to_string() + ",seed=" + std::to_string(seed_) + interval_suffix(*this);
}

namespace {

// SplitMix64's finaliser: a well-mixed 64-bit value of `x`.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

std::optional<at::Tensor> RandomPolicy::select(const model::AttentionObservation& observation) {
  const at::Tensor positions = observation.positions.cpu().contiguous();
  const at::Tensor valid = observation.valid.cpu();
  at::Tensor scores = at::empty(positions.sizes(), at::TensorOptions().dtype(at::kDouble));
  const auto position = positions.accessor<std::int64_t, 3>();
  auto score = scores.accessor<double, 3>();
  const std::uint64_t update = mix(mix(seed_ ^ static_cast<std::uint64_t>(observation.layer)) ^
                                   static_cast<std::uint64_t>(observation.tokens_seen));
  for (std::int64_t row = 0; row < positions.size(0); ++row) {
    for (std::int64_t head = 0; head < positions.size(1); ++head) {
      const std::uint64_t stream = mix(mix(update ^ static_cast<std::uint64_t>(row)) ^
                                       static_cast<std::uint64_t>(head));
      for (std::int64_t slot = 0; slot < positions.size(2); ++slot) {
        // The top 53 bits as a double in [0, 1).
        score[row][head][slot] =
            static_cast<double>(mix(stream ^ static_cast<std::uint64_t>(position[row][head][slot])) >> 11) * 0x1.0p-53;
      }
    }
  }
  return keep_top(scores, valid, budget_counts(keep_, observation).cpu()).to(observation.valid.device());
}

}  // namespace evomem::memory
