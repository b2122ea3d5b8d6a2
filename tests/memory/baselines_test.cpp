#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "memory/attention_policies.h"
#include "memory/retention_recorder.h"
#include "memory/selection.h"
#include "memory/static_policies.h"
#include "tests/memory/observation_builder.h"

namespace evomem::memory {
namespace {

using test_support::kept_slots;
using test_support::set_attention;
using test_support::simple_observation;
using Slots = std::set<std::int64_t>;

at::Tensor bools(std::vector<std::int64_t> values) { return at::tensor(values, at::kLong).to(at::kBool); }

TEST(Selection, KeepTopBreaksTiesByLowerSlotAndSkipsInvalid) {
  const at::Tensor scores = at::tensor({1.0, 3.0, 3.0, 2.0, 5.0}, at::kDouble).view({1, 1, 5});
  at::Tensor valid = at::ones({1, 1, 5}, at::kBool);
  valid[0][0][4] = false;
  const at::Tensor keep = keep_top(scores, valid, at::full({1, 1}, 2, at::kLong));
  EXPECT_EQ(kept_slots(keep, 0), (Slots{1, 2}));
  const at::Tensor keep3 = keep_top(scores, valid, at::full({1, 1}, 3, at::kLong));
  EXPECT_EQ(kept_slots(keep3, 0), (Slots{1, 2, 3}));
  // Asking for more than there is keeps only valid slots.
  EXPECT_EQ(kept_slots(keep_top(scores, valid, at::full({1, 1}, 9, at::kLong)), 0), (Slots{0, 1, 2, 3}));
}

TEST(Selection, CarryByPositionFollowsCompactionAndZeroesNewTokens) {
  // Old layout: positions 0..4, slots 1 and 3 evicted.
  const at::Tensor old_positions = at::arange(5, at::kLong).view({1, 1, 5});
  const at::Tensor old_kept = bools({1, 0, 1, 0, 1}).view({1, 1, 5});
  const at::Tensor old_values = at::tensor({10.0, 11.0, 12.0, 13.0, 14.0}, at::kDouble).view({1, 1, 5, 1});
  // New layout after compaction: 0, 2, 4, then an invalid padding slot, then new tokens 5, 6.
  const at::Tensor new_positions = at::tensor({0, 2, 4, 99, 5, 6}, at::kLong).view({1, 1, 6});
  const at::Tensor new_valid = bools({1, 1, 1, 0, 1, 1}).view({1, 1, 6});
  const auto carried = carry_by_position(old_values, old_positions, old_kept, new_positions, new_valid);
  const at::Tensor expected = at::tensor({10.0, 12.0, 14.0, 0.0, 0.0, 0.0}, at::kDouble).view({1, 1, 6, 1});
  EXPECT_TRUE(at::equal(carried.values, expected)) << carried.values;
  EXPECT_TRUE(at::equal(carried.matched, bools({1, 1, 1, 0, 0, 0}).view({1, 1, 6})));
}

TEST(Baselines, RecencyKeepsTheNewestWindow) {
  auto observation = simple_observation(2, 10);
  RecencyPolicy policy(Budget{false, 3});
  const at::Tensor keep = *policy.on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{7, 8, 9}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{7, 8, 9}));
  RecencyPolicy half(Budget{true, 0.5});
  EXPECT_EQ(kept_slots(*half.on_update(observation), 1), (Slots{5, 6, 7, 8, 9}));
  EXPECT_FALSE(policy.needs_attention());
}

TEST(Baselines, RecencyFollowsPositionsNotSlots) {
  // After a compaction the slot order is by position, but a padding slot sits in between.
  auto observation = simple_observation(1, 6);
  observation.positions = at::tensor({0, 4, 9, 7, 10, 11}, at::kLong).view({1, 1, 6});
  observation.positions[0][0][3] = 100;  // invalid slot with a garbage position
  observation.valid[0][0][3] = false;
  RecencyPolicy policy(Budget{false, 3});
  EXPECT_EQ(kept_slots(*policy.on_update(observation), 0), (Slots{2, 4, 5}));
}

TEST(Baselines, StreamingKeepsSinksAndWindow) {
  auto observation = simple_observation(1, 12);
  StreamingPolicy policy(2, Budget{false, 3});
  EXPECT_EQ(kept_slots(*policy.on_update(observation), 0), (Slots{0, 1, 9, 10, 11}));
  // A short cache keeps everything.
  auto small = simple_observation(1, 4);
  EXPECT_EQ(kept_slots(*policy.on_update(small), 0), (Slots{0, 1, 2, 3}));
}

TEST(Baselines, L2KeepsSmallestNormsAndSkipsLayers) {
  auto observation = simple_observation(2, 6, /*layer=*/1);
  observation.key_norms =
      at::tensor({5.0, 1.0, 4.0, 2.0, 6.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.5}, at::kFloat).view({1, 2, 6});
  L2NormPolicy policy(Budget{false, 3}, {0});
  const at::Tensor keep = *policy.on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{1, 3, 5}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{0, 1, 5}));
  observation.layer = 0;
  EXPECT_FALSE(policy.on_update(observation).has_value());
  L2NormPolicy half(Budget{true, 0.5}, {});
  observation.layer = 3;
  EXPECT_EQ(kept_slots(*half.on_update(observation), 0), (Slots{1, 3, 5}));
}

TEST(Baselines, RandomIsSeededAndKeepsTheBudget) {
  auto observation = simple_observation(4, 50);
  RandomPolicy a(Budget{false, 20}, 7);
  RandomPolicy b(Budget{false, 20}, 7);
  RandomPolicy c(Budget{false, 20}, 8);
  const at::Tensor keep_a = *a.on_update(observation);
  EXPECT_TRUE(at::equal(keep_a, *b.on_update(observation)));
  EXPECT_FALSE(at::equal(keep_a, *c.on_update(observation)));
  EXPECT_TRUE(at::equal(keep_a.sum(-1), at::full({1, 4}, 20, at::kLong)));
  // Heads draw independently.
  EXPECT_NE(kept_slots(keep_a, 0), kept_slots(keep_a, 1));
  // reset() replays the same draws.
  const at::Tensor second = *a.on_update(observation);
  a.reset();
  EXPECT_TRUE(at::equal(*a.on_update(observation), keep_a));
  EXPECT_FALSE(at::equal(second, keep_a));
}

TEST(Baselines, H2OKeepsRecentPlusHeavyHitters) {
  auto observation = simple_observation(2, 8);
  // Two queries (positions 6, 7). Head 0: slot 1 and slot 3 receive most; head 1: slots 0, 2.
  at::Tensor rows = at::zeros({1, 2, 2, 8});
  rows[0][0][0][1] = 0.5;
  rows[0][0][0][3] = 0.3;
  rows[0][0][0][6] = 0.2;
  rows[0][0][1][1] = 0.2;
  rows[0][0][1][3] = 0.3;
  rows[0][0][1][5] = 0.4;
  rows[0][0][1][7] = 0.1;
  rows[0][1][0][0] = 0.6;
  rows[0][1][0][2] = 0.4;
  rows[0][1][1][2] = 0.7;
  rows[0][1][1][7] = 0.3;
  set_attention(observation, rows);
  H2OPolicy policy(Budget{false, 2}, Budget{false, 2});
  EXPECT_TRUE(policy.needs_attention());
  const at::Tensor keep = *policy.on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{1, 3, 6, 7}));  // slot 5 (0.4) loses to 1 (0.7) and 3 (0.6)
  EXPECT_EQ(kept_slots(keep, 1), (Slots{0, 2, 6, 7}));
}

TEST(Baselines, H2OAccumulatesAcrossUpdatesThroughCompaction) {
  // Update 1: 4 tokens, keep recent 1 + heavy 2.
  auto first = simple_observation(1, 4);
  at::Tensor rows1 = at::zeros({1, 1, 1, 4});
  rows1[0][0][0][0] = 0.1;
  rows1[0][0][0][1] = 0.5;
  rows1[0][0][0][2] = 0.4;
  set_attention(first, rows1);
  H2OPolicy policy(Budget{false, 2}, Budget{false, 1});
  EXPECT_EQ(kept_slots(*policy.on_update(first), 0), (Slots{1, 2, 3}));
  // Update 2: the cache compacted to positions 1, 2, 3 and gained 4, 5.
  model::AttentionObservation second;
  second.layer = 0;
  second.tokens_seen = 6;
  second.positions = at::tensor({1, 2, 3, 4, 5}, at::kLong).view({1, 1, 5});
  second.valid = at::ones({1, 1, 5}, at::kBool);
  second.key_norms = at::ones({1, 1, 5});
  at::Tensor rows2 = at::zeros({1, 1, 2, 5});
  rows2[0][0][0][2] = 0.45;
  rows2[0][0][0][3] = 0.55;  // token 3 now 0.45, token 4: 0.55 (pos 4)
  rows2[0][0][1][1] = 0.35;
  rows2[0][0][1][4] = 0.65;  // token 2: 0.4 + 0.35 = 0.75
  set_attention(second, rows2);
  const at::Tensor keep = *policy.on_update(second);
  // Accumulated: pos1 0.5, pos2 0.75, pos3 0.45, pos4 0.55; recent = pos 5.
  EXPECT_EQ(kept_slots(keep, 0), (Slots{1, 3, 4}));
  const at::Tensor accumulated = policy.accumulated(0);
  EXPECT_NEAR(accumulated[0][0][1].item<double>(), 0.75, 1e-6);
  EXPECT_NEAR(accumulated[0][0][0].item<double>(), 0.5, 1e-6);
  policy.reset();
  EXPECT_FALSE(policy.accumulated(0).defined());
}

TEST(Baselines, SnapKVVotesWithTheWindowPoolsAndKeepsTheWindow) {
  auto observation = simple_observation(1, 10);
  // Queries at positions 6..9; window 2 -> only the rows of queries 8 and 9 vote.
  at::Tensor rows = at::zeros({1, 1, 4, 10});
  rows[0][0][0][0] = 1.0;  // query 6: outside the window, ignored
  rows[0][0][2][2] = 0.6;  // query 8
  rows[0][0][2][8] = 0.4;
  rows[0][0][3][5] = 0.5;  // query 9
  rows[0][0][3][4] = 0.2;
  rows[0][0][3][9] = 0.3;
  set_attention(observation, rows);
  // kernel 1: plain votes. budget 4 = window (8, 9) + top 2 of the prefix: 2 (0.6), 5 (0.5).
  SnapKVPolicy plain(2, 1, Budget{false, 4});
  EXPECT_EQ(kept_slots(*plain.on_update(observation), 0), (Slots{2, 5, 8, 9}));
  // kernel 3 average: pooled[3] = (0.6 + 0 + 0.2)/3, pooled[4] = pooled[5] = 0.7/3, pooled[1] = pooled[2] = 0.6/3.
  // Top 2 of the prefix: slot 3, then slot 4 (ties with 5; the lower slot wins).
  SnapKVPolicy pooled(2, 3, Budget{false, 4});
  EXPECT_EQ(kept_slots(*pooled.on_update(observation), 0), (Slots{3, 4, 8, 9}));
  SnapKVPolicy max_pooled(2, 3, Budget{false, 4}, SnapKVPolicy::Pooling::kMax);
  // max pooling: slots 1, 2, 3 get 0.6; lowest two slots win.
  EXPECT_EQ(kept_slots(*max_pooled.on_update(observation), 0), (Slots{1, 2, 8, 9}));
  EXPECT_THROW(SnapKVPolicy(2, 4, Budget{false, 4}), ConfigError);
}

TEST(RetentionRecorder, CountsAgesAndEvictionTimes) {
  RetentionRecorder recorder(/*detailed=*/true);
  RecencyPolicy policy(Budget{false, 3});
  policy.set_recorder(&recorder);
  auto observation = simple_observation(2, 8, /*layer=*/1);
  observation.valid[0][1][0] = false;  // head 1 has one slot less
  policy.on_update(observation);
  ASSERT_EQ(recorder.layers(), 2);
  EXPECT_TRUE(recorder.layer(0).updates.empty());
  const auto& update = recorder.layer(1).updates.at(0);
  EXPECT_EQ(update.tokens_seen, 8);
  EXPECT_TRUE(at::equal(update.cached, at::tensor({8, 7}, at::kLong).view({1, 2})));
  EXPECT_TRUE(at::equal(update.kept, at::tensor({3, 3}, at::kLong).view({1, 2})));
  EXPECT_DOUBLE_EQ(update.mean_age[0][0].item<double>(), 1.0);  // ages 0, 1, 2
  EXPECT_EQ(update.max_age[0][1].item<std::int64_t>(), 2);
  const auto& layer = recorder.layer(1);
  EXPECT_TRUE(at::equal(layer.evicted_at[0][0], at::tensor({8, 8, 8, 8, 8, -1, -1, -1}, at::kInt)));
  const at::Tensor mask = layer.keep_mask(10);  // two later tokens, never looked at: cached
  ASSERT_EQ(mask.sizes(), (std::vector<std::int64_t>{1, 2, 10}));
  EXPECT_TRUE(at::equal(mask[0][0], at::tensor({0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, at::kLong).to(at::kByte)));
  // A second update at 12 tokens evicts position 5; position 4 keeps its first eviction.
  auto later = simple_observation(2, 12, /*layer=*/1);
  later.valid.narrow(2, 0, 5).fill_(false);
  later.tokens_seen = 12;
  policy.on_update(later);
  EXPECT_TRUE(at::equal(layer.evicted_at[0][0], at::tensor({8, 8, 8, 8, 8, 12, 12, 12, 12, -1, -1, -1}, at::kInt)));
  const auto summary = recorder.summary();
  EXPECT_EQ(summary["layers"][1]["final_kept"][0][1].get<std::int64_t>(), 3);
  EXPECT_NEAR(summary["layers"][1]["mean_kept_fraction"].get<double>(), (6.0 / 15.0 + 6.0 / 14.0) / 2.0, 1e-12);
  // Summary mode keeps no masks; the full policy records "keep everything".
  RetentionRecorder cheap;
  FullCachePolicy full;
  full.set_recorder(&cheap);
  full.on_update(observation);
  EXPECT_FALSE(cheap.layer(1).evicted_at.defined());
  EXPECT_TRUE(at::equal(cheap.layer(1).updates[0].kept, cheap.layer(1).updates[0].cached));
  recorder.reset();
  EXPECT_EQ(recorder.layers(), 0);
}

}  // namespace
}  // namespace evomem::memory
