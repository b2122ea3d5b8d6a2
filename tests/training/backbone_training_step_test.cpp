// One trainer step's forward and backward: running each example alone gives the gradient and
// the per-example loss sums of the padded batch, and the sums are the examples' own.

#include <gtest/gtest.h>

#include "tasks/synthetic/random.h"
#include "training/backbone_examples.h"
#include "training/backbone_trainer_model.h"
#include "training/backbone_training_step.h"

namespace evomem::training {
namespace {

TEST(TrainingStepTest, OneExampleAtATimeEqualsThePaddedBatch) {
  model::LlamaConfig config;
  config.vocab_size = 65;  // 64 drill symbols and BOS
  config.hidden_size = 32;
  config.intermediate_size = 64;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.head_dim = 16;
  config.max_position_embeddings = 512;
  config.tie_word_embeddings = true;
  const TrainableLlama llama(config, 3, 0.08);
  tasks::SyntheticRng rng(11);
  std::vector<Example> examples;
  for (const std::size_t length : {120, 300, 45}) examples.push_back(make_induction_drill(length, rng, 64, 0));
  const std::int64_t pad_id = 0;

  const auto run = [&](bool padded) {
    for (auto parameter : llama.parameters()) parameter.mutable_grad() = torch::Tensor();
    std::vector<torch::Tensor> out{step_forward_backward(llama, examples, pad_id, padded)};
    for (const auto& parameter : llama.parameters()) out.push_back(parameter.grad().clone());
    return out;
  };
  const auto padded = run(true);
  const auto alone = run(false);
  ASSERT_EQ(padded[0].sizes(), (std::vector<std::int64_t>{2, 3}));
  for (std::size_t b = 0; b < examples.size(); ++b) {
    float weight = 0.0f;
    for (std::size_t t = 0; t + 1 < examples[b].weights.size(); ++t) weight += examples[b].weights[t];
    EXPECT_GT(weight, 0.0f);
    EXPECT_FLOAT_EQ(padded[0][1][static_cast<std::int64_t>(b)].item<float>(), weight);
    EXPECT_GT(padded[0][0][static_cast<std::int64_t>(b)].item<float>(), 0.0f);
  }
  for (std::size_t i = 0; i < padded.size(); ++i) {
    const double tolerance = 1e-5 * (1.0 + padded[i].abs().max().item<double>());
    EXPECT_LT((alone[i] - padded[i]).abs().max().item<double>(), tolerance) << "tensor " << i;
  }
}

}  // namespace
}  // namespace evomem::training
