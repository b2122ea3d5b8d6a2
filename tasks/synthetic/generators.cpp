#include "tasks/synthetic/generators.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "tasks/prompt_builder.h"
#include "tasks/synthetic/random.h"
#include "tasks/synthetic/suite.h"

namespace evomem::tasks {
namespace {

// Keys of the NIAH needles (RULER draws them from a word list as well).
const std::vector<std::string>& key_words() {
  static const std::vector<std::string> words = {
      "apple",   "anchor", "badger",  "basket",   "beacon", "bottle",  "bridge",  "candle",   "canyon",  "carpet",
      "castle",  "cherry", "circle",  "cobalt",   "copper", "cotton",  "dragon",  "falcon",   "feather", "forest",
      "garden",  "ginger", "glacier", "harbor",   "helmet", "island",  "jacket",  "jungle",   "kettle",  "ladder",
      "lantern", "lemon",  "marble",  "meadow",   "mirror", "monkey",  "needle",  "orange",   "orchid",  "otter",
      "palace",  "parrot", "pebble",  "pepper",   "pillow", "planet",  "pocket",  "rabbit",   "river",   "rocket",
      "saddle",  "salmon", "shadow",  "silver",   "spider", "spring",  "statue",  "summer",   "tablet",  "teapot",
      "thunder", "tiger",  "timber",  "tomato",   "tunnel", "turtle",  "valley",  "velvet",   "violin",  "walnut",
      "window",  "winter", "wizard",  "yellow",   "zebra",  "button",  "crystal", "dolphin",  "engine",  "fountain",
      "hammer",  "lizard", "magnet",  "pencil",   "pirate", "puzzle",  "ribbon",  "sapphire", "scarf",   "sparrow",
      "stone",   "sugar",  "tulip",   "umbrella", "wagon",  "whistle", "willow",  "anvil",    "comet",   "meteor"};
  return words;
}

// Pseudo-words for the common-words task: two or three consonant-vowel syllables.
std::string pseudo_word(SyntheticRng& rng) {
  static const char kConsonants[] = "bdfgklmnprstvz";
  static const char kVowels[] = "aeiou";
  const std::size_t syllables = 2 + rng.below(2);
  std::string word;
  for (std::size_t i = 0; i < syllables; ++i) {
    word.push_back(kConsonants[rng.below(sizeof(kConsonants) - 1)]);
    word.push_back(kVowels[rng.below(sizeof(kVowels) - 1)]);
  }
  return word;
}

// A string placed in the context, with the spans it carries relative to its own start.
struct Piece {
  std::string text;
  std::vector<NeedleSpan> spans;
};

void add_span(Piece& piece, const std::string& kind, const std::string& text, std::size_t from = 0) {
  const std::size_t at = piece.text.find(text, from);
  EVOMEM_CHECK(at != std::string::npos, "span text not in its piece");
  NeedleSpan span;
  span.kind = kind;
  span.text = text;
  span.char_begin = at;
  span.char_end = at + text.size();
  piece.spans.push_back(span);
}

// A needle sentence whose answer strings are marked.
Piece needle_piece(const std::string& sentence, const std::string& kind, const std::vector<std::string>& answers) {
  Piece piece{sentence, {}};
  add_span(piece, kind, sentence);
  std::size_t from = 0;
  for (const auto& answer : answers) {
    add_span(piece, "answer", answer, from);
    from = piece.spans.back().char_end;
  }
  return piece;
}

// Context made of noise sentences (cycling through the InfiniteBench line) with needles placed
// at depths; a needle at depth d goes before noise sentence round(d * count).
struct Haystack {
  std::vector<Piece> needles;
  std::vector<double> depths;
  std::string prefix;  // text before the noise (kv_retrieval's JSON goes after it instead)
  std::string suffix;
};

Piece build_haystack(const Haystack& haystack, std::size_t noise_count) {
  const auto& noise = noise_sentences();
  std::vector<std::pair<std::size_t, std::size_t>> slots;  // (noise index, needle index)
  for (std::size_t i = 0; i < haystack.needles.size(); ++i) {
    const auto at = static_cast<std::size_t>(std::llround(haystack.depths[i] * static_cast<double>(noise_count)));
    slots.emplace_back(std::min(at, noise_count), i);
  }
  std::stable_sort(slots.begin(), slots.end());
  Piece context{haystack.prefix, {}};
  std::size_t next_slot = 0;
  const auto append = [&context](const Piece& piece) {
    if (!context.text.empty()) context.text += ' ';
    const std::size_t offset = context.text.size();
    context.text += piece.text;
    for (auto span : piece.spans) {
      span.char_begin += offset;
      span.char_end += offset;
      context.spans.push_back(span);
    }
  };
  for (std::size_t n = 0; n <= noise_count; ++n) {
    while (next_slot < slots.size() && slots[next_slot].first == n) append(haystack.needles[slots[next_slot++].second]);
    if (n < noise_count) append(Piece{noise[n % noise.size()], {}});
  }
  context.text += haystack.suffix;
  return context;
}

// Everything a task decides about one sample before its length is fitted.
struct SampleSketch {
  std::string input;
  std::vector<std::string> answers;
  double depth = 0.0;
  // The context for a given amount of filler (noise sentences, pairs, list entries).
  std::function<Piece(std::size_t filler)> context;
};

class SampleBuilder {
 public:
  SampleBuilder(const TaskSpec& task, const SyntheticTokenizer& tokenizer) : task_(task), tokenizer_(tokenizer) {}

  std::string prompt(const std::string& context, const std::string& input) const {
    return fill_template(task_.prompt_template, {{"context", context}, {"input", input}}, task_.name);
  }
  std::size_t prompt_tokens(const std::string& context, const std::string& input) const {
    return tokenizer_.encode(prompt(context, input)).size();
  }
  // The largest filler whose prompt has at most `target` tokens, assuming tokens grow with the
  // filler (exponential search, then bisection).
  std::size_t largest_filler(const std::function<Piece(std::size_t)>& context, const std::string& input,
                             std::size_t target) const {
    if (prompt_tokens(context(0).text, input) > target) return 0;
    std::size_t low = 0;
    std::size_t high = 16;
    while (prompt_tokens(context(high).text, input) <= target) {
      low = high;
      high *= 2;
    }
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      if (prompt_tokens(context(middle).text, input) <= target) {
        low = middle;
      } else {
        high = middle;
      }
    }
    return low;
  }

  // Token spans of the context's needles inside the filled prompt.
  void finish(SyntheticSample& sample, const Piece& context) const {
    sample.context = context.text;
    const std::string marker_prompt = fill_template(task_.prompt_template,
                                                    {{"context", "\x01"}, {"input", sample.input}}, task_.name);
    sample.prompt_context_offset = marker_prompt.find('\x01');
    const std::string text = prompt(sample.context, sample.input);
    const auto tokens = tokenizer_.encode(text);
    sample.length = tokens.size();
    std::vector<std::size_t> begins;
    std::size_t offset = 0;
    for (const auto id : tokens) {
      begins.push_back(offset);
      offset += tokenizer_.token_text(id).size();
    }
    if (offset != text.size()) {
      throw InputError("the tokenizer's tokens do not spell the prompt byte for byte (" + std::to_string(offset) +
                       " vs " + std::to_string(text.size()) +
                       " bytes); the synthetic generators need a byte-level BPE tokenizer such as Llama 3's");
    }
    begins.push_back(offset);
    for (auto span : context.spans) {
      const std::size_t begin = sample.prompt_context_offset + span.char_begin;
      const std::size_t end = sample.prompt_context_offset + span.char_end;
      // First token ending after `begin`, first token starting at or after `end`.
      span.token_begin = static_cast<std::size_t>(std::upper_bound(begins.begin() + 1, begins.end(), begin) -
                                                  (begins.begin() + 1));
      span.token_end = static_cast<std::size_t>(std::lower_bound(begins.begin(), begins.end() - 1, end) -
                                                begins.begin());
      sample.needles.push_back(span);
    }
  }

 private:
  const TaskSpec& task_;
  const SyntheticTokenizer& tokenizer_;
};

std::vector<double> spread_depths(double first, std::size_t count) {
  std::vector<double> depths;
  for (std::size_t j = 0; j < count; ++j) {
    double depth = first + static_cast<double>(j) / static_cast<double>(count);
    if (depth > 1.0) depth -= 1.0;
    depths.push_back(depth);
  }
  return depths;
}

std::vector<std::string> distinct_keys(SyntheticRng& rng, std::size_t count) {
  std::vector<std::string> words = key_words();
  rng.shuffle(words);
  words.resize(count);
  return words;
}

SampleSketch haystack_sketch(Haystack haystack, std::string input, std::vector<std::string> answers, double depth) {
  SampleSketch sketch;
  sketch.input = std::move(input);
  sketch.answers = std::move(answers);
  sketch.depth = depth;
  sketch.context = [haystack = std::move(haystack)](std::size_t filler) { return build_haystack(haystack, filler); };
  return sketch;
}

SampleSketch passkey_sketch(SyntheticRng& rng, double depth, bool number_string) {
  const std::string value = rng.digits(number_string ? 10 : 5);
  const std::string what = number_string ? "sequence of digits" : "pass key";
  Haystack haystack;
  haystack.needles.push_back(needle_piece(
      "The " + what + " is " + value + ". Remember it. " + value + " is the " + what + ".", "needle", {value, value}));
  haystack.depths = {depth};
  return haystack_sketch(std::move(haystack), "What is the " + what + "?", {value}, depth);
}

SampleSketch niah_sketch(const std::string& task, SyntheticRng& rng, double depth) {
  const bool uuids = task == "synth_niah_multikey";
  const std::string kind = uuids ? "uuid" : "number";
  const auto value = [&] { return uuids ? rng.uuid() : rng.digits(7); };
  const auto sentence = [&](const std::string& key, const std::string& v) {
    return "One of the special magic " + kind + "s for " + key + " is: " + v + ".";
  };
  Haystack haystack;
  std::string input;
  std::vector<std::string> answers;
  if (task == "synth_niah_single" || task == "synth_niah_multikey") {
    const std::size_t count = task == "synth_niah_single" ? 1 : 4;
    const auto keys = distinct_keys(rng, count);
    for (std::size_t j = 0; j < count; ++j) {
      const std::string v = value();
      if (j == 0) answers.push_back(v);
      haystack.needles.push_back(needle_piece(sentence(keys[j], v), j == 0 ? "needle" : "distractor", {v}));
      if (j > 0) haystack.needles.back().spans.back().kind = "distractor_value";
    }
    input = "What is the special magic " + kind + " for " + keys[0] +
            " mentioned in the provided text? The special magic " + kind + " for " + keys[0] + " is:";
  } else if (task == "synth_niah_multivalue") {
    const std::string key = distinct_keys(rng, 1)[0];
    for (std::size_t j = 0; j < 4; ++j) {
      answers.push_back(value());
      haystack.needles.push_back(needle_piece(sentence(key, answers.back()), "needle", {answers.back()}));
    }
    input = "What are all the special magic numbers for " + key +
            " mentioned in the provided text? The special magic "
            "numbers for " +
            key + " are:";
  } else {
    const auto keys = distinct_keys(rng, 4);
    for (const auto& key : keys) {
      answers.push_back(value());
      haystack.needles.push_back(needle_piece(sentence(key, answers.back()), "needle", {answers.back()}));
    }
    const std::string listed = keys[0] + ", " + keys[1] + ", " + keys[2] + ", and " + keys[3];
    input = "What are all the special magic numbers for " + listed +
            " mentioned in the provided text? The special magic numbers for " + listed + " are:";
  }
  haystack.depths = spread_depths(depth, haystack.needles.size());
  return haystack_sketch(std::move(haystack), std::move(input), std::move(answers), depth);
}

SampleSketch variable_tracking_sketch(SyntheticRng& rng, double depth) {
  constexpr std::size_t kHops = 4;
  const std::string value = rng.digits(5);
  std::vector<std::string> names;
  std::set<std::string> used;
  while (names.size() < kHops + 1) {
    std::string name = rng.upper_letters(5);
    if (used.insert(name).second) names.push_back(name);
  }
  Haystack haystack;
  for (std::size_t j = 0; j <= kHops; ++j) {
    const std::string right = j == 0 ? value : "VAR " + names[j - 1];
    Piece piece{"VAR " + names[j] + " = " + right + ".", {}};
    add_span(piece, "needle", piece.text);
    add_span(piece, "answer", names[j]);
    haystack.needles.push_back(piece);
  }
  // The chain keeps its order; it starts at `depth` and spreads over the rest of the context.
  for (std::size_t j = 0; j <= kHops; ++j) {
    haystack.depths.push_back(depth + (1.0 - depth) * static_cast<double>(j) / static_cast<double>(kHops + 1));
  }
  const std::string input = "Question: Find all variables that are assigned the value " + value +
                            " in the text above. Answer: According to the chain(s) of variable assignment in the text "
                            "above, " +
                            std::to_string(kHops + 1) + " variables are assigned the value " + value + ", they are:";
  return haystack_sketch(std::move(haystack), input, names, depth);
}

SampleSketch kv_retrieval_sketch(SyntheticRng& rng, double depth, const SampleBuilder& builder, std::size_t length) {
  // Enough distinct pairs for any length the caller can ask for; the fit below uses a prefix.
  auto pairs = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  const std::size_t capacity = length / 20 + 8;
  for (std::size_t i = 0; i < capacity; ++i) pairs->emplace_back(rng.uuid(), rng.uuid());
  const auto json_piece = [pairs](std::size_t count, std::size_t queried) {
    Piece piece{"{", {}};
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) piece.text += ", ";
      const std::string entry = "\"" + (*pairs)[i].first + "\": \"" + (*pairs)[i].second + "\"";
      if (i == queried) {
        const std::size_t at = piece.text.size();
        piece.text += entry;
        add_span(piece, "needle", entry, at);
        add_span(piece, "key", (*pairs)[i].first, at);
        add_span(piece, "answer", (*pairs)[i].second, at + (*pairs)[i].first.size());
      } else {
        piece.text += entry;
      }
    }
    piece.text += "}";
    return piece;
  };
  // The number of pairs is fitted first with the query at the first pair (its key must be
  // known for the input); then the queried index is set by depth and the key re-read.
  SampleSketch sketch;
  sketch.depth = depth;
  const std::string probe_input = "Key: \"" + (*pairs)[0].first + "\"\nThe value associated with the specified key is:";
  const std::size_t count = std::max<std::size_t>(
      1,
      builder.largest_filler([&](std::size_t n) { return json_piece(std::min(n, capacity), 0); }, probe_input, length));
  if (count >= capacity) throw InternalError("kv_retrieval pair capacity too small");
  const auto queried = static_cast<std::size_t>(std::llround(depth * static_cast<double>(count - 1)));
  sketch.input = "Key: \"" + (*pairs)[queried].first + "\"\nThe value associated with the specified key is:";
  sketch.answers = {(*pairs)[queried].second};
  // Filler beyond the pairs: noise sentences before the JSON object, so the length can be
  // met to within a sentence.
  sketch.context = [json_piece, count, queried](std::size_t noise_count) {
    Piece json = json_piece(count, queried);
    if (noise_count == 0) return json;
    Piece context = build_haystack(Haystack{}, noise_count);
    const std::size_t offset = context.text.size() + 2;
    context.text += "\n\n" + json.text;
    for (auto span : json.spans) {
      span.char_begin += offset;
      span.char_end += offset;
      context.spans.push_back(span);
    }
    return context;
  };
  return sketch;
}

SampleSketch common_words_sketch(SyntheticRng& rng, std::size_t length) {
  constexpr std::size_t kCommon = 10;
  constexpr std::size_t kUncommonRepeats = 3;
  // RULER repeats common words 30 times; shorter contexts get fewer so they still fit.
  const std::size_t common_repeats = std::clamp<std::size_t>(length / 200, 6, 30);
  const std::size_t vocabulary = length / 3 + kCommon + 8;
  std::set<std::string> seen;
  auto words = std::make_shared<std::vector<std::string>>();
  while (words->size() < vocabulary) {
    std::string word = pseudo_word(rng);
    if (seen.insert(word).second) words->push_back(word);
  }
  // One fixed order of list entries per uncommon count: the entries' shuffle keys are drawn
  // up front so that the list for n uncommon words is a prefix-stable function of n.
  auto keys = std::make_shared<std::vector<std::uint64_t>>();
  for (std::size_t i = 0; i < (vocabulary - kCommon) * kUncommonRepeats + kCommon * common_repeats; ++i) {
    keys->push_back(rng.next());
  }
  SampleSketch sketch;
  sketch.answers.assign(words->begin(), words->begin() + kCommon);
  sketch.input = "Question: What are the " + std::to_string(kCommon) +
                 " most common words in the above list? Answer: The top " + std::to_string(kCommon) +
                 " words that appear most often in the list are:";
  // The filler counts uncommon list entries (each uncommon word fills three in a row of the
  // draw, the last one possibly fewer), so the length moves in steps of one entry.
  sketch.context = [words, keys, common_repeats](std::size_t uncommon_entries) {
    uncommon_entries = std::min(uncommon_entries, (words->size() - kCommon) * kUncommonRepeats);
    std::vector<std::pair<std::uint64_t, std::size_t>> entries;  // (shuffle key, word index)
    std::size_t next_key = 0;
    for (std::size_t w = 0; w < kCommon; ++w) {
      for (std::size_t r = 0; r < common_repeats; ++r) entries.emplace_back((*keys)[next_key++], w);
    }
    for (std::size_t e = 0; e < uncommon_entries; ++e) {
      entries.emplace_back((*keys)[next_key++], kCommon + e / kUncommonRepeats);
    }
    std::sort(entries.begin(), entries.end());
    Piece piece;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) piece.text += ' ';
      piece.text += std::to_string(i + 1) + ". " + (*words)[entries[i].second];
    }
    return piece;
  };
  return sketch;
}

std::string sample_id(const SyntheticOptions& options, std::size_t index) {
  std::ostringstream id;
  id << options.task << "-" << options.length << "-" << options.seed << "-" << index;
  return id.str();
}

}  // namespace

const std::vector<std::string>& noise_sentences() {
  static const std::vector<std::string> sentences = {"The grass is green.", "The sky is blue.", "The sun is yellow.",
                                                     "Here we go.", "There and back again."};
  return sentences;
}

std::vector<SyntheticSample> generate_synthetic(const SyntheticOptions& options, const SyntheticTokenizer& tokenizer) {
  const TaskSpec task = synthetic_task_spec(options.task);
  if (options.depth && (*options.depth < 0.0 || *options.depth > 1.0 || std::isnan(*options.depth))) {
    throw InputError("--depth must lie in [0, 1], got " + std::to_string(*options.depth));
  }
  if (options.samples == 0) throw InputError("--samples must be positive");
  if (options.length > kMaxSyntheticLength) {
    throw InputError(task.name + ": a length of " + std::to_string(options.length) + " tokens is beyond the " +
                     std::to_string(kMaxSyntheticLength) + " a synthetic sample may have");
  }
  const SampleBuilder builder(task, tokenizer);
  std::vector<SyntheticSample> samples;
  for (std::size_t index = 0; index < options.samples; ++index) {
    // The stream also depends on the task and length so that files of different tasks made
    // with one seed do not share needles.
    std::uint64_t stream = index;
    for (const char c : options.task) stream = stream * 131 + static_cast<unsigned char>(c);
    stream = stream * 1000003 + options.length;
    SyntheticRng rng = SyntheticRng::for_stream(options.seed, stream);
    const double depth = options.depth ? *options.depth
                                       : (options.samples > 1
                                              ? static_cast<double>(index) / static_cast<double>(options.samples - 1)
                                              : 0.5);
    SampleSketch sketch;
    if (task.name == "synth_passkey" || task.name == "synth_number_string") {
      sketch = passkey_sketch(rng, depth, task.name == "synth_number_string");
    } else if (task.name == "synth_kv_retrieval") {
      sketch = kv_retrieval_sketch(rng, depth, builder, options.length);
    } else if (task.name == "synth_variable_tracking") {
      sketch = variable_tracking_sketch(rng, depth);
    } else if (task.name == "synth_common_words") {
      sketch = common_words_sketch(rng, options.length);
    } else {
      sketch = niah_sketch(task.name, rng, depth);
    }
    const std::size_t filler = builder.largest_filler(sketch.context, sketch.input, options.length);
    Piece context = sketch.context(filler);
    SyntheticSample sample;
    sample.id = sample_id(options, index);
    sample.task = task.name;
    sample.input = sketch.input;
    sample.answers = sketch.answers;
    sample.depth = sketch.depth;
    builder.finish(sample, context);
    const double tolerance = options.length_tolerance * static_cast<double>(options.length);
    if (std::abs(static_cast<double>(sample.length) - static_cast<double>(options.length)) > tolerance) {
      throw InputError(task.name + ": cannot reach " + std::to_string(options.length) + " tokens (closest " +
                       std::to_string(sample.length) + "); ask for a longer context");
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::string synthetic_sample_json(const SyntheticSample& sample) {
  nlohmann::ordered_json record;
  record["input"] = sample.input;
  record["context"] = sample.context;
  record["answers"] = sample.answers;
  record["length"] = sample.length;
  record["dataset"] = sample.task;
  record["language"] = "en";
  record["all_classes"] = nullptr;
  record["_id"] = sample.id;
  record["depth"] = sample.depth;
  record["prompt_context_offset"] = sample.prompt_context_offset;
  auto needles = nlohmann::ordered_json::array();
  for (const auto& span : sample.needles) {
    nlohmann::ordered_json entry;
    entry["kind"] = span.kind;
    entry["text"] = span.text;
    entry["char_span"] = {span.char_begin, span.char_end};
    entry["token_span"] = {span.token_begin, span.token_end};
    needles.push_back(entry);
  }
  record["needles"] = needles;
  return record.dump();
}

void write_synthetic_jsonl(const std::vector<SyntheticSample>& samples, const std::filesystem::path& path) {
  std::string content;
  for (const auto& sample : samples) content += synthetic_sample_json(sample) + "\n";
  core::write_text_file_atomically(path, content);
}

EvalSample eval_sample(const SyntheticSample& sample) {
  return {sample.id,
          "synthetic " + sample.id,
          {{"context", sample.context}, {"input", sample.input}},
          metrics::string_references(sample.answers),
          {}};
}

}  // namespace evomem::tasks
