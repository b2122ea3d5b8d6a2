#pragma once
// Seeded generators of the synthetic long-context tasks (tasks/synthetic/suite.h). Each sample
// is a LongBench-format record whose filled prompt has the requested number of tokens (within
// 1%) under the target tokenizer, plus the spans of its needles in characters (of `context`)
// and in tokens (of the filled prompt), so analyses can tell whether a memory policy kept the
// tokens that matter. Same options and tokenizer -> byte-identical output.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/task_samples.h"

namespace evomem::tasks {

// The target tokenizer as functions (the tasks library does not link the model library).
struct SyntheticTokenizer {
  // Ids of `text` without special tokens.
  std::function<std::vector<std::int64_t>(std::string_view)> encode;
  // The exact bytes one token stands for (byte-level BPE: its decoded text).
  std::function<std::string(std::int64_t)> token_text;
};

// The longest synthetic sample (2^21 tokens, beyond every published long-context benchmark):
// longer ones would take hours and gigabytes to build, so they are refused up front.
constexpr std::size_t kMaxSyntheticLength = std::size_t{1} << 21;

struct SyntheticOptions {
  std::string task;           // a name from synthetic_task_names()
  std::size_t length = 4096;  // tokens of the filled prompt (no BOS)
  std::size_t samples = 1;
  std::uint64_t seed = 0;
  // Depth (0 = start of the context, 1 = end) of the needle the question asks about; unset:
  // evenly spread over the samples (sample i of n at i / (n - 1)).
  std::optional<double> depth;
  // Largest allowed |tokens - length| / length; the filler is whole sentences (about five
  // tokens each), so 1% holds from about 500 tokens on with a BPE tokenizer.
  double length_tolerance = 0.01;
};

// Where one needle-related string sits. Character offsets are bytes of `context` (generated
// text is ASCII, so bytes are characters); token offsets index the tokens of the filled
// prompt without BOS (add one when the prompt starts with BOS). Token spans cover every token
// that overlaps the characters.
struct NeedleSpan {
  std::string kind;  // "needle" (the sentence holding an answer), "answer", "distractor", "key"
  std::string text;
  std::size_t char_begin = 0;
  std::size_t char_end = 0;
  std::size_t token_begin = 0;
  std::size_t token_end = 0;
};

struct SyntheticSample {
  std::string id;
  std::string task;
  std::string input;
  std::string context;
  std::vector<std::string> answers;
  std::size_t length = 0;                 // tokens of the filled prompt without BOS
  std::size_t prompt_context_offset = 0;  // byte offset of `context` inside the filled prompt
  double depth = 0.0;                     // depth of the queried needle (or key/value pair)
  std::vector<NeedleSpan> needles;
};

// Generates options.samples samples; sample i depends only on (seed, i, task, length, depth).
// InputError for an unknown task, a length too short for the task, or a depth outside [0, 1].
std::vector<SyntheticSample> generate_synthetic(const SyntheticOptions& options, const SyntheticTokenizer& tokenizer);

// One JSONL line (no newline): input, context, answers, length, dataset, language,
// all_classes, _id, then depth, prompt_context_offset and needles.
std::string synthetic_sample_json(const SyntheticSample& sample);

// The sample as the runner reads it (context and input fields, the answers as references),
// without going through a file; `where` is "synthetic ID".
EvalSample eval_sample(const SyntheticSample& sample);

// Writes one line per sample, atomically.
void write_synthetic_jsonl(const std::vector<SyntheticSample>& samples, const std::filesystem::path& path);

// The InfiniteBench noise sentences that make up haystacks.
const std::vector<std::string>& noise_sentences();

}  // namespace evomem::tasks
