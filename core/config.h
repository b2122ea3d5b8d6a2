#pragma once
// Run configuration: TOML text (toml++) plus `--set key.sub=value` overrides, validated
// against a schema that every command declares. Validation rejects unknown keys by name (with
// the closest known key as a hint), checks types, and fills defaults, so that the effective
// configuration -- which goes into every output file -- is complete and explicit.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evomem::core {

enum class ConfigKind { kBool, kInteger, kNumber, kString, kIntegerList, kNumberList, kStringList };

// The keys a command accepts. A path segment "*" matches any table key or array index, so
// "tasks.*.weight" describes `[tasks.passkey] weight = 2` and `[[stages]]` entries alike.
class ConfigSchema {
 public:
  struct Key {
    std::string path;
    ConfigKind kind;
    std::string help;
    std::optional<std::string> default_toml;  // TOML literal; nullopt = optional without default
    bool required = false;
    std::vector<std::string> choices;  // allowed values of a string key (empty = any)
  };

  ConfigSchema& boolean(std::string path, bool fallback, std::string help);
  ConfigSchema& integer(std::string path, std::int64_t fallback, std::string help);
  ConfigSchema& number(std::string path, double fallback, std::string help);
  ConfigSchema& string(std::string path, std::string fallback, std::string help, std::vector<std::string> choices = {});
  ConfigSchema& integer_list(std::string path, std::vector<std::int64_t> fallback, std::string help);
  ConfigSchema& number_list(std::string path, std::vector<double> fallback, std::string help);
  ConfigSchema& string_list(std::string path, std::vector<std::string> fallback, std::string help);
  // A key with no default: absent unless the user sets it (`required` makes it mandatory).
  ConfigSchema& optional(std::string path, ConfigKind kind, std::string help, bool required = false);

  const std::vector<Key>& keys() const { return keys_; }
  const Key* find(const std::string& path) const;  // matches wildcards

 private:
  ConfigSchema& add(Key key);
  std::vector<Key> keys_;
};

class Config {
 public:
  Config();
  ~Config();
  Config(const Config& other);
  Config& operator=(const Config& other);
  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;

  // Parses a TOML file; ConfigError naming the file, line and column on syntax errors.
  static Config load(const std::filesystem::path& path);
  static Config parse(const std::string& text, const std::string& source);

  // Applies "a.b.c=value". The value is read as a TOML value (number, bool, array, quoted
  // string); anything else is taken as a bare string, so `--set model.dir=models/tiny` works.
  void set(std::string_view assignment);

  // Rejects unknown keys and wrong types, fills defaults; ConfigError on the first problem.
  void validate(const ConfigSchema& schema);

  bool has(const std::string& path) const;
  bool get_bool(const std::string& path) const;
  std::int64_t get_int(const std::string& path) const;
  double get_double(const std::string& path) const;
  std::string get_string(const std::string& path) const;
  std::vector<std::int64_t> get_ints(const std::string& path) const;
  std::vector<double> get_doubles(const std::string& path) const;
  std::vector<std::string> get_strings(const std::string& path) const;
  // Names of the sub-tables of a table ("tasks" -> {"passkey", "kv_retrieval"}), or the
  // indices ("0", "1", ...) of an array of tables.
  std::vector<std::string> children(const std::string& path) const;

  // The whole configuration as TOML text; parse(to_toml()) gives the same configuration.
  std::string to_toml() const;
  const std::string& source() const { return source_; }

 private:
  struct Tree;  // the parsed TOML table (kept out of this header: toml++ is heavy)
  std::unique_ptr<Tree> tree_;
  std::string source_;
  std::map<std::string, std::string> override_text_;  // path -> raw --set text
};

}  // namespace evomem::core
