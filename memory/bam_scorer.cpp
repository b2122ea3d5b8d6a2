#include "memory/bam_scorer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

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

at::Tensor BamScorer::score(const at::Tensor& features, const at::Tensor& positions, const at::Tensor& valid) const {
  EVOMEM_CHECK(features.dim() == 4 && features.size(3) == feature_dim_, "BAM: features must be [b, h, n, F]");
  const auto batch = features.size(0);
  const auto heads = features.size(1);
  const auto n = features.size(2);
  const auto groups = batch * heads;
  const at::Tensor x = features.reshape({groups, n, feature_dim_});
  const at::Tensor q = at::linear(x, parameter("bam.q.weight"), parameter("bam.q.bias"));
  const at::Tensor k = at::linear(x, parameter("bam.k.weight"), parameter("bam.k.bias"));
  const at::Tensor v = at::linear(x, parameter("bam.v.weight"), parameter("bam.v.bias"));
  const at::Tensor key_positions = positions.reshape({groups, 1, n});
  const at::Tensor key_valid = valid.reshape({groups, 1, n});
  const double scale = 1.0 / std::sqrt(static_cast<double>(attention_dim_));
  // Query rows in blocks so the score matrix stays under ~64 MB at long contexts.
  const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{16} << 20) / std::max<std::int64_t>(1, groups * n));
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
  const at::Tensor modulation = at::linear(attended, parameter("bam.out.weight"), parameter("bam.out.bias"));
  const at::Tensor residual = modulation.narrow(2, 0, feature_dim_);
  const at::Tensor multiplier = modulation.narrow(2, feature_dim_, feature_dim_);
  const at::Tensor modulated = x * (multiplier + 1.0) + residual;
  const at::Tensor scores = at::linear(modulated, parameter("score.weight"), parameter("score.bias"));
  return scores.view({batch, heads, n});
}

}  // namespace evomem::memory
