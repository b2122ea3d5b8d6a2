#include "model/tokenizer_normalizer.h"

#include <vector>

#include "core/error.h"
#include "model/tokenizer_regex.h"

namespace evomem::model {

namespace {

std::string field_name(const std::string& where, const std::string& field) { return where + ": field '" + field + "'"; }

std::string required_string(const core::Json& config, const char* name, const std::string& where,
                            const std::string& field) {
  const auto it = config.find(name);
  if (it == config.end() || !it->is_string()) {
    throw FormatError(field_name(where, field + "." + name) + " must be a string");
  }
  return it->get<std::string>();
}

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override {
    // Empty text stays empty: nothing to tokenize, so nothing to mark as a word start.
    if (!text.empty()) text.insert(0, prefix_);
    return text;
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<TokenizerRegex> regex, std::string literal, std::string content)
      : regex_(std::move(regex)), literal_(std::move(literal)), content_(std::move(content)) {}

  std::string normalize(std::string text) const override {
    std::vector<TokenizerRegex::Match> matches;
    if (regex_) {
      regex_->find_all(text, matches);
    } else if (!literal_.empty()) {
      for (std::size_t at = text.find(literal_); at != std::string::npos;
           at = text.find(literal_, at + literal_.size())) {
        matches.push_back({at, at + literal_.size()});
      }
    }
    if (matches.empty()) return text;
    std::string out;
    out.reserve(text.size() + matches.size() * content_.size());
    std::size_t cursor = 0;
    for (const auto& match : matches) {
      out.append(text, cursor, match.start - cursor);
      out += content_;
      cursor = match.end;
    }
    out.append(text, cursor, std::string::npos);
    return out;
  }

 private:
  std::unique_ptr<TokenizerRegex> regex_;
  std::string literal_;
  std::string content_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (const auto& step : steps_) text = step->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> Normalizer::from_json(const core::Json& config, const std::string& where,
                                                  const std::string& field) {
  if (!config.is_object()) {
    throw FormatError(field_name(where, field) + " must be an object or null, got " + config.type_name());
  }
  const std::string type = required_string(config, "type", where, field);
  if (type == "Prepend") {
    return std::make_unique<PrependNormalizer>(required_string(config, "prepend", where, field));
  }
  if (type == "Replace") {
    const auto pattern = config.find("pattern");
    const std::string pattern_field = field_name(where, field + ".pattern");
    if (pattern == config.end() || !pattern->is_object()) {
      throw FormatError(pattern_field + " must be {\"Regex\": ...} or {\"String\": ...}");
    }
    std::unique_ptr<TokenizerRegex> regex;
    std::string literal;
    if (const auto it = pattern->find("Regex"); it != pattern->end() && it->is_string()) {
      regex = std::make_unique<TokenizerRegex>(it->get<std::string>(), pattern_field + ".Regex");
    } else if (const auto text = pattern->find("String"); text != pattern->end() && text->is_string()) {
      literal = text->get<std::string>();
    } else {
      throw FormatError(pattern_field + " must be {\"Regex\": \"...\"} or {\"String\": \"...\"}, got " +
                        pattern->dump());
    }
    return std::make_unique<ReplaceNormalizer>(std::move(regex), std::move(literal),
                                               required_string(config, "content", where, field));
  }
  if (type == "Sequence") {
    const auto steps = config.find("normalizers");
    if (steps == config.end() || !steps->is_array()) {
      throw FormatError(field_name(where, field + ".normalizers") + " must be an array");
    }
    std::vector<std::unique_ptr<Normalizer>> built;
    for (std::size_t i = 0; i < steps->size(); ++i) {
      built.push_back(from_json((*steps)[i], where, field + ".normalizers[" + std::to_string(i) + "]"));
    }
    return std::make_unique<SequenceNormalizer>(std::move(built));
  }
  throw InputError(field_name(where, field + ".type") + " is \"" + type +
                   "\"; supported: \"Prepend\", \"Replace\", \"Sequence\"");
}

}  // namespace evomem::model
