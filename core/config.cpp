#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"

namespace evomem::core {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = path.find('.', begin);
    segments.push_back(path.substr(begin, end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return segments;
}

bool path_matches(const std::string& pattern, const std::string& path) {
  const auto pattern_segments = split_path(pattern);
  const auto path_segments = split_path(path);
  if (pattern_segments.size() != path_segments.size()) return false;
  for (std::size_t i = 0; i < path_segments.size(); ++i) {
    if (pattern_segments[i] != "*" && pattern_segments[i] != path_segments[i]) return false;
  }
  return true;
}

// True when `path` names a table that the pattern reaches through (a strict prefix).
bool path_is_prefix(const std::string& pattern, const std::string& path) {
  const auto pattern_segments = split_path(pattern);
  const auto path_segments = split_path(path);
  if (path_segments.size() >= pattern_segments.size()) return false;
  for (std::size_t i = 0; i < path_segments.size(); ++i) {
    if (pattern_segments[i] != "*" && pattern_segments[i] != path_segments[i]) return false;
  }
  return true;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Replaces the wildcards of `pattern` by the corresponding segments of `path`, so hints read
// "tasks.passkey.weight" rather than "tasks.*.weight".
std::string instantiate(const std::string& pattern, const std::string& path) {
  auto pattern_segments = split_path(pattern);
  const auto path_segments = split_path(path);
  std::string result;
  for (std::size_t i = 0; i < pattern_segments.size(); ++i) {
    if (pattern_segments[i] == "*" && i < path_segments.size()) pattern_segments[i] = path_segments[i];
    result += (i ? "." : "") + pattern_segments[i];
  }
  return result;
}

const char* kind_text(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::kBool: return "true or false";
    case ConfigKind::kInteger: return "an integer";
    case ConfigKind::kNumber: return "a number";
    case ConfigKind::kString: return "a string";
    case ConfigKind::kIntegerList: return "an array of integers";
    case ConfigKind::kNumberList: return "an array of numbers";
    case ConfigKind::kStringList: return "an array of strings";
  }
  return "?";
}

std::string node_type_text(const toml::node& node) {
  std::ostringstream text;
  text << node.type();
  return text.str();
}

std::string toml_literal(const std::string& text) {
  std::ostringstream literal;
  literal << toml::value<std::string>(text);
  return literal.str();
}

template <typename T>
std::string list_literal(const std::vector<T>& values) {
  toml::array array;
  for (const auto& value : values) array.push_back(value);
  std::ostringstream literal;
  literal << array;
  return literal.str();
}

// Parses a single TOML value given as text.
std::optional<toml::table> parse_value(const std::string& text) {
  try {
    return toml::parse("value = " + text);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
}

}  // namespace

// ---- ConfigSchema ----------------------------------------------------------------------

namespace {
ConfigSchema::Key make_key(std::string path, ConfigKind kind, std::string help, std::optional<std::string> fallback) {
  ConfigSchema::Key key;
  key.path = std::move(path);
  key.kind = kind;
  key.help = std::move(help);
  key.default_toml = std::move(fallback);
  return key;
}
}  // namespace

ConfigSchema& ConfigSchema::add(Key key) {
  EVOMEM_CHECK(find(key.path) == nullptr || find(key.path)->path != key.path, "schema key declared twice: " + key.path);
  keys_.push_back(std::move(key));
  return *this;
}

ConfigSchema& ConfigSchema::boolean(std::string path, bool fallback, std::string help) {
  return add(make_key(std::move(path), ConfigKind::kBool, std::move(help), fallback ? "true" : "false"));
}
ConfigSchema& ConfigSchema::integer(std::string path, std::int64_t fallback, std::string help) {
  return add(make_key(std::move(path), ConfigKind::kInteger, std::move(help), std::to_string(fallback)));
}
ConfigSchema& ConfigSchema::number(std::string path, double fallback, std::string help) {
  std::ostringstream literal;
  literal << toml::value<double>(fallback);
  return add(make_key(std::move(path), ConfigKind::kNumber, std::move(help), literal.str()));
}
ConfigSchema& ConfigSchema::string(std::string path, std::string fallback, std::string help,
                                   std::vector<std::string> choices) {
  Key key = make_key(std::move(path), ConfigKind::kString, std::move(help), toml_literal(fallback));
  key.choices = std::move(choices);
  return add(std::move(key));
}
ConfigSchema& ConfigSchema::integer_list(std::string path, std::vector<std::int64_t> fallback, std::string help) {
  return add(make_key(std::move(path), ConfigKind::kIntegerList, std::move(help), list_literal(fallback)));
}
ConfigSchema& ConfigSchema::number_list(std::string path, std::vector<double> fallback, std::string help) {
  return add(make_key(std::move(path), ConfigKind::kNumberList, std::move(help), list_literal(fallback)));
}
ConfigSchema& ConfigSchema::string_list(std::string path, std::vector<std::string> fallback, std::string help) {
  return add(make_key(std::move(path), ConfigKind::kStringList, std::move(help), list_literal(fallback)));
}
ConfigSchema& ConfigSchema::optional(std::string path, ConfigKind kind, std::string help, bool required) {
  Key key = make_key(std::move(path), kind, std::move(help), std::nullopt);
  key.required = required;
  return add(std::move(key));
}

const ConfigSchema::Key* ConfigSchema::find(const std::string& path) const {
  // An exact key wins over a wildcard one.
  for (const auto& key : keys_) {
    if (key.path == path) return &key;
  }
  for (const auto& key : keys_) {
    if (path_matches(key.path, path)) return &key;
  }
  return nullptr;
}

// ---- Config ----------------------------------------------------------------------------

struct Config::Tree {
  toml::table table;
};

Config::Config() : tree_(std::make_unique<Tree>()), source_("defaults") {}
Config::~Config() = default;
Config::Config(const Config& other)
    : tree_(std::make_unique<Tree>(*other.tree_)), source_(other.source_), override_text_(other.override_text_) {}
Config& Config::operator=(const Config& other) {
  if (this != &other) {
    tree_ = std::make_unique<Tree>(*other.tree_);
    source_ = other.source_;
    override_text_ = other.override_text_;
  }
  return *this;
}
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(Config&&) noexcept = default;

Config Config::parse(const std::string& text, const std::string& source) {
  Config config;
  config.source_ = source;
  try {
    config.tree_->table = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    throw ConfigError(source + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
                      std::string(error.description()));
  }
  return config;
}

Config Config::load(const std::filesystem::path& path) { return parse(read_text_file(path), path.string()); }

void Config::set(std::string_view assignment) {
  const std::string text(assignment);
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError("--set '" + text + "': expected key.sub=value");
  }
  std::string path = text.substr(0, equals);
  const std::string value_text = text.substr(equals + 1);
  path.erase(path.find_last_not_of(" \t") + 1);
  const auto segments = split_path(path);
  toml::table* table = &tree_->table;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i].empty()) throw ConfigError("--set '" + text + "': empty key segment");
    toml::node* child = table->get(segments[i]);
    if (child == nullptr) {
      table->insert(segments[i], toml::table{});
      child = table->get(segments[i]);
    }
    if (child->is_array()) {
      // [[array]] entries are addressed by index: stages.1.generation=40
      const std::string& index_text = segments[++i];
      const bool numeric = !index_text.empty() && std::all_of(index_text.begin(), index_text.end(), ::isdigit);
      auto* array = child->as_array();
      if (!numeric || std::stoul(index_text) >= array->size() || !(*array)[std::stoul(index_text)].is_table()) {
        throw ConfigError("--set '" + text + "': '" + index_text + "' is not an index of the array '" +
                          segments[i - 1] + "'");
      }
      child = &(*array)[std::stoul(index_text)];
      if (i + 1 >= segments.size()) throw ConfigError("--set '" + text + "': cannot replace a whole array entry");
    }
    if (!child->is_table()) {
      throw ConfigError("--set '" + text + "': '" + segments[i] + "' is a value, not a table");
    }
    table = child->as_table();
  }
  const std::string& leaf = segments.back();
  if (leaf.empty()) throw ConfigError("--set '" + text + "': empty key");
  if (auto parsed = parse_value(value_text)) {
    table->insert_or_assign(leaf, std::move(*(*parsed).get("value")));
  } else {
    table->insert_or_assign(leaf, value_text);
  }
  override_text_[path] = value_text;
}

namespace {

// Walks every leaf value (arrays of tables are walked through, other arrays are leaves).
template <typename Visit>
void for_each_leaf(toml::node& node, const std::string& path, Visit&& visit) {
  if (auto* table = node.as_table()) {
    if (table->empty() && !path.empty()) visit(path, node, true);
    for (auto&& [key, child] : *table) {
      for_each_leaf(child, path.empty() ? std::string(key.str()) : path + "." + std::string(key.str()), visit);
    }
    return;
  }
  if (auto* array = node.as_array(); array != nullptr && !array->empty() && array->is_array_of_tables()) {
    for (std::size_t i = 0; i < array->size(); ++i) for_each_leaf((*array)[i], path + "." + std::to_string(i), visit);
    return;
  }
  visit(path, node, false);
}

toml::node* find_node(toml::table& root, const std::string& path) {
  toml::node* node = &root;
  for (const auto& segment : split_path(path)) {
    if (auto* table = node->as_table()) {
      node = table->get(segment);
    } else if (auto* array = node->as_array()) {
      const bool numeric = !segment.empty() && std::all_of(segment.begin(), segment.end(), ::isdigit);
      node = numeric && std::stoul(segment) < array->size() ? array->get(std::stoul(segment)) : nullptr;
    } else {
      node = nullptr;
    }
    if (node == nullptr) return nullptr;
  }
  return node;
}

// All concrete paths that a wildcard pattern's parent reaches in the tree ("tasks.*.weight"
// -> the parents "tasks.passkey", "tasks.kv").
void expand_parents(toml::table& root, const std::vector<std::string>& segments, std::size_t depth,
                    const std::string& prefix, std::vector<std::string>& parents) {
  if (depth + 1 == segments.size()) {
    parents.push_back(prefix);
    return;
  }
  toml::node* node = prefix.empty() ? static_cast<toml::node*>(&root) : find_node(root, prefix);
  if (node == nullptr) return;
  const std::string& segment = segments[depth];
  auto next = [&](const std::string& name) { return prefix.empty() ? name : prefix + "." + name; };
  if (segment != "*") {
    if (auto* table = node->as_table(); table != nullptr && table->get(segment) != nullptr) {
      expand_parents(root, segments, depth + 1, next(segment), parents);
    } else if (!segments.empty() &&
               std::none_of(segments.begin() + depth, segments.end(), [](const std::string& s) { return s == "*"; })) {
      // No wildcard below: the parent will be created when the default is inserted.
      parents.push_back(prefix.empty() ? segment : prefix + "." + segment);
      for (std::size_t i = depth + 1; i + 1 < segments.size(); ++i) parents.back() += "." + segments[i];
    }
    return;
  }
  if (auto* table = node->as_table()) {
    for (auto&& [key, child] : *table) {
      if (child.is_table()) expand_parents(root, segments, depth + 1, next(std::string(key.str())), parents);
    }
  } else if (auto* array = node->as_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      if ((*array)[i].is_table()) expand_parents(root, segments, depth + 1, next(std::to_string(i)), parents);
    }
  }
}

toml::table& require_table(toml::table& root, const std::string& path) {
  toml::table* table = &root;
  if (path.empty()) return root;
  for (const auto& segment : split_path(path)) {
    toml::node* child = table->get(segment);
    if (child == nullptr) {
      table->insert(segment, toml::table{});
      child = table->get(segment);
    }
    table = child->as_table();
    EVOMEM_CHECK(table != nullptr, "config path '" + path + "' is not a table");
  }
  return *table;
}

}  // namespace

void Config::validate(const ConfigSchema& schema) {
  const std::string& where = source_;
  for_each_leaf(tree_->table, "", [&](const std::string& path, toml::node& node, bool empty_table) {
    const ConfigSchema::Key* key = schema.find(path);
    if (key == nullptr) {
      const bool is_table_prefix = std::any_of(
          schema.keys().begin(), schema.keys().end(),
          [&](const ConfigSchema::Key& k) { return path_is_prefix(k.path, path); });
      if (is_table_prefix && empty_table) return;
      if (is_table_prefix)
        throw ConfigError(where + ": key '" + path + "' must be a table, got " + node_type_text(node));
      std::string best;
      std::size_t best_distance = std::string::npos;
      for (const auto& candidate : schema.keys()) {
        const std::string concrete = instantiate(candidate.path, path);
        const std::size_t distance = edit_distance(concrete, path);
        if (distance < best_distance) {
          best_distance = distance;
          best = concrete;
        }
      }
      std::string message = where + ": unknown key '" + path + "'";
      if (!best.empty() && best_distance <= std::max<std::size_t>(3, path.size() / 3))
        message += " (did you mean '" + best + "'?)";
      throw ConfigError(message + "; remove it or check its spelling");
    }
    if (empty_table) throw ConfigError(where + ": key '" + path + "' must be " + kind_text(key->kind) + ", got table");
    // A value given with --set is named as the user wrote it, not as a line of the file.
    const auto override_text = override_text_.find(path);
    const std::string source = override_text != override_text_.end() ? "--set " + path + "=" + override_text->second
                                                                     : where;
    const auto fail = [&]() {
      throw ConfigError(source + ": key '" + path + "' must be " + kind_text(key->kind) + ", got " +
                        node_type_text(node));
    };
    auto* parent = static_cast<toml::table*>(nullptr);
    {
      const auto dot = path.rfind('.');
      toml::node* parent_node = dot == std::string::npos ? static_cast<toml::node*>(&tree_->table)
                                                         : find_node(tree_->table, path.substr(0, dot));
      parent = parent_node != nullptr ? parent_node->as_table() : nullptr;
    }
    const std::string leaf = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
    switch (key->kind) {
      case ConfigKind::kBool:
        if (!node.is_boolean()) fail();
        break;
      case ConfigKind::kInteger:
        if (!node.is_integer()) fail();
        break;
      case ConfigKind::kNumber:
        if (node.is_integer() && parent != nullptr) {
          parent->insert_or_assign(leaf, static_cast<double>(node.as_integer()->get()));
        } else if (!node.is_floating_point()) {
          fail();
        } else if (!std::isfinite(node.as_floating_point()->get())) {
          // TOML allows nan and inf; no setting of evomem means anything with them.
          throw ConfigError(source + ": key '" + path + "' must be a finite number, got " +
                            (std::isnan(node.as_floating_point()->get()) ? "nan" : "infinity"));
        }
        break;
      case ConfigKind::kString:
        if (!node.is_string()) {
          // `--set name=123` means the string "123" when the key is a string.
          if (override_text == override_text_.end() || parent == nullptr) fail();
          parent->insert_or_assign(leaf, override_text->second);
        }
        if (!key->choices.empty()) {
          const std::string value = find_node(tree_->table, path)->as_string()->get();
          if (std::find(key->choices.begin(), key->choices.end(), value) == key->choices.end()) {
            throw ConfigError(where + ": key '" + path + "' is '" + value + "'; allowed values: " + join(key->choices));
          }
        }
        break;
      case ConfigKind::kIntegerList:
      case ConfigKind::kNumberList:
      case ConfigKind::kStringList: {
        auto* array = node.as_array();
        if (array == nullptr) fail();
        for (auto& element : *array) {
          const bool ok = key->kind == ConfigKind::kStringList ? element.is_string()
                          : key->kind == ConfigKind::kIntegerList
                              ? element.is_integer()
                              : element.is_number() && std::isfinite(*element.value<double>());
          if (!ok) fail();
        }
        if (key->kind == ConfigKind::kNumberList) {
          for (std::size_t i = 0; i < array->size(); ++i) {
            if (auto* integer = (*array)[i].as_integer()) {
              array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(i), static_cast<double>(integer->get()));
            }
          }
        }
        break;
      }
    }
  });

  for (const auto& key : schema.keys()) {
    const auto segments = split_path(key.path);
    std::vector<std::string> parents;
    expand_parents(tree_->table, segments, 0, "", parents);
    for (const auto& parent_path : parents) {
      const std::string path = parent_path.empty() ? segments.back() : parent_path + "." + segments.back();
      if (find_node(tree_->table, path) != nullptr) continue;
      if (key.required) throw ConfigError(where + ": required key '" + path + "' is missing (" + key.help + ")");
      if (!key.default_toml) continue;
      auto parsed = parse_value(*key.default_toml);
      EVOMEM_CHECK(parsed.has_value(), "schema default of '" + key.path + "' is not TOML: " + *key.default_toml);
      require_table(tree_->table, parent_path).insert_or_assign(segments.back(), std::move(*(*parsed).get("value")));
    }
  }
}

namespace {

const toml::node& require_node(const toml::table& root, const std::string& path, const std::string& source) {
  const toml::node* node = find_node(const_cast<toml::table&>(root), path);
  if (node == nullptr) throw ConfigError(source + ": key '" + path + "' is missing");
  return *node;
}

[[noreturn]] void wrong_type(const std::string& source, const std::string& path, const char* expected,
                             const toml::node& node) {
  throw ConfigError(source + ": key '" + path + "' must be " + expected + ", got " + node_type_text(node));
}

}  // namespace

bool Config::has(const std::string& path) const { return find_node(tree_->table, path) != nullptr; }

bool Config::get_bool(const std::string& path) const {
  const auto& node = require_node(tree_->table, path, source_);
  if (!node.is_boolean()) wrong_type(source_, path, "true or false", node);
  return node.as_boolean()->get();
}

std::int64_t Config::get_int(const std::string& path) const {
  const auto& node = require_node(tree_->table, path, source_);
  if (!node.is_integer()) wrong_type(source_, path, "an integer", node);
  return node.as_integer()->get();
}

double Config::get_double(const std::string& path) const {
  const auto& node = require_node(tree_->table, path, source_);
  if (!node.is_number()) wrong_type(source_, path, "a number", node);
  return *node.value<double>();
}

std::string Config::get_string(const std::string& path) const {
  const auto& node = require_node(tree_->table, path, source_);
  if (!node.is_string()) wrong_type(source_, path, "a string", node);
  return node.as_string()->get();
}

namespace {
template <typename T, typename Check>
std::vector<T> read_list(const toml::node& node, const std::string& source, const std::string& path,
                         const char* expected, Check&& check) {
  const auto* array = node.as_array();
  if (array == nullptr) wrong_type(source, path, expected, node);
  std::vector<T> values;
  for (const auto& element : *array) {
    if (!check(element)) wrong_type(source, path, expected, node);
    values.push_back(*element.value<T>());
  }
  return values;
}
}  // namespace

std::vector<std::int64_t> Config::get_ints(const std::string& path) const {
  return read_list<std::int64_t>(require_node(tree_->table, path, source_), source_, path, "an array of integers",
                                 [](const toml::node& n) { return n.is_integer(); });
}

std::vector<double> Config::get_doubles(const std::string& path) const {
  return read_list<double>(require_node(tree_->table, path, source_), source_, path, "an array of numbers",
                           [](const toml::node& n) { return n.is_number(); });
}

std::vector<std::string> Config::get_strings(const std::string& path) const {
  return read_list<std::string>(require_node(tree_->table, path, source_), source_, path, "an array of strings",
                                [](const toml::node& n) { return n.is_string(); });
}

std::vector<std::string> Config::children(const std::string& path) const {
  const toml::node* node = path.empty() ? &tree_->table : find_node(tree_->table, path);
  std::vector<std::string> names;
  if (node == nullptr) return names;
  if (const auto* table = node->as_table()) {
    for (auto&& [key, child] : *table) {
      if (child.is_table()) names.emplace_back(key.str());
    }
  } else if (const auto* array = node->as_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      if ((*array)[i].is_table()) names.push_back(std::to_string(i));
    }
  }
  return names;
}

std::string Config::to_toml() const {
  std::ostringstream text;
  text << toml::toml_formatter{tree_->table};
  return text.str() + "\n";
}

}  // namespace evomem::core
