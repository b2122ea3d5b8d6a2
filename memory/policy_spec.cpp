#include "memory/policy_spec.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"

namespace evomem::memory {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

PolicySpec parse_policy_spec(const std::string& text) {
  PolicySpec spec;
  spec.text = text;
  const auto colon = text.find(':');
  spec.name = trim(text.substr(0, colon));
  if (spec.name.empty()) throw ConfigError("policy spec '" + text + "': missing policy name (e.g. 'full', 'h2o:heavy=128,recent=128')");
  if (colon == std::string::npos) return spec;
  const std::string rest = text.substr(colon + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    const std::string item = trim(rest.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      if (comma == rest.size()) break;
      continue;
    }
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      throw ConfigError("policy spec '" + text + "': option '" + item + "' must be key=value");
    }
    std::string key = trim(item.substr(0, equals));
    std::string value = trim(item.substr(equals + 1));
    if (key.empty()) throw ConfigError("policy spec '" + text + "': option '" + item + "' has no key");
    for (const auto& existing : spec.options) {
      if (existing.first == key) throw ConfigError("policy spec '" + text + "': key '" + key + "' given twice");
    }
    spec.options.emplace_back(std::move(key), std::move(value));
  }
  return spec;
}

SpecReader::SpecReader(PolicySpec spec, std::vector<std::string> accepted_keys)
    : spec_(std::move(spec)), accepted_(std::move(accepted_keys)) {}

std::string SpecReader::where() const { return "policy spec '" + spec_.text + "'"; }

const std::string* SpecReader::find(const std::string& key) const {
  for (const auto& option : spec_.options) {
    if (option.first == key) return &option.second;
  }
  return nullptr;
}

bool SpecReader::has(const std::string& key) const { return find(key) != nullptr; }

void SpecReader::fail_value(const std::string& key, const std::string& expected) const {
  throw ConfigError(where() + ": '" + key + "=" + *find(key) + "' must be " + expected);
}

std::string SpecReader::get_string(const std::string& key, const std::string& fallback) const {
  const auto* value = find(key);
  return value ? *value : fallback;
}

std::int64_t SpecReader::get_int(const std::string& key, std::int64_t fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  std::size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value->size()) fail_value(key, "an integer");
  return parsed;
}

double SpecReader::get_double(const std::string& key, double fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  std::size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(*value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value->size() || !std::isfinite(parsed)) fail_value(key, "a number");
  return parsed;
}

bool SpecReader::get_bool(const std::string& key, bool fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  if (*value == "true" || *value == "1" || *value == "yes") return true;
  if (*value == "false" || *value == "0" || *value == "no") return false;
  fail_value(key, "true or false");
}

Budget SpecReader::get_budget(const std::string& key, const Budget& fallback) const {
  const auto* value = find(key);
  if (!value) return fallback;
  return Budget::parse(*value, where() + " key '" + key + "'");
}

std::vector<std::int64_t> SpecReader::get_int_list(const std::string& key) const {
  std::vector<std::int64_t> out;
  const auto* value = find(key);
  if (!value || value->empty()) return out;
  std::size_t start = 0;
  while (start <= value->size()) {
    auto semicolon = value->find(';', start);
    if (semicolon == std::string::npos) semicolon = value->size();
    const std::string item = trim(value->substr(start, semicolon - start));
    start = semicolon + 1;
    std::size_t used = 0;
    long long parsed = 0;
    try {
      parsed = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) fail_value(key, "a ';'-separated list of integers");
    out.push_back(parsed);
  }
  return out;
}

void SpecReader::finish() const {
  for (const auto& option : spec_.options) {
    if (std::find(accepted_.begin(), accepted_.end(), option.first) == accepted_.end()) {
      throw ConfigError(where() + ": unknown key '" + option.first + "' for policy '" + spec_.name +
                        "'; accepted keys: " + (accepted_.empty() ? std::string("none") : join(accepted_)));
    }
  }
}

namespace {

using Factory = std::function<std::unique_ptr<Policy>(const PolicySpec&)>;

std::unique_ptr<Policy> make_full(const PolicySpec& spec) {
  SpecReader reader(spec, {"interval"});
  reader.finish();
  return std::make_unique<FullCachePolicy>(reader.get_int("interval", kDefaultUpdateInterval));
}

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> table = {
      {"full", make_full},
  };
  return table;
}

}  // namespace

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<Policy> make_policy(const std::string& text) {
  const PolicySpec spec = parse_policy_spec(text);
  for (const auto& entry : factories()) {
    if (entry.first == spec.name) return entry.second(spec);
  }
  throw ConfigError("policy spec '" + text + "': unknown policy '" + spec.name + "'; known policies: " + join(policy_names()));
}

}  // namespace evomem::memory
