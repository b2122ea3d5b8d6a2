#include "model/bpe.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "core/error.h"
#include "core/utf8.h"

namespace evomem::model {

namespace {

std::string in_quotes(std::string_view text) {
  std::string out = "'";
  out.append(text);
  out.push_back('\'');
  return out;
}

std::string byte_token(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "<0x%02X>", byte);
  return buffer;
}

// A field that evomem only supports at its neutral value (null, 0 or the empty string).
void require_neutral(const core::Json& model, const std::string& field, const std::string& where) {
  const auto it = model.find(field);
  if (it == model.end() || it->is_null()) return;
  if (it->is_string() && it->get<std::string>().empty()) return;
  if (it->is_number() && it->get<double>() == 0.0) return;
  throw InputError(where + ": field 'model." + field + "' is " + it->dump() +
                   "; only null is supported (Llama 2 / Llama 3 style BPE)");
}

bool optional_bool(const core::Json& model, const std::string& field, const std::string& where) {
  const auto it = model.find(field);
  if (it == model.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    throw FormatError(where + ": field 'model." + field + "' must be a boolean, got " + it->type_name());
  }
  return it->get<bool>();
}

}  // namespace

BpeModel::BpeModel(std::vector<std::string> vocab, const std::vector<BpeMerge>& merges, BpeOptions options,
                   const std::string& where)
    : tokens_(std::move(vocab)), options_(std::move(options)) {
  ids_.reserve(tokens_.size());
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    if (tokens_[id].empty()) continue;  // ids without a token (holes in a sparse vocabulary)
    if (!ids_.emplace(std::string_view(tokens_[id]), static_cast<std::int32_t>(id)).second) {
      throw FormatError(where + ": token " + in_quotes(tokens_[id]) + " appears twice in 'model.vocab'");
    }
  }
  merges_.reserve(merges.size());
  std::string merged;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& merge = merges[rank];
    const auto left = token_to_id(merge.left);
    const auto right = token_to_id(merge.right);
    merged = merge.left + merge.right;
    const auto result = token_to_id(merged);
    const char* missing = !left ? "left part" : !right ? "right part" : !result ? "merged token" : nullptr;
    if (missing) {
      const std::string& token = !left ? merge.left : !right ? merge.right : merged;
      throw FormatError(where + ": merge " + std::to_string(rank) + " (" + in_quotes(merge.left + " " + merge.right) +
                        "): its " + missing + " " + in_quotes(token) + " is not in 'model.vocab'");
    }
    // A repeated pair keeps its first (highest-priority) rank.
    merges_.emplace(pair_key(static_cast<std::int32_t>(*left), static_cast<std::int32_t>(*right)),
                    MergeTarget{static_cast<std::int32_t>(rank), static_cast<std::int32_t>(*result)});
  }
  if (options_.unk_token) {
    unk_id_ = token_to_id(*options_.unk_token);
    if (!unk_id_) {
      throw FormatError(where + ": field 'model.unk_token' names " + in_quotes(*options_.unk_token) +
                        ", which is not in 'model.vocab'");
    }
  }
  for (int byte = 0; byte < 256; ++byte) {
    const auto id = token_to_id(byte_token(static_cast<unsigned char>(byte)));
    byte_token_ids_[byte] = id ? static_cast<std::int32_t>(*id) : -1;
  }
  small_char_ids_.assign(kSmallCharLimit, -1);
  std::string character;
  for (char32_t code_point = 0; code_point < kSmallCharLimit; ++code_point) {
    character.clear();
    core::append_utf8(character, code_point);
    if (const auto id = token_to_id(character)) small_char_ids_[code_point] = static_cast<std::int32_t>(*id);
  }
}

std::unique_ptr<BpeModel> BpeModel::from_json(const core::Json& model, const std::string& where) {
  if (!model.is_object()) {
    throw FormatError(where + ": field 'model' must be an object, got " + std::string(model.type_name()));
  }
  const auto type = model.find("type");
  if (type != model.end() && !(type->is_string() && type->get<std::string>() == "BPE")) {
    throw InputError(where + ": field 'model.type' is " + type->dump() + "; supported: \"BPE\"");
  }
  require_neutral(model, "dropout", where);
  require_neutral(model, "continuing_subword_prefix", where);
  require_neutral(model, "end_of_word_suffix", where);

  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) {
    throw FormatError(where + ": field 'model.vocab' must be an object mapping tokens to ids");
  }
  std::vector<std::string> tokens;
  for (auto it = vocab_it->begin(); it != vocab_it->end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
        it.value().get<std::int64_t>() > (1LL << 30)) {
      throw FormatError(where + ": field 'model.vocab' entry " + in_quotes(it.key()) +
                        " must map to a non-negative integer id, got " + it.value().dump());
    }
    if (it.key().empty()) {
      throw FormatError(where + ": field 'model.vocab' holds an empty token");
    }
    const auto id = static_cast<std::size_t>(it.value().get<std::int64_t>());
    if (id >= tokens.size()) tokens.resize(id + 1);
    if (!tokens[id].empty()) {
      throw FormatError(where + ": field 'model.vocab' gives id " + std::to_string(id) + " to both " +
                        in_quotes(tokens[id]) + " and " + in_quotes(it.key()));
    }
    tokens[id] = it.key();
  }

  std::vector<BpeMerge> merges;
  const auto merges_it = model.find("merges");
  if (merges_it != model.end() && !merges_it->is_null()) {
    if (!merges_it->is_array()) {
      throw FormatError(where + ": field 'model.merges' must be an array");
    }
    merges.reserve(merges_it->size());
    for (std::size_t i = 0; i < merges_it->size(); ++i) {
      const core::Json& entry = (*merges_it)[i];
      const std::string field = where + ": field 'model.merges[" + std::to_string(i) + "]'";
      if (entry.is_string()) {
        // Legacy format "left right": tokens never contain a plain space in this format.
        const std::string& text = entry.get_ref<const std::string&>();
        const std::size_t space = text.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= text.size() ||
            text.find(' ', space + 1) != std::string::npos) {
          throw FormatError(field + " must be two tokens separated by one space, got " + entry.dump());
        }
        merges.push_back({text.substr(0, space), text.substr(space + 1)});
      } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
        merges.push_back({entry[0].get<std::string>(), entry[1].get<std::string>()});
      } else {
        throw FormatError(field + " must be \"left right\" or [\"left\", \"right\"], got " + entry.dump());
      }
    }
  }

  BpeOptions options;
  const auto unk = model.find("unk_token");
  if (unk != model.end() && !unk->is_null()) {
    if (!unk->is_string()) {
      throw FormatError(where + ": field 'model.unk_token' must be a string or null, got " + unk->type_name());
    }
    options.unk_token = unk->get<std::string>();
  }
  options.fuse_unk = optional_bool(model, "fuse_unk", where);
  options.byte_fallback = optional_bool(model, "byte_fallback", where);
  options.ignore_merges = optional_bool(model, "ignore_merges", where);
  return std::make_unique<BpeModel>(std::move(tokens), merges, std::move(options), where);
}

std::optional<TokenId> BpeModel::token_to_id(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size() || tokens_[id].empty()) return nullptr;
  return &tokens_[static_cast<std::size_t>(id)];
}

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (const auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  if (word.size() > kMaxCachedWordBytes) {
    merge_word(word, out);
    return;
  }
  std::string key(word);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const std::size_t start = out.size();
  merge_word(word, out);
  std::lock_guard<std::mutex> lock(cache_mutex_);
  // A full cache stops growing instead of evicting: the first words seen are the frequent ones.
  if (cache_.size() < kCacheCapacity) {
    cache_.emplace(std::move(key), std::vector<TokenId>(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()));
  }
}

void BpeModel::append_unknown(std::string_view character, std::size_t word_start, std::vector<TokenId>& out) const {
  if (options_.byte_fallback) {
    bool all_present = true;
    for (const char byte : character) {
      all_present = all_present && byte_token_ids_[static_cast<unsigned char>(byte)] >= 0;
    }
    if (all_present) {
      for (const char byte : character) out.push_back(byte_token_ids_[static_cast<unsigned char>(byte)]);
      return;
    }
  }
  if (!unk_id_) return;  // without an unk token, unknown characters are dropped
  if (options_.fuse_unk && out.size() > word_start && out.back() == *unk_id_) return;
  out.push_back(*unk_id_);
}

void BpeModel::merge_word(std::string_view word, std::vector<TokenId>& out) const {
  // Symbols form a doubly linked list over the characters of the word; a merged symbol takes
  // the slot of its left part. id -1 marks a character missing from the vocabulary: it never
  // merges and is resolved by byte fallback / unk at the end.
  struct Symbol {
    std::int32_t id;
    std::int32_t prev;
    std::int32_t next;
    std::uint32_t offset;
    std::uint32_t length;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (std::size_t offset = 0; offset < word.size();) {
    const std::size_t length = std::min(core::sequence_length_from_lead(static_cast<unsigned char>(word[offset])),
                                        word.size() - offset);
    std::int32_t id = -1;
    if (length <= 2 && core::valid_sequence_length(word, offset) == length) {
      std::size_t cursor = offset;
      id = small_char_ids_[core::next_code_point(word, cursor)];
    } else if (const auto found = token_to_id(word.substr(offset, length))) {
      id = static_cast<std::int32_t>(*found);
    }
    const auto index = static_cast<std::int32_t>(symbols.size());
    symbols.push_back(
        {id, index - 1, index + 1, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)});
    offset += length;
  }
  symbols.back().next = -1;

  // Candidate merges ordered by rank, then by position (leftmost first), as in the reference.
  struct Candidate {
    std::int32_t rank;
    std::int32_t position;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : position > other.position;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto find_merge = [&](std::int32_t left) -> const MergeTarget* {
    const std::int32_t right = symbols[left].next;
    if (right < 0 || symbols[left].id < 0 || symbols[right].id < 0) return nullptr;
    const auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    return it == merges_.end() ? nullptr : &it->second;
  };
  const auto push_candidate = [&](std::int32_t left) {
    if (const MergeTarget* target = find_merge(left)) queue.push({target->rank, left});
  };
  for (std::int32_t i = 0; i + 1 < static_cast<std::int32_t>(symbols.size()); ++i) push_candidate(i);

  while (!queue.empty()) {
    const Candidate candidate = queue.top();
    queue.pop();
    Symbol& left = symbols[candidate.position];
    if (left.length == 0) continue;  // merged away into its left neighbour
    const MergeTarget* target = find_merge(candidate.position);
    // Ranks are unique per pair, so the same rank means the queued pair is still current.
    if (target == nullptr || target->rank != candidate.rank) continue;
    Symbol& right = symbols[left.next];
    left.id = target->merged_id;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = candidate.position;
    if (left.prev >= 0) push_candidate(left.prev);
    push_candidate(candidate.position);
  }

  const std::size_t word_start = out.size();
  for (std::int32_t i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& symbol = symbols[i];
    if (symbol.id >= 0) {
      out.push_back(symbol.id);
    } else {
      append_unknown(word.substr(symbol.offset, symbol.length), word_start, out);
    }
  }
}

}  // namespace evomem::model
