#pragma once
// Baselines whose decisions need no attention probabilities (the backbone stays on its fast
// attention path): recency, StreamingLLM, L2 key norm and random eviction.

#include <ATen/core/Generator.h>

#include <cstdint>
#include <vector>

#include "memory/policy.h"

namespace evomem::memory {

// Keeps the `window` newest tokens of every head.
class RecencyPolicy : public Policy {
 public:
  RecencyPolicy(Budget window, std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "recency"; }
  std::string spec() const override;
  bool needs_attention() const override { return false; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  Budget window_;
};

// StreamingLLM (Xiao et al. 2023): the first `sinks` tokens (attention sinks) plus the
// `window` newest tokens.
class StreamingPolicy : public Policy {
 public:
  StreamingPolicy(std::int64_t sinks, Budget window, std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "streaming"; }
  std::string spec() const override;
  bool needs_attention() const override { return false; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  std::int64_t sinks_;
  Budget window_;
};

// L2 key norm (Devoto et al. 2024): per layer and head keep the `keep` tokens whose keys have
// the smallest L2 norm; layers in `skip_layers` keep everything.
class L2NormPolicy : public Policy {
 public:
  L2NormPolicy(Budget keep, std::vector<std::int64_t> skip_layers,
               std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "l2"; }
  std::string spec() const override;
  bool needs_attention() const override { return false; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  Budget keep_;
  std::vector<std::int64_t> skip_layers_;
};

// Keeps a uniformly random subset of `keep` tokens per head. Each cached token's draw is a
// hash of (seed, layer, update, row, head, token position): every sequence sees the same
// draws, and they do not depend on where the token sits in the cache (compaction, a policy
// group's row window), so the policy keeps the same tokens alone and in a group.
class RandomPolicy : public Policy {
 public:
  RandomPolicy(Budget keep, std::uint64_t seed, std::int64_t update_interval = kDefaultUpdateInterval);
  std::string name() const override { return "random"; }
  std::string spec() const override;
  bool needs_attention() const override { return false; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  Budget keep_;
  std::uint64_t seed_;
};

}  // namespace evomem::memory
