#pragma once
// Streaming reader for JSON Lines files (one JSON object per line), as LongBench and
// InfiniteBench publish their data. Lines are read one at a time, so files of many GB are
// fine. Every error names the file and the line: "data/qasper.jsonl:12: invalid UTF-8 at
// byte 37".

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/json_file.h"

namespace evomem::tasks {

// One parsed line; `where` is "FILE:LINE" for messages.
struct JsonlRecord {
  core::Json value;
  std::size_t line = 0;
  std::string where;
};

class JsonlReader {
 public:
  // InputError naming the path if it cannot be opened.
  explicit JsonlReader(const std::filesystem::path& path);

  // Reads the next non-blank line into `record`; false at the end of the file. FormatError
  // (file:line) on invalid UTF-8, invalid JSON, or a line that is not a JSON object.
  bool next(JsonlRecord& record);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::ifstream stream_;
  std::size_t line_number_ = 0;
};

// Field access with messages of the form "FILE:LINE: field 'answers' ...".
std::string required_string(const JsonlRecord& record, const std::string& field);
std::int64_t required_integer(const JsonlRecord& record, const std::string& field);
// A JSON list whose items are all strings; `allow_null` makes null an empty list.
std::vector<std::string> string_list(const JsonlRecord& record, const std::string& field, bool allow_null);
// FormatError "FILE:LINE: field 'F' <problem>".
[[noreturn]] void field_error(const JsonlRecord& record, const std::string& field, const std::string& problem);

}  // namespace evomem::tasks
