#include "eval/titans_streams.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/text.h"
#include "tasks/synthetic/random.h"

namespace evomem::eval {
namespace {

constexpr std::int64_t kMinimumLength = 64;
// Distinct depths of the needle: stream i uses (i mod kDepthSteps) / (kDepthSteps - 1).
constexpr std::uint64_t kDepthSteps = 11;
// Sentences an essay haystack is made of, and the words they use.
constexpr std::size_t kEssaySentences = 64;
constexpr std::size_t kEssayWords = 48;

// `text` is digits (or letters) after at most one leading space, `minimum` to `maximum` of them.
bool is_token_of(const std::string& text, bool digits, std::size_t minimum,
                 std::size_t maximum = std::numeric_limits<std::size_t>::max()) {
  const std::size_t start = !text.empty() && text[0] == ' ' ? 1 : 0;
  if (text.size() - start < minimum || text.size() - start > maximum) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(), [digits](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return digits ? std::isdigit(byte) != 0 : std::isalpha(byte) != 0;
  });
}

std::int64_t pick(tasks::SyntheticRng& rng, const std::vector<std::int64_t>& from) {
  return from[static_cast<std::size_t>(rng.below(from.size()))];
}

// `count` distinct words none of which is in `excluded`.
std::vector<std::int64_t> fresh_words(tasks::SyntheticRng& rng, const TitansVocabulary& vocabulary,
                                      const std::set<std::int64_t>& excluded, std::int64_t count) {
  std::vector<std::int64_t> pool;
  for (const auto word : vocabulary.words) {
    if (excluded.count(word) == 0) pool.push_back(word);
  }
  rng.shuffle(pool);
  pool.resize(static_cast<std::size_t>(count));
  return pool;
}

// An "essay" of at least length + 1 tokens: kEssaySentences sentences of 6 to 12 words over
// kEssayWords words (none of them in `excluded`), read in random order as one text, so bigrams
// repeat as in prose and words have several successors.
std::vector<std::int64_t> essay_text(std::int64_t length, tasks::SyntheticRng& rng, const TitansVocabulary& vocabulary,
                                     const std::set<std::int64_t>& excluded) {
  const auto essay_words = fresh_words(rng, vocabulary, excluded, kEssayWords);
  std::vector<std::vector<std::int64_t>> sentences(kEssaySentences);
  for (auto& sentence : sentences) {
    const auto words = rng.between(6, 12);
    while (static_cast<std::int64_t>(sentence.size()) < words) sentence.push_back(pick(rng, essay_words));
  }
  std::vector<std::int64_t> text;
  while (static_cast<std::int64_t>(text.size()) <= length) {
    const auto& sentence = sentences[static_cast<std::size_t>(rng.below(sentences.size()))];
    text.insert(text.end(), sentence.begin(), sentence.end());
  }
  return text;
}

// Appends the first `count` bigrams of `text` as (key, value) pairs.
void append_bigrams(TitansStream& stream, const std::vector<std::int64_t>& text, std::int64_t count) {
  stream.keys.insert(stream.keys.end(), text.begin(), text.begin() + count);
  stream.values.insert(stream.values.end(), text.begin() + 1, text.begin() + count + 1);
}

// Puts the pair (key, value) at step `at` in place of what was there, and asks for it at the
// end of the stream.
void plant(TitansStream& stream, std::int64_t at, std::int64_t key, std::int64_t value) {
  stream.keys[static_cast<std::size_t>(at)] = key;
  stream.values[static_cast<std::size_t>(at)] = value;
  stream.queries.push_back({stream.length(), key, value});
}

// The step the needle (or burst) of stream `index` starts at: depth (index mod kDepthSteps) /
// (kDepthSteps - 1) of the stream, moved back so that `span` steps fit.
double stream_depth(std::uint64_t index) {
  return static_cast<double>(index % kDepthSteps) / static_cast<double>(kDepthSteps - 1);
}
std::int64_t depth_position(double depth, std::int64_t length, std::int64_t span) {
  return std::min<std::int64_t>(length - span, static_cast<std::int64_t>(depth * static_cast<double>(length)));
}

// One haystack-and-needle stream: the needle pair replaces the haystack pair at its depth.
TitansStream needle_stream(TitansStreamTask task, std::int64_t length, std::uint64_t index, tasks::SyntheticRng& rng,
                           const TitansVocabulary& vocabulary) {
  TitansStream stream;
  stream.task = task;
  stream.word_answers = task == TitansStreamTask::kWord;
  const std::set<std::int64_t> in_noise(vocabulary.noise.begin(), vocabulary.noise.end());
  // The needle's key never appears as a haystack key, so the query has one right answer.
  std::int64_t needle_key = pick(rng, vocabulary.words);
  while (task == TitansStreamTask::kPasskey && in_noise.count(needle_key) != 0)
    needle_key = pick(rng, vocabulary.words);
  const std::int64_t answer = pick(rng, stream.word_answers ? vocabulary.words : vocabulary.digits);
  if (task == TitansStreamTask::kPasskey) {
    // Bigrams of the repeated noise text, starting at a random point of it.
    const auto& noise = vocabulary.noise;
    std::size_t at = static_cast<std::size_t>(rng.below(noise.size()));
    for (std::int64_t step = 0; step < length; ++step, ++at) {
      stream.keys.push_back(noise[at % noise.size()]);
      stream.values.push_back(noise[(at + 1) % noise.size()]);
    }
  } else {
    append_bigrams(stream, essay_text(length, rng, vocabulary, {needle_key}), length);
  }
  stream.depth = stream_depth(index);
  plant(stream, depth_position(stream.depth, length, 1), needle_key, answer);
  return stream;
}

TitansStream recall_stream(std::int64_t length, tasks::SyntheticRng& rng, const TitansVocabulary& vocabulary,
                           const TitansStreamOptions& options) {
  TitansStream stream;
  stream.task = TitansStreamTask::kRecallShift;
  stream.word_answers = true;
  std::vector<std::int64_t> pool = vocabulary.words;
  rng.shuffle(pool);
  const std::vector<std::int64_t> keys(pool.begin(), pool.begin() + options.recall_keys);
  std::vector<std::int64_t> values(keys.size(), -1);
  const auto ends = titans_query_steps(TitansStreamTask::kRecallShift, length, options);
  std::int64_t step = 0;
  for (const std::int64_t end : ends) {
    // New values, each different from the key's previous one (a stale answer must be wrong).
    for (auto& value : values) {
      const std::int64_t previous = value;
      while (value == previous) value = pick(rng, vocabulary.words);
    }
    std::vector<std::size_t> order;
    while (step < end) {
      if (order.empty()) {
        for (std::size_t k = 0; k < keys.size(); ++k) order.push_back(k);
        rng.shuffle(order);
      }
      stream.keys.push_back(keys[order.back()]);
      stream.values.push_back(values[order.back()]);
      order.pop_back();
      ++step;
    }
    for (std::size_t k = 0; k < keys.size(); ++k) stream.queries.push_back({end, keys[k], values[k]});
  }
  return stream;
}

// The burst family: an essay in which `burst_pairs` new (word, digit) pairs follow each other
// at the stream's depth; every one of them is queried at the end.
TitansStream burst_stream(std::int64_t length, std::uint64_t index, tasks::SyntheticRng& rng,
                          const TitansVocabulary& vocabulary, const TitansStreamOptions& options) {
  TitansStream stream;
  stream.task = TitansStreamTask::kBurst;
  const auto burst_keys = fresh_words(rng, vocabulary, {}, options.burst_pairs);
  std::vector<std::int64_t> answers;
  for (std::int64_t i = 0; i < options.burst_pairs; ++i) answers.push_back(pick(rng, vocabulary.digits));
  append_bigrams(stream, essay_text(length, rng, vocabulary, {burst_keys.begin(), burst_keys.end()}), length);
  stream.depth = stream_depth(index);
  const auto start = depth_position(stream.depth, length, options.burst_pairs);
  for (std::int64_t i = 0; i < options.burst_pairs; ++i)
    plant(stream, start + i, burst_keys[static_cast<std::size_t>(i)], answers[static_cast<std::size_t>(i)]);
  return stream;
}

// The capacity family: a table of `capacity_keys` (word, word) pairs, more than the memory's
// width, read in random order for the first half of the stream; then an essay in which
// `capacity_updates` table keys are re-bound to new values, each stated once, spread over the
// last quarter. The queries ask the updated keys at the end: only the new value is right, the
// table's (read many times, long before) is stale.
TitansStream capacity_stream(std::int64_t length, tasks::SyntheticRng& rng, const TitansVocabulary& vocabulary,
                             const TitansStreamOptions& options) {
  TitansStream stream;
  stream.task = TitansStreamTask::kCapacity;
  stream.word_answers = true;
  const auto table = fresh_words(rng, vocabulary, {}, options.capacity_keys);
  std::vector<std::int64_t> bound;
  for (std::size_t k = 0; k < table.size(); ++k) bound.push_back(pick(rng, vocabulary.words));
  const std::int64_t half = length / 2;
  for (std::int64_t step = 0; step < half; ++step) {
    const auto k = static_cast<std::size_t>(rng.below(table.size()));
    stream.keys.push_back(table[k]);
    stream.values.push_back(bound[k]);
  }
  append_bigrams(stream, essay_text(length - half, rng, vocabulary, {table.begin(), table.end()}), length - half);
  // Updates at evenly spaced slots of the last quarter, each at a random step of its slot.
  const std::int64_t quarter = length / 4;
  const std::int64_t slot = quarter / options.capacity_updates;
  for (std::int64_t u = 0; u < options.capacity_updates; ++u) {
    const auto k = static_cast<std::size_t>(u);  // the table is already in random order
    std::int64_t value = bound[k];
    while (value == bound[k]) value = pick(rng, vocabulary.words);
    const auto at = length - quarter + u * slot +
                    static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(slot)));
    plant(stream, at, table[k], value);
  }
  return stream;
}

}  // namespace

const char* titans_stream_task_name(TitansStreamTask task) {
  switch (task) {
    case TitansStreamTask::kPasskey: return "passkey";
    case TitansStreamTask::kNumber: return "number";
    case TitansStreamTask::kWord: return "word";
    case TitansStreamTask::kRecallShift: return "recall_shift";
    case TitansStreamTask::kCapacity: return "capacity";
    case TitansStreamTask::kBurst: return "burst";
  }
  return "passkey";
}

const std::vector<TitansStreamTask>& all_titans_stream_tasks() {
  static const std::vector<TitansStreamTask> tasks{TitansStreamTask::kPasskey,  TitansStreamTask::kNumber,
                                                   TitansStreamTask::kWord,     TitansStreamTask::kRecallShift,
                                                   TitansStreamTask::kCapacity, TitansStreamTask::kBurst};
  return tasks;
}

TitansStreamTask parse_titans_stream_task(const std::string& name, const std::string& key) {
  for (const auto task : all_titans_stream_tasks()) {
    if (name == titans_stream_task_name(task)) return task;
  }
  throw InputError(key + ": unknown Titans task '" + name +
                   "'; use passkey, number, word, recall_shift, capacity or burst");
}

TitansVocabulary TitansVocabulary::build(const tasks::SyntheticTokenizer& tokenizer, std::int64_t vocab_size) {
  TitansVocabulary vocabulary;
  for (std::int64_t id = 0; id < vocab_size; ++id) {
    const std::string text = tokenizer.token_text(id);
    // Single digits only: tokenizers that also have tokens for longer numbers (Llama 3's, or
    // the built-in one) keep the same ten candidates, and chance stays at 10%.
    if (is_token_of(text, /*digits=*/true, 1, 1)) vocabulary.digits.push_back(id);
    if (is_token_of(text, /*digits=*/false, 2)) vocabulary.words.push_back(id);
  }
  std::string noise;
  for (const auto& sentence : tasks::noise_sentences()) noise += (noise.empty() ? "" : " ") + sentence;
  vocabulary.noise = tokenizer.encode(noise + " ");
  if (vocabulary.digits.size() < 4 || vocabulary.words.size() < 64) {
    throw InputError("the tokenizer has " + std::to_string(vocabulary.digits.size()) + " digit tokens and " +
                     std::to_string(vocabulary.words.size()) +
                     " word tokens; Titans streams need at least 4 and 64 (use a byte-level BPE with merges)");
  }
  return vocabulary;
}

std::vector<std::int64_t> parse_titans_lengths(const std::string& text, const std::string& key) {
  std::vector<std::int64_t> lengths;
  for (const auto& item : core::split(text)) {
    std::int64_t length = 0;
    const auto* end = item.data() + item.size();
    const auto parsed = std::from_chars(item.data(), end, length);
    if (parsed.ec != std::errc() || parsed.ptr != end) {
      throw InputError(key + ": '" + item + "' is not a whole number of steps");
    }
    if (length < kMinimumLength) {
      throw InputError(key + ": Titans streams need at least " + std::to_string(kMinimumLength) + " steps, got " +
                       std::to_string(length));
    }
    lengths.push_back(length);
  }
  if (lengths.empty()) throw InputError(key + " names no length");
  return lengths;
}

std::vector<std::int64_t> titans_query_steps(TitansStreamTask task, std::int64_t length,
                                             const TitansStreamOptions& options) {
  if (task != TitansStreamTask::kRecallShift) return {length};
  std::vector<std::int64_t> ends;
  // A remainder shorter than a segment joins the last one, so every segment shows every key.
  for (std::int64_t end = options.recall_segment; end + options.recall_segment <= length;
       end += options.recall_segment) {
    ends.push_back(end);
  }
  ends.push_back(length);
  return ends;
}

void check_titans_stream_settings(TitansStreamTask task, std::int64_t length, const TitansVocabulary& vocabulary,
                                  const TitansStreamOptions& options) {
  if (length < kMinimumLength) {
    throw InputError("Titans streams need at least " + std::to_string(kMinimumLength) + " steps, got " +
                     std::to_string(length));
  }
  if (task == TitansStreamTask::kRecallShift &&
      (options.recall_keys < 1 || options.recall_keys > static_cast<std::int64_t>(vocabulary.words.size()) / 2 ||
       options.recall_segment < options.recall_keys || length < options.recall_keys)) {
    throw InputError(
        "recall_keys must be 1.." + std::to_string(vocabulary.words.size() / 2) +
        " and neither recall_segment (steps between shifts) nor the length below recall_keys, so that every segment shows every key");
  }
  const auto words = static_cast<std::int64_t>(vocabulary.words.size());
  if (task == TitansStreamTask::kCapacity &&
      (options.capacity_keys < 1 || options.capacity_keys + static_cast<std::int64_t>(kEssayWords) > words ||
       options.capacity_updates < 1 || options.capacity_updates > options.capacity_keys ||
       options.capacity_updates > length / 4)) {
    throw InputError("capacity_keys must be 1.." + std::to_string(words - static_cast<std::int64_t>(kEssayWords)) +
                     " (the essay needs " + std::to_string(kEssayWords) +
                     " other words) and capacity_updates 1..capacity_keys, at most a quarter of the length");
  }
  if (task == TitansStreamTask::kBurst && (options.burst_pairs < 1 || options.burst_pairs > length ||
                                           options.burst_pairs + static_cast<std::int64_t>(kEssayWords) > words)) {
    throw InputError("burst_pairs must be 1.." + std::to_string(words - static_cast<std::int64_t>(kEssayWords)) +
                     " and at most the length");
  }
}

TitansStream make_titans_stream(TitansStreamTask task, std::int64_t length, std::uint64_t seed, std::uint64_t index,
                                const TitansVocabulary& vocabulary, const TitansStreamOptions& options) {
  check_titans_stream_settings(task, length, vocabulary, options);
  // Streams of different tasks and lengths are independent draws.
  const std::uint64_t stream_seed = seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(task) + 1)) ^
                                    (0xC2B2AE3D27D4EB4FULL * static_cast<std::uint64_t>(length));
  tasks::SyntheticRng rng = tasks::SyntheticRng::for_stream(stream_seed, index);
  if (task == TitansStreamTask::kRecallShift) return recall_stream(length, rng, vocabulary, options);
  if (task == TitansStreamTask::kCapacity) return capacity_stream(length, rng, vocabulary, options);
  if (task == TitansStreamTask::kBurst) return burst_stream(length, index, rng, vocabulary, options);
  return needle_stream(task, length, index, rng, vocabulary);
}

}  // namespace evomem::eval
