#pragma once
// Grouped-query attention of new queries over a layer's cached slots.
//
// LibTorch 1.13 has no public fused scaled_dot_product_attention (only the private math
// fallback, which would first repeat every KV head), so this is a blocked matmul-softmax:
// the query heads of one GQA group are stacked into a single matrix per KV head, so keys are
// never copied, and queries are processed in blocks that bound the score matrix's memory.
// The same loop optionally returns the probabilities averaged over each group, which is all
// the observation hook needs.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace evomem::model {

struct AttentionInputs {
  at::Tensor queries;  // [batch, heads, n_queries, head_dim], post-RoPE
  at::Tensor keys;     // [batch, kv_heads, n_slots, head_dim], post-RoPE
  at::Tensor values;   // [batch, kv_heads, n_slots, head_dim]
  at::Tensor valid;    // [batch, kv_heads, n_slots] bool, or undefined when all slots are valid
  // Slot of the first query's own token: query i may see slots <= first_query_slot + i.
  std::int64_t first_query_slot = 0;
  double scale = 1.0;
};

struct AttentionResult {
  at::Tensor output;       // [batch, n_queries, heads * head_dim] in the queries' dtype
  at::Tensor group_probs;  // [batch, kv_heads, n_queries, n_slots] float32, if requested
};

// Softmax(q k^T * scale + causal/validity mask) v. Fully masked rows (padding queries) give
// a uniform distribution instead of NaN. Score blocks are kept under ~`max_block_bytes`.
AttentionResult grouped_attention(const AttentionInputs& inputs, bool want_group_probs,
                                  std::int64_t max_block_bytes = std::int64_t{64} << 20);

// The same with row r attending only over its window of slots [starts[r], n_slots) (the
// KV cache's row windows, kv_cache.h): each row is computed alone, exactly as if the batch held
// only it, and pays only for its own slots. Probabilities outside a row's window are 0.
// Empty `starts`: one batched call.
AttentionResult windowed_attention(const AttentionInputs& inputs, const std::vector<std::int64_t>& starts,
                                   bool want_group_probs);

}  // namespace evomem::model
