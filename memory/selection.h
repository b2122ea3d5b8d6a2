#pragma once
// Vectorised building blocks shared by the policies: per-head top-k keep masks with
// deterministic tie-breaking, budgets per head, newest positions, and carrying per-slot state
// across a compaction by matching original token positions.
//
// All tensors are laid out like the observation: [batch, kv_heads, n_slots, ...].

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "memory/policy.h"

namespace evomem::memory {

// Valid slots per head, [batch, kv_heads] int64.
at::Tensor count_valid(const at::Tensor& valid);

// Tokens each head may keep under `budget`, [batch, kv_heads] int64 (ratios round up).
at::Tensor budget_counts(const Budget& budget, const at::Tensor& valid_counts);

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
