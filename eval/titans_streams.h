#pragma once
// Seeded evaluation streams for a Titans neural memory (docs/titans.md). A stream is a
// sequence of (key token, value token) pairs the memory reads one pair per step, and queries
// (a key, asked after a given step) whose answer is the value the memory should return. The
// memory sees token features of the built-in backbone (the embedding rows of the tokens), so
// the streams are token ids; eval/titans_evaluation.h turns them into features and scores
// retrieval.
//
// S-NIAH-style tasks (RULER's single-needle variants): one needle pair hidden at a depth of a
// haystack, queried at the end:
//   passkey       haystack: the noise sentences repeated (token bigrams, few distinct keys);
//                 value: a digit token
//   number        haystack: an "essay" (bigrams of a text of 64 random sentences over 48
//                 words, each word with several successors); value: a digit token
//   word          haystack: an essay; value: a word token (many more candidates)
// Associative recall with distribution shifts:
//   recall_shift  a dictionary of `recall_keys` keys whose values are all redrawn at every one
//                 shift, every `recall_segment` steps; its pairs repeat in random order within a
//                 segment, and every key is queried at the end of every segment for its
//                 current value, so what was true before the shift must be forgotten.
// Where a mechanism of the memory is needed:
//   capacity      reassignment under capacity pressure: a table of `capacity_keys` pairs (more
//                 than the memory's width) read for the first half; then an essay in which
//                 `capacity_updates` table keys get new values, each stated once in the last
//                 quarter; the updated keys are queried at the end (the table's value is stale)
//   burst         an essay with `burst_pairs` new (word, digit) pairs in a row at the stream's
//                 depth, all queried at the end

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/synthetic/generators.h"

namespace evomem::eval {

// New tasks go at the end: a task's number seeds its streams.
enum class TitansStreamTask { kPasskey, kNumber, kWord, kRecallShift, kCapacity, kBurst };

// "passkey", "number", "word", "recall_shift", "capacity", "burst".
const char* titans_stream_task_name(TitansStreamTask task);
// InputError naming `key` and the accepted names for anything else.
TitansStreamTask parse_titans_stream_task(const std::string& name, const std::string& key);
const std::vector<TitansStreamTask>& all_titans_stream_tasks();

// Token sets of a tokenizer the streams draw from.
struct TitansVocabulary {
  std::vector<std::int64_t> digits;  // tokens of one digit (a leading space allowed)
  std::vector<std::int64_t> words;   // tokens of two or more letters only (a leading space allowed)
  std::vector<std::int64_t> noise;   // the noise sentences, tokenized, in order
  // InputError when the tokenizer has fewer than 4 digit tokens or 64 word tokens.
  static TitansVocabulary build(const tasks::SyntheticTokenizer& tokenizer, std::int64_t vocab_size);
};

struct TitansQuery {
  std::int64_t after = 0;  // asked once pairs [0, after) have been read
  std::int64_t key = 0;
  std::int64_t answer = 0;
};

struct TitansStream {
  TitansStreamTask task = TitansStreamTask::kPasskey;
  std::vector<std::int64_t> keys;  // one pair per step
  std::vector<std::int64_t> values;
  std::vector<TitansQuery> queries;  // ordered by `after`
  bool word_answers = false;         // candidates: the vocabulary's words (else its digits)
  double depth = 1.0;                // of the needle (S-NIAH tasks)
  std::int64_t length() const { return static_cast<std::int64_t>(keys.size()); }
};

struct TitansStreamOptions {
  std::int64_t recall_keys = 16;
  std::int64_t recall_segment = 256;   // steps between shifts (a shorter remainder joins the last segment)
  std::int64_t capacity_keys = 256;    // pairs of the capacity table
  std::int64_t capacity_updates = 16;  // table keys re-bound (and queried)
  std::int64_t burst_pairs = 8;        // new pairs in a burst
};

// InputError, naming the setting, when streams of (task, length) cannot be made with these
// options and vocabulary; make_titans_stream checks the same. Callers check every (task,
// length) they will read before any work starts.
void check_titans_stream_settings(TitansStreamTask task, std::int64_t length, const TitansVocabulary& vocabulary,
                                  const TitansStreamOptions& options);

// Stream `index` of (task, length, seed); it depends on nothing else, so any worker rebuilds
// it from these numbers. The needle of stream i sits at depth (i mod 11) / 10, so consecutive
// streams spread evenly over the haystack (a burst likewise). InputError for a length below 64
// or a recall, capacity or burst setting that does not fit the length or the vocabulary.
TitansStream make_titans_stream(TitansStreamTask task, std::int64_t length, std::uint64_t seed, std::uint64_t index,
                                const TitansVocabulary& vocabulary, const TitansStreamOptions& options = {});

// Comma-separated stream lengths ("2048,16384"); InputError naming `key` for an entry that is
// not a whole number, one below 64, or none at all.
std::vector<std::int64_t> parse_titans_lengths(const std::string& text, const std::string& key);

// The steps after which a task's streams of `length` ask queries (the same for every stream,
// so streams can share a batch).
std::vector<std::int64_t> titans_query_steps(TitansStreamTask task, std::int64_t length,
                                             const TitansStreamOptions& options = {});

}  // namespace evomem::eval
