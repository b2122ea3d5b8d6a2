#pragma once
// The BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE", ...}): vocabulary,
// ranked merges, byte fallback, unknown-token handling and a cache of word -> ids.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json_file.h"

namespace evomem::model {

using TokenId = std::int64_t;

// Options of the BPE model that change how a word is split (names as in tokenizer.json).
struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;       // consecutive unknown pieces of a word become one unk token
  bool byte_fallback = false;  // unknown characters become <0xNN> byte tokens
  bool ignore_merges = false;  // a word that is itself in the vocabulary is not merged
};

// One merge rule "left right" in priority order (rank = position in the list).
struct BpeMerge {
  std::string left;
  std::string right;
};

class BpeModel {
 public:
  // `vocab[id]` is the token of id `id` (ids must be dense 0..n-1). Throws FormatError naming
  // `where` for duplicate tokens, merges whose parts or result are not in the vocabulary, or
  // an unk_token that is not in the vocabulary.
  BpeModel(std::vector<std::string> vocab, const std::vector<BpeMerge>& merges, BpeOptions options,
           const std::string& where);
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Reads the "model" object of tokenizer.json; `where` names the file in messages.
  static std::unique_ptr<BpeModel> from_json(const core::Json& model, const std::string& where);

  // Appends the ids of one pre-tokenized word (in the model's alphabet) to `out`.
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;
  // nullptr for ids outside the vocabulary.
  const std::string* id_to_token(TokenId id) const;
  std::size_t vocab_size() const { return tokens_.size(); }
  std::optional<TokenId> unk_id() const { return unk_id_; }
  const BpeOptions& options() const { return options_; }

  // Words longer than this (in bytes) are not cached: they are rare and would evict many
  // short frequent words.
  static constexpr std::size_t kMaxCachedWordBytes = 256;
  static constexpr std::size_t kCacheCapacity = 1 << 17;
  static constexpr char32_t kSmallCharLimit = 0x800;

 private:
  struct MergeTarget {
    std::int32_t rank;
    std::int32_t merged_id;
  };
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
  }
  void merge_word(std::string_view word, std::vector<TokenId>& out) const;
  // Byte fallback or unk for a character missing from the vocabulary; unk tokens fuse only
  // within one word (the ids from word_start on).
  void append_unknown(std::string_view character, std::size_t word_start, std::vector<TokenId>& out) const;

  std::vector<std::string> tokens_;
  // Keys view the strings of tokens_, which are never modified after construction.
  std::unordered_map<std::string_view, std::int32_t> ids_;
  std::unordered_map<std::uint64_t, MergeTarget> merges_;
  BpeOptions options_;
  std::optional<TokenId> unk_id_;
  std::int32_t byte_token_ids_[256];  // id of "<0xNN>", -1 if absent
  // Id of each single character below U+0800 (every byte-level character, ASCII and Latin),
  // -1 if absent: the first step of every word without a hash lookup per character.
  std::vector<std::int32_t> small_char_ids_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

}  // namespace evomem::model
