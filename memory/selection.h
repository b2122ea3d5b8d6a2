#pragma once
// Vectorised building blocks shared by the policies: per-head top-k keep masks with
// deterministic tie-breaking, budgets per head (Budget, policy.h), newest positions, and
// carrying per-slot state across a compaction by matching original token positions.
//
// All tensors are laid out like the observation: [batch, kv_heads, n_slots, ...].

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "memory/policy.h"
#include "model/observation.h"

namespace evomem::memory {

// Valid slots per head, [batch, kv_heads] int64.
at::Tensor count_valid(const at::Tensor& valid);

// Tokens each row of the batch has seen so far, [batch] int64: one more than the newest
// original position among the row's valid slots, over all its heads (0 for a row without
// any). At an update point the newest token is always cached and positions count real tokens
// only, so this needs neither the query positions nor the amount of left padding.
at::Tensor seen_tokens(const at::Tensor& positions, const at::Tensor& valid);

// Budget::tokens for every row, [batch] int64, given the tokens each row has seen [batch].
at::Tensor budget_tokens(const Budget& budget, const at::Tensor& seen);

// Tokens each head keeps under `budget`, [batch, kv_heads] int64: a ratio is a share of the
// tokens its row has seen (rounded up), a count is the count, and either is capped at the
// head's valid slots. Because the share is of the tokens seen, re-applying a ratio at every
// update does not compound.
at::Tensor budget_counts(const Budget& budget, const at::Tensor& positions, const at::Tensor& valid);
at::Tensor budget_counts(const Budget& budget, const model::AttentionObservation& observation);

// Keeps, per head, the `counts[b, h]` valid slots with the largest scores. Ties go to the
// lower slot index (a stable sort), so decisions never depend on the kernel's tie order.
// scores [b, h, n] (any floating dtype), valid [b, h, n] bool, counts [b, h] int64.
at::Tensor keep_top(const at::Tensor& scores, const at::Tensor& valid, const at::Tensor& counts);

// Keeps the `counts` newest valid slots per head (by original position).
at::Tensor keep_newest(const at::Tensor& positions, const at::Tensor& valid, const at::Tensor& counts);

// Keeps the `counts` oldest valid slots per head (by original position).
at::Tensor keep_oldest(const at::Tensor& positions, const at::Tensor& valid, const at::Tensor& counts);

// Per-slot state carried from one update to the next.
struct CarriedState {
  at::Tensor values;   // [b, h, n_new, ...]: the old value of the same token, zero for new tokens
  at::Tensor matched;  // [b, h, n_new] bool: the token was present (and kept) at the old update
};

// Moves per-slot values [b, h, n_old, ...] recorded at the previous update onto the current
// slot layout: slot j of head (b, h) receives the value of the old slot holding the same
// original position among `old_kept`. Works whatever compaction did in between.
CarriedState carry_by_position(const at::Tensor& old_values, const at::Tensor& old_positions,
                               const at::Tensor& old_kept, const at::Tensor& new_positions,
                               const at::Tensor& new_valid);

}  // namespace evomem::memory
