// Forward pass, KV cache, observation hook and generation of the Llama backbone, checked
// against an independent naive reference and against itself (chunked vs one-shot,
// incremental vs full).

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "model/backbone.h"
#include "model/generation.h"
#include "model/random_checkpoint.h"
#include "model/rope.h"
#include "tests/model/backbone_test_support.h"

namespace evomem::model {
namespace {

using test_support::random_tokens;
using test_support::reference_forward;
using test_support::tiny_config;

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

Backbone make_backbone(const LlamaConfig& config, std::uint64_t seed = 7, c10::ScalarType dtype = at::kFloat) {
  return Backbone(config, random_weights(config, seed, c10::Device(c10::kCPU), dtype), c10::Device(c10::kCPU));
}

at::Tensor as_batch(const std::vector<std::int64_t>& tokens) { return at::tensor(tokens, at::kLong).unsqueeze(0); }

at::Tensor full_logits(Backbone& backbone, const std::vector<std::int64_t>& tokens, std::int64_t chunk = 0) {
  backbone.reset(1);
  PrefillOptions options;
  options.chunk_size = chunk;
  options.all_logits = true;
  return backbone.prefill(as_batch(tokens), options).squeeze(0);
}

TEST(Backbone, FullForwardMatchesNaiveReference) {
  for (const bool tied : {false, true}) {
    const LlamaConfig config = tiny_config(2, tied);
    Backbone backbone = make_backbone(config);
    const auto tokens = random_tokens(20, config.vocab_size, 1);
    const auto reference = reference_forward(config, random_checkpoint_tensors(config, 7), tokens,
                                             [](auto, auto, auto, auto) { return true; });
    EXPECT_LE(max_abs_diff(full_logits(backbone, tokens), reference.logits), 1e-4) << "tied=" << tied;
  }
}

TEST(Backbone, IncrementalDecodeEqualsFullForward) {
  for (const std::int64_t kv_heads : {1, 2, 4}) {
    const LlamaConfig config = tiny_config(kv_heads);
    Backbone backbone = make_backbone(config);
    const auto tokens = random_tokens(24, config.vocab_size, 2);
    const at::Tensor full = full_logits(backbone, tokens);
    backbone.reset(1);
    const std::vector<std::int64_t> prompt(tokens.begin(), tokens.begin() + 5);
    at::Tensor logits = backbone.prefill(as_batch(prompt));
    EXPECT_LE(max_abs_diff(logits[0], full[4]), 1e-5);
    for (std::size_t i = 5; i < tokens.size(); ++i) {
      logits = backbone.decode_step(at::tensor({tokens[i]}, at::kLong));
      EXPECT_LE(max_abs_diff(logits[0], full[static_cast<std::int64_t>(i)]), 1e-5) << "position " << i;
    }
  }
}

TEST(Backbone, ChunkedPrefillEqualsOneShot) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto tokens = random_tokens(37, config.vocab_size, 3);
  const at::Tensor one_shot = full_logits(backbone, tokens);
  for (const std::int64_t chunk : {1, 3, 8, 16, 36}) {
    EXPECT_LE(max_abs_diff(full_logits(backbone, tokens, chunk), one_shot), 1e-5) << "chunk " << chunk;
  }
}

// Keeps everything but records what it saw and checks its shape invariants.
class RecordingObserver : public AttentionObserver {
 public:
  explicit RecordingObserver(std::int64_t interval, bool keep_mask = true)
      : interval_(interval), keep_mask_(keep_mask) {}
  std::int64_t update_interval() const override { return interval_; }
  std::optional<at::Tensor> on_update(const AttentionObservation& observation) override {
    observations.push_back(observation);
    observations.back().attention = observation.attention.clone();
    observations.back().positions = observation.positions.clone();
    observations.back().valid = observation.valid.clone();
    if (!keep_mask_) return std::nullopt;
    return at::ones_like(observation.valid);
  }
  std::vector<AttentionObservation> observations;

 private:
  std::int64_t interval_;
  bool keep_mask_;
};

TEST(Observation, KeepEverythingObserverChangesNothing) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto tokens = random_tokens(30, config.vocab_size, 4);
  const at::Tensor plain = full_logits(backbone, tokens);
  for (const std::int64_t chunk : {4, 5, 16}) {
    RecordingObserver observer(8);
    backbone.reset(1);
    PrefillOptions options;
    options.chunk_size = chunk;
    options.observer = &observer;
    options.all_logits = true;
    const std::vector<std::int64_t> prompt(tokens.begin(), tokens.begin() + 21);
    const at::Tensor prefill = backbone.prefill(as_batch(prompt), options).squeeze(0);
    EXPECT_LE(max_abs_diff(prefill, plain.narrow(0, 0, 21)), 1e-5) << "chunk " << chunk;
    for (std::size_t i = 21; i < tokens.size(); ++i) {
      const at::Tensor logits = backbone.decode_step(at::tensor({tokens[i]}, at::kLong), &observer);
      EXPECT_LE(max_abs_diff(logits[0], plain[static_cast<std::int64_t>(i)]), 1e-5) << "position " << i;
    }
    // Updates at 8, 16, 24 tokens, each for both layers.
    ASSERT_EQ(observer.observations.size(), 6u) << "chunk " << chunk;
  }
}

TEST(Observation, AttentionRowsMatchReferenceProbabilities) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto tokens = random_tokens(24, config.vocab_size, 5);
  const auto reference = reference_forward(config, random_checkpoint_tensors(config, 7), tokens,
                                           [](auto, auto, auto, auto) { return true; });
  RecordingObserver observer(8, false);
  backbone.reset(1);
  PrefillOptions options;
  options.chunk_size = 3;  // chunk != interval: rows of 3 steps are stitched per update
  options.observer = &observer;
  backbone.prefill(as_batch(std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 20)), options);
  for (std::size_t i = 20; i < tokens.size(); ++i) backbone.decode_step(at::tensor({tokens[i]}, at::kLong), &observer);
  ASSERT_EQ(observer.observations.size(), 6u);
  for (const AttentionObservation& observation : observer.observations) {
    const std::int64_t end = observation.tokens_seen;
    const std::int64_t begin = end - 8;
    ASSERT_EQ(observation.attention.sizes(), (std::vector<std::int64_t>{1, 2, 8, end}));
    const at::Tensor expected = reference.group_probs[static_cast<std::size_t>(observation.layer)]
                                    .narrow(1, begin, 8)
                                    .narrow(2, 0, end)
                                    .unsqueeze(0);
    EXPECT_LE(max_abs_diff(observation.attention, expected), 1e-5) << "layer " << observation.layer << " at " << end;
    EXPECT_TRUE(at::equal(observation.query_positions[0], at::arange(begin, end, at::kLong)));
    EXPECT_TRUE(at::equal(observation.positions[0][1], at::arange(end, at::kLong)));
    EXPECT_LE(max_abs_diff(observation.attention.sum(-1), at::ones({1, 2, 8})), 1e-5);
  }
}

// Evicts by a fixed rule so that the reference can reproduce every decision.
class RuleEvictionObserver : public AttentionObserver {
 public:
  static bool evicts(std::int64_t layer, std::int64_t kv_head, std::int64_t position, std::int64_t update_at) {
    return position < update_at - 3 && position % (kv_head + 2) == layer % 2;
  }
  std::int64_t update_interval() const override { return 8; }
  std::optional<at::Tensor> on_update(const AttentionObservation& observation) override {
    const at::Tensor positions = observation.positions[0];
    const at::Tensor valid = observation.valid[0];
    at::Tensor keep = at::ones_like(observation.valid);
    for (std::int64_t head = 0; head < positions.size(0); ++head) {
      std::set<std::int64_t> seen;
      for (std::int64_t slot = 0; slot < positions.size(1); ++slot) {
        if (!valid[head][slot].item<bool>()) continue;
        const std::int64_t position = positions[head][slot].item<std::int64_t>();
        seen.insert(position);
        if (evicts(observation.layer, head, position, observation.tokens_seen)) keep[0][head][slot] = false;
      }
      // The cache must hold exactly the positions not evicted by earlier updates.
      for (std::int64_t position = 0; position < observation.tokens_seen; ++position) {
        bool evicted_before = false;
        for (std::int64_t update = 8; update < observation.tokens_seen; update += 8) {
          evicted_before = evicted_before || evicts(observation.layer, head, position, update);
        }
        EXPECT_EQ(seen.count(position) == 0, evicted_before) << "position " << position << " head " << head;
      }
    }
    ++updates;
    return keep;
  }
  int updates = 0;
};

TEST(Observation, EvictionKeepsOriginalPositions) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto tokens = random_tokens(34, config.vocab_size, 6);
  const auto visible = [](std::int64_t layer, std::int64_t kv_head, std::int64_t query, std::int64_t key) {
    for (std::int64_t update = 8; update <= query; update += 8) {
      if (RuleEvictionObserver::evicts(layer, kv_head, key, update)) return false;
    }
    return true;
  };
  const auto reference = reference_forward(config, random_checkpoint_tensors(config, 7), tokens, visible);
  RuleEvictionObserver observer;
  backbone.reset(1);
  PrefillOptions options;
  options.chunk_size = 4;
  options.observer = &observer;
  options.all_logits = true;
  const at::Tensor prefill = backbone.prefill(as_batch(std::vector<std::int64_t>(tokens.begin(), tokens.begin() + 20)),
                                              options);
  EXPECT_LE(max_abs_diff(prefill[0], reference.logits.narrow(0, 0, 20)), 1e-4);
  for (std::size_t i = 20; i < tokens.size(); ++i) {
    const at::Tensor logits = backbone.decode_step(at::tensor({tokens[i]}, at::kLong), &observer);
    EXPECT_LE(max_abs_diff(logits[0], reference.logits[static_cast<std::int64_t>(i)]), 1e-4) << "position " << i;
  }
  EXPECT_EQ(observer.updates, 2 * 4);  // 8, 16, 24, 32 tokens, two layers
  // Compaction shrank the cache below the number of tokens seen.
  EXPECT_LT(backbone.cache().length(0), 34);
}

// Evicts by a rule that differs per variant; with `branches` > 1 it branches a one-row batch
// into one row per variant at its first update.
class VariantEvictionObserver : public AttentionObserver {
 public:
  VariantEvictionObserver(std::int64_t branches, std::int64_t variant) : branches_(branches), variant_(variant) {}
  std::int64_t update_interval() const override { return 8; }
  std::optional<at::Tensor> on_update(const AttentionObservation& observation) override {
    const std::int64_t rows = observation.valid.size(0) == 1 ? branches_ : observation.valid.size(0);
    at::Tensor keep = at::ones({rows, observation.valid.size(1), observation.valid.size(2)}, at::kBool);
    for (std::int64_t row = 0; row < rows; ++row) {
      const std::int64_t variant = branches_ > 1 ? row : variant_;
      const at::Tensor positions = observation.positions[observation.valid.size(0) == 1 ? 0 : row];
      const at::Tensor evicted = positions.lt(observation.tokens_seen - 3)
                                     .logical_and_(positions.remainder(variant + 2).eq(observation.layer % 2));
      keep[row].masked_fill_(evicted, false);
    }
    return keep;
  }

 private:
  std::int64_t branches_;
  std::int64_t variant_;
};

TEST(Observation, BranchedRowsEqualSeparateRuns) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto tokens = random_tokens(26, config.vocab_size, 5);
  const std::vector<std::int64_t> prompt(tokens.begin(), tokens.begin() + 20);
  constexpr std::int64_t kBranches = 3;
  // One row until the update at 8 tokens, then three, each evicting by its own rule.
  VariantEvictionObserver branching(kBranches, 0);
  backbone.reset(1);
  PrefillOptions options;
  options.chunk_size = 6;
  options.observer = &branching;
  options.all_logits = true;
  const at::Tensor branched = backbone.prefill(as_batch(prompt), options);
  ASSERT_EQ(backbone.batch_size(), kBranches);
  ASSERT_EQ(branched.size(0), kBranches);
  std::vector<at::Tensor> branched_decode;
  for (std::size_t i = 20; i < tokens.size(); ++i) {
    branched_decode.push_back(backbone.decode_step(at::full({kBranches}, tokens[i], at::kLong), &branching));
  }
  std::vector<at::Tensor> positions, valid, keys, values;
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    backbone.cache().compact(layer);
    positions.push_back(backbone.cache().positions(layer).clone());
    valid.push_back(backbone.cache().valid(layer).clone());
    keys.push_back(backbone.cache().keys(layer).clone());
    values.push_back(backbone.cache().values(layer).clone());
  }
  // Kept slots of one head as [slots, head_dim].
  const auto kept_rows = [](const at::Tensor& tensor, const at::Tensor& mask) { return tensor.index({mask}); };
  for (std::int64_t variant = 0; variant < kBranches; ++variant) {
    VariantEvictionObserver single(1, variant);
    backbone.reset(1);
    options.observer = &single;
    const at::Tensor logits = backbone.prefill(as_batch(prompt), options);
    EXPECT_LE(max_abs_diff(branched[variant], logits[0]), 1e-5) << "variant " << variant;
    for (std::size_t i = 20; i < tokens.size(); ++i) {
      const at::Tensor step = backbone.decode_step(at::tensor({tokens[i]}, at::kLong), &single);
      EXPECT_LE(max_abs_diff(branched_decode[i - 20][variant], step[0]), 1e-5) << "variant " << variant;
    }
    for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
      backbone.cache().compact(layer);
      // The same tokens in the same order; the branched layer may carry more padding slots
      // (its length is the longest row's).
      for (std::int64_t head = 0; head < config.num_key_value_heads; ++head) {
        const at::Tensor kept = backbone.cache().positions(layer)[0][head].masked_select(
            backbone.cache().valid(layer)[0][head]);
        const at::Tensor mask = valid[layer][variant][head];
        EXPECT_TRUE(at::equal(positions[layer][variant][head].masked_select(mask), kept))
            << "variant " << variant << " layer " << layer << " head " << head;
        // The shared prefix's cache, computed once and copied, equals the recomputed one:
        // bit for bit for the tokens before the branching update, to float rounding after.
        const at::Tensor alone_mask = backbone.cache().valid(layer)[0][head];
        const at::Tensor shared_keys = kept_rows(keys[layer][variant][head], mask);
        const at::Tensor alone_keys = kept_rows(backbone.cache().keys(layer)[0][head], alone_mask);
        const std::int64_t prefix = kept.lt(8).sum().item<std::int64_t>();
        EXPECT_TRUE(at::equal(shared_keys.narrow(0, 0, prefix), alone_keys.narrow(0, 0, prefix)));
        EXPECT_TRUE(at::equal(kept_rows(values[layer][variant][head], mask).narrow(0, 0, prefix),
                              kept_rows(backbone.cache().values(layer)[0][head], alone_mask).narrow(0, 0, prefix)));
        EXPECT_LE(max_abs_diff(shared_keys, alone_keys), 1e-5);
        EXPECT_LE(max_abs_diff(kept_rows(values[layer][variant][head], mask),
                               kept_rows(backbone.cache().values(layer)[0][head], alone_mask)),
                  1e-5);
      }
    }
  }
  // The rows differ: the variants evict different tokens.
  EXPECT_FALSE(at::equal(valid[0][0].sum(-1), valid[0][1].sum(-1)));
}

TEST(Generation, BranchesAtTheFirstUpdateEvenDuringDecode) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto prompt = random_tokens(5, config.vocab_size, 6);
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.use_config_eos = false;
  options.chunk_size = 4;
  VariantEvictionObserver branching(2, 0);
  options.observer = &branching;
  const auto branched = generate(backbone, {prompt}, options);
  ASSERT_EQ(branched.size(), 2u);
  for (std::int64_t variant = 0; variant < 2; ++variant) {
    VariantEvictionObserver single(1, variant);
    options.observer = &single;
    const auto alone = generate(backbone, {prompt}, options);
    EXPECT_EQ(branched[static_cast<std::size_t>(variant)].tokens, alone.front().tokens) << "variant " << variant;
  }
}

TEST(KvCache, RowsOfDifferentLengthsGetWindowsAtTheEnd) {
  LlamaConfig config = tiny_config(2);
  config.num_hidden_layers = 1;
  KvCache cache(config, 1, c10::Device(c10::kCPU), at::kFloat, 4);
  const at::Tensor keys = at::arange(2 * 6 * 8, at::kFloat).view({1, 2, 6, 8});
  cache.append(0, keys, -keys, at::arange(10, 16, at::kLong).unsqueeze(0), at::Tensor());
  cache.repeat_rows(0, 2);
  ASSERT_EQ(cache.batch_size(), 2);
  // Row 0 keeps 4 and 3 slots in its heads, row 1 everything but one slot of head 1.
  at::Tensor keep = at::ones({2, 2, 6}, at::kBool);
  keep[0][0][0] = false;
  keep[0][0][3] = false;
  keep[0][1][1] = false;
  keep[0][1][2] = false;
  keep[0][1][5] = false;
  keep[1][1][4] = false;
  cache.evict(0, keep, /*compact=*/false);
  EXPECT_EQ(cache.length(0), 6);  // compaction waits for the next append
  cache.compact(0);
  ASSERT_EQ(cache.length(0), 6);
  EXPECT_EQ(cache.row_starts(0), (std::vector<std::int64_t>{2, 0}));
  // Row 0 keeps at most 4 tokens a head: its window is the last 4 slots, each head's tokens
  // first (head 0: 11 12 14 15; head 1: 10 13 14, then padding).
  EXPECT_TRUE(
      at::equal(cache.positions(0)[0][0].narrow(0, 2, 4), at::tensor(std::vector<std::int64_t>{11, 12, 14, 15})));
  EXPECT_TRUE(at::equal(cache.positions(0)[0][1].narrow(0, 2, 3), at::tensor(std::vector<std::int64_t>{10, 13, 14})));
  EXPECT_TRUE(at::equal(cache.valid(0)[0].sum(-1), at::tensor(std::vector<std::int64_t>{4, 3})));
  EXPECT_FALSE(cache.valid(0)[0].narrow(1, 0, 2).any().item<bool>());
  EXPECT_TRUE(at::equal(cache.keys(0)[0][1][3], keys[0][1][3]));
  EXPECT_TRUE(
      at::equal(cache.positions(0)[1][1].narrow(0, 0, 5), at::tensor(std::vector<std::int64_t>{10, 11, 12, 13, 15})));
  // Appends go after every window; a batch of one never has windows.
  cache.append(0, at::zeros({2, 2, 1, 8}), at::zeros({2, 2, 1, 8}), at::full({2, 1}, 16, at::kLong), at::Tensor());
  EXPECT_EQ(cache.length(0), 7);
  EXPECT_TRUE(cache.valid(0).select(2, 6).all().item<bool>());
}

TEST(KvCache, CompactionMovesValidSlotsToTheFrontPerHead) {
  LlamaConfig config = tiny_config(2);
  config.num_hidden_layers = 1;
  KvCache cache(config, 1, c10::Device(c10::kCPU), at::kFloat, 4);
  const at::Tensor keys = at::arange(2 * 6 * 8, at::kFloat).view({1, 2, 6, 8});
  const at::Tensor values = -keys;
  cache.append(0, keys, values, at::arange(10, 16, at::kLong).unsqueeze(0), at::Tensor());
  at::Tensor keep = at::ones({1, 2, 6}, at::kBool);
  keep[0][0][1] = false;
  keep[0][0][4] = false;
  keep[0][1][0] = false;
  cache.evict(0, keep, true);
  ASSERT_EQ(cache.length(0), 5);
  EXPECT_TRUE(
      at::equal(cache.positions(0)[0][0].narrow(0, 0, 4), at::tensor(std::vector<std::int64_t>{10, 12, 13, 15})));
  EXPECT_TRUE(at::equal(cache.positions(0)[0][1], at::tensor(std::vector<std::int64_t>{11, 12, 13, 14, 15})));
  EXPECT_TRUE(at::equal(cache.valid(0)[0][0], at::tensor(std::vector<std::int64_t>{1, 1, 1, 1, 0}).to(at::kBool)));
  EXPECT_TRUE(at::equal(cache.keys(0)[0][0][2], keys[0][0][3]));
  EXPECT_TRUE(at::equal(cache.values(0)[0][1][0], values[0][1][1]));
  EXPECT_FALSE(cache.all_valid(0));
  EXPECT_TRUE(at::equal(cache.valid_counts(0)[0], at::tensor(std::vector<std::int64_t>{4, 5})));
  // Appends go after the padding and grow the storage past its initial capacity.
  cache.append(0, keys.narrow(2, 0, 2), values.narrow(2, 0, 2),
               at::tensor(std::vector<std::int64_t>{16, 17}).unsqueeze(0), at::Tensor());
  EXPECT_EQ(cache.length(0), 7);
  EXPECT_EQ(cache.positions(0)[0][0][6].item<std::int64_t>(), 17);
}

TEST(Backbone, LeftPaddedBatchMatchesSingleSequences) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const std::vector<std::vector<std::int64_t>> prompts = {random_tokens(5, config.vocab_size, 10),
                                                          random_tokens(12, config.vocab_size, 11),
                                                          random_tokens(9, config.vocab_size, 12)};
  GenerationOptions options;
  options.max_new_tokens = 6;
  options.use_config_eos = false;
  options.chunk_size = 4;
  const auto batched = generate(backbone, prompts, options);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto single = generate(backbone, {prompts[i]}, options);
    EXPECT_EQ(batched[i].tokens, single[0].tokens) << "prompt " << i;
    EXPECT_EQ(batched[i].tokens.size(), 6u);
  }
  // The padded batch's logits equal the single-sequence ones.
  backbone.reset(1);
  const at::Tensor single_logits = backbone.prefill(as_batch(prompts[0]));
  backbone.reset(2);
  at::Tensor batch_tokens = at::zeros({2, 12}, at::kLong);
  at::Tensor valid = at::zeros({2, 12}, at::kBool);
  batch_tokens[0].narrow(0, 7, 5).copy_(at::tensor(prompts[0], at::kLong));
  valid[0].narrow(0, 7, 5).fill_(true);
  batch_tokens[1].copy_(at::tensor(prompts[1], at::kLong));
  valid[1].fill_(true);
  PrefillOptions prefill_options;
  prefill_options.token_valid = valid;
  prefill_options.chunk_size = 5;
  const at::Tensor batch_logits = backbone.prefill(batch_tokens, prefill_options);
  EXPECT_LE(max_abs_diff(batch_logits[0], single_logits[0]), 1e-5);
}

TEST(Generation, StopsAtStopTokensAndStopStrings) {
  const LlamaConfig config = tiny_config(2);
  Backbone backbone = make_backbone(config);
  const auto prompt = random_tokens(7, config.vocab_size, 13);
  const DecodeFunction decode = [](const std::vector<std::int64_t>& ids) {
    std::string text;
    for (const std::int64_t id : ids) text += "<" + std::to_string(id) + ">";
    return text;
  };
  GenerationOptions options;
  options.max_new_tokens = 12;
  options.use_config_eos = false;
  options.decode = decode;
  const auto free_run = generate(backbone, {prompt}, options)[0];
  ASSERT_EQ(free_run.tokens.size(), 12u);
  EXPECT_EQ(free_run.stop_reason, GenerationResult::StopReason::kLength);
  EXPECT_EQ(free_run.text, decode(free_run.tokens));

  // Stop at the first occurrence of the 4th generated token.
  const std::int64_t stop_token = free_run.tokens[3];
  const auto first = std::find(free_run.tokens.begin(), free_run.tokens.end(), stop_token) - free_run.tokens.begin();
  GenerationOptions stop_token_options = options;
  stop_token_options.stop_token_ids = {stop_token};
  const auto stopped = generate(backbone, {prompt}, stop_token_options)[0];
  EXPECT_EQ(stopped.stop_reason, GenerationResult::StopReason::kStopToken);
  EXPECT_EQ(stopped.tokens, std::vector<std::int64_t>(free_run.tokens.begin(), free_run.tokens.begin() + first));

  // A stop string spanning the 3rd and 4th tokens: the text is cut before it.
  GenerationOptions stop_string_options = options;
  const std::string stop = std::to_string(free_run.tokens[2]) + "><" + std::to_string(free_run.tokens[3]);
  stop_string_options.stop_strings = {stop};
  const auto cut = generate(backbone, {prompt}, stop_string_options)[0];
  EXPECT_EQ(cut.stop_reason, GenerationResult::StopReason::kStopString);
  EXPECT_LE(cut.tokens.size(), 4u);
  EXPECT_EQ(cut.text.find(stop), std::string::npos);
  EXPECT_EQ(decode(free_run.tokens).find(cut.text), 0u);

  GenerationOptions no_decode = options;
  no_decode.decode = nullptr;
  no_decode.stop_strings = {"x"};
  EXPECT_THROW(generate(backbone, {prompt}, no_decode), InputError);
}

TEST(Backbone, ReducedPrecisionStaysCloseToFloat32) {
  const LlamaConfig config = tiny_config(2);
  Backbone reference = make_backbone(config);
  const auto tokens = random_tokens(16, config.vocab_size, 14);
  const at::Tensor expected = full_logits(reference, tokens);
  for (const c10::ScalarType dtype : {at::kBFloat16, at::kHalf}) {
    Backbone backbone = make_backbone(config, 7, dtype);
    EXPECT_EQ(backbone.dtype(), dtype);
    const at::Tensor logits = full_logits(backbone, tokens, 5);
    EXPECT_EQ(logits.scalar_type(), at::kFloat);
    const double scale = expected.abs().max().item<double>();
    EXPECT_LE(max_abs_diff(logits, expected), (dtype == at::kHalf ? 0.01 : 0.06) * scale) << c10::toString(dtype);
    // The KV cache is kept in the model's dtype.
    EXPECT_EQ(backbone.cache().keys(0).scalar_type(), dtype);
  }
}

TEST(Rope, ScalingFrequenciesFollowTheirFormulas) {
  LlamaConfig config = tiny_config();
  config.head_dim = 128;
  config.rope_theta = 500000.0;
  config.max_position_embeddings = 8192;
  const at::Tensor base = rope_inverse_frequencies(config, 10);
  for (std::int64_t i = 0; i < 64; ++i) {
    EXPECT_NEAR(base[i].item<double>(), std::pow(500000.0, -2.0 * static_cast<double>(i) / 128.0),
                1e-6 * base[i].item<double>() + 1e-12);
  }
  config.rope_scaling.type = RopeScaling::Type::kLinear;
  config.rope_scaling.factor = 4.0;
  EXPECT_LE(max_abs_diff(rope_inverse_frequencies(config, 10), base / 4.0), 1e-12);

  // Llama 3.1: factor 8, low 1, high 4, original 8192.
  config.rope_scaling = RopeScaling{RopeScaling::Type::kLlama3, 8.0, 1.0, 4.0, 8192};
  const at::Tensor llama3 = rope_inverse_frequencies(config, 10);
  for (std::int64_t i = 0; i < 64; ++i) {
    const double frequency = std::pow(500000.0, -2.0 * static_cast<double>(i) / 128.0);
    const double wavelength = 2.0 * M_PI / frequency;
    double expected = frequency;
    if (wavelength > 8192.0) {
      expected = frequency / 8.0;
    } else if (wavelength >= 8192.0 / 4.0) {
      const double smooth = (8192.0 / wavelength - 1.0) / (4.0 - 1.0);
      expected = (1.0 - smooth) * frequency / 8.0 + smooth * frequency;
    }
    EXPECT_NEAR(llama3[i].item<double>(), expected, 1e-5 * expected) << "dimension " << i;
  }

  config.rope_scaling = RopeScaling{RopeScaling::Type::kDynamic, 2.0, 1.0, 4.0, 8192};
  EXPECT_LE(max_abs_diff(rope_inverse_frequencies(config, 8192), base), 0.0);
  const double grown_base = 500000.0 * std::pow(2.0 * 16384.0 / 8192.0 - 1.0, 128.0 / 126.0);
  const at::Tensor dynamic = rope_inverse_frequencies(config, 16384);
  for (std::int64_t i = 0; i < 64; ++i) {
    const double expected = std::pow(grown_base, -2.0 * static_cast<double>(i) / 128.0);
    EXPECT_NEAR(dynamic[i].item<double>(), expected, 1e-5 * expected);
  }
}

}  // namespace
}  // namespace evomem::model
