#pragma once
// JSON documents read from files, with typed field access whose errors name the file and
// the field path ("config.json: field 'num_attention_heads' must be an integer, got string").

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace evomem::core {

using Json = nlohmann::json;

// Parses a whole file; FormatError with the file name and byte position on invalid JSON.
Json read_json_file(const std::filesystem::path& path);
// Parses text that came from `source` (a file name or description for messages); FormatError
// for invalid JSON and for numbers out of range (1e999).
Json parse_json(const std::string& text, const std::string& source);
// An nlohmann::json exception's message without its "[json.exception.x.n] " prefix.
std::string json_error_detail(const Json::exception& error);

// Typed access to an object's field. `where` names the document (usually the file).
class JsonObject {
 public:
  JsonObject(const Json& value, std::string where, std::string path = "");

  bool has(const std::string& field) const;
  const Json& raw(const std::string& field) const;  // FormatError if missing

  std::string string(const std::string& field) const;
  std::int64_t integer(const std::string& field) const;
  double number(const std::string& field) const;
  bool boolean(const std::string& field) const;
  JsonObject object(const std::string& field) const;

  std::string string_or(const std::string& field, const std::string& fallback) const;
  std::int64_t integer_or(const std::string& field, std::int64_t fallback) const;
  double number_or(const std::string& field, double fallback) const;
  bool boolean_or(const std::string& field, bool fallback) const;

  const Json& json() const { return value_; }
  // "config.json: field 'rope_scaling.factor'" for messages.
  std::string describe(const std::string& field) const;

 private:
  [[noreturn]] void type_error(const std::string& field, const char* expected) const;
  const Json& value_;
  std::string where_;
  std::string path_;
};

}  // namespace evomem::core
