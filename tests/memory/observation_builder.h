#pragma once
// Hand-built attention observations for policy tests.

#include <ATen/ATen.h>

#include <cstdint>
#include <set>
#include <vector>

#include "model/observation.h"

namespace evomem::memory::test_support {

// One sequence, `heads` KV heads, slots at positions 0..n-1 (all valid), no attention.
inline model::AttentionObservation simple_observation(std::int64_t heads, std::int64_t n, std::int64_t layer = 0) {
  model::AttentionObservation observation;
  observation.layer = layer;
  observation.tokens_seen = n;
  observation.positions = at::arange(n, at::kLong).view({1, 1, n}).expand({1, heads, n}).contiguous();
  observation.valid = at::ones({1, heads, n}, at::kBool);
  observation.key_norms = at::ones({1, heads, n}, at::kFloat);
  return observation;
}

// Attention rows [1, heads, q, n] and query positions for the newest q tokens.
inline void set_attention(model::AttentionObservation& observation, const at::Tensor& rows) {
  observation.attention = rows.to(at::kFloat).contiguous();
  const auto q = rows.size(2);
  const auto newest = observation.tokens_seen;
  observation.query_positions = at::arange(newest - q, newest, at::kLong).view({1, q});
}

// The kept slot indices of head `head` of sequence 0.
inline std::set<std::int64_t> kept_slots(const at::Tensor& keep, std::int64_t head, std::int64_t batch = 0) {
  std::set<std::int64_t> out;
  const at::Tensor row = keep[batch][head].cpu();
  for (std::int64_t i = 0; i < row.size(0); ++i) {
    if (row[i].item<bool>()) out.insert(i);
  }
  return out;
}

}  // namespace evomem::memory::test_support
