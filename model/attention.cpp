#include "model/attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "model/cpu_half.h"

namespace evomem::model {

namespace {

// A finite "minus infinity": exp() of it is 0 next to any real score, yet a row that is
// masked everywhere (a padding query) stays finite instead of becoming NaN.
double lowest_value(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf: return -65504.0;
    case at::kBFloat16: return -1e30;
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

}  // namespace

AttentionResult grouped_attention(const AttentionInputs& inputs, bool want_group_probs, std::int64_t max_block_bytes) {
  const at::Tensor& queries = inputs.queries;
  const std::int64_t batch = queries.size(0);
  const std::int64_t heads = queries.size(1);
  const std::int64_t n_queries = queries.size(2);
  const std::int64_t head_dim = queries.size(3);
  const std::int64_t kv_heads = inputs.keys.size(1);
  const std::int64_t n_slots = inputs.keys.size(2);
  const std::int64_t group = heads / kv_heads;
  EVOMEM_CHECK(heads % kv_heads == 0, "attention: heads must be a multiple of kv_heads");
  EVOMEM_CHECK(inputs.first_query_slot + n_queries <= n_slots, "attention: queries reach beyond the cache");

  const c10::ScalarType dtype = queries.scalar_type();
  const bool reduced_precision = dtype != at::kFloat && dtype != at::kDouble;
  const double masked = lowest_value(dtype);

  // Query head h belongs to KV head h / group (transformers' repeat_kv order), so a plain
  // view groups them: [batch, kv_heads, group, n, d].
  const at::Tensor grouped = (queries * inputs.scale).view({batch, kv_heads, group, n_queries, head_dim});
  const at::Tensor keys_t = inputs.keys.transpose(-1, -2);
  at::Tensor valid_mask;
  if (inputs.valid.defined()) valid_mask = at::logical_not(inputs.valid).view({batch, kv_heads, 1, 1, n_slots});

  const std::int64_t score_bytes_per_query = batch * heads * n_slots *
                                             static_cast<std::int64_t>(reduced_precision ? 6 : 4);
  const std::int64_t block = std::clamp<std::int64_t>(
      max_block_bytes / std::max<std::int64_t>(score_bytes_per_query, 1), 1, std::max<std::int64_t>(n_queries, 1));

  at::Tensor output = at::empty({batch, kv_heads, group, n_queries, head_dim}, queries.options());
  AttentionResult result;
  if (want_group_probs)
    result.group_probs = at::empty({batch, kv_heads, n_queries, n_slots}, queries.options().dtype(at::kFloat));

  for (std::int64_t start = 0; start < n_queries; start += block) {
    const std::int64_t count = std::min(block, n_queries - start);
    const at::Tensor q = grouped.narrow(3, start, count).reshape({batch, kv_heads, group * count, head_dim});
    // Causality: query start+i sits in slot first+start+i, so no query of this block sees a
    // slot at or beyond visible_end; scores are only computed for the slots before it (the
    // cache's spare capacity and the future of a long prefill cost nothing).
    const std::int64_t own_first = inputs.first_query_slot + start;
    const std::int64_t visible_end = own_first + count;
    at::Tensor scores =
        model::matmul(q, keys_t.narrow(-1, 0, visible_end)).view({batch, kv_heads, group, count, visible_end});
    if (count > 1) {
      const at::Tensor future =
          at::ones({count, count}, at::TensorOptions().dtype(at::kBool).device(queries.device())).triu(1);
      scores.narrow(4, own_first, count).masked_fill_(future, masked);
    }
    if (valid_mask.defined()) scores.masked_fill_(valid_mask.narrow(-1, 0, visible_end), masked);
    const at::Tensor probs = reduced_precision ? at::softmax(scores, -1, at::kFloat) : at::softmax(scores, -1);
    if (want_group_probs) {
      at::Tensor rows = result.group_probs.narrow(2, start, count);
      rows.narrow(3, 0, visible_end).copy_(probs.mean(2));
      if (visible_end < n_slots) rows.narrow(3, visible_end, n_slots - visible_end).zero_();
    }
    const at::Tensor probs_v =
        (reduced_precision ? probs.to(dtype) : probs).view({batch, kv_heads, group * count, visible_end});
    output.narrow(3, start, count)
        .copy_(model::matmul(probs_v, inputs.values.narrow(2, 0, visible_end))
                   .view({batch, kv_heads, group, count, head_dim}));
  }
  result.output =
      output.view({batch, heads, n_queries, head_dim}).transpose(1, 2).reshape({batch, n_queries, heads * head_dim});
  return result;
}

AttentionResult windowed_attention(const AttentionInputs& inputs, const std::vector<std::int64_t>& starts,
                                   bool want_group_probs) {
  if (starts.empty()) return grouped_attention(inputs, want_group_probs);
  const std::int64_t batch = inputs.queries.size(0);
  const std::int64_t n_slots = inputs.keys.size(2);
  EVOMEM_CHECK(static_cast<std::int64_t>(starts.size()) == batch, "attention: one window start per row");
  AttentionResult result;
  if (want_group_probs) {
    result.group_probs = at::zeros({batch, inputs.keys.size(1), inputs.queries.size(2), n_slots},
                                   inputs.queries.options().dtype(at::kFloat));
  }
  std::vector<at::Tensor> outputs;
  for (std::int64_t row = 0; row < batch; ++row) {
    const std::int64_t start = starts[static_cast<std::size_t>(row)];
    const std::int64_t width = n_slots - start;
    AttentionInputs own;
    own.queries = inputs.queries.narrow(0, row, 1);
    own.keys = inputs.keys.narrow(0, row, 1).narrow(2, start, width);
    own.values = inputs.values.narrow(0, row, 1).narrow(2, start, width);
    if (inputs.valid.defined()) own.valid = inputs.valid.narrow(0, row, 1).narrow(2, start, width);
    own.first_query_slot = inputs.first_query_slot - start;
    own.scale = inputs.scale;
    AttentionResult part = grouped_attention(own, want_group_probs);
    outputs.push_back(part.output);
    if (want_group_probs) result.group_probs.narrow(0, row, 1).narrow(3, start, width).copy_(part.group_probs);
  }
  result.output = at::cat(outputs, 0);
  return result;
}

}  // namespace evomem::model
