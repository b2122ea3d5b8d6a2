#include "model/pretokenizer.h"

#include <array>

#include "core/error.h"
#include "core/utf8.h"

namespace evomem::model {

namespace {

struct ByteLevelAlphabet {
  std::array<std::string, 256> chars;
  std::array<char32_t, 256> code_points{};
  ByteLevelAlphabet() {
    char32_t next_unprintable = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
      code_points[byte] = printable ? static_cast<char32_t>(byte) : next_unprintable++;
      core::append_utf8(chars[byte], code_points[byte]);
    }
  }
};

const ByteLevelAlphabet& alphabet() {
  static const ByteLevelAlphabet instance;
  return instance;
}

std::string field_name(const std::string& where, const std::string& field) { return where + ": field '" + field + "'"; }

const core::Json* find_field(const core::Json& config, const char* name) {
  const auto it = config.find(name);
  return it == config.end() || it->is_null() ? nullptr : &*it;
}

bool bool_field(const core::Json& config, const char* name, bool fallback, const std::string& where,
                const std::string& field) {
  const core::Json* value = find_field(config, name);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    throw FormatError(field_name(where, field + "." + name) + " must be a boolean, got " + value->type_name());
  }
  return value->get<bool>();
}

std::string string_field(const core::Json& config, const char* name, const std::string& fallback,
                         const std::string& where, const std::string& field) {
  const core::Json* value = find_field(config, name);
  if (value == nullptr) return fallback;
  if (!value->is_string()) {
    throw FormatError(field_name(where, field + "." + name) + " must be a string, got " + value->type_name());
  }
  return value->get<std::string>();
}

// The GPT-2 word pattern ByteLevel uses when "use_regex" is true.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void append_views(std::vector<std::string>& out, const std::vector<std::string_view>& views) {
  for (const std::string_view view : views) out.emplace_back(view);
}

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, const std::string& where)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex ? std::make_unique<TokenizerRegex>(kGpt2Pattern, where) : nullptr) {}

  void pre_tokenize(std::vector<std::string>& pieces, bool) const override {
    std::vector<std::string> out;
    out.reserve(pieces.size());
    std::vector<TokenizerRegex::Match> matches;
    for (std::string& piece : pieces) {
      if (add_prefix_space_ && (piece.empty() || piece.front() != ' ')) piece.insert(piece.begin(), ' ');
      if (regex_) {
        matches.clear();
        regex_->find_all(piece, matches);
        for (const auto view : split_pieces(piece, matches, SplitBehavior::kIsolated, false)) {
          out.push_back(map_bytes(view));
        }
      } else {
        out.push_back(map_bytes(piece));
      }
    }
    pieces.swap(out);
  }

 private:
  static std::string map_bytes(std::string_view text) {
    std::string mapped;
    mapped.reserve(text.size() * 2);
    const ByteLevelAlphabet& table = alphabet();
    for (const char byte : text) mapped += table.chars[static_cast<unsigned char>(byte)];
    return mapped;
  }

  bool add_prefix_space_;
  std::unique_ptr<TokenizerRegex> regex_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<TokenizerRegex> regex, std::string literal, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}

  void pre_tokenize(std::vector<std::string>& pieces, bool) const override {
    std::vector<std::string> out;
    out.reserve(pieces.size() * 4);
    std::vector<TokenizerRegex::Match> matches;
    for (const std::string& piece : pieces) {
      matches.clear();
      if (regex_) {
        regex_->find_all(piece, matches);
      } else if (!literal_.empty()) {
        for (std::size_t at = piece.find(literal_); at != std::string::npos;
             at = piece.find(literal_, at + literal_.size())) {
          matches.push_back({at, at + literal_.size()});
        }
      }
      append_views(out, split_pieces(piece, matches, behavior_, invert_));
    }
    pieces.swap(out);
  }

 private:
  std::unique_ptr<TokenizerRegex> regex_;
  std::string literal_;
  SplitBehavior behavior_;
  bool invert_;
};

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  enum class Prepend { kAlways, kFirst, kNever };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}

  void pre_tokenize(std::vector<std::string>& pieces, bool first_section) const override {
    std::vector<std::string> out;
    for (const std::string& piece : pieces) {
      std::string replaced;
      replaced.reserve(piece.size() + replacement_.size());
      const bool prepend = prepend_ == Prepend::kAlways || (prepend_ == Prepend::kFirst && first_section);
      if (prepend && !(piece.compare(0, 1, " ") == 0 || piece.compare(0, replacement_.size(), replacement_) == 0)) {
        replaced += replacement_;
      }
      for (const char c : piece) {
        if (c == ' ') {
          replaced += replacement_;
        } else {
          replaced.push_back(c);
        }
      }
      if (!split_) {
        out.push_back(std::move(replaced));
        continue;
      }
      std::vector<TokenizerRegex::Match> matches;
      for (std::size_t at = replaced.find(replacement_); at != std::string::npos;
           at = replaced.find(replacement_, at + replacement_.size())) {
        matches.push_back({at, at + replacement_.size()});
      }
      append_views(out, split_pieces(replaced, matches, SplitBehavior::kMergedWithNext, false));
    }
    pieces.swap(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<std::string>& pieces, bool first_section) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces, first_section);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

SplitBehavior parse_behavior(const std::string& text, const std::string& field) {
  if (text == "Removed") return SplitBehavior::kRemoved;
  if (text == "Isolated") return SplitBehavior::kIsolated;
  if (text == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (text == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (text == "Contiguous") return SplitBehavior::kContiguous;
  throw InputError(
      field + " is \"" + text +
      "\"; supported: \"Removed\", \"Isolated\", \"MergedWithPrevious\", \"MergedWithNext\", \"Contiguous\"");
}

}  // namespace

const std::string& byte_level_char(unsigned char byte) { return alphabet().chars[byte]; }

int byte_level_byte(char32_t code_point) {
  // Printable bytes stand for themselves; the others were numbered from U+0100 in byte order.
  static const std::array<int, 0x144> reverse = [] {
    std::array<int, 0x144> table{};
    table.fill(-1);
    for (int byte = 0; byte < 256; ++byte) table[alphabet().code_points[byte]] = byte;
    return table;
  }();
  return code_point < reverse.size() ? reverse[code_point] : -1;
}

std::vector<std::string_view> split_pieces(std::string_view text, const std::vector<TokenizerRegex::Match>& matches,
                                           SplitBehavior behavior, bool invert) {
  struct Segment {
    std::size_t start;
    std::size_t end;
    bool is_match;
  };
  std::vector<Segment> segments;
  segments.reserve(matches.size() * 2 + 1);
  std::size_t cursor = 0;
  for (const auto& match : matches) {
    if (match.start > cursor) segments.push_back({cursor, match.start, invert});
    if (match.end > match.start) segments.push_back({match.start, match.end, !invert});
    cursor = match.end;
  }
  if (cursor < text.size()) segments.push_back({cursor, text.size(), invert});

  std::vector<Segment> merged;
  merged.reserve(segments.size());
  switch (behavior) {
    case SplitBehavior::kIsolated: merged = segments; break;
    case SplitBehavior::kRemoved:
      for (const Segment& segment : segments) {
        if (!segment.is_match) merged.push_back(segment);
      }
      break;
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Segment& segment : segments) {
        if (segment.is_match && !previous_match && !merged.empty()) {
          merged.back().end = segment.end;
        } else {
          merged.push_back(segment);
        }
        previous_match = segment.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !merged.empty()) {
          merged.back().start = it->start;
        } else {
          merged.push_back(*it);
        }
        previous_match = it->is_match;
      }
      std::reverse(merged.begin(), merged.end());
      break;
    }
    case SplitBehavior::kContiguous:
      for (const Segment& segment : segments) {
        if (!merged.empty() && merged.back().is_match == segment.is_match) {
          merged.back().end = segment.end;
        } else {
          merged.push_back(segment);
        }
      }
      break;
  }
  std::vector<std::string_view> pieces;
  pieces.reserve(merged.size());
  for (const Segment& segment : merged) {
    if (segment.end > segment.start) pieces.push_back(text.substr(segment.start, segment.end - segment.start));
  }
  return pieces;
}

std::unique_ptr<PreTokenizer> PreTokenizer::from_json(const core::Json& config, const std::string& where,
                                                      const std::string& field) {
  if (!config.is_object()) {
    throw FormatError(field_name(where, field) + " must be an object or null, got " + config.type_name());
  }
  const std::string type = string_field(config, "type", "", where, field);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(bool_field(config, "add_prefix_space", true, where, field),
                                                   bool_field(config, "use_regex", true, where, field),
                                                   field_name(where, field));
  }
  if (type == "Split") {
    const core::Json* pattern = find_field(config, "pattern");
    const std::string pattern_field = field_name(where, field + ".pattern");
    if (pattern == nullptr || !pattern->is_object()) {
      throw FormatError(pattern_field + " must be {\"Regex\": ...} or {\"String\": ...}");
    }
    std::unique_ptr<TokenizerRegex> regex;
    std::string literal;
    if (const core::Json* value = find_field(*pattern, "Regex"); value != nullptr && value->is_string()) {
      regex = std::make_unique<TokenizerRegex>(value->get<std::string>(), pattern_field + ".Regex");
    } else if (const core::Json* text = find_field(*pattern, "String"); text != nullptr && text->is_string()) {
      literal = text->get<std::string>();
    } else {
      throw FormatError(pattern_field + " must be {\"Regex\": \"...\"} or {\"String\": \"...\"}, got " +
                        pattern->dump());
    }
    const SplitBehavior behavior = parse_behavior(string_field(config, "behavior", "Isolated", where, field),
                                                  field_name(where, field + ".behavior"));
    return std::make_unique<SplitPreTokenizer>(std::move(regex), std::move(literal), behavior,
                                               bool_field(config, "invert", false, where, field));
  }
  if (type == "Metaspace") {
    const std::string replacement = string_field(config, "replacement", "\u2581", where, field);
    if (replacement.empty()) throw FormatError(field_name(where, field + ".replacement") + " must not be empty");
    MetaspacePreTokenizer::Prepend prepend = MetaspacePreTokenizer::Prepend::kAlways;
    if (find_field(config, "prepend_scheme") != nullptr) {
      const std::string scheme = string_field(config, "prepend_scheme", "always", where, field);
      if (scheme == "always") {
        prepend = MetaspacePreTokenizer::Prepend::kAlways;
      } else if (scheme == "first") {
        prepend = MetaspacePreTokenizer::Prepend::kFirst;
      } else if (scheme == "never") {
        prepend = MetaspacePreTokenizer::Prepend::kNever;
      } else {
        throw InputError(field_name(where, field + ".prepend_scheme") + " is \"" + scheme +
                         "\"; supported: \"always\", \"first\", \"never\"");
      }
    } else if (!bool_field(config, "add_prefix_space", true, where, field)) {
      prepend = MetaspacePreTokenizer::Prepend::kNever;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, prepend,
                                                   bool_field(config, "split", true, where, field));
  }
  if (type == "Sequence") {
    const core::Json* steps = find_field(config, "pretokenizers");
    if (steps == nullptr || !steps->is_array()) {
      throw FormatError(field_name(where, field + ".pretokenizers") + " must be an array");
    }
    std::vector<std::unique_ptr<PreTokenizer>> built;
    for (std::size_t i = 0; i < steps->size(); ++i) {
      built.push_back(from_json((*steps)[i], where, field + ".pretokenizers[" + std::to_string(i) + "]"));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(built));
  }
  throw InputError(field_name(where, field + ".type") + " is \"" + type +
                   "\"; supported: \"ByteLevel\", \"Split\", \"Metaspace\", \"Sequence\"");
}

}  // namespace evomem::model
