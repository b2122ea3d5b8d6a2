#include "memory/policy_group.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace evomem::memory {

namespace {

std::int64_t common_interval(const std::vector<std::unique_ptr<Policy>>& policies) {
  if (policies.empty()) throw InputError("a policy group needs at least one policy");
  for (const auto& policy : policies) {
    if (policy->update_interval() != policies.front()->update_interval()) {
      throw InputError("policies run together must share one update interval: '" + policies.front()->spec() +
                       "' and '" + policy->spec() + "' differ; give them the same interval=N");
    }
    if (policy->branches() != 1) throw InputError("'" + policy->spec() + "' branches itself; it cannot join a group");
  }
  return policies.front()->update_interval();
}

// Row `row` of the observation, as a batch of one.
model::AttentionObservation row_of(const model::AttentionObservation& observation, std::int64_t row) {
  return model::map_rows(observation, [row](const at::Tensor& tensor) { return tensor.narrow(0, row, 1); });
}

}  // namespace

PolicyGroup::PolicyGroup(std::vector<std::unique_ptr<Policy>> policies)
    : Policy(common_interval(policies)), policies_(std::move(policies)) {}

std::string PolicyGroup::spec() const {
  std::string text;
  for (const auto& policy : policies_) text += (text.empty() ? "" : " + ") + policy->spec();
  return text;
}

void PolicyGroup::reset() {
  for (const auto& policy : policies_) policy->reset();
}

bool PolicyGroup::needs_attention() const {
  for (const auto& policy : policies_) {
    if (policy->needs_attention()) return true;
  }
  return false;
}

std::optional<at::Tensor> PolicyGroup::select(const model::AttentionObservation& observation) {
  const auto rows = static_cast<std::int64_t>(policies_.size());
  const std::int64_t batch = observation.valid.size(0);
  if (batch != rows && batch != 1) {
    throw InternalError("a group of " + std::to_string(rows) + " policies observed a batch of " +
                        std::to_string(batch) + " rows");
  }
  // The first update sees the one shared row; every policy decides on it (the branching step).
  std::vector<at::Tensor> masks;
  for (std::int64_t row = 0; row < rows; ++row) {
    const model::AttentionObservation own = row_of(observation, batch == 1 ? 0 : row);
    const std::optional<at::Tensor> keep = policies_[static_cast<std::size_t>(row)]->on_update(own);
    masks.push_back(keep ? *keep : at::ones_like(own.valid));
  }
  return at::cat(masks, 0);
}

}  // namespace evomem::memory
