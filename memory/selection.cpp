#include "memory/selection.h"

#include <ATen/ATen.h>

#include <limits>

#include "core/error.h"

namespace evomem::memory {

at::Tensor count_valid(const at::Tensor& valid) { return valid.sum(-1, false, at::kLong); }

at::Tensor seen_tokens(const at::Tensor& positions, const at::Tensor& valid) {
  EVOMEM_CHECK(positions.dim() == 3 && positions.sizes() == valid.sizes(),
               "seen_tokens: positions and valid must be [b, h, n]");
  if (positions.size(1) == 0 || positions.size(2) == 0) return at::zeros({positions.size(0)}, positions.options());
  // Invalid slots may hold stale positions (evicted tokens, padding); they must not count.
  return positions.masked_fill(valid.logical_not(), -1).flatten(1).amax(1) + 1;
}

at::Tensor budget_tokens(const Budget& budget, const at::Tensor& seen) {
  const at::Tensor seen_double = seen.to(at::kDouble);
  // The small epsilon keeps exact products (0.5 * 10) from rounding up to the next token.
  const at::Tensor wanted = budget.is_ratio ? at::ceil(seen_double * budget.value - 1e-9)
                                            : at::full_like(seen_double, budget.value);
  return at::minimum(wanted, seen_double).clamp_min(0).to(at::kLong);
}

at::Tensor budget_counts(const Budget& budget, const at::Tensor& positions, const at::Tensor& valid) {
  const at::Tensor wanted = budget_tokens(budget, seen_tokens(positions, valid));
  return at::minimum(wanted.unsqueeze(1), count_valid(valid));
}

at::Tensor budget_counts(const Budget& budget, const model::AttentionObservation& observation) {
  return budget_counts(budget, observation.positions, observation.valid);
}

at::Tensor keep_top(const at::Tensor& scores, const at::Tensor& valid, const at::Tensor& counts) {
  EVOMEM_CHECK(scores.dim() == 3 && scores.sizes() == valid.sizes(), "keep_top: scores and valid must be [b, h, n]");
  const auto n = scores.size(2);
  if (n == 0) return valid.clone();
  const at::Tensor masked = scores.masked_fill(valid.logical_not(), -std::numeric_limits<double>::infinity());
  const auto sorted = at::sort(masked, /*stable=*/true, /*dim=*/2, /*descending=*/true);
  const at::Tensor order = std::get<1>(sorted);
  const at::Tensor ranks = at::empty_like(order).scatter_(2, order,
                                                          at::arange(n, order.options()).expand_as(order).contiguous());
  return ranks.lt(counts.unsqueeze(-1)).logical_and_(valid);
}

at::Tensor keep_newest(const at::Tensor& positions, const at::Tensor& valid, const at::Tensor& counts) {
  return keep_top(positions.to(at::kDouble), valid, counts);
}

at::Tensor keep_oldest(const at::Tensor& positions, const at::Tensor& valid, const at::Tensor& counts) {
  return keep_top(positions.to(at::kDouble).neg(), valid, counts);
}

CarriedState carry_by_position(const at::Tensor& old_values, const at::Tensor& old_positions,
                               const at::Tensor& old_kept, const at::Tensor& new_positions,
                               const at::Tensor& new_valid) {
  EVOMEM_CHECK(old_values.dim() >= 3 && old_positions.dim() == 3 && new_positions.dim() == 3);
  std::vector<std::int64_t> new_shape = old_values.sizes().vec();
  new_shape[2] = new_positions.size(2);
  CarriedState carried;
  const auto n_old = old_positions.size(2);
  if (n_old == 0 || new_positions.size(2) == 0) {
    carried.values = at::zeros(new_shape, old_values.options());
    carried.matched = at::zeros_like(new_valid);
    return carried;
  }
  constexpr std::int64_t kAbsent = std::numeric_limits<std::int64_t>::max();
  const at::Tensor old_keys = old_positions.masked_fill(old_kept.logical_not(), kAbsent);
  const auto sorted = at::sort(old_keys, /*stable=*/true, /*dim=*/2, /*descending=*/false);
  const at::Tensor sorted_keys = std::get<0>(sorted).contiguous();
  const at::Tensor order = std::get<1>(sorted);
  const at::Tensor queries = new_positions.masked_fill(new_valid.logical_not(), -1).contiguous();
  const at::Tensor where = at::searchsorted(sorted_keys, queries).clamp_max(n_old - 1);
  carried.matched = sorted_keys.gather(2, where).eq(queries).logical_and_(new_valid).logical_and_(queries.ge(0));
  at::Tensor source = order.gather(2, where);
  // Broadcast the slot index over any trailing feature dimensions.
  std::vector<std::int64_t> index_shape = source.sizes().vec();
  for (std::int64_t d = 3; d < old_values.dim(); ++d) {
    source = source.unsqueeze(-1);
    index_shape.push_back(old_values.size(d));
  }
  at::Tensor values = old_values.gather(2, source.expand(index_shape));
  at::Tensor keep = carried.matched;
  for (std::int64_t d = 3; d < old_values.dim(); ++d) keep = keep.unsqueeze(-1);
  carried.values = values.masked_fill(keep.logical_not(), 0);
  return carried;
}

}  // namespace evomem::memory
