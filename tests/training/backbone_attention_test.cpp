// Where each head looks: the probabilities agree with attention computed by hand, the
// frequency pairs' parts add up to the scores, a head with zero queries looks everywhere
// alike, and positions past the query play no part.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "model/rope.h"
#include "training/backbone_attention.h"
#include "training/backbone_trainer_model.h"

namespace evomem::training {
namespace {

const std::filesystem::path kModel = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";

std::vector<std::int64_t> random_tokens(std::int64_t vocabulary, std::int64_t length) {
  torch::manual_seed(5);
  const auto ids = torch::randint(vocabulary, {length}, torch::kLong);
  return std::vector<std::int64_t>(ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + length);
}

TEST(BackboneAttentionTest, LayerZeroMatchesAttentionByHandAndPairsAddUpToTheScores) {
  const auto model = TrainableLlama::from_checkpoint(kModel);
  const auto& config = model.config();
  const auto tokens = random_tokens(config.vocab_size, 700);
  const std::int64_t query = 650;
  const auto heads = attention_at(model, tokens, query);
  ASSERT_EQ(heads.size(), static_cast<std::size_t>(config.num_hidden_layers * config.num_attention_heads));

  // Layer 0 by hand: RMSNorm of the embeddings, projections, RoPE (with the checkpoint's
  // scaling), softmax of the last row.
  const auto& p = model.named_parameters();
  const auto ids = torch::tensor(tokens, torch::kLong).slice(0, 0, query + 1).unsqueeze(0);
  const auto x = torch::embedding(p.at("model.embed_tokens.weight"), ids);
  const auto h = p.at("model.layers.0.input_layernorm.weight") *
                 (x * torch::rsqrt(x.pow(2).mean(-1, true) + config.rms_norm_eps));
  const auto d = config.head_dim;
  const auto q =
      torch::linear(h, p.at("model.layers.0.self_attn.q_proj.weight")).view({1, query + 1, -1, d}).transpose(1, 2);
  const auto k =
      torch::linear(h, p.at("model.layers.0.self_attn.k_proj.weight")).view({1, query + 1, -1, d}).transpose(1, 2);
  const model::RotaryEmbedding rope(config, torch::kCPU);
  const auto [cos, sin] = rope.cos_sin(torch::arange(query + 1).unsqueeze(0), query + 1, torch::kFloat);
  const auto q_rotated = model::apply_rope(q, cos, sin);
  const auto k_rotated = model::apply_rope(k, cos, sin);
  for (std::int64_t head = 0; head < config.num_attention_heads; ++head) {
    const auto& result = heads[static_cast<std::size_t>(head)];
    EXPECT_EQ(result.layer, 0);
    EXPECT_EQ(result.head, head);
    ASSERT_EQ(result.probabilities.size(), static_cast<std::size_t>(query + 1));
    ASSERT_EQ(result.pair_scores.size(), static_cast<std::size_t>(d / 2));
    const auto scores = torch::mv(k_rotated[0][head / config.group_size()], q_rotated[0][head][query]) /
                        std::sqrt(double(d));
    const auto expected = torch::softmax(scores, 0);
    for (std::int64_t position = 0; position <= query; position += 13) {
      EXPECT_NEAR(result.probabilities[position], expected[position].item<float>(), 1e-5) << head << " " << position;
      float sum = 0.0f;
      for (const auto& pair : result.pair_scores) sum += pair[position];
      EXPECT_NEAR(sum, scores[position].item<float>(), 1e-3) << head << " " << position;
    }
  }
}

TEST(BackboneAttentionTest, ZeroQueriesLookEverywhereAlike) {
  const auto trained = TrainableLlama::from_checkpoint(kModel);
  auto parameters = trained.named_parameters();
  parameters["model.layers.1.self_attn.q_proj.weight"] = torch::zeros_like(
      parameters["model.layers.1.self_attn.q_proj.weight"]);
  const auto model = TrainableLlama::from_parameters(trained.config(), parameters, torch::kCPU);
  const std::int64_t query = 99;
  for (const auto& head : attention_at(model, random_tokens(trained.config().vocab_size, 100), query)) {
    if (head.layer != 1) continue;
    for (const float probability : head.probabilities) EXPECT_NEAR(probability, 1.0 / (query + 1), 1e-6);
    for (const auto& pair : head.pair_scores) {
      for (const float part : pair) EXPECT_EQ(part, 0.0f);
    }
  }
}

TEST(BackboneAttentionTest, LaterTokensPlayNoPartAndOutsidePositionsAreRefused) {
  const auto model = TrainableLlama::from_checkpoint(kModel);
  const auto tokens = random_tokens(model.config().vocab_size, 300);
  const auto prefix = std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 201);
  const auto whole = attention_at(model, tokens, 200);
  const auto cut = attention_at(model, prefix, 200);
  ASSERT_EQ(whole.size(), cut.size());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(whole[i].probabilities, cut[i].probabilities);
  EXPECT_THROW(attention_at(model, tokens, 300), InputError);
  EXPECT_THROW(attention_at(model, tokens, -1), InputError);
}

}  // namespace
}  // namespace evomem::training
