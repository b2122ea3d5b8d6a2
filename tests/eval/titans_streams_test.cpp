// Titans evaluation streams and their scoring: determinism, needle placement, one right answer
// per query, the shifts of the recall task, bad input; whitened features; a memory that
// learns retrieves the needle, and batching streams does not change a score.

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "eval/titans_evaluation.h"
#include "eval/titans_streams.h"
#include "memory/titans/gates.h"

namespace evomem::eval {
namespace {

const std::filesystem::path kModel = std::filesystem::path(EVOMEM_SOURCE_DIR) / "models" / "evomem-tiny";

// Ids 0-9 digits, 10-209 words; the noise text uses words 10-29.
TitansVocabulary hand_made_vocabulary() {
  TitansVocabulary vocabulary;
  for (std::int64_t id = 0; id < 10; ++id) vocabulary.digits.push_back(id);
  for (std::int64_t id = 10; id < 210; ++id) vocabulary.words.push_back(id);
  for (std::int64_t id = 10; id < 30; ++id) vocabulary.noise.push_back(id);
  return vocabulary;
}

// Options that fit the hand-made vocabulary's 200 words.
TitansStreamOptions small_options() {
  TitansStreamOptions options;
  options.capacity_keys = 64;
  options.capacity_updates = 8;
  return options;
}

TEST(TitansStreams, DeterministicAndIndependentPerIndex) {
  const auto vocabulary = hand_made_vocabulary();
  for (const auto task : all_titans_stream_tasks()) {
    const auto a = make_titans_stream(task, 512, 7, 3, vocabulary, small_options());
    const auto b = make_titans_stream(task, 512, 7, 3, vocabulary, small_options());
    const auto other = make_titans_stream(task, 512, 7, 4, vocabulary, small_options());
    EXPECT_EQ(a.keys, b.keys);
    EXPECT_EQ(a.values, b.values);
    EXPECT_NE(a.keys, other.keys) << titans_stream_task_name(task);
    EXPECT_EQ(a.length(), 512);
  }
}

TEST(TitansStreams, NeedleSitsAtItsDepthWithOneRightAnswer) {
  const auto vocabulary = hand_made_vocabulary();
  for (const auto task : {TitansStreamTask::kPasskey, TitansStreamTask::kNumber, TitansStreamTask::kWord}) {
    for (std::uint64_t index = 0; index < 11; ++index) {
      const auto stream = make_titans_stream(task, 1000, 1, index, vocabulary);
      ASSERT_EQ(stream.queries.size(), 1u);
      const auto& query = stream.queries[0];
      EXPECT_EQ(query.after, 1000);
      EXPECT_DOUBLE_EQ(stream.depth, static_cast<double>(index) / 10.0);
      // The key occurs exactly once, at the depth, holding the answer.
      const auto count = std::count(stream.keys.begin(), stream.keys.end(), query.key);
      EXPECT_EQ(count, 1);
      const auto at = std::find(stream.keys.begin(), stream.keys.end(), query.key) - stream.keys.begin();
      EXPECT_EQ(at, std::min<std::int64_t>(999, static_cast<std::int64_t>(stream.depth * 1000)));
      EXPECT_EQ(stream.values[static_cast<std::size_t>(at)], query.answer);
      const auto& candidates = stream.word_answers ? vocabulary.words : vocabulary.digits;
      EXPECT_NE(std::find(candidates.begin(), candidates.end(), query.answer), candidates.end());
      EXPECT_EQ(stream.word_answers, task == TitansStreamTask::kWord);
    }
  }
  // Passkey haystacks are the noise text's bigrams; essays use 48 words.
  const auto passkey = make_titans_stream(TitansStreamTask::kPasskey, 200, 1, 5, vocabulary);
  std::set<std::int64_t> keys(passkey.keys.begin(), passkey.keys.end());
  EXPECT_EQ(keys.size(), vocabulary.noise.size() + 1);
  const auto essay = make_titans_stream(TitansStreamTask::kNumber, 4000, 1, 5, vocabulary);
  keys = std::set<std::int64_t>(essay.keys.begin(), essay.keys.end());
  EXPECT_LE(keys.size(), 49u);
  EXPECT_GE(keys.size(), 40u);
}

TEST(TitansStreams, RecallShiftRedrawsEveryValueAtEveryShift) {
  const auto vocabulary = hand_made_vocabulary();
  TitansStreamOptions options;
  options.recall_keys = 6;
  options.recall_segment = 100;
  const auto stream = make_titans_stream(TitansStreamTask::kRecallShift, 300, 2, 0, vocabulary, options);
  EXPECT_EQ(titans_query_steps(TitansStreamTask::kRecallShift, 300, options),
            (std::vector<std::int64_t>{100, 200, 300}));
  EXPECT_EQ(titans_query_steps(TitansStreamTask::kRecallShift, 350, options),
            (std::vector<std::int64_t>{100, 200, 350}));
  EXPECT_EQ(titans_query_steps(TitansStreamTask::kRecallShift, 80, options), (std::vector<std::int64_t>{80}));
  ASSERT_EQ(stream.queries.size(), 18u);
  for (std::size_t q = 0; q < stream.queries.size(); ++q) {
    const auto& query = stream.queries[q];
    // The answer is the value the key had most recently before the query.
    std::int64_t latest = -1;
    for (std::int64_t step = 0; step < query.after; ++step) {
      if (stream.keys[static_cast<std::size_t>(step)] == query.key)
        latest = stream.values[static_cast<std::size_t>(step)];
    }
    EXPECT_EQ(latest, query.answer);
    if (q >= 6) {
      EXPECT_NE(stream.queries[q - 6].answer, query.answer) << "a stale answer would be right";
    }
  }
}

// The value a key was bound to most recently before step `before`.
std::int64_t latest_value(const TitansStream& stream, std::int64_t key, std::int64_t before) {
  std::int64_t latest = -1;
  for (std::int64_t step = 0; step < before; ++step) {
    if (stream.keys[static_cast<std::size_t>(step)] == key) latest = stream.values[static_cast<std::size_t>(step)];
  }
  return latest;
}

TEST(TitansStreams, CapacityUpdatesTableKeysOnceAndAsksForTheNewValue) {
  const auto vocabulary = hand_made_vocabulary();
  const auto options = small_options();
  const std::int64_t length = 2000;
  const auto stream = make_titans_stream(TitansStreamTask::kCapacity, length, 4, 1, vocabulary, options);
  ASSERT_EQ(stream.length(), length);
  EXPECT_TRUE(stream.word_answers);
  // The first half reads the table (more pairs than asked for), each key always at one value.
  const std::set<std::int64_t> table(stream.keys.begin(), stream.keys.begin() + length / 2);
  EXPECT_EQ(table.size(), static_cast<std::size_t>(options.capacity_keys));
  ASSERT_EQ(stream.queries.size(), static_cast<std::size_t>(options.capacity_updates));
  std::set<std::int64_t> asked;
  for (const auto& query : stream.queries) {
    EXPECT_EQ(query.after, length);
    EXPECT_EQ(table.count(query.key), 1u);
    asked.insert(query.key);
    EXPECT_EQ(latest_value(stream, query.key, length), query.answer);
    // Stated once after the table, in the last quarter, and different from the table's value.
    std::int64_t updates = 0;
    for (std::int64_t step = length / 2; step < length; ++step) {
      if (stream.keys[static_cast<std::size_t>(step)] != query.key) continue;
      ++updates;
      EXPECT_GE(step, length - length / 4);
    }
    EXPECT_EQ(updates, 1);
    const std::int64_t stale = latest_value(stream, query.key, length / 2);
    EXPECT_NE(stale, -1);
    EXPECT_NE(stale, query.answer) << "a stale answer would be right";
  }
  EXPECT_EQ(asked.size(), stream.queries.size());
  // Apart from the updates, the second half is an essay over words outside the table.
  std::int64_t table_steps = 0;
  for (std::int64_t step = length / 2; step < length; ++step)
    table_steps += table.count(stream.keys[static_cast<std::size_t>(step)]);
  EXPECT_EQ(table_steps, options.capacity_updates);
}

TEST(TitansStreams, BurstIsNewPairsInARowAtTheDepth) {
  const auto vocabulary = hand_made_vocabulary();
  TitansStreamOptions options = small_options();
  options.burst_pairs = 5;
  for (std::uint64_t index : {0u, 4u, 10u}) {
    const auto stream = make_titans_stream(TitansStreamTask::kBurst, 1000, 2, index, vocabulary, options);
    ASSERT_EQ(stream.queries.size(), 5u);
    EXPECT_FALSE(stream.word_answers);
    const std::int64_t start = std::min<std::int64_t>(1000 - 5, static_cast<std::int64_t>(stream.depth * 1000));
    for (std::size_t i = 0; i < 5; ++i) {
      const auto& query = stream.queries[i];
      EXPECT_EQ(query.after, 1000);
      EXPECT_EQ(std::count(stream.keys.begin(), stream.keys.end(), query.key), 1);
      EXPECT_EQ(stream.keys[static_cast<std::size_t>(start) + i], query.key);
      EXPECT_EQ(stream.values[static_cast<std::size_t>(start) + i], query.answer);
      EXPECT_NE(std::find(vocabulary.digits.begin(), vocabulary.digits.end(), query.answer), vocabulary.digits.end());
    }
  }
}

TEST(TitansStreams, ParsesLengthLists) {
  EXPECT_EQ(parse_titans_lengths("2048,16384", "--lengths"), (std::vector<std::int64_t>{2048, 16384}));
  for (const char* bad : {"", "2k", "32", "4096,x", "-100"}) {
    try {
      parse_titans_lengths(bad, "objective.titans.lengths");
      ADD_FAILURE() << bad;
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what()).find("objective.titans.lengths"), std::string::npos) << bad;
    }
  }
}

TEST(TitansStreams, RejectsBadInput) {
  const auto vocabulary = hand_made_vocabulary();
  EXPECT_THROW(make_titans_stream(TitansStreamTask::kPasskey, 32, 0, 0, vocabulary), InputError);
  TitansStreamOptions crowded;
  crowded.recall_keys = 64;
  crowded.recall_segment = 32;
  EXPECT_THROW(make_titans_stream(TitansStreamTask::kRecallShift, 256, 0, 0, vocabulary, crowded), InputError);
  TitansStreamOptions big_table;
  big_table.capacity_keys = 190;  // with the essay's 48 words, more than the 200 words there are
  EXPECT_THROW(make_titans_stream(TitansStreamTask::kCapacity, 1024, 0, 0, vocabulary, big_table), InputError);
  TitansStreamOptions long_burst;
  long_burst.burst_pairs = 100;
  EXPECT_THROW(make_titans_stream(TitansStreamTask::kBurst, 64, 0, 0, vocabulary, long_burst), InputError);
  EXPECT_THROW(parse_titans_stream_task("sudoku", "--tasks"), InputError);
  EXPECT_EQ(parse_titans_stream_task("recall_shift", "--tasks"), TitansStreamTask::kRecallShift);
}

TEST(TitansFeatures, WhiteningDecorrelatesTheTable) {
  const at::Tensor table = at::randn({300, 16}, at::kDouble) * at::linspace(0.1, 5.0, 16, at::kDouble) + 3.0;
  const at::Tensor features = whiten_token_embeddings(table);
  const at::Tensor covariance = at::matmul(features.t(), features) / 300.0;
  EXPECT_TRUE(at::allclose(covariance, at::eye(16, at::kDouble) / 16.0, 1e-9, 1e-9));
  EXPECT_LT(features.mean(0).abs().max().item<double>(), 1e-9);
}

TEST(TitansEvaluation, LearningMemoryFindsTheNeedleAndBatchingChangesNothing) {
  memory::TitansConfig base;
  base.depth = 1;
  base.init_scale = 0.01;
  base.silu = false;
  const auto evaluator = load_titans_evaluator(kModel, base, load_titans_vocabulary(kModel));
  EXPECT_GE(evaluator.vocabulary().digits.size(), 4u);
  // The right plain step depends on the backbone's whitened features: on the committed one
  // every passkey needle is found from 0.05 to 0.2 and some are lost at 0.03 and below (each
  // new checkpoint moved this range), so the step sits inside it.
  const auto learning = memory::TitansGates::constant(0.0, 0.0, 0.1);
  const auto frozen = memory::TitansGates::constant(0.0, 0.0, 0.0);
  const auto together = score_titans_task(evaluator, learning, TitansStreamTask::kPasskey, 256, 9, 0, 6, 6);
  EXPECT_EQ(together.queries, 6);
  EXPECT_EQ(together.correct, 6);
  TitansScore one_by_one;
  for (std::uint64_t i = 0; i < 6; ++i) {
    const auto part = score_titans_task(evaluator, learning, TitansStreamTask::kPasskey, 256, 9, i, 1, 1);
    one_by_one.correct += part.correct;
    one_by_one.queries += part.queries;
  }
  EXPECT_EQ(one_by_one.correct, together.correct);
  // A memory that never learns answers from its random initial weights only.
  const auto untouched = score_titans_task(evaluator, frozen, TitansStreamTask::kWord, 256, 9, 0, 6, 6);
  EXPECT_LE(untouched.correct, 1);
}

}  // namespace
}  // namespace evomem::eval
