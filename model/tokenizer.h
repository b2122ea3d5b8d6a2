#pragma once
// A text tokenizer read from a Hugging Face `tokenizer.json` (plus `tokenizer_config.json`
// when it sits beside it): BPE models with the byte-level pipeline of Llama 3 or the
// sentencepiece-style metaspace pipeline of Llama 2, added and special tokens, BOS/EOS as the
// post-processor says, and decoding. Ids match the Hugging Face reference (docs/tokenizer.md).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/json_file.h"
#include "model/bpe.h"

namespace evomem::model {

class Normalizer;
class PreTokenizer;
class Decoder;

// An entry of tokenizer.json "added_tokens": matched in the raw text before anything else.
struct AddedToken {
  std::string content;
  TokenId id = 0;
  bool special = false;     // skipped by decode(skip_special_tokens)
  bool lstrip = false;      // swallows white space on its left
  bool rstrip = false;      // swallows white space on its right
  bool normalized = false;  // matched in the normalized text instead of the raw text
};

struct DecodeOptions {
  bool skip_special_tokens = false;
  // Undo " ." -> "." style spacing (transformers' clean_up_tokenization). Unset: the value of
  // tokenizer_config.json's clean_up_tokenization_spaces, false without that file or key.
  std::optional<bool> clean_up_tokenization_spaces;
};

class Tokenizer {
 public:
  // Reads `path` (tokenizer.json, or a folder holding it) and the tokenizer_config.json next
  // to it if there is one. InputError / FormatError with the file and field on bad input.
  static Tokenizer load(const std::filesystem::path& path);
  // From parsed documents; `config` may be null. `where` names tokenizer.json in messages.
  static Tokenizer from_json(const core::Json& tokenizer, const core::Json* config, const std::string& where);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Token ids of `text` (UTF-8; ill-formed bytes are read as U+FFFD). With
  // add_special_tokens the post-processor's BOS/EOS tokens are added.
  std::vector<TokenId> encode(std::string_view text, bool add_special_tokens = true) const;
  // Text of `ids`; InputError for an id outside the vocabulary.
  std::string decode(const std::vector<TokenId>& ids, const DecodeOptions& options = {}) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(TokenId id) const;
  // One more than the largest id (model vocabulary and added tokens).
  std::size_t vocab_size() const;
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }
  std::optional<TokenId> bos_token_id() const { return bos_id_; }
  std::optional<TokenId> eos_token_id() const { return eos_id_; }
  // Ids encode(text, true) puts before / after the text's ids.
  const std::vector<TokenId>& prefix_ids() const { return prefix_ids_; }
  const std::vector<TokenId>& suffix_ids() const { return suffix_ids_; }
  bool is_special(TokenId id) const { return special_ids_.count(id) != 0; }
  // One line for `backbone info`: model type, pipeline, vocabulary, BOS/EOS.
  std::string summary() const;

  // Leftmost-longest matcher over a set of added-token strings (public for tests).
  class AddedTokenMatcher {
   public:
    void add(std::string_view content, std::size_t token_index);
    bool empty() const { return count_ == 0; }
    struct Found {
      std::size_t position;
      std::size_t length;
      std::size_t token_index;
    };
    // First match at or after `from`, the longest one at that position.
    std::optional<Found> find(std::string_view text, std::size_t from) const;

   private:
    struct Entry {
      std::string content;
      std::size_t token_index;
    };
    std::vector<Entry> by_first_byte_[256];  // longest first
    std::size_t count_ = 0;
  };

 private:
  Tokenizer();
  // from_json's steps: added_tokens, and the ids the post-processor puts around a sequence.
  void read_added_tokens(const core::Json& added, const std::string& where);
  void read_post_processor(const core::Json& processor, const std::string& field, const std::string& where);
  struct Section {
    std::string_view text;
    const AddedToken* added;  // nullptr for ordinary text
  };
  void split_added(std::string_view text, const AddedTokenMatcher& matcher, std::vector<Section>& out) const;
  void encode_ordinary(std::string_view text, bool first_section, std::vector<TokenId>& ids) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<AddedToken> added_tokens_;
  std::unordered_map<TokenId, std::size_t> added_by_id_;
  std::unordered_map<std::string, std::size_t> added_by_content_;
  AddedTokenMatcher raw_matcher_;
  AddedTokenMatcher normalized_matcher_;
  std::unordered_set<TokenId> special_ids_;
  std::vector<TokenId> prefix_ids_;
  std::vector<TokenId> suffix_ids_;
  std::optional<TokenId> bos_id_;
  std::optional<TokenId> eos_id_;
  bool clean_up_spaces_ = false;
  std::string pipeline_;  // e.g. "Sequence(Split, ByteLevel)" for summary()
};

}  // namespace evomem::model
