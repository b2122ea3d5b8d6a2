#pragma once
// What a memory policy retained on one sample, layer by layer and KV head by KV head, in a
// form that needs no LibTorch: the tokens the backbone processed (ids, text, byte offsets,
// token class), the task's landmarks (preamble, answer spans) and, per layer and head, the
// update at which each token was evicted. Written to retention.h5 by `evomem analyze`
// (docs/formats.md), summarised by report/retention_summary.h and drawn by the report.

#include <cstdint>
#include <string>
#include <vector>

namespace evomem::report {

// A coarse class of what a token's text is, for "what does this layer throw away" tables.
enum class TokenClass : std::uint8_t {
  kWhitespace = 0,   // only white space (spaces, newlines, tabs)
  kPunctuation = 1,  // only punctuation or symbols (white space allowed around them)
  kDigits = 2,       // digits (white space allowed around them)
  kWords = 3,        // contains a letter
  kSpecial = 4,      // a special token (BOS, chat markers)
  kOther = 5,        // anything else (mixed, control bytes, partial UTF-8)
};
constexpr int kTokenClassCount = 6;
// "whitespace", "punctuation", "digits", "words", "special", "other".
const char* token_class_name(TokenClass token_class);
// The class of a token from its decoded text; `special` for added special tokens.
TokenClass classify_token(const std::string& text, bool special);

// A span of processed tokens [token_begin, token_end) that a task marks, e.g. the answer.
struct TokenSpan {
  std::string kind;  // "answer", "needle", "key", "distractor" (synthetic tasks)
  std::int64_t token_begin = 0;
  std::int64_t token_end = 0;
};

// Eviction value of a token that is still cached at the end of the sample.
constexpr std::int32_t kNeverEvicted = -1;

struct SampleRetention {
  std::string task;
  std::string id;
  std::string policy;      // canonical policy spec
  std::string prediction;  // the generated answer
  double score = 0.0;      // the task metric, 0..1

  // Every token the backbone processed, in order: the prompt, then the generated tokens it
  // fed back (the last generated token is never fed, so it is not here).
  std::vector<std::int64_t> token_ids;
  std::vector<std::string> token_texts;  // decoded text of each token on its own
  // Byte offsets of each token in `text` (the concatenation of token_texts).
  std::vector<std::int64_t> char_begin;
  std::vector<std::int64_t> char_end;
  std::string text;
  std::vector<TokenClass> token_classes;
  std::int64_t prompt_tokens = 0;  // tokens [0, prompt_tokens) are the prompt
  // Tokens [0, preamble_end) come before the task's context (BOS, instructions); 0 when the
  // task has no context field or the prompt starts with it.
  std::int64_t preamble_end = 0;
  std::vector<TokenSpan> spans;

  std::int64_t layers = 0;
  std::int64_t kv_heads = 0;
  // Per layer, [kv_heads * tokens] row-major by head: the backbone's token count at the update
  // point that evicted the token from that head, or kNeverEvicted.
  std::vector<std::vector<std::int32_t>> evicted_at;

  std::int64_t tokens() const { return static_cast<std::int64_t>(token_ids.size()); }
  // Whether `head` of `layer` still caches token `token` at the end of the sample.
  bool kept(std::int64_t layer, std::int64_t head, std::int64_t token) const {
    return evicted_at[static_cast<std::size_t>(layer)][static_cast<std::size_t>(head * tokens() + token)] ==
           kNeverEvicted;
  }
  // [kv_heads * tokens] 0/1 keep mask of `layer` at the end of the sample.
  std::vector<std::uint8_t> keep_mask(std::int64_t layer) const;
};

}  // namespace evomem::report
