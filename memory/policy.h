#pragma once
// memory::Policy: a KV-cache memory policy plugged into the backbone's observation hook
// (model/observation.h). At every update point the backbone hands the policy one layer's
// observation and the policy answers with the slots each KV head keeps.
//
// Policies hold per-sequence state (accumulated attention, EMA features, ...) keyed by layer;
// `reset()` must be called between sequences (the backbone does not know about policies).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/observation.h"

namespace evomem::memory {

class RetentionRecorder;

// A cache budget: an absolute token count ("512") or a ratio of the tokens the sequence has
// seen so far ("0.5" keeps half of them). A value with a '.' or below 1 is a ratio.
//
// A ratio is measured against the tokens seen, not the slots a head still caches, so applying
// it at every update point does not compound: "0.25" keeps a quarter of the sequence after
// any number of updates (a share of the cache would shrink it to 0.25^k of the old tokens).
// Per head the count is further capped at the head's valid slots (budget_counts in
// selection.h).
struct Budget {
  bool is_ratio = false;
  double value = 0.0;

  // Tokens to keep once the sequence has seen `seen` tokens: ceil(ratio * seen) for a ratio,
  // the count otherwise; never more than `seen`, never negative.
  std::int64_t tokens(std::int64_t seen) const;
  std::string to_string() const;
  // Parses "512" or "0.25"; `what` names the option in error messages.
  static Budget parse(const std::string& text, const std::string& what);
};

// The shortest decimal text that reads back as the same double ("0.2", not
// 0.20000000000000001); used to write numeric options into canonical specs.
std::string format_number(double value);

// The default update interval of every policy (the published NAMM value).
constexpr std::int64_t kDefaultUpdateInterval = 512;

// Base class of all memory policies.
class Policy : public model::AttentionObserver {
 public:
  explicit Policy(std::int64_t update_interval);
  ~Policy() override;

  // Short policy name ("h2o").
  virtual std::string name() const = 0;
  // Canonical spec string with every option spelled out; make_policy(spec()) rebuilds an
  // equivalent policy.
  virtual std::string spec() const = 0;
  // Forgets all per-sequence state. Call before each new batch of sequences.
  virtual void reset() {}
  // Rows each sequence runs as: a policy holding several variants (a population's genomes, a
  // group of policies) sees one row until its first update, then branches it into one row
  // per variant there (model/observation.h).
  virtual std::int64_t branches() const { return 1; }

  std::int64_t update_interval() const final { return update_interval_; }
  // Runs `select` and reports the decision to the attached recorder (if any).
  std::optional<at::Tensor> on_update(const model::AttentionObservation& observation) final;

  // Attaches a recorder that sees every decision (nullptr detaches). Not owned.
  void set_recorder(RetentionRecorder* recorder) { recorder_ = recorder; }
  RetentionRecorder* recorder() const { return recorder_; }

 protected:
  // The policy's decision for one layer: a bool keep mask [batch, kv_heads, n_slots] or
  // nullopt to keep everything. Invalid slots may be marked either way (the cache ignores them).
  virtual std::optional<at::Tensor> select(const model::AttentionObservation& observation) = 0;

 private:
  std::int64_t update_interval_;
  RetentionRecorder* recorder_ = nullptr;
};

// Keeps the whole cache (the reference every other policy is measured against). It never
// asks for attention probabilities, so the backbone stays on its fast path.
class FullCachePolicy : public Policy {
 public:
  explicit FullCachePolicy(std::int64_t update_interval = kDefaultUpdateInterval) : Policy(update_interval) {}
  std::string name() const override { return "full"; }
  std::string spec() const override;
  bool needs_attention() const override { return false; }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;
};

// Builds a policy from a spec string such as "h2o:heavy=128,recent=128" (see docs/memory.md
// and policy_spec.h). Throws ConfigError naming the spec and the accepted keys.
std::unique_ptr<Policy> make_policy(const std::string& spec);

}  // namespace evomem::memory
