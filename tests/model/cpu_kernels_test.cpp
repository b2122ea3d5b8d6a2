// evomem's float32 CPU kernels (model/cpu_kernels.h) against the LibTorch operator chains they
// replace, one by one and through a whole backbone (prefill and decode).

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "model/backbone.h"
#include "model/cpu_kernels.h"
#include "model/random_checkpoint.h"
#include "model/rope.h"
#include "tests/model/backbone_test_support.h"

namespace evomem::model {
namespace {

// Restores the kernels whatever a test does.
struct KernelSwitch {
  explicit KernelSwitch(bool enabled) { set_cpu_kernels_enabled(enabled); }
  ~KernelSwitch() { set_cpu_kernels_enabled(true); }
};

double max_relative_diff(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor a64 = a.to(at::kDouble);
  const at::Tensor b64 = b.to(at::kDouble);
  return ((a64 - b64).abs().max() / b64.abs().max().clamp_min(1e-30)).item<double>();
}

TEST(CpuKernels, FewRowLinearEqualsLinearForEveryRowCountAndWidth) {
  at::manual_seed(3);
  // Widths off the 8- and 32-float steps exercise every tail of the vector loops.
  for (const std::int64_t k : {1, 7, 37, 128, 1000}) {
    const at::Tensor weight = at::randn({53, k});
    for (std::int64_t rows = 0; rows <= kMaxFewRows; ++rows) {
      const at::Tensor x = at::randn({rows, 1, k});
      const at::Tensor ours = few_row_linear(x, weight);
      ASSERT_EQ(ours.sizes(), at::IntArrayRef({rows, 1, 53}));
      if (rows > 0) {
        EXPECT_LT(max_relative_diff(ours, at::linear(x, weight)), 1e-5) << "k " << k << " rows " << rows;
      }
    }
  }
}

TEST(CpuKernels, FewRowLinearReadsStridedInputs) {
  at::manual_seed(4);
  const at::Tensor weight = at::randn({16, 24});
  const at::Tensor x = at::randn({24, 3}).t();  // three rows, not contiguous
  EXPECT_LT(max_relative_diff(few_row_linear(x, weight), at::linear(x, weight)), 1e-5);
}

TEST(CpuKernels, FusedRmsNormSwigluAndRopeEqualTheOperatorChains) {
  at::manual_seed(5);
  const at::Tensor x = at::randn({2, 5, 48});
  const at::Tensor weight = 1.0 + 0.1 * at::randn({48});
  const double eps = 1e-5;
  const at::Tensor reference_norm = weight * (x * at::rsqrt(x.pow(2).mean({-1}, true) + eps));
  EXPECT_LT(max_relative_diff(fused_rms_norm(x, weight, eps), reference_norm), 1e-6);

  const at::Tensor gate_up = at::randn({2, 5, 64}) * 4.0;
  const at::Tensor reference_swiglu = at::silu(gate_up.narrow(-1, 0, 32)) * gate_up.narrow(-1, 32, 32);
  EXPECT_LT(max_relative_diff(fused_swiglu(gate_up), reference_swiglu), 1e-6);

  // RoPE on a strided view (heads taken out of a fused projection), as the backbone calls it;
  // every product is rounded on its own in both, so the results are identical.
  const at::Tensor qkv = at::randn({2, 5, 3 * 16});
  const at::Tensor q = qkv.narrow(-1, 16, 16).view({2, 5, 2, 8}).transpose(1, 2);
  const at::Tensor cos = at::randn({2, 1, 5, 8});
  const at::Tensor sin = at::randn({2, 1, 5, 8});
  const at::Tensor rotated = at::cat({-q.narrow(-1, 4, 4), q.narrow(-1, 0, 4)}, -1);
  EXPECT_TRUE(at::equal(fused_rope(q, cos, sin), q * cos + rotated * sin));
}

TEST(CpuKernels, BackboneGivesTheSameLogitsWithAndWithoutThem) {
  const LlamaConfig config = test_support::tiny_config();
  Backbone backbone(config, random_weights(config, 11, c10::Device(c10::kCPU), at::kFloat), c10::Device(c10::kCPU));
  const at::Tensor prompt = at::randint(3, config.vocab_size, {2, 20}, at::TensorOptions().dtype(at::kLong));
  // Prefill (many rows), then decode steps (two rows: the few-row kernel).
  const auto run = [&](bool kernels) {
    KernelSwitch guard(kernels);
    backbone.reset(2);
    std::vector<at::Tensor> logits = {backbone.prefill(prompt)};
    for (int step = 0; step < 6; ++step) logits.push_back(backbone.decode_step(logits.back().argmax(-1)));
    return at::stack(logits);
  };
  const at::Tensor with_kernels = run(true);
  const at::Tensor without = run(false);
  EXPECT_LT(max_relative_diff(with_kernels, without), 1e-5);
  EXPECT_TRUE(at::equal(with_kernels.argmax(-1), without.argmax(-1)));
}

}  // namespace
}  // namespace evomem::model
