#pragma once
// Pre-tokenizers of tokenizer.json: they cut normalized text into the words the BPE model
// merges independently. Supported: ByteLevel, Split, Metaspace and Sequence of those.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_file.h"
#include "model/tokenizer_regex.h"

namespace evomem::model {

// The byte-level alphabet of GPT-2 style tokenizers: every byte has a printable stand-in
// character (printable ASCII and Latin-1 map to themselves, the rest to U+0100 onwards).
const std::string& byte_level_char(unsigned char byte);
// The byte a stand-in character encodes, or -1 if `code_point` is not one.
int byte_level_byte(char32_t code_point);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their further split (and transformed) pieces, in order.
  // `first_section` is true when the text begins at the start of the input (Metaspace's
  // prepend_scheme "first").
  virtual void pre_tokenize(std::vector<std::string>& pieces, bool first_section) const = 0;

  // Builds the pre-tokenizer described by `config` (the value of `field` in `where`).
  // InputError naming file, field and the supported types for anything else.
  static std::unique_ptr<PreTokenizer> from_json(const core::Json& config, const std::string& where,
                                                 const std::string& field);
};

// How a Split pre-tokenizer treats the pieces its pattern matches (tokenizer.json "behavior").
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Cuts `text` at the non-empty `matches` (sorted, disjoint) following `behavior`; `invert`
// swaps the roles of matches and the text between them. Empty pieces are dropped.
std::vector<std::string_view> split_pieces(std::string_view text, const std::vector<TokenizerRegex::Match>& matches,
                                           SplitBehavior behavior, bool invert);

}  // namespace evomem::model
