#pragma once
// Several memory policies run side by side on the same sequence, one batch row each: the
// sequence is computed once up to the first update point and branches there into one row per
// policy (model/observation.h), so `evomem compare` and `eval` read a sample once for all the
// policies (or budgets) they run on it. Each policy sees only its own row, as if it ran alone.

#include <memory>
#include <string>
#include <vector>

#include "memory/policy.h"

namespace evomem::memory {

class PolicyGroup : public Policy {
 public:
  // The policies must share one update interval and branch no further themselves.
  explicit PolicyGroup(std::vector<std::unique_ptr<Policy>> policies);

  std::string name() const override { return "group"; }
  // The members' specs joined by " + " (a group has no spec of its own).
  std::string spec() const override;
  void reset() override;
  bool needs_attention() const override;
  std::int64_t branches() const override { return static_cast<std::int64_t>(policies_.size()); }

  Policy& policy(std::size_t index) { return *policies_.at(index); }

 protected:
  std::optional<at::Tensor> select(const model::AttentionObservation& observation) override;

 private:
  std::vector<std::unique_ptr<Policy>> policies_;
};

}  // namespace evomem::memory
