// The backbone trainer on a CUDA device: it follows the CPU run of the same configuration (same
// start, same examples; float32 on both, so only the order of sums differs) and writes a
// checkpoint that the CPU inference code reads.

#include <gtest/gtest.h>

#include <ATen/Context.h>

#include <cmath>

#include "core/safetensors.h"
#include "tests/support/test_support.h"
#include "tests/training/tiny_training_config.h"
#include "training/backbone_trainer.h"

namespace evomem::training {
namespace {

TEST(BackboneTrainerGpuTest, CudaRunFollowsTheCpuRun) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  evomem::test_support::TempDirectory directory;
  auto config = tiny_training_config();
  config.output = (directory.path() / "cpu").string();
  const auto cpu = train_backbone(config);
  config.device = "cuda";
  config.output = (directory.path() / "cuda").string();
  const auto cuda = train_backbone(config);
  EXPECT_NEAR(cuda.final_loss, cpu.final_loss, 1e-4 * std::abs(cpu.final_loss));
  EXPECT_LT(cuda.logits_max_difference, 1e-3);  // the CUDA-trained folder, read by model::Backbone on the CPU
  const core::SafetensorsCheckpoint a(directory.path() / "cpu");
  const core::SafetensorsCheckpoint b(directory.path() / "cuda");
  for (const auto& name : a.names()) {
    const auto x = a.tensor(name).to_float32();
    const auto y = b.tensor(name).to_float32();
    ASSERT_EQ(x.size(), y.size()) << name;
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-4) << name << "[" << i << "]";
  }
}

}  // namespace
}  // namespace evomem::training
