// Widening the backbone: the grown model computes what the trained one did, training reaches
// the new units, and shapes that cannot be grown are refused with the reason.

#include <gtest/gtest.h>

#include <filesystem>

#include "training/backbone_growth.h"
#include "training/backbone_trainer_model.h"

namespace evomem::training {
namespace {

const std::filesystem::path kModel = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";

model::LlamaConfig wider_than(model::LlamaConfig config) {
  const auto group = config.group_size();
  config.hidden_size += group * config.head_dim;
  config.num_attention_heads += group;
  config.num_key_value_heads += 1;
  config.intermediate_size *= 2;
  return config;
}

TEST(BackboneGrowthTest, WidenedModelGivesTheSameLogitsAndItsNewUnitsLearn) {
  const auto trained = TrainableLlama::from_checkpoint(kModel);
  const auto wider_config = wider_than(trained.config());
  ASSERT_EQ(widening_problem(trained.config(), wider_config), "");
  const auto wider = widen(trained, wider_config, 3, 0.08);
  EXPECT_EQ(wider.config().num_key_value_heads, trained.config().num_key_value_heads + 1);

  torch::manual_seed(11);
  const auto tokens = torch::randint(trained.config().vocab_size, {2, 300}, torch::kLong);
  const auto before = trained.forward(tokens).detach();
  const auto after = wider.forward(tokens);
  // Only the RMSNorm epsilon (1e-5 next to mean squares of order one) separates the two.
  EXPECT_LT((after.detach() - before).abs().max().item<double>(), 1e-3 * (1.0 + before.abs().max().item<double>()));

  after.logsumexp(-1).mean().backward();
  const auto& parameters = wider.named_parameters();
  const auto old_hidden = trained.config().hidden_size;
  const auto old_width = trained.config().num_attention_heads * trained.config().head_dim;
  // Zero at the start, yet with gradients: new residual rows and new heads' columns of o_proj,
  // the new columns of the embedding (read back as the tied lm_head) and of down_proj.
  const auto o_proj = parameters.at("model.layers.0.self_attn.o_proj.weight");
  EXPECT_EQ(o_proj.slice(0, old_hidden).abs().max().item<double>(), 0.0);
  EXPECT_GT(o_proj.grad().slice(0, old_hidden).abs().max().item<double>(), 0.0);
  EXPECT_GT(o_proj.grad().slice(1, old_width).abs().max().item<double>(), 0.0);
  const auto down = parameters.at("model.layers.3.mlp.down_proj.weight");
  EXPECT_GT(down.grad().slice(1, trained.config().intermediate_size).abs().max().item<double>(), 0.0);
  const auto embedding = parameters.at("model.embed_tokens.weight");
  EXPECT_GT(embedding.grad().slice(1, old_hidden).abs().max().item<double>(), 0.0);
}

TEST(BackboneGrowthTest, SameSeedSameGrowth) {
  const auto trained = TrainableLlama::from_checkpoint(kModel);
  const auto config = wider_than(trained.config());
  const auto a = widen(trained, config, 5, 0.08);
  const auto b = widen(trained, config, 5, 0.08);
  for (const auto& [name, value] : a.named_parameters())
    EXPECT_TRUE(torch::equal(value, b.named_parameters().at(name))) << name;
}

TEST(BackboneGrowthTest, ShapesThatCannotBeGrownAreRefusedWithTheReason) {
  const auto trained = TrainableLlama::from_checkpoint(kModel).config();
  auto fewer_layers = wider_than(trained);
  fewer_layers.num_hidden_layers -= 1;
  EXPECT_NE(widening_problem(trained, fewer_layers).find("layers"), std::string::npos);
  auto narrower = trained;
  narrower.intermediate_size /= 2;
  EXPECT_NE(widening_problem(trained, narrower).find("intermediate_size"), std::string::npos);
  auto regrouped = wider_than(trained);
  regrouped.num_key_value_heads = 1;
  EXPECT_NE(widening_problem(trained, regrouped).find("heads per KV head"), std::string::npos);
  auto other_head_dim = trained;
  other_head_dim.head_dim *= 2;
  EXPECT_NE(widening_problem(trained, other_head_dim).find("head_dim"), std::string::npos);
}

}  // namespace
}  // namespace evomem::training
