#pragma once
// A configuration section declared once. Each key is one line: its path, its default, its help
// and the member of a settings struct it fills (a chain of member pointers, e.g.
// &EvolveConfig::run, &RunSettings::seed). Both the schema that validates a configuration and
// the reading of a validated configuration into the struct come from that line, so a key
// cannot be declared with one default and read under another name.
//
// Range checks that involve more than one key stay with the code that reads the section.

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/config.h"

namespace evomem::core {

template <typename Settings>
class ConfigTable {
 public:
  template <typename... Members>
  ConfigTable& boolean(std::string path, bool fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback, help = std::move(help)](ConfigSchema& s, const std::string& p) { s.boolean(p, fallback, help); },
        &Config::get_bool, members...);
  }
  // Integer members of any width and signedness.
  template <typename... Members>
  ConfigTable& integer(std::string path, std::int64_t fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback, help = std::move(help)](ConfigSchema& s, const std::string& p) { s.integer(p, fallback, help); },
        &Config::get_int, members...);
  }
  template <typename... Members>
  ConfigTable& number(std::string path, double fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback, help = std::move(help)](ConfigSchema& s, const std::string& p) { s.number(p, fallback, help); },
        &Config::get_double, members...);
  }
  template <typename... Members>
  ConfigTable& string(std::string path, std::string fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback = std::move(fallback), help = std::move(help)](ConfigSchema& s, const std::string& p) {
          s.string(p, fallback, help);
        },
        &Config::get_string, members...);
  }
  // A string key converted by `parse` (into an enum, a list, ...); `choices` restricts its
  // values (empty: any string).
  template <typename Parse, typename... Members>
  ConfigTable& parsed(std::string path, std::string fallback, std::string help, std::vector<std::string> choices,
                      Parse parse, Members... members) {
    return add(
        std::move(path),
        [fallback = std::move(fallback), help = std::move(help), choices = std::move(choices)](
            ConfigSchema& s, const std::string& p) { s.string(p, fallback, help, choices); },
        [=](const Config& c, const std::string& p, Settings& out) { field(out, members...) = parse(c.get_string(p)); });
  }
  template <typename... Members>
  ConfigTable& integer_list(std::string path, std::vector<std::int64_t> fallback, std::string help,
                            Members... members) {
    return bound(
        std::move(path),
        [fallback = std::move(fallback), help = std::move(help)](ConfigSchema& s, const std::string& p) {
          s.integer_list(p, fallback, help);
        },
        &Config::get_ints, members...);
  }
  template <typename... Members>
  ConfigTable& number_list(std::string path, std::vector<double> fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback = std::move(fallback), help = std::move(help)](ConfigSchema& s, const std::string& p) {
          s.number_list(p, fallback, help);
        },
        &Config::get_doubles, members...);
  }
  template <typename... Members>
  ConfigTable& string_list(std::string path, std::vector<std::string> fallback, std::string help, Members... members) {
    return bound(
        std::move(path),
        [fallback = std::move(fallback), help = std::move(help)](ConfigSchema& s, const std::string& p) {
          s.string_list(p, fallback, help);
        },
        &Config::get_strings, members...);
  }

  // Adds every key to `schema`, each path prefixed (e.g. "objective.namm.tasks.*.").
  void declare(ConfigSchema& schema, const std::string& prefix = "") const {
    for (const auto& entry : entries_) entry.declare(schema, prefix + entry.path);
  }
  // Reads every key of a configuration validated against the schema into `settings`.
  void read(const Config& config, Settings& settings, const std::string& prefix = "") const {
    for (const auto& entry : entries_) entry.read(config, prefix + entry.path, settings);
  }

 private:
  using Declare = std::function<void(ConfigSchema&, const std::string&)>;
  using Read = std::function<void(const Config&, const std::string&, Settings&)>;
  struct Entry {
    std::string path;
    Declare declare;
    Read read;
  };

  // A key read with one of Config's getters into the member the chain names.
  template <typename Value, typename... Members>
  ConfigTable& bound(std::string path, Declare declare, Value (Config::*get)(const std::string&) const,
                     Members... members) {
    return add(std::move(path), std::move(declare), [=](const Config& c, const std::string& p, Settings& out) {
      assign(field(out, members...), (c.*get)(p));
    });
  }

  ConfigTable& add(std::string path, Declare declare, Read read) {
    entries_.push_back({std::move(path), std::move(declare), std::move(read)});
    return *this;
  }

  template <typename Object, typename Member>
  static auto& field(Object& object, Member member) {
    return object.*member;
  }
  template <typename Object, typename Member, typename... Rest>
  static auto& field(Object& object, Member member, Rest... rest) {
    return field(object.*member, rest...);
  }

  template <typename Target, typename Value>
  static void assign(Target& target, const Value& value) {
    if constexpr (std::is_arithmetic_v<Target> && std::is_arithmetic_v<Value>) {
      target = static_cast<Target>(value);
    } else {
      target = value;
    }
  }

  std::vector<Entry> entries_;
};

}  // namespace evomem::core
