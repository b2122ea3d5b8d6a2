#include "memory/bam_scorer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"

namespace evomem::memory {

BamScorer::BamScorer(std::int64_t feature_dim, std::int64_t attention_dim)
    : feature_dim_(feature_dim), attention_dim_(attention_dim) {
  GenomeLayout layout;
  for (const char* projection : {"q", "k", "v"}) {
    layout.add(std::string("bam.") + projection + ".weight", {attention_dim, feature_dim});
    layout.add(std::string("bam.") + projection + ".bias", {attention_dim});
  }
  layout.add("bam.out.weight", {2 * feature_dim, attention_dim});
  layout.add("bam.out.bias", {2 * feature_dim});
  layout.add("score.weight", {1, feature_dim});
  layout.add("score.bias", {1});
  set_layout(std::move(layout));
}

at::Tensor BamScorer::backward_mask(const at::Tensor& positions, const at::Tensor& valid) {
  return positions.unsqueeze(-1).le(positions.unsqueeze(-2)).logical_and_(valid.unsqueeze(-2));
}

namespace {

// Upper bound on one block of BAM logits (floats): 4 MB blocks stay in the allocator's heap
// and mostly in cache, whereas blocks of tens of MB are fresh mmap pages on every update,
// whose page faults cost more than the products themselves.
constexpr std::int64_t kMaxBlockFloats = std::int64_t{1} << 20;
// Fill for disallowed logits: finite, so a row with no allowed key stays free of NaNs.
constexpr double kMasked = -1e30;

}  // namespace

at::Tensor BamScorer::score_masked(const at::Tensor& features, const at::Tensor& positions,
                                   const at::Tensor& valid) const {
  EVOMEM_CHECK(features.dim() == 4 && features.size(3) == feature_dim_, "BAM: features must be [b, h, n, F]");
  const auto batch = features.size(0);
  const auto heads = features.size(1);
  const auto n = features.size(2);
  const auto groups = batch * heads;
  const at::Tensor x = features.reshape({groups, n, feature_dim_});
  // One batch entry's heads share a genome: [b, h * n, F] for the products.
  const at::Tensor entries = x.view({batch, heads * n, feature_dim_});
  const at::Tensor q = affine(entries, {"bam.q.weight"}, {"bam.q.bias"}).view({groups, n, attention_dim_});
  const at::Tensor k = affine(entries, {"bam.k.weight"}, {"bam.k.bias"}).view({groups, n, attention_dim_});
  const at::Tensor v = affine(entries, {"bam.v.weight"}, {"bam.v.bias"}).view({groups, n, attention_dim_});
  const at::Tensor key_positions = positions.reshape({groups, 1, n});
  const at::Tensor key_valid = valid.reshape({groups, 1, n});
  const double scale = 1.0 / std::sqrt(static_cast<double>(attention_dim_));
  // Query rows in blocks so the score matrix stays under ~64 MB at long contexts.
  const std::int64_t block = std::max<std::int64_t>(1,
                                                    (std::int64_t{16} << 20) / std::max<std::int64_t>(1, groups * n));
  std::vector<at::Tensor> outputs;
  for (std::int64_t start = 0; start < n; start += block) {
    const std::int64_t rows = std::min(block, n - start);
    const at::Tensor query_block = q.narrow(1, start, rows);
    at::Tensor logits = at::matmul(query_block, k.transpose(1, 2)).mul_(scale);  // [g, rows, n]
    const at::Tensor query_positions = positions.reshape({groups, n, 1}).narrow(1, start, rows);
    const at::Tensor allowed = query_positions.le(key_positions).logical_and_(key_valid);
    // A finite fill keeps rows with no allowed key (invalid slots) free of NaNs.
    logits.masked_fill_(allowed.logical_not(), -1e30);
    outputs.push_back(at::matmul(at::softmax(logits, -1), v));
  }
  const at::Tensor attended = outputs.size() == 1 ? outputs.front() : at::cat(outputs, 1);  // [g, n, d]
  return read_out(x, attended, batch).view({batch, heads, n});
}

at::Tensor BamScorer::score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const {
  EVOMEM_CHECK(features.dim() == 4 && features.size(3) == feature_dim_, "BAM: features must be [b, h, n, F]");
  const auto batch = features.size(0);
  const auto heads = features.size(1);
  const auto n = features.size(2);
  const auto groups = batch * heads;
  if (n == 0) return at::zeros({batch, heads, 0}, features.options());
  const auto d = attention_dim_;

  // Slots sorted by position, invalid slots last: with distinct positions the backward mask
  // becomes "key index >= query index" among the valid slots, so each block of queries only
  // multiplies with the keys from its own first slot on (half the products of the full
  // square) and needs no [n, n] comparison mask. The cache holds each token once per head,
  // so duplicates only come from hand-built inputs; they take the general masked path.
  constexpr std::int64_t kAbsent = std::numeric_limits<std::int64_t>::max();
  const at::Tensor slot_keys =
      positions.reshape({groups, n}).masked_fill(valid.reshape({groups, n}).logical_not(), kAbsent);
  const auto sorted = at::sort(slot_keys, /*stable=*/true, /*dim=*/1, /*descending=*/false);
  const at::Tensor& sorted_keys = std::get<0>(sorted);
  const at::Tensor& order = std::get<1>(sorted);
  const at::Tensor sorted_valid = sorted_keys.ne(kAbsent);
  if (n > 1 && sorted_keys.narrow(1, 1, n - 1)
                   .eq(sorted_keys.narrow(1, 0, n - 1))
                   .logical_and_(sorted_valid.narrow(1, 1, n - 1))
                   .any()
                   .item<bool>()) {
    return score_masked(features, positions, valid);
  }
  const at::Tensor x =
      features.reshape({groups, n, feature_dim_}).gather(1, order.unsqueeze(-1).expand({groups, n, feature_dim_}));
  // One product for q, k and v (their weights stacked into one [3d, F] matrix).
  const at::Tensor qkv = affine(x.view({batch, heads * n, feature_dim_}),
                                {"bam.q.weight", "bam.k.weight", "bam.v.weight"},
                                {"bam.q.bias", "bam.k.bias", "bam.v.bias"})
                             .view({groups, n, 3 * d});
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // The scale goes into q once instead of into every logit.
  const at::Tensor q = qkv.narrow(2, 0, d).mul(scale);
  const at::Tensor k_t = qkv.narrow(2, d, d).transpose(1, 2).contiguous();  // [g, d, n]
  const at::Tensor v = qkv.narrow(2, 2 * d, d).contiguous();
  const bool all_valid = sorted_valid.all().item<bool>();
  const at::Tensor key_bias =
      at::zeros({groups, 1, n}, features.options()).masked_fill_(sorted_valid.logical_not().unsqueeze(1), kMasked);

  const std::int64_t block = std::clamp<std::int64_t>(kMaxBlockFloats / (groups * n), 32, n);
  // Within a block's own slots, key j < query i is older: masked.
  const at::Tensor older = at::ones({block, block}, features.options().dtype(at::kBool)).tril_(-1);
  std::vector<at::Tensor> outputs;
  for (std::int64_t start = 0; start < n; start += block) {
    const std::int64_t rows = std::min(block, n - start);
    const std::int64_t keys = n - start;
    // [g, rows, keys]; without invalid slots the key bias is all zeros and is skipped (one
    // pass less over the block).
    at::Tensor logits = all_valid ? at::bmm(q.narrow(1, start, rows), k_t.narrow(2, start, keys))
                                  : at::baddbmm(key_bias.narrow(2, start, keys).expand({groups, rows, keys}),
                                                q.narrow(1, start, rows), k_t.narrow(2, start, keys));
    logits.narrow(2, 0, rows).masked_fill_(older.narrow(0, 0, rows).narrow(1, 0, rows), kMasked);
    outputs.push_back(at::bmm(at::_softmax(logits, -1, false), v.narrow(1, start, keys)));
  }
  const at::Tensor attended = outputs.size() == 1 ? outputs.front() : at::cat(outputs, 1);  // [g, n, d]
  const at::Tensor sorted_scores = read_out(x, attended, batch);                            // [g, n]
  // Back to slot order; invalid slots score 0 (unspecified by the contract, never kept).
  return at::empty_like(sorted_scores)
      .scatter_(1, order, sorted_scores.masked_fill(sorted_valid.logical_not(), 0.0))
      .view({batch, heads, n});
}

at::Tensor BamScorer::read_out(const at::Tensor& x, const at::Tensor& attended, std::int64_t batch) const {
  const std::int64_t groups = x.size(0);
  const std::int64_t n = x.size(1);
  // Rows of one batch entry (all its heads) share a genome: [b, h * n, ...] for the products.
  const at::Tensor modulation = affine(attended.reshape({batch, -1, attention_dim_}), {"bam.out.weight"},
                                       {"bam.out.bias"})
                                    .view({groups, n, 2 * feature_dim_});
  const at::Tensor residual = modulation.narrow(2, 0, feature_dim_);
  const at::Tensor multiplier = modulation.narrow(2, feature_dim_, feature_dim_);
  const at::Tensor modulated = x * (multiplier + 1.0) + residual;
  return affine(modulated.view({batch, -1, feature_dim_}), {"score.weight"}, {"score.bias"}).view({groups, n});
}

}  // namespace evomem::memory
