#pragma once
// Where each attention head of a backbone looks from one query position, and which RoPE
// frequency pairs decide it: the tool that showed why the built-in backbone missed late
// kv_retrieval keys (docs/synthetic.md, "Where kv_retrieval failed"). Scores are split by
// frequency pair because RoPE turns each pair by its own angle per token of distance, so a
// content match carried by slow pairs still depends on distance when they turn far enough.

#include <cstdint>
#include <vector>

#include "training/backbone_trainer_model.h"

namespace evomem::training {

struct HeadAttention {
  std::int64_t layer = 0;
  std::int64_t head = 0;
  // Attention probabilities over the positions 0..query.
  std::vector<float> probabilities;
  // pair_scores[i][p]: RoPE frequency pair i's part (dimensions i and i + head_dim / 2) of the
  // scaled score q.k / sqrt(head_dim) of position p; summed over i it is the score itself.
  // Pair 0 turns fastest.
  std::vector<std::vector<float>> pair_scores;
};

// Every head of every layer (layer-major) for `tokens` (BOS included if wanted) at position
// `query`; InputError when `query` is not a position of `tokens`.
std::vector<HeadAttention> attention_at(const TrainableLlama& model, const std::vector<std::int64_t>& tokens,
                                        std::int64_t query);

}  // namespace evomem::training
