#include "tasks/jsonl_reader.h"

#include "core/error.h"
#include "core/utf8.h"
#include "metrics/utf8_text.h"

namespace evomem::tasks {

JsonlReader::JsonlReader(const std::filesystem::path& path) : path_(path), stream_(path, std::ios::binary) {
  if (!stream_) {
    throw InputError(path.string() + ": cannot open the file (check the path and its permissions)");
  }
}

bool JsonlReader::next(JsonlRecord& record) {
  std::string line;
  while (std::getline(stream_, line)) {
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path_.string() + ":" + std::to_string(line_number_);
    if (const auto bad = core::find_invalid_utf8(line)) {
      throw FormatError(where + ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                        " of the line (the file must be UTF-8 encoded)");
    }
    core::Json value;
    try {
      value = core::Json::parse(line);
    } catch (const core::Json::parse_error& error) {
      std::string detail = error.what();
      const auto colon = detail.rfind(": ");
      if (colon != std::string::npos) detail = detail.substr(colon + 2);
      throw FormatError(where + ": invalid JSON at byte " + std::to_string(error.byte) + " (" + detail + ")");
    } catch (const core::Json::out_of_range& error) {
      throw FormatError(where + ": invalid JSON (" + core::json_error_detail(error) + ")");
    }
    if (!value.is_object()) {
      throw FormatError(where + ": each line must be a JSON object, got " + std::string(value.type_name()));
    }
    record.value = std::move(value);
    record.line = line_number_;
    record.where = where;
    return true;
  }
  if (stream_.bad()) throw InputError(path_.string() + ": read error after line " + std::to_string(line_number_));
  return false;
}

void field_error(const JsonlRecord& record, const std::string& field, const std::string& problem) {
  throw FormatError(record.where + ": field '" + field + "' " + problem);
}

namespace {
const core::Json& field_value(const JsonlRecord& record, const std::string& field) {
  const auto found = record.value.find(field);
  if (found == record.value.end()) field_error(record, field, "is missing");
  return *found;
}
}  // namespace

std::string required_string(const JsonlRecord& record, const std::string& field) {
  const core::Json& value = field_value(record, field);
  if (!value.is_string()) field_error(record, field, std::string("must be a string, got ") + value.type_name());
  return value.get<std::string>();
}

std::int64_t required_integer(const JsonlRecord& record, const std::string& field) {
  const core::Json& value = field_value(record, field);
  if (!value.is_number_integer())
    field_error(record, field, std::string("must be an integer, got ") + value.type_name());
  return value.get<std::int64_t>();
}

std::vector<std::string> string_list(const JsonlRecord& record, const std::string& field, bool allow_null) {
  const core::Json& value = field_value(record, field);
  std::vector<std::string> items;
  if (value.is_null() && allow_null) return items;
  if (!value.is_array()) {
    field_error(
        record, field,
        std::string("must be a list of strings") + (allow_null ? " or null" : "") + ", got " + value.type_name());
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      field_error(record, field,
                  "item " + std::to_string(i) + " must be a string, got " + std::string(value[i].type_name()));
    }
    items.push_back(value[i].get<std::string>());
  }
  return items;
}

}  // namespace evomem::tasks
