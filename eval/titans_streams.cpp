#include "eval/titans_streams.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "core/error.h"
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
    // An "essay": kEssaySentences sentences of 6 to 12 words over kEssayWords words, read in
    // random order as one text, so bigrams repeat as in prose and words have several
    // successors.
    std::vector<std::int64_t> essay_words;
    for (const auto word : vocabulary.words) {
      if (word != needle_key) essay_words.push_back(word);
    }
    rng.shuffle(essay_words);
    essay_words.resize(kEssayWords);
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
    for (std::int64_t step = 0; step < length; ++step) {
      stream.keys.push_back(text[static_cast<std::size_t>(step)]);
      stream.values.push_back(text[static_cast<std::size_t>(step + 1)]);
    }
  }
  stream.depth = static_cast<double>(index % kDepthSteps) / static_cast<double>(kDepthSteps - 1);
  const auto position = std::min<std::int64_t>(length - 1,
                                               static_cast<std::int64_t>(stream.depth * static_cast<double>(length)));
  stream.keys[static_cast<std::size_t>(position)] = needle_key;
  stream.values[static_cast<std::size_t>(position)] = answer;
  stream.queries.push_back({length, needle_key, answer});
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

}  // namespace

const char* titans_stream_task_name(TitansStreamTask task) {
  switch (task) {
    case TitansStreamTask::kPasskey: return "passkey";
    case TitansStreamTask::kNumber: return "number";
    case TitansStreamTask::kWord: return "word";
    case TitansStreamTask::kRecallShift: return "recall_shift";
  }
  return "passkey";
}

const std::vector<TitansStreamTask>& all_titans_stream_tasks() {
  static const std::vector<TitansStreamTask> tasks{TitansStreamTask::kPasskey, TitansStreamTask::kNumber,
                                                   TitansStreamTask::kWord, TitansStreamTask::kRecallShift};
  return tasks;
}

TitansStreamTask parse_titans_stream_task(const std::string& name, const std::string& key) {
  for (const auto task : all_titans_stream_tasks()) {
    if (name == titans_stream_task_name(task)) return task;
  }
  throw InputError(key + ": unknown Titans task '" + name + "'; use passkey, number, word or recall_shift");
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

TitansStream make_titans_stream(TitansStreamTask task, std::int64_t length, std::uint64_t seed, std::uint64_t index,
                                const TitansVocabulary& vocabulary, const TitansStreamOptions& options) {
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
  // Streams of different tasks and lengths are independent draws.
  const std::uint64_t stream_seed = seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(task) + 1)) ^
                                    (0xC2B2AE3D27D4EB4FULL * static_cast<std::uint64_t>(length));
  tasks::SyntheticRng rng = tasks::SyntheticRng::for_stream(stream_seed, index);
  if (task == TitansStreamTask::kRecallShift) return recall_stream(length, rng, vocabulary, options);
  return needle_stream(task, length, index, rng, vocabulary);
}

}  // namespace evomem::eval
