#include "model/tokenizer_decoder.h"

#include "core/error.h"
#include "core/utf8.h"
#include "model/pretokenizer.h"

namespace evomem::model {

namespace {

std::string field_name(const std::string& where, const std::string& field) { return where + ": field '" + field + "'"; }

std::string string_or(const core::Json& config, const char* name, const std::string& fallback, const std::string& where,
                      const std::string& field) {
  const auto it = config.find(name);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw FormatError(field_name(where, field + "." + name) + " must be a string");
  return it->get<std::string>();
}

std::int64_t integer_or(const core::Json& config, const char* name, std::int64_t fallback, const std::string& where,
                        const std::string& field) {
  const auto it = config.find(name);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    throw FormatError(field_name(where, field + "." + name) + " must be a non-negative integer");
  }
  return it->get<std::int64_t>();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  std::string out;
  std::size_t cursor = 0;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, cursor)) {
    out.append(text, cursor, at - cursor);
    out += to;
    cursor = at + from.size();
  }
  if (cursor == 0) return;
  out.append(text, cursor, std::string::npos);
  text.swap(out);
}

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    // Consecutive byte-level tokens are joined before UTF-8 decoding: one character's bytes
    // may be spread over several tokens.
    std::vector<DecodePiece> out;
    std::string bytes;
    const auto flush = [&] {
      if (bytes.empty()) return;
      out.push_back({core::to_valid_utf8(bytes), false});
      bytes.clear();
    };
    for (DecodePiece& piece : pieces) {
      if (piece.added) {
        flush();
        out.push_back(std::move(piece));
        continue;
      }
      for (std::size_t offset = 0; offset < piece.text.size();) {
        const std::size_t start = offset;
        const int byte = byte_level_byte(core::next_code_point(piece.text, offset));
        if (byte >= 0) {
          bytes.push_back(static_cast<char>(byte));
        } else {
          bytes.append(piece.text, start, offset - start);
        }
      }
    }
    flush();
    pieces.swap(out);
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    for (DecodePiece& piece : pieces) replace_all(piece.text, from_, to_);
  }

 private:
  std::string from_;
  std::string to_;
};

class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    std::vector<DecodePiece> out;
    std::string bytes;
    const auto flush = [&] {
      if (bytes.empty()) return;
      out.push_back({core::to_valid_utf8(bytes), false});
      bytes.clear();
    };
    for (DecodePiece& piece : pieces) {
      const int byte = parse_byte_token(piece.text);
      if (byte >= 0) {
        bytes.push_back(static_cast<char>(byte));
        continue;
      }
      flush();
      out.push_back(std::move(piece));
    }
    flush();
    pieces.swap(out);
  }

 private:
  // "<0xNN>" -> NN, otherwise -1.
  static int parse_byte_token(const std::string& text) {
    if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>') return -1;
    int value = 0;
    for (std::size_t i = 3; i < 5; ++i) {
      const char c = text[i];
      int digit = 0;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    DecodePiece fused;
    for (const DecodePiece& piece : pieces) fused.text += piece.text;
    pieces.assign(1, std::move(fused));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    if (content_.empty()) return;
    for (DecodePiece& piece : pieces) {
      std::size_t begin = 0;
      for (std::size_t i = 0; i < start_ && piece.text.compare(begin, content_.size(), content_) == 0; ++i) {
        begin += content_.size();
      }
      std::size_t end = piece.text.size();
      for (std::size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                              piece.text.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      piece.text = piece.text.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  std::size_t start_;
  std::size_t stop_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first_space)
      : replacement_(std::move(replacement)), strip_first_space_(strip_first_space) {}
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      replace_all(pieces[i].text, replacement_, " ");
      if (i == 0 && strip_first_space_ && !pieces[i].text.empty() && pieces[i].text.front() == ' ') {
        pieces[i].text.erase(0, 1);
      }
    }
  }

 private:
  std::string replacement_;
  bool strip_first_space_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<DecodePiece>& pieces) const override {
    for (const auto& step : steps_) step->decode_chain(pieces);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> Decoder::from_json(const core::Json& config, const std::string& where,
                                            const std::string& field) {
  if (!config.is_object()) {
    throw FormatError(field_name(where, field) + " must be an object or null, got " + config.type_name());
  }
  const std::string type = string_or(config, "type", "", where, field);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Replace") {
    const auto pattern = config.find("pattern");
    if (pattern == config.end() || !pattern->is_object() || !pattern->contains("String") ||
        !(*pattern)["String"].is_string()) {
      throw InputError(field_name(where, field + ".pattern") + " must be {\"String\": \"...\"} (regex patterns are not "
                                                               "supported in decoders)");
    }
    return std::make_unique<ReplaceDecoder>((*pattern)["String"].get<std::string>(),
                                            string_or(config, "content", "", where, field));
  }
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(string_or(config, "content", " ", where, field),
                                          static_cast<std::size_t>(integer_or(config, "start", 0, where, field)),
                                          static_cast<std::size_t>(integer_or(config, "stop", 0, where, field)));
  }
  if (type == "Metaspace") {
    bool strip = true;
    const std::string scheme = string_or(config, "prepend_scheme", "", where, field);
    if (scheme == "never") strip = false;
    if (const auto it = config.find("add_prefix_space"); scheme.empty() && it != config.end() && it->is_boolean()) {
      strip = it->get<bool>();
    }
    return std::make_unique<MetaspaceDecoder>(string_or(config, "replacement", "\u2581", where, field), strip);
  }
  if (type == "Sequence") {
    const auto steps = config.find("decoders");
    if (steps == config.end() || !steps->is_array()) {
      throw FormatError(field_name(where, field + ".decoders") + " must be an array");
    }
    std::vector<std::unique_ptr<Decoder>> built;
    for (std::size_t i = 0; i < steps->size(); ++i) {
      built.push_back(from_json((*steps)[i], where, field + ".decoders[" + std::to_string(i) + "]"));
    }
    return std::make_unique<SequenceDecoder>(std::move(built));
  }
  throw InputError(field_name(where, field + ".type") + " is \"" + type +
                   "\"; supported: \"ByteLevel\", \"Metaspace\", \"Replace\", \"ByteFallback\", \"Fuse\", \"Strip\", "
                   "\"Sequence\"");
}

}  // namespace evomem::model
