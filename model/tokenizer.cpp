#include "model/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "core/utf8.h"
#include "model/pretokenizer.h"
#include "model/tokenizer_decoder.h"
#include "model/tokenizer_normalizer.h"
#include "model/unicode.h"

namespace evomem::model {

namespace {

std::string field_name(const std::string& where, const std::string& field) { return where + ": field '" + field + "'"; }

bool flag(const core::Json& entry, const char* name, bool fallback, const std::string& where,
          const std::string& field) {
  const auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    throw FormatError(field_name(where, field + "." + name) + " must be a boolean, got " + it->type_name());
  }
  return it->get<bool>();
}

// "Sequence[Split, ByteLevel]" for a component object of tokenizer.json, "none" for null.
std::string describe_component(const core::Json* component, const char* list_field) {
  if (component == nullptr || component->is_null()) return "none";
  const auto type = component->find("type");
  std::string out = type != component->end() && type->is_string() ? type->get<std::string>() : "?";
  const auto list = component->find(list_field);
  if (list != component->end() && list->is_array()) {
    out += "[";
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (i > 0) out += ", ";
      out += describe_component(&(*list)[i], list_field);
    }
    out += "]";
  }
  return out;
}

const core::Json* optional_component(const core::Json& document, const char* name) {
  const auto it = document.find(name);
  return it == document.end() || it->is_null() ? nullptr : &*it;
}

// A token named in tokenizer_config.json: a string or an AddedToken-like {"content": ...}.
std::optional<std::string> config_token(const core::Json& config, const char* name) {
  const auto it = config.find(name);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    const auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return std::nullopt;
}

// transformers' clean_up_tokenization, in its order.
std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    const std::string pattern = from;
    std::string out;
    std::size_t cursor = 0;
    for (std::size_t at = text.find(pattern); at != std::string::npos; at = text.find(pattern, cursor)) {
      out.append(text, cursor, at - cursor);
      out += to;
      cursor = at + pattern.size();
    }
    if (cursor == 0) continue;
    out.append(text, cursor, std::string::npos);
    text.swap(out);
  }
  return text;
}

}  // namespace

void Tokenizer::AddedTokenMatcher::add(std::string_view content, std::size_t token_index) {
  if (content.empty()) return;
  auto& bucket = by_first_byte_[static_cast<unsigned char>(content.front())];
  bucket.push_back({std::string(content), token_index});
  std::stable_sort(bucket.begin(), bucket.end(),
                   [](const Entry& a, const Entry& b) { return a.content.size() > b.content.size(); });
  ++count_;
}

std::optional<Tokenizer::AddedTokenMatcher::Found> Tokenizer::AddedTokenMatcher::find(std::string_view text,
                                                                                      std::size_t from) const {
  if (count_ == 0) return std::nullopt;
  for (std::size_t position = from; position < text.size(); ++position) {
    const auto& bucket = by_first_byte_[static_cast<unsigned char>(text[position])];
    for (const Entry& entry : bucket) {
      if (text.compare(position, entry.content.size(), entry.content) == 0) {
        return Found{position, entry.content.size(), entry.token_index};
      }
    }
  }
  return std::nullopt;
}

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(file)) file /= "tokenizer.json";
  if (!std::filesystem::exists(file)) {
    throw InputError(file.string() + ": no such tokenizer file (expected a Hugging Face tokenizer.json or a folder "
                                     "holding one)");
  }
  const core::Json document = core::read_json_file(file);
  const std::filesystem::path config_file = file.parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_file)) {
    const core::Json config = core::read_json_file(config_file);
    return from_json(document, &config, file.string());
  }
  return from_json(document, nullptr, file.string());
}

void Tokenizer::read_added_tokens(const core::Json& added, const std::string& where) {
  if (!added.is_array()) throw FormatError(field_name(where, "added_tokens") + " must be an array");
  for (std::size_t i = 0; i < added.size(); ++i) {
    const core::Json& entry = added[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object()) throw FormatError(field_name(where, field) + " must be an object");
    const auto id = entry.find("id");
    const auto content = entry.find("content");
    if (id == entry.end() || !id->is_number_integer() || id->get<std::int64_t>() < 0) {
      throw FormatError(field_name(where, field + ".id") + " must be a non-negative integer");
    }
    if (content == entry.end() || !content->is_string() || content->get<std::string>().empty()) {
      throw FormatError(field_name(where, field + ".content") + " must be a non-empty string");
    }
    AddedToken token;
    token.content = content->get<std::string>();
    token.id = id->get<std::int64_t>();
    token.special = flag(entry, "special", false, where, field);
    token.lstrip = flag(entry, "lstrip", false, where, field);
    token.rstrip = flag(entry, "rstrip", false, where, field);
    token.normalized = flag(entry, "normalized", !token.special, where, field);
    if (added_by_id_.count(token.id) != 0) {
      throw FormatError(field_name(where, field + ".id") + " repeats id " + std::to_string(token.id));
    }
    const std::size_t index = added_tokens_.size();
    added_by_id_.emplace(token.id, index);
    added_by_content_.emplace(token.content, index);
    if (token.special) special_ids_.insert(token.id);
    added_tokens_.push_back(std::move(token));
  }
  for (std::size_t index = 0; index < added_tokens_.size(); ++index) {
    const AddedToken& token = added_tokens_[index];
    if (token.normalized && normalizer_) {
      normalized_matcher_.add(normalizer_->normalize(token.content), index);
    } else {
      raw_matcher_.add(token.content, index);
    }
  }
}

// Post-processor: the special tokens around a single sequence.
void Tokenizer::read_post_processor(const core::Json& processor, const std::string& field, const std::string& where) {
  const auto type = processor.find("type");
  const std::string name = type != processor.end() && type->is_string() ? type->get<std::string>() : "";
  if (name == "ByteLevel") return;  // offsets only; ids are unchanged
  if (name == "Sequence") {
    const auto processors = processor.find("processors");
    if (processors == processor.end() || !processors->is_array()) {
      throw FormatError(field_name(where, field + ".processors") + " must be an array");
    }
    for (std::size_t i = 0; i < processors->size(); ++i) {
      read_post_processor((*processors)[i], field + ".processors[" + std::to_string(i) + "]", where);
    }
    return;
  }
  if (name != "TemplateProcessing") {
    throw InputError(field_name(where, field + ".type") + " is \"" + name +
                     "\"; supported: \"TemplateProcessing\", \"ByteLevel\", \"Sequence\"");
  }
  const auto single = processor.find("single");
  const auto specials = processor.find("special_tokens");
  if (single == processor.end() || !single->is_array()) {
    throw FormatError(field_name(where, field + ".single") + " must be an array");
  }
  bool after_sequence = false;
  for (std::size_t i = 0; i < single->size(); ++i) {
    const core::Json& item = (*single)[i];
    const std::string item_field = field + ".single[" + std::to_string(i) + "]";
    if (item.contains("Sequence")) {
      after_sequence = true;
      continue;
    }
    if (!item.contains("SpecialToken") || !item["SpecialToken"].contains("id") ||
        !item["SpecialToken"]["id"].is_string()) {
      throw FormatError(field_name(where, item_field) +
                        " must be {\"SpecialToken\": {\"id\": ...}} or {\"Sequence\": ...}");
    }
    const std::string token_name = item["SpecialToken"]["id"].get<std::string>();
    if (specials == processor.end() || !specials->contains(token_name) || !(*specials)[token_name].contains("ids") ||
        !(*specials)[token_name]["ids"].is_array()) {
      throw FormatError(field_name(where, field + ".special_tokens") + " has no ids for \"" + token_name + "\"");
    }
    for (const core::Json& special_id : (*specials)[token_name]["ids"]) {
      if (!special_id.is_number_integer()) {
        throw FormatError(field_name(where, field + ".special_tokens." + token_name + ".ids") + " must hold integers");
      }
      (after_sequence ? suffix_ids_ : prefix_ids_).push_back(special_id.get<TokenId>());
    }
  }
}

Tokenizer Tokenizer::from_json(const core::Json& document, const core::Json* config, const std::string& where) {
  if (!document.is_object()) {
    throw FormatError(where + ": a tokenizer.json document must be a JSON object, got " + document.type_name());
  }
  Tokenizer tokenizer;
  const core::Json* model = optional_component(document, "model");
  if (model == nullptr) throw FormatError(field_name(where, "model") + " is missing");
  tokenizer.model_ = BpeModel::from_json(*model, where);

  const core::Json* normalizer = optional_component(document, "normalizer");
  const core::Json* pre_tokenizer = optional_component(document, "pre_tokenizer");
  const core::Json* decoder = optional_component(document, "decoder");
  if (normalizer) tokenizer.normalizer_ = Normalizer::from_json(*normalizer, where, "normalizer");
  if (pre_tokenizer) tokenizer.pre_tokenizer_ = PreTokenizer::from_json(*pre_tokenizer, where, "pre_tokenizer");
  if (decoder) tokenizer.decoder_ = Decoder::from_json(*decoder, where, "decoder");
  tokenizer.pipeline_ = "normalizer " + describe_component(normalizer, "normalizers") + ", pre_tokenizer " +
                        describe_component(pre_tokenizer, "pretokenizers") + ", decoder " +
                        describe_component(decoder, "decoders");

  if (const core::Json* added = optional_component(document, "added_tokens"))
    tokenizer.read_added_tokens(*added, where);
  if (const core::Json* processor = optional_component(document, "post_processor")) {
    tokenizer.read_post_processor(*processor, "post_processor", where);
  }

  if (config != nullptr && config->is_object()) {
    if (const auto bos = config_token(*config, "bos_token")) tokenizer.bos_id_ = tokenizer.token_to_id(*bos);
    if (const auto eos = config_token(*config, "eos_token")) tokenizer.eos_id_ = tokenizer.token_to_id(*eos);
    const auto cleanup = config->find("clean_up_tokenization_spaces");
    tokenizer.clean_up_spaces_ = cleanup != config->end() && cleanup->is_boolean() && cleanup->get<bool>();
    const auto extra = config->find("additional_special_tokens");
    if (extra != config->end() && extra->is_array()) {
      for (const core::Json& entry : *extra) {
        std::optional<std::string> content;
        if (entry.is_string()) content = entry.get<std::string>();
        if (entry.is_object() && entry.contains("content") && entry["content"].is_string()) {
          content = entry["content"].get<std::string>();
        }
        if (content) {
          if (const auto id = tokenizer.token_to_id(*content)) tokenizer.special_ids_.insert(*id);
        }
      }
    }
    // transformers' LlamaTokenizer(Fast) rebuilds the post-processor from add_bos_token /
    // add_eos_token (defaults true / false), whatever tokenizer.json says.
    const auto tokenizer_class = config->find("tokenizer_class");
    if (tokenizer_class != config->end() && tokenizer_class->is_string()) {
      const std::string name = tokenizer_class->get<std::string>();
      if (name == "LlamaTokenizer" || name == "LlamaTokenizerFast") {
        const bool add_bos = !config->contains("add_bos_token") || (*config)["add_bos_token"] == true;
        const bool add_eos = config->contains("add_eos_token") && (*config)["add_eos_token"] == true;
        if ((add_bos && !tokenizer.bos_id_) || (add_eos && !tokenizer.eos_id_)) {
          throw FormatError(where + ": tokenizer_config.json asks for " +
                            (add_bos ? "add_bos_token" : "add_eos_token") + " but its token is not in the vocabulary");
        }
        tokenizer.prefix_ids_.clear();
        tokenizer.suffix_ids_.clear();
        if (add_bos) tokenizer.prefix_ids_.push_back(*tokenizer.bos_id_);
        if (add_eos) tokenizer.suffix_ids_.push_back(*tokenizer.eos_id_);
      }
    }
  }
  std::vector<TokenId> template_ids_used = tokenizer.prefix_ids_;
  template_ids_used.insert(template_ids_used.end(), tokenizer.suffix_ids_.begin(), tokenizer.suffix_ids_.end());
  for (const TokenId id : template_ids_used) {
    if (!tokenizer.id_to_token(id)) {
      throw FormatError(field_name(where, "post_processor") + " adds id " + std::to_string(id) +
                        ", which is not in the vocabulary");
    }
  }
  return tokenizer;
}

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  const auto it = added_by_content_.find(std::string(token));
  if (it != added_by_content_.end()) return added_tokens_[it->second].id;
  return model_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(TokenId id) const {
  const auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return added_tokens_[it->second].content;
  if (const std::string* token = model_->id_to_token(id)) return *token;
  return std::nullopt;
}

std::size_t Tokenizer::vocab_size() const {
  std::size_t size = model_->vocab_size();
  for (const AddedToken& token : added_tokens_) size = std::max(size, static_cast<std::size_t>(token.id) + 1);
  return size;
}

void Tokenizer::split_added(std::string_view text, const AddedTokenMatcher& matcher, std::vector<Section>& out) const {
  const std::size_t first = out.size();
  std::size_t cursor = 0;
  while (cursor < text.size()) {
    const auto found = matcher.find(text, cursor);
    if (!found) break;
    if (found->position > cursor) out.push_back({text.substr(cursor, found->position - cursor), nullptr});
    out.push_back({text.substr(found->position, found->length), &added_tokens_[found->token_index]});
    cursor = found->position + found->length;
  }
  if (cursor < text.size()) out.push_back({text.substr(cursor), nullptr});
  for (std::size_t i = first; i < out.size(); ++i) {
    const AddedToken* token = out[i].added;
    if (token == nullptr) continue;
    if (token->lstrip && i > first && out[i - 1].added == nullptr) out[i - 1].text = unicode::trim_end(out[i - 1].text);
    if (token->rstrip && i + 1 < out.size() && out[i + 1].added == nullptr) {
      out[i + 1].text = unicode::trim_start(out[i + 1].text);
    }
  }
}

void Tokenizer::encode_ordinary(std::string_view text, bool first_section, std::vector<TokenId>& ids) const {
  std::string normalized = normalizer_ ? normalizer_->normalize(std::string(text)) : std::string(text);
  if (normalized.empty()) return;
  std::vector<Section> subsections;
  if (normalized_matcher_.empty()) {
    subsections.push_back({normalized, nullptr});
  } else {
    split_added(normalized, normalized_matcher_, subsections);
  }
  std::vector<std::string> pieces;
  for (const Section& subsection : subsections) {
    if (subsection.added != nullptr) {
      ids.push_back(subsection.added->id);
      continue;
    }
    if (subsection.text.empty()) continue;
    pieces.assign(1, std::string(subsection.text));
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces, first_section);
    for (const std::string& piece : pieces) model_->encode_word(piece, ids);
  }
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::string repaired;
  if (!core::is_valid_utf8(text)) {
    repaired = core::to_valid_utf8(text);
    text = repaired;
  }
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_special_tokens) ids.insert(ids.end(), prefix_ids_.begin(), prefix_ids_.end());
  std::vector<Section> sections;
  split_added(text, raw_matcher_, sections);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].added != nullptr) {
      ids.push_back(sections[i].added->id);
    } else if (!sections[i].text.empty()) {
      encode_ordinary(sections[i].text, i == 0, ids);
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, const DecodeOptions& options) const {
  std::vector<DecodePiece> pieces;
  pieces.reserve(ids.size());
  for (const TokenId id : ids) {
    if (options.skip_special_tokens && is_special(id)) continue;
    const auto added = added_by_id_.find(id);
    if (added != added_by_id_.end()) {
      pieces.push_back({added_tokens_[added->second].content, true});
      continue;
    }
    const std::string* token = model_->id_to_token(id);
    if (token == nullptr) {
      throw InputError("cannot decode token id " + std::to_string(id) + ": the vocabulary has ids 0.." +
                       std::to_string(vocab_size() - 1));
    }
    pieces.push_back({*token, false});
  }
  std::string text;
  if (decoder_) {
    decoder_->decode_chain(pieces);
    for (const DecodePiece& piece : pieces) text += piece.text;
  } else {
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (i > 0) text += ' ';
      text += pieces[i].text;
    }
  }
  if (options.clean_up_tokenization_spaces.value_or(clean_up_spaces_)) text = clean_up_tokenization(std::move(text));
  return text;
}

std::string Tokenizer::summary() const {
  const auto name_of = [&](const std::optional<TokenId>& id) {
    if (!id) return std::string("none");
    return *id_to_token(*id) + " (" + std::to_string(*id) + ")";
  };
  std::string out = "BPE, vocabulary " + std::to_string(vocab_size()) + " (" + std::to_string(added_tokens_.size()) +
                    " added), " + pipeline_ + ", BOS " + name_of(bos_id_) + ", EOS " + name_of(eos_id_) +
                    ", encode adds";
  if (prefix_ids_.empty() && suffix_ids_.empty()) out += " nothing";
  for (const TokenId id : prefix_ids_) out += " " + name_of(id) + " before";
  for (const TokenId id : suffix_ids_) out += " " + name_of(id) + " after";
  return out;
}

}  // namespace evomem::model
