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

TEST(Selection, RatioBudgetsAreASharePerRowOfTheTokensSeen) {
  // Row 0 was compacted before (head 1 holds an evicted slot with a stale position); row 1 is
  // left-padded: two padding slots, then its real tokens at positions 0..3.
  model::AttentionObservation observation;
  observation.positions = at::tensor({0, 3, 7, 8, 9, 10, 1, 4, 8, 9, 10, 99,  //
                                      0, 0, 0, 1, 2, 3,  0, 0, 0, 1, 2,  3},
                                     at::kLong)
                              .view({2, 2, 6});
  observation.valid = bools({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,  //
                             0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1})
                          .view({2, 2, 6});
  EXPECT_TRUE(at::equal(seen_tokens(observation.positions, observation.valid), at::tensor({11, 4}, at::kLong)));
  const auto counts = [&](const Budget& budget) { return budget_counts(budget, observation); };
  // 0.5 of 11 seen rounds up to 6, capped at head 1's 5 valid slots; 0.5 of 4 is 2.
  EXPECT_TRUE(at::equal(counts(Budget{true, 0.5}), at::tensor({6, 5, 2, 2}, at::kLong).view({2, 2})));
  EXPECT_TRUE(at::equal(counts(Budget{true, 0.25}), at::tensor({3, 3, 1, 1}, at::kLong).view({2, 2})));
  // A count is capped at the valid slots of each head.
  EXPECT_TRUE(at::equal(counts(Budget{false, 5}), at::tensor({5, 5, 4, 4}, at::kLong).view({2, 2})));
  EXPECT_TRUE(
      at::equal(budget_tokens(Budget{false, 5}, at::tensor({11, 4}, at::kLong)), at::tensor({5, 4}, at::kLong)));
}

TEST(Baselines, RatioBudgetsDoNotCompoundOverUpdates) {
  RecencyPolicy policy(Budget{true, 0.5});
  // Update 1: 8 tokens seen, half of them stay (positions 4..7).
  auto first = simple_observation(1, 8);
  EXPECT_EQ(kept_slots(*policy.on_update(first), 0), (Slots{4, 5, 6, 7}));
  // Update 2: the 4 survivors plus 8 new tokens (positions 8..15), 16 seen: 0.5 * 16 = 8 stay,
  // not 0.5 of the 12 cached slots (6), which would shrink the cache at every update.
  auto second = simple_observation(1, 12);
  second.tokens_seen = 16;
  second.positions = at::arange(4, 16, at::kLong).view({1, 1, 12});
  EXPECT_EQ(kept_slots(*policy.on_update(second), 0), (Slots{4, 5, 6, 7, 8, 9, 10, 11}));
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
  // Heads draw independently, and so do updates.
  EXPECT_NE(kept_slots(keep_a, 0), kept_slots(keep_a, 1));
  auto later = observation;
  later.tokens_seen += 16;
  EXPECT_FALSE(at::equal(*a.on_update(later), keep_a));
  // A token's draw follows it, not its slot: the cache reversed keeps the same tokens.
  auto reversed = observation;
  reversed.positions = observation.positions.flip(2);
  const at::Tensor kept_reversed = *a.on_update(reversed);
  EXPECT_TRUE(at::equal(observation.positions.masked_select(keep_a),
                        reversed.positions.masked_select(kept_reversed).view({4, 20}).flip(1).flatten()));
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

// One head, 12 tokens; queries 8..11, of which the window (10, 11) votes: slot 3 0.5, slot 7 0.4,
// slot 1 0.3, slot 5 0.2, slot 0 0.1, every other prefix slot 0.
model::AttentionObservation snapkv_votes_observation(std::int64_t layer) {
  auto observation = simple_observation(1, 12, layer);
  at::Tensor rows = at::zeros({1, 1, 4, 12});
  rows[0][0][0][2] = 1.0;  // query 8: outside the window, ignored
  rows[0][0][2][3] = 0.5;  // query 10
  rows[0][0][2][1] = 0.3;
  rows[0][0][2][10] = 0.2;
  rows[0][0][3][7] = 0.4;  // query 11
  rows[0][0][3][5] = 0.2;
  rows[0][0][3][0] = 0.1;
  rows[0][0][3][11] = 0.3;
  set_attention(observation, rows);
  return observation;
}

TEST(Baselines, PyramidKVLayerBudgetsFollowKvpress) {
  const at::Tensor seen = at::tensor({1000, 100}, at::kLong);
  // Budget 100, window 2, beta 20, 4 layers, 1000 seen: min 5, max 195, step 190/3, so the
  // layers keep 195, 132 (131.67), 68 (68.33), 5: 100 on average.
  PyramidKVPolicy policy(SnapKVScoring{2, 1}, Budget{false, 100}, 4, 20);
  std::vector<std::int64_t> first_row;
  for (std::int64_t layer = 0; layer < 4; ++layer)
    first_row.push_back(policy.layer_budgets(layer, seen)[0].item<std::int64_t>());
  EXPECT_EQ(first_row, (std::vector<std::int64_t>{195, 132, 68, 5}));
  // 100 seen: the budget covers everything (max >= seen - window, then min > max): plain SnapKV.
  EXPECT_EQ(policy.layer_budgets(0, seen)[1].item<std::int64_t>(), 100);
  // A ratio is a share of the tokens seen: 0.1 of 1000 is the same 100.
  PyramidKVPolicy ratio(SnapKVScoring{2, 1}, Budget{true, 0.1}, 4, 20);
  EXPECT_EQ(ratio.layer_budgets(1, seen)[0].item<std::int64_t>(), 132);
  // Budget 90 of 100 seen: max 175.5 >= 98 is capped to 98, min = 180 - 98 = 82; step 16/3.
  PyramidKVPolicy capped(SnapKVScoring{2, 1}, Budget{false, 90}, 4, 20);
  std::vector<std::int64_t> capped_row;
  for (std::int64_t layer = 0; layer < 4; ++layer)
    capped_row.push_back(capped.layer_budgets(layer, seen)[1].item<std::int64_t>());
  EXPECT_EQ(capped_row, (std::vector<std::int64_t>{98, 93, 87, 82}));
  // A narrowest layer below the window (100 / 20 = 5 < 10) falls back to the uniform budget.
  PyramidKVPolicy wide(SnapKVScoring{10, 1}, Budget{false, 100}, 4, 20);
  EXPECT_EQ(wide.layer_budgets(0, seen)[0].item<std::int64_t>(), 100);
  EXPECT_EQ(wide.layer_budgets(3, seen)[0].item<std::int64_t>(), 100);
}

TEST(Baselines, PyramidKVKeepsMoreInLowerLayers) {
  // Budget 4, window 2, beta 2, 2 layers, 12 seen: min 2, max 6, so layer 0 keeps 6 and
  // layer 1 keeps 2 (the window alone).
  PyramidKVPolicy policy(SnapKVScoring{2, 1}, Budget{false, 4}, 2, 2);
  EXPECT_TRUE(policy.needs_attention());
  EXPECT_EQ(kept_slots(*policy.on_update(snapkv_votes_observation(0)), 0), (Slots{1, 3, 5, 7, 10, 11}));
  EXPECT_EQ(kept_slots(*policy.on_update(snapkv_votes_observation(1)), 0), (Slots{10, 11}));
  // One layer: plain SnapKV with the same budget.
  PyramidKVPolicy single(SnapKVScoring{2, 1}, Budget{false, 4}, 1, 2);
  SnapKVPolicy snapkv(2, 1, Budget{false, 4});
  EXPECT_EQ(kept_slots(*single.on_update(snapkv_votes_observation(0)), 0), (Slots{3, 7, 10, 11}));
  EXPECT_EQ(kept_slots(*snapkv.on_update(snapkv_votes_observation(0)), 0), (Slots{3, 7, 10, 11}));
  // A layer beyond the declared count is a configuration error.
  EXPECT_THROW(policy.on_update(snapkv_votes_observation(2)), ConfigError);
}

// Two heads, 10 tokens; queries 8 and 9, window 1 so only query 9 votes. Head 0 has many good
// tokens (slots 0..5: 0.30 0.25 0.20 0.15 0.10 0.08), head 1 few (slots 4..6: 0.02 0.01 0.005).
model::AttentionObservation adakv_observation() {
  auto observation = simple_observation(2, 10);
  at::Tensor rows = at::zeros({1, 2, 2, 10});
  rows[0][1][0][7] = 1.0;  // query 8: outside the window, ignored
  const std::vector<double> head0 = {0.30, 0.25, 0.20, 0.15, 0.10, 0.08};
  for (std::size_t i = 0; i < head0.size(); ++i) rows[0][0][1][static_cast<std::int64_t>(i)] = head0[i];
  rows[0][0][1][9] = 0.12;
  rows[0][1][1][4] = 0.02;
  rows[0][1][1][5] = 0.01;
  rows[0][1][1][6] = 0.005;
  rows[0][1][1][9] = 0.965;
  set_attention(observation, rows);
  return observation;
}

TEST(Baselines, AdaKVSharesTheLayerBudgetAcrossHeads) {
  const auto observation = adakv_observation();
  // Budget 4: window 1 + 3 other tokens per head, 6 for the layer. alpha 0.5: each head first
  // gets floor(0.5 * 3) = 1 (head 0: slot 0, head 1: slot 4); the other 4 go to the best
  // remaining tokens of either head, all in head 0 (0.25, 0.20, 0.15, 0.10 beat 0.01).
  AdaKVPolicy policy(SnapKVScoring{1, 1}, Budget{false, 4}, 0.5);
  EXPECT_TRUE(policy.needs_attention());
  const at::Tensor keep = *policy.on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{0, 1, 2, 3, 4, 9}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{4, 9}));
  EXPECT_EQ(keep.sum().item<std::int64_t>(), 2 * 4);
  // No safeguard: head 1 keeps its window alone.
  const at::Tensor greedy = *AdaKVPolicy(SnapKVScoring{1, 1}, Budget{false, 4}, 0.0).on_update(observation);
  EXPECT_EQ(kept_slots(greedy, 0), (Slots{0, 1, 2, 3, 4, 5, 9}));
  EXPECT_EQ(kept_slots(greedy, 1), (Slots{9}));
  // A full safeguard is plain SnapKV.
  const at::Tensor uniform = *AdaKVPolicy(SnapKVScoring{1, 1}, Budget{false, 4}, 1.0).on_update(observation);
  EXPECT_EQ(kept_slots(uniform, 0), (Slots{0, 1, 2, 9}));
  EXPECT_EQ(kept_slots(uniform, 1), (Slots{4, 5, 6, 9}));
  // A ratio is a share of the tokens seen: 0.4 of 10 is the same 4.
  EXPECT_TRUE(at::equal(*AdaKVPolicy(SnapKVScoring{1, 1}, Budget{true, 0.4}, 0.5).on_update(observation), keep));
}

// After uneven updates a head may hold fewer tokens than the per-head budget; the layer's
// budget stays the budget times the heads, the other head taking what this one cannot.
TEST(Baselines, AdaKVLayerBudgetIgnoresAHeadsOwnSize) {
  auto observation = adakv_observation();
  for (const std::int64_t slot : {0, 1, 2, 3, 6}) observation.valid[0][1][slot] = false;  // head 1: 4, 5, 7, 8, 9
  // Budget 6, window 1, no safeguard: 10 other tokens for the layer. Head 0's slots 0..5 and
  // head 1's 4 and 5 score above zero; of the zeros, the lower head's slots 6 and 7 come first.
  const at::Tensor keep = *AdaKVPolicy(SnapKVScoring{1, 1}, Budget{false, 6}, 0.0).on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{0, 1, 2, 3, 4, 5, 6, 7, 9}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{4, 5, 9}));
  EXPECT_EQ(keep.logical_and(observation.valid).sum().item<std::int64_t>(), 2 * 6);
}

// Two heads, 8 tokens; queries 6 and 7. Query 7 (the newest) gives head 0: slot 0 1/8,
// slot 1 1/2, slot 3 1/4, slot 7 1/8 and head 1: slot 0 3/8, slot 2 1/4, slot 3 1/4, slot 7
// 1/8; the means are 1/4 for slots 0, 1, 3, 1/8 for slots 2 and 7. (Binary fractions: exact ties.)
model::AttentionObservation tova_observation() {
  auto observation = simple_observation(2, 8);
  at::Tensor rows = at::zeros({1, 2, 2, 8});
  rows[0][0][0][5] = 1.0;  // query 6: not the newest, ignored
  rows[0][1][0][6] = 1.0;
  rows[0][0][1][0] = 0.125;
  rows[0][0][1][1] = 0.5;
  rows[0][0][1][3] = 0.25;
  rows[0][0][1][7] = 0.125;
  rows[0][1][1][0] = 0.375;
  rows[0][1][1][2] = 0.25;
  rows[0][1][1][3] = 0.25;
  rows[0][1][1][7] = 0.125;
  set_attention(observation, rows);
  return observation;
}

TEST(Baselines, TOVAKeepsTheNewestQuerysFavouritesInEveryHead) {
  const auto observation = tova_observation();
  // Budget 3: the newest token (slot 7) and two of the tied slots 0, 1, 3 (the lower ones), the
  // same set in both heads although head 1 alone would have preferred slot 2 to slot 1.
  TOVAPolicy policy(Budget{false, 3});
  EXPECT_TRUE(policy.needs_attention());
  const at::Tensor keep = *policy.on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0), (Slots{0, 1, 7}));
  EXPECT_EQ(kept_slots(keep, 1), (Slots{0, 1, 7}));
  EXPECT_EQ(kept_slots(*TOVAPolicy(Budget{true, 0.5}).on_update(observation), 1), (Slots{0, 1, 3, 7}));
  // The newest token stays even with a zero budget.
  EXPECT_EQ(kept_slots(*TOVAPolicy(Budget{false, 0}).on_update(observation), 0), (Slots{7}));
}

TEST(Baselines, TOVAFindsTheNewestQueryOfEachRow) {
  // Row 1 is left-padded by 3: its slots 3..7 hold positions 0..4 and its first query is padding.
  model::AttentionObservation observation;
  observation.layer = 0;
  observation.tokens_seen = 8;
  observation.positions = at::tensor({0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 1, 2, 3, 4}, at::kLong).view({2, 1, 8});
  observation.valid = bools({1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1}).view({2, 1, 8});
  observation.key_norms = at::ones({2, 1, 8});
  observation.query_positions = at::tensor({6, 7, -1, 4}, at::kLong).view({2, 2});
  at::Tensor rows = at::zeros({2, 1, 2, 8});
  rows[0][0][0][2] = 1.0;  // row 0, query 6: ignored
  rows[0][0][1][4] = 0.6;
  rows[0][0][1][7] = 0.4;
  rows[1][0][1][4] = 0.3;  // row 1, query at position 4 (slot 7)
  rows[1][0][1][5] = 0.5;
  rows[1][0][1][7] = 0.2;
  observation.attention = rows;
  const at::Tensor keep = *TOVAPolicy(Budget{false, 2}).on_update(observation);
  EXPECT_EQ(kept_slots(keep, 0, 0), (Slots{4, 7}));
  EXPECT_EQ(kept_slots(keep, 0, 1), (Slots{5, 7}));
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
