#pragma once
// The regular expressions of tokenizer.json (Split pre-tokenizer, Replace normalizer), run
// with PCRE2 in UTF + Unicode-property mode and JIT-compiled.
//
// tokenizer.json patterns are written for Oniguruma. PCRE2 reads the constructs Llama
// tokenizers use the same way (\p{L}, \p{N}, \s as Unicode White_Space, lookahead), with one
// deliberate translation: inline case-insensitive groups `(?i:...)` fold ASCII letters only,
// as the Hugging Face JavaScript reference does, so that "'ſ" (long s) is not a contraction.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::model {

// A compiled pattern. Safe to use from several threads at once.
class TokenizerRegex {
 public:
  // `where` names the pattern's origin ("tokenizer.json: field 'pre_tokenizer.pattern.Regex'")
  // for the InputError thrown when PCRE2 rejects it.
  TokenizerRegex(const std::string& pattern, const std::string& where);
  ~TokenizerRegex();
  TokenizerRegex(const TokenizerRegex&) = delete;
  TokenizerRegex& operator=(const TokenizerRegex&) = delete;

  struct Match {
    std::size_t start;
    std::size_t end;
  };
  // Every non-empty, non-overlapping match in well-formed UTF-8 `text`, left to right.
  void find_all(std::string_view text, std::vector<Match>& matches) const;

  // The PCRE2 pattern actually compiled (after the case-folding translation).
  const std::string& translated_pattern() const { return translated_; }

 private:
  struct Compiled;
  std::string translated_;
  std::unique_ptr<Compiled> compiled_;
};

// Rewrites `(?i:...)` groups of an Oniguruma-style pattern so that they fold ASCII letters
// only (exposed for tests).
std::string translate_case_insensitive_groups(const std::string& pattern);

}  // namespace evomem::model
