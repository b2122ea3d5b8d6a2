#include "core/json_file.h"

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/files.h"

namespace evomem::core {

Json parse_json(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    throw FormatError(source + ": invalid JSON at byte " + std::to_string(error.byte) + " (" +
                      std::string(error.what()).substr(std::string(error.what()).find(':') + 2) + ")");
  } catch (const Json::out_of_range& error) {
    throw FormatError(source + ": invalid JSON (" + json_error_detail(error) + ")");
  }
}

std::string json_error_detail(const Json::exception& error) {
  // "[json.exception.out_of_range.406] number overflow parsing '1e999'" -> the part after "] ".
  const std::string what = error.what();
  const auto end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

Json read_json_file(const std::filesystem::path& path) { return parse_json(read_text_file(path), path.string()); }

JsonObject::JsonObject(const Json& value, std::string where, std::string path)
    : value_(value), where_(std::move(where)), path_(std::move(path)) {
  if (!value_.is_object()) {
    throw FormatError(where_ + ": " + (path_.empty() ? std::string("document") : "field '" + path_ + "'") +
                      " must be a JSON object, got " + value_.type_name());
  }
}

std::string JsonObject::describe(const std::string& field) const {
  return where_ + ": field '" + (path_.empty() ? field : path_ + "." + field) + "'";
}

bool JsonObject::has(const std::string& field) const { return value_.contains(field) && !value_.at(field).is_null(); }

const Json& JsonObject::raw(const std::string& field) const {
  if (!has(field)) throw FormatError(describe(field) + " is missing");
  return value_.at(field);
}

void JsonObject::type_error(const std::string& field, const char* expected) const {
  throw FormatError(describe(field) + " must be " + expected + ", got " + value_.at(field).type_name());
}

std::string JsonObject::string(const std::string& field) const {
  const Json& value = raw(field);
  if (!value.is_string()) type_error(field, "a string");
  return value.get<std::string>();
}

std::int64_t JsonObject::integer(const std::string& field) const {
  const Json& value = raw(field);
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) type_error(field, "an integer below 2^63");
  if (value.is_number_integer()) return value.get<std::int64_t>();
  // Some writers store integers as 4.0; accept exact integral floats (in range: casting any
  // other double is undefined).
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (number >= -0x1p63 && number < 0x1p63 && number == std::trunc(number)) return static_cast<std::int64_t>(number);
  }
  type_error(field, "an integer");
}

double JsonObject::number(const std::string& field) const {
  const Json& value = raw(field);
  if (!value.is_number()) type_error(field, "a number");
  return value.get<double>();
}

bool JsonObject::boolean(const std::string& field) const {
  const Json& value = raw(field);
  if (!value.is_boolean()) type_error(field, "true or false");
  return value.get<bool>();
}

JsonObject JsonObject::object(const std::string& field) const {
  return JsonObject(raw(field), where_, path_.empty() ? field : path_ + "." + field);
}

std::string JsonObject::string_or(const std::string& field, const std::string& fallback) const {
  return has(field) ? string(field) : fallback;
}
std::int64_t JsonObject::integer_or(const std::string& field, std::int64_t fallback) const {
  return has(field) ? integer(field) : fallback;
}
double JsonObject::number_or(const std::string& field, double fallback) const {
  return has(field) ? number(field) : fallback;
}
bool JsonObject::boolean_or(const std::string& field, bool fallback) const {
  return has(field) ? boolean(field) : fallback;
}

}  // namespace evomem::core
